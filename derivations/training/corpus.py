"""From a text file to training windows: the word2vec data pipeline, vectorised.

Every step works on whole NumPy arrays, never word by word in Python, because
the trainer (:mod:`derivations.training.trainer`) must keep up with gensim's C loop:

* :func:`iter_sentences` reads one sentence per line (whitespace-separated
  tokens), one line at a time, and refuses bytes that are not UTF-8, naming the
  line; :func:`read_corpus` is the same as a list (for small corpora);
* :class:`Vocabulary` keeps the words seen at least ``min_count`` times, most
  frequent first, and turns sentences into one ``int32`` array of word indices
  (:meth:`Vocabulary.encode`); words under ``min_count`` are dropped before
  windows are formed, as in word2vec.c and gensim;
* :func:`encode_corpus` streams a corpus into an :class:`EncodedCorpus`: its word
  indices in an ``int32`` file on disk, read back a chunk at a time, never the
  text whole in memory, so a corpus larger than memory trains;
* :func:`keep_probabilities` is word2vec's frequent-word subsampling,
  :func:`subsample` applies it to a whole epoch at once;
* :func:`negative_table` tabulates the unigram distribution raised to 0.75 and
  :func:`draw_negatives` draws from it with one integer draw per sample, drawing
  again a sample equal to its row's ``o`` (:func:`table_runs` says where each
  word's slots are, for those redraws);
* :func:`windows` forms the dynamic windows of an epoch as a dense
  ``(n, 2 * window)`` grid of outside words plus a mask.
"""
import os
from collections import Counter
from dataclasses import dataclass
from itertools import chain
from os import PathLike

import numpy as np

MAX_SENTENCE_LENGTH = 10_000   # gensim's and word2vec.c's limit: longer lines are split


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def corpus_name(source):
    """How messages name a corpus: its path, quoted, or ``given`` for a list of sentences."""
    return repr(str(source)) if isinstance(source, (str, PathLike)) else "given"


def iter_sentences(source, max_sentence_length=MAX_SENTENCE_LENGTH):
    """Sentences one at a time, from a text file (one per line) or from an iterable of token lists.

    A file is read line by line, so memory holds one line, never the corpus.
    Blank lines are skipped; longer sentences are cut into pieces of
    ``max_sentence_length`` tokens.

    Raises:
        ValueError: the file is not UTF-8 (the message names line and byte).
        TypeError: ``source`` is neither a path nor an iterable of token lists.
    """
    max_sentence_length = _check_int("max_sentence_length", max_sentence_length, 1)
    if isinstance(source, (str, PathLike)):
        lines = _file_lines(source)
    elif isinstance(source, (bytes, bytearray)) or not hasattr(source, "__iter__"):
        raise TypeError(f"corpus must be a file path or an iterable of token lists, "
                        f"got {type(source).__name__}")
    else:
        lines = _checked_sentences(source)
    for tokens in lines:
        if len(tokens) <= max_sentence_length:
            if tokens:
                yield tokens
            continue
        for start in range(0, len(tokens), max_sentence_length):
            yield tokens[start:start + max_sentence_length]


def _file_lines(path):
    offset = 0
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise ValueError(
                    f"corpus {str(path)!r} is not UTF-8 text: byte {raw[err.start]:#04x} at offset "
                    f"{offset + err.start} (line {number}) cannot be decoded ({err.reason}); re-encode "
                    f"the file as UTF-8, e.g. with `iconv -f latin1 -t utf-8`") from None
            offset += len(raw)
            yield text.split()


def _checked_sentences(source):
    for k, tokens in enumerate(source):
        if isinstance(tokens, str) or not hasattr(tokens, "__iter__"):
            raise TypeError(f"sentence {k} of the corpus must be a list of str tokens, "
                            f"got {type(tokens).__name__} {str(tokens)[:40]!r}")
        tokens = list(tokens)
        bad = next((t for t in tokens if not isinstance(t, str)), None)
        if bad is not None:
            raise TypeError(f"sentence {k} of the corpus holds a token that is not a str: "
                            f"{type(bad).__name__} {bad!r}")
        yield tokens


