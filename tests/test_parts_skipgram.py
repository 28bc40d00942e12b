"""Part (i): the derivations check on a window with a repeated outside word, and
``derivations.core.skipgram`` computes their final formulas."""
import numpy as np
import pytest
import sympy as sp

import derivations as D
from derivations.symbolic.parts import all_derivations
from derivations.symbolic.engine import Derivation, Step, StepFailed, grad
from derivations.symbolic.parts import skipgram as sg

WINDOWS = [(0, (2, 4, 2, 1)), (3, (3, 3))]     # repeated outside words; the centre word among them


@pytest.mark.slow   # the first call builds every derivation in every world: seconds
@pytest.mark.parametrize("label", ['i.2', 'i.3', 'i.4'])
def test_every_derivation_checks(label):
    derivation = all_derivations()[label]      # built once per process, in every world
    assert len(derivation.check().rows) == len(derivation.steps)


@pytest.mark.slow   # builds (i.2) and (i.3) and compiles them: seconds
@pytest.mark.parametrize("c, outside", WINDOWS)
def test_skipgram_equals_the_final_formulas(c, outside):
    W = sg.skipgram_symbols(c, outside)
    args = [list(W.V), list(W.U)]
    f_U = sp.lambdify(args, sg.grad_U(W).steps[-1].expr, "numpy")
    f_v = sp.lambdify(args, sg.grad_v_c(W).steps[-1].expr, "numpy")
    rng = np.random.default_rng(c)
    for _ in range(3):
        V, U = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
        _, grad_V, grad_U = D.skipgram(c, list(outside), V, U)
        values = [list(V.reshape(-1)), list(U.reshape(-1))]
        np.testing.assert_allclose(grad_U, np.array(f_U(*values), float), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(grad_V[:, c], np.array(f_v(*values), float).ravel(), rtol=1e-12)
        assert not np.any(np.delete(grad_V, c, axis=1))        # eq. (i.4)


@pytest.mark.slow   # the symbolic attempt on a wrong step of the skip-gram loss: seconds
def test_counting_a_repeated_outside_word_once_is_caught():
    W = sg.skipgram_symbols()
    distinct = sorted(set(W.outside))
    S = W.parts[0]
    once = Derivation("i.2?", "one term per distinct outside word", r"\frac{\partial J}{\partial U}",
                      [Step(r"\sum_{w} v_c (\hat y - y^{(w)})^\top",
                            sum((W.v_c * (W.y_hat - sp.eye(5)[:, w]).T for w in distinct), sp.zeros(3, 5)))],
                      target=grad(W.J, W.U))
    with pytest.raises(StepFailed):
        once.check()


@pytest.mark.slow   # builds (i.2) and (i.3) in both worlds and compiles them: seconds
@pytest.mark.parametrize("world", __import__("derivations.symbolic.symbols", fromlist=["WORLDS"]).WORLDS,
                         ids=lambda w: w.name)
def test_skipgram_equals_the_final_formulas_in_every_world(world):
    W = sg.skipgram_symbols(sizes=world)
    args = [list(W.V), list(W.U)]
    f_U = sp.lambdify(args, sg.grad_U(W).steps[-1].expr, "numpy")
    f_v = sp.lambdify(args, sg.grad_v_c(W).steps[-1].expr, "numpy")
    rng = np.random.default_rng(world.V)
    V, U = rng.normal(size=(world.d, world.V)), rng.normal(size=(world.d, world.V))
    _, grad_V, grad_U = D.skipgram(world.c, list(world.window), V, U)
    values = [list(V.reshape(-1)), list(U.reshape(-1))]
    np.testing.assert_allclose(grad_U, np.array(f_U(*values), float), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grad_V[:, world.c], np.array(f_v(*values), float).ravel(), rtol=1e-12)
