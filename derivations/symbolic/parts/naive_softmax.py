"""Derivations of parts (a)-(d): the naive-softmax loss and its gradients.

With ``y_hat = softmax(U^T v_c)`` (shape ``|V| x 1``), ``y`` one-hot at ``o``:
### BEGIN SOLUTION

* eq. (a.1) ``-sum_w y_w log y_hat_w = -log y_hat_o = J_naive-softmax``;
* eq. (b.1) ``dJ/dv_c = -u_o + sum_x y_hat_x u_x = U (y_hat - y)`` (shape ``d x 1``);
* eq. (c.1) ``dJ/du_o = (y_hat_o - 1) v_c`` and eq. (c.2) ``dJ/du_w = y_hat_w v_c``
  for ``w != o`` (shape ``d x 1``);
* eq. (d.1) ``dJ/dU = v_c (y_hat - y)^T`` (shape ``d x |V|``).
### END SOLUTION

Each derivation is built on a symbols namespace ``S``; without one it is built in every
world of :data:`~derivations.symbolic.symbols.WORLDS` (:func:`~derivations.symbolic.engine.in_worlds`)
and checked in all of them when shown. (c.2) is checked for every ``w != o`` at once: its
steps stack the ``|V| - 1`` column gradients side by side.
"""
import sympy as sp

from ..engine import Derivation, Step, grad, in_worlds, naive_softmax_symbols

SUM_EXP = r"\sum_{x \in \text{Vocab}} \exp(u_x^\top v_c)"


def _vsum(terms, d):
    return sum(terms, sp.zeros(d, 1))


def cross_entropy(S=None):
    """Eq. (a.1): cross-entropy with a one-hot ``y`` is the naive-softmax loss."""
    if S is None:
        return in_worlds(cross_entropy, naive_softmax_symbols)
    o, y, y_hat = S.o, S.y, S.y_hat
    ### BEGIN SOLUTION
    others = [w for w in range(S.V) if w != o]
    return Derivation("a.1", "Naive-softmax loss is the cross-entropy of y and ŷ",
                      r"-\sum_{w \in \text{Vocab}} y_w \log \hat y_w", [
        Step(r"-y_o \log \hat y_o - \sum_{w \neq o} y_w \log \hat y_w",
             -y[o] * sp.log(y_hat[o]) - sum(y[w] * sp.log(y_hat[w]) for w in others),
             r"split off the term $w = o$; each term is a scalar"),
        Step(r"-1 \cdot \log \hat y_o - \sum_{w \neq o} 0 \cdot \log \hat y_w",
             -1 * sp.log(y_hat[o]) - sum(0 * sp.log(y_hat[w]) for w in others),
             r"$y$ ($|V| \times 1$) is one-hot: $y_o = 1$, $y_w = 0$ for $w \neq o$"),
        Step(r"-\log \hat y_o", -sp.log(y_hat[o]), "the zero terms vanish"),
        Step(r"-\log \frac{\exp(u_o^\top v_c)}{" + SUM_EXP + "}",
             -sp.log(S.exp_scores[o] / S.Z),
             r"$\hat y_o = P(O = o \mid C = c)$, the softmax of the scores $U^\top v_c$ ($|V| \times 1$)"),
    ], target=S.J, shape=("1", "1"), target_latex=r"$J_{\text{naive-softmax}}$", sizes=S.sizes)
    ### END SOLUTION


