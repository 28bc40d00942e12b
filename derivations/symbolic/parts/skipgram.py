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

from ..engine import SIZES, Derivation, Step, Sizes, grad, in_worlds, naive_softmax_symbols

SUM_J = r"\sum_{\substack{-m \le j \le m \\ j \ne 0}}"


def skipgram_symbols(c=None, outside=None, sizes=SIZES):
    """Symbols of one window: centre word ``c``, outside words ``w_{t+j}`` (default: the world's
    ``sizes.c`` and ``sizes.window``; for :data:`SIZES` ``c = 0`` and ``(2, 4, 2, 1)``, ``m = 2``).

    Returns a namespace with ``V`` and ``U`` (``d x |V|``; column ``c`` of ``V``
    is ``v_c``), ``c``, ``outside``, ``parts`` (the naive-softmax namespaces, one
    per outside word, from :func:`~derivations.symbolic.engine.naive_softmax_symbols`),
    ``y_hat`` (``|V| x 1``, the same for every ``j``) and ``J`` (eq. (i.1)).

    For (i.4) it also has ``J_of_V``: the same loss with ``v_c`` written as ``V e``, where
    ``e`` (``|V| x 1``) is a column of symbols, and ``at_c`` (``e`` -> the one-hot column at
    ``c``). ``J_of_V`` contains every entry of ``V``, so ``dJ/dv_w`` is a real derivative,
    which is 0 once ``e`` is one-hot at ``c``, not because ``v_w`` was never in the loss.
    ``only(w, loss)`` is ``loss`` with ``v_c`` replaced by ``v_c + e_w v_w``: the same derivative
    in ``v_w`` at ``e = e_c``, at a fraction of the cost.
    """
    c = sizes.c if c is None else c
    outside = sizes.window if outside is None else tuple(outside)
    parts = [naive_softmax_symbols(Sizes(sizes.d, sizes.V, o, sizes.negatives)) for o in outside]
    S = parts[0]
    V = sp.Matrix(sizes.d, sizes.V, lambda i, w: S.v_c[i] if w == c else sp.Symbol(f"V[{i},{w}]", real=True))
    e = sp.Matrix(sizes.V, 1, lambda w, _: sp.Symbol(f"e[{w}]", real=True))
    J = sum(P.J for P in parts)
    # v_c = V e: column c of V is v_c itself, so entry c of e multiplies v_c and every other
    # entry multiplies another column v_w.
    v_of_V = sp.Matrix(sizes.d, 1, lambda i, _: sum(V[i, w] * e[w] for w in range(sizes.V)))
    as_V = {S.v_c[i]: v_of_V[i] for i in range(sizes.d)}
    at_c = {e[w]: int(w == c) for w in range(sizes.V)}

    def only(w, loss):
        """``loss`` with ``v_c = V e`` where only entries ``c`` (1) and ``w`` of ``e`` are kept (one symbol):
        the same function of ``v_w`` near ``e = e_c``, much smaller for SymPy to differentiate."""
        return loss.xreplace({S.v_c[i]: S.v_c[i] + e[w] * V[i, w] for i in range(sizes.d)})

    return SimpleNamespace(sizes=sizes, c=c, outside=tuple(outside), n=len(outside), V=V, U=S.U,
                           v_c=S.v_c, y_hat=S.y_hat, parts=parts, J=J, e=e,
                           J_of_V=J.xreplace(as_V), only=only, at_c=at_c)


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
    ], target=grad(W.J, wrt), shape=shape, sizes=W.sizes, wrt=wrt, loss=W.J,
       where=f"c = {W.c}, outside words {W.outside} (m = {W.n // 2})")
### END SOLUTION


def grad_U(W=None):
    """Eq. (i.2): ``dJ_sg/dU``, shape ``(d, |V|)``."""
    if W is None:
        return in_worlds(grad_U, lambda w: skipgram_symbols(sizes=w))
    ### BEGIN SOLUTION
    return _summed(W, "i.2", "Skip-gram: gradient with respect to the outside vectors", "U", W.U,
                   lambda e: r"v_c\,\left(" + e + r"\right)^\top", lambda error: W.v_c * error.T,
                   "d.1", ("d", "|V|"))
    ### END SOLUTION


def grad_v_c(W=None):
    """Eq. (i.3): ``dJ_sg/dv_c``, shape ``(d,)``."""
    if W is None:
        return in_worlds(grad_v_c, lambda w: skipgram_symbols(sizes=w))
    ### BEGIN SOLUTION
    return _summed(W, "i.3", "Skip-gram: gradient with respect to the centre vector", "v_c", W.V[:, W.c],
                   lambda e: r"U\,\left(" + e + r"\right)", lambda error: W.U * error,
                   "b.1", ("d", "1"))
    ### END SOLUTION


def grad_v_w(W=None):
    """Eq. (i.4): ``dJ_sg/dv_w`` for every ``w != c``, checked for all of them at once (``d x (|V|-1)``)."""
    if W is None:
        return in_worlds(grad_v_w, lambda w: skipgram_symbols(sizes=w))
    ### BEGIN SOLUTION
    others = [w for w in range(W.V.shape[1]) if w != W.c]
    d = W.V.shape[0]
    wrt = sp.Matrix.hstack(*[W.V[:, w] for w in others])
    each = lambda f: sp.Matrix.hstack(*[f(w) for w in others])
    return Derivation("i.4", "Skip-gram: gradient with respect to every other centre vector",
                      r"\frac{\partial J_{\text{skip-gram}}}{\partial v_w}\ \ (w \ne c)", [
        Step(SUM_J + r"\frac{\partial J(v_c, w_{t+j}, U)}{\partial v_w}",
             each(lambda w: _sum((grad(W.only(w, P.J), W.V[:, w]) for P in W.parts), (d, 1))).xreplace(W.at_c),
             r"eq. (i.1), for every $w \neq c$ at once"),
        Step(r"0", sp.zeros(d, len(others)),
             r"$J(v_c, w_{t+j}, U)$ depends on $V$ only through $v_c = V e_c$, and entry $w$ of "
             r"$e_c$ is 0"),
    ], target=each(lambda w: grad(W.only(w, W.J), W.V[:, w])).xreplace(W.at_c), sizes=W.sizes,
       wrt=wrt, loss=W.J_of_V, where=f"c = {W.c}, every w in {others}", index=("w", others),
       constant=r"v_c = V e_c: the loss contains every v_w, each multiplied by entry w of e_c, which is 0")
    ### END SOLUTION


def derivations(W=None):
    """Every derivation of part (i), in chapter order."""
    return [grad_U(W), grad_v_c(W), grad_v_w(W)]
