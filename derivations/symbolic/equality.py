"""Is ``a == b``? Symbolically when SymPy can show it cheaply, else at random points.

This is the judge behind every ``=`` the book displays (see
:mod:`derivations.symbolic.engine`) and behind the grader of written answers
(:func:`equivalent`, :func:`equivalent_up_to_transpose`).

1. *Symbolic*: the difference ``a - b`` goes through a short, fixed cascade of
   cheap rewrites (exponentials as positive symbols, then together/cancel;
   else expand). If one gives exactly 0 the equality is proved. The budget
   is a size limit (``max_ops``) rather than a clock, so the same input always
   takes the same path and a re-executed chapter prints the same report.
2. *Numeric*: otherwise both sides are compiled with ``sympy.lambdify`` and
   evaluated together at ``points`` seeded random points, in two tiers. Float64 first
   (every point at once): a point where they differ by more than
   ``1e-9 * max(1, |a|, |b|)`` is confirmed in 40-digit arithmetic (``mpmath``) and
   returned as a :class:`Counterexample`. Then, if float64 saw no difference, the first
   six points (and any float64 could not evaluate) again in 40 digits with a tolerance of
   ``1e-25`` (relative): a slip of
   relative size ``1e-11`` that float64 cannot see is still caught, and a point where
   float64 overflows is decided there instead of failing.

Sampled values are wide, not only near 0: half of the points of every symbol lie in
``[-2, 2]`` and half have a magnitude in ``[2, 10.5]``, each sign equally often, so
every region of a piecewise function (``x < -2.5`` included) and large scores are
visited. Positive symbols are log-uniform in ``[0.01, 100]`` (so ``alpha = 1/(1 + beta)``
covers ``(0.01, 0.99)``, not only the middle of ``(0, 1)``).

Every symbol is taken to be real (points are real; exponentials are treated as
positive), as are all the book's symbols.

A shape mismatch (say ``d x 1`` against ``1 x d``) is never equal: 1 x 1
matrices count as scalars, but a transpose is a different object. Use
:func:`equivalent_up_to_transpose` to forgive that on purpose.
"""
from dataclasses import dataclass

import math
import random

import sympy as sp

try:        # NumPy is optional: the in-page checker runs this module under Pyodide without it
    import numpy as np
except ImportError:      # pragma: no cover -- exercised by tests/test_equality_without_numpy.py
    np = None

RTOL = 1e-9
PRECISE_RTOL = 1e-25              # tolerance of the 40-digit tier
PRECISE_DIGITS = 40
PRECISE_POINTS = 6                # points of the 40-digit tier when float64 saw no difference
MAX_OPS = 4000
LOW, HIGH = -2.0, 2.0            # the narrow half of the sampled values
WIDE = 10.5                      # the wide half: magnitudes in [HIGH, WIDE], both signs
POSITIVE = (1e-2, 1e2)           # positive symbols: log-uniform in this range


@dataclass
class Counterexample:
    """Where two sides differ: the point (symbol name -> value) and both values."""
    point: dict
    lhs: object
    rhs: object
    reason: str = "values differ"
    index: tuple = ()
    rest: str = ""              # e.g. "every other symbol 0" after shrinking

    def __str__(self):
        if self.point is None:
            return self.reason
        at = ", ".join(f"{k}={v:.6g}" for k, v in self.point.items())
        at += (", " if at and self.rest else "") + self.rest
        where = f" (worst entry {self.index})" if self.index else ""
        return (f"{self.reason}{where} at {{{at}}}:\n"
                f"  left  = {_fmt(self.lhs)}\n  right = {_fmt(self.rhs)}")


@dataclass
class Comparison:
    """Outcome of :func:`compare_values`: equal or not, how it was decided, and why."""
    equal: bool
    method: str                  # "symbolic", "numeric" or "shape"
    maxdiff: float = 0.0
    counterexample: Counterexample = None
    points: int = 0

    @property
    def how(self):
        return f"numeric ({self.points} pts)" if self.method == "numeric" else self.method


