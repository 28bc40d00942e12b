"""Derivations of parts (a)-(d): the naive-softmax loss and its gradients.

With ``y_hat = softmax(U^T v_c)`` (shape ``|V| x 1``), ``y`` one-hot at ``o``:
### BEGIN SOLUTION

* eq. (a.1) ``-sum_w y_w log y_hat_w = -log y_hat_o = J_naive-softmax``;
* eq. (b.1) ``dJ/dv_c = -u_o + sum_x y_hat_x u_x = U (y_hat - y)`` (shape ``d x 1``);
* eq. (c.1) ``dJ/du_o = (y_hat_o - 1) v_c`` and eq. (c.2) ``dJ/du_w = y_hat_w v_c``
  for ``w != o`` (shape ``d x 1``);
* eq. (d.1) ``dJ/dU = v_c (y_hat - y)^T`` (shape ``d x |V|``);
* the softmax-gradient lemma (L) ``dJ/dtheta = y_hat - y`` for the scores ``theta = U^T v_c``
  (shape ``|V| x 1``), and (b), (c), (d) again from it by the chain rule: eq. (b.2)
  ``dJ/dv_c = U dJ/dtheta``, eq. (c.3) ``dJ/du_w = (dJ/dtheta_w) v_c``, eq. (d.2)
  ``dJ/dU = v_c (dJ/dtheta)^T``.
### END SOLUTION

Each derivation is built on a symbols namespace ``S``; without one it is built in every
world of :data:`~derivations.symbolic.symbols.WORLDS` (:func:`~derivations.symbolic.engine.in_worlds`)
and checked in all of them when shown. (c.2) is checked for every ``w != o`` at once: its
steps stack the ``|V| - 1`` column gradients side by side.

The lemma (L) is checked with the scores as free symbols (:func:`scores_symbols`): it holds
for every ``theta``, not only for scores of the form ``U^T v_c``. The second routes (b.2),
(c.3), (d.2) use SymPy's own ``dJ/dtheta`` evaluated at ``theta = U^T v_c``, so their first
step is the chain rule itself, checked against SymPy's derivative of ``J`` in ``v_c`` or ``U``.
"""
from types import SimpleNamespace

import sympy as sp

from ..engine import SIZES, Derivation, Step, grad, in_worlds, naive_softmax_symbols

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
        Step(r"\begin{bmatrix} \frac{\partial J}{\partial u_0} & \cdots & "
             r"\frac{\partial J}{\partial u_{|V|-1}} \end{bmatrix}",
             columns(lambda w: grad(S.J, u(w))),
             r"column $w$ of $\partial J / \partial U$ ($d \times |V|$) is "
             r"$\partial J / \partial u_w$ ($d \times 1$)"),
        Step(r"\begin{bmatrix} \hat y_0 v_c & \cdots & (\hat y_o - 1) v_c & \cdots & "
             r"\hat y_{|V|-1} v_c \end{bmatrix}",
             columns(lambda w: (S.y_hat[w] - 1) * v_c if w == o else S.y_hat[w] * v_c),
             r"(c.1) for the column $o$, (c.2) for every other column"),
        Step(r"\begin{bmatrix} (\hat y_0 - y_0)\, v_c & \cdots & (\hat y_{|V|-1} - y_{|V|-1})\, v_c "
             r"\end{bmatrix}",
             columns(lambda w: (S.y_hat[w] - S.y[w]) * v_c),
             r"$y_o = 1$ and $y_w = 0$ otherwise"),
        Step(r"v_c\, (\hat y - y)^\top", v_c * (S.y_hat - S.y).T,
             r"an outer product: $(d \times 1)(1 \times |V|) = d \times |V|$"),
    ], target=grad(S.J, S.U), shape=("d", "|V|"), target_latex=r"SymPy's $\partial J / \partial U$",
       sizes=S.sizes, wrt=S.U, loss=S.J)
    ### END SOLUTION


