"""Helpers that one chapter uses to demonstrate an idea, each named for what it shows.

* :mod:`.skipgram_window` — notation chapter: one context window drawn, its (centre, outside) pairs, one vector per word against two.
* :mod:`.gradient_step_terms` — part (b)(ii)-(iii): what one gradient step on v_c does, term by term.
* :mod:`.normalised_sentiment` — part (b)(iv): when L2-normalising word vectors flips a sentiment decision.
"""
