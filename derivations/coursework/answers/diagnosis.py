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
"""
import re
from dataclasses import replace

import sympy as sp

try:                            # NumPy is optional (the in-page checker runs without it): no diagnosis then
    import numpy as np
except ImportError:             # pragma: no cover
    np = None

from ...symbolic.equality import Counterexample, as_sympy, shape_of
from ..verdicts import evaluate, sample_points
from .latex import Node
from .notation import Builder

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
    if value is None or np is None:
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

def _values(exprs, seed):
    """Each of ``exprs`` at the same :data:`POINTS` seeded points: arrays ``(entries, points)``."""
    entries = [list(e) if isinstance(e, sp.MatrixBase) else [e] for e in exprs]
    free = set().union(*(x.free_symbols for es in entries for x in es))
    symbols, values = sample_points(free, POINTS, seed + 7)
    return [evaluate(es, symbols, values) for es in entries]


def _close(a, b):
    if a.shape != b.shape:
        return False
    scale = np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
    with np.errstate(all="ignore"):
        return bool(np.all(np.isfinite(a)) and np.all(np.isfinite(b)) and np.all(np.abs(a - b) <= RTOL * scale))


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
        with np.errstate(all="ignore"):
            mask = np.abs(va) > 1e-9
            if mask.any() and np.all(np.isfinite(va)) and np.all(np.isfinite(vr)):
                ratios = vr[mask] / va[mask]
                c = float(np.median(ratios))
                if np.allclose(ratios, c, rtol=1e-7, atol=1e-12) and abs(c - 1) > 1e-7 and np.all(
                        np.abs(vr[~mask]) < 1e-9):
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
        counts[w.negatives.count(word)] = (f"the count n_{{w_s}} = {w.negatives.count(word)} (how often w_s "
                                           f"is drawn among the K negatives)")
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


def _derivation(label):
    """The book's :class:`~derivations.symbolic.engine.Derivation` ``label`` (built, not checked)."""
    import importlib
    module, function = BUILDERS[label]
    found = getattr(importlib.import_module(f"derivations.symbolic.parts.{module}"), function)()
    if getattr(found, "label", None) != label:
        from ...symbolic.parts import all_derivations
        found = all_derivations()[label]
    return found


# ---------------------------------------------------------------------------- a small counterexample

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
        column = np.array(point, dtype=float)[:, None]
        with np.errstate(all="ignore"):
            x, y = evaluate(entries_a, free, column)[:, 0], evaluate(entries_b, free, column)[:, 0]
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            return False, x, y
        return bool(np.any(np.abs(x - y) > 1e-6 * np.maximum(1, np.maximum(np.abs(x), np.abs(y))))), x, y

    rng = np.random.default_rng(seed)
    start = None
    for _ in range(tries):
        p = [float(rng.uniform(0.25 if s.is_positive else -2, 2)) for s in free]
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
    x = x.reshape(shape) if shape else float(x[0])
    y = y.reshape(shape) if shape else float(y[0])
    index = ()
    if shape:
        index = tuple(int(i) for i in np.unravel_index(int(np.argmax(np.abs(x - y))), shape))
    reason = "values differ" + (f" (every other symbol, {zeros} of them, is 0)" if zeros else "")
    return Counterexample(shown, x, y, reason, index)
