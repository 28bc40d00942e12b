"""Every bad input raises a clear error that names the argument."""
import numpy as np
import pytest

import derivations as D

rng = np.random.default_rng(0)
v_c, U = rng.normal(size=3), rng.normal(size=(3, 5))
naive = D.naive_softmax_loss_and_gradient
neg = D.neg_sampling_loss_and_gradient

CASES = [
    # (call, exception, words the message must contain)
    (lambda: naive(v_c, 1, U.T), ValueError, ["U", "(d, |V|)", "(5, 3)", "outsideVectors.T"]),
    (lambda: naive(v_c[:2], 1, U), ValueError, ["U", "d = len(v_c) = 2", "(3, 5)"]),
    (lambda: naive(v_c[:, None], 1, U), ValueError, ["v_c", "(d,)", "2-D"]),
    (lambda: naive(v_c, 1, U[0]), ValueError, ["U", "(d, |V|)", "1-D"]),
    (lambda: naive(np.zeros(0), 1, np.zeros((0, 5))), ValueError, ["v_c", "empty"]),
    (lambda: naive(np.array([1.0, np.nan, 0.0]), 1, U), ValueError, ["v_c", "finite", "nan"]),
    (lambda: naive(v_c, 1, np.where(U > 1, np.inf, U)), ValueError, ["U", "finite", "inf"]),
    (lambda: naive(v_c, 5, U), ValueError, ["o=5", "out of range", "0 to 4"]),
    (lambda: naive(v_c, -1, U), ValueError, ["o", "non-negative", "-1"]),
    (lambda: naive(v_c, 2.0, U), TypeError, ["o", "integer", "float"]),
    (lambda: naive(v_c, "2", U), TypeError, ["o", "integer", "str"]),
    (lambda: naive(v_c, None, U), TypeError, ["o", "integer"]),
    (lambda: naive(v_c, True, U), TypeError, ["o", "bool"]),
    (lambda: naive(v_c, np.bool_(False), U), TypeError, ["o", "bool"]),
    (lambda: naive("abc", 1, U), TypeError, ["v_c", "numeric"]),
    (lambda: naive(np.array([True, False, True]), 1, U), TypeError, ["v_c", "numeric"]),
    (lambda: naive(v_c + 1j, 1, U), TypeError, ["v_c", "real"]),
    (lambda: neg(v_c, 1, U, []), ValueError, ["negatives", "K >= 1"]),
    (lambda: neg(v_c, 1, U, np.array([], dtype=int)), ValueError, ["negatives", "K >= 1"]),
    (lambda: neg(v_c, 1, U, [0, 7]), ValueError, ["negatives[1]=7", "out of range"]),
    (lambda: neg(v_c, 1, U, [0, -2]), ValueError, ["negatives[1]", "non-negative"]),
    (lambda: neg(v_c, 1, U, [0, 1.5]), TypeError, ["negatives[1]", "integer"]),
    (lambda: neg(v_c, 1, U, [True]), TypeError, ["negatives[0]", "bool"]),
    (lambda: neg(v_c, 1, U, 3), TypeError, ["negatives", "sequence"]),
    (lambda: neg(v_c, 1, U, "13"), TypeError, ["negatives", "sequence"]),
    (lambda: neg(v_c, 1, U, np.array([[1, 2]])), ValueError, ["negatives", "1-D"]),
    (lambda: D.skipgram(0, [], U, U), ValueError, ["outside", "K >= 1"]),
    (lambda: D.skipgram(0, [1], U, U[:, :4]), ValueError, ["V and U", "same shape"]),
    (lambda: D.skipgram(9, [1], U, U), ValueError, ["c=9", "out of range"]),
    (lambda: D.skipgram(0, [1, 2], U, U, D.neg_sampling_loss_and_gradient, [[1]]), ValueError,
     ["negatives", "one sequence per outside word"]),
    (lambda: D.context_window([4], 0, 2), ValueError, ["no outside word"]),
    (lambda: D.context_window([4, 1], 0, 0), ValueError, ["m", ">= 1"]),
    (lambda: D.context_window([4, 1], 2, 1), ValueError, ["t", "position"]),
]


@pytest.mark.parametrize("call, error, words", CASES, ids=[str(i) for i in range(len(CASES))])
def test_bad_input_raises_a_clear_error(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), f"{word!r} not in {str(info.value)!r}"


def test_integer_like_indices_are_accepted():
    expected = naive(v_c, 2, U)[0]
    for o in (np.int64(2), np.int32(2), np.array(2), np.uint8(2)):
        assert naive(v_c, o, U)[0] == expected
    assert neg(v_c, 2, U, np.array([1, 3], dtype=np.int16))[0] == neg(v_c, 2, U, [1, 3])[0]


def test_a_students_function_with_wrong_return_values_is_reported_in_words():
    def wrong_shape(v, o, W):
        return 0.0, v, W.T

    def not_a_triple(v, o, W):
        return 0.0

    def nan_loss(v, o, W):
        return float("nan"), v, W
    for f, message in ((wrong_shape, "grad_U of shape (5, 3), expected (3, 5)"),
                       (not_a_triple, "must return (loss, grad_v_c, grad_U)"),
                       (nan_loss, "not a finite number")):
        with pytest.raises((TypeError, ValueError), match=message.replace("(", r"\(").replace(")", r"\)")):
            D.skipgram(0, [1], U, U, f)
