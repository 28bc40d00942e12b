"""Derivations of parts (g) and (h): the negative-sampling loss and its gradients.

The loss is eq. (g.1), ``J = -log sigma(u_o^T v_c) - sum_s log sigma(-u_{w_s}^T v_c)``.
With the stacked matrix ``U_ow = [u_o, -u_{w_1}, ..., -u_{w_K}]`` of shape
``(d, K+1)`` and the vector ``delta = 1 - sigma(U_ow^T v_c)`` of shape ``(K+1,)``:

* eq. (g.2) ``dJ/dv_c = -(1 - sigma(u_o^T v_c)) u_o + sum_s (1 - sigma(-u_{w_s}^T v_c)) u_{w_s}``;
* eq. (g.3) ``dJ/du_o = -(1 - sigma(u_o^T v_c)) v_c``;
* eq. (g.4) ``dJ/du_{w_s} = (1 - sigma(-u_{w_s}^T v_c)) v_c`` (``w_s`` drawn once, not ``o``);
* eq. (g.5) ``dJ/dv_c = -U_ow delta`` and eq. (g.6) ``dJ/dU_ow = -v_c delta^T``;
* eq. (h.1) ``dJ/du_w = sum_{s: w_s = w} (1 - sigma(-u_w^T v_c)) v_c`` for ``w != o``;
* eq. (h.2) ``dJ/dU = -(1 - sigma(u_o^T v_c)) v_c e_o^T + sum_s (1 - sigma(-u_{w_s}^T v_c)) v_c e_{w_s}^T``,
  which holds for any negatives, repeated or equal to ``o``.

Each derivation is built on a symbols namespace ``N`` (default
:func:`~derivations.engine.neg_sampling_symbols`: d=3, |V|=5, o=2,
negatives=[1, 3, 1]) and is checked when displayed.
"""
import sympy as sp

from ..engine import Derivation, Step, neg_sampling_symbols
from .activations import sigma

UOW = r"U_{o,\{w_1,\dots,w_K\}}"


def dot(a, b):
    """``a^T b`` for two column matrices, as a scalar expression."""
    return (a.T * b)[0, 0]


def grad(expr, X):
    """The gradient of a scalar ``expr`` with respect to every entry of ``X``, shaped like ``X``."""
    return X.applyfunc(lambda x: sp.diff(expr, x))


def stacked(N):
    """``U_ow = [u_o, -u_{w_1}, ..., -u_{w_K}]``, shape ``(d, K+1)``."""
    return sp.Matrix.hstack(N.u(N.o), *[-N.u(w) for w in N.negatives])


def _once(N):
    """Index ``s`` (1-based) of a negative drawn once and different from ``o``: (g.4) assumes one."""
    for s, w in enumerate(N.negatives, start=1):
        if w != N.o and N.negatives.count(w) == 1:
            return s
    raise ValueError(f"negatives must hold a word drawn once and different from o={N.o}, got {N.negatives}")


def _repeated(N):
    """A word ``w != o`` drawn more than once: part (h) is about it."""
    for w in N.negatives:
        if w != N.o and N.negatives.count(w) > 1:
            return w
    raise ValueError(f"negatives must repeat a word other than o={N.o}, got {N.negatives}")


def loss_stacked(N=None):
    """Eq. (g.1) rewritten with the columns of ``U_ow``: ``J = -sum_k log sigma((U_ow^T v_c)_k)``."""
    N = N or neg_sampling_symbols()
    ### BEGIN SOLUTION
    v, u, A = N.v_c, N.u, stacked(N)
    return Derivation("g.1", "The negative-sampling loss in terms of the stacked matrix", r"J", [
        Step(r"-\log\sigma(u_o^\top v_c) - \sum_{s=1}^{K}\log\sigma(-u_{w_s}^\top v_c)",
             -sp.log(sigma(dot(u(N.o), v))) - sum(sp.log(sigma(-dot(u(w), v))) for w in N.negatives),
             "the handout's loss"),
        Step(r"-\sum_{k=0}^{K}\log\sigma\bigl((" + UOW + r"^\top v_c)_k\bigr)",
             -sum(sp.log(sigma(s)) for s in A.T * v),
             r"column 0 of U_ow is u_o, column s is -u_{w_s}"),
    ], target=N.J)
    ### END SOLUTION