def _fmt(value):
    if np is None:
        if isinstance(value, (list, tuple)):
            return "[" + ", ".join(_fmt(v) for v in value) + "]"
        return f"{float(value):.10g}"
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return f"{float(arr):.10g}"
    return np.array2string(arr, precision=8, separator=", ", max_line_width=100)


def as_sympy(name, x):
    """``x`` as a SymPy scalar or an ImmutableMatrix (1 x 1 becomes a scalar).

    Strings are refused: the engine compares SymPy objects built in code and
    never parses text a student typed.
    """
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a SymPy expression or Matrix, got the string {x!r:.60}; "
                        "the engine never parses text (build the expression with SymPy)")
    if isinstance(x, sp.MatrixExpr):
        x = x.as_explicit()
    if isinstance(x, sp.MatrixBase):
        x = sp.ImmutableMatrix(x).doit()
        return x[0, 0] if x.shape == (1, 1) else x
    if isinstance(x, bool) or not isinstance(x, (int, float, sp.Basic)):
        raise TypeError(f"{name} must be a SymPy expression, a SymPy Matrix or a number, "
                        f"got {type(x).__name__}")
    return sp.sympify(x, strict=True).doit()   # strict: never parses a string


def shape_of(x):
    """``(rows, cols)`` of a Matrix, ``()`` for a scalar."""
    return tuple(x.shape) if isinstance(x, sp.MatrixBase) else ()


def _exps_as_symbols(e):
    # exp(k a) -> E_a**k for rational k, with E_a > 0: sums of exponentials become
    # rational functions, which cancel() decides quickly. Sound: a zero rational
    # function stays zero when the exponentials are substituted back.
    table, subs = {}, {}
    for atom in e.atoms(sp.exp):
        power, key = atom.args[0].as_content_primitive()
        if key.could_extract_minus_sign():
            power, key = -power, -key
        if key not in table:
            table[key] = sp.Dummy(positive=True)
        subs[atom] = table[key] ** power
    return e.xreplace(subs)


# Cheapest-to-decide first: on the book's derivations the rational-function route
# proves almost everything, and expand() alone can take seconds where it fails.
_CASCADE = (
    lambda e: sp.cancel(sp.together(sp.expand_log(_exps_as_symbols(e)))),
    lambda e: sp.expand(e, power_exp=False),
)


def prove_zero(e, max_ops=MAX_OPS):
    """True if a cheap rewrite of the scalar ``e`` is exactly 0 (False: not shown).

    ``max_ops`` bounds the size of ``e`` worth trying; 0 turns the attempt off.
    """
    if max_ops <= 0:
        return False
    if e == 0:
        return True
    if sp.count_ops(e) > max_ops:
        return False
    return any(rewrite(e) == 0 for rewrite in _CASCADE)


def prove_equal(a, b, max_ops=MAX_OPS):
    """True if every entry of ``a - b`` is proved 0 by :func:`prove_zero`."""
    if isinstance(a, sp.MatrixBase):
        return all(prove_zero(x - y, max_ops) for x, y in zip(a, b))
    return prove_zero(a - b, max_ops)


def compile_entries(symbols, entries, module):
    """``sympy.lambdify(symbols, entries, modules=module)``, without re-evaluating the expressions.

    The symbols' names (``U[0,0]``) are not Python identifiers, so ``lambdify`` swaps each for a
    dummy and rebuilds the whole expression; evaluated, that rebuild asks SymPy's assumptions about
    every ``exp`` and ``log`` again, which is most of a comparison's time. Unevaluated, the same
    tree is rebuilt node for node, and the generated code computes the same numbers.
    """
    with sp.evaluate(False):
        return sp.lambdify(symbols, entries, modules=module)


