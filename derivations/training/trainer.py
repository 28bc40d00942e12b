"""Train word vectors with the book's own gradients: skip-gram, negative sampling or naive softmax.

The batched functions below are eqs. (g.5)-(g.6) and (b.1)/(d.1) applied to many
pairs at once; ``tests/test_trainer.py`` proves that their gradients equal the
single-pair reference functions of :mod:`derivations.core.losses` summed over the batch.

Layout. Inside the trainer the vectors are stored as rows, ``V.T`` and ``U.T``
(shape ``(|V|, d)``, C order), because a minibatch gathers and scatters whole
vectors and a row is contiguous; :attr:`Word2Vec.V` and :attr:`Word2Vec.U` give
the package's ``(d, |V|)`` views of the same memory.

Roles. As in word2vec.c and gensim, each pair's outside word plays the role of
``v_c`` (its row of ``V`` is the input vector) and the window's centre word is
the predicted ``o``; over a corpus the two orientations visit the same pairs.

Steps. Each step sums the gradients of about ``BATCH_SIZE`` (2 048) pairs, all
computed from the vectors before the step. Larger steps are no faster per pair,
and on running text with subsampling off a frequent word's summed step
overshoots (8 192 pairs diverge on ``lee_background.cor``; the chapter shows it);
a batch whose loss climbs past ``LOSS_LIMIT`` times that of untrained vectors
stops training with a ``FloatingPointError``.

Streaming and cores. :func:`train` streams a corpus file (never held whole),
trains it ``CHUNK_WORDS`` words at a time, and with ``workers >= 2`` runs Hogwild
worker processes over shared memory (:mod:`derivations.training.parallel`).
"""
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse

from ..core.arguments import check_loss_and_gradients
from .corpus import (Vocabulary, corpus_name, draw_negatives, encode_corpus, iter_sentences, keep_probabilities,
                     negative_table, subsample, table_runs, windows)
from . import parallel
from .parallel import check_workers, sigterm_exits
from ..core.functions import log_sigmoid, log_softmax, softmax


def check_batch(name, x, ndim):
    x = np.asarray(x)
    if x.ndim != ndim or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"{name} must be a {ndim}-D float array, got {x.dtype} array of shape {x.shape}")
    return x


def neg_sampling_batch_loss_and_gradient(V_c, U_ow, mask=None, compute_loss=True):
    """Eqs. (g.1), (g.5), (g.6) for a batch of windows; each window's pairs share ``U_ow``.

    Window ``i`` holds ``n`` centre vectors ``V_c[i, j]`` (rows) and one stacked
    matrix ``U_ow[i] = [u_o, -u_{w_1}, ..., -u_{w_K}]`` of shape ``(d, K+1)``.
    Pair ``(i, j)`` is the single-pair loss of
    :func:`~derivations.neg_sampling_loss_and_gradient` with ``v_c = V_c[i, j]``.
    ### BEGIN SOLUTION
    ``scores = U_ow^T v_c``, ``delta = 1 - sigma(scores)``,
    ``grad_v_c = -U_ow delta`` (g.5), ``grad_U_ow = -v_c delta^T`` (g.6).
    ### END SOLUTION
    The batch loss is the sum over the pairs where ``mask`` is true, so its
    gradients are the pairs' gradients summed over each window's ``n`` pairs
    (part (i)'s ``n``: at most ``2m`` outside words for a window of ``m`` each side).
    With ``n = 1`` every pair has its own negatives.

    Args:
        V_c: shape ``(b, n, d)``.
        U_ow: shape ``(b, d, K+1)``.
        mask: optional, shape ``(b, n)``: which pairs count (bool or 0/1).
        compute_loss: if False the loss is not evaluated (returned as ``nan``);
            the trainer evaluates it on some batches only.

    Returns:
        ``(loss, grad_V_c, grad_U_ow)``: a float, shape ``(b, n, d)``, shape ``(b, d, K+1)``.
    """
    V_c = check_batch("V_c", V_c, 3)
    U_ow = check_batch("U_ow", U_ow, 3)
    if U_ow.shape[:2] != (V_c.shape[0], V_c.shape[2]):
        raise ValueError(f"U_ow must have shape (b, d, K+1) = ({V_c.shape[0]}, {V_c.shape[2]}, K+1) "
                         f"to match V_c of shape {V_c.shape}, got {U_ow.shape}")
    ### BEGIN SOLUTION
    scores = V_c @ U_ow                        # (b, n, K+1): row (i, j) is U_ow[i]^T v_c
    loss = float("nan")
    if compute_loss:
        terms = log_sigmoid(scores).sum(axis=2)
        loss = -float(np.sum(terms if mask is None else terms * mask))
    # delta = 1 - sigma(scores) = 1 / (1 + exp(scores)), in place; exp overflowing
    # to inf gives delta = 0, the exact limit, so the warning is silenced.
    delta = scores
    with np.errstate(over="ignore"):
        np.exp(delta, out=delta)
    delta += 1
    np.reciprocal(delta, out=delta)
    if mask is not None:
        delta *= np.asarray(mask, dtype=delta.dtype)[:, :, None]
    grad_V_c = delta @ U_ow.transpose(0, 2, 1)
    np.negative(grad_V_c, out=grad_V_c)                            # (b, n, d)   eq. (g.5)
    # Computed as (b, K+1, d) rows and returned transposed: the trainer scatters rows.
    grad_U_ow = delta.transpose(0, 2, 1) @ V_c
    np.negative(grad_U_ow, out=grad_U_ow)                          # (b, K+1, d) eq. (g.6)
    ### END SOLUTION
    return loss, grad_V_c, grad_U_ow.transpose(0, 2, 1)


