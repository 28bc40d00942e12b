"""The two losses: finite differences, cross-entropy, SymPy's derivatives, extremes."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import derivations as D
from tests.sympy_reference import loss_and_derivatives


@st.composite
def problems(draw, max_d=5, max_vocab=7, scale=3.0):
    """A random (v_c, o, U, negatives) with repeats allowed among the negatives."""
    d = draw(st.integers(1, max_d))
    vocab_size = draw(st.integers(1, max_vocab))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    v_c = rng.normal(scale=scale / 2, size=d)
    U = rng.normal(scale=scale / 2, size=(d, vocab_size))
    o = draw(st.integers(0, vocab_size - 1))
    negatives = draw(st.lists(st.integers(0, vocab_size - 1), min_size=1, max_size=6))
    return v_c, o, U, negatives


@settings(max_examples=100, deadline=None, derandomize=True)
@given(problems())
def test_naive_softmax_gradients_match_finite_differences(p):
    v_c, o, U, _ = p
    D.check_gradients(D.naive_softmax_loss_and_gradient, v_c, o, U, verbose=False)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(problems())
def test_neg_sampling_gradients_match_finite_differences(p):
    v_c, o, U, negatives = p
    D.check_gradients(D.neg_sampling_loss_and_gradient, v_c, o, U, negatives, verbose=False)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(problems())
def test_naive_softmax_loss_is_cross_entropy_with_one_hot_y(p):
    v_c, o, U, _ = p
    loss, _, _ = D.naive_softmax_loss_and_gradient(v_c, o, U)
    y = np.eye(U.shape[1])[o]
    assert loss == pytest.approx(-np.sum(y * np.log(D.softmax(U.T @ v_c))), rel=1e-9, abs=1e-12)


def _sympy_cases():
    rng = np.random.default_rng(2024)
    # (d, |V|, o, negatives): a repeated negative, and o among the negatives.
    for d, vocab_size, o, negatives in [(3, 5, 2, (1, 3, 1)), (2, 4, 0, (0, 2)), (4, 3, 1, (2, 2, 2))]:
        for _ in range(4):
            yield d, vocab_size, o, negatives, rng.normal(size=d), rng.normal(size=(d, vocab_size))


@pytest.mark.parametrize("d, vocab_size, o, negatives, v_c, U", list(_sympy_cases()))
def test_both_losses_agree_with_sympys_own_derivatives(d, vocab_size, o, negatives, v_c, U):
    for kind, ours in (("naive", D.naive_softmax_loss_and_gradient(v_c, o, U)),
                       ("neg", D.neg_sampling_loss_and_gradient(v_c, o, U, list(negatives)))):
        reference = loss_and_derivatives(kind, d, vocab_size, o, negatives)(v_c, U)
        for name, got, want in zip(("loss", "grad_v_c", "grad_U"), ours, reference):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=f"{kind} {name}")


def test_a_repeated_negative_counts_once_per_occurrence():
    rng = np.random.default_rng(1)
    v_c, U = rng.normal(size=3), rng.normal(size=(3, 6))
    _, _, once = D.neg_sampling_loss_and_gradient(v_c, 0, U, [4])
    loss3, _, thrice = D.neg_sampling_loss_and_gradient(v_c, 0, U, [4, 4, 4])
    np.testing.assert_allclose(thrice[:, 4], 3 * once[:, 4])
    loss1, _, _ = D.neg_sampling_loss_and_gradient(v_c, 0, U, [4])
    assert loss3 - loss1 == pytest.approx(-2 * np.log(D.sigmoid(-U[:, 4] @ v_c)))


def test_neg_sampling_gradient_touches_only_o_and_the_negatives():
    rng = np.random.default_rng(2)
    v_c, U = rng.normal(size=3), rng.normal(size=(3, 8))
    _, _, grad_U = D.neg_sampling_loss_and_gradient(v_c, 1, U, [3, 5, 3])
    untouched = [w for w in range(8) if w not in (1, 3, 5)]
    assert np.all(grad_U[:, untouched] == 0) and np.all(grad_U[:, [1, 3, 5]] != 0)


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_extreme_scores_give_finite_losses_and_gradients(scale):
    # Scores of +-1e4: overflow would warn, and pytest.ini makes warnings errors.
    v_c = np.array([1.0, 0.0])
    U = np.array([[scale, -scale, 0.0, scale / 2], [0.0, 1.0, 2.0, 3.0]])
    for o in range(4):
        for result in (D.naive_softmax_loss_and_gradient(v_c, o, U),
                       D.neg_sampling_loss_and_gradient(v_c, o, U, [0, 1, 1, 3])):
            loss, grad_v_c, grad_U = result
            assert np.isfinite(loss) and np.all(np.isfinite(grad_v_c)) and np.all(np.isfinite(grad_U))
    # The loss of a hopeless prediction is the score gap itself, not inf.
    worst = int(np.argmin(U.T @ v_c))
    assert D.naive_softmax_loss_and_gradient(v_c, worst, U)[0] == pytest.approx(2 * abs(scale), rel=1e-12)


def test_starter_code_row_layout_gives_the_transposed_gradient():
    rng = np.random.default_rng(3)
    v_c, outsideVectors = rng.normal(size=3), rng.normal(size=(6, 3))
    _, _, grad_U = D.naive_softmax_loss_and_gradient(v_c, 2, outsideVectors.T)
    assert grad_U.shape == (3, 6)
    with pytest.raises(ValueError, match="outsideVectors.T"):
        D.naive_softmax_loss_and_gradient(v_c, 2, outsideVectors)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(problems(max_d=8, max_vocab=12, scale=20.0))
def test_large_scores_still_pass_gradcheck(p):
    v_c, o, U, negatives = p
    D.check_gradients(D.neg_sampling_loss_and_gradient, v_c, o, U, negatives, verbose=False)
    D.check_gradients(D.naive_softmax_loss_and_gradient, v_c, o, U, verbose=False)


def test_inputs_are_not_modified():
    rng = np.random.default_rng(4)
    v_c, U = rng.normal(size=3), rng.normal(size=(3, 5))
    v_copy, U_copy = v_c.copy(), U.copy()
    D.naive_softmax_loss_and_gradient(v_c, 1, U)
    D.neg_sampling_loss_and_gradient(v_c, 1, U, [2, 2])
    assert np.array_equal(v_c, v_copy) and np.array_equal(U, U_copy)
