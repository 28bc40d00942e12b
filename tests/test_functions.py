"""softmax, sigmoid and friends: definitions, invariances and extreme inputs."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

import derivations as D

finite = st.floats(-50, 50, allow_nan=False)
vectors = arrays(np.float64, st.integers(1, 12), elements=finite)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(vectors)
def test_softmax_is_a_distribution_matching_its_definition(x):
    p = D.softmax(x)
    assert np.all(p >= 0) and np.isclose(p.sum(), 1.0)
    np.testing.assert_allclose(p, np.exp(x) / np.exp(x).sum(), rtol=1e-10)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(vectors, st.floats(-1e4, 1e4))
def test_softmax_is_unchanged_by_a_constant_shift(x, shift):
    np.testing.assert_allclose(D.softmax(x + shift), D.softmax(x), rtol=1e-6, atol=1e-12)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(vectors)
def test_log_softmax_is_log_of_softmax(x):
    np.testing.assert_allclose(D.log_softmax(x), np.log(D.softmax(x)), rtol=1e-9, atol=1e-12)


def test_softmax_works_along_the_last_axis_of_a_batch():
    batch = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(D.softmax(batch).sum(axis=-1), [1.0, 1.0])
    np.testing.assert_allclose(D.softmax(batch)[1], [1 / 3] * 3)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(vectors)
def test_sigmoid_matches_definition_and_symmetry(x):
    s = D.sigmoid(x)
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(D.sigmoid(-x), 1 - s, atol=1e-15)
    # log(s) loses digits when s rounds near 1; log_sigmoid does not, hence atol.
    np.testing.assert_allclose(D.log_sigmoid(x), np.log(s), rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("scale", [1e4, 1e6, 1e300])
def test_extreme_inputs_stay_finite_without_warnings(scale):
    # pytest.ini turns RuntimeWarning (overflow, divide by zero) into errors.
    x = np.array([-scale, -1.0, 0.0, 1.0, scale])
    for f in (D.softmax, D.log_softmax, D.sigmoid, D.log_sigmoid):
        assert np.all(np.isfinite(f(x))), f.__name__
    assert D.sigmoid(x)[0] == 0.0 and D.sigmoid(x)[-1] == 1.0
    assert D.log_sigmoid(x)[0] == -scale


def test_float32_stays_float32_and_other_input_becomes_float64():
    assert D.softmax(np.ones(3, np.float32)).dtype == np.float32
    assert D.sigmoid(np.ones(3, np.float32)).dtype == np.float32
    assert D.softmax([1, 2, 3]).dtype == np.float64


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.floats(-100, 100).filter(lambda x: abs(x) > 1e-6), st.floats(0.001, 0.5))
def test_leaky_relu_derivative_is_the_slope(x, alpha):
    h = 1e-7 * max(1.0, abs(x))
    slope = (D.leaky_relu(x + h, alpha) - D.leaky_relu(x - h, alpha)) / (2 * h)
    assert D.leaky_relu_derivative(x, alpha) == pytest.approx(slope, rel=1e-6)


def test_leaky_relu_has_no_derivative_at_zero():
    assert np.isnan(D.leaky_relu_derivative(0.0))
    left, right = D.leaky_relu(-1e-8) / -1e-8, D.leaky_relu(1e-8) / 1e-8
    assert left == pytest.approx(0.01) and right == pytest.approx(1.0)
