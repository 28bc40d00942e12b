"""The trainer on several cores, streaming from disk, and their bad input (no timing assertions here)."""
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import derivations.training.trainer as T
from derivations.training import parallel
from derivations.training.corpus import (EncodedCorpus, Vocabulary, encode_corpus, iter_sentences,
                                         read_corpus)
from derivations.training.evaluation import bbc_news_path, corpus_path, datapath, lee_path, tokenize
from derivations.training.trainer import _plan, _Scatter, train

ROOT = Path(__file__).resolve().parent.parent
TINY = [("the quick brown fox jumps over the lazy dog " * 3).split(),
        ("the dog sleeps and the fox runs over the hill " * 3).split()] * 4
TWO_CORES = pytest.mark.skipif(parallel.available_cores() < 2, reason="needs two cores")


def topic_corpus(seed=0, sentences=400, length=12):
    """Two topics that never share a sentence: word vectors should separate them."""
    rng = np.random.default_rng(seed)
    topics = [[f"a{i}" for i in range(20)], [f"b{i}" for i in range(20)]]
    return [list(rng.choice(topics[k % 2], size=length)) for k in range(sentences)]


def separation(model):
    """Mean cosine within a topic minus mean cosine across topics."""
    unit = model.vectors / np.linalg.norm(model.vectors, axis=1, keepdims=True)
    group = np.array([w[0] == "a" for w in model.words])
    cos = unit @ unit.T
    same = (group[:, None] == group[None, :]) & ~np.eye(len(group), dtype=bool)
    return cos[same].mean() - cos[group[:, None] != group[None, :]].mean()


# --- streaming: the corpus is read line by line and trained from a file on disk ------------

