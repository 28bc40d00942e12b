"""Why a written answer is wrong: the known slip it equals, and where in the book's derivation it bites.

:func:`explain` takes a ``wrong`` verdict and tries the slips of the mutation
catalogue on the student's own formula, each undone one at a time, in the world
where the answer failed:

* a constant factor: the sign (x -1), a missing count ``n_{w_s}`` (the repeated
  negative's multiplicity), a missing ``n`` (the window's size), another number;
* ``\\sigma(z)`` written where ``\\sigma(-z)`` belongs (each ``\\sigma`` of the answer negated in turn);
* ``u`` written for ``v`` or ``v`` for ``u`` (each vector of the answer swapped in turn);
* ``j = 0`` included in the skip-gram window;
* a missing factor ``\\sigma(\\pm u^\\top v_c)`` (or ``\\sigma(\\pm x)``).

If one undone slip makes the answer equal to the reference (numerically, at 8
seeded points), the message names it in words and points at the step of the
book's derivation (:mod:`derivations.symbolic.parts`) where that slip first changes
the result. Otherwise the counterexample is made small: the engine's point, with
as many entries set to 0 (then rounded) as keep the two sides different.

A transpose needs no diagnosis: it has its own verdict. In the student edition,
where the derivations are not shipped, the step is simply not named.

Pure Python (``math``, ``random``; SymPy only to build): the same points, the same
arithmetic and so the same words with NumPy or without it (in the page, under Pyodide).
The page has no derivations either: its checker ships the sentences :func:`step_text`
gives (:data:`SHIPPED_STEPS`, written when the book is built).
"""
import importlib
import math
import random
import re
import statistics
from dataclasses import replace
from functools import lru_cache

import sympy as sp

from ...symbolic.equality import Counterexample, as_sympy, shape_of
from .latex import Node
from .notation import Builder

try:                            # only the page's checker has this module: the sentences, computed at build time
    SHIPPED_STEPS = importlib.import_module(f"{__package__}.step_texts").TEXTS
except ImportError:
    SHIPPED_STEPS = None

CHAPTERS = {"a": "a_cross_entropy", "b": "b_grad_v_c", "c": "c_d_grad_U", "d": "c_d_grad_U",
            "e": "e_f_activations", "f": "e_f_activations", "g": "g_negative_sampling",
            "h": "h_repeated_negatives", "i": "i_skipgram"}
DERIVATION = {"a": "a.1", "b": "b.1", "c": "c.2", "d": "d.1", "e": "e.1", "f": "f.1", "g_vc": "g.2",
              "g_uo": "g.3", "g_uws": "g.4", "g2_vc": "g.5", "g2_U": "g.6", "h": "h.1", "i_U": "i.2",
              "i_vc": "i.3", "i_vw": "i.4"}
# Where each slip first changes the result: a pattern of the step's LaTeX or reason, first match wins.
STEP_PATTERNS = {
    "sigma": [r"1 - \\sigma\(-", r"1 - \\sigma", r"\\sigma'", r"sigma"],
    "sign": [r"chain rule", r"\\log", r"-"],
    "swap": [r"\\partial \(u", r"partial", r"chain rule"],
    "count": [r"twice", r"repeat", r"n\\,", r"count", r"drawn"],
    "window": [r"j \\ne", r"sum"],
    "factor": [r"chain rule", r"\\sigma'"],
}
POINTS = 8
RTOL = 1e-7


def explain(verdict, ref, case, world, tree, text, points=20, seed=0):
    """``verdict`` (wrong) with a diagnosis in its message, or a smaller counterexample."""
    value = verdict.reading.value if verdict.reading else None
    if value is None:
        return verdict
    reference = as_sympy("reference", case.reference)
    try:
        found = _slip(ref, case, world, tree, text, as_sympy("value", value), reference, seed)
    except Exception:                                   # noqa: BLE001 -- a diagnosis is a courtesy, never a crash
        found = None
    try:
        small = smallest_counterexample(as_sympy("value", value), reference, seed)
    except Exception:                                   # noqa: BLE001
        small = None
    verdict = replace(verdict, counterexample=small or verdict.counterexample)
    if found:
        kind, words = found
        return replace(verdict, message=f"{verdict.message}: {words}{_step(ref, case, kind)}")
    return verdict