def grad_v_c(N=None):
    """Eq. (g.2): ``dJ/dv_c``, shape ``(d,)``."""
    N = N or neg_sampling_symbols()
    ### BEGIN SOLUTION
    v, u, o = N.v_c, N.u, N.o
    log_sig = lambda z: sp.log(sigma(z))
    sig_prime = lambda z: sp.diff(sigma(z), z) if z.is_Symbol else sp.exp(-z) / (1 + sp.exp(-z)) ** 2
    return Derivation("g.2", "Negative sampling: gradient with respect to the centre vector",
                      r"\frac{\partial J}{\partial v_c}", [
        Step(r"-\frac{\partial}{\partial v_c}\log\sigma(u_o^\top v_c)"
             r" - \sum_{s=1}^{K}\frac{\partial}{\partial v_c}\log\sigma(-u_{w_s}^\top v_c)",
             -grad(log_sig(dot(u(o), v)), v) - sum((grad(log_sig(-dot(u(w), v)), v) for w in N.negatives),
                                                  sp.zeros(*v.shape)),
             "differentiate (g.1) term by term"),
        Step(r"-\frac{\sigma'(u_o^\top v_c)}{\sigma(u_o^\top v_c)}\,u_o"
             r" - \sum_{s=1}^{K}\frac{\sigma'(-u_{w_s}^\top v_c)}{\sigma(-u_{w_s}^\top v_c)}\,(-u_{w_s})",
             -sig_prime(dot(u(o), v)) / sigma(dot(u(o), v)) * u(o)
             - sum((sig_prime(-dot(u(w), v)) / sigma(-dot(u(w), v)) * (-u(w)) for w in N.negatives),
                   sp.zeros(*v.shape)),
             r"chain rule; \partial(a^\top v_c)/\partial v_c = a"),
        Step(r"-\bigl(1 - \sigma(u_o^\top v_c)\bigr)\,u_o"
             r" + \sum_{s=1}^{K}\bigl(1 - \sigma(-u_{w_s}^\top v_c)\bigr)\,u_{w_s}",
             -(1 - sigma(dot(u(o), v))) * u(o)
             + sum(((1 - sigma(-dot(u(w), v))) * u(w) for w in N.negatives), sp.zeros(*v.shape)),
             r"\sigma' = \sigma(1 - \sigma), eq. (f.1)"),
    ], target=grad(N.J, v))
    ### END SOLUTION


def grad_u_o(N=None):
    """Eq. (g.3): ``dJ/du_o``, shape ``(d,)``, when ``o`` is not among the negatives."""
    N = N or neg_sampling_symbols()
    if N.o in N.negatives:
        raise ValueError(f"(g.3) assumes o is not a negative sample: o={N.o}, negatives={N.negatives}")
    ### BEGIN SOLUTION
    v, u_o = N.v_c, N.u(N.o)
    z = dot(u_o, v)
    return Derivation("g.3", "Negative sampling: gradient with respect to the true outside vector",
                      r"\frac{\partial J}{\partial u_o}", [
        Step(r"-\frac{\partial}{\partial u_o}\log\sigma(u_o^\top v_c)", -grad(sp.log(sigma(z)), u_o),
             r"only the first term of (g.1) contains u_o"),
        Step(r"-\frac{\sigma'(u_o^\top v_c)}{\sigma(u_o^\top v_c)}\,v_c",
             -sp.exp(-z) / (1 + sp.exp(-z)) ** 2 / sigma(z) * v, r"chain rule; \partial(u_o^\top v_c)/\partial u_o = v_c"),
        Step(r"-\bigl(1 - \sigma(u_o^\top v_c)\bigr)\,v_c", -(1 - sigma(z)) * v, "eq. (f.1)"),
    ], target=grad(N.J, u_o))
    ### END SOLUTION