def test_iter_sentences_streams_a_file_and_equals_read_corpus(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a b c d e\n\n  \nf g\n", encoding="utf-8")
    stream = iter_sentences(path, max_sentence_length=2)
    assert next(stream) == ["a", "b"]            # a generator: nothing read beyond what it needs
    assert list(stream) == [["c", "d"], ["e"], ["f", "g"]]
    assert read_corpus(path, max_sentence_length=2) == [["a", "b"], ["c", "d"], ["e"], ["f", "g"]]


def test_bad_utf8_is_located_on_a_later_line(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"good line\nsecond one\nna\xefve\n")
    with pytest.raises(ValueError, match=r"byte 0xef at offset 23 \(line 3\)"):
        train(path, progress=False)


@pytest.mark.parametrize("to_file", [False, True])
def test_encode_corpus_equals_vocabulary_encode(tmp_path, to_file):
    sentences = [["b", "a", "z", "b"], ["z"], ["c", "a", "b"], ["a"]]
    vocab = Vocabulary.build(sentences, min_count=3)             # keeps "a" and "b"
    ids, sentence_ids = vocab.encode(sentences)
    encoded = encode_corpus(iter(sentences), vocab, tmp_path / "ids" if to_file else None, buffer_words=2)
    assert isinstance(encoded, EncodedCorpus) and (encoded.path is not None) == to_file
    assert encoded.ids.tolist() == ids.tolist()
    assert encoded.starts.tolist() == [0, 3, 5, 6]     # the sentence ["z"] holds no kept word
    got_ids, got_sentences = encoded.sentences(1, 3)
    assert got_ids.tolist() == ids[3:].tolist() and got_sentences.tolist() == [1, 1, 2]


def _peak_training_memory(path):
    tracemalloc.start()
    try:
        train(path, vector_size=8, min_count=1, epochs=1, sample=0, batch_size=1024, progress=False)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_memory_does_not_grow_with_the_corpus(tmp_path, monkeypatch):
    """Training a corpus 8 times as long needs no more memory: it is never held whole."""
    monkeypatch.setattr(T, "CHUNK_WORDS", 1 << 14)
    rng = np.random.default_rng(0)
    words = np.array([f"w{i}" for i in range(300)])
    line = lambda: " ".join(words[rng.integers(300, size=20)])  # noqa: E731
    small, large = tmp_path / "small.txt", tmp_path / "large.txt"
    text = "\n".join(line() for _ in range(5_000)) + "\n"
    small.write_text(text, encoding="utf-8")
    large.write_text(text * 8, encoding="utf-8")
    peaks = [_peak_training_memory(p) for p in (small, large)]
    extra_text = 7 * len(text)                        # ~4.8 MB more text, ~0.8 M more words
    assert peaks[1] - peaks[0] < 0.1 * extra_text, peaks


# --- the plan: how the corpus is dealt out to the workers --------------------------------------

@settings(max_examples=30, deadline=None, derandomize=True)
@given(lengths=st.lists(st.integers(1, 300), min_size=1, max_size=60), workers=st.integers(1, 4),
       epochs=st.integers(1, 3), chunk=st.integers(50, 2000), shuffle=st.booleans(), seed=st.integers(0, 99))
def test_plan_queues_every_sentence_once_per_epoch(lengths, workers, epochs, chunk, shuffle, seed):
    starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    encoded = EncodedCorpus(np.zeros(starts[-1], np.int32), starts)
    queue, total = _plan(encoded, workers, epochs, shuffle, np.random.default_rng(seed), chunk_words=chunk)
    assert total == epochs * starts[-1]
    assert [e for e, _ in queue] == sorted(e for e, _ in queue) and {e for e, _ in queue} == set(range(epochs))
    for epoch in range(epochs):
        chunks = [spans for e, spans in queue if e == epoch]
        covered = sorted(s for spans in chunks for first, last in spans for s in range(first, last))
        assert covered == list(range(len(lengths)))
        for spans in chunks:
            words = sum(starts[last] - starts[first] for first, last in spans)
            assert words <= chunk or len(spans) == 1
    again, _ = _plan(encoded, workers, epochs, shuffle, np.random.default_rng(seed), chunk_words=chunk)
    assert again == queue                              # the same seed queues the same chunks
    if not shuffle:
        spans = [s for e, spans in queue if e == 0 for s in spans]
        assert [s[0] for s in spans] == sorted(s[0] for s in spans)


@pytest.mark.parametrize("workers", [2, 3])
def test_with_several_workers_each_epoch_has_a_few_chunks_per_worker(workers):
    starts = np.arange(0, 100_001, 50, dtype=np.int64)              # 2 000 sentences of 50 words
    encoded = EncodedCorpus(np.zeros(starts[-1], np.int32), starts)
    queue, _ = _plan(encoded, workers, 1, True, np.random.default_rng(0))
    assert 4 * workers <= len(queue) <= 5 * workers


def test_training_in_this_process_reads_the_queue_in_order_and_counts_epochs(capsys):
    """workers=1: the loss history has a point at every epoch's end, and one progress line per epoch."""
    model = train(TINY * 30, vector_size=6, window=2, min_count=1, epochs=4, batch_size=32, seed=2)
    out = capsys.readouterr().out
    assert out.count("\n") == 4
    ends = [done for done, _ in model.loss_history if abs(done * 4 - round(done * 4)) < 1e-9]
    assert ends == [0.25, 0.5, 0.75, 1.0]


@settings(max_examples=25, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10**6), n_vocab=st.integers(1, 12), n=st.integers(1, 40))
def test_scatter_adds_repeated_rows_like_add_at_and_touches_no_other_row(seed, n_vocab, n):
    rng = np.random.default_rng(seed)
    table = rng.normal(size=(n_vocab, 3)).astype(np.float32)
    rows = rng.integers(n_vocab, size=n).astype(np.int32)
    weights = rng.normal(size=n).astype(np.float32)
    G = rng.normal(size=(n, 3)).astype(np.float32)
    want = table.copy()
    np.add.at(want, rows, weights[:, None] * G)
    before = table.copy()
    _Scatter(n_vocab).add(table, rows, weights, G)
    np.testing.assert_allclose(table, want, rtol=1e-5, atol=1e-5)
    untouched = np.setdiff1d(np.arange(n_vocab), rows)
    assert np.array_equal(table[untouched], before[untouched])