# ---------------------------------------------------------------------------- numeric equality, cheap

def _points(free, n, seed):
    """``n`` seeded points for the symbols ``free`` (sorted by name): reals in [-2, 2], positive in [0.25, 2]."""
    symbols = sorted(free, key=lambda s: (s.name, str(s.assumptions0)))
    rng = random.Random(seed)
    columns = [[rng.uniform(0.25 if (s.is_positive or s.is_nonnegative) else -2.0, 2.0) for _ in range(n)]
               for s in symbols]
    return symbols, [dict(zip(symbols, values)) for values in zip(*columns)] if symbols else [{}] * n


def _number(x):
    """A float, or nan for what is not a finite real (a complex power, an overflow)."""
    if isinstance(x, complex):
        return x.real if abs(x.imag) <= 1e-12 * max(1.0, abs(x.real)) else math.nan
    return float(x)


_MATH = {sp.exp: math.exp, sp.Abs: abs}


def evaluate_at(exprs, point):
    """Every SymPy scalar of ``exprs`` at one ``point`` ({symbol: float}): a list of floats.

    Shared subexpressions are evaluated once (derivatives are DAGs); ``nan`` where a
    value is not a finite real. A function this does not know is evaluated by SymPy
    (``evalf``, mpmath), so nothing here needs NumPy.
    """
    cache = {}

    def ev(e):
        hit = cache.get(e)
        if hit is not None:
            return hit
        try:
            if e.is_Symbol:
                r = point[e]
            elif e.is_Number or e in (sp.E, sp.pi):
                r = float(e) if e.is_finite is not False and e not in (sp.nan, sp.zoo) else math.nan
            elif e.is_Add:
                r = math.fsum(ev(a) for a in e.args)
            elif e.is_Mul:
                r = 1.0
                for a in e.args:
                    r *= ev(a)
            elif e.is_Pow:
                base, x = e.args
                b = ev(base)
                r = 1.0 / b if x == -1 else b ** int(x) if x.is_Integer and abs(int(x)) <= 10 else _number(b ** ev(x))
            elif type(e) in _MATH:
                r = _MATH[type(e)](ev(e.args[0]))
            elif isinstance(e, sp.log) and len(e.args) == 1:
                a = ev(e.args[0])
                r = math.log(a) if a > 0 else -math.inf if a == 0 else math.nan
            elif isinstance(e, sp.Heaviside):
                a = ev(e.args[0])
                r = 1.0 if a > 0 else 0.0 if a < 0 else 0.5 if a == 0 else math.nan
            elif isinstance(e, (sp.Max, sp.Min)):
                values = [ev(a) for a in e.args]
                r = math.nan if any(math.isnan(v) for v in values) else (max if isinstance(e, sp.Max) else min)(values)
            else:
                r = _number(complex(sp.N(e.xreplace({k: sp.Float(v) for k, v in point.items()}), 30)))
        except (ZeroDivisionError, ValueError, TypeError):
            r = math.nan
        except OverflowError:
            r = math.inf
        r = _number(r)
        cache[e] = r
        return r

    return [ev(e if isinstance(e, sp.Basic) else sp.Float(e)) for e in exprs]


def _values(exprs, seed):
    """Each of ``exprs`` at the same :data:`POINTS` seeded points: one flat list per expression."""
    entries = [list(e) if isinstance(e, sp.MatrixBase) else [e] for e in exprs]
    free = set().union(*(x.free_symbols for es in entries for x in es))
    _, points = _points(free, POINTS, seed + 7)
    out = []
    for es in entries:
        flat = []
        for point in points:
            flat += evaluate_at(es, point)
        out.append(flat)
    return out


def _finite(values):
    return all(math.isfinite(v) for v in values)


def _close(a, b):
    if len(a) != len(b) or not (_finite(a) and _finite(b)):
        return False
    return all(abs(x - y) <= RTOL * max(1.0, abs(x), abs(y)) for x, y in zip(a, b))


