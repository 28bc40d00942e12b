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
   evaluated together at ``points`` seeded random points; they must agree to
   ``1e-9 * max(1, |a|, |b|)`` at every point. The first disagreeing point is returned
   as a :class:`Counterexample` with both sides' values.

Every symbol is taken to be real (points are real; exponentials are treated as
positive), as are all the book's symbols.

A shape mismatch (say ``d x 1`` against ``1 x d``) is never equal: 1 x 1
matrices count as scalars, but a transpose is a different object. Use
:func:`equivalent_up_to_transpose` to forgive that on purpose.
"""
from dataclasses import dataclass

import numpy as np
import sympy as sp

RTOL = 1e-9
MAX_OPS = 4000
LOW, HIGH = -2.0, 2.0            # range of sampled values; positive symbols get (0.25, 2)


@dataclass
class Counterexample:
    """Where two sides differ: the point (symbol name -> value) and both values."""
    point: dict
    lhs: object
    rhs: object
    reason: str = "values differ"
    index: tuple = ()

    def __str__(self):
        if self.point is None:
            return self.reason
        at = ", ".join(f"{k}={v:.6g}" for k, v in self.point.items())
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
    return sp.sympify(x).doit()


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


class Sampler:
    """Seeded random values for a fixed set of symbols, and fast evaluation there.

    Symbols are ordered by name, so the same symbols and seed give the same
    points in every run. Evaluating returns an array of shape
    ``(points, rows, cols)`` (scalars are ``1 x 1``).
    """

    def __init__(self, symbols, points=20, seed=0):
        if isinstance(points, bool) or not isinstance(points, (int, np.integer)) or points < 1:
            raise ValueError(f"points must be a positive integer, got {points!r}")
        self.symbols = sorted(symbols, key=lambda s: (s.name, str(s.assumptions0)))
        rng = np.random.default_rng(seed)
        self.points = int(points)
        self.values = np.empty((len(self.symbols), self.points))
        for i, s in enumerate(self.symbols):
            low = 0.25 if (s.is_positive or s.is_nonnegative) else LOW
            self.values[i] = rng.uniform(low, HIGH, size=self.points)

    def point(self, p):
        return {s.name: float(self.values[i, p]) for i, s in enumerate(self.symbols)}

    def evaluate(self, x):
        rows, cols = shape_of(x) or (1, 1)
        entries = list(x) if isinstance(x, sp.MatrixBase) else [x]
        missing = set().union(*(e.free_symbols for e in entries)) - set(self.symbols)
        if missing:
            raise ValueError(f"cannot evaluate: symbols {sorted(map(str, missing))} have no sampled value")
        f = sp.lambdify(self.symbols, entries, modules="numpy")
        with np.errstate(all="ignore"):
            out = f(*self.values)
        cols_ = []
        for v in out:
            v = np.asarray(v)
            if np.iscomplexobj(v):
                v = np.where(np.abs(v.imag) <= RTOL * np.maximum(1, np.abs(v.real)), v.real, np.nan)
            cols_.append(np.broadcast_to(v.astype(float), (self.points,)))
        return np.stack(cols_, axis=1).reshape(self.points, rows, cols)


def numeric_comparison(a_vals, b_vals, sampler, rtol=RTOL):
    """Compare two evaluations from the same :class:`Sampler` point by point."""
    diff = np.abs(a_vals - b_vals)
    scale = np.maximum(1.0, np.maximum(np.abs(a_vals), np.abs(b_vals)).max(axis=(1, 2)))
    finite = np.isfinite(a_vals).all(axis=(1, 2)) & np.isfinite(b_vals).all(axis=(1, 2))
    bad = ~finite | (np.nan_to_num(diff, nan=np.inf).max(axis=(1, 2)) > rtol * scale)
    maxdiff = float(np.nan_to_num(diff, nan=np.inf).max()) if diff.size else 0.0
    if not bad.any():
        return Comparison(True, "numeric", maxdiff, None, sampler.points)
    p = int(np.argmax(bad))
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
    return numeric_comparison(sampler.evaluate(a), sampler.evaluate(b), sampler)


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
