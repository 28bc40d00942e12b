"""Parts (e) and (f): the derivations check and NumPy's functions follow their final formulas."""
import numpy as np
import pytest
import sympy as sp

import derivations as D
from derivations.symbolic.parts import all_derivations
from derivations.symbolic.engine import Derivation, Step, StepFailed, sigmoid
from derivations.symbolic.parts import activations as act


@pytest.mark.slow   # the first call builds every derivation in every world: seconds
@pytest.mark.parametrize("label", ['e.1', 'e.2', 'e.3', 'f.1', 'f.2'])
def test_every_derivation_checks(label):
    derivation = all_derivations()[label]      # built once per process, in every world
    assert len(derivation.check().rows) == len(derivation.steps)


def test_leaky_relu_derivative_matches_e1_off_zero_and_is_undefined_at_zero():
    xs = np.random.default_rng(0).normal(size=50)
    for a in (0.01, 0.2, 0.9):
        formula = sp.lambdify(act.x, act.leaky_relu_derivative().steps[-1].expr.subs(act.beta, 1 / a - 1))
        np.testing.assert_allclose(D.leaky_relu_derivative(xs, alpha=a), [float(formula(x)) for x in xs], rtol=1e-12)
        assert np.isnan(D.leaky_relu_derivative(0.0, alpha=a))
    # (e.2) and (e.3): the two one-sided slopes at 0 differ for every alpha in (0, 1).
    right = act.leaky_relu_right_derivative_at_0().steps[-1].expr
    left = act.leaky_relu_left_derivative_at_0().steps[-1].expr
    assert right == 1 and sp.simplify(left - act.alpha) == 0 and (left < 1) == sp.true


def test_sigmoid_derivative_matches_f1():
    xs = np.linspace(-30, 30, 61)
    formula = sp.lambdify(act.x, act.sigmoid_derivative().steps[-1].expr)
    s = D.sigmoid(xs)
    np.testing.assert_allclose(s * (1 - s), formula(xs), rtol=1e-9, atol=1e-300)
    # and both equal a central difference of the NumPy sigmoid (rounding error ~1e-16 / h)
    h = 1e-6
    np.testing.assert_allclose((D.sigmoid(xs + h) - D.sigmoid(xs - h)) / (2 * h), s * (1 - s), atol=1e-9)


def test_a_wrong_sigmoid_derivative_is_caught():
    wrong = Derivation("f.1?", "sigma (1 + sigma)", r"\sigma'(x)",
                       [Step(r"\sigma(x)(1 + \sigma(x))", sigmoid(act.x) * (1 + sigmoid(act.x)))],
                       target=sp.diff(sigmoid(act.x), act.x))
    with pytest.raises(StepFailed):
        wrong.check()


def test_f2_holds_where_numpy_evaluates_both_sides():
    # (f.2)'s last step, 1 - sigma(x) = sigma(-x), against the library's sigmoid far into both tails
    xs = np.linspace(-30, 30, 61)
    formula = sp.lambdify(act.x, act.one_minus_sigmoid().steps[-1].expr)
    np.testing.assert_allclose(formula(xs), D.sigmoid(-xs), rtol=1e-12)
    np.testing.assert_allclose(1 - D.sigmoid(xs[xs < 5]), D.sigmoid(-xs[xs < 5]), rtol=1e-9)


def test_a_wrong_identity_is_caught():
    # The slip a student makes: 1 - sigma(x) = sigma(1 - x)
    wrong = Derivation("f.2?", "1 - sigma(x) = sigma(1 - x)", r"1 - \sigma(x)", [
        Step(r"1 - \frac{1}{1 + e^{-x}}", 1 - 1 / (1 + sp.exp(-act.x))),
        Step(r"\sigma(1 - x)", sigmoid(1 - act.x))], sizes=None)
    with pytest.raises(StepFailed):
        wrong.check()


def test_the_printed_slopes_are_the_ones_the_check_draws():
    d = act.leaky_relu_derivative()
    alphas = act.sampled_alphas(d)
    assert alphas.shape == (d.points,) and ((0 < alphas) & (alphas < 1)).all()
    # a changed seed draws other points, so the helper follows the derivation's own seed
    d.seed = 1
    assert not np.allclose(act.sampled_alphas(d), alphas)