class Sampler:
    """Seeded random values for a fixed set of symbols, and fast evaluation there.

    Symbols are ordered by name, so the same symbols and seed give the same
    points in every run. Evaluating returns an array of shape
    ``(points, rows, cols)`` (scalars are ``1 x 1``). See the module docstring for
    the distribution of the values.
    """

    def __init__(self, symbols, points=20, seed=0):
        integer = (int,) if np is None else (int, np.integer)
        if isinstance(points, bool) or not isinstance(points, integer) or points < 1:
            raise ValueError(f"points must be a positive integer, got {points!r}")
        self.symbols = sorted(symbols, key=lambda s: (s.name, str(s.assumptions0)))
        self.points = int(points)
        self._precise = {}
        if np is None:
            self._values_without_numpy(seed)
            return
        rng = np.random.default_rng(seed)
        self.values = np.empty((len(self.symbols), self.points))
        narrow = self.points // 2
        for i, s in enumerate(self.symbols):
            if s.is_positive or s.is_nonnegative:
                lo, hi = np.log(POSITIVE)
                self.values[i] = np.exp(rng.uniform(lo, hi, size=self.points))
                continue
            wide = rng.uniform(HIGH, WIDE, size=self.points - narrow)
            wide *= np.where(np.arange(wide.size) % 2 == 0, 1.0, -1.0)
            self.values[i] = rng.permutation(np.concatenate([rng.uniform(LOW, HIGH, size=narrow), wide]))

    def _values_without_numpy(self, seed):
        # The same distribution from Python's own generator (so other points than with NumPy).
        rng = random.Random(seed)
        narrow = self.points // 2
        self.values = []
        for s in self.symbols:
            if s.is_positive or s.is_nonnegative:
                lo, hi = (math.log(v) for v in POSITIVE)
                self.values.append([math.exp(rng.uniform(lo, hi)) for _ in range(self.points)])
                continue
            wide = [(1.0 if k % 2 == 0 else -1.0) * rng.uniform(HIGH, WIDE) for k in range(self.points - narrow)]
            column = [rng.uniform(LOW, HIGH) for _ in range(narrow)] + wide
            rng.shuffle(column)
            self.values.append(column)

    def column(self, p):
        """The values of every symbol at point ``p``, in the order of ``symbols``."""
        if np is None:
            return [v[p] for v in self.values]
        return [float(v) for v in self.values[:, p]]

    def point(self, p):
        return dict(zip((s.name for s in self.symbols), self.column(p)))

    def _entries(self, x):
        entries = list(x) if isinstance(x, sp.MatrixBase) else [x]
        missing = set().union(*(e.free_symbols for e in entries)) - set(self.symbols)
        if missing:
            raise ValueError(f"cannot evaluate: symbols {sorted(map(str, missing))} have no sampled value")
        return entries

    def evaluate(self, x):
        rows, cols = shape_of(x) or (1, 1)
        entries = self._entries(x)
        f = compile_entries(self.symbols, entries, "numpy")
        with np.errstate(all="ignore"):
            out = f(*self.values)
        cols_ = []
        for v in out:
            v = np.asarray(v)
            if np.iscomplexobj(v):
                v = np.where(np.abs(v.imag) <= RTOL * np.maximum(1, np.abs(v.real)), v.real, np.nan)
            cols_.append(np.broadcast_to(v.astype(float), (self.points,)))
        return np.stack(cols_, axis=1).reshape(self.points, rows, cols)

    def evaluate_precisely(self, x, p):
        """``x`` at point ``p`` in :data:`PRECISE_DIGITS`-digit arithmetic: a list of mpmath numbers
        (``nan`` for a value that is not a finite real)."""
        import mpmath
        key = id(x)
        if key not in self._precise:
            self._precise[key] = (x, compile_entries(self.symbols, self._entries(x), "mpmath"))
        f = self._precise[key][1]
        with mpmath.workdps(PRECISE_DIGITS):
            try:
                out = f(*[mpmath.mpf(v) for v in self.column(p)])
            except (ZeroDivisionError, ValueError, OverflowError):
                return None
            result = []
            for v in out:
                v = mpmath.mpmathify(v)
                if isinstance(v, mpmath.mpc):
                    if abs(v.imag) > mpmath.mpf(10) ** (-PRECISE_DIGITS + 5) * max(1, abs(v.real)):
                        return None
                    v = v.real
                if not mpmath.isfinite(v):
                    return None
                result.append(v)
            return result


