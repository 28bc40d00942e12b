"""Derivations of parts (e) and (f): the Leaky ReLU and sigmoid derivatives.
### BEGIN SOLUTION

* eq. (e.1): ``f'(x) = 1`` for ``x > 0`` and ``alpha`` for ``x < 0``, where
  ``f(x) = max(alpha x, x)`` with ``0 < alpha < 1``;
* eqs. (e.2), (e.3): the one-sided derivatives at 0 are 1 and ``alpha``, so
  ``f`` has no derivative at 0;
* eq. (f.1): ``sigma'(x) = sigma(x) (1 - sigma(x))``.
### END SOLUTION

Eq. (f.2), ``1 - sigma(x) = sigma(-x)``, is not asked for: it is the identity that lets
parts (g) and (h) be written with either form.

Each function returns a :class:`~derivations.symbolic.engine.Derivation`; displaying it
checks it.
"""
import numpy as np
import sympy as sp

from ..engine import Derivation, Step, sigmoid
from ..equality import Sampler

x = sp.Symbol("x", real=True)
# The handout's 0 < alpha < 1 (max(alpha x, x) picks x for x > 0 only in that range),
# written alpha = 1/(1 + beta) with beta > 0: then SymPy knows alpha < 1, and every
# sampled point of the engine's numeric check has alpha in (0, 1).
beta = sp.Symbol("beta", positive=True)
alpha = 1 / (1 + beta)
h = sp.Symbol("h", positive=True)


def leaky_relu(z):
    """Part (e)'s ``f(z) = max(alpha z, z)`` as a SymPy expression."""
    return sp.Max(alpha * z, z)


def leaky_relu_derivative():
    """Eq. (e.1): the derivative of ``max(alpha x, x)`` away from 0 (a scalar)."""
    ### BEGIN SOLUTION
    return Derivation("e.1", r"The Leaky ReLU's derivative for $x \neq 0$", r"f'(x)", [
        Step(r"\frac{d}{dx}\max(\alpha x,\ x)", sp.diff(leaky_relu(x), x), r"definition of $f$"),
        Step(r"\begin{cases} \frac{d}{dx}\,x & x > 0 \\ \frac{d}{dx}\,\alpha x & x < 0 \end{cases}",
             sp.Piecewise((sp.Derivative(x, x).doit(), x > 0), (sp.Derivative(alpha * x, x).doit(), True)),
             r"$0<\alpha<1$, so $\alpha x < x$ exactly when $x > 0$"),
        Step(r"\begin{cases} 1 & x > 0 \\ \alpha & x < 0 \end{cases}",
             sp.Piecewise((1, x > 0), (alpha, True)), "differentiate each piece"),
    ], target=sp.diff(leaky_relu(x), x), sizes=None, wrt=x, loss=leaky_relu(x))
    ### END SOLUTION


def leaky_relu_right_derivative_at_0():
    """Eq. (e.2): the right derivative of ``f`` at 0 (a scalar)."""
    ### BEGIN SOLUTION
    quotient = (leaky_relu(h) - leaky_relu(0)) / h
    return Derivation("e.2", "The Leaky ReLU's right derivative at 0",
                      r"\lim_{h \to 0^+} \frac{f(h) - f(0)}{h}", [
        Step(r"\lim_{h \to 0^+} \frac{h - 0}{h}", sp.limit(h / h, h, 0, "+"), r"$h > 0$, so $f(h) = h$; $f(0) = 0$"),
        Step(r"1", sp.Integer(1), r"$h / h = 1$ for every $h > 0$"),
    ], target=sp.limit(quotient, h, 0, "+"), sizes=None, wrt=h, loss=leaky_relu(h),
       constant="a one-sided derivative at the point 0 is a number")
    ### END SOLUTION


def leaky_relu_left_derivative_at_0():
    """Eq. (e.3): the left derivative of ``f`` at 0 (a scalar)."""
    ### BEGIN SOLUTION
    quotient = (leaky_relu(-h) - leaky_relu(0)) / (-h)
    return Derivation("e.3", "The Leaky ReLU's left derivative at 0",
                      r"\lim_{h \to 0^+} \frac{f(-h) - f(0)}{-h}", [
        Step(r"\lim_{h \to 0^+} \frac{-\alpha h - 0}{-h}", sp.limit(-alpha * h / (-h), h, 0, "+"),
             r"$-h < 0$, so $f(-h) = -\alpha h$"),
        Step(r"\alpha", alpha, r"$\alpha h / h = \alpha$ for every $h > 0$"),
    ], target=sp.limit(quotient, h, 0, "+"), sizes=None, wrt=h, loss=leaky_relu(-h),
       constant="a one-sided derivative at the point 0 is a number")
    ### END SOLUTION


