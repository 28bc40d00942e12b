"""Numerically stable elementwise functions: softmax, sigmoid and friends.

All of them accept scores as large as +-1e4 (and far beyond) without overflow
warnings: exponentials are only ever taken of non-positive numbers.
float32 input stays float32 (the trainer relies on it); anything else becomes float64.
"""
import numpy as np


def _float(x):
    x = np.asarray(x)
    return x if x.dtype == np.float32 else x.astype(np.float64, copy=False)


def softmax(x):
    """Softmax over the last axis, eq. (N.1) of the notation chapter.

    ``softmax(x)_w = exp(x_w) / sum_w' exp(x_w')``, computed after subtracting
    ``max(x)``: softmax is unchanged by adding a constant to every score.
    Shape: same as ``x`` (a vector of scores, or a batch with scores last).
    """
    x = _float(x)
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def log_softmax(x):
    """``log softmax(x)`` over the last axis, via log-sum-exp (never ``log(0)``)."""
    x = _float(x)
    shifted = x - np.max(x, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``, elementwise; eq. (f.1).

    Uses ``exp(-|x|)`` so that neither branch overflows. Shape: same as ``x``.
    """
    x = _float(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def log_sigmoid(x):
    """``log sigmoid(x) = -log(1 + exp(-x))``, finite for every finite ``x``."""
    return -np.logaddexp(0.0, -_float(x))


def leaky_relu(x, alpha=0.01):
    """Leaky ReLU of part (e): ``x`` where ``x > 0``, ``alpha * x`` elsewhere."""
    x = _float(x)
    return np.where(x > 0, x, alpha * x)


# The whole function is part (e)'s answer, a written part: the student
# edition replaces it with a stand-in that names it.
### BEGIN SOLUTION
def leaky_relu_derivative(x, alpha=0.01):
    """Derivative of :func:`leaky_relu`, eq. (e.1), elementwise; shape: same as ``x``.

    1 for ``x > 0``, ``alpha`` for ``x < 0``. At ``x = 0`` there is no
    derivative (the one-sided slopes are ``alpha`` and 1), so we return ``nan``
    there rather than pick a side silently.
    """
    x = _float(x)
    return np.where(x > 0, 1.0, np.where(x < 0, alpha, np.nan))
### END SOLUTION
