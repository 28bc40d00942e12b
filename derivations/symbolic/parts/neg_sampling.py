"""Derivations of parts (g) and (h): the negative-sampling loss and its gradients.

The loss is eq. (g.1), ``J = -log sigma(u_o^T v_c) - sum_s log sigma(-u_{w_s}^T v_c)``,
and ``U_ow = [u_o, -u_{w_1}, ..., -u_{w_K}]`` (shape ``(d, K+1)``) is the stacked matrix.
### BEGIN SOLUTION
With the reused vector ``delta = 1 - sigma(U_ow^T v_c)`` of shape ``(K+1,)``:

* eq. (g.1) ``J = -sum_k log sigma((U_ow^T v_c)_k)`` (the loss, stacked);
* eq. (g.2) ``dJ/dv_c = -(1 - sigma(u_o^T v_c)) u_o + sum_s (1 - sigma(-u_{w_s}^T v_c)) u_{w_s}``;
* eq. (g.3) ``dJ/du_o = -(1 - sigma(u_o^T v_c)) v_c`` (``o`` not among the negatives);
* eq. (g.4) ``dJ/du_{w_s} = (1 - sigma(-u_{w_s}^T v_c)) v_c`` (``w_s`` drawn once, not ``o``);
* eq. (g.5) ``dJ/dv_c = -U_ow delta`` and eq. (g.6) ``dJ/dU_ow = -v_c delta^T``;
* eq. (h.1) ``dJ/du_w = sum_{s: w_s = w} (1 - sigma(-u_w^T v_c)) v_c`` for ``w != o``;
* eq. (h.2) ``dJ/dU = -(1 - sigma(u_o^T v_c)) v_c e_o^T + sum_s (1 - sigma(-u_{w_s}^T v_c)) v_c e_{w_s}^T``,
  true for any negatives, repeated or equal to ``o``.
### END SOLUTION

Each function builds its :class:`~derivations.symbolic.engine.Derivation` on a symbols
namespace ``N``; without one, in every world of :data:`~derivations.symbolic.symbols.WORLDS`
(each has a negative drawn once and one drawn several times); the chapter's ``show`` checks it.
"""
import sympy as sp

from ..engine import Derivation, Step, grad, in_worlds, neg_sampling_symbols, sigmoid

UOW = r"U_{o,\{w_1,\dots,w_K\}}"
### BEGIN SOLUTION
D_SIGMA = r"$\sigma' = \sigma\,(1 - \sigma)$, eq. (f.1)"
### END SOLUTION


def dot(a, b):
    """``a^T b`` for two ``d x 1`` columns, as a scalar expression."""
    return (a.T * b)[0, 0]


### BEGIN SOLUTION
def one_minus_sigma(A, v):
    """``1 - sigma(A^T v)``, shape ``(columns of A) x 1``: the vector (g.5) and (g.6) reuse."""
    return (A.T * v).applyfunc(lambda z: 1 - sigmoid(z))
### END SOLUTION


def sigma_prime(z):
    """``sigma'(z)``: SymPy's derivative of the definition, not eq. (f.1)'s form."""
    t = sp.Dummy("t", real=True)
    return sp.diff(sigmoid(t), t).subs(t, z)


def _vector_sum(terms, shape):
    return sum(terms, sp.zeros(*shape))


def _once(N):
    """1-based ``s`` of a negative drawn once and different from ``o``: (g.4) assumes one."""
    for s, w in enumerate(N.negatives, start=1):
        if w != N.o and N.negatives.count(w) == 1:
            return s
    raise ValueError(f"negatives must hold a word drawn once and different from o={N.o}, "
                     f"got {N.negatives}")


def _repeated(N):
    """A word ``w != o`` drawn more than once: part (h) is about it."""
    for w in N.negatives:
        if w != N.o and N.negatives.count(w) > 1:
            return w
    raise ValueError(f"negatives must repeat a word other than o={N.o}, got {N.negatives}")


def loss_stacked(N=None):
    """Eq. (g.1): the loss, rewritten with the columns of ``U_ow``; a scalar."""
    if N is None:
        return in_worlds(loss_stacked, neg_sampling_symbols)
    ### BEGIN SOLUTION
    v, u = N.v_c, N.u
    return Derivation("g.1", "The negative-sampling loss in terms of the stacked matrix", r"J", [
        Step(r"-\log\sigma(u_o^\top v_c) - \sum_{s=1}^{K}\log\sigma(-u_{w_s}^\top v_c)",
             -sp.log(sigmoid(dot(u(N.o), v))) - sum(sp.log(sigmoid(-dot(u(w), v))) for w in N.negatives),
             "the handout's loss"),
        Step(r"-\sum_{k=0}^{K}\log\sigma\left((" + UOW + r"^\top v_c)_k\right)",
             -sum(sp.log(sigmoid(z)) for z in N.U_ow.T * v),
             r"column 0 of $" + UOW + r"$ is $u_o$, column $s$ is $-u_{w_s}$"),
    ], target=N.J, target_latex="(g.1) as SymPy builds it", sizes=N.sizes)
    ### END SOLUTION