def sigmoid_derivative():
    """Eq. (f.1): ``sigma'(x)`` in terms of ``sigma(x)``, from ``sigma(x) = 1/(1 + e^{-x})`` (a scalar)."""
    ### BEGIN SOLUTION
    e = sp.exp(-x)
    return Derivation("f.1", r"The sigmoid's derivative in terms of $\sigma$", r"\sigma'(x)", [
        Step(r"\frac{d}{dx}\,(1 + e^{-x})^{-1}", sp.diff((1 + e) ** -1, x), r"definition of $\sigma$"),
        Step(r"-(1 + e^{-x})^{-2} \cdot (-e^{-x})", -(1 + e) ** -2 * (-e),
             r"chain rule: $\frac{d}{du} u^{-1} = -u^{-2}$ and $\frac{d}{dx} e^{-x} = -e^{-x}$"),
        Step(r"\frac{e^{-x}}{(1 + e^{-x})^{2}}", e / (1 + e) ** 2, "the two minus signs cancel"),
        Step(r"\frac{1}{1 + e^{-x}} \cdot \frac{e^{-x}}{1 + e^{-x}}",
             sp.Mul(1 / (1 + e), e / (1 + e), evaluate=False), "split the square"),
        Step(r"\frac{1}{1 + e^{-x}} \cdot \left(1 - \frac{1}{1 + e^{-x}}\right)",
             1 / (1 + e) * (1 - 1 / (1 + e)), r"$e^{-x} = (1 + e^{-x}) - 1$"),
        Step(r"\sigma(x)\,\left(1 - \sigma(x)\right)", sigmoid(x) * (1 - sigmoid(x)), r"definition of $\sigma$"),
    ], target=sp.diff(sigmoid(x), x), sizes=None, wrt=x, loss=sigmoid(x))
    ### END SOLUTION


def one_minus_sigmoid():
    """Eq. (f.2): ``1 - sigma(x) = sigma(-x)`` (a scalar), the two forms of (g)'s weights."""
    e = sp.exp(-x)
    return Derivation("f.2", r"One minus the sigmoid is the sigmoid of the negative", r"1 - \sigma(x)", [
        Step(r"1 - \frac{1}{1 + e^{-x}}", 1 - 1 / (1 + e), r"definition of $\sigma$"),
        Step(r"\frac{e^{-x}}{1 + e^{-x}}", e / (1 + e), r"common denominator: $(1 + e^{-x}) - 1 = e^{-x}$"),
        Step(r"\frac{1}{e^{x} + 1}", 1 / (sp.exp(x) + 1), r"multiply top and bottom by $e^{x}$"),
        Step(r"\sigma(-x)", sigmoid(-x), r"definition of $\sigma$ at $-x$: $1 / (1 + e^{-(-x)})$"),
    ], target=1 - sigmoid(x), target_latex=r"$1 - \sigma(x)$, the left-hand side", sizes=None)


def sampled_alphas(derivation=None):
    """The slopes ``alpha`` at the points where the engine checks (e.1) numerically, shape ``(points,)``.

    The engine draws one set of points for a derivation's free symbols (``x`` and ``beta``)
    from its ``points`` and ``seed``; the same :class:`~derivations.symbolic.equality.Sampler`
    here gives the same points, and ``alpha = 1/(1 + beta)`` at each.
    """
    d = leaky_relu_derivative() if derivation is None else derivation
    symbols = set().union(*(s.expr.free_symbols for s in d.steps), d.target.free_symbols)
    sampler = Sampler(symbols, d.points, d.seed)
    to_alpha = sp.lambdify(beta, alpha)
    return np.array([to_alpha(sampler.point(p)[beta.name]) for p in range(d.points)])


def derivations():
    """Every derivation of parts (e) and (f), in chapter order."""
    return [leaky_relu_derivative(), leaky_relu_right_derivative_at_0(),
            leaky_relu_left_derivative_at_0(), sigmoid_derivative(), one_minus_sigmoid()]
