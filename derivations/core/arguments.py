"""Argument checks shared by every public function.

Each check names the argument and says what was expected and what arrived, so a
student who passes ``U`` in the starter code's row layout learns that at once
instead of getting a silently transposed gradient.
"""
import numbers
import operator

import numpy as np


def _describe(x):
    if isinstance(x, np.ndarray):
        return f"array of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}"[:120]


def as_float_array(name, x, ndim):
    """Return ``x`` as a float64 array with ``ndim`` dimensions, all finite."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a numeric array, got {_describe(x)}")
    arr = np.asarray(x)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.number)):
        raise TypeError(f"{name} must be a real numeric array, got {_describe(x)}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got complex dtype {arr.dtype}")
    if arr.ndim != ndim:
        want = {1: "a vector of shape (d,)", 2: "a matrix of shape (d, |V|)"}[ndim]
        raise ValueError(f"{name} must be {want}, got {arr.ndim}-D shape {arr.shape}")
    if 0 in arr.shape:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if arr.dtype != np.float32:
        arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise ValueError(f"{name} must be finite, got {arr[bad]} at index {bad}")
    return arr


def as_word_index(name, i, vocab_size):
    """Return ``i`` as a Python int in ``range(vocab_size)``.

    Booleans are refused although Python counts them as integers: ``o=True``
    is almost always a bug, not word 1.
    """
    if isinstance(i, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer word index, got bool {i!r}")
    if isinstance(i, np.ndarray) and i.ndim == 0:
        i = i[()]
    if not isinstance(i, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer word index, got {_describe(i)}")
    i = operator.index(i)
    if i < 0:
        raise ValueError(f"{name} must be a non-negative word index, got {i}")
    if i >= vocab_size:
        raise ValueError(
            f"{name}={i} is out of range: U has {vocab_size} columns, "
            f"so word indices run from 0 to {vocab_size - 1}")
    return i


def as_word_indices(name, indices, vocab_size):
    """Return a non-empty sequence of word indices as an int64 array."""
    if isinstance(indices, (str, bytes)) or indices is None or np.isscalar(indices):
        raise TypeError(
            f"{name} must be a sequence of integer word indices, got {_describe(indices)}")
    if isinstance(indices, np.ndarray):
        if indices.ndim != 1:
            raise ValueError(f"{name} must be 1-D, got shape {indices.shape}")
        items = indices.tolist() if indices.dtype != bool else list(indices)
    else:
        items = list(indices)
    if len(items) < 1:
        raise ValueError(f"{name} must hold at least one word index (K >= 1), got none")
    out = [as_word_index(f"{name}[{k}]", i, vocab_size) for k, i in enumerate(items)]
    return np.asarray(out, dtype=np.int64)


def check_v_c_U(v_c, U, v_c_name="v_c", U_name="U"):
    """Check a centre vector of shape (d,) against outside vectors of shape (d, |V|)."""
    v_c = as_float_array(v_c_name, v_c, 1)
    U = as_float_array(U_name, U, 2)
    if U.shape[0] != v_c.shape[0]:
        hint = ""
        if U.shape[1] == v_c.shape[0]:
            hint = (f" (it looks like the starter code's row layout: pass "
                    f"{U_name}=outsideVectors.T)")
        raise ValueError(
            f"{U_name} must have shape (d, |V|) with d = len({v_c_name}) = {v_c.shape[0]}, "
            f"got shape {U.shape}{hint}")
    return v_c, U


def check_loss_and_gradients(name, result, v_c, U):
    """Check what a loss-and-gradient function returned: ``(loss, grad_v_c, grad_U)``.

    Used wherever a reader's own implementation is called (explorers, skip-gram,
    the trainer, the checks), so that a wrong return value is reported in words.
    """
    if not isinstance(result, tuple) or len(result) != 3:
        got = f"a tuple of length {len(result)}" if isinstance(result, tuple) else _describe(result)
        raise TypeError(f"{name} must return (loss, grad_v_c, grad_U), got {got}")
    loss, grad_v_c, grad_U = result
    if np.ndim(loss) != 0 or not np.isfinite(loss):
        raise ValueError(f"{name} returned a loss that is not a finite number: {_describe(loss)}")
    for what, got, want in (("grad_v_c", grad_v_c, v_c.shape), ("grad_U", grad_U, U.shape)):
        shape = np.shape(got)
        if shape != want:
            raise ValueError(f"{name} returned {what} of shape {shape}, expected {want} "
                             f"(the shape of {'v_c' if what == 'grad_v_c' else 'U'})")
    return float(loss), np.asarray(grad_v_c, dtype=v_c.dtype), np.asarray(grad_U, dtype=U.dtype)