# --- two workers ------------------------------------------------------------------------------

@TWO_CORES
@pytest.mark.slow
def test_two_workers_learn_what_one_worker_learns():
    corpus = topic_corpus()
    kw = dict(vector_size=10, window=3, min_count=1, sample=0, epochs=10, batch_size=256, loss_every=1,
              progress=False, seed=5)
    one, two = train(corpus, workers=1, **kw), train(corpus, workers=2, **kw)
    assert two.workers == 2 and two.vectors.dtype == np.float32 and np.all(np.isfinite(two.vectors))
    assert two.words == one.words and len(two.loss_history) >= 1
    assert separation(one) > 0.5 and separation(two) > 0.5


@TWO_CORES
def test_divergence_in_a_worker_is_the_same_clear_error():
    with pytest.raises(FloatingPointError, match=r"training diverged in epoch \d+, batch \d+ .*lower alpha"):
        train(TINY * 20, vector_size=8, window=2, min_count=1, sample=0, negative=3, epochs=50,
              alpha=1e4, min_alpha=1e4, batch_size=64, progress=False, workers=2)
    if os.path.isdir("/dev/shm"):                  # the shared blocks are gone too
        assert not [n for n in os.listdir("/dev/shm") if n.startswith(f"word2vec-{os.getpid()}-")]


def test_bad_worker_counts_name_the_argument(monkeypatch):
    monkeypatch.setattr(parallel, "available_cores", lambda: 2)
    for bad, message in [(0, r"workers must be at least 1 \(the number of training processes\), got 0"),
                         (3, r"workers=3 is more than the 2 cores this machine has: use at most 2"),
                         (1.5, r"workers must be a whole number of processes from 1 to 2 .*got 1\.5"),
                         ("2", r"workers must be a whole number .*got '2'"),
                         (True, r"workers must be a whole number .*got True")]:
        with pytest.raises(ValueError, match=message):
            train(TINY, min_count=1, workers=bad, progress=False)
    with pytest.raises(ValueError, match="runs in this process only: use workers=1, got workers=2"):
        train(TINY, min_count=1, workers=2, loss_and_gradient=lambda *a: None, progress=False)


@pytest.mark.parametrize("value, message", [
    ("0", "workers must be at least 1"),
    ("99", "workers=99 is more than the"),
    ("1.5", "expected a whole number of processes from 1 to"),
    ("two", "expected a whole number of processes from 1 to")])
def test_command_line_refuses_bad_worker_counts(tmp_path, value, message):
    run = subprocess.run([sys.executable, "-m", "derivations.train", "head500", "--out", str(tmp_path / "v.txt"),
                          "--workers", value], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 2 and "argument --workers: " + message in run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "v.txt").exists()


# --- stopping: no half-written file, no process or shared memory left behind --------------------