def grad_v_c(S=None):
    """Eq. (b.1): ``dJ/dv_c``, shape ``d x 1``.

    ### BEGIN SOLUTION
    ``dJ/dv_c = U (y_hat - y)``.
    ### END SOLUTION
    """
    if S is None:
        return in_worlds(grad_v_c, naive_softmax_symbols)
    U, u, v_c, o, d = S.U, S.u, S.v_c, S.o, S.d
    ### BEGIN SOLUTION
    s = S.scores
    return Derivation("b.1", "Gradient of the naive-softmax loss with respect to the centre vector",
                      r"\frac{\partial J}{\partial v_c}", [
        Step(r"-\frac{\partial}{\partial v_c} \log \exp(u_o^\top v_c)"
             r" + \frac{\partial}{\partial v_c} \log " + SUM_EXP,
             -grad(sp.log(sp.exp(s[o])), v_c) + grad(sp.log(S.Z), v_c),
             r"$J = -\log \hat y_o$ and the log of a quotient; both terms are scalars, "
             r"so each gradient is $d \times 1$ like $v_c$"),
        Step(r"-\frac{\partial (u_o^\top v_c)}{\partial v_c}"
             r" + \frac{1}{" + SUM_EXP + r"} \sum_{x \in \text{Vocab}} \frac{\partial}{\partial v_c} \exp(u_x^\top v_c)",
             -grad(s[o], v_c) + _vsum((grad(S.exp_scores[x], v_c) for x in range(S.V)), d) / S.Z,
             r"$\log \exp(t) = t$; chain rule $\partial \log f = \frac{1}{f}\, \partial f$ with the scalar "
             r"$f = \sum_x \exp(u_x^\top v_c)$"),
        Step(r"-u_o + \frac{\sum_{x \in \text{Vocab}} \exp(u_x^\top v_c)\, u_x}{" + SUM_EXP + "}",
             -u(o) + _vsum((S.exp_scores[x] * u(x) for x in range(S.V)), d) / S.Z,
             r"$\frac{\partial (u_x^\top v_c)}{\partial v_c} = u_x$ ($d \times 1$); "
             r"chain rule on $\exp$"),
        Step(r"-u_o + \sum_{x \in \text{Vocab}} \hat y_x\, u_x",
             -u(o) + _vsum((S.y_hat[x] * u(x) for x in range(S.V)), d),
             r"$\hat y_x = \exp(u_x^\top v_c) / \sum_w \exp(u_w^\top v_c)$, a scalar"),
        Step(r"-U y + U \hat y", -U * S.y + U * S.y_hat,
             r"$U$ is $d \times |V|$ with columns $u_x$; $U y = u_o$ since $y$ ($|V| \times 1$) "
             r"is one-hot; $U \hat y = \sum_x \hat y_x u_x$"),
        Step(r"U (\hat y - y)", U * (S.y_hat - S.y),
             r"factor out $U$: $(d \times |V|)(|V| \times 1) = d \times 1$"),
    ], target=grad(S.J, v_c), shape=("d", "1"), target_latex=r"SymPy's $\partial J / \partial v_c$",
       sizes=S.sizes, wrt=v_c, loss=S.J)
    ### END SOLUTION


def grad_u_o(S=None):
    """Eq. (c.1): ``dJ/du_o``, shape ``d x 1``.

    ### BEGIN SOLUTION
    ``dJ/du_o = (y_hat_o - 1) v_c``.
    ### END SOLUTION
    """
    if S is None:
        return in_worlds(grad_u_o, naive_softmax_symbols)
    u, v_c, o = S.u, S.v_c, S.o
    ### BEGIN SOLUTION
    s = S.scores
    return Derivation("c.1", "Gradient with respect to the true outside vector (w = o)",
                      r"\frac{\partial J}{\partial u_o}", [
        Step(r"-\frac{\partial (u_o^\top v_c)}{\partial u_o} + \frac{\partial}{\partial u_o} \log " + SUM_EXP,
             -grad(s[o], u(o)) + grad(sp.log(S.Z), u(o)),
             r"$J = -u_o^\top v_c + \log \sum_x \exp(u_x^\top v_c)$; gradients with respect to "
             r"$u_o$ ($d \times 1$) are $d \times 1$"),
        Step(r"-v_c + \frac{\exp(u_o^\top v_c)}{" + SUM_EXP + r"}\, v_c",
             -v_c + S.exp_scores[o] / S.Z * v_c,
             r"$\frac{\partial (u_o^\top v_c)}{\partial u_o} = v_c$ ($d \times 1$); in the sum only "
             r"the term $x = o$ depends on $u_o$"),
        Step(r"-v_c + \hat y_o\, v_c", -v_c + S.y_hat[o] * v_c,
             r"$\hat y_o$ is a scalar, so $\hat y_o v_c$ is $d \times 1$ (no transpose)"),
        Step(r"(\hat y_o - 1)\, v_c", (S.y_hat[o] - 1) * v_c, r"factor out $v_c$"),
    ], target=grad(S.J, u(o)), shape=("d", "1"), target_latex=r"SymPy's $\partial J / \partial u_o$",
       sizes=S.sizes, wrt=u(o), loss=S.J)
    ### END SOLUTION


