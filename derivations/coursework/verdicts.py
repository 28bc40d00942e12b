"""The one verdict type and the one transpose policy of every judge of a written formula.

Two judges read written formulas: :func:`derivations.coursework.answers.judge` (a
student's typed LaTeX final answer; ``check_answer`` runs it in a sandbox) and
:mod:`derivations.coursework.handwritten` (the handwritten seed solution, formula by
formula). Each turns the text into one or more :class:`Reading` s, the literal one
first, and hands them to :func:`judge_readings`, which compares each with the
reference through :func:`compare_to_reference` (the transpose policy) and returns
a :class:`Verdict`. So the same formula, read the same way, gets the same verdict
through either judge (``tests/test_verdicts_agree.py``); the judges differ only in
the readings they list (the handwritten grader adds the data file's documented
changes of notation and readings with transpose marks dropped) and in how they
phrase the message.

Verdict kinds (:data:`KINDS`)
-----------------------------
* ``correct`` — the formula *as written* equals the reference.
* ``transpose`` — as written, it is the reference's transpose (a ``1 x d`` row
  where the gradient is a ``d x 1`` column): the algebra is right, the shape
  convention is not.
* ``notation`` — not as written, but a reading the judge documents is equal, or
  its transpose is: a change of notation the data file names (the seed's ``u_0``
  read as ``u_o``) or some ``^T`` marks dropped. Only the handwritten grader
  lists such readings; a typed answer is read as written only.
* ``wrong`` — a reading has a value and none is equal; the verdict carries the
  engine's counterexample (a point and both sides' values there, or the reason
  two values cannot be compared).
* ``syntax`` — the LaTeX is malformed; ``position`` is where.
* ``meaning`` — well-formed, but no reading has a value: an unknown symbol,
  shapes that do not fit, or a formula undefined there (it divides by zero or
  takes the log of 0); ``position`` is where, when known.
* ``undecided`` — SymPy itself failed on a well-formed formula (simplify it).
* ``missing`` — no answer was given for the part.
* ``error`` — the checker could not run (its process hit a time or memory limit).

The transpose policy (:func:`compare_to_reference`)
---------------------------------------------------
A value is compared with the reference as it stands; if that fails and the
value is a matrix whose transpose has the reference's shape, its transpose is
compared too. The outcome is :data:`EQUAL`, :data:`TRANSPOSED` or
:data:`DIFFERENT` (with a counterexample: for a value of the transposed shape,
the one from comparing its transpose, so that it shows values rather than
"shapes differ"). Equality itself is decided at ``points`` seeded random points in
float64 by :func:`numeric_compare` (each shared subexpression evaluated once: milliseconds,
where ``lambdify`` of a softmax derivative takes seconds), falling back to
:func:`derivations.symbolic.equality.compare_values` for a function that evaluator does not know.

Nothing here knows an expected verdict: it only compares values.
"""
from dataclasses import dataclass, replace
from math import comb

import sympy as sp

try:                            # NumPy is optional (the in-page checker runs under Pyodide without it)
    import numpy as np
except ImportError:             # pragma: no cover - exercised by the in-page checker
    np = None

from ..symbolic.equality import MAX_OPS, Counterexample, as_sympy, compare_values, shape_of

CORRECT, TRANSPOSE, NOTATION, WRONG = "correct", "transpose", "notation", "wrong"
SYNTAX, MEANING, UNDECIDED, MISSING, ERROR = "syntax", "meaning", "undecided", "missing", "error"
KINDS = (CORRECT, TRANSPOSE, NOTATION, WRONG, SYNTAX, MEANING, UNDECIDED, MISSING, ERROR)

CREDIT = {CORRECT: 1.0, TRANSPOSE: 0.5, NOTATION: 0.5}