def _precise_differ(a, b, sampler, p, rtol=PRECISE_RTOL):
    """At point ``p`` in 40 digits: None if equal, else (lhs floats, rhs floats, worst entry)."""
    import mpmath
    va, vb = sampler.evaluate_precisely(a, p), sampler.evaluate_precisely(b, p)
    if va is None or vb is None:
        return "not finite"
    with mpmath.workdps(PRECISE_DIGITS):
        scale = max([mpmath.mpf(1)] + [abs(v) for v in va + vb])
        diffs = [abs(x - y) for x, y in zip(va, vb)]
        worst = max(range(len(diffs)), key=lambda i: diffs[i]) if diffs else 0
        if not diffs or diffs[worst] <= rtol * scale:
            return None
    return [float(v) for v in va], [float(v) for v in vb], worst


def numeric_comparison(a_vals, b_vals, sampler, rtol=RTOL, a=None, b=None):
    """Compare two evaluations from the same :class:`Sampler` point by point.

    With the SymPy values ``a`` and ``b`` as well, a float64 disagreement is confirmed and
    a float64 agreement re-checked in 40 digits (see the module docstring).
    """
    diff = np.abs(a_vals - b_vals)
    scale = np.maximum(1.0, np.maximum(np.abs(a_vals), np.abs(b_vals)).max(axis=(1, 2)))
    finite = np.isfinite(a_vals).all(axis=(1, 2)) & np.isfinite(b_vals).all(axis=(1, 2))
    bad = finite & (np.nan_to_num(diff, nan=np.inf).max(axis=(1, 2)) > rtol * scale)
    maxdiff = float(np.nan_to_num(diff[finite], nan=np.inf).max()) if diff[finite].size else 0.0
    if a is None:
        bad |= ~finite
        if not bad.any():
            return Comparison(True, "numeric", maxdiff, None, sampler.points)
        return _failed(a_vals, b_vals, diff, finite, bad, sampler, maxdiff)
    shape = a_vals.shape[1:]
    # Float64 disagreements first (confirmed in 40 digits), then every point in 40 digits.
    order = ([int(p) for p in np.flatnonzero(bad)] + [int(p) for p in np.flatnonzero(~finite & ~bad)]
             + [int(p) for p in np.flatnonzero(finite & ~bad)][:PRECISE_POINTS])
    for p in order:
        found = _precise_differ(a, b, sampler, p)
        if found is None:
            continue
        if found == "not finite":
            if finite[p]:          # float64 evaluated it: mpmath's domain is stricter; trust float64
                if bad[p]:
                    return _failed(a_vals, b_vals, diff, finite, bad, sampler, maxdiff, p)
                continue
            return _failed(a_vals, b_vals, diff, finite, ~finite, sampler, maxdiff, p)
        lhs, rhs, worst = found
        index = () if shape == (1, 1) else tuple(int(i) for i in np.unravel_index(worst, shape))
        lhs_v = lhs[0] if shape == (1, 1) else np.array(lhs).reshape(shape)
        rhs_v = rhs[0] if shape == (1, 1) else np.array(rhs).reshape(shape)
        return Comparison(False, "numeric", max(maxdiff, abs(lhs[worst] - rhs[worst])),
                          Counterexample(sampler.point(p), lhs_v, rhs_v, "values differ", index), sampler.points)
    return Comparison(True, "numeric", maxdiff, None, sampler.points)


