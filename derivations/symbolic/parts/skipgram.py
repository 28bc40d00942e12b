"""Derivations of part (i): the skip-gram gradients over one context window.

The skip-gram loss is eq. (i.1), ``J_sg = sum_j J(v_c, w_{t+j}, U)`` over
``-m <= j <= m, j != 0``; checked here with the naive-softmax ``J`` and a window
whose outside words repeat one word.
### BEGIN SOLUTION

The results:

* eq. (i.2) ``dJ_sg/dU = sum_j dJ(v_c, w_{t+j}, U)/dU = v_c (n y_hat - sum_j y^(j))^T``;
* eq. (i.3) ``dJ_sg/dv_c = sum_j dJ(v_c, w_{t+j}, U)/dv_c = U (n y_hat - sum_j y^(j))``;
* eq. (i.4) ``dJ_sg/dv_w = 0`` for every ``w != c``;

where ``n`` is the number of outside words (``2m`` away from the sentence's ends)
and ``y^(j)`` is one-hot at ``w_{t+j}``.
### END SOLUTION
"""
from types import SimpleNamespace

import sympy as sp

from ..engine import SIZES, Derivation, Step, Sizes, grad, naive_softmax_symbols

SUM_J = r"\sum_{\substack{-m \le j \le m \\ j \ne 0}}"


def skipgram_symbols(c=0, outside=(2, 4, 2, 1), sizes=SIZES):
    """Symbols of one window: centre word ``c``, outside words ``w_{t+j}`` (default ``m = 2``, word 2 twice).

    Returns a namespace with ``V`` and ``U`` (``d x |V|``; column ``c`` of ``V``
    is ``v_c``), ``c``, ``outside``, ``parts`` (the naive-softmax namespaces, one
    per outside word, from :func:`~derivations.symbolic.engine.naive_softmax_symbols`),
    ``y_hat`` (``|V| x 1``, the same for every ``j``) and ``J`` (eq. (i.1)).
    """
    parts = [naive_softmax_symbols(Sizes(sizes.d, sizes.V, o, sizes.negatives)) for o in outside]
    S = parts[0]
    V = sp.Matrix(sizes.d, sizes.V, lambda i, w: S.v_c[i] if w == c else sp.Symbol(f"V[{i},{w}]", real=True))
    return SimpleNamespace(sizes=sizes, c=c, outside=tuple(outside), n=len(outside), V=V, U=S.U,
                           v_c=S.v_c, y_hat=S.y_hat, parts=parts, J=sum(P.J for P in parts))


def _sum(terms, shape):
    return sum(terms, sp.zeros(*shape))


### BEGIN SOLUTION
def _summed(W, label, title, wrt_tex, wrt, pair_tex, pair, cite, shape):
    """(i.2) and (i.3): the sum rule, then eq. ``cite`` per pair, then ``y_hat`` factored out.

    ``pair(error)`` is the single-pair gradient for the prediction error
    ``error = y_hat - y`` (``|V| x 1``); ``pair_tex`` writes it for an error in LaTeX.
    """
    y_hat, y_sum = W.y_hat, _sum((P.y for P in W.parts), W.y_hat.shape)
    return Derivation(label, title, r"\frac{\partial J_{\text{skip-gram}}}{\partial " + wrt_tex + "}", [
        Step(SUM_J + r"\frac{\partial J(v_c, w_{t+j}, U)}{\partial " + wrt_tex + "}",
             _sum((grad(P.J, wrt) for P in W.parts), wrt.shape),
             "the derivative of the sum (i.1) is the sum of the derivatives"),
        Step(SUM_J + pair_tex(r"\hat y - y^{(j)}"), _sum((pair(y_hat - P.y) for P in W.parts), wrt.shape),
             f"eq. ({cite}) for each outside word; $y^{{(j)}}$ ($|V| \\times 1$) is one-hot at $w_{{t+j}}$"),
        Step(pair_tex(r"n\,\hat y - " + SUM_J + r"y^{(j)}"), pair(W.n * y_hat - y_sum),
             r"$\hat y$ does not depend on $j$; $n$ outside words ($2m$ inside the sentence); "
             r"a word seen twice counts twice"),
    ], target=grad(W.J, wrt), shape=shape, sizes=W.sizes)
### END SOLUTION


def grad_U(W=None):
    """Eq. (i.2): ``dJ_sg/dU``, shape ``(d, |V|)``."""
    W = W or skipgram_symbols()
    ### BEGIN SOLUTION
    return _summed(W, "i.2", "Skip-gram: gradient with respect to the outside vectors", "U", W.U,
                   lambda e: r"v_c\,\Bigl(" + e + r"\Bigr)^\top", lambda error: W.v_c * error.T,
                   "d.1", ("d", "|V|"))
    ### END SOLUTION


def grad_v_c(W=None):
    """Eq. (i.3): ``dJ_sg/dv_c``, shape ``(d,)``."""
    W = W or skipgram_symbols()
    ### BEGIN SOLUTION
    return _summed(W, "i.3", "Skip-gram: gradient with respect to the centre vector", "v_c", W.V[:, W.c],
                   lambda e: r"U\,\Bigl(" + e + r"\Bigr)", lambda error: W.U * error,
                   "b.1", ("d", "1"))
    ### END SOLUTION


def grad_v_w(W=None):
    """Eq. (i.4): ``dJ_sg/dv_w`` for every ``w != c``, checked for all of them at once (``d x (|V|-1)``)."""
    W = W or skipgram_symbols()
    ### BEGIN SOLUTION
    others = [w for w in range(W.V.shape[1]) if w != W.c]
    return Derivation("i.4", "Skip-gram: gradient with respect to every other centre vector",
                      r"\frac{\partial J_{\text{skip-gram}}}{\partial v_w}\ \ (w \ne c)", [
        Step(SUM_J + r"\frac{\partial J(v_c, w_{t+j}, U)}{\partial v_w}",
             sp.Matrix.hstack(*[_sum((grad(P.J, W.V[:, w]) for P in W.parts), (W.V.shape[0], 1))
                                for w in others]),
             r"eq. (i.1), for every $w \neq c$ at once"),
        Step(r"0", sp.zeros(W.V.shape[0], len(others)),
             r"each $J(v_c, w_{t+j}, U)$ contains $v_c$ and $U$ only, not $v_w$"),
    ], target=sp.Matrix.hstack(*[grad(W.J, W.V[:, w]) for w in others]))
    ### END SOLUTION


def derivations(W=None):
    """Every derivation of part (i), in chapter order."""
    return [grad_U(W), grad_v_c(W), grad_v_w(W)]