def naive_softmax_batch_loss_and_gradient(V_c, o, U):
    """Eqs. (a.1), (b.1), (d.1) for a batch of pairs: rows of ``V_c``, outside words ``o``.

    ``scores = V_c U`` (row ``p`` is ``U^T v_c``), ``y_hat = softmax(scores)``.
    ### BEGIN SOLUTION
    ``delta = y_hat - y``; ``grad_V_c = delta U^T`` (row ``p`` is ``U (y_hat - y)``,
    eq. (b.1)) and ``grad_U = V_c^T delta``, the sum over pairs of eq. (d.1).
    ### END SOLUTION
    Costs ``O(b d |V|)``: for small vocabularies.

    Args:
        V_c: shape ``(b, d)``; o: ``b`` word indices; U: shape ``(d, |V|)``.

    Returns:
        ``(loss, grad_V_c, grad_U)``: a float (summed over the batch), ``(b, d)``, ``(d, |V|)``.
    """
    V_c = check_batch("V_c", V_c, 2)
    U = check_batch("U", U, 2)
    o = np.asarray(o)
    if o.shape != (V_c.shape[0],) or not np.issubdtype(o.dtype, np.integer):
        raise ValueError(f"o must hold {V_c.shape[0]} integer word indices, got {o.dtype} shape {o.shape}")
    if U.shape[0] != V_c.shape[1]:
        raise ValueError(f"U must have shape (d, |V|) with d = {V_c.shape[1]}, got {U.shape}")
    ### BEGIN SOLUTION
    rows = np.arange(len(o))
    scores = V_c @ U                                   # (b, |V|)
    y_hat = softmax(scores)
    loss = -float(np.sum(log_softmax(scores)[rows, o]))
    delta = y_hat
    delta[rows, o] -= 1                                # y_hat - y
    grad_V_c = delta @ U.T                             # (b, d)    eq. (b.1)
    grad_U = V_c.T @ delta                             # (d, |V|)  eq. (d.1), summed
    ### END SOLUTION
    return loss, grad_V_c, grad_U


@dataclass
class Word2Vec:
    """Trained vectors and what the training recorded.

    Attributes:
        vocab: the :class:`~derivations.training.corpus.Vocabulary`.
        vectors: the input vectors, one row per word, shape ``(|V|, d)``, float32
            (what word2vec.c and gensim save, and what we evaluate).
        outside_vectors: the output vectors as rows, shape ``(|V|, d)``.
        loss_history: list of ``(fraction_of_training_done, mean_loss_per_pair)``.
        seconds: wall-clock training time, vocabulary included.
        words_per_second: corpus words (before subsampling) times epochs, per second.
        workers: how many processes trained (see :mod:`derivations.training.parallel`).
    """
    vocab: Vocabulary
    vectors: np.ndarray
    outside_vectors: np.ndarray
    loss_history: list = field(default_factory=list)
    seconds: float = float("nan")
    words_per_second: float = float("nan")
    workers: int = 1

    @property
    def words(self):
        return self.vocab.words

    @property
    def V(self):
        """Centre (input) vectors in the package layout, shape ``(d, |V|)`` (a view)."""
        return self.vectors.T

    @property
    def U(self):
        """Outside (output) vectors in the package layout, shape ``(d, |V|)`` (a view)."""
        return self.outside_vectors.T

    def most_similar(self, word, topn=5):
        """The ``topn`` words with the highest cosine similarity to ``word``: list of (word, cosine)."""
        return most_similar(self.words, self.vectors, word, topn)

    def save(self, path):
        """Write the vectors in word2vec text format (see :func:`save_word2vec_format`)."""
        save_word2vec_format(path, self.words, self.vectors)


def most_similar(words, vectors, word, topn=5):
    """Nearest neighbours by cosine similarity: list of ``(word, cosine)``, best first."""
    index = {w: i for i, w in enumerate(words)}
    if word not in index:
        raise KeyError(f"{word!r} is not in the vocabulary ({len(words)} words)")
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    cosines = unit @ unit[index[word]]
    cosines[index[word]] = -np.inf
    best = np.argsort(-cosines, kind="stable")[:topn]
    return [(words[i], float(cosines[i])) for i in best]


