"""Part (b)(ii)-(iv) helpers: one gradient step, zero-gradient cases, the sentiment toy."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import derivations as D
from derivations.chapters import gradient_step_terms, normalised_sentiment


@settings(max_examples=30, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), o=st.integers(0, 4))
def test_a_small_step_on_the_whole_gradient_raises_p_o(seed, o):
    rng = np.random.default_rng(seed)
    v_c, U = rng.normal(size=3), rng.normal(size=(3, 5))
    effects = gradient_step_terms.step_effects(v_c, o, U, [0.0, 1e-3])
    before, after = effects["both terms"]
    pull, push = gradient_step_terms.gradient_terms(v_c, o, U)
    gain = 1e-3 * np.sum((pull + push) ** 2)          # first order: eta * ||grad||^2 in log P
    assert np.log(after) - np.log(before) == pytest.approx(gain, rel=0.05, abs=1e-12)


def test_the_two_terms_add_up_to_the_gradient():
    rng = np.random.default_rng(1)
    v_c, U = rng.normal(size=4), rng.normal(size=(4, 6))
    pull, push = gradient_step_terms.gradient_terms(v_c, 3, U)
    _, grad_v_c, _ = D.naive_softmax_loss_and_gradient(v_c, 3, U)
    np.testing.assert_allclose(pull + push, grad_v_c, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(pull, -U[:, 3])


@pytest.mark.parametrize("o", [0, 2, 4])
def test_zero_gradient_cases_have_zero_gradient_and_y_hat_not_y(o):
    for name, (v_c, U) in gradient_step_terms.zero_gradient_cases(o).items():
        _, grad_v_c, _ = D.naive_softmax_loss_and_gradient(v_c, o, U)
        assert np.max(np.abs(grad_v_c)) < 1e-12, name
        assert D.softmax(U.T @ v_c)[o] < 0.5, name       # far from one-hot


def test_step_effects_refuses_bad_learning_rates():
    with pytest.raises(ValueError, match="learning_rates"):
        gradient_step_terms.step_effects(np.ones(3), 0, np.ones((3, 5)), [0.1, -1.0])
    with pytest.raises(ValueError, match="o=7 is out of range"):
        gradient_step_terms.probability_of_o(np.ones(3), 7, np.ones((3, 5)))


def test_normalising_changes_one_decision_and_keeps_others():
    unit = normalised_sentiment.l2_normalise(normalised_sentiment.WORD_VECTORS)
    for x in unit.values():
        assert np.linalg.norm(x) == pytest.approx(1.0)
    assert normalised_sentiment.classify("terrible good good") == "negative"
    assert normalised_sentiment.classify("terrible good good", unit) == "positive"
    assert normalised_sentiment.classify("great plot", unit) == normalised_sentiment.classify("great plot") == "positive"


def test_sentiment_bad_input_is_named():
    with pytest.raises(ValueError, match="phrase must be words from"):
        normalised_sentiment.phrase_score("good movie")
    with pytest.raises(ValueError, match="zero vector of 'nothing'"):
        normalised_sentiment.l2_normalise({"nothing": np.zeros(2)})