@pytest.fixture
def ctrl_c_raises():
    """SIGINT as a terminal user has it: ``KeyboardInterrupt`` here, the default in a child.

    The suite may run where SIGINT is ignored (a script's background job ignores it,
    and a child inherits that across exec): then Ctrl-C cannot reach the trainer,
    which is the caller's choice, not what these tests are about.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _children(pid):
    import psutil
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@TWO_CORES
@pytest.mark.slow
@pytest.mark.parametrize("how, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_interrupting_two_workers_leaves_nothing_behind(tmp_path, how, code, ctrl_c_raises):
    import psutil
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(" ".join(s) for s in topic_corpus(sentences=20_000)) + "\n", encoding="utf-8")
    out = tmp_path / "v.txt"
    private_tmp = tmp_path / "tmp"                  # the run's temporary files, apart from other jobs'
    private_tmp.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "derivations.train", str(corpus), "--out", str(out),
                             "--workers", "2", "--epochs", "200", "--min-count", "1", "--batch-size", "1024"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env=dict(os.environ, TMPDIR=str(private_tmp)))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workers = [c for c in _children(proc.pid) if "derivations.train" in " ".join(c.cmdline())]
        if len(workers) >= 2:
            break
        time.sleep(0.1)
    assert len(workers) >= 2, "the two workers never started"
    time.sleep(0.5)
    if how == "SIGINT":
        os.killpg(proc.pid, signal.SIGINT)       # what Ctrl-C in a terminal does: the whole group
    else:
        proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr
    if how == "SIGINT":
        assert "interrupted" in stdout
    for worker in workers:
        assert not worker.is_running() or worker.status() == psutil.STATUS_ZOMBIE
    assert not out.exists() and not list(tmp_path.glob(".tmp-*"))
    assert not list(private_tmp.iterdir())         # the encoded corpus is gone
    if os.path.isdir("/dev/shm"):                  # the shared blocks are named after their process
        assert not [n for n in os.listdir("/dev/shm") if n.startswith(f"word2vec-{proc.pid}-")]



@TWO_CORES
def test_ctrl_c_while_the_workers_start_is_not_lost(monkeypatch, tmp_path, ctrl_c_raises):
    """A Ctrl-C that arrives as a worker is forked interrupts training (it used to be ignored, then lost)."""
    ctx = parallel._context()
    started = []

    class InterruptedAtStart(ctx.Process):
        def start(self):
            super().start()
            started.append(self)
            if len(started) == 1:
                os.kill(os.getpid(), signal.SIGINT)      # Ctrl-C between the first worker and the second

    monkeypatch.setattr(ctx, "Process", InterruptedAtStart)
    monkeypatch.setattr(parallel, "_context", lambda: ctx)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    with pytest.raises(KeyboardInterrupt):
        train(topic_corpus(sentences=2_000), workers=2, epochs=3, min_count=1, progress=False)
    assert len(started) == 2                             # the workers started, then were stopped
    for proc in started:
        assert not proc.is_alive()
    if os.path.isdir("/dev/shm"):
        assert not [n for n in os.listdir("/dev/shm") if n.startswith(f"word2vec-{os.getpid()}-")]

# --- the larger real corpus -------------------------------------------------------------------

def test_tokenize_keeps_words_and_inner_apostrophes():
    assert tokenize("Don\u2019t stop, 2004! The U.S. (\u00a35m) rock'n'roll") == [
        "don't", "stop", "2004", "the", "u", "s", "5m", "rock'n'roll"]


@pytest.mark.slow
def test_bbc_news_corpus_is_prepared_once(tmp_path, monkeypatch):
    monkeypatch.setenv("WORD2VEC_DERIVED_CACHE", str(tmp_path))
    path = bbc_news_path()
    assert Path(path).parent == tmp_path and bbc_news_path() == path
    words = lines = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            lines += 1
            words += len(line.split())
    assert 800_000 < words < 900_000 and lines > 10_000
    assert not list(tmp_path.glob(".tmp-*"))


def test_lee_is_read_as_words_once(tmp_path, monkeypatch):
    """``lee``: one line per story of lee_background.cor, each its lower-cased tokens (as gensim's tests read it)."""
    monkeypatch.setenv("WORD2VEC_DERIVED_CACHE", str(tmp_path))
    path = corpus_path("lee")
    assert Path(path).parent == tmp_path and lee_path() == path
    with open(datapath("lee_background.cor"), encoding="utf-8") as f:
        stories = [tokenize(line) for line in f]
    with open(path, encoding="utf-8") as f:
        lines = [line.split() for line in f]
    assert lines == [s for s in stories if s] and len(lines) == 300
    assert all(w == w.lower() and w.replace("'", "").isalnum() for line in lines for w in line)
    assert not list(tmp_path.glob(".tmp-*"))