def _failed(a_vals, b_vals, diff, finite, bad, sampler, maxdiff, p=None):
    p = int(np.argmax(bad)) if p is None else p
    worst = np.unravel_index(int(np.argmax(np.nan_to_num(diff[p], nan=np.inf))), diff[p].shape)
    lhs, rhs = a_vals[p], b_vals[p]
    if lhs.shape == (1, 1):
        lhs, rhs, index = float(lhs[0, 0]), float(rhs[0, 0]), ()
    else:
        index = tuple(int(i) for i in worst)
    reason = "values differ" if finite[p] else "a side is not a finite real number"
    return Comparison(False, "numeric", maxdiff, Counterexample(sampler.point(p), lhs, rhs, reason, index),
                      sampler.points)


def shape_comparison(a, b):
    """A failing :class:`Comparison` if the shapes differ, else None."""
    sa, sb = shape_of(a), shape_of(b)
    if sa == sb:
        return None
    name = lambda s: "a scalar" if s == () else f"a {s[0]} x {s[1]} matrix"
    return Comparison(False, "shape", float("inf"),
                   Counterexample(None, sa, sb, f"shapes differ: {name(sa)} against {name(sb)}"))


def compare_values(a, b, points=20, seed=0, max_ops=MAX_OPS):
    """Decide ``a == b`` for two SymPy scalars or matrices; returns a :class:`Comparison`."""
    a, b = as_sympy("a", a), as_sympy("b", b)
    failed = shape_comparison(a, b)
    if failed:
        return failed
    if prove_equal(a, b, max_ops):
        return Comparison(True, "symbolic")
    free = set().union(*(e.free_symbols for e in (a, b)))
    sampler = Sampler(free, points, seed)
    if np is None:
        return precise_comparison(a, b, sampler)
    return numeric_comparison(sampler.evaluate(a), sampler.evaluate(b), sampler, a=a, b=b)


def precise_comparison(a, b, sampler):
    """Every point in 40 digits (no float64 tier): the path without NumPy."""
    shape = shape_of(a) or (1, 1)
    maxdiff = 0.0
    for p in range(sampler.points):
        found = _precise_differ(a, b, sampler, p)
        if found is None:
            continue
        if found == "not finite":
            return Comparison(False, "numeric", float("inf"),
                              Counterexample(sampler.point(p), float("nan"), float("nan"),
                                             "a side is not a finite real number"), sampler.points)
        lhs, rhs, worst = found
        cols = shape[1]
        index = () if shape == (1, 1) else (worst // cols, worst % cols)
        rows = lambda vals: vals[0] if shape == (1, 1) else [vals[r * cols:(r + 1) * cols] for r in range(shape[0])]
        return Comparison(False, "numeric", abs(lhs[worst] - rhs[worst]),
                          Counterexample(sampler.point(p), rows(lhs), rows(rhs), "values differ", index),
                          sampler.points)
    return Comparison(True, "numeric", maxdiff, None, sampler.points)


def equivalent(expr_a, expr_b, points=20, seed=0):
    """``(True, None)`` if the two SymPy values are equal, else ``(False, counterexample)``.

    For grading written answers: build both sides with SymPy at the concrete
    sizes of :mod:`derivations.symbolic.symbols` (never from a string). Shapes must match.
    """
    comparison = compare_values(expr_a, expr_b, points, seed)
    return comparison.equal, comparison.counterexample


def equivalent_up_to_transpose(expr_a, expr_b, points=20, seed=0):
    """Like :func:`equivalent`, but ``expr_b`` may also equal the transpose of ``expr_a``.

    Returns ``(True, None)`` when ``a == b`` or ``a^T == b``; otherwise
    ``(False, counterexample)`` from the comparison whose shapes match
    (the straight one if both do).
    """
    a, b = as_sympy("expr_a", expr_a), as_sympy("expr_b", expr_b)
    straight = compare_values(a, b, points, seed)
    if straight.equal or not isinstance(a, sp.MatrixBase):
        return straight.equal, straight.counterexample
    flipped = compare_values(a.T, b, points, seed)
    if flipped.equal:
        return True, None
    chosen = straight if straight.method != "shape" or flipped.method == "shape" else flipped
    return False, chosen.counterexample