def credit(kind):
    """The share of a written part's points a verdict of this kind earns (the rubric).

    * ``correct``: 1 — the whole part.
    * ``transpose``: 0.5 — the algebra is right, the shape convention is not.
    * ``notation``: 0.5 — right only once the reader changes the notation or drops
      transpose marks; like a transpose, the mathematics is there, the writing is
      not. (A typed answer never gets this verdict: it is read as written.)
    * every other kind: 0 — ``wrong``, ``syntax``, ``meaning``, ``undecided`` (the
      message asks for a simpler formula; the student can re-check before
      submitting), ``missing``, ``error`` (the message says why; an instructor
      re-runs the part or grades it by hand).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return CREDIT.get(kind, 0.0)


@dataclass(frozen=True)
class Reading:
    """One way of reading a written formula.

    ``value`` is its SymPy value at the engine's concrete sizes, or None when
    this reading has none; then ``error`` says why (e.g. a sum of a ``3 x 1`` and
    a ``1 x 3`` matrix), ``position`` where in the text (-1: unknown), and
    ``error_kind`` which verdict an unreadable formula earns (``meaning``, or
    ``syntax`` for LaTeX that does not parse). ``changes`` lists what departs
    from the letter of the text (empty for the literal reading).
    """
    description: str
    value: object = None
    error: str = ""
    changes: tuple = ()
    position: int = -1
    error_kind: str = MEANING

    def __post_init__(self):
        if self.error_kind not in (SYNTAX, MEANING):
            raise ValueError(f"error_kind must be {SYNTAX!r} or {MEANING!r}, got {self.error_kind!r}")
        object.__setattr__(self, "changes", tuple(self.changes))

    @property
    def literal(self):
        return not self.changes


@dataclass(frozen=True)
class Verdict:
    """The verdict on one written formula.

    ``kind`` is one of :data:`KINDS` (defined in the module docstring);
    ``message`` explains it (each judge phrases it for its reader);
    ``counterexample`` (a :class:`~derivations.symbolic.equality.Counterexample`)
    comes with ``wrong`` and only with it; ``position`` is the offset in the text a
    ``syntax`` or ``meaning`` verdict points at (-1: none); ``reading`` is the
    :class:`Reading` that decided and ``readings`` every reading the judge listed.
    """
    kind: str
    message: str
    counterexample: Counterexample = None
    position: int = -1
    reading: Reading = None
    readings: tuple = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if (self.kind == WRONG) != (self.counterexample is not None):
            raise ValueError("a wrong verdict needs a counterexample, and only a wrong one has one")
        if isinstance(self.position, bool) or not isinstance(self.position, int):
            raise ValueError(f"position must be an integer, got {self.position!r}")
        object.__setattr__(self, "readings", tuple(self.readings))

    @property
    def correct(self):
        return self.kind == CORRECT

    @property
    def credit(self):
        """:func:`credit` of this verdict's kind."""
        return credit(self.kind)

    def __str__(self):
        return self.message + (f"\n{self.counterexample}" if self.counterexample is not None else "")

    def summary(self):
        """One short line: the message; for a wrong verdict, where the sides differ."""
        if self.kind != WRONG:
            return self.message.splitlines()[0] if self.message else ""
        cex = self.counterexample
        if cex.point is None:
            return cex.reason
        entry = f" in entry {cex.index}" if cex.index else ""
        return (f"{cex.reason}{entry} at a random point ({len(cex.point)} symbols): "
                f"{_entry(cex.lhs, cex.index):.4g} (answer) vs {_entry(cex.rhs, cex.index):.4g} (reference)")

    def to_json(self, part):
        """The JSON object ``answer_worker`` writes for ``part``: part, verdict, message, counterexample, position."""
        return {"part": part, "verdict": self.kind, "message": self.message,
                "counterexample": "" if self.counterexample is None else str(self.counterexample),
                "position": self.position}

    @classmethod
    def from_json(cls, record):
        """The verdict back from :meth:`to_json`'s object (raises ValueError if it is not one).

        The counterexample travels as its text: it comes back as a
        :class:`~derivations.symbolic.equality.Counterexample` with no point whose
        ``reason`` is that text (so ``str()`` shows the same lines).
        """
        if not isinstance(record, dict):
            raise ValueError(f"a verdict record must be a JSON object, got {type(record).__name__}")
        kind, message = record.get("verdict"), record.get("message", "")
        text, position = record.get("counterexample") or "", record.get("position", -1)
        if not isinstance(message, str) or not isinstance(text, str):
            raise ValueError("a verdict record's message and counterexample must be strings")
        position = -1 if position is None else position
        cex = None
        if kind == WRONG:
            cex = Counterexample(None, None, None, text or "no counterexample was reported")
        return cls(kind, message, cex, position)


def _entry(value, index):
    if np is None:
        if isinstance(value, (int, float)):
            return float(value)
        rows = value.tolist() if hasattr(value, "tolist") else value
        while index and isinstance(rows, list):
            rows, index = rows[index[0]], index[1:]
        while isinstance(rows, list):
            rows = rows[0]
        return float(rows)
    value = np.asarray(value, dtype=float)
    return float(value[index] if index else value.ravel()[0])


