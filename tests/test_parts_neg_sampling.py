"""Parts (g) and (h): every derivation checks, its final formula is what NumPy computes,
and the answer that counts a repeated negative once is caught."""
import numpy as np
import pytest
import sympy as sp

import derivations as D
from derivations.symbolic.parts import all_derivations
from derivations.symbolic.engine import Derivation, Sizes, Step, StepFailed, grad, neg_sampling_symbols, sigmoid
from derivations.symbolic.parts import neg_sampling as ns

# (o, negatives): the engine's default with word 1 twice; o among the negatives; o and 4 repeated.
CONFIGS = [(2, (1, 3, 1)), (2, (2, 1, 2)), (0, (4, 4, 4, 0, 1))]


def final(derivation):
    return derivation.steps[-1].expr


def compiled(N, expr):
    """``expr`` as a NumPy function of ``v_c`` (d,) and ``U`` (d, |V|)."""
    f = sp.lambdify([list(N.v_c), list(N.U)], expr, "numpy")
    return lambda v_c, U: np.array(f(list(v_c), list(U.reshape(-1))), dtype=float)


@pytest.mark.slow   # the first call builds every derivation in every world: seconds
@pytest.mark.parametrize("label", ['g.1', 'g.2', 'g.3', 'g.4', 'g.5', 'g.6', 'h.1', 'h.2'])
def test_every_derivation_checks(label):
    derivation = all_derivations()[label]      # built once per process, in every world
    report = derivation.check()
    assert len(report.rows) == len(derivation.steps)   # every step, then the target


@pytest.mark.slow   # five derivations per configuration: seconds
@pytest.mark.parametrize("o, negatives", CONFIGS)
def test_general_derivations_check_with_repeats_and_o_among_negatives(o, negatives):
    N = neg_sampling_symbols(Sizes(o=o, negatives=negatives))
    for build in (ns.loss_stacked, ns.grad_v_c, ns.grad_v_c_stacked, ns.grad_stacked, ns.grad_U):
        build(N).check()


@pytest.mark.parametrize("o, negatives", CONFIGS)
def test_numpy_implementation_equals_the_final_formulas(o, negatives):
    N = neg_sampling_symbols(Sizes(o=o, negatives=negatives))
    loss_f, grad_v_c_f, grad_v_c_stacked_f, grad_U_f = (
        compiled(N, final(build(N))) for build in (ns.loss_stacked, ns.grad_v_c, ns.grad_v_c_stacked, ns.grad_U))
    rng = np.random.default_rng(o + len(negatives))
    for _ in range(5):
        v_c, U = rng.normal(size=3), rng.normal(size=(3, 5))
        loss, grad_v_c, grad_U = D.neg_sampling_loss_and_gradient(v_c, o, U, list(negatives))
        np.testing.assert_allclose(loss, loss_f(v_c, U), rtol=1e-12)
        np.testing.assert_allclose(grad_v_c, grad_v_c_f(v_c, U).ravel(), rtol=1e-12)
        np.testing.assert_allclose(grad_v_c, grad_v_c_stacked_f(v_c, U).ravel(), rtol=1e-12)
        np.testing.assert_allclose(grad_U, grad_U_f(v_c, U), rtol=1e-12, atol=1e-15)


def test_numpy_columns_equal_g3_g4_and_h1():
    N = neg_sampling_symbols()                        # o = 2, negatives = (1, 3, 1)
    rng = np.random.default_rng(7)
    v_c, U = rng.normal(size=3), rng.normal(size=(3, 5))
    _, _, grad_U = D.neg_sampling_loss_and_gradient(v_c, N.o, U, list(N.negatives))
    for build, column in ((ns.grad_u_o, 2), (ns.grad_u_w_s, 3), (ns.grad_repeated_negative, 1)):
        np.testing.assert_allclose(grad_U[:, column], compiled(N, final(build(N)))(v_c, U).ravel(), rtol=1e-12)


def test_counting_a_repeated_negative_once_is_caught():
    N = neg_sampling_symbols()
    u_1, v = N.u(1), N.v_c
    once = Derivation("h.1?", "the (g.4) answer used for a repeated word", r"\frac{\partial J}{\partial u_w}",
                      [Step(r"(1 - \sigma(-u_w^\top v_c))\,v_c", (1 - sigmoid(-(u_1.T * v)[0])) * v)],
                      target=grad(N.J, u_1))
    with pytest.raises(StepFailed) as failure:
        once.check()
    assert failure.value.step_index == 1 and failure.value.point is not None


def test_a_wrong_sign_in_the_vectorised_form_is_caught():
    N = neg_sampling_symbols()
    plus = Derivation("g.5?", "sign flipped", r"\frac{\partial J}{\partial v_c}",
                      [Step(r"U_{o,\{w_1,\dots,w_K\}}\,(1 - \sigma(\cdot))", N.U_ow * ns.one_minus_sigma(N.U_ow, N.v_c))],
                      target=grad(N.J, N.v_c))
    with pytest.raises(StepFailed):
        plus.check()


def test_assumptions_of_g3_g4_h1_are_enforced():
    with pytest.raises(ValueError, match="o is not a negative sample"):
        ns.grad_u_o(neg_sampling_symbols(Sizes(o=2, negatives=(2, 1, 2))))
    with pytest.raises(ValueError, match="drawn once"):
        ns.grad_u_w_s(neg_sampling_symbols(Sizes(o=2, negatives=(1, 1))))
    with pytest.raises(ValueError, match="repeat a word"):
        ns.grad_repeated_negative(neg_sampling_symbols(Sizes(o=2, negatives=(1, 3, 4))))


@pytest.mark.slow   # builds (g.2) and (h.2) in both worlds and compiles them: seconds
@pytest.mark.parametrize("world", __import__("derivations.symbolic.symbols", fromlist=["WORLDS"]).WORLDS,
                         ids=lambda w: w.name)
def test_numpy_equals_the_final_formulas_in_every_world(world):
    N = neg_sampling_symbols(world)
    grad_v_c_f, grad_U_f = (compiled(N, final(build(N))) for build in (ns.grad_v_c, ns.grad_U))
    h1 = ns.grad_repeated_negative(N)
    w = ns._repeated(N)
    rng = np.random.default_rng(world.d)
    for scale in (1.0, 5.0):                    # large scores too
        v_c, U = scale * rng.normal(size=world.d), scale * rng.normal(size=(world.d, world.V))
        _, grad_v_c, grad_U = D.neg_sampling_loss_and_gradient(v_c, world.o, U, list(world.negatives))
        np.testing.assert_allclose(grad_v_c, grad_v_c_f(v_c, U).ravel(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(grad_U, grad_U_f(v_c, U), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(grad_U[:, w], compiled(N, final(h1))(v_c, U).ravel(), rtol=1e-10, atol=1e-12)