def read_corpus(source, max_sentence_length=MAX_SENTENCE_LENGTH):
    """Sentences from a text file (one per line) or from an iterable of token lists, as a list.

    Args:
        source: a path (``str`` or ``os.PathLike``) to a UTF-8 text file, or an
            iterable of sentences, each a list of ``str`` tokens.
        max_sentence_length: longer sentences are cut into pieces of this length.

    Returns:
        A list of sentences, each a non-empty list of tokens (:func:`iter_sentences`, collected).

    Raises:
        ValueError: the file is not UTF-8 (the message names line and byte), or
            the corpus holds no token at all.
        TypeError: ``source`` is neither a path nor an iterable of token lists.
    """
    sentences = list(iter_sentences(source, max_sentence_length))
    if not sentences:
        raise ValueError(f"the {corpus_name(source)} corpus is empty: it holds no word, "
                         f"so there is nothing to train on")
    return sentences


@dataclass
class Vocabulary:
    """The words kept for training, most frequent first.

    Attributes:
        words: list of ``|V|`` words; ``words[i]`` has index ``i``.
        counts: ``int64`` array of shape ``(|V|,)``, each word's corpus count.
        index: dict from word to index.
        corpus_words: number of tokens in the corpus, kept or not.
    """
    words: list
    counts: np.ndarray
    index: dict
    corpus_words: int

    @classmethod
    def build(cls, sentences, min_count=5, name=None):
        """Count the words of ``sentences`` and keep those seen ``min_count`` times or more.

        ``sentences`` may be any iterable (:func:`iter_sentences` streams a file
        through it); it is read once. Ties in frequency are broken alphabetically,
        so the indices do not depend on the order of the corpus's lines (gensim
        keeps first-seen order instead). ``name`` names the corpus in the error
        raised when it holds no word.
        """
        min_count = _check_int("min_count", min_count, 1)
        counter = Counter()
        for sentence in sentences:
            counter.update(sentence)
        total = sum(counter.values())
        if total == 0:
            what = f"the {name} corpus" if name else "the corpus"
            raise ValueError(f"{what} is empty: it holds no word, so there is nothing to train on")
        kept = sorted((w for w, c in counter.items() if c >= min_count), key=lambda w: (-counter[w], w))
        if not kept:
            top, top_count = max(counter.items(), key=lambda wc: (wc[1], wc[0]))
            raise ValueError(
                f"every word occurs fewer than min_count={min_count} times (the most frequent, "
                f"{top!r}, occurs {top_count} times in {total} words): lower min_count or use a "
                f"larger corpus")
        return cls(kept, np.array([counter[w] for w in kept], dtype=np.int64),
                   {w: i for i, w in enumerate(kept)}, total)

    def __len__(self):
        return len(self.words)

    def encode(self, sentences):
        """Word indices of the kept words, and each one's sentence number.

        Returns:
            ``(ids, sentence_ids)``: two ``int32`` arrays of the same length, the
            corpus with unknown (under ``min_count``) words dropped.
        """
        index = self.index
        lengths = np.fromiter((len(s) for s in sentences), dtype=np.int64, count=len(sentences))
        get = index.get
        flat = np.array([get(w, -1) for w in chain.from_iterable(sentences)], dtype=np.int32)
        sentence_ids = np.repeat(np.arange(len(sentences), dtype=np.int32), lengths)
        known = flat >= 0
        ids, sentence_ids = flat[known], sentence_ids[known]
        return ids, sentence_ids


@dataclass
class EncodedCorpus:
    """A corpus as word indices: the kept words of every sentence, end to end.

    Attributes:
        ids: ``int32`` array of shape ``(n,)`` (an ``np.memmap`` of :attr:`path`
            when the corpus was encoded to a file).
        starts: ``int64`` array of shape ``(s + 1,)``: sentence ``k`` is
            ``ids[starts[k]:starts[k + 1]]``; sentences with no kept word are left out.
        path: the file behind :attr:`ids`, or ``None``.
    """
    ids: np.ndarray
    starts: np.ndarray
    path: str = None

    def __len__(self):
        return len(self.ids)

    @property
    def lengths(self):
        return np.diff(self.starts)

    def sentences(self, first, last):
        """``(ids, sentence_ids)`` of sentences ``first..last-1``: two ``int32`` arrays, in memory.

        From a file, the indices are read (``np.fromfile``), not taken from the
        mapping, so pages read once are not kept mapped in this process.
        """
        a, b = int(self.starts[first]), int(self.starts[last])
        sentence_ids = np.repeat(np.arange(first, last, dtype=np.int32), np.diff(self.starts[first:last + 1]))
        if self.path is not None:
            ids = np.fromfile(self.path, dtype=np.int32, count=b - a, offset=4 * a)
        else:
            ids = np.array(self.ids[a:b])
        return ids, sentence_ids


