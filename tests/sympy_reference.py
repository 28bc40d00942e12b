"""Independent SymPy references for the two losses, used by the tests.

Built directly from the handout's definitions at concrete sizes, with no code
shared with derivations/ (neither its NumPy functions nor its derivation engine).
"""
import functools

import numpy as np
import sympy as sp


@functools.lru_cache(maxsize=None)
def loss_and_derivatives(kind, d, vocab_size, o, negatives=()):
    """Lambdified ``J`` and SymPy's own ``dJ/dv_c`` and ``dJ/dU`` for one pair.

    Returns ``f(v_c, U) -> (J, grad_v_c (d,), grad_U (d, |V|))`` in NumPy.
    """
    v = sp.Matrix(sp.symbols(f"v0:{d}", real=True))
    U = sp.Matrix(d, vocab_size, sp.symbols(f"u0:{d * vocab_size}", real=True))
    scores = [(U[:, w].T * v)[0] for w in range(vocab_size)]
    if kind == "naive":
        J = -scores[o] + sp.log(sum(sp.exp(s) for s in scores))
    else:
        sigma = lambda z: 1 / (1 + sp.exp(-z))  # noqa: E731 (the handout's definition)
        J = -sp.log(sigma(scores[o])) - sum(sp.log(sigma(-scores[w])) for w in negatives)
    grad_v = [sp.diff(J, x) for x in v]
    grad_U = [[sp.diff(J, U[i, w]) for w in range(vocab_size)] for i in range(d)]
    f = sp.lambdify([list(v), list(U)], [J, grad_v, grad_U], "numpy")

    def evaluate(v_c, U_):
        J_, g_v, g_U = f(list(v_c), list(np.asarray(U_).reshape(-1)))
        return float(J_), np.array(g_v, float), np.array(g_U, float)
    return evaluate