def _equal(a, b, seed):
    if shape_of(a) != shape_of(b):
        if shape_of(a)[::-1] == shape_of(b) and shape_of(a):
            a = a.T
        else:
            return False
    va, vb = _values([a, b], seed)
    return _close(va, vb)


# ---------------------------------------------------------------------------- the slips

def _slip(ref, case, world, tree, text, value, reference, seed):
    w = case.world
    # 1. a constant factor
    if shape_of(value) == shape_of(reference) or shape_of(value)[::-1] == shape_of(reference):
        v = value.T if shape_of(value) != shape_of(reference) else value
        va, vr = _values([v, reference], seed)
        mask = [abs(x) > 1e-9 for x in va]
        if any(mask) and _finite(va) and _finite(vr):
            ratios = [r / x for x, r, m in zip(va, vr, mask) if m]
            c = statistics.median(ratios)
            if all(abs(r - c) <= 1e-12 + 1e-7 * abs(c) for r in ratios) and abs(c - 1) > 1e-7 and all(
                    abs(r) < 1e-9 for r, m in zip(vr, mask) if not m):
                return _constant(c, ref, w)
    # 2. sigma(z) where sigma(-z) belongs, and 3. u for v
    for node in _walk(tree):
        if node.kind == "call" and node.value == "sigma":
            if _equal(_build(text, world, tree, flip={id(node)}), reference, seed):
                arg = text[node.children[0].pos:node.children[0].end].strip()
                arg = arg[1:-1].strip() if arg.startswith("(") and arg.endswith(")") else arg
                neg = arg[1:].strip() if arg.startswith("-") else f"-{arg}"
                return "sigma", (f"it equals the correct answer with \\sigma({arg}) where \\sigma({neg}) belongs "
                                 f"(σ(z) for σ(−z))")
    for node in _walk(tree):
        other = _other_vector(node, w)
        if other is None:
            continue
        replacement, name = other
        if _equal(_build(text, world, tree, swap={id(node): replacement}), reference, seed):
            mine = text[node.pos:node.end].strip()
            return "swap", f"it equals the correct answer with {mine} where {name} belongs (u for v)"
    # 4. j = 0 in the window
    b = Builder(text, world)
    try:
        b.build(tree)
    except Exception:                                   # noqa: BLE001
        return None
    if b.window_sums and _equal(_build(text, world, tree, exclude_j0=True), reference, seed):
        return "window", ("it equals the correct answer except that your sum over the window includes j = 0 "
                          "(the centre word predicting itself); the window is -m <= j <= m with j ≠ 0")
    # 5. a missing factor sigma(±u^T v_c) or sigma(±x)
    if shape_of(value) == shape_of(reference):
        for factor, name in _factors(w):
            if _equal(value * factor, reference, seed):
                return "factor", f"it equals the correct answer without the factor {name} (a missing factor)"
    return None


def _constant(c, ref, w):
    if abs(c + 1) < 1e-7:
        return "sign", "it equals the correct answer with the opposite sign (a sign slip)"
    counts = {}
    if w.negatives and "s" in w.indices:
        word = w.negatives[w.indices["s"] - 1]
        n, K = w.negatives.count(word), len(w.negatives)
        counts[n] = f"the count n_{{w_s}} = {n} (how often w_s is drawn among the K negatives)"
        for m, name in ((K, "K"), (K - 1, "K - 1")):       # the count written as K or K - 1
            if m not in (0, n) and abs(c * m - n) < 1e-7:
                return "count", (f"it equals the correct answer with {name} = {m} where the count n_{{w_s}} = {n} "
                                 f"belongs (how often w_s is drawn among the K negatives; a count replaced)")
    if w.window is not None:
        counts[len(w.window) - 1] = f"the count n = 2m = {len(w.window) - 1} of outside words"
    for n, what in counts.items():
        if n != 1 and abs(c - n) < 1e-7:
            return "count", f"it equals the correct answer without {what} (a missing count)"
        if n != 1 and abs(c * n - 1) < 1e-7:
            return "count", f"it equals the correct answer multiplied by {what} once too often"
    frac = sp.nsimplify(c, rational=True, tolerance=1e-9)
    if frac.q <= 12 and abs(frac.p) <= 24:
        return "factor", f"it equals the correct answer divided by {frac} (a missing factor {frac})"
    return None