def grad_v_c(N=None):
    """Eq. (g.2): ``dJ/dv_c``, shape ``(d,)``."""
    if N is None:
        return in_worlds(grad_v_c, neg_sampling_symbols)
    ### BEGIN SOLUTION
    v, u, o, neg = N.v_c, N.u, N.o, N.negatives
    log_sig = lambda z: sp.log(sigmoid(z))
    ratio = lambda z: sigma_prime(z) / sigmoid(z)
    return Derivation("g.2", "Negative sampling: gradient with respect to the centre vector",
                      r"\frac{\partial J}{\partial v_c}", [
        Step(r"-\frac{\partial}{\partial v_c}\log\sigma(u_o^\top v_c)"
             r" - \sum_{s=1}^{K}\frac{\partial}{\partial v_c}\log\sigma(-u_{w_s}^\top v_c)",
             -grad(log_sig(dot(u(o), v)), v) - _vector_sum((grad(log_sig(-dot(u(w), v)), v) for w in neg), v.shape),
             "differentiate (g.1) term by term"),
        Step(r"-\frac{\sigma'(u_o^\top v_c)}{\sigma(u_o^\top v_c)}\,u_o"
             r" - \sum_{s=1}^{K}\frac{\sigma'(-u_{w_s}^\top v_c)}{\sigma(-u_{w_s}^\top v_c)}\,(-u_{w_s})",
             -ratio(dot(u(o), v)) * u(o) - _vector_sum((ratio(-dot(u(w), v)) * (-u(w)) for w in neg), v.shape),
             r"chain rule, $\partial(a^\top v_c)/\partial v_c = a$ ($d \times 1$)"),
        Step(r"-\left(1 - \sigma(u_o^\top v_c)\right)\,u_o"
             r" + \sum_{s=1}^{K}\left(1 - \sigma(-u_{w_s}^\top v_c)\right)\,u_{w_s}",
             -(1 - sigmoid(dot(u(o), v))) * u(o)
             + _vector_sum(((1 - sigmoid(-dot(u(w), v))) * u(w) for w in neg), v.shape), D_SIGMA),
    ], target=grad(N.J, v), shape=("d", "1"), sizes=N.sizes, wrt=v, loss=N.J)
    ### END SOLUTION


def grad_u_o(N=None):
    """Eq. (g.3): ``dJ/du_o``, shape ``(d,)``, when ``o`` is not among the negatives."""
    if N is None:
        return in_worlds(grad_u_o, neg_sampling_symbols)
    if N.o in N.negatives:
        raise ValueError(f"(g.3) assumes o is not a negative sample: o={N.o}, negatives={N.negatives}")
    ### BEGIN SOLUTION
    v, u_o = N.v_c, N.u(N.o)
    z = dot(u_o, v)
    return Derivation("g.3", "Negative sampling: gradient with respect to the true outside vector",
                      r"\frac{\partial J}{\partial u_o}", [
        Step(r"-\frac{\partial}{\partial u_o}\log\sigma(u_o^\top v_c)", -grad(sp.log(sigmoid(z)), u_o),
             r"only the first term of (g.1) contains $u_o$ ($o$ is not a negative sample)"),
        Step(r"-\frac{\sigma'(u_o^\top v_c)}{\sigma(u_o^\top v_c)}\,v_c", -sigma_prime(z) / sigmoid(z) * v,
             r"chain rule, $\partial(u_o^\top v_c)/\partial u_o = v_c$ ($d \times 1$)"),
        Step(r"-\left(1 - \sigma(u_o^\top v_c)\right)\,v_c", -(1 - sigmoid(z)) * v, D_SIGMA),
    ], target=grad(N.J, u_o), shape=("d", "1"), sizes=N.sizes, wrt=u_o, loss=N.J)
    ### END SOLUTION


