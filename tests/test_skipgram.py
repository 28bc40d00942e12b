"""Skip-gram over a window, part (i): sums of the per-pair losses and gradients."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import derivations as D


@settings(max_examples=50, deadline=None, derandomize=True)   # 4 gradchecks each: 50 keep it near 1 s
@given(st.integers(0, 2**32 - 1), st.sampled_from(["naive", "neg"]))
def test_skipgram_gradients_match_finite_differences(seed, kind):
    rng = np.random.default_rng(seed)
    d, vocab_size = 3, 6
    V, U = rng.normal(size=(d, vocab_size)), rng.normal(size=(d, vocab_size))
    c = int(rng.integers(vocab_size))
    outside = list(rng.integers(vocab_size, size=4))
    kwargs = {}
    if kind == "neg":
        kwargs = dict(loss_and_gradient=D.neg_sampling_loss_and_gradient,
                      negatives=[list(rng.integers(vocab_size, size=3)) for _ in outside])
    D.gradcheck(lambda W: D.skipgram(c, outside, W, U, **kwargs)[:2], V, assert_passes=True)
    D.gradcheck(lambda W: (D.skipgram(c, outside, V, W, **kwargs)[0],
                           D.skipgram(c, outside, V, W, **kwargs)[2]), U, assert_passes=True)


def test_skipgram_is_the_sum_of_its_pairs_and_touches_only_v_c():
    rng = np.random.default_rng(0)
    V, U = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    loss, grad_V, grad_U = D.skipgram(1, [0, 2, 2], V, U)
    parts = [D.naive_softmax_loss_and_gradient(V[:, 1], o, U) for o in (0, 2, 2)]
    assert loss == pytest.approx(sum(p[0] for p in parts))
    np.testing.assert_allclose(grad_V[:, 1], sum(p[1] for p in parts))
    np.testing.assert_allclose(grad_U, sum(p[2] for p in parts))
    assert np.all(np.delete(grad_V, 1, axis=1) == 0)       # eq. (i.4): dJ/dv_w = 0, w != c


def test_context_window_clips_at_the_sentence_ends():
    sentence = [7, 3, 5, 1, 2]
    assert D.context_window(sentence, 0, 2) == (7, [3, 5])
    assert D.context_window(sentence, 2, 1) == (5, [3, 1])
    assert D.context_window(sentence, 4, 9) == (2, [7, 3, 5, 1])