def _build(text, world, tree, **options):
    b = Builder(text, replace(world, indices=dict(world.indices), kinds=dict(world.kinds)), **options)
    return as_sympy("value", b.build(tree))


def _walk(node):
    yield node
    for c in node.children:
        if isinstance(c, Node):
            yield from _walk(c)


def _vec(name, sub):
    return Node("sub", 0, None, [Node("var", 0, name), sub], 0)


def _other_vector(node, w):
    """For a u_X or v_c node of the answer: the vector the slip "u for v" would have replaced, and its name."""
    if node.kind != "sub" or node.children[0].kind != "var":
        return None
    base, sub = node.children[0].value, node.children[1]
    if base == "u":
        return _vec("v", Node("var", 0, "c")), "v_c"
    if base == "v" and sub.kind == "var" and sub.value == "c":
        if "s" in w.indices and w.negatives:
            return _vec("u", Node("sub", 0, None, [Node("var", 0, "w"), Node("var", 0, "s")])), "u_{w_s}"
        if "w" in w.indices:
            return _vec("u", Node("var", 0, "w")), "u_w"
        return _vec("u", Node("var", 0, "o")), "u_o"
    return None


def _factors(w):
    sig = lambda z: 1 / (1 + sp.exp(-z))
    out = []
    if w.context == "scalar":
        return [(sig(w.x), r"\sigma(x)"), (sig(-w.x), r"\sigma(-x)")]
    if w.negatives:
        dot = lambda k: (w.U[:, k].T * w.v_c)[0, 0]
        out += [(sig(dot(w.o)), r"\sigma(u_o^\top v_c)"), (sig(-dot(w.o)), r"\sigma(-u_o^\top v_c)")]
        if "s" in w.indices:
            k = w.negatives[w.indices["s"] - 1]
            out += [(sig(dot(k)), r"\sigma(u_{w_s}^\top v_c)"), (sig(-dot(k)), r"\sigma(-u_{w_s}^\top v_c)")]
    return out


# ---------------------------------------------------------------------------- the derivation's step

def _step(ref, case, kind):
    label = DERIVATION.get(ref.key)
    if ref.key == "c" and case.world.indices.get("w") == case.world.o:
        label = "c.1"
    return step_text(label, kind)


def step_text(label, kind):
    """Where slip ``kind`` first changes the result in the book's derivation ``label`` (e.g. "g.2"), as a sentence."""
    if SHIPPED_STEPS is not None:
        return SHIPPED_STEPS.get(f"{label} {kind}", "")
    chapter = CHAPTERS[label[0]]
    try:
        steps = _derivation(label).steps
    except Exception:                                   # noqa: BLE001 -- the student edition ships no derivations
        return ""
    for pattern in STEP_PATTERNS.get(kind, []):
        for k, step in enumerate(steps, 1):
            if re.search(pattern, step.latex + " " + step.why):
                return (f". The slip first changes the result at step ({k}) of derivation ({label}) "
                        f"in chapter {chapter} ({chapter}.ipynb): {step.why}")
    return f". See derivation ({label}) in chapter {chapter} ({chapter}.ipynb)"


BUILDERS = {"a.1": ("naive_softmax", "cross_entropy"), "b.1": ("naive_softmax", "grad_v_c"),
            "c.1": ("naive_softmax", "grad_u_o"), "c.2": ("naive_softmax", "grad_u_w"),
            "d.1": ("naive_softmax", "grad_U"), "e.1": ("activations", "leaky_relu_derivative"),
            "f.1": ("activations", "sigmoid_derivative"), "g.2": ("neg_sampling", "grad_v_c"),
            "g.3": ("neg_sampling", "grad_u_o"), "g.4": ("neg_sampling", "grad_u_w_s"),
            "g.5": ("neg_sampling", "grad_v_c_stacked"), "g.6": ("neg_sampling", "grad_stacked"),
            "h.1": ("neg_sampling", "grad_repeated_negative"), "i.2": ("skipgram", "grad_U"),
            "i.3": ("skipgram", "grad_v_c"), "i.4": ("skipgram", "grad_v_w")}


