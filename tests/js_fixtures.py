"""Fixtures for tests/js/explorer_math.test.mjs: the explorers' JavaScript math against NumPy.

``write_fixtures(path)`` writes one JSON file of cases, each with its inputs and what the
Python side computes for them: the book's functions (``derivations``), the bit-identical
seeded generator (``derivations.explorers.rng``) and the explorers themselves (their state
and ``result`` after a redraw, a resample, a hand-set list of negatives, a gradient step).
tests/test_js_twin.py writes it into a temporary folder and runs Node on it.

Inputs are drawn so that float rounding cannot hide a bug nor fake one:

* ``explorer`` values are what the page draws (two-decimal coordinates from the seed);
* ``dyadic`` values are integers in [-150, 150] times 2**e (e from -16 to 3, so entries
  from ~2e-3 up to 1200 and scores up to ~1e7): every score ``u_w . v_c`` is then exact in
  float64 whatever the summation order (NumPy's BLAS, a JavaScript loop), so even at the
  largest scales exp() and log() see the same arguments in both languages;
* ``normal`` values are Gaussian, scales 1e-3 to 3.

Run ``python -m tests.js_fixtures OUT.json`` to write the file by hand.
"""
import json
import math
import re
import sys

import numpy as np

import derivations as D

# ---- the explorers' Python side. Private module paths: update here if they move. ----
from derivations.explorers import NaiveSoftmaxExplorer, NegSamplingExplorer, SkipgramExplorer
from derivations.explorers.assets import PARTS, STATIC  # noqa: F401 (tests/test_js_twin.py)
from derivations.explorers.rng import (Mulberry32, random_centre_and_outside, random_vectors,
                                       sample_negatives)
from derivations.explorers.skipgram import tokens_of
# -------------------------------------------------------------------------------------

MAX_K = NegSamplingExplorer._MAX_K          # the explorer refuses K outside 1..MAX_K
RTOL, FLOOR = 1e-9, 1e-12                   # read by the .mjs (see its `close`)

# Characters Python's re ``\s`` and JavaScript's ``\s`` disagree on (U+001C..U+001F and
# U+0085 are whitespace to Python only, U+FEFF to JavaScript only). Cases containing one
# are marked ``todo``: Node reports them without failing, until the two sides agree.
WHITESPACE_DISAGREEMENT = "\x1c\x1d\x1e\x1f\x85\ufeff"
WORDS = ("the quick brown fox jumps over lazy dog a cat sat on mat and ran far "
         "away from home to sea").split()


def _todo_whitespace(text):
    bad = sorted({ch for ch in text if ch in WHITESPACE_DISAGREEMENT})
    if not bad:
        return None
    said = [f"U+{ord(ch):04X} is whitespace to "
            + ("JavaScript's \\s only" if ch == "\ufeff" else "Python's re only") for ch in bad]
    return "known disagreement: " + "; ".join(said)


def _lists(x):
    return np.asarray(x, dtype=np.float64).tolist()


