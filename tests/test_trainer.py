"""The trainer: batched gradients equal the book's single-pair functions, the data pipeline, bad input."""
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations import gradcheck, naive_softmax_loss_and_gradient, neg_sampling_loss_and_gradient
from derivations.training.corpus import (Vocabulary, draw_negatives, keep_probabilities, negative_table,
                                         noise_distribution, read_corpus, table_runs, windows)
from derivations.training import trainer as trainer_module
from derivations.core.skipgram import context_window
from derivations.training.trainer import (Progress, _neg_sampling_step, _Scatter, format_seconds,
                                          load_word2vec_format,
                                 naive_softmax_batch_loss_and_gradient,
                                 neg_sampling_batch_loss_and_gradient, save_word2vec_format, train)

ROOT = Path(__file__).resolve().parent.parent
TINY = [("the quick brown fox jumps over the lazy dog " * 3).split(),
        ("the dog sleeps and the fox runs over the hill " * 3).split()] * 4


def neg_batch(seed, b, m, d, K, n_vocab=7):
    rng = np.random.default_rng(seed)
    U = rng.normal(size=(d, n_vocab))
    V_c = rng.normal(size=(b, m, d))
    o = rng.integers(n_vocab, size=b)
    negatives = rng.integers(n_vocab, size=(b, K))
    mask = rng.random((b, m)) < 0.7
    U_ow = np.concatenate([U[:, o].T[:, :, None], -U[:, negatives].transpose(1, 0, 2)], axis=2)
    # C order: gradcheck perturbs x through a flat view, which a copy would silently break.
    return U, V_c, o, negatives, mask, np.ascontiguousarray(U_ow)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10**6), b=st.integers(1, 4), m=st.integers(1, 4),
       d=st.integers(1, 5), K=st.integers(1, 4))
def test_neg_sampling_batch_equals_single_pair_reference_summed(seed, b, m, d, K):
    U, V_c, o, negatives, mask, U_ow = neg_batch(seed, b, m, d, K)
    loss, grad_V_c, grad_U_ow = neg_sampling_batch_loss_and_gradient(V_c, U_ow, mask)
    assert grad_V_c.shape == V_c.shape and grad_U_ow.shape == U_ow.shape
    # Map the batch's gradient back onto U: column 0 is u_o, column s is -u_ws.
    grad_U = np.zeros_like(U)
    for i in range(b):
        np.add.at(grad_U.T, o[i], grad_U_ow[i][:, 0])
        np.add.at(grad_U.T, negatives[i], -grad_U_ow[i][:, 1:].T)
    want_loss, want_U = 0.0, np.zeros_like(U)
    for i in range(b):
        for j in range(m):
            l, g_v, g_U = neg_sampling_loss_and_gradient(V_c[i, j], o[i], U, negatives[i])
            if mask[i, j]:
                want_loss += l
                want_U += g_U
                np.testing.assert_allclose(grad_V_c[i, j], g_v, rtol=1e-10, atol=1e-12)
            else:
                assert np.all(grad_V_c[i, j] == 0)
    np.testing.assert_allclose(loss, want_loss, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grad_U, want_U, rtol=1e-10, atol=1e-12)


def test_neg_sampling_batch_passes_gradcheck():
    _, V_c, _, _, mask, U_ow = neg_batch(3, b=3, m=2, d=4, K=3)

    def f_V(x):
        loss, g, _ = neg_sampling_batch_loss_and_gradient(x, U_ow, mask)
        return loss, g

    def f_U(x):
        loss, _, g = neg_sampling_batch_loss_and_gradient(V_c, x, mask)
        return loss, g

    for f, x in ((f_V, V_c), (f_U, U_ow)):
        result = gradcheck(f, x, assert_passes=True)
        assert result.max_rel_error < 1e-6