def step_texts():
    """``{"LABEL KIND": sentence}``: :func:`step_text` for every derivation and slip (what the page ships)."""
    return {f"{label} {kind}": step_text(label, kind) for label in BUILDERS for kind in STEP_PATTERNS}


def warm():
    """Build every derivation a diagnosis may point into (cached), so that a warm worker's children inherit them;
    a generator that yields after each one (a warm worker builds them between requests)."""
    for label in BUILDERS:
        try:
            _derivation(label)
        except Exception:                               # noqa: BLE001 -- the student edition ships no derivations
            pass
        yield label


@lru_cache(maxsize=None)
def _derivation(label):
    """The book's :class:`~derivations.symbolic.engine.Derivation` ``label`` (built, not checked)."""
    module, function = BUILDERS[label]
    found = getattr(importlib.import_module(f"derivations.symbolic.parts.{module}"), function)()
    if getattr(found, "label", None) != label:
        from ...symbolic.parts import all_derivations
        found = all_derivations()[label]
    return found


# ---------------------------------------------------------------------------- a small counterexample

class SmallCounterexample(Counterexample):
    """A :class:`~derivations.symbolic.equality.Counterexample` printed without NumPy (nested lists, 10 digits)."""

    def __str__(self):
        at = ", ".join(f"{k}={v:.6g}" for k, v in self.point.items())
        where = f" (worst entry {self.index})" if self.index else ""
        return f"{self.reason}{where} at {{{at}}}:\n  left  = {_fmt(self.lhs)}\n  right = {_fmt(self.rhs)}"


def _fmt(value):
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return f"{value + 0.0:.10g}"         # + 0.0: -0.0 prints as 0


def smallest_counterexample(value, reference, seed=0, tries=40):
    """A point where ``value`` and ``reference`` differ with as few nonzero, round entries as we can find."""
    a, b = value, reference
    if shape_of(a) != shape_of(b):
        if shape_of(a)[::-1] == shape_of(b) and shape_of(a):
            a = a.T
        else:
            return None
    entries_a = list(a) if isinstance(a, sp.MatrixBase) else [a]
    entries_b = list(b) if isinstance(b, sp.MatrixBase) else [b]
    free = sorted(set().union(*(e.free_symbols for e in entries_a + entries_b)), key=lambda s: s.name)
    if not free:
        return None

    def differ(point):
        at = dict(zip(free, point))
        x, y = evaluate_at(entries_a, at), evaluate_at(entries_b, at)
        if not (_finite(x) and _finite(y)):
            return False, x, y
        return any(abs(p - q) > 1e-6 * max(1.0, abs(p), abs(q)) for p, q in zip(x, y)), x, y

    rng = random.Random(seed)
    start = None
    for _ in range(tries):
        p = [rng.uniform(0.25 if s.is_positive else -2, 2) for s in free]
        if differ(p)[0]:
            start = p
            break
    if start is None:
        return None
    point = list(start)
    for i in range(len(point)):                       # zero what we can
        trial = point[:i] + [0.0] + point[i + 1:]
        if not free[i].is_positive and differ(trial)[0]:
            point = trial
    for i in range(len(point)):                       # round what is left
        for nice in (1.0, -1.0, 2.0, 0.5, -0.5, -2.0):
            if point[i] == 0.0 or (free[i].is_positive and nice <= 0):
                continue
            trial = point[:i] + [nice] + point[i + 1:]
            if differ(trial)[0]:
                point = trial
                break
    _, x, y = differ(point)
    shown = {s.name: v for s, v in zip(free, point) if v != 0.0} or {free[0].name: 0.0}
    zeros = len(free) - len(shown)
    shape = shape_of(a)
    index = ()
    if shape:
        rows, cols = shape
        worst = max(range(len(x)), key=lambda k: abs(x[k] - y[k]))
        index = (worst // cols, worst % cols)
        x = [x[r * cols:(r + 1) * cols] for r in range(rows)]
        y = [y[r * cols:(r + 1) * cols] for r in range(rows)]
    else:
        x, y = x[0], y[0]
    reason = "values differ" + (f" (every other symbol, {zeros} of them, is 0)" if zeros else "")
    return SmallCounterexample(shown, x, y, reason, index)
