"""The explorers' Python side: set widget values, read what they display (``result``).

The drawing itself (JavaScript) is tested in tests/test_explorables_browser.py.
"""
import json

import numpy as np
import pytest
import traitlets

import derivations as D
from derivations.explorers import NaiveSoftmaxExplorer, NegSamplingExplorer, SkipgramExplorer
from derivations.explorers.rng import random_centre_and_outside, random_vectors, sample_negatives


def shown_naive(w):
    return w.result["naive"]


def assert_naive_matches(w):
    v_c, U = np.asarray(w.v_c), np.asarray(w.U)
    loss, grad_v_c, grad_U = D.naive_softmax_loss_and_gradient(v_c, w.o, U)
    p = shown_naive(w)
    assert p["error"] is None
    np.testing.assert_allclose(p["loss"], loss, rtol=1e-12)
    np.testing.assert_allclose(p["grad_v_c"], grad_v_c, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(p["grad_U"], grad_U, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(p["y_hat"], D.softmax(U.T @ v_c), rtol=1e-12)


def test_naive_display_follows_v_c_and_o():
    w = NaiveSoftmaxExplorer(vocab_size=5, seed=3)
    assert_naive_matches(w)
    before = shown_naive(w)["loss"]
    w.v_c = [1.25, -0.5]
    assert_naive_matches(w)
    assert shown_naive(w)["loss"] != before
    w.o = 4
    assert_naive_matches(w)
    # dJ/du_w = (y_hat_w - y_w) v_c: against v_c for w = o only.
    along = np.asarray(shown_naive(w)["grad_U"]).T @ np.asarray(w.v_c)
    assert along[4] < 0 and np.all(np.delete(along, 4) > 0)


def test_editing_one_u_w_changes_the_display():
    w = NaiveSoftmaxExplorer(vocab_size=4, seed=1)
    U = np.asarray(w.U)
    U[:, 2] = [2.0, -1.0]
    w.U = U.tolist()
    assert_naive_matches(w)
    assert w.vocab_size == 4 and w.dim == 2


def test_seed_vocab_and_dim_redraw_u_deterministically():
    w = NaiveSoftmaxExplorer(vocab_size=6, seed=0)
    w.vocab_size = 50
    w.dim = 10
    assert np.shape(w.U) == (10, 50) and len(w.v_c) == 10
    v_c, U = random_vectors(0, 10, 50)
    assert w.U == U and w.v_c == v_c
    assert_naive_matches(w)
    w.seed = 1
    assert w.U != U
    again = NaiveSoftmaxExplorer(vocab_size=50, dim=10, seed=1)
    assert again.U == w.U


def test_shrinking_vocab_keeps_o_valid():
    w = NaiveSoftmaxExplorer(vocab_size=8, o=7)
    w.vocab_size = 3
    assert w.o == 2
    assert_naive_matches(w)


def test_a_u_of_another_shape_is_adopted():
    w = NaiveSoftmaxExplorer()
    w.v_c = [0.1, 0.2, 0.3]
    w.U = np.ones((3, 7)).tolist()
    assert (w.dim, w.vocab_size) == (3, 7)
    assert w.U == np.ones((3, 7)).tolist()        # adopted, not redrawn from the seed
    assert_naive_matches(w)


@pytest.mark.parametrize("name,value", [("vocab_size", 51), ("vocab_size", 1), ("dim", 11), ("dim", 1)])
def test_out_of_range_controls_are_refused_by_name(name, value):
    w = NaiveSoftmaxExplorer()
    with pytest.raises(traitlets.TraitError, match=name):
        setattr(w, name, value)


def test_o_out_of_range_is_refused_at_construction():
    with pytest.raises(ValueError, match="o=9 is out of range"):
        NaiveSoftmaxExplorer(vocab_size=4, o=9)


def test_gradient_step_lowers_the_loss_for_a_small_step():
    w = NaiveSoftmaxExplorer(vocab_size=10, dim=5, seed=2, step_size=0.05)
    losses = [shown_naive(w)["loss"]]
    for _ in range(5):
        w.step()
        losses.append(shown_naive(w)["loss"])
    assert all(b < a for a, b in zip(losses, losses[1:])), losses


def test_step_message_from_the_page_takes_a_step():
    w = NaiveSoftmaxExplorer(seed=4)
    g = np.asarray(shown_naive(w)["grad_v_c"])
    v_c = np.asarray(w.v_c)
    w._on_front_end_msg(w, {"event": "step"}, [])
    np.testing.assert_allclose(w.v_c, v_c - w.step_size * g)


def test_result_is_tagged_with_the_revision_the_page_sent():
    w = NaiveSoftmaxExplorer()
    with w.hold_trait_notifications():   # what ipywidgets does with one message from the page
        w.rev = 7
        w.v_c = [0.5, 0.5]
    assert w.result["rev"] == 7 and w.result["source"] == "python"
    assert_naive_matches(w)


def test_result_is_json():
    for w in (NaiveSoftmaxExplorer(), NegSamplingExplorer(), SkipgramExplorer()):
        json.dumps(w.result)
        assert "w2v-explorable" in w._esm and "export default" in w._esm


# ---- a reader's implementation drives the display; broken ones give words, not tracebacks ----

def test_a_readers_function_drives_the_numbers():
    def doubled(v_c, o, U):
        loss, g, gU = D.naive_softmax_loss_and_gradient(v_c, o, U)
        return 2 * loss, 2 * g, 2 * gU
    w = NaiveSoftmaxExplorer(doubled, seed=5)
    ref = D.naive_softmax_loss_and_gradient(np.asarray(w.v_c), w.o, np.asarray(w.U))
    np.testing.assert_allclose(shown_naive(w)["loss"], 2 * ref[0])
    np.testing.assert_allclose(shown_naive(w)["grad_v_c"], 2 * ref[1])


def raises(v_c, o, U):
    return 1 / 0


def wrong_layout(v_c, o, U):
    loss, g, gU = D.naive_softmax_loss_and_gradient(v_c, o, U)
    return loss, g, gU.T


def two_values(v_c, o, U):
    return 1.0, v_c


def nan_gradient(v_c, o, U):
    return 1.0, np.full_like(v_c, np.nan), np.zeros_like(U)


@pytest.mark.parametrize("fn,message", [
    (raises, "raises raised ZeroDivisionError: division by zero"),
    (wrong_layout, "wrong_layout returned grad_U of shape (6, 3), expected (3, 6)"),
    (two_values, "two_values must return (loss, grad_v_c, grad_U), got a tuple of length 2"),
    (nan_gradient, "nan_gradient returned grad_v_c with non-finite entries"),
])
def test_broken_implementations_give_a_readable_message(fn, message):
    w = NaiveSoftmaxExplorer(fn, vocab_size=6, dim=3)
    assert w.error is not None and message in w.error
    assert "grad_v_c" not in shown_naive(w)
    w.v_c = [0.0, 1.0, 2.0]          # still no exception on later changes
    assert message in w.error
    before = list(w.v_c)
    w.step()                          # nothing to step with: the state stays
    assert w.v_c == before


def test_functions_other_than_the_books_are_named_for_the_page():
    assert NaiveSoftmaxExplorer().custom_functions == []
    assert NegSamplingExplorer(naive_softmax_loss_and_gradient=wrong_layout).custom_functions == ["wrong_layout"]
    assert SkipgramExplorer(raises).custom_functions == ["raises"]


def test_broken_neg_sampling_leaves_the_naive_panel_working():
    def broken(v_c, o, U, negatives):
        raise ValueError("not yet")
    w = NegSamplingExplorer(broken)
    assert w.result["neg"]["error"] == "broken raised ValueError: not yet"
    assert_naive_matches(w)


# ---- negative sampling ----

def assert_neg_matches(w):
    v_c, U = np.asarray(w.v_c), np.asarray(w.U)
    loss, grad_v_c, grad_U = D.neg_sampling_loss_and_gradient(v_c, w.o, U, w.negatives)
    p = w.result["neg"]
    assert p["error"] is None
    np.testing.assert_allclose(p["loss"], loss, rtol=1e-12)
    np.testing.assert_allclose(p["grad_v_c"], grad_v_c, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(p["grad_U"], grad_U, rtol=1e-12, atol=1e-15)
    assert p["counts"] == np.bincount(w.negatives, minlength=U.shape[1]).tolist()


def test_K_slider_and_resampling():
    w = NegSamplingExplorer(vocab_size=12, seed=3, o=5)
    for K in (1, 7, 20):
        w.K = K
        assert len(w.negatives) == K and 5 not in w.negatives
        assert w.negatives == sample_negatives(3, w.draw, 5, 12, K)
        assert_neg_matches(w)
    first = list(w.negatives)
    w.resample()
    assert w.draw == 1 and w.negatives != first
    assert w.negatives == sample_negatives(3, 1, 5, 12, 20)
    assert_neg_matches(w)
    with pytest.raises(traitlets.TraitError, match="K must be between 1 and 20"):
        w.K = 21


def test_hand_set_repeats_accumulate_their_gradient():
    w = NegSamplingExplorer(vocab_size=6, seed=0, negatives=[2, 2, 2, 4])
    assert w.K == 4 and w.result["neg"]["counts"][2] == 3
    assert_neg_matches(w)
    v_c, U = np.asarray(w.v_c), np.asarray(w.U)
    single = D.sigmoid(U[:, 2] @ v_c) * v_c
    np.testing.assert_allclose(np.asarray(w.result["neg"]["grad_U"])[:, 2], 3 * single, rtol=1e-12)


def test_hand_set_out_of_range_negatives_give_a_message():
    w = NegSamplingExplorer(vocab_size=6)
    w.negatives = [1, 9]
    assert "negatives[1]=9 is out of range" in w.result["neg"]["error"]
    assert_naive_matches(w)


def test_both_panels_share_v_c_and_U():
    w = NegSamplingExplorer(vocab_size=8, dim=4, seed=9)
    w.v_c = [0.3, -0.2, 1.0, 0.0]
    assert_neg_matches(w)
    assert_naive_matches(w)
    w.step()                          # the step follows the negative-sampling gradient
    assert_neg_matches(w)


# ---- skip-gram ----

def test_skipgram_contributions_and_sum():
    w = SkipgramExplorer(sentence="a b c a d e", m=2, t=2, seed=1)
    vocab = ["a", "b", "c", "d", "e"]
    assert w.result["c"] == 2 and w.result["positions"] == [0, 1, 3, 4]
    assert w.result["outside"] == [0, 1, 0, 3]
    V, U = (np.asarray(x) for x in random_centre_and_outside(1, 2, len(vocab)))
    np.testing.assert_array_equal(np.asarray(w.V), V)
    p = w.result["skipgram"]
    for q, o in zip(p["contributions"], w.result["outside"]):
        loss, g, _ = D.naive_softmax_loss_and_gradient(V[:, 2], o, U)
        np.testing.assert_allclose(q["loss"], loss, rtol=1e-12)
        np.testing.assert_allclose(q["grad_v_c"], g, rtol=1e-12)
    loss, grad_V, _ = D.skipgram(2, w.result["outside"], V, U)
    np.testing.assert_allclose(p["loss"], loss, rtol=1e-12)
    np.testing.assert_allclose(p["grad_v_c"], grad_V[:, 2], rtol=1e-12)


def test_skipgram_window_clips_at_the_ends():
    w = SkipgramExplorer(sentence="w x y z", m=3, t=0)
    assert w.result["positions"] == [1, 2, 3]
    w.m = 1
    w.t = 3
    assert w.result["positions"] == [2]


def test_skipgram_bad_sentence_and_bad_function():
    w = SkipgramExplorer()
    w.sentence = "alone"
    assert "sentence must hold 2 to 20 words, got 1" in w.error

    def forgets_to_sum(c, outside, V, U, f):
        loss, grad_V, grad_U = D.skipgram(c, outside, V, U, f)
        return loss, grad_V[:, c], grad_U
    w = SkipgramExplorer(skipgram=forgets_to_sum)
    assert "forgets_to_sum returned grad_V of shape (2,), expected (2, 8)" in w.error


def test_skipgram_step_moves_only_the_centre_vector():
    w = SkipgramExplorer(step_size=0.1)
    V, c = np.asarray(w.V), w.result["c"]
    before = w.result["skipgram"]["loss"]
    w.step()
    after = np.asarray(w.V)
    assert np.array_equal(np.delete(after, c, axis=1), np.delete(V, c, axis=1))
    assert w.result["skipgram"]["loss"] < before


# ---- what reaches the page: one message per change, so it never draws a half-updated state ----

def sent_states(w, monkeypatch):
    sent = []
    monkeypatch.setattr(w, "send_state", lambda key=None: sent.append(
        sorted(key) if isinstance(key, (set, list, tuple)) else key))
    return sent


@pytest.mark.parametrize("make,change,keys", [
    (NaiveSoftmaxExplorer, {"dim": 4, "rev": 1}, {"v_c", "U", "result"}),
    (NaiveSoftmaxExplorer, {"vocab_size": 9, "rev": 1}, {"U", "result"}),   # v_c is kept
    (NegSamplingExplorer, {"dim": 3, "rev": 1}, {"v_c", "U", "result"}),
    (NegSamplingExplorer, {"K": 7, "rev": 1}, {"negatives", "result"}),
    (SkipgramExplorer, {"dim": 5, "rev": 1}, {"V", "U", "result"}),
])
def test_a_change_from_the_page_comes_back_in_one_message(monkeypatch, make, change, keys):
    w = make()
    sent = sent_states(w, monkeypatch)
    w.set_state(change)
    assert len(sent) == 1, sent
    assert keys <= set(sent[0]), sent
    assert w.result["rev"] == 1


def test_a_step_from_the_page_comes_back_in_one_message(monkeypatch):
    w = NegSamplingExplorer(seed=2)
    sent = sent_states(w, monkeypatch)
    w._on_front_end_msg(w, {"event": "step"}, [])
    assert len(sent) == 1 and {"v_c", "U", "result"} <= set(sent[0]), sent
