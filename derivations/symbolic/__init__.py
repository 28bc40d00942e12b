"""The symbolic engine: every derivation the book shows, checked step by step with SymPy.

* :mod:`.symbols` — the concrete symbolic worlds (sizes, v_c, U, o, negatives) checks run in.
* :mod:`.equality` — is ``a == b``? Symbolically when cheap, else at seeded random points.
* :mod:`.engine` — :class:`~.engine.Derivation` and :class:`~.engine.Step`, and ``show`` for chapters.
* :mod:`.parts` — one module per group of handout parts, each a list of derivations.
"""