def grad_u_w(S=None):
    """Eq. (c.2): ``dJ/du_w`` for every ``w != o``, each ``d x 1``.

    ### BEGIN SOLUTION
    ``dJ/du_w = y_hat_w v_c``.
    ### END SOLUTION

    Checked for all ``w != o`` at once: each step's value is the ``d x (|V|-1)``
    matrix whose columns are that step for ``w`` running over the other words.
    """
    if S is None:
        return in_worlds(grad_u_w, naive_softmax_symbols)
    u, v_c, o = S.u, S.v_c, S.o
    ### BEGIN SOLUTION
    s, others = S.scores, [w for w in range(S.V) if w != o]
    each = lambda f: sp.Matrix.hstack(*[f(w) for w in others])
    return Derivation("c.2", "Gradient with respect to any other outside vector (w ≠ o), "
                      "each d × 1, checked for every w ≠ o at once",
                      r"\frac{\partial J}{\partial u_w}", [
        Step(r"-\frac{\partial (u_o^\top v_c)}{\partial u_w} + \frac{\partial}{\partial u_w} \log " + SUM_EXP,
             each(lambda w: -grad(s[o], u(w)) + grad(sp.log(S.Z), u(w))),
             r"as in (c.1), with $u_w$ ($d \times 1$) for some $w \neq o$"),
        Step(r"0 + \frac{1}{" + SUM_EXP + r"} \exp(u_w^\top v_c)\, v_c",
             each(lambda w: sp.zeros(S.d, 1) + S.exp_scores[w] * v_c / S.Z),
             r"$u_o^\top v_c$ does not involve $u_w$ (zero $d \times 1$ gradient); in the sum "
             r"only the term $x = w$ does, with gradient $\exp(u_w^\top v_c)\, v_c$"),
        Step(r"\hat y_w\, v_c", each(lambda w: S.y_hat[w] * v_c),
             r"$\hat y_w$ is a scalar: $\hat y_w v_c$ is $d \times 1$"),
    ], target=each(lambda w: grad(S.J, u(w))), target_latex=r"SymPy's $\partial J / \partial u_w$",
       sizes=S.sizes, wrt=each(u), loss=S.J, where=f"every w in {others}", index=("w", others))
    ### END SOLUTION


def grad_U(S=None):
    """Eq. (d.1): ``dJ/dU``, shape ``d x |V|``.

    ### BEGIN SOLUTION
    ``dJ/dU = v_c (y_hat - y)^T``.
    ### END SOLUTION
    """
    if S is None:
        return in_worlds(grad_U, naive_softmax_symbols)
    u, v_c, o = S.u, S.v_c, S.o
    ### BEGIN SOLUTION
    columns = lambda f: sp.Matrix.hstack(*[f(w) for w in range(S.V)])
    return Derivation("d.1", "Gradient with respect to all outside vectors U",
                      r"\frac{\partial J}{\partial U}", [
        Step(r"\begin{bmatrix} \frac{\partial J}{\partial u_1} & \cdots & "
             r"\frac{\partial J}{\partial u_{|V|}} \end{bmatrix}",
             columns(lambda w: grad(S.J, u(w))),
             r"column $w$ of $\partial J / \partial U$ ($d \times |V|$) is "
             r"$\partial J / \partial u_w$ ($d \times 1$)"),
        Step(r"\begin{bmatrix} \hat y_1 v_c & \cdots & (\hat y_o - 1) v_c & \cdots & "
             r"\hat y_{|V|} v_c \end{bmatrix}",
             columns(lambda w: (S.y_hat[w] - 1) * v_c if w == o else S.y_hat[w] * v_c),
             r"(c.1) for the column $o$, (c.2) for every other column"),
        Step(r"\begin{bmatrix} (\hat y_1 - y_1)\, v_c & \cdots & (\hat y_{|V|} - y_{|V|})\, v_c "
             r"\end{bmatrix}",
             columns(lambda w: (S.y_hat[w] - S.y[w]) * v_c),
             r"$y_o = 1$ and $y_w = 0$ otherwise"),
        Step(r"v_c\, (\hat y - y)^\top", v_c * (S.y_hat - S.y).T,
             r"an outer product: $(d \times 1)(1 \times |V|) = d \times |V|$"),
    ], target=grad(S.J, S.U), shape=("d", "|V|"), target_latex=r"SymPy's $\partial J / \partial U$",
       sizes=S.sizes, wrt=S.U, loss=S.J)
    ### END SOLUTION


def derivations():
    """Every derivation of parts (a)-(d), in chapter order."""
    return [cross_entropy(), grad_v_c(), grad_u_o(), grad_u_w(), grad_U()]