def grad_u_w_s(N=None):
    """Eq. (g.4): ``dJ/du_{w_s}``, shape ``(d,)``, for a negative drawn once (checked at such an ``s``)."""
    if N is None:
        return in_worlds(grad_u_w_s, neg_sampling_symbols)
    s = _once(N)
    ### BEGIN SOLUTION
    v, u_w = N.v_c, N.u(N.negatives[s - 1])
    z = -dot(u_w, v)
    return Derivation("g.4", "Negative sampling: gradient with respect to a negative sample drawn once",
                      r"\frac{\partial J}{\partial u_{w_s}}", [
        Step(r"-\frac{\partial}{\partial u_{w_s}}\log\sigma(-u_{w_s}^\top v_c)", -grad(sp.log(sigmoid(z)), u_w),
             r"only term $s$ of (g.1) contains $u_{w_s}$ ($w_s$ drawn once, $w_s \neq o$)"),
        Step(r"-\frac{\sigma'(-u_{w_s}^\top v_c)}{\sigma(-u_{w_s}^\top v_c)}\,(-v_c)",
             -sigma_prime(z) / sigmoid(z) * (-v),
             r"chain rule, $\partial(-u_{w_s}^\top v_c)/\partial u_{w_s} = -v_c$"),
        Step(r"\left(1 - \sigma(-u_{w_s}^\top v_c)\right)\,v_c", (1 - sigmoid(z)) * v, D_SIGMA),
    ], target=grad(N.J, u_w), shape=("d", "1"), sizes=N.sizes, wrt=u_w, loss=N.J,
       where=f"s = {s}, w_s = {N.negatives[s - 1]}", index=("s", [s]))
    ### END SOLUTION


def grad_v_c_stacked(N=None):
    """Eq. (g.5): ``dJ/dv_c`` written with ``U_ow``, shape ``(d,)``."""
    if N is None:
        return in_worlds(grad_v_c_stacked, neg_sampling_symbols)
    ### BEGIN SOLUTION
    v, u, A = N.v_c, N.u, N.U_ow
    return Derivation("g.5", "Negative sampling, vectorised: gradient with respect to the centre vector",
                      r"\frac{\partial J}{\partial v_c}", [
        Step(r"-\left(1 - \sigma(u_o^\top v_c)\right)\,u_o"
             r" + \sum_{s=1}^{K}\left(1 - \sigma(-u_{w_s}^\top v_c)\right)\,u_{w_s}",
             -(1 - sigmoid(dot(u(N.o), v))) * u(N.o)
             + _vector_sum(((1 - sigmoid(-dot(u(w), v))) * u(w) for w in N.negatives), v.shape), "eq. (g.2)"),
        Step(r"-\left[\left(1 - \sigma(u_o^\top v_c)\right)\,u_o"
             r" + \sum_{s=1}^{K}\left(1 - \sigma((-u_{w_s})^\top v_c)\right)\,(-u_{w_s})\right]",
             -_vector_sum(((1 - sigmoid(dot(A[:, k], v))) * A[:, k] for k in range(A.shape[1])), v.shape),
             r"write every term with the column of $" + UOW + r"$ it uses"),
        Step(r"-" + UOW + r"\,\left(\mathbf{1} - \sigma(" + UOW + r"^\top v_c)\right)", -A * one_minus_sigma(A, v),
             r"$\mathbf{1}$ is the $(K{+}1) \times 1$ vector of ones; $(d \times (K{+}1))\,((K{+}1) \times 1)$: "
             r"the columns weighted by the vector's entries"),
    ], target=grad(N.J, v), shape=("d", "1"), sizes=N.sizes, wrt=v, loss=N.J)
    ### END SOLUTION


def grad_stacked(N=None):
    """Eq. (g.6): ``dJ/dU_ow``, the gradient with respect to the stacked matrix, shape ``(d, K+1)``.

    The target treats the ``K+1`` columns of ``U_ow`` as independent variables
    ``x_0..x_K`` in ``J = -sum_k log sigma(x_k^T v_c)`` (eq. (g.1), stacked),
    differentiates, then puts ``U_ow`` back in.
    """
    if N is None:
        return in_worlds(grad_stacked, neg_sampling_symbols)
    ### BEGIN SOLUTION
    v, A = N.v_c, N.U_ow
    X = sp.Matrix(*A.shape, lambda i, k: sp.Symbol(f"x[{i},{k}]", real=True))
    J_of_X = -sum(sp.log(sigmoid(dot(X[:, k], v))) for k in range(X.shape[1]))
    return Derivation("g.6", "Negative sampling, vectorised: gradient with respect to the stacked matrix",
                      r"\frac{\partial J}{\partial " + UOW + "}", [
        Step(r"\left[-\left(1 - \sigma(x_0^\top v_c)\right)\,v_c\ \ \cdots\ \ "
             r"-\left(1 - \sigma(x_K^\top v_c)\right)\,v_c\right]",
             sp.Matrix.hstack(*[-(1 - sigmoid(dot(A[:, k], v))) * v for k in range(A.shape[1])]),
             r"column $x_k$ of $" + UOW + r"$ is in term $k$ of (g.1) only; as in (g.3)"),
        Step(r"-v_c\,\left(\mathbf{1} - \sigma(" + UOW + r"^\top v_c)\right)^\top", -v * one_minus_sigma(A, v).T,
             r"outer product $(d \times 1)(1 \times (K{+}1))$: column $k$ is $v_c$ times entry $k$"),
    ], target=grad(J_of_X, X).subs(dict(zip(X, A))), shape=("d", "K+1"), sizes=N.sizes, wrt=A, loss=N.J,
       target_latex="SymPy's derivative in the columns")
    ### END SOLUTION