def grad_u_w_s(N=None):
    """Eq. (g.4): ``dJ/du_{w_s}``, shape ``(d,)``, for a negative drawn once (checked at such an ``s``)."""
    N = N or neg_sampling_symbols()
    s = _once(N)
    ### BEGIN SOLUTION
    v, u_w = N.v_c, N.u(N.negatives[s - 1])
    z = -dot(u_w, v)
    return Derivation("g.4", f"Negative sampling: gradient with respect to a negative sample (checked at s={s})",
                      r"\frac{\partial J}{\partial u_{w_s}}", [
        Step(r"-\frac{\partial}{\partial u_{w_s}}\log\sigma(-u_{w_s}^\top v_c)", -grad(sp.log(sigma(z)), u_w),
             r"only the s-th term of (g.1) contains u_{w_s}"),
        Step(r"-\frac{\sigma'(-u_{w_s}^\top v_c)}{\sigma(-u_{w_s}^\top v_c)}\,(-v_c)",
             -sp.exp(-z) / (1 + sp.exp(-z)) ** 2 / sigma(z) * (-v),
             r"chain rule; \partial(-u_{w_s}^\top v_c)/\partial u_{w_s} = -v_c"),
        Step(r"\bigl(1 - \sigma(-u_{w_s}^\top v_c)\bigr)\,v_c", (1 - sigma(z)) * v, "eq. (f.1)"),
    ], target=grad(N.J, u_w))
    ### END SOLUTION


def grad_v_c_stacked(N=None):
    """Eq. (g.5): ``dJ/dv_c = -U_ow (1 - sigma(U_ow^T v_c))``, shape ``(d,)``."""
    N = N or neg_sampling_symbols()
    ### BEGIN SOLUTION
    v, u, A = N.v_c, N.u, stacked(N)
    ones = sp.ones(A.shape[1], 1)
    return Derivation("g.5", "Negative sampling, vectorised: gradient with respect to the centre vector",
                      r"\frac{\partial J}{\partial v_c}", [
        Step(r"-\bigl(1 - \sigma(u_o^\top v_c)\bigr)\,u_o"
             r" + \sum_{s=1}^{K}\bigl(1 - \sigma(-u_{w_s}^\top v_c)\bigr)\,u_{w_s}",
             -(1 - sigma(dot(u(N.o), v))) * u(N.o)
             + sum(((1 - sigma(-dot(u(w), v))) * u(w) for w in N.negatives), sp.zeros(*v.shape)),
             "eq. (g.2)"),
        Step(r"-\Bigl[\bigl(1 - \sigma(u_o^\top v_c)\bigr)\,u_o"
             r" + \sum_{s=1}^{K}\bigl(1 - \sigma((-u_{w_s})^\top v_c)\bigr)\,(-u_{w_s})\Bigr]",
             -sum(((1 - sigma(dot(A[:, k], v))) * A[:, k] for k in range(A.shape[1])), sp.zeros(*v.shape)),
             r"every term uses one column of U_ow"),
        Step(r"-" + UOW + r"\,\bigl(1 - \sigma(" + UOW + r"^\top v_c)\bigr)",
             -A * (ones - (A.T * v).applyfunc(sigma)),
             r"a matrix times a vector sums its columns weighted by the vector"),
    ], target=grad(N.J, v))
    ### END SOLUTION


def grad_stacked(N=None):
    """Eq. (g.6): ``dJ/dU_ow = -v_c (1 - sigma(U_ow^T v_c))^T``, shape ``(d, K+1)``.

    The target treats the ``K+1`` columns of ``U_ow`` as independent variables
    ``x_0..x_K`` in ``J = -sum_k log sigma(x_k^T v_c)`` and substitutes ``U_ow`` afterwards.
    """
    N = N or neg_sampling_symbols()
    ### BEGIN SOLUTION
    v, A = N.v_c, stacked(N)
    X = sp.Matrix(A.shape[0], A.shape[1], lambda i, k: sp.Symbol(f"x_{i}{k}", real=True))
    J_of_X = -sum(sp.log(sigma(dot(X[:, k], v))) for k in range(X.shape[1]))
    ones = sp.ones(A.shape[1], 1)
    return Derivation("g.6", "Negative sampling, vectorised: gradient with respect to the stacked matrix",
                      r"\frac{\partial J}{\partial " + UOW + "}", [
        Step(r"\Bigl[-\bigl(1 - \sigma(x_0^\top v_c)\bigr)\,v_c\ \ \cdots\ \ "
             r"-\bigl(1 - \sigma(x_K^\top v_c)\bigr)\,v_c\Bigr]",
             sp.Matrix.hstack(*[-(1 - sigma(dot(A[:, k], v))) * v for k in range(A.shape[1])]),
             r"x_k, column k of U_ow, appears in term k only; as in (g.3)"),
        Step(r"-v_c\,\bigl(1 - \sigma(" + UOW + r"^\top v_c)\bigr)^\top",
             -v * (ones - (A.T * v).applyfunc(sigma)).T, "outer product: column k is v_c times entry k"),
    ], target=grad(J_of_X, X).subs(dict(zip(X, A))))
    ### END SOLUTION