def weakest(verdicts):
    """The first of ``verdicts`` that earns the least :func:`credit`: a part is as good as its weakest check."""
    verdicts = list(verdicts)
    if not verdicts:
        raise ValueError("weakest needs at least one verdict")
    low = min(v.credit for v in verdicts)
    return next(v for v in verdicts if v.credit == low)


# ---------------------------------------------------------------------------- the transpose policy

EQUAL, TRANSPOSED, DIFFERENT = "equal", "transposed", "different"
MAX_EXPANDED_TERMS = 2000


@dataclass(frozen=True)
class Comparison:
    """The outcome of :func:`compare_to_reference`, and a counterexample when :data:`DIFFERENT`."""
    outcome: str
    counterexample: Counterexample = None


def expanded_terms(e, cap=10 ** 9):
    """An upper bound on the number of terms ``expand`` could produce from ``e``.

    The equality engine's symbolic step expands; ``(a + b + c + d + e + x)^{10}``
    has 3003 terms and its products explode further, so past
    :data:`MAX_EXPANDED_TERMS` the policy skips straight to the numeric comparison.
    """
    if isinstance(e, sp.MatrixBase):
        return max((expanded_terms(x, cap) for x in e), default=1)
    if e.is_Atom:
        return 1
    if e.is_Add:
        return min(cap, sum(expanded_terms(a, cap) for a in e.args))
    if e.is_Pow:
        base, x = e.args
        k = expanded_terms(base, cap)
        if x.is_Integer and k > 1:
            n = abs(int(x))
            return min(cap, comb(k + n - 1, n)) if n < 1000 else cap
        return min(cap, k * expanded_terms(x, cap))
    n = 1
    for a in e.args:
        n = min(cap, n * expanded_terms(a, cap))
    return n


class Unsupported(ValueError):
    """:func:`evaluate` met a function it does not evaluate (the caller falls back to the engine)."""


NUMERIC_RTOL = 1e-9


def sample_points(symbols, points=20, seed=0):
    """Seeded values for ``symbols`` (sorted by name): reals in [-2, 2], positive symbols in [0.25, 2].

    Returns ``(symbols in order, array of shape (len(symbols), points))``.
    """
    symbols = sorted(symbols, key=lambda s: (s.name, str(s.assumptions0)))
    rng = np.random.default_rng(seed)
    values = np.empty((len(symbols), points))
    for i, s in enumerate(symbols):
        low = 0.25 if (s.is_positive or s.is_nonnegative) else -2.0
        values[i] = rng.uniform(low, 2.0, size=points)
    return symbols, values


def evaluate(exprs, symbols, values):
    """Every SymPy scalar of ``exprs`` at every point at once: an array ``(len(exprs), points)``.

    Shared subexpressions are evaluated once (the expressions SymPy's derivatives
    produce are DAGs whose trees are huge); raises :class:`Unsupported` on a
    function it does not know.
    """
    env = {s: values[i] for i, s in enumerate(symbols)}
    cache = {}
    points = values.shape[1] if values.ndim == 2 else 1

    def ev(e):
        hit = cache.get(e)
        if hit is not None:
            return hit
        if e.is_Symbol:
            if e not in env:
                raise Unsupported(f"no value for {e}")
            r = env[e]
        elif e.is_Number:
            if e.is_finite is False or e is sp.nan or e is sp.zoo:
                r = np.full(points, np.nan)
            else:
                r = np.full(points, float(e))
        elif e is sp.E:
            r = np.full(points, np.e)
        elif e is sp.pi:
            r = np.full(points, np.pi)
        elif e.is_Add:
            r = ev(e.args[0])
            for a in e.args[1:]:
                r = r + ev(a)
        elif e.is_Mul:
            r = ev(e.args[0])
            for a in e.args[1:]:
                r = r * ev(a)
        elif e.is_Pow:
            base, x = e.args
            if x == -1:
                r = 1.0 / ev(base)
            elif x.is_Integer and abs(int(x)) <= 10:
                r = ev(base) ** int(x)
            else:
                r = np.power(ev(base), ev(x))
        elif isinstance(e, sp.exp):
            r = np.exp(ev(e.args[0]))
        elif isinstance(e, sp.log) and len(e.args) == 1:
            r = np.log(ev(e.args[0]))
        elif isinstance(e, sp.Abs):
            r = np.abs(ev(e.args[0]))
        elif isinstance(e, sp.Heaviside):
            r = np.heaviside(ev(e.args[0]), 0.5)
        elif isinstance(e, (sp.Max, sp.Min)):
            f = np.maximum if isinstance(e, sp.Max) else np.minimum
            r = ev(e.args[0])
            for a in e.args[1:]:
                r = f(r, ev(a))
        else:
            raise Unsupported(f"cannot evaluate {type(e).__name__}")
        r = np.broadcast_to(np.asarray(r, dtype=float), (points,))
        cache[e] = r
        return r

    with np.errstate(all="ignore"):
        return np.array([ev(sp.sympify(e, strict=True) if not isinstance(e, sp.Basic) else e) for e in exprs])