def test_naive_softmax_batch_equals_reference_and_passes_gradcheck():
    rng = np.random.default_rng(5)
    d, n_vocab, b = 3, 6, 5
    U, V_c, o = rng.normal(size=(d, n_vocab)), rng.normal(size=(b, d)), rng.integers(n_vocab, size=b)
    loss, grad_V_c, grad_U = naive_softmax_batch_loss_and_gradient(V_c, o, U)
    parts = [naive_softmax_loss_and_gradient(V_c[p], o[p], U) for p in range(b)]
    np.testing.assert_allclose(loss, sum(p[0] for p in parts), rtol=1e-12)
    np.testing.assert_allclose(grad_V_c, np.stack([p[1] for p in parts]), rtol=1e-10)
    np.testing.assert_allclose(grad_U, sum(p[2] for p in parts), rtol=1e-10, atol=1e-14)
    gradcheck(lambda x: naive_softmax_batch_loss_and_gradient(V_c, o, x)[::2], U, assert_passes=True)
    gradcheck(lambda x: naive_softmax_batch_loss_and_gradient(x, o, U)[:2], V_c, assert_passes=True)


def test_training_step_applies_the_summed_reference_gradients():
    """One SGD step of the fast path (gather, batch function, sparse scatter) equals the
    reference gradients summed over all pairs, repeated words included (part (h))."""
    rng = np.random.default_rng(11)
    n_vocab, d, b, m, K, lr = 6, 4, 5, 3, 4, 0.1
    Vt = rng.normal(size=(n_vocab, d)).astype(np.float32)
    Ut = rng.normal(size=(n_vocab, d)).astype(np.float32)
    inputs = rng.integers(n_vocab, size=(b, m)).astype(np.int32)
    targets = rng.integers(n_vocab, size=(b, K + 1)).astype(np.int32)
    mask = (rng.random((b, m)) < 0.8).astype(np.float32)
    V0, U0 = Vt.astype(np.float64), Ut.astype(np.float64)
    grad_V, grad_U = np.zeros_like(V0), np.zeros_like(U0)
    for i in range(b):
        for j in range(m):
            if mask[i, j]:
                _, g_v, g_U = neg_sampling_loss_and_gradient(V0[inputs[i, j]], targets[i, 0], U0.T,
                                                             targets[i, 1:])
                grad_V[inputs[i, j]] += g_v
                grad_U += g_U.T
    signs = np.array([1.0] + [-1.0] * K, dtype=np.float32)
    _neg_sampling_step(Vt, Ut, inputs, targets, mask, signs, lr, True,
                       _Scatter(n_vocab), _Scatter(n_vocab))
    np.testing.assert_allclose(Vt, V0 - lr * grad_V, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(Ut, U0 - lr * grad_U, rtol=1e-5, atol=1e-5)


def test_batch_functions_refuse_mismatched_shapes():
    with pytest.raises(ValueError, match="U_ow must have shape"):
        neg_sampling_batch_loss_and_gradient(np.zeros((2, 3, 4)), np.zeros((2, 5, 6)))
    with pytest.raises(ValueError, match="V_c must be a 3-D float array"):
        neg_sampling_batch_loss_and_gradient(np.zeros((3, 4)), np.zeros((2, 4, 6)))
    with pytest.raises(ValueError, match="o must hold 2 integer word indices"):
        naive_softmax_batch_loss_and_gradient(np.zeros((2, 3)), [0.5, 1.0], np.zeros((3, 4)))


# --- the data pipeline ---------------------------------------------------------------

def test_read_corpus_splits_long_lines_and_skips_blank_ones(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a b c d e\n\n  \nf g\n", encoding="utf-8")
    assert read_corpus(path, max_sentence_length=2) == [["a", "b"], ["c", "d"], ["e"], ["f", "g"]]
    assert read_corpus([["x", "y"], []]) == [["x", "y"]]


def test_vocabulary_counts_orders_and_encodes():
    vocab = Vocabulary.build([["b", "a", "b", "c"], ["a", "b", "z"]], min_count=2)
    assert vocab.words == ["b", "a"] and list(vocab.counts) == [3, 2] and vocab.corpus_words == 7
    ids, sentence_ids = vocab.encode([["b", "a", "b", "c"], ["a", "b", "z"]])
    assert ids.tolist() == [0, 1, 0, 1, 0] and sentence_ids.tolist() == [0, 0, 0, 1, 1]


def test_keep_probabilities_follow_word2vec():
    counts = np.array([1000, 100, 10, 1])
    t = 1e-2 * counts.sum()
    expected = np.minimum(1, (np.sqrt(counts / t) + 1) * t / counts)
    np.testing.assert_allclose(keep_probabilities(counts, 1e-2), expected, rtol=1e-6)
    assert keep_probabilities(counts, 1e-2)[0] < 0.5 and keep_probabilities(counts, 1e-2)[-1] == 1
    assert np.all(keep_probabilities(counts, 0) == 1)


def test_negative_table_draws_unigram_to_the_three_quarters():
    counts = np.array([500, 120, 30, 7, 1])
    table = negative_table(counts, size=1 << 16)
    share = np.bincount(table, minlength=len(counts)) / len(table)
    p = counts ** 0.75 / np.sum(counts ** 0.75)
    np.testing.assert_allclose(share, p, atol=2 / len(table))
    np.testing.assert_allclose(noise_distribution(counts), p, rtol=1e-12)


def test_negatives_differ_from_their_rows_outside_word():
    counts = np.array([1000, 40, 20, 1])
    table = negative_table(counts, size=1 << 12)
    rng = np.random.default_rng(0)
    outside = rng.integers(0, len(counts), size=4000)
    negatives = draw_negatives(table, (len(outside), 5), rng, exclude=outside)
    assert not np.any(negatives == outside[:, None])
    # The others keep their relative frequencies (count^0.75): redrawing conditions, it does not reweight.
    drawn = negatives[outside == 0]
    assert abs((drawn == 1).sum() / (drawn == 2).sum() - 2 ** 0.75) < 0.2
    assert np.mean(draw_negatives(table, (4000, 5), rng) == 0) > 0.5      # without exclude: the plain table
    # A vocabulary of one word cannot avoid it: the redraws stop instead of looping forever.
    one = negative_table(np.array([7]))
    assert np.all(draw_negatives(one, (3, 2), rng, exclude=np.zeros(3, dtype=int)) == 0)


def test_table_runs_give_the_same_draws_sooner():
    counts = np.array([1000, 40, 20, 3, 1])
    table = negative_table(counts, size=1 << 12)
    first, width = table_runs(table, len(counts))
    for w in range(len(counts)):
        assert np.all(table[first[w]:first[w] + width[w]] == w) and width[w] == np.sum(table == w)
    outside = np.random.default_rng(1).integers(0, len(counts), size=3000)
    for shape in ((3000, 5), (3000,), (3000, 2, 3)):
        plain = draw_negatives(table, shape, np.random.default_rng(2), exclude=outside)
        sooner = draw_negatives(table, shape, np.random.default_rng(2), exclude=outside, runs=(first, width))
        assert np.array_equal(plain, sooner)
        assert not np.any(sooner == outside.reshape(-1, *([1] * (len(shape) - 1))))


def test_training_draws_negatives_from_the_table_never_the_windows_o(monkeypatch):
    """The rows [o, w_1, ..., w_K] that reach each step (drawn a chunk at a time): the window's o first,
    negatives that differ from it, and the negatives' frequencies those of count^0.75 given w != o."""
    seen = []
    step = trainer_module._neg_sampling_step

    def spy(Vt, Ut, inputs, targets, *rest):
        seen.append(targets.copy())
        return step(Vt, Ut, inputs, targets, *rest)

    monkeypatch.setattr(trainer_module, "_neg_sampling_step", spy)
    rng = np.random.default_rng(5)
    words = [f"w{k}" for k in range(6)]
    counts = np.array([400, 200, 100, 50, 30, 20])
    sentences = [list(rng.permutation(np.repeat(words, counts // 10))) for _ in range(10)]
    model = train(sentences, vector_size=4, window=2, min_count=1, sample=0, negative=4, epochs=3,
                  batch_size=64, seed=0, progress=False)
    targets = np.concatenate(seen)
    assert targets.shape[1] == 5 and len(targets) > 2000
    assert not np.any(targets[:, 1:] == targets[:, :1])
    # Every o occurs as often as its word in the corpus (each position is one window's centre).
    vocab_counts = np.bincount(targets[:, 0], minlength=6) / len(targets)
    np.testing.assert_allclose(vocab_counts, model.vocab.counts / model.vocab.counts.sum(), atol=0.02)
    # Among the windows whose o is the most frequent word, the others' shares follow count^0.75.
    others = targets[targets[:, 0] == 0, 1:].ravel()
    share = np.bincount(others, minlength=6)[1:] / len(others)
    p = noise_distribution(model.vocab.counts)[1:]
    np.testing.assert_allclose(share, p / p.sum(), atol=0.03)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10**6), lengths=st.lists(st.integers(1, 9), min_size=1, max_size=4),
       window=st.integers(1, 4))
def test_windows_match_context_window_with_each_positions_reach(seed, lengths, window):
    ids = np.arange(sum(lengths), dtype=np.int32)
    sentence_ids = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)
    outside, mask, reach = windows(ids, sentence_ids, window, np.random.default_rng(seed))
    assert np.all((reach >= 1) & (reach <= window))
    starts = np.concatenate([[0], np.cumsum(lengths)])
    for t in range(len(ids)):
        k = sentence_ids[t]
        sentence = ids[starts[k]:starts[k + 1]].tolist()
        if len(sentence) == 1:
            assert not mask[t].any()
            continue
        _, want = context_window(sentence, t - starts[k], int(reach[t]))
        assert outside[t][mask[t]].tolist() == want


# --- bad input: each a clear error ---------------------------------------------------

def test_empty_corpus(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("\n   \n\n", encoding="utf-8")
    with pytest.raises(ValueError, match="empty.txt' corpus is empty: it holds no word"):
        train(path, progress=False)
    with pytest.raises(ValueError, match="is empty"):
        train([], progress=False)


def test_corpus_shorter_than_the_window():
    with pytest.raises(ValueError, match="shorter than the window: 3 words .* window=5 needs at least 6"):
        train([["a", "b", "c"]], min_count=1, window=5, progress=False)


def test_every_word_under_min_count():
    with pytest.raises(ValueError, match=r"every word occurs fewer than min_count=5 times .*'fox', occurs 2"):
        train([["fox", "dog", "fox", "cat"]], min_count=5, progress=False)


def test_bytes_that_are_not_utf8(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("caf\u00e9 au lait\nna\u00efve\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"not UTF-8 text: byte 0xe9 at offset 3 \(line 1\)"):
        train(path, progress=False)


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="window must be an integer >= 1"):
        train(TINY, window=0, min_count=1, progress=False)
    with pytest.raises(TypeError, match="sentence 0 of the corpus must be a list of str tokens"):
        train(["a sentence as one string"], progress=False)
    with pytest.raises(TypeError, match="must be a file path or an iterable"):
        train(42, progress=False)


# --- training, saving, loading ------------------------------------------------------

def test_training_is_seeded_and_lowers_the_loss():
    kw = dict(vector_size=8, window=2, min_count=1, sample=0, epochs=20, batch_size=16,
              loss_every=1, progress=False)
    a, b = train(TINY, seed=3, **kw), train(TINY, seed=3, **kw)
    assert np.array_equal(a.vectors, b.vectors) and a.vectors.dtype == np.float32
    assert a.V.shape == (8, len(a.words)) and a.V.base is a.vectors or a.V.base is a.vectors.base
    losses = [loss for _, loss in a.loss_history]
    assert losses[-1] < 0.8 * losses[0]
    assert not np.array_equal(a.vectors, train(TINY, seed=4, **kw).vectors)


@pytest.mark.parametrize("negative, function", [(3, neg_sampling_loss_and_gradient),
                                                (0, naive_softmax_loss_and_gradient),
                                                (0, None), (3, None)])
def test_single_pair_functions_and_naive_softmax_drive_training(negative, function):
    model = train(TINY, vector_size=6, window=2, min_count=1, sample=0, negative=negative, epochs=8,
                  batch_size=8, loss_every=1, seed=0, loss_and_gradient=function, progress=False,
                  share_negatives=function is None)
    losses = [loss for _, loss in model.loss_history]
    assert np.all(np.isfinite(model.vectors)) and losses[-1] < losses[0]


def test_a_wrong_student_function_is_reported():
    def wrong(v_c, o, U, negatives):
        return 0.0, np.zeros(3), np.zeros_like(U)
    with pytest.raises(ValueError, match="wrong returned grad_v_c of shape"):
        train(TINY, vector_size=6, window=2, min_count=1, negative=2, loss_and_gradient=wrong,
              progress=False)


def test_progress_goes_to_stdout_one_line_per_epoch(capsys):
    train(TINY, vector_size=4, window=2, min_count=1, epochs=3, batch_size=8, loss_every=1)
    out, err = capsys.readouterr()
    assert err == "" and out.count("\n") == 3 and "words/s" in out and "loss" in out and "\r" not in out
    assert "ETA" in out and out.splitlines()[-1].startswith("[" + "#" * 20 + "] 100.0%")


def test_progress_on_a_terminal_redraws_one_line_with_an_eta():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    bar = Progress(1000, stream=stream)
    bar.start -= 600.0                            # 10 minutes in, a quarter done: 30 minutes left
    bar.update(250, 3.5)
    bar.last = 0.0
    bar.update(1000, 3.0)
    first, last = stream.getvalue().split("\r")[1:]
    assert first.startswith("[#####     ") and re.search(r"ETA  (29m5\ds|30m0\ds)  loss 3.5000$", first)
    assert last.startswith("[" + "#" * 20 + "] 100.0%") and "ETA      0s" in last and last.endswith("\n")
    assert [format_seconds(s) for s in (0, 42.4, 185, 7620, float("inf"))] == ["0s", "42s", "3m05s", "2h07m", "?"]


def test_save_and_load_round_trip_and_gensim_reads_it(tmp_path):
    from gensim.models import KeyedVectors
    model = train(TINY, vector_size=5, window=2, min_count=1, epochs=2, progress=False)
    path = tmp_path / "vectors.txt"
    model.save(path)
    words, vectors = load_word2vec_format(path)
    assert words == model.words
    np.testing.assert_allclose(vectors, model.vectors, rtol=1e-6, atol=1e-9)
    kv = KeyedVectors.load_word2vec_format(str(path))
    assert kv.index_to_key == model.words
    np.testing.assert_allclose(kv.vectors, model.vectors, rtol=1e-6, atol=1e-9)
    assert model.most_similar("fox", topn=2)[0][0] == kv.most_similar("fox", topn=1)[0][0]


def test_interrupted_save_leaves_no_half_written_file(tmp_path, monkeypatch):
    path = tmp_path / "vectors.txt"
    path.write_text("old contents\n")

    def interrupt(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        save_word2vec_format(path, ["a", "b"], np.ones((2, 3)))
    assert path.read_text() == "old contents\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vectors.txt"]


def test_load_refuses_a_file_that_is_not_word2vec_text(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("hello world\n")
    with pytest.raises(ValueError, match="first line must be '<number of words> <dimension>'"):
        load_word2vec_format(path)
    path.write_text("2 3\na 1 2 3\nb 1 2\n")
    with pytest.raises(ValueError, match="line 3: expected a word and 3 numbers, got 2"):
        load_word2vec_format(path)


def test_command_line_trains_and_saves(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(" ".join(s) for s in TINY), encoding="utf-8")
    out = tmp_path / "v.txt"
    run = subprocess.run([sys.executable, "-m", "derivations.train", str(corpus), "--out", str(out),
                          "--size", "4", "--window", "2", "--min-count", "1", "--epochs", "2", "--quiet"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    assert "written to" in run.stdout and run.stderr == ""
    words, vectors = load_word2vec_format(out)
    assert vectors.shape == (len(words), 4)
    bad = subprocess.run([sys.executable, "-m", "derivations.train", str(tmp_path / "missing.txt"),
                          "--out", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and "No such file" in bad.stderr


@pytest.mark.parametrize("negative", [0, 3])
def test_divergence_is_an_error_not_nan_vectors(negative):
    with pytest.raises(FloatingPointError, match=r"training diverged in epoch \d+, batch \d+ .*lower alpha"):
        train(TINY, vector_size=8, window=2, min_count=1, sample=0, negative=negative, epochs=50,
              alpha=1e4, min_alpha=1e4, batch_size=64, progress=False)


@pytest.mark.slow
def test_compare_with_gensim_scores_both_alike_seed_by_seed():
    from derivations.training.evaluation import compare_with_gensim, datapath, word_pairs
    small = dict(vector_size=20, window=3, min_count=3, epochs=1)
    result = compare_with_gensim(datapath("lee_background.cor"), seeds=(1, 2), **small)
    assert result.ours.shape == result.gensim.shape == (2, 2)
    again = train(datapath("lee_background.cor"), seed=2, progress=False, **small)
    assert result.ours[1, 0] == word_pairs(again.words, again.vectors, "wordsim353.tsv").value
    np.testing.assert_allclose(result.gap, result.ours.mean(axis=0) - result.gensim.mean(axis=0))
    assert np.all(result.gap_error > 0) and np.all(np.isnan(result.head(1).gap_error))
    table = result.table()
    assert f"{result.gap[1]:+.3f}" in table and "simlex999.txt" in table and str(result.evaluated[0]) in table