def grad_repeated_negative(N=None):
    """Eq. (h.1): ``dJ/du_w = sum_{s: w_s = w} (1 - sigma(-u_w^T v_c)) v_c`` for a repeated ``w != o``."""
    N = N or neg_sampling_symbols()
    w = _repeated(N)
    ### BEGIN SOLUTION
    v, u_w = N.v_c, N.u(w)
    z = -dot(u_w, v)
    hits = [s for s, ws in enumerate(N.negatives, start=1) if ws == w]
    return Derivation("h.1", f"Gradient with respect to a repeated negative sample "
                             f"(checked at w={w}, drawn {len(hits)} times)",
                      r"\frac{\partial J}{\partial u_w}", [
        Step(r"-\sum_{s:\ w_s = w}\frac{\partial}{\partial u_w}\log\sigma(-u_w^\top v_c)",
             -sum((grad(sp.log(sigma(z)), u_w) for _ in hits), sp.zeros(*v.shape)),
             r"u_w appears in every term whose sample is w (and not in the first: w \neq o)"),
        Step(r"\sum_{s:\ w_s = w}\bigl(1 - \sigma(-u_w^\top v_c)\bigr)\,v_c",
             sum(((1 - sigma(z)) * v for _ in hits), sp.zeros(*v.shape)), "eq. (g.4) for each occurrence"),
        Step(r"n_w\,\bigl(1 - \sigma(-u_w^\top v_c)\bigr)\,v_c", len(hits) * (1 - sigma(z)) * v,
             r"n_w = \#\{s : w_s = w\} equal terms"),
    ], target=grad(N.J, u_w))
    ### END SOLUTION


def grad_U(N=None):
    """Eq. (h.2): ``dJ/dU``, shape ``(d, |V|)``, for any negatives (repeated, or equal to ``o``).

    ``U_ow = U P`` with the selection matrix ``P = [e_o, -e_{w_1}, ..., -e_{w_K}]``
    of shape ``(|V|, K+1)``; the chain rule gives ``dJ/dU = (dJ/dU_ow) P^T``.
    """
    N = N or neg_sampling_symbols()
    ### BEGIN SOLUTION
    v, u, A, U = N.v_c, N.u, stacked(N), N.U
    e = lambda w: sp.eye(U.shape[1])[:, w]
    P = sp.Matrix.hstack(e(N.o), *[-e(w) for w in N.negatives])
    ones = sp.ones(A.shape[1], 1)
    return Derivation("h.2", "Gradient with respect to all outside vectors, any negatives",
                      r"\frac{\partial J}{\partial U}", [
        Step(r"\frac{\partial J}{\partial " + UOW + r"}\,P^\top",
             grad_stacked(N).steps[-1].expr * P.T,
             r"U_ow = U P,\ P = [e_o, -e_{w_1}, \dots, -e_{w_K}]: chain rule through a linear map"),
        Step(r"-v_c\,\bigl(1 - \sigma(" + UOW + r"^\top v_c)\bigr)^\top P^\top",
             -v * (ones - (A.T * v).applyfunc(sigma)).T * P.T, "eq. (g.6)"),
        Step(r"-\bigl(1 - \sigma(u_o^\top v_c)\bigr)\,v_c\,e_o^\top"
             r" + \sum_{s=1}^{K}\bigl(1 - \sigma(-u_{w_s}^\top v_c)\bigr)\,v_c\,e_{w_s}^\top",
             -(1 - sigma(dot(u(N.o), v))) * v * e(N.o).T
             + sum(((1 - sigma(-dot(u(w), v))) * v * e(w).T for w in N.negatives), sp.zeros(*U.shape)),
             "row k of P^T is ±e_w^T: every occurrence adds its own term to column w"),
    ], target=grad(N.J, U))
    ### END SOLUTION


def derivations(N=None):
    """Every derivation of parts (g) and (h), in chapter order."""
    return [loss_stacked(N), grad_v_c(N), grad_u_o(N), grad_u_w_s(N), grad_v_c_stacked(N),
            grad_stacked(N), grad_repeated_negative(N), grad_U(N)]