def scores_symbols(sizes=SIZES):
    """The loss as a function of free scores ``theta`` (``|V| x 1``), for the lemma (L).

    Returns a namespace with ``theta`` (entry ``w`` the real symbol ``theta[w]``), ``o``, ``V``,
    ``y_hat = softmax(theta)`` and ``y`` (one-hot at ``o``), both ``|V| x 1``, and the scalar
    ``J = -log y_hat_o``: eq. (a.1) with ``U^T v_c`` replaced by ``theta``.
    """
    theta = sp.Matrix(sizes.V, 1, lambda w, _: sp.Symbol(f"theta[{w}]", real=True))
    exp_theta = theta.applyfunc(sp.exp)
    y_hat = exp_theta / sum(exp_theta)
    y = sp.Matrix(sizes.V, 1, lambda w, _: 1 if w == sizes.o else 0)
    return SimpleNamespace(sizes=sizes, V=sizes.V, o=sizes.o, theta=theta, exp_theta=exp_theta,
                           y_hat=y_hat, y=y, J=-sp.log(y_hat[sizes.o]))


def softmax_lemma(S=None):
    """The lemma (L): ``dJ/dtheta = y_hat - y`` for ``J = -log softmax(theta)_o``, shape ``|V| x 1``."""
    if S is None:
        return in_worlds(softmax_lemma, scores_symbols)
    theta, o = S.theta, S.o
    ### BEGIN SOLUTION
    Z = sum(S.exp_theta)
    sum_exp = r"\sum_{x \in \text{Vocab}} \exp(\theta_x)"
    return Derivation("L", "The softmax-gradient lemma: the gradient with respect to the scores θ",
                      r"\frac{\partial J}{\partial \theta}", [
        Step(r"-\frac{\partial \theta_o}{\partial \theta} + \frac{\partial}{\partial \theta} \log " + sum_exp,
             -grad(theta[o], theta) + grad(sp.log(Z), theta),
             r"$J = -\log \hat y_o$ and the log of a quotient; each gradient is $|V| \times 1$ like $\theta$"),
        Step(r"-y + \frac{1}{" + sum_exp + r"} \sum_{x \in \text{Vocab}} \exp(\theta_x)\, "
             r"\frac{\partial \theta_x}{\partial \theta}",
             -S.y + sum((S.exp_theta[x] * grad(theta[x], theta) for x in range(S.V)), sp.zeros(S.V, 1)) / Z,
             r"$\partial \theta_o / \partial \theta$ is one-hot at $o$, that is $y$; chain rule on log, then exp"),
        Step(r"-y + \hat y", -S.y + S.y_hat,
             r"each $\partial \theta_x / \partial \theta$ is one-hot at $x$, so this is the softmax of $\theta$"),
        Step(r"\hat y - y", S.y_hat - S.y, "reorder"),
    ], target=grad(S.J, theta), shape=("|V|", "1"), target_latex=r"SymPy's $\partial J / \partial \theta$",
       sizes=S.sizes, wrt=theta, loss=S.J)
    ### END SOLUTION


def _dJ_dtheta_at_scores(S):
    """SymPy's ``dJ/dtheta`` of :func:`scores_symbols`, evaluated at ``theta = U^T v_c`` of ``S`` (``|V| x 1``)."""
    T = scores_symbols(S.sizes)
    return grad(T.J, T.theta).subs(dict(zip(T.theta, S.scores)))


def _by_lemma(S, label, title, lhs_latex, chain_rule, lemma_form, **kwargs):
    """A second route: two steps, ``(latex, value, why)`` each, from the chain rule to the lemma's form."""
    return Derivation(label, title, lhs_latex, [Step(*chain_rule), Step(*lemma_form)],
                      sizes=S.sizes, loss=S.J, **kwargs)