def _entries(x):
    return list(x) if isinstance(x, sp.MatrixBase) else [x]


def numeric_compare(value, reference, points=20, seed=0):
    """Fast numeric comparison at seeded points (no symbolic step): a :class:`Comparison`.

    Raises :class:`Unsupported` when a side has a function :func:`evaluate` does not know.
    """
    if shape_of(value) != shape_of(reference):
        sa, sb = shape_of(value), shape_of(reference)
        name = lambda s: "a scalar" if s == () else f"a {s[0]} x {s[1]} matrix"
        return Comparison(DIFFERENT, Counterexample(None, sa, sb, f"shapes differ: {name(sa)} against {name(sb)}"))
    a, b = _entries(value), _entries(reference)
    free = set().union(*(e.free_symbols for e in a + b))
    symbols, vals = sample_points(free, points, seed)
    va, vb = evaluate(a, symbols, vals), evaluate(b, symbols, vals)
    with np.errstate(all="ignore"):
        scale = np.maximum(1.0, np.maximum(np.abs(va), np.abs(vb)).max(axis=0))
        finite = np.isfinite(va).all(axis=0) & np.isfinite(vb).all(axis=0)
        diff = np.nan_to_num(np.abs(va - vb), nan=np.inf).max(axis=0)
    bad = ~finite | (diff > NUMERIC_RTOL * scale)
    if not bad.any():
        return Comparison(EQUAL)
    p = int(np.argmax(bad))
    shape = shape_of(value)
    point = {s.name: float(vals[i, p]) for i, s in enumerate(symbols)}
    if shape:
        lhs, rhs = va[:, p].reshape(shape), vb[:, p].reshape(shape)
        worst = int(np.argmax(np.nan_to_num(np.abs(va[:, p] - vb[:, p]), nan=np.inf)))
        index = tuple(int(i) for i in np.unravel_index(worst, shape))
    else:
        lhs, rhs, index = float(va[0, p]), float(vb[0, p]), ()
    reason = "values differ" if finite[p] else "a side is not a finite real number"
    return Comparison(DIFFERENT, Counterexample(point, lhs, rhs, reason, index))


def _decide(value, reference, points, seed, budget):
    """Equal or not: the fast numeric comparison, else (an unknown function, no NumPy) the engine's."""
    try:
        if np is None:
            raise Unsupported("NumPy is not available")
        return numeric_compare(value, reference, points, seed)
    except Unsupported:
        found = compare_values(value, reference, points, seed, max_ops=budget)
        return Comparison(EQUAL if found.equal else DIFFERENT, found.counterexample)


def compare_to_reference(value, reference, points=20, seed=0):
    """THE transpose policy: is ``value`` the reference, its transpose, or neither?

    Returns a :class:`Comparison`: :data:`EQUAL` if ``value == reference``;
    :data:`TRANSPOSED` if not, but ``value`` is a matrix whose transpose equals
    it; else :data:`DIFFERENT` with the counterexample of the comparison whose
    shapes match (the transposed one when only that one does). Equality is decided
    at ``points`` seeded random points in float64 (:func:`numeric_compare`: every
    shared subexpression evaluated once, so a large derivative costs milliseconds);
    a formula with a function that evaluator does not know goes to the engine's
    :func:`~derivations.symbolic.equality.compare_values` (a value too big to expand,
    :func:`expanded_terms` past :data:`MAX_EXPANDED_TERMS`, numerically only). Every
    judge of a written formula decides through this function, via :func:`judge_readings`.
    """
    value, reference = as_sympy("value", value), as_sympy("reference", reference)
    budget = MAX_OPS if expanded_terms(value) <= MAX_EXPANDED_TERMS else 0    # 0: numeric only
    straight = _decide(value, reference, points, seed, budget)
    if straight.outcome == EQUAL:
        return Comparison(EQUAL)
    shape, wanted = shape_of(value), shape_of(reference)
    if shape and shape[::-1] == wanted:
        flipped = _decide(value.T, reference, points, seed, budget)
        if flipped.outcome == EQUAL:
            return Comparison(TRANSPOSED)
        if shape != wanted:
            return Comparison(DIFFERENT, flipped.counterexample)
    return Comparison(DIFFERENT, straight.counterexample)