# ---------------------------------------------------------------- the seeded generator
def _rng_cases(g, n_cases):
    seeds = [0, 1, 2, 42, 99, 12345, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**32 + 7, -1, -12345,
             2**40 + 3, 10**12]
    seeds += [int(s) for s in g.integers(0, 2**32, size=max(5, n_cases // 20))]
    streams = []
    for seed in seeds:
        rng = Mulberry32(seed)
        streams.append({"seed": seed, "stream": [rng.next() for _ in range(64)]})

    vectors = []
    shapes = [(1, 2), (2, 2), (2, 6), (10, 50), (3, 1), (1, 1), (5, 17), (64, 3)]
    shapes += [(int(g.integers(1, 11)), int(g.integers(2, 51))) for _ in range(max(10, n_cases // 6))]
    for k, (d, n) in enumerate(shapes):
        seed = seeds[k % len(seeds)] if k < len(seeds) else int(g.integers(0, 100))
        v_c, U = random_vectors(seed, d, n)
        vectors.append({"seed": seed, "d": d, "n": n, "v_c": v_c, "U": U})

    centre_outside = []
    for k, (d, n) in enumerate(shapes[: max(8, n_cases // 8)]):
        seed = seeds[(3 * k) % len(seeds)]
        V, U = random_centre_and_outside(seed, d, n)
        centre_outside.append({"seed": seed, "d": d, "n": n, "V": V, "U": U})

    negatives = []
    fixed = [(0, 0, 0, 2, 20), (0, 0, 1, 2, 20), (7, 3, 5, 6, 4), (99, 12, 49, 50, 20),
             (2**32 - 1, 2**31, 0, 3, 10), (-5, -7, 2, 5, 8), (10**12, 10**9, 3, 10, 5),
             (1, 1, 0, 2**21 + 1, 12)]       # below(n) is exact in JavaScript for n <= 2**21
    for _ in range(max(20, n_cases // 3)):
        n = int(g.integers(2, 51))
        fixed.append((int(g.integers(0, 100)), int(g.integers(0, 30)), int(g.integers(0, n)), n,
                      int(g.integers(1, MAX_K + 1))))
    for seed, draw, o, n, K in fixed:
        negatives.append({"seed": seed, "draw": draw, "o": o, "n": n, "K": K,
                          "negatives": sample_negatives(seed, draw, o, n, K)})
    return streams, vectors, centre_outside, negatives


# -------------------------------------------------------------- elementwise functions
def _softmax_cases(g, n_cases):
    xs = [[1e4, -1e4], [-1e4, 1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4], [800.0, -800.0, 0.0],
          [-800.0] * 5, [800.0, 800.0 - 1e-9], [709.0, 710.0, 711.0], [-745.0, 0.0], [3.0],
          [0.0, 0.0, 0.0, 0.0], [1e4, 1e4 - 1.0, 1e4 - 30.0, -1e4], [-1e-300, 1e-300],
          np.linspace(-1e4, 1e4, 101).tolist(), np.linspace(-40, 40, 17).tolist()]
    for _ in range(max(15, n_cases // 6)):
        n = int(g.choice([2, 3, 5, 8, 9, 50, 1000]))
        scale = float(g.choice([1e-3, 1.0, 30.0, 1e3, 1e4]))
        xs.append((scale * g.normal(size=n)).tolist())
    return [{"x": x, "softmax": _lists(D.softmax(x)), "log_softmax": _lists(D.log_softmax(x))}
            for x in xs]


def _sigmoid_cases(g):
    edges = [0.0, -0.0, 1e-300, -1e-300, 5e-324, 1e-10, -1e-10, 0.5, -0.5, 1.0, -1.0, 20.0, -20.0,
             36.7, -36.7, 40.0, -40.0, 709.0, -709.0, 745.0, -745.0, 746.0, -746.0, 800.0, -800.0,
             1e4, -1e4, 1e300, -1e300]
    arrays = [edges, [800.0, -800.0], [1e4, -1e4], (10.0 * g.normal(size=200)).tolist(),
              np.linspace(-50, 50, 201).tolist(), (1e3 * g.normal(size=100)).tolist()]
    return [{"x": x, "sigmoid": _lists(D.sigmoid(x)), "log_sigmoid": _lists(D.log_sigmoid(x))}
            for x in arrays]


# ------------------------------------------------------------------------- the losses
def _values(g, kind, shape):
    """An array of ``shape`` drawn as ``kind`` (see the module docstring)."""
    if kind == "explorer":
        raise ValueError("explorer values come from random_vectors")
    if kind.startswith("dyadic"):
        e = int(kind.split("^")[1])
        return g.integers(-150, 151, size=shape) * 2.0 ** e
    scale = float(kind.split(" ")[1])
    return scale * g.normal(size=shape)


KINDS = ("explorer", "dyadic 2^-16", "dyadic 2^-7", "dyadic 2^-3", "dyadic 2^0", "dyadic 2^3",
         "normal 1e-3", "normal 1", "normal 3")


def _draw_v_c_U(g, kind, d, n):
    if kind == "explorer":
        v_c, U = random_vectors(int(g.integers(0, 100)), d, n)
        return np.asarray(v_c), np.asarray(U)
    return _values(g, kind, (d,)), _values(g, kind, (d, n))


def _shapes(g, n_cases):
    fixed = [(1, 2), (2, 2), (1, 5), (2, 6), (10, 50), (3, 2), (50, 3), (16, 100)]
    return fixed + [(int(g.choice([1, 2, 3, 4, 5, 8, 10, 16, 50])),
                     int(g.choice([2, 3, 4, 6, 10, 17, 50, 100])))
                    for _ in range(max(0, n_cases - len(fixed)))]


def _naive_case(v_c, o, U, kind):
    loss, grad_v_c, grad_U = D.naive_softmax_loss_and_gradient(v_c, o, U)
    return {"kind": kind, "v_c": _lists(v_c), "o": int(o), "U": _lists(U), "loss": loss,
            "y_hat": _lists(D.softmax(U.T @ v_c)),       # as the Python panel computes it
            "grad_v_c": _lists(grad_v_c), "grad_U": _lists(grad_U)}


def _naive_cases(g, n_cases):
    cases = []
    for k, (d, n) in enumerate(_shapes(g, n_cases)):
        kind = KINDS[k % len(KINDS)]
        v_c, U = _draw_v_c_U(g, kind, d, n)
        o = [0, n - 1][k % 2] if k < 8 else int(g.integers(0, n))
        cases.append(_naive_case(v_c, o, U, kind))
    # o the argmax and the argmin at the largest scale: J ~ 0 and J ~ 1e7.
    v_c, U = g.integers(-150, 151, size=5) * 8.0, g.integers(-150, 151, size=(5, 7)) * 8.0
    scores = U.T @ v_c
    cases.append(_naive_case(v_c, int(np.argmax(scores)), U, "dyadic 2^3, o = argmax"))
    cases.append(_naive_case(v_c, int(np.argmin(scores)), U, "dyadic 2^3, o = argmin"))
    cases.append(_naive_case(np.zeros(3), 1, _values(g, "normal 1", (3, 4)), "v_c = 0 (uniform y_hat)"))
    cases.append(_naive_case(_values(g, "normal 1", (2,)), 2, np.ones((2, 5)), "equal columns"))
    cases.append(_naive_case(np.array([1.0]), 0, np.array([[1e4, -1e4]]), "scores +-1e4, d=1"))
    cases.append(_naive_case(np.array([800.0]), 1, np.array([[1.0, -1.0]]), "scores +-800, d=1"))
    return cases


def _neg_case(v_c, o, U, negatives, kind):
    loss, grad_v_c, grad_U = D.neg_sampling_loss_and_gradient(v_c, o, U, negatives)
    return {"kind": kind, "v_c": _lists(v_c), "o": int(o), "U": _lists(U),
            "negatives": [int(w) for w in negatives], "loss": loss,
            "grad_v_c": _lists(grad_v_c), "grad_U": _lists(grad_U),
            "counts": np.bincount(np.asarray(negatives, dtype=np.int64), minlength=U.shape[1]).tolist()}


def _neg_cases(g, n_cases):
    cases = []
    for k, (d, n) in enumerate(_shapes(g, n_cases)):
        kind = KINDS[(k + 4) % len(KINDS)]
        v_c, U = _draw_v_c_U(g, kind, d, n)
        o = int(g.integers(0, n))
        K = int(g.integers(1, MAX_K + 1))
        if k % 3 == 0:      # as the explorer samples them: uniform over the words but o
            negatives = sample_negatives(int(g.integers(0, 100)), k, o, n, K)
        else:               # by hand, repeats (and o itself) allowed
            negatives = g.integers(0, n, size=K).tolist()
        cases.append(_neg_case(v_c, o, U, negatives, kind))
    v_c, U = _values(g, "normal 1", (3,)), _values(g, "normal 1", (3, 6))
    cases.append(_neg_case(v_c, 1, U, [4, 4, 4, 4], "one negative drawn 4 times"))
    cases.append(_neg_case(v_c, 1, U, [1, 1], "o itself drawn twice"))
    cases.append(_neg_case(v_c, 0, U, [5] * MAX_K, f"K = {MAX_K}, all the same word"))
    cases.append(_neg_case(np.array([1.5]), 0, np.array([[1.0, -1.0]]), [1] * 3, "d=1, |V|=2, repeats"))
    big_v, big_U = g.integers(-150, 151, size=4) * 8.0, g.integers(-150, 151, size=(4, 5)) * 8.0
    cases.append(_neg_case(big_v, 2, big_U, [0, 1, 1, 3, 4, 4], "dyadic 2^3, scores ~1e6"))
    cases.append(_neg_case(np.array([1.0]), 0, np.array([[1e4, -800.0]]), [1, 1], "scores 1e4 and 800"))
    return cases


# ------------------------------------------------------------------------ skip-gram
def _skipgram_case(sentence, m, t, V, U, kind):
    case = {"kind": kind, "sentence": sentence, "m": m, "t": t, "V": _lists(V), "U": _lists(U)}
    todo = _todo_whitespace(sentence)
    if todo:
        case["todo"] = todo
    try:
        tokens = tokens_of(sentence)
        vocab = list(dict.fromkeys(tokens))
        if np.shape(V) != np.shape(U) or np.shape(V)[1] != len(vocab):
            raise ValueError("V and U must have shape (d, |V|)")
        c, outside = D.context_window([vocab.index(w) for w in tokens], t, m)
    except (TypeError, ValueError) as exc:
        case["error"] = str(exc)
        return case
    positions = [t + j for j in range(-m, m + 1) if j != 0 and 0 <= t + j < len(tokens)]
    V, U = np.asarray(V, dtype=np.float64), np.asarray(U, dtype=np.float64)
    contributions = []
    for o in outside:
        loss, grad_v_c, _ = D.naive_softmax_loss_and_gradient(V[:, c], int(o), U)
        contributions.append({"loss": loss, "grad_v_c": _lists(grad_v_c)})
    loss, grad_V, _ = D.skipgram(c, outside, V, U)
    case.update(error=None, c=int(c), outside=[int(o) for o in outside], positions=positions,
                contributions=contributions, loss=loss, grad_v_c=_lists(grad_V[:, c]))
    return case


def _skipgram_cases(g, n_cases):
    cases = []
    for k in range(max(20, n_cases // 4)):
        L = int(g.integers(2, 21))
        tokens = [WORDS[i] for i in g.integers(0, len(WORDS) if k % 2 else 5, size=L)]
        n = len(dict.fromkeys(tokens))
        d = int(g.choice([1, 2, 3, 5, 10]))
        kind = KINDS[k % len(KINDS)]
        if kind == "explorer":
            V, U = (np.asarray(a) for a in random_centre_and_outside(int(g.integers(0, 100)), d, n))
        else:
            V, U = _values(g, kind, (d, n)), _values(g, kind, (d, n))
        sep = [" ", "  ", "\t", " \n "][k % 4]
        cases.append(_skipgram_case(sep.join(tokens), int(g.integers(1, 7)), int(g.integers(0, L)),
                                    V, U, kind))
    V, U = _values(g, "normal 1", (2, 2)), _values(g, "normal 1", (2, 2))
    cases += [
        _skipgram_case("a b", 1, 0, V, U, "two words, d=2"),
        _skipgram_case("a a a", 3, 1, V[:, :1], U[:, :1], "one distinct word, |V| = 1"),
        _skipgram_case("hello", 1, 0, V, U, "error: one word"),
        _skipgram_case(" ".join(["w"] * 21), 1, 0, V[:, :1], U[:, :1], "error: 21 words"),
        _skipgram_case("a b", 0, 0, V, U, "error: m = 0"),
        _skipgram_case("a b", 1, 2, V, U, "error: t past the end"),
        _skipgram_case("a b", 1, -1, V, U, "error: t = -1"),
        _skipgram_case("a b c", 1, 0, V, U, "error: V and U too narrow"),
        _skipgram_case("\u00a0a\u2003b\u3000a ", 2, 1, V, U, "NBSP, em and ideographic spaces"),
        _skipgram_case("a\x85b", 1, 0, V, U, "NEL between the words"),
        _skipgram_case("\ufeffa b a", 1, 2, V, U, "a byte-order mark before a word"),
    ]
    return cases


def _token_cases():
    sentences = ["the quick brown fox", "  a\tb\nc  ", "a", "", " ".join(["w"] * 20),
                 " ".join(["w"] * 21), "a\u00a0b\u2003c\u3000d\u2028e\u2029f\u200ag",
                 "a\u200bb", "a\x0bb\x0cc", "a\x1cb", "a\x1fb", "a\x85b", "a\ufeffb", "é ü ß"]
    out = []
    for s in sentences:
        try:
            case = {"sentence": s, "tokens": tokens_of(s)}
        except ValueError:
            case = {"sentence": s, "tokens": None}
        todo = _todo_whitespace(s)
        if todo:
            case["todo"] = todo
        out.append(case)
    return out


# -------------------------------------------------------------- the "negatives" box
def parse_indices_reference(text, n):
    """What the negatives box accepts: 1..MAX_K decimal word indices below ``n``, separated by
    whitespace, commas or semicolons; ``None`` for text it refuses.

    The Python side has no parser of its own (the kernel receives a list), so this states the
    contract: whitespace as Python's re means it, ASCII digits only (no sign, no '1.0', no
    '٣', which ``int()`` would take), each index checked as ``NegSamplingExplorer`` does.
    """
    parts = [p for p in re.split(r"[\s,;]+", text) if p]
    if not parts or len(parts) > MAX_K:
        return None
    if not all(re.fullmatch(r"[0-9]+", p) for p in parts):
        return None
    out = [int(p) for p in parts]
    return out if all(w < n for w in out) else None


def _parse_cases(g):
    texts = [("3", 6), ("3, 3 7", 8), ("3, 3 7", 7), ("0 0 0", 2), ("1", 2), ("2", 2), ("", 5),
             ("   ", 5), (",,;", 5), ("5", 5), ("4", 5), ("-1", 5), ("+2", 5), ("1.0", 5),
             ("1e1", 50), ("0x1", 5), ("01", 5), ("007", 8), ("a", 5), ("2, x", 5),
             ("3\t4\n5", 6), ("1;2;3", 4), ("1,,2", 3), (" 1 ", 2), ("\u0661", 5), ("\uff12", 5),
             ("1_0", 50), ("NaN", 5), ("Infinity", 5), ("null", 5), ("[1,2]", 5), ("1 2]", 5),
             ("99999999999999999999", 50), ("49", 50), ("50", 50), ("3\u00a04", 5),
             ("3\u20034", 5), ("3\u30004", 5), ("3\u20284", 5), ("3\u200b4", 5), ("3\ufeff4", 5),
             ("3\x854", 5), ("3\x1c4", 5), ("3\x1f4", 5), ("3\x0b4", 5), (" ".join(["1"] * MAX_K), 2),
             (" ".join(["1"] * (MAX_K + 1)), 2), (", ".join(str(w) for w in range(MAX_K)), MAX_K),
             ("2 2 5", 6), ("1 2 3 4 5 6 7 8 9 10 11", 12)]
    for _ in range(20):
        n = int(g.integers(2, 51))
        K = int(g.integers(1, MAX_K + 3))
        seps = [" ", ", ", ";", " ,\t", "\n"]
        texts.append((seps[int(g.integers(0, len(seps)))].join(str(int(w)) for w in
                                                               g.integers(0, n + 2, size=K)), n))
    cases = []
    for text, n in texts:
        case = {"text": text, "n": n, "expected": parse_indices_reference(text, n)}
        todo = _todo_whitespace(text)
        if todo:
            case["todo"] = todo
        cases.append(case)
    return cases


# ------------------------------------------------------------------- projection
def projection_reference(seed, d):
    """The page's fixed plane for d > 2, as common.js's ``projection`` states it (plain floats)."""
    if d == 2:
        return [[1.0, 0.0], [0.0, 1.0]]
    rng = Mulberry32((seed ^ 0x5BD1E995) & 0xFFFFFFFF)
    a = [rng.coordinate() + 1e-3 for _ in range(d)]
    b = [rng.coordinate() + 2e-3 for _ in range(d)]

    def dot(x, y):
        s = 0.0
        for p, q in zip(x, y):
            s += p * q
        return s

    e1 = [x * (1 / math.sqrt(dot(a, a))) for x in a]
    k = dot(b, e1)
    b2 = [x - y * k for x, y in zip(b, e1)]
    e2 = [x * (1 / math.sqrt(dot(b2, b2))) for x in b2]
    return [e1, e2]


def _projection_cases(g, n_cases):
    out = []
    for k in range(max(10, n_cases // 10)):
        d = [2, 3, 10][k] if k < 3 else int(g.integers(2, 11))
        seed = int(g.integers(0, 100))
        out.append({"seed": seed, "d": d, "P": projection_reference(seed, d),
                    "x": g.normal(size=d).tolist(), "delta": g.normal(size=2).tolist()})
    return out


# ------------------------------------------------- the explorers, end to end
def _naive_state(w):
    return {k: getattr(w, k) for k in ("seed", "dim", "vocab_size", "o", "v_c", "U", "step_size", "words")}


def _explorer_cases(g, n_cases):
    """Each explorer's state and result (Python, as in Jupyter), for the page to reproduce."""
    naive, neg, skip = [], [], []
    for k in range(max(8, n_cases // 10)):
        dim, n = (2, 2) if k == 0 else (int(g.integers(2, 11)), int(g.integers(2, 51)))
        kw = dict(seed=int(g.integers(0, 100)), dim=dim, vocab_size=n, o=int(g.integers(0, n)))
        w = NaiveSoftmaxExplorer(**kw, step_size=float(g.choice([0.05, 0.5, 2.0])))
        case = {"init": kw, "state": _naive_state(w), "result": w.result["naive"]}
        w.step()
        case.update(after_step=_naive_state(w), result_after_step=w.result["naive"])
        naive.append(case)

        K = int(g.integers(1, MAX_K + 1))
        w = NegSamplingExplorer(**kw, K=K)
        resamples = int(g.integers(0, 3))
        for _ in range(resamples):
            w.resample()
        case = {"init": dict(kw, K=K), "resamples": resamples,
                "state": dict(_naive_state(w), K=w.K, draw=w.draw, negatives=list(w.negatives)),
                "result": {"neg": w.result["neg"], "naive": w.result["naive"]}}
        hand = g.integers(0, n, size=int(g.integers(1, 6))).tolist()
        w.negatives = hand
        case["by_hand"] = {"negatives": hand, "K": w.K, "result": {"neg": w.result["neg"]}}
        w.step()
        case["after_step"] = {"v_c": w.v_c, "U": w.U, "result": {"neg": w.result["neg"]}}
        neg.append(case)

        L = int(g.integers(2, 21))
        sentence = " ".join(WORDS[i] for i in g.integers(0, len(WORDS), size=L))
        m, t = int(g.integers(1, 5)), int(g.integers(0, 25))
        w = SkipgramExplorer(sentence=sentence, m=m, t=t, dim=dim, seed=kw["seed"],
                             step_size=float(g.choice([0.05, 0.5])))
        case = {"init": {"sentence": sentence, "m": m, "t": t, "dim": dim, "seed": kw["seed"],
                         "step_size": w.step_size},
                "state": {k: getattr(w, k)
                          for k in ("seed", "dim", "sentence", "m", "t", "V", "U", "step_size")},
                "result": {k: w.result[k] for k in ("c", "outside", "positions", "skipgram")}}
        w.step()
        case["after_step"] = {"V": w.V, "result": {"skipgram": w.result["skipgram"]}}
        skip.append(case)
    return naive, neg, skip


def write_fixtures(path, seed=0, cases=120):
    """Write the fixture JSON to ``path``; ``cases`` random cases per loss (other families scale)."""
    g = np.random.default_rng(seed)
    streams, vectors, centre_outside, negatives = _rng_cases(g, cases)
    explorer_naive, explorer_neg, explorer_skip = _explorer_cases(g, cases)
    data = {
        "meta": {"seed": seed, "cases": cases, "numpy": np.__version__, "rtol": RTOL, "floor": FLOOR},
        "mulberry32": streams,
        "random_vectors": vectors,
        "random_centre_and_outside": centre_outside,
        "sample_negatives": negatives,
        "softmax": _softmax_cases(g, cases),
        "sigmoid": _sigmoid_cases(g),
        "naive": _naive_cases(g, cases),
        "neg": _neg_cases(g, cases),
        "skipgram": _skipgram_cases(g, cases),
        "tokens": _token_cases(),
        "parse_indices": _parse_cases(g),
        "projection": _projection_cases(g, cases),
        "explorer_naive": explorer_naive,
        "explorer_neg": explorer_neg,
        "explorer_skipgram": explorer_skip,
    }
    text = json.dumps(data, allow_nan=False)      # NaN/Infinity are not JSON: refuse them here
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return {k: len(v) for k, v in data.items() if isinstance(v, list)}


if __name__ == "__main__":
    print(write_fixtures(sys.argv[1] if len(sys.argv) > 1 else "js_fixtures.json"))