def grad_v_c_by_lemma(S=None):
    """Eq. (b.2): ``dJ/dv_c`` from the lemma by the chain rule, shape ``d x 1``."""
    if S is None:
        return in_worlds(grad_v_c_by_lemma, naive_softmax_symbols)
    ### BEGIN SOLUTION
    return _by_lemma(
        S, "b.2", "The gradient with respect to the centre vector, again from the lemma", r"\frac{\partial J}{\partial v_c}",
        (r"U \frac{\partial J}{\partial \theta}", S.U * _dJ_dtheta_at_scores(S),
         r"chain rule: $\theta_w = u_w^\top v_c$ has gradient $u_w$, so each $\partial J / \partial \theta_w$ "
         r"weights column $w$ of $U$; $d \times 1$"),
        (r"U (\hat y - y)", S.U * (S.y_hat - S.y), "the lemma (L)"),
        target=grad(S.J, S.v_c), shape=("d", "1"), target_latex=r"SymPy's $\partial J / \partial v_c$",
        wrt=S.v_c)
    ### END SOLUTION


def grad_u_w_by_lemma(S=None):
    """Eq. (c.3): ``dJ/du_w`` for every word ``w`` (``o`` included) from the lemma, each ``d x 1``.

    Checked for all ``w`` at once: each step's value puts the ``|V|`` column gradients side by side.
    """
    if S is None:
        return in_worlds(grad_u_w_by_lemma, naive_softmax_symbols)
    words = list(range(S.V))
    each = lambda f: sp.Matrix.hstack(*[f(w) for w in words])
    ### BEGIN SOLUTION
    dJ_dtheta = _dJ_dtheta_at_scores(S)
    return _by_lemma(
        S, "c.3", "The gradient with respect to any outside vector (o included), again from the lemma",
        r"\frac{\partial J}{\partial u_w}",
        (r"\frac{\partial J}{\partial \theta_w}\, v_c", each(lambda w: dJ_dtheta[w] * S.v_c),
         r"chain rule: of the scores, only $\theta_w = u_w^\top v_c$ depends on $u_w$, with gradient "
         r"$v_c$ ($d \times 1$), times the scalar $\partial J / \partial \theta_w$"),
        (r"(\hat y_w - y_w)\, v_c", each(lambda w: (S.y_hat[w] - S.y[w]) * S.v_c),
         r"entry $w$ of the lemma (L); $y_w = 1$ for $w = o$ gives (c.1), $y_w = 0$ gives (c.2)"),
        target=each(lambda w: grad(S.J, S.u(w))), target_latex=r"SymPy's $\partial J / \partial u_w$",
        wrt=each(S.u), where=f"every w in {words}", index=("w", words))
    ### END SOLUTION


def grad_U_by_lemma(S=None):
    """Eq. (d.2): ``dJ/dU`` from the lemma by the chain rule, shape ``d x |V|``."""
    if S is None:
        return in_worlds(grad_U_by_lemma, naive_softmax_symbols)
    ### BEGIN SOLUTION
    return _by_lemma(
        S, "d.2", "The gradient with respect to all outside vectors U, again from the lemma", r"\frac{\partial J}{\partial U}",
        (r"v_c \left(\frac{\partial J}{\partial \theta}\right)^\top", S.v_c * _dJ_dtheta_at_scores(S).T,
         r"column $w$ is (c.3)'s $\frac{\partial J}{\partial \theta_w} v_c$; side by side they are "
         r"the outer product $(d \times 1)(1 \times |V|) = d \times |V|$"),
        (r"v_c\, (\hat y - y)^\top", S.v_c * (S.y_hat - S.y).T, "the lemma (L)"),
        target=grad(S.J, S.U), shape=("d", "|V|"), target_latex=r"SymPy's $\partial J / \partial U$", wrt=S.U)
    ### END SOLUTION


def derivations():
    """Every derivation of parts (a)-(d), in chapter order (the lemma's routes after the direct ones)."""
    return [cross_entropy(), grad_v_c(), softmax_lemma(), grad_v_c_by_lemma(), grad_u_o(), grad_u_w(),
            grad_u_w_by_lemma(), grad_U(), grad_U_by_lemma()]
