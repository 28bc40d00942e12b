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
"""
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse

from ..core.arguments import check_loss_and_gradients
from .corpus import Vocabulary, draw_negatives, keep_probabilities, negative_table, read_corpus, subsample, windows
from ..core.functions import log_sigmoid, log_softmax, softmax


def _check_batch(name, x, ndim):
    x = np.asarray(x)
    if x.ndim != ndim or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"{name} must be a {ndim}-D float array, got {x.dtype} array of shape {x.shape}")
    return x


def neg_sampling_batch_loss_and_gradient(V_c, U_ow, mask=None, compute_loss=True):
    """Eqs. (g.1), (g.5), (g.6) for a batch of windows; each window's pairs share ``U_ow``.

    Window ``i`` holds ``m`` centre vectors ``V_c[i, j]`` (rows) and one stacked
    matrix ``U_ow[i] = [u_o, -u_{w_1}, ..., -u_{w_K}]`` of shape ``(d, K+1)``.
    Pair ``(i, j)`` is the single-pair loss of
    :func:`~derivations.neg_sampling_loss_and_gradient` with ``v_c = V_c[i, j]``.
    ### BEGIN SOLUTION
    ``scores = U_ow^T v_c``, ``delta = 1 - sigma(scores)``,
    ``grad_v_c = -U_ow delta`` (g.5), ``grad_U_ow = -v_c delta^T`` (g.6).
    ### END SOLUTION
    The batch loss is the sum over the pairs where ``mask`` is true, so its
    gradients are the pairs' gradients summed over each window's ``m`` pairs.
    With ``m = 1`` every pair has its own negatives.

    Args:
        V_c: shape ``(b, m, d)``.
        U_ow: shape ``(b, d, K+1)``.
        mask: optional, shape ``(b, m)``: which pairs count (bool or 0/1).
        compute_loss: if False the loss is not evaluated (returned as ``nan``);
            the trainer evaluates it on some batches only.

    Returns:
        ``(loss, grad_V_c, grad_U_ow)``: a float, shape ``(b, m, d)``, shape ``(b, d, K+1)``.
    """
    V_c = _check_batch("V_c", V_c, 3)
    U_ow = _check_batch("U_ow", U_ow, 3)
    if U_ow.shape[:2] != (V_c.shape[0], V_c.shape[2]):
        raise ValueError(f"U_ow must have shape (b, d, K+1) = ({V_c.shape[0]}, {V_c.shape[2]}, K+1) "
                         f"to match V_c of shape {V_c.shape}, got {U_ow.shape}")
    ### BEGIN SOLUTION
    scores = V_c @ U_ow                        # (b, m, K+1): row (i, j) is U_ow[i]^T v_c
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
    np.negative(grad_V_c, out=grad_V_c)                            # (b, m, d)   eq. (g.5)
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
    V_c = _check_batch("V_c", V_c, 2)
    U = _check_batch("U", U, 2)
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
    """
    vocab: Vocabulary
    vectors: np.ndarray
    outside_vectors: np.ndarray
    loss_history: list = field(default_factory=list)
    seconds: float = float("nan")
    words_per_second: float = float("nan")

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
    """A progress line on stdout: percent done, words/s and the recent mean loss.

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
        frac = words_done / self.total
        bar = "#" * int(20 * frac)
        text = f"[{bar:<20s}] {100 * frac:5.1f}%  {rate:9,.0f} words/s  loss {loss:.4f}"
        if self.tty:
            self.stream.write("\r" + text + ("\n" if frac >= 1 else ""))
        elif epoch_end:
            self.stream.write(text + "\n")
        self.stream.flush()


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


def train(corpus, *, vector_size=100, window=5, min_count=5, sample=1e-3, negative=5, epochs=5,
          alpha=0.025, min_alpha=1e-4, batch_size=8192, seed=1, share_negatives=True, shuffle=True,
          loss_and_gradient=None, loss_every=8, progress=True):
    """Train skip-gram word vectors by minibatch SGD with the book's gradients.

    The pipeline of word2vec.c: vocabulary with ``min_count``, frequent-word
    subsampling (``sample``), dynamic windows of up to ``window`` words each
    side, negatives from unigram^0.75 (``negative`` = K per pair; 0 means naive
    softmax over the whole vocabulary), learning rate decaying linearly from
    ``alpha`` to ``min_alpha``, float32 vectors. Each step takes about
    ``batch_size`` pairs (whole windows, visited in a random order when
    ``shuffle``) and applies the sum of their gradients.

    Args:
        corpus: a path to a UTF-8 text file (one sentence per line) or a list of token lists.
        share_negatives: the pairs of one window share its K negatives (each
            pair still has loss (g.1)); False draws K per pair, as word2vec.c does.
        loss_and_gradient: ``None`` for the fast batched functions of this module,
            or a single-pair function ``f(v_c, o, U, negatives)`` (``f(v_c, o, U)``
            when ``negative=0``) such as
            :func:`~derivations.neg_sampling_loss_and_gradient` or a reader's own.
            It is called once per pair with ``U`` of shape ``(d, |V|)``: only for
            small corpora.
        loss_every: evaluate the loss on one batch in this many (the loss costs
            a pass of its own; the gradients do not need it).
        progress: print a progress line (stdout).

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
    if loss_and_gradient is not None and not callable(loss_and_gradient):
        raise TypeError(f"loss_and_gradient must be a function or None, got {type(loss_and_gradient).__name__}")
    sentences = read_corpus(corpus)
    vocab = Vocabulary.build(sentences, min_count)
    ids, sentence_ids = vocab.encode(sentences)
    del sentences
    if len(ids) < window + 1:
        raise ValueError(
            f"the corpus is shorter than the window: {len(ids)} words of the vocabulary "
            f"(min_count={min_count}) but window={window} needs at least {window + 1}")
    if not np.any(sentence_ids[1:] == sentence_ids[:-1]):
        raise ValueError("no sentence holds two words of the vocabulary, so there is no "
                         "(centre, outside) pair to train on")
    if negative == 0 and len(vocab) > 5000:
        raise ValueError(f"naive softmax (negative=0) costs O(|V|) per pair; |V| = {len(vocab)} is "
                         f"too large for it: use negative sampling (negative >= 1) or raise min_count")
    rng = np.random.default_rng(seed)
    n_vocab, d, K = len(vocab), vector_size, negative
    # word2vec.c's initialisation: input vectors uniform in (-0.5/d, 0.5/d), output vectors zero.
    Vt = ((rng.random((n_vocab, d), dtype=np.float32) - 0.5) / d).astype(np.float32)
    Ut = np.zeros((n_vocab, d), dtype=np.float32)
    keep = keep_probabilities(vocab.counts, sample)
    table = negative_table(vocab.counts) if K else None
    # Sign of each column of U_ow = [u_o, -u_w1, ..., -u_wK].
    signs = np.array([1.0] + [-1.0] * K, dtype=np.float32)
    scatter_U, scatter_V = _Scatter(n_vocab), _Scatter(n_vocab)
    bar = Progress(vocab.corpus_words * epochs, enabled=progress)
    history, loss_sum, loss_pairs = [], 0.0, 0
    batch_count = 0
    per_pair = not (share_negatives and K) or loss_and_gradient is not None
    # A learning rate too large for the batch makes the vectors overflow: stop with a
    # clear message instead of training on (and saving) inf and nan.
    epoch = k = 0
    try:
        with np.errstate(over="raise", invalid="raise"):
            for epoch in range(epochs):
                kept, kept_sentences = subsample(ids, sentence_ids, keep, rng)
                outside, mask, reach = windows(kept, kept_sentences, window, rng)
                batches = _batches(outside, mask, kept, reach, batch_size, per_pair, shuffle, rng)
                for k, (inputs, batch_mask, centre) in enumerate(batches):
                    lr = alpha - (alpha - min_alpha) * (epoch + k / len(batches)) / epochs
                    want_loss = batch_count % loss_every == 0
                    batch_count += 1
                    if loss_and_gradient is not None:
                        negs = draw_negatives(table, (len(centre), K), rng) if K else None
                        loss = _per_pair_step(loss_and_gradient, Vt, Ut, inputs[:, 0], centre, negs, lr)
                        loss_sum, loss_pairs = loss_sum + loss, loss_pairs + len(centre)
                    elif K:
                        targets = np.empty((len(centre), K + 1), dtype=np.int32)
                        targets[:, 0] = centre
                        targets[:, 1:] = draw_negatives(table, (len(centre), K), rng)
                        loss, pairs = _neg_sampling_step(Vt, Ut, inputs, targets, batch_mask, signs, lr,
                                                         want_loss, scatter_U, scatter_V)
                        if want_loss:
                            loss_sum, loss_pairs = loss_sum + loss, loss_pairs + pairs
                    else:
                        loss = _naive_softmax_step(Vt, Ut, inputs[:, 0], centre, lr)
                        loss_sum, loss_pairs = loss_sum + loss, loss_pairs + len(centre)
                    last = k == len(batches) - 1
                    if loss_pairs and (last or batch_count % (loss_every * 8) == 0):
                        done = (epoch + (k + 1) / len(batches)) / epochs
                        history.append((done, loss_sum / loss_pairs))
                        loss_sum, loss_pairs = 0.0, 0
                        bar.update(int(vocab.corpus_words * epochs * done), history[-1][1], epoch_end=last)
    except FloatingPointError as err:
        raise FloatingPointError(
            f"training diverged in epoch {epoch + 1}, batch {k + 1} ({err}): lower alpha "
            f"(now {alpha}) or batch_size (now {batch_size})") from None
    seconds = time.perf_counter() - start
    return Word2Vec(vocab, Vt, Ut, history, seconds, vocab.corpus_words * epochs / seconds)