def save_word2vec_format(path, words, vectors):
    """Save in word2vec text format: a ``"|V| d"`` line, then ``word x_1 ... x_d`` per word.

    Atomic: the file is written under a temporary name in the same folder and
    renamed over ``path`` only when complete (``os.replace``), so an interrupted
    run (Ctrl-C) leaves either the old file or none, never half of one.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise ValueError(f"vectors must have shape (len(words), d) = ({len(words)}, d), got {vectors.shape}")
    for w in words:
        if not w or any(ch.isspace() for ch in w):
            raise ValueError(f"word {w!r} cannot be saved in word2vec text format: "
                             f"words must be non-empty and hold no whitespace")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".w2v")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(f"{len(words)} {vectors.shape[1]}\n")
            row = " ".join(["%.7g"] * vectors.shape[1])
            for w, v in zip(words, vectors):
                f.write(f"{w} {row % tuple(v.tolist())}\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        # KeyboardInterrupt included: remove the partial file, then re-raise.
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_word2vec_format(path):
    """Read a word2vec text file: returns ``(words, vectors)``, ``vectors`` float32 ``(|V|, d)``."""
    with open(path, encoding="utf-8") as f:
        header = f.readline().split()
        if len(header) != 2 or not all(h.isdigit() for h in header):
            raise ValueError(f"{path!r} is not in word2vec text format: the first line must be "
                             f"'<number of words> <dimension>', got {' '.join(header)[:60]!r}")
        count, d = int(header[0]), int(header[1])
        words, rows = [], []
        for k, line in enumerate(f, start=2):
            parts = line.rstrip("\n").split(" ")
            if len(parts) != d + 1:
                raise ValueError(f"{path!r} line {k}: expected a word and {d} numbers, got {len(parts) - 1} numbers")
            words.append(parts[0])
            rows.append(parts[1:])
    if len(words) != count:
        raise ValueError(f"{path!r}: the header announces {count} words, the file holds {len(words)}")
    return words, np.array(rows, dtype=np.float32).reshape(count, d)


class Progress:
    """A progress line on stdout: percent done, words/s, the time left (ETA) and the recent mean loss.

    On a terminal it is redrawn in place with ``\\r``; elsewhere (a notebook, a
    log file) it prints one line per epoch, so it never floods the output. Never
    writes to stderr (the book build treats stderr output as an error).
    """

    def __init__(self, total_words, enabled=True, stream=None):
        self.stream = stream or sys.stdout
        self.enabled = enabled
        self.total = total_words
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.start = time.perf_counter()
        self.last = 0.0

    def update(self, words_done, loss, epoch_end=False):
        if not self.enabled:
            return
        now = time.perf_counter()
        if not (epoch_end or (self.tty and now - self.last > 0.2)):
            return
        self.last = now
        rate = words_done / max(now - self.start, 1e-9)
        frac = min(1.0, words_done / self.total)
        bar = "#" * int(20 * frac)
        left = (self.total - words_done) / rate if rate > 0 else float("inf")
        text = (f"[{bar:<20s}] {100 * frac:5.1f}%  {rate:9,.0f} words/s  ETA {format_seconds(left):>7s}"
                f"  loss {loss:.4f}")
        if self.tty:
            self.stream.write("\r" + text + ("\n" if frac >= 1 else ""))
        elif epoch_end:
            self.stream.write(text + "\n")
        self.stream.flush()


def format_seconds(seconds):
    """``"42s"``, ``"3m05s"``, ``"2h07m"``; ``"?"`` when unknown."""
    if not np.isfinite(seconds):
        return "?"
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class _Monitor:
    """Loss history and progress line, read from the workers' status rows.

    ``status`` has one row per worker: words done (of those kept by
    ``min_count``), loss summed, pairs the loss was summed over. An epoch has
    ended when the workers' words add up to the corpus's once more.
    """

    def __init__(self, status, bar, known_words, corpus_words, epochs):
        self.status, self.bar = status, bar
        self.known_words = max(1, known_words)
        self.known_total = max(1, known_words * epochs)
        self.words_total = corpus_words * epochs
        self.history, self.loss, self.pairs, self.epochs_seen = [], 0.0, 0.0, 0

    def tick(self, record=False):
        status = self.status
        words = float(status[:, 0].sum())
        done = min(1.0, words / self.known_total)
        epochs = int(words // self.known_words)
        if record or epochs > self.epochs_seen:
            loss, pairs = float(status[:, 1].sum()), float(status[:, 2].sum())
            if pairs > self.pairs:
                self.history.append((done, (loss - self.loss) / (pairs - self.pairs)))
                self.loss, self.pairs = loss, pairs
        last = self.history[-1][1] if self.history else float("nan")
        for _ in range(self.epochs_seen, epochs):     # one line per epoch that all workers finished
            self.bar.update(int(self.words_total * done), last, epoch_end=True)
        self.epochs_seen = max(self.epochs_seen, epochs)
        self.bar.update(int(self.words_total * done), last)


def _check_positive(name, value, low, integer=True):
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    if isinstance(value, bool) or not isinstance(value, kinds) or not value >= low:
        what = "an integer" if integer else "a number"
        raise ValueError(f"{name} must be {what} >= {low}, got {value!r}")
    return value


def _per_pair_step(loss_and_gradient, Vt, Ut, inputs, targets, negatives, lr):
    """One SGD step per pair through a single-pair function (a reader's own, say): slow, small runs."""
    name = getattr(loss_and_gradient, "__name__", "loss_and_gradient")
    total = 0.0
    for p in range(len(inputs)):
        v_c, U = Vt[inputs[p]], Ut.T
        extra = () if negatives is None else (negatives[p],)
        loss, grad_v_c, grad_U = check_loss_and_gradients(
            name, loss_and_gradient(v_c, int(targets[p]), U, *extra), v_c, U)
        Vt[inputs[p]] -= lr * grad_v_c
        Ut -= lr * grad_U.T
        total += loss
    return total


LOSS_LIMIT = 10            # a batch loss this many times that of untrained vectors means divergence
BATCH_SIZE = 2048          # pairs per step: about as fast per pair as 8192, and no overshoot (see the chapter)
CHUNK_WORDS = 1 << 18      # words a worker subsamples, cuts into windows and shuffles at once
NEGATIVE_BLOCK = 1 << 15   # windows whose negatives are drawn in one call
BLOCKS_PER_WORKER = 16     # the corpus is dealt out in about this many blocks of sentences per worker


def train(corpus, *, vector_size=100, window=5, min_count=5, sample=1e-3, negative=5, epochs=5,
          alpha=0.025, min_alpha=1e-4, batch_size=BATCH_SIZE, seed=1, share_negatives=True, shuffle=True,
          loss_and_gradient=None, loss_every=8, progress=True, workers=1):
    """Train skip-gram word vectors by minibatch SGD with the book's gradients.

    The pipeline of word2vec.c: vocabulary with ``min_count``, frequent-word
    subsampling (``sample``), dynamic windows of up to ``window`` words each
    side, negatives from unigram^0.75 (``negative`` = K per pair, each different
    from the pair's predicted word ``o``, as part (g) assumes; 0 means naive
    softmax over the whole vocabulary), learning rate decaying linearly from
    ``alpha`` to ``min_alpha``, float32 vectors. Each step takes about
    ``batch_size`` pairs (whole windows, visited in a random order when
    ``shuffle``) and applies the sum of their gradients.

    Memory. A corpus file is streamed twice, one line at a time: once to count
    the words, once to write their indices to a temporary ``int32`` file (in
    :func:`tempfile.gettempdir`, deleted at the end) that training maps from disk.
    Training takes the corpus ``CHUNK_WORDS`` words at a time, so memory grows
    with the vocabulary, not with the corpus.

    Args:
        corpus: a path to a UTF-8 text file (one sentence per line) or a list of token lists.
        share_negatives: the pairs of one window share its K negatives (each
            pair still has loss (g.1)); False draws K per pair, as word2vec.c does.
        loss_and_gradient: ``None`` for the fast batched functions of this module,
            or a single-pair function ``f(v_c, o, U, negatives)`` (``f(v_c, o, U)``
            when ``negative=0``) such as
            :func:`~derivations.neg_sampling_loss_and_gradient` or a reader's own.
            It is called once per pair with ``U`` of shape ``(d, |V|)``: only for
            small corpora, and only with ``workers=1``.
        loss_every: evaluate the loss on one batch in this many (the loss costs
            a pass of its own; the gradients do not need it).
        progress: print a progress line (stdout): words/s, time left, loss.
        workers: training processes, from 1 to the number of cores. With 1 (the
            default) training runs in this process and the result depends on the
            seed only. With more, Hogwild processes update shared vectors without
            locks: faster, but the vectors then also depend on how the processes'
            updates interleave (:mod:`derivations.training.parallel` says exactly what is
            reproducible).

    Returns:
        A :class:`Word2Vec`.
    """
    start = time.perf_counter()
    vector_size = _check_positive("vector_size", vector_size, 1)
    window = _check_positive("window", window, 1)
    negative = _check_positive("negative", negative, 0)
    epochs = _check_positive("epochs", epochs, 1)
    batch_size = _check_positive("batch_size", batch_size, 1)
    loss_every = _check_positive("loss_every", loss_every, 1)
    alpha = _check_positive("alpha", alpha, 0.0, integer=False)
    min_alpha = _check_positive("min_alpha", min_alpha, 0.0, integer=False)
    workers = check_workers(workers)
    if loss_and_gradient is not None and not callable(loss_and_gradient):
        raise TypeError(f"loss_and_gradient must be a function or None, got {type(loss_and_gradient).__name__}")
    if loss_and_gradient is not None and workers > 1:
        raise ValueError(f"loss_and_gradient (a single-pair function, called from Python) runs in this "
                         f"process only: use workers=1, got workers={workers}")
    name = corpus_name(corpus)
    in_memory = not isinstance(corpus, (str, os.PathLike))
    if in_memory:
        corpus = list(iter_sentences(corpus))      # checks the sentences; read twice below
    with sigterm_exits():
        vocab = Vocabulary.build(iter_sentences(corpus), min_count, name=name)
        Vt, Ut, history = _train_corpus(
            corpus, vocab, in_memory, vector_size=vector_size, window=window, sample=sample,
            negative=negative, epochs=epochs, alpha=alpha, min_alpha=min_alpha, batch_size=batch_size,
            seed=seed, share_negatives=share_negatives, shuffle=shuffle, loss_and_gradient=loss_and_gradient,
            loss_every=loss_every, progress=progress, workers=workers, min_count=min_count)
    seconds = time.perf_counter() - start
    return Word2Vec(vocab, Vt, Ut, history, seconds, vocab.corpus_words * epochs / seconds, workers)


def _train_corpus(corpus, vocab, in_memory, workers, **settings):
    """Encode ``corpus`` (to a temporary file, unless it is a list trained in this process) and train."""
    with tempfile.TemporaryDirectory(prefix="word2vec-") as folder:
        path = None if in_memory and workers == 1 else os.path.join(folder, "corpus.int32")
        encoded = encode_corpus(iter_sentences(corpus), vocab, path)
        del corpus
        result = _train_encoded(vocab, encoded, workers=workers, **settings)
        del encoded                                # unmap before the folder goes
    return result


@dataclass
class _Job:
    """What every worker needs to train its share (picklable, for workers started by spawn)."""
    window: int
    negative: int
    epochs: int
    alpha: float
    min_alpha: float
    batch_size: int
    loss_every: int
    share_negatives: bool
    shuffle: bool
    keep: np.ndarray          # (|V|,) float32: subsampling's keep probabilities
    table: np.ndarray         # negative-sampling table, or None
    queue: list               # the chunks to train, in order: (epoch, list of sentence spans)
    total_words: int          # words (kept by min_count) over all epochs: the learning-rate schedule's length
    loss_and_gradient: object = None


def _train_encoded(vocab, encoded, *, vector_size, window, sample, negative, epochs, alpha, min_alpha,
                   batch_size, seed, share_negatives, shuffle, loss_and_gradient, loss_every, progress,
                   workers, min_count):
    if len(encoded) < window + 1:
        raise ValueError(
            f"the corpus is shorter than the window: {len(encoded)} words of the vocabulary "
            f"(min_count={min_count}) but window={window} needs at least {window + 1}")
    if not np.any(encoded.lengths >= 2):
        raise ValueError("no sentence holds two words of the vocabulary, so there is no "
                         "(centre, outside) pair to train on")
    if negative == 0 and len(vocab) > 5000:
        raise ValueError(f"naive softmax (negative=0) costs O(|V|) per pair; |V| = {len(vocab)} is "
                         f"too large for it: use negative sampling (negative >= 1) or raise min_count")
    # Independent streams: initial vectors, the order the blocks are dealt in, one per worker.
    seeds = np.random.SeedSequence(seed).spawn(2 + workers)
    rng = np.random.default_rng(seeds[0])
    n_vocab, d = len(vocab), vector_size
    # gensim 4's initialisation: input vectors uniform in [-1/d, 1/d), output vectors zero
    # (word2vec.c draws the input vectors from half that range).
    Vt = ((rng.random((n_vocab, d), dtype=np.float32) - 0.5) * np.float32(2 / d)).astype(np.float32)
    Ut = np.zeros((n_vocab, d), dtype=np.float32)
    queue, total_words = _plan(encoded, workers, epochs, shuffle, np.random.default_rng(seeds[1]))
    job = _Job(window, negative, epochs, alpha, min_alpha, batch_size, loss_every, share_negatives, shuffle,
               keep_probabilities(vocab.counts, sample), negative_table(vocab.counts) if negative else None,
               queue, total_words, loss_and_gradient)
    status = np.zeros((workers, 3))
    monitor = _Monitor(status, Progress(vocab.corpus_words * epochs, enabled=progress), len(encoded),
                       vocab.corpus_words, epochs)
    if workers == 1:
        _train_share(Vt, Ut, encoded, job, 0, status, np.random.default_rng(seeds[2]), tick=monitor.tick)
    else:
        vectors = [Vt, Ut]
        del Vt, Ut                          # parallel.run copies them into shared memory and lets these go
        Vt, Ut = parallel.run(_train_share, job, encoded, vectors, seeds[2:], monitor)
    return Vt, Ut, monitor.history


def _plan(encoded, workers, epochs, shuffle, rng, chunk_words=None):
    """The chunks to train, epoch by epoch: the queue the workers take them from.

    The corpus is cut at sentence boundaries into blocks of about
    ``len / (BLOCKS_PER_WORKER * workers)`` words (at most ``CHUNK_WORDS``). Each
    epoch takes the blocks in a random order when ``shuffle`` (corpus order
    otherwise) and groups them, in that order, into chunks of at most
    ``CHUNK_WORDS`` words; with several workers, of at most a quarter of a
    worker's share of the epoch, so that there are a few chunks per worker and
    a worker that is slowed down (a busy machine) leaves more of them to the
    others. A chunk is subsampled, cut into windows and shuffled at once.

    Returns:
        ``(queue, total_words)``: ``queue`` lists ``(epoch, spans)`` in training
        order, ``spans`` a list of ``(first_sentence, last_sentence)``;
        ``total_words`` is the number of words over all epochs.
    """
    chunk_words = chunk_words or CHUNK_WORDS
    starts = encoded.starts
    n = int(starts[-1])
    target = int(min(chunk_words, max(256, n // (BLOCKS_PER_WORKER * workers))))
    limit = chunk_words if workers == 1 else int(min(chunk_words, max(target, n // (4 * workers))))
    cuts = np.unique(np.searchsorted(starts[:-1], np.arange(0, n, target)))
    bounds = np.append(cuts, len(starts) - 1)
    sizes = starts[bounds[1:]] - starts[bounds[:-1]]
    queue = []
    for epoch in range(epochs):
        order = rng.permutation(len(sizes)) if shuffle else np.arange(len(sizes))
        chunk, words = [], 0
        for b in order:
            if chunk and words + sizes[b] > limit:
                queue.append((epoch, chunk))
                chunk, words = [], 0
            chunk.append((int(bounds[b]), int(bounds[b + 1])))
            words += int(sizes[b])
        if chunk:
            queue.append((epoch, chunk))
    return queue, n * epochs


def _gather(encoded, spans):
    """``(ids, sentence_ids)`` of the sentence spans of one chunk, end to end, in memory."""
    parts = [encoded.sentences(first, last) for first, last in spans]
    if len(parts) == 1:
        return parts[0]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _train_share(Vt, Ut, encoded, job, index, status, rng, tick=None, parent_pid=None, claim=None):
    """Train chunks of the queue (:func:`_plan`), updating ``Vt`` and ``Ut`` in place.

    In this process (``claim`` None) every chunk is trained, in order, and the
    learning rate follows this run's progress. A worker process calls ``claim()``
    for the position of its next chunk (a counter the workers share), and the
    learning rate follows the progress of all workers together (the sum of the
    ``status`` rows), as in gensim. ``status[index]`` is kept up to date (words
    done, loss sum, pairs); ``tick`` (in-process training) is called every 8
    batches and at each epoch's end, to record the loss and draw the progress
    line. A worker (``parent_pid`` given) stops if its parent dies.
    """
    K = job.negative
    n_vocab = Vt.shape[0]
    # Sign of each column of U_ow = [u_o, -u_w1, ..., -u_wK].
    signs = np.array([1.0] + [-1.0] * K, dtype=np.float32)
    scatter_U, scatter_V = _Scatter(n_vocab), _Scatter(n_vocab)
    runs = table_runs(job.table, n_vocab) if K else None     # each word's slots in the table, for draw_negatives
    per_pair = not (job.share_negatives and K) or job.loss_and_gradient is not None
    total = max(1, job.total_words)
    queue = job.queue
    if claim is None:
        positions = iter(range(len(queue)))
        claim = lambda: next(positions, len(queue))  # noqa: E731
        progress = lambda: done + n * j / len(batches)  # noqa: E731
    else:
        progress = lambda: float(status[:, 0].sum())  # noqa: E731
    # Untrained vectors (U = 0) cost (K+1) log 2 per pair, or log |V| for naive softmax; a batch
    # costing LOSS_LIMIT times that has overshot, and its vectors are growing without bound.
    limit = LOSS_LIMIT * (np.log(n_vocab) if K == 0 else (K + 1) * np.log(2))
    row = status[index]
    done = batch_count = n = j = 0
    batches = [None]
    epoch, k = 0, 0
    # A learning rate too large for the batch makes the vectors overflow: stop with a
    # clear message instead of training on (and saving) inf and nan.
    try:
        with np.errstate(over="raise", invalid="raise"):
            while True:
                position = claim()
                if position >= len(queue):
                    break
                if queue[position][0] != epoch:
                    if tick is not None:
                        tick(record=True)           # an epoch ended
                    epoch, k = queue[position][0], 0
                spans = queue[position][1]
                ids, sentence_ids = _gather(encoded, spans)
                n = len(ids)
                kept, kept_sentences = subsample(ids, sentence_ids, job.keep, rng)
                outside, mask, reach = windows(kept, kept_sentences, job.window, rng)
                # Shared negatives: each window's row [o, w_1, ..., w_K], drawn for the whole chunk before
                # its batches (a few calls, not one per batch); the batches take their windows' rows.
                centre = kept if per_pair else _with_negatives(kept, job.table, K, rng, runs)
                batches = _batches(outside, mask, centre, reach, job.batch_size, per_pair, job.shuffle, rng)
                del outside, mask, reach, centre
                for j, (inputs, batch_mask, centre) in enumerate(batches):
                    lr = job.alpha - (job.alpha - job.min_alpha) * min(1.0, progress() / total)
                    want_loss = batch_count % job.loss_every == 0
                    batch_count += 1
                    if job.loss_and_gradient is not None:
                        negs = (draw_negatives(job.table, (len(centre), K), rng, exclude=centre, runs=runs)
                                if K else None)
                        loss = _per_pair_step(job.loss_and_gradient, Vt, Ut, inputs[:, 0], centre, negs, lr)
                        pairs = len(centre)
                    elif K:
                        # Rows [o, w_1, ..., w_K]: drawn above, or each pair's own K negatives, drawn now.
                        targets = _with_negatives(centre, job.table, K, rng, runs) if per_pair else centre
                        loss, pairs = _neg_sampling_step(Vt, Ut, inputs, targets, batch_mask, signs, lr,
                                                         want_loss, scatter_U, scatter_V)
                    else:
                        loss = _naive_softmax_step(Vt, Ut, inputs[:, 0], centre, lr, scatter_V)
                        pairs = len(centre)
                    if not np.isnan(loss) and pairs:
                        if loss > limit * pairs:
                            raise FloatingPointError(
                                f"the loss per pair reached {loss / pairs:.3g}, over {LOSS_LIMIT} times "
                                f"the {limit / LOSS_LIMIT:.3g} of untrained vectors")
                        row[1] += loss
                        row[2] += pairs
                    row[0] = done + n * (j + 1) / len(batches)
                    k += 1
                    if tick is not None:
                        if batch_count % 8 == 0:
                            tick(record=batch_count % (job.loss_every * 8) == 0)
                    elif parent_pid is not None and batch_count % 16 == 0 and os.getppid() != parent_pid:
                        raise SystemExit("the parent process is gone")
                batches = [None]            # lets this chunk's arrays go before the next chunk's are built
                done += n
                row[0] = done
            if tick is not None:
                tick(record=True)
    except FloatingPointError as err:
        raise FloatingPointError(
            f"training diverged in epoch {epoch + 1}, batch {k + 1} ({err}): lower alpha "
            f"(now {job.alpha}) or batch_size (now {job.batch_size})") from None


def _with_negatives(o, table, K, rng, runs):
    """Rows ``[o, w_1, ..., w_K]``, shape ``(len(o), K+1)``: each ``o`` and K negatives other than it,
    drawn ``NEGATIVE_BLOCK`` rows at a time so that the draw's temporary arrays stay small."""
    rows = np.empty((len(o), K + 1), dtype=np.int32)
    rows[:, 0] = o
    for s in range(0, len(o), NEGATIVE_BLOCK):
        block = o[s:s + NEGATIVE_BLOCK]
        rows[s:s + len(block), 1:] = draw_negatives(table, (len(block), K), rng, exclude=block, runs=runs)
    return rows


SHUFFLE_CHUNK = 16


def _batches(outside, mask, centre, reach, batch_size, per_pair, shuffle, rng):
    """One chunk's minibatches: a sequence of ``(inputs, mask, centre)``, built one at a time.

    ``inputs`` has shape ``(b, n)`` (the outside words of ``b`` windows, whose
    centres are ``centre``, shape ``(b,)``) and ``mask`` marks the real pairs
    (float32 0/1, or ``None`` when all are real). ``batch_size`` counts pairs.
    ``centre`` may also hold a row per window (the trainer's ``[o, w_1, ..., w_K]``):
    a batch then takes its windows' rows, shape ``(b, K+1)``.

    Batches are cut from the windows in a random order (``shuffle``): a corpus
    dwells on one topic for many lines, and a batch of neighbouring windows sums
    many gradients of the same few words computed from the same stale vectors.
    The order is random by chunks of ``SHUFFLE_CHUNK`` consecutive windows, which
    share most of their words, so gathering their vectors stays cache-friendly.
    With sharing, each batch holds windows of one reach ``r`` only, so it needs
    ``n = 2r`` columns instead of ``2 * window``, most of them real pairs; the
    batches of all reaches are then visited in a random order.

    Only the batches' window indices are computed up front; each batch's arrays
    are gathered when it is trained, so they are still in the processor's cache
    when the step reads them, and a chunk's batches never occupy memory all at once
    (the rows of ``centre`` do: ``(K+1)`` integers per window of the chunk).
    """
    n, two_w = outside.shape
    window = two_w // 2
    order = np.arange(n)
    if shuffle:
        chunks = -(-n // SHUFFLE_CHUNK)
        order = (rng.permutation(chunks)[:, None] * SHUFFLE_CHUNK + np.arange(SHUFFLE_CHUNK)).ravel()
        order = order[order < n]
    if per_pair:
        rows, cols = np.nonzero(mask[order])
        rows = order[rows]
        inputs, centre = outside[rows, cols][:, None], centre[rows]
        return [(inputs[s:s + batch_size], None, centre[s:s + batch_size])
                for s in range(0, len(centre), batch_size)]
    if not shuffle:
        step = max(1, batch_size // two_w)
        groups = [(slice(s, s + step), slice(None)) for s in range(0, n, step)]
    else:
        groups = []
        for r in range(1, window + 1):
            idx = order[reach[order] == r]
            step, cols = max(1, batch_size // (2 * r)), slice(window - r, window + r)
            groups += [(idx[s:s + step], cols) for s in range(0, len(idx), step)]
        groups = [groups[k] for k in rng.permutation(len(groups))]
    return _LazyBatches(outside, mask, centre, groups)


class _LazyBatches:
    """The batches ``(outside[rows, cols], mask[rows, cols] as float32, centre[rows])`` of ``groups``, built on demand."""

    def __init__(self, outside, mask, centre, groups):
        self.outside, self.mask, self.centre, self.groups = outside, mask, centre, groups

    def __len__(self):
        return len(self.groups)

    def __iter__(self):
        outside, mask, centre = self.outside, self.mask, self.centre
        for rows, cols in self.groups:
            if isinstance(rows, slice):
                yield outside[rows, cols], mask[rows, cols].astype(np.float32), centre[rows]
            else:
                # Whole rows by take, then a view of the columns: about twice as fast as outside[rows, cols].
                yield (outside.take(rows, axis=0)[:, cols], mask.take(rows, axis=0)[:, cols].astype(np.float32),
                       centre.take(rows, axis=0))


MATRICES_KEPT = 16         # sparse matrices a _Scatter keeps, one per batch shape


class _Scatter:
    """``table += M @ G`` for a sparse ``M`` with one entry per column: a scatter-add of rows.

    ``M`` has shape ``(|V|, n)``, column ``j`` holding ``weight_j`` in row
    ``rows_j``; row ``r`` of ``M @ G`` adds up ``weight_j G_j`` over every
    ``j`` with ``rows_j = r``, so repeated words count once per occurrence
    (part (h)). scipy runs it in compiled code (no ``np.add.at``). Only the
    rows the batch touches are read and written: ``M`` keeps just those rows
    (numbered in a scratch array of ``|V|`` slots), and the sums are added to
    ``table[touched]``. Other rows are left alone, which matters when another
    worker process is updating them at the same time.
    """

    def __init__(self, n_vocab):
        self.n_vocab = n_vocab
        self.seen = np.zeros(n_vocab, dtype=bool)
        self.slot = np.zeros(n_vocab, dtype=np.int32)
        self.matrices = {}

    def add(self, table, rows, weights, G):
        n = len(rows)
        self.seen[rows] = True
        touched = np.flatnonzero(self.seen)
        self.seen[touched] = False
        self.slot[touched] = np.arange(len(touched), dtype=np.int32)
        # M is n x n (no batch touches more than n rows), built once per batch shape: building
        # a sparse matrix costs more than the product; only its data and row indices change.
        M = self.matrices.get(n)
        if M is None:
            M = scipy.sparse.csc_matrix((weights, self.slot[rows], np.arange(n + 1, dtype=np.int32)), shape=(n, n))
            # Kept for the few full-batch shapes only: a chunk's last batch of each reach has a size
            # of its own, and caching every one would make memory grow with the corpus.
            if len(self.matrices) < MATRICES_KEPT:
                self.matrices[n] = M
        else:
            M.data, M.indices = weights, self.slot[rows]
        sums = (M @ G)[:len(touched)]
        sums += table.take(touched, axis=0)         # take + assignment: faster than table[touched] +=
        table[touched] = sums


def _neg_sampling_step(Vt, Ut, inputs, targets, mask, signs, lr, want_loss, scatter_U, scatter_V):
    """Gather, :func:`neg_sampling_batch_loss_and_gradient`, scatter: one SGD step in place."""
    b, n = inputs.shape
    d, k1 = Vt.shape[1], targets.shape[1]
    V_c = np.take(Vt, inputs, axis=0)                       # (b, n, d)
    U_ow_rows = np.take(Ut, targets, axis=0)                # (b, K+1, d): u_o, u_w1, ...
    U_ow_rows[:, 1:] *= -1                                   # -> u_o, -u_w1, ...
    loss, grad_V_c, grad_U_ow = neg_sampling_batch_loss_and_gradient(
        V_c, U_ow_rows.transpose(0, 2, 1), mask, compute_loss=want_loss)
    # Column s of U_ow is -u_ws, so dJ/du_ws = -(column s of grad_U_ow): the sign goes in the weights.
    weights = np.empty((b, k1), dtype=np.float32)
    weights[:] = signs * np.float32(-lr)
    scatter_U.add(Ut, targets.reshape(-1), weights.reshape(-1), grad_U_ow.transpose(0, 2, 1).reshape(b * k1, d))
    scatter_V.add(Vt, inputs.reshape(-1), np.full(b * n, -lr, dtype=np.float32),
                  grad_V_c.reshape(b * n, d))
    pairs = b * n if mask is None else int(np.count_nonzero(mask))
    return loss, pairs


def _naive_softmax_step(Vt, Ut, inputs, targets, lr, scatter_V=None):
    V_c = np.take(Vt, inputs, axis=0)
    loss, grad_V_c, grad_U = naive_softmax_batch_loss_and_gradient(V_c, targets, Ut.T)
    scatter_V = scatter_V or _Scatter(Vt.shape[0])
    scatter_V.add(Vt, inputs, np.full(len(inputs), -lr, dtype=np.float32), grad_V_c.astype(np.float32, copy=False))
    Ut -= lr * grad_U.T
    return loss