# ---------------------------------------------------------------------------- the judge

# What SymPy may raise on an odd but well-formed formula: a verdict, never a crash.
SYMPY_FAILURES = (ArithmeticError, KeyError, TypeError, ValueError, RecursionError)


def _references(reference):
    refs = list(reference) if isinstance(reference, (list, tuple)) else [reference]
    if not refs:
        raise ValueError("reference must be a SymPy value or a non-empty list of acceptable values")
    return [as_sympy("reference", r) for r in refs]


def _defined(reading, value):
    """``reading``, or a copy with no value if its value is undefined somewhere (zoo, nan, ±oo)."""
    entries = list(value) if isinstance(value, sp.MatrixBase) else [value]
    bad = [e for e in entries if e.has(sp.zoo, sp.nan, sp.oo, -sp.oo)]
    if not bad:
        return reading
    return replace(reading, value=None, position=0, error_kind=MEANING,
                   error=f"undefined: it divides by zero or takes the log of 0 ({bad[0]})")


def judge_readings(readings, reference, points=20, seed=0):
    """Judge a written formula from its readings: the verdict kinds of the module docstring.

    Args:
        readings: a non-empty list of :class:`Reading`, the literal one first,
            then the others from most to least faithful.
        reference: the correct SymPy value, or a list of values any of which is
            acceptable (e.g. ``[g, -g]`` for "holds exactly when g = 0").
        points, seed: the engine's numeric check (seeded: same verdict every run).
    Returns:
        a :class:`Verdict`: the first reading equal to a reference, or to it up to
        :func:`compare_to_reference`'s transpose, decides (``correct`` or
        ``transpose`` for the literal reading, ``notation`` for any other). If
        none is, ``wrong``, explained with the most charitable reading (the last)
        whose shape is the reference's, else whose transpose is, else any with a
        value; so the counterexample shows an error no change of notation or
        transpose explains away. A value undefined somewhere is no value; if no
        reading has one, the literal reading's ``error_kind``.
    """
    readings = list(readings)
    if not readings or not all(isinstance(r, Reading) for r in readings):
        raise TypeError(f"readings must be a non-empty list of Reading, got {readings!r:.100}")
    if not readings[0].literal:
        raise ValueError("the first reading must be the literal one (no changes)")
    refs = _references(reference)
    for r in readings:
        v = r.value
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float, sp.Basic, sp.MatrixBase))):
            as_sympy("reading value", v)      # raises the engine's TypeError, naming what arrived
    values, kept = {}, []
    for r in readings:
        if r.value is not None:
            try:
                value = as_sympy("reading value", r.value)
                r = _defined(r, value)
            except SYMPY_FAILURES as exc:
                return Verdict(UNDECIDED, f"SymPy raised {type(exc).__name__}", None, -1, r, readings)
            if r.value is not None:
                values[id(r)] = value
        kept.append(r)
    readings = tuple(kept)
    usable = [r for r in readings if r.value is not None]
    verdict = lambda kind, message, reading, cex=None: Verdict(kind, message, cex, -1, reading, readings)
    cexs = {}
    for r in usable:
        for k, ref in enumerate(refs):
            try:
                found = compare_to_reference(values[id(r)], ref, points, seed)
            except SYMPY_FAILURES as exc:
                return verdict(UNDECIDED, f"SymPy raised {type(exc).__name__}", r)
            if k == 0:
                cexs[id(r)] = found.counterexample
            if found.outcome == EQUAL:
                if r.literal:
                    return verdict(CORRECT, "equal as written", r)
                return verdict(NOTATION, f"equal when {r.description}", r)
            if found.outcome == TRANSPOSED:
                (m, n), (p, q) = shape_of(values[id(r)]), shape_of(ref)
                also = "" if r.literal else f", when {r.description}"
                return verdict(TRANSPOSE if r.literal else NOTATION,
                               f"its transpose is equal: a {m} x {n} for a {p} x {q}{also}", r)
    if usable:
        shape = shape_of(refs[0])
        same = [r for r in usable if shape_of(values[id(r)]) == shape]
        comparable = same or [r for r in usable if shape and shape_of(values[id(r)])[::-1] == shape]
        chosen = (comparable or usable)[-1]
        return verdict(WRONG, f"differs {chosen.description}", chosen, cexs[id(chosen)])
    first = readings[0]
    return Verdict(first.error_kind, first.error or "cannot be read", None, first.position, first, readings)