def encode_corpus(sentences, vocab, path=None, buffer_words=1 << 20):
    """Stream ``sentences`` into an :class:`EncodedCorpus`, dropping the words not in ``vocab``.

    With ``path`` the indices go to that file (raw ``int32``), ``buffer_words`` at a
    time, and come back mapped from it, so memory holds one buffer, never the corpus.
    """
    index = vocab.index
    get = index.get
    lengths, buffer = [], []
    out = open(path, "wb") if path is not None else None
    chunks = []
    try:
        for sentence in sentences:
            ids = [i for i in map(get, sentence) if i is not None]
            if ids:
                lengths.append(len(ids))
                buffer.extend(ids)
                if len(buffer) >= buffer_words:
                    block = np.array(buffer, dtype=np.int32)
                    block.tofile(out) if out else chunks.append(block)
                    buffer = []
        block = np.array(buffer, dtype=np.int32)
        if out:
            block.tofile(out)
        else:
            chunks.append(block)
    finally:
        if out:
            out.close()
    starts = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    n = int(starts[-1])
    if path is None:
        return EncodedCorpus(np.concatenate(chunks), starts, None)
    ids = np.memmap(path, dtype=np.int32, mode="r", shape=(n,)) if n else np.zeros(0, np.int32)
    return EncodedCorpus(ids, starts, os.fspath(path))


def keep_probabilities(counts, sample):
    """Probability of keeping each occurrence of each word (frequent-word subsampling).

    word2vec.c's rule, also gensim's: with ``t = sample * total`` (``total`` the
    number of kept tokens), a word counted ``f`` times is kept with probability
    ``min(1, (sqrt(f / t) + 1) * t / f)``. ``sample=0`` keeps everything.
    Shape: ``(|V|,)``, ``float32``.
    """
    if not (isinstance(sample, (int, float, np.floating)) and 0 <= sample < 1):
        raise ValueError(f"sample must be a number in [0, 1), got {sample!r}")
    counts = np.asarray(counts, dtype=np.float64)
    if sample == 0:
        return np.ones(len(counts), dtype=np.float32)
    threshold = sample * counts.sum()
    return np.minimum(1.0, (np.sqrt(counts / threshold) + 1.0) * threshold / counts).astype(np.float32)


def subsample(ids, sentence_ids, keep_probability, rng):
    """Drop occurrences at random, each kept with its word's probability; one epoch at once.

    Returns the kept ``(ids, sentence_ids)``; windows are formed afterwards, on
    the shortened sentences, as in word2vec.c.
    """
    keep = rng.random(len(ids), dtype=np.float32) < keep_probability[ids]
    return ids[keep], sentence_ids[keep]


def noise_distribution(counts, power=0.75):
    """The negatives' distribution of part (g): ``P(w) = count_w^power / sum_v count_v^power``.

    Shape ``(|V|,)``, float64, summing to 1; :func:`negative_table` tabulates it.
    """
    p = np.asarray(counts, dtype=np.float64) ** power
    return p / p.sum()


def negative_table(counts, power=0.75, size=1 << 20):
    """Table of word indices in which word ``w`` fills a share ``count_w^power / Z`` of the slots.

    Drawing a uniformly random slot then draws from the unigram distribution
    raised to ``power`` (eq. of part (g): ``P(w) ∝ count(w)^0.75``), up to the
    rounding of each share to ``1/size``. Slot ``j`` holds the word whose
    cumulative probability first exceeds ``(j + 0.5) / size``. Shape ``(size,)``, ``int32``.
    """
    cumulative = np.cumsum(noise_distribution(counts, power))
    slots = (np.arange(size) + 0.5) / size
    return np.minimum(np.searchsorted(cumulative, slots), len(counts) - 1).astype(np.int32)


