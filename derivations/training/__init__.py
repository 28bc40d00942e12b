"""From text to word vectors with the book's own gradients.

* :mod:`.corpus` — read a corpus, build the vocabulary, subsample, make windows, draw negatives.
* :mod:`.trainer` — batched skip-gram training (negative sampling or naive softmax).
* :mod:`.parallel` — training on several cores: Hogwild worker processes over shared memory.
* :mod:`.evaluation` — WordSim353, SimLex-999 and analogy scores, and gensim for comparison.
* :mod:`.cli` — the command line, run as ``python -m derivations.train``.
"""