def grad_repeated_negative(N=None):
    """Eq. (h.1): ``dJ/du_w`` for a word ``w != o`` drawn more than once, shape ``(d,)``."""
    if N is None:
        return in_worlds(grad_repeated_negative, neg_sampling_symbols)
    w = _repeated(N)
    ### BEGIN SOLUTION
    v, u_w = N.v_c, N.u(w)
    z = -dot(u_w, v)
    hits = [s for s, ws in enumerate(N.negatives, start=1) if ws == w]
    return Derivation("h.1", "Gradient with respect to a repeated negative sample",
                      r"\frac{\partial J}{\partial u_w}", [
        Step(r"-\sum_{s:\ w_s = w}\frac{\partial}{\partial u_w}\log\sigma(-u_w^\top v_c)",
             -_vector_sum((grad(sp.log(sigmoid(z)), u_w) for _ in hits), v.shape),
             r"$u_w$ is in every term whose sample is $w$, and not in the first ($w \neq o$)"),
        Step(r"\sum_{s:\ w_s = w}\left(1 - \sigma(-u_w^\top v_c)\right)\,v_c",
             _vector_sum(((1 - sigmoid(z)) * v for _ in hits), v.shape), "eq. (g.4) for each occurrence"),
        Step(r"n_w\,\left(1 - \sigma(-u_w^\top v_c)\right)\,v_c", len(hits) * (1 - sigmoid(z)) * v,
             r"the $n_w$ occurrences of $w$ give equal terms"),
    ], target=grad(N.J, u_w), shape=("d", "1"), sizes=N.sizes, wrt=u_w, loss=N.J,
       where=f"w = {w}, drawn n_w = {len(hits)} times", index=("w", [w]))
    ### END SOLUTION


### BEGIN SOLUTION
def selection(N):
    """``P = [e_o, -e_{w_1}, ..., -e_{w_K}]``, shape ``(|V|, K+1)``, so that ``U_ow = U P``."""
    e = sp.eye(N.V)
    return sp.Matrix.hstack(e[:, N.o], *[-e[:, w] for w in N.negatives])
### END SOLUTION


def grad_U(N=None):
    """Eq. (h.2): ``dJ/dU``, shape ``(d, |V|)``, for any negatives (repeated, or equal to ``o``).

    ``U_ow = U P`` (:func:`selection`), so the chain rule gives ``dJ/dU = (dJ/dU_ow) P^T``.
    """
    if N is None:
        return in_worlds(grad_U, neg_sampling_symbols)
    ### BEGIN SOLUTION
    v, u, A, P = N.v_c, N.u, N.U_ow, selection(N)
    e = sp.eye(N.V)
    return Derivation("h.2", "Gradient with respect to all outside vectors, for any negatives",
                      r"\frac{\partial J}{\partial U}", [
        Step(r"\frac{\partial J}{\partial " + UOW + r"}\,P^\top", grad_stacked(N).steps[-1].expr * P.T,
             r"$" + UOW + r" = U P$ with $P = [e_o, -e_{w_1}, \dots, -e_{w_K}]$ ($|V| \times (K{+}1)$): "
             r"chain rule through a linear map"),
        Step(r"-v_c\,\left(\mathbf{1} - \sigma(" + UOW + r"^\top v_c)\right)^\top P^\top",
             -v * one_minus_sigma(A, v).T * P.T, "eq. (g.6)"),
        Step(r"-\left(1 - \sigma(u_o^\top v_c)\right)\,v_c\,e_o^\top"
             r" + \sum_{s=1}^{K}\left(1 - \sigma(-u_{w_s}^\top v_c)\right)\,v_c\,e_{w_s}^\top",
             -(1 - sigmoid(dot(u(N.o), v))) * v * e[:, N.o].T
             + _vector_sum(((1 - sigmoid(-dot(u(w), v))) * v * e[:, w].T for w in N.negatives), N.U.shape),
             r"row $k$ of $P^\top$ is $\pm e_w^\top$: every occurrence adds its own term to column $w$"),
    ], target=grad(N.J, N.U), shape=("d", "|V|"), sizes=N.sizes, wrt=N.U, loss=N.J)
    ### END SOLUTION


def derivations(N=None):
    """Every derivation of parts (g) and (h), in chapter order."""
    return [loss_stacked(N), grad_v_c(N), grad_u_o(N), grad_u_w_s(N), grad_v_c_stacked(N),
            grad_stacked(N), grad_repeated_negative(N), grad_U(N)]