def table_runs(table, n_words):
    """Where each word's run of slots starts in a :func:`negative_table`, and how many slots it fills.

    Returns ``(first, width)``, two ``int64`` arrays of shape ``(n_words,)``; :func:`draw_negatives`
    takes them (``runs=``) so that a training loop looks them up once, not on every draw.
    """
    return _runs_of(table, np.arange(n_words))


def _runs_of(table, words):
    first = np.searchsorted(table, words, side="left")
    return first, np.searchsorted(table, words, side="right") - first


def draw_negatives(table, shape, rng, exclude=None, runs=None):
    """Negative samples of the given shape: uniformly random slots of :func:`negative_table`.

    With ``exclude`` (shape ``(shape[0],)``: each row's outside word ``o``), a
    sample equal to its row's ``o`` is drawn again from the slots that do not
    hold ``o`` (each word fills one contiguous run of the table), so the
    negatives differ from ``o``, as the handout assumes for part (g) and its
    starter code ensures by redrawing; otherwise that row's loss would push
    ``u_o`` up and down at once. The redraw keeps the other words' relative
    frequencies. A vocabulary of one word has nothing else to draw: it keeps ``o``.
    ``runs`` is :func:`table_runs` of ``table``, if already computed (the same draws, sooner).
    """
    negatives = table[rng.integers(0, len(table), size=shape, dtype=np.int32)]
    if exclude is None:
        return negatives
    exclude = np.asarray(exclude)
    row = negatives[0].size if len(negatives) else 1          # samples per row of exclude
    # Flat positions of the clashes, in C order; comparing broadcasts o across its row.
    clash = np.flatnonzero(negatives == exclude.reshape(-1, *([1] * (negatives.ndim - 1))))
    if len(clash):
        word = exclude.reshape(-1)[clash // row]
        first, width = _runs_of(table, word) if runs is None else (runs[0][word], runs[1][word])
        slot = rng.integers(0, np.maximum(len(table) - width, 1))     # a slot of the table without o ...
        slot += width * (slot >= first)                               # ... skipping o's run
        negatives.reshape(-1)[clash] = np.where(width < len(table), table[np.minimum(slot, len(table) - 1)], word)
    return negatives


def windows(ids, sentence_ids, window, rng):
    """Every position's dynamic context window, as a grid.

    Each position ``t`` draws its window size ``b_t`` uniformly from
    ``1..window`` (word2vec.c's "reduced window", which weights near words more)
    and its outside words are ``w_{t+j}`` for ``0 < |j| <= b_t`` inside the same
    sentence, as in :func:`derivations.context_window`.

    Returns:
        ``(outside, mask, reach)``: the first two of shape ``(n, 2 * window)``,
        ``reach`` the drawn ``b_t``, shape ``(n,)``; column ``k`` is
        offset ``j = k - window`` for ``k < window`` and ``k - window + 1``
        otherwise; ``outside`` holds word indices (``int32``; where ``mask`` is
        False it holds a valid but meaningless index, 0 at the corpus's ends)
        and ``mask`` says which entries are real outside words.
    """
    n = len(ids)
    reach = rng.integers(1, window + 1, size=n, dtype=np.int16)
    outside = np.zeros((n, 2 * window), dtype=np.int32)
    mask = np.zeros((n, 2 * window), dtype=bool)
    # One column per offset j, filled with slices (no (n, 2 * window) index arrays).
    for j in range(1, min(window, n - 1) + 1):
        same = sentence_ids[j:] == sentence_ids[:-j]          # positions t and t + j
        left, right = window - j, window + j - 1              # columns of offsets -j and +j
        outside[j:, left] = ids[:-j]
        mask[j:, left] = same & (reach[j:] >= j)
        outside[:-j, right] = ids[j:]
        mask[:-j, right] = same & (reach[:-j] >= j)
    return outside, mask, reach