SHUFFLE_CHUNK = 16


def _batches(outside, mask, centre, reach, batch_size, per_pair, shuffle, rng):
    """One epoch's minibatches: a list of ``(inputs, mask, centre)``.

    ``inputs`` has shape ``(b, m)`` (the outside words of ``b`` windows, whose
    centres are ``centre``, shape ``(b,)``) and ``mask`` marks the real pairs
    (float32 0/1, or ``None`` when all are real). ``batch_size`` counts pairs.

    Batches are cut from the windows in a random order (``shuffle``): a corpus
    dwells on one topic for many lines, and a batch of neighbouring windows sums
    many gradients of the same few words computed from the same stale vectors.
    The order is random by chunks of ``SHUFFLE_CHUNK`` consecutive windows, which
    share most of their words, so gathering their vectors stays cache-friendly.
    With sharing, each batch holds windows of one reach ``r`` only, so it needs
    ``m = 2r`` columns instead of ``2 * window``, most of them real pairs; the
    batches of all reaches are then visited in a random order.
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
        return [(outside[s:s + step], mask[s:s + step].astype(np.float32), centre[s:s + step])
                for s in range(0, n, step)]
    groups = []
    for r in range(1, window + 1):
        idx = order[reach[order] == r]
        step, cols = max(1, batch_size // (2 * r)), slice(window - r, window + r)
        groups += [(idx[s:s + step], cols) for s in range(0, len(idx), step)]
    return [(outside[idx, cols], mask[idx, cols].astype(np.float32), centre[idx])
            for idx, cols in (groups[k] for k in rng.permutation(len(groups)))]


class _Scatter:
    """``table += M @ G`` for a sparse ``M`` with one entry per column: a scatter-add of rows.

    ``M`` has shape ``(|V|, n)``, column ``j`` holding ``weight_j`` in row
    ``rows_j``; row ``r`` of ``M @ G`` adds up ``weight_j G_j`` over every
    ``j`` with ``rows_j = r``, so repeated words count once per occurrence
    (part (h)). scipy runs it in compiled code (no ``np.add.at``); the matrix is
    built once and only its ``data`` and ``indices`` arrays change per batch.
    """

    def __init__(self, n_vocab):
        self.n_vocab, self.M = n_vocab, None

    def add(self, table, rows, weights, G):
        n = len(rows)
        if self.M is None or self.M.shape[1] != n:
            self.M = scipy.sparse.csc_matrix(
                (weights, rows, np.arange(n + 1, dtype=np.int32)), shape=(self.n_vocab, n))
        else:
            self.M.data, self.M.indices = weights, rows
        table += self.M @ G


def _neg_sampling_step(Vt, Ut, inputs, targets, mask, signs, lr, want_loss, scatter_U, scatter_V):
    """Gather, :func:`neg_sampling_batch_loss_and_gradient`, scatter: one SGD step in place."""
    b, m = inputs.shape
    d, k1 = Vt.shape[1], targets.shape[1]
    V_c = np.take(Vt, inputs, axis=0)                       # (b, m, d)
    U_ow_rows = np.take(Ut, targets, axis=0)                # (b, K+1, d): u_o, u_w1, ...
    U_ow_rows[:, 1:] *= -1                                   # -> u_o, -u_w1, ...
    loss, grad_V_c, grad_U_ow = neg_sampling_batch_loss_and_gradient(
        V_c, U_ow_rows.transpose(0, 2, 1), mask, compute_loss=want_loss)
    # Column s of U_ow is -u_ws, so dJ/du_ws = -(column s of grad_U_ow): the sign goes in the weights.
    weights = np.tile(signs * np.float32(-lr), b)
    scatter_U.add(Ut, targets.reshape(-1), weights, grad_U_ow.transpose(0, 2, 1).reshape(b * k1, d))
    scatter_V.add(Vt, inputs.reshape(-1), np.full(b * m, -lr, dtype=np.float32),
                  grad_V_c.reshape(b * m, d))
    pairs = b * m if mask is None else int(np.count_nonzero(mask))
    return loss, pairs


def _naive_softmax_step(Vt, Ut, inputs, targets, lr):
    V_c = np.take(Vt, inputs, axis=0)
    loss, grad_V_c, grad_U = naive_softmax_batch_loss_and_gradient(V_c, targets, Ut.T)
    P = scipy.sparse.csr_matrix((np.full(len(inputs), -lr, dtype=np.float32), inputs,
                                 np.arange(len(inputs) + 1)), shape=(len(inputs), Vt.shape[0]))
    Vt += P.T @ grad_V_c
    Ut -= lr * grad_U.T
    return loss
