"""The slips students make, applied to every step of every derivation: can the checker see them?

A *mutant* is one derivation with one step's value changed by one :class:`Slip` (in every
world the derivation is checked in, the same slip). The checker must *reject* it: some
equality next to the changed step fails in some world (the engine's numeric path, float64
then 40 digits; a symbolic proof can only ever accept). A mutant the checker accepts is
either *proven equal* to the step it replaced (a slip that does not change the mathematics
there, e.g. a sign flip of a zero column: listed, never silently skipped) or a *survivor*,
a hole in the checker. :func:`run` returns all of them; ``tests/test_mutations.py`` and
``tests/bench_mutations.py`` (``make bench``) use it.

Slips of the expression (applied to the step's SymPy value):

* ``sign``: the whole step negated; ``term sign``: the sign of the first term of each entry;
* ``transpose``: the step transposed (a column written as a row);
* ``sigma(-x)``: every ``exp(a)`` read as ``exp(-a)`` (``sigma(x)`` for ``sigma(-x)``, and the
  softmax's scores negated);
* ``1-sigma``: ``1 - sigma(z)`` written as ``sigma(z)``;
* ``u<->v``: ``v_c`` and ``u_o`` exchanged (``u_c`` in skip-gram);
* ``o<->w``: the true outside word's vector exchanged with another word's (a negative's in
  negative sampling);
* ``factor``: one factor of the first product of each entry dropped;
* ``1e-6``: a relative error of ``1e-6``; ``1e-11``: of ``1e-11``.

Slips of the world (the step rebuilt with the world changed, its neighbours not):

* ``term dropped``: the last negative, or the last outside word of the window, left out;
* ``j=0``: the centre word counted as an outside word of its own window;
* ``count``: a repeated negative's count ``n_w`` replaced by 1, ``K`` or ``K - 1``; the window's
  ``n`` by 1, ``n - 1`` or ``|V| - 1``.
"""
import copy
import re
import time
from dataclasses import dataclass, field, replace

import sympy as sp

from .equality import Sampler, as_sympy, numeric_comparison, prove_equal, shape_comparison
from .symbols import sigmoid


@dataclass
class Mutant:
    """One slip in one step of one derivation, and what the checker made of it."""
    label: str
    step: int                   # 1-based
    slip: str
    outcome: str = ""           # "rejected", "proven equal" or "survived"
    worlds_rejecting: tuple = ()
    detail: str = ""
    place: str = ""             # where the slip was made, when not a step or a final answer

    def __str__(self):
        where = self.place or (f"step {self.step}" if self.step else "final answer")
        return f"({self.label}) {where}, {self.slip}: {self.outcome}" + (f" ({self.detail})" if self.detail else "")


# ------------------------------------------------------------------ slips of the expression

def _entrywise(f):
    def apply(expr, ctx):
        if isinstance(expr, sp.MatrixBase):
            return expr.applyfunc(f)
        return f(expr)
    return apply


def _term_sign(e):
    if isinstance(e, sp.Add):
        first, *rest = e.args
        return sp.Add(-first, *rest)
    return e


def _drop_factor(e):
    for node in sp.preorder_traversal(e):
        if isinstance(node, sp.Mul):
            factors = [f for f in node.args if not f.is_number]
            if len(factors) >= 2:
                kept = list(node.args)
                kept.remove(factors[-1])
                return e.xreplace({node: sp.Mul(*kept)})
    return e


def _flip_exp(expr, ctx):
    atoms = expr.atoms(sp.exp)
    return expr.xreplace({a: sp.exp(-a.args[0]) for a in atoms}) if atoms else expr


_A = sp.Wild("A")


def _one_minus_sigma(expr, ctx):
    # 1 - 1/(1 + exp(-z)) -> 1/(1 + exp(-z)): SymPy keeps 1 - sigma(z) as an Add of 1 and -sigma(z).
    def rewrite(e):
        if isinstance(e, sp.Add) and sp.S.One in e.args:
            rest = [a for a in e.args if a != sp.S.One]
            if len(rest) == 1:
                m = (-rest[0]).match(1 / (1 + sp.exp(_A)))
                if m is not None:
                    return -rest[0]
        return e
    return expr.replace(lambda e: isinstance(e, sp.Add), rewrite)


def _swap(pairs):
    def apply(expr, ctx):
        table = {}
        for a, b in pairs(ctx):
            table[a], table[b] = b, a
        return expr.xreplace(table) if table else expr
    return apply


def _u_v(ctx):
    if ctx.v_c is None or ctx.U is None:
        return []
    column = ctx.c if ctx.c is not None else ctx.o
    return list(zip(ctx.v_c, ctx.U[:, column]))


def _o_w(ctx):
    if ctx.U is None or ctx.o is None:
        return []
    if ctx.negatives:
        w = ctx.negatives[0]
    else:
        w = next(w for w in range(ctx.U.shape[1]) if w != ctx.o)
    return list(zip(ctx.U[:, ctx.o], ctx.U[:, w]))


@dataclass(frozen=True)
class Slip:
    """A kind of slip: ``apply(expr, ctx)`` returns the slipped value (the same value: not applicable)."""
    name: str
    apply: object
    world: bool = False        # a slip of the world: apply(instance) returns the rebuilt step values


EXPRESSION_SLIPS = [
    Slip("sign", lambda e, ctx: -e),
    Slip("term sign", _entrywise(_term_sign)),
    Slip("transpose", lambda e, ctx: e.T if isinstance(e, sp.MatrixBase) else e),
    Slip("sigma(-x)", _flip_exp),
    Slip("1-sigma", _one_minus_sigma),
    Slip("u<->v", _swap(_u_v)),
    Slip("o<->w", _swap(_o_w)),
    Slip("factor", _entrywise(_drop_factor)),
    Slip("1e-6", lambda e, ctx: e * (1 + sp.Rational(1, 10**6))),
    Slip("1e-11", lambda e, ctx: e * (1 + sp.Rational(1, 10**11))),
]


# ---------------------------------------------------------------------- slips of the world

def _rebuilt(d, sizes=None, **override):
    """Every step value of ``d`` rebuilt in a changed world (None: the builder refuses that world)."""
    if d.source is None:
        return None
    build, make_symbols, namespace = d.source
    try:
        if sizes is not None:
            namespace = make_symbols(sizes)
        if override:
            namespace = copy.copy(namespace)
            for k, v in override.items():
                setattr(namespace, k, v)
        other = build(namespace)
    except (ValueError, IndexError, KeyError, StopIteration):
        return None
    if len(other.steps) != len(d.steps):
        return None
    return [s.expr for s in other.steps]


def _world_variants(d):
    """``[(slip name, rebuilt step values)]`` for the slips of the world that apply to ``d``."""
    s = d.sizes
    if s is None or d.source is None:
        return []
    kind = d.label[0]
    out = []
    if kind in "gh" and len(s.negatives) > 1:
        out.append(("term dropped", _rebuilt(d, replace(s, negatives=s.negatives[:-1]))))
    if kind == "h":
        w = next((w for w in s.negatives if w != s.o and s.negatives.count(w) > 1), None)
        other = next(x for x in range(s.V) if x not in (w, s.o))
        K = s.K
        for name, count in (("count n_w->1", 1), ("count n_w->K", K), ("count n_w->K-1", K - 1)):
            if w is not None and count != s.negatives.count(w):
                negatives = (w,) * count + (other,) * (K - count)
                out.append((name, _rebuilt(d, replace(s, negatives=negatives))))
    if kind == "i":
        out.append(("term dropped", _rebuilt(d, replace(s, window=s.window[:-1]))))
        out.append(("j=0", _rebuilt(d, replace(s, window=s.window + (s.c,)))))
        n = len(s.window)
        for name, count in (("count n->1", 1), ("count n->n-1", n - 1), ("count n->|V|-1", s.V - 1)):
            if count != n:
                out.append((name, _rebuilt(d, n=count)))
    return [(name, values) for name, values in out if values is not None]


# ------------------------------------------------------------------------------ context

@dataclass
class Context:
    """What a slip needs to know about one instance (world) of a derivation."""
    v_c: object = None
    U: object = None
    o: int = None
    c: int = None
    negatives: tuple = ()


def context(d):
    ns = d.source[2] if d.source is not None else None
    if ns is None:
        return Context()
    return Context(getattr(ns, "v_c", None), getattr(ns, "U", None),
                   getattr(ns, "o", None) if d.label[0] != "i" else None,
                   getattr(ns, "c", None), tuple(getattr(ns, "negatives", ()) or ()))


# -------------------------------------------------------------------------------- judge

def _neighbours(d, k):
    """The values the step ``k`` (0-based) is compared with: the step before, the step after or the target."""
    out = []
    if k > 0:
        out.append(d.steps[k - 1].expr)
    if k + 1 < len(d.steps):
        out.append(d.steps[k + 1].expr)
    elif d.target is not None:
        out.append(d.target)
    return out


class _Judge:
    """Compares a mutated step with its neighbours in one instance.

    First at three of the engine's points by substituting 30-digit numbers (cheap: no code is
    generated); a difference there is a rejection. Otherwise the engine's own numeric
    comparison (float64 at every point, then 40 digits) decides.
    """

    QUICK = 3

    def __init__(self, d):
        self.d = d
        self.samplers = {}
        self.cache = {}
        self.quick_cache = {}

    def _sampler(self, value):
        symbols = frozenset(value.free_symbols | self.d._free_symbols())
        if symbols not in self.samplers:
            self.samplers[symbols] = Sampler(symbols, self.d.points, self.d.seed)
        return self.samplers[symbols]

    def _at(self, sampler, x, p):
        table = {s: sp.Float(float(sampler.values[i, p]), 30) for i, s in enumerate(sampler.symbols)}
        entries = list(x) if isinstance(x, sp.MatrixBase) else [x]
        out = []
        for e in entries:
            v = sp.N(e.xreplace(table), 30)
            if not v.is_number or v.has(sp.zoo, sp.nan, sp.oo, -sp.oo) or not v.is_real:
                return None
            out.append(v)
        return out

    def _quick_differs(self, sampler, value, other):
        for p in range(min(self.QUICK, sampler.points)):
            key = (id(sampler), id(other), p)
            if key not in self.quick_cache:
                self.quick_cache[key] = self._at(sampler, other, p)
            theirs, mine = self.quick_cache[key], self._at(sampler, value, p)
            if theirs is None or mine is None:
                return False
            scale = max([1] + [abs(v) for v in theirs + mine])
            if any(abs(a - b) > sp.Float(1e-20) * scale for a, b in zip(mine, theirs)):
                return True
        return False

    def rejects(self, k, value):
        for other in _neighbours(self.d, k):
            if shape_comparison(value, other) is not None:
                return True
            sampler = self._sampler(value)
            if self._quick_differs(sampler, value, other):
                return True
            key = (id(sampler), id(other))
            if key not in self.cache:
                self.cache[key] = sampler.evaluate(other)
            try:
                mine = sampler.evaluate(value)
            except (ValueError, TypeError, ZeroDivisionError):
                return True
            if not numeric_comparison(mine, self.cache[key], sampler, a=value, b=other).equal:
                return True
        return False


def _proven_equal(a, b):
    if shape_comparison(a, b) is not None:
        return False
    if prove_equal(a, b):
        return True
    diffs = list(a - b) if isinstance(a, sp.MatrixBase) else [a - b]
    return all(sp.simplify(x) == 0 for x in diffs)


def mutate(derivation, slips=EXPRESSION_SLIPS, world_slips=True, steps=None):
    """Every mutant of ``derivation`` (all its worlds at once), judged. ``steps``: 1-based subset."""
    instances = derivation.instances()
    judges = [_Judge(d) for d in instances]
    contexts = [context(d) for d in instances]
    world_variants = [dict(_world_variants(d)) if world_slips else {} for d in instances]
    names = [s.name for s in slips] + sorted(set().union(*[set(v) for v in world_variants]))
    mutants = []
    for k in range(len(derivation.steps)):
        if steps is not None and k + 1 not in steps:
            continue
        for name in names:
            slip = next((s for s in slips if s.name == name), None)
            values, changed = [], False
            for d, ctx, variants in zip(instances, contexts, world_variants):
                original = d.steps[k].expr
                if slip is not None:
                    value = as_sympy("mutant", slip.apply(original, ctx))
                elif name in variants:
                    value = variants[name][k]
                else:
                    value = original
                values.append(value)
                changed |= value != original
            if not changed:
                continue          # this slip has nothing to change in this step: no mutant
            m = Mutant(derivation.label, k + 1, name)
            rejecting = tuple(d.sizes.name if d.sizes is not None and d.sizes.name else "its world"
                              for d, j, v in zip(instances, judges, values)
                              if v != d.steps[k].expr and j.rejects(k, v))
            if rejecting:
                m.outcome, m.worlds_rejecting = "rejected", rejecting
            elif all(_proven_equal(v, d.steps[k].expr) for d, v in zip(instances, values)):
                m.outcome, m.detail = "proven equal", "the slip does not change this step's value"
            else:
                m.outcome = "survived"
            mutants.append(m)
    return mutants


@dataclass
class Summary:
    mutants: list = field(default_factory=list)
    seconds: float = 0.0

    def count(self, outcome):
        return sum(m.outcome == outcome for m in self.mutants)

    def kinds(self):
        return sorted({m.slip.split(" n")[0] if m.slip.startswith("count") else m.slip for m in self.mutants})

    def __str__(self):
        unreadable = f"{self.count('unreadable')} unreadable, " if self.count("unreadable") else ""
        lines = [f"{len(self.mutants)} mutants of {len(self.kinds())} kinds: {self.count('rejected')} rejected, "
                 f"{unreadable}{self.count('proven equal')} proven equal, {self.count('survived')} survived "
                 f"({self.seconds:.1f} s)"]
        lines += [f"  proven equal: {m}" for m in self.mutants if m.outcome == "proven equal"]
        lines += [f"  SURVIVED: {m}" for m in self.mutants if m.outcome == "survived"]
        return "\n".join(lines)


def run(derivations=None, labels=None, **kwargs):
    """Mutate every derivation (or those ``labels``); a :class:`Summary`."""
    if derivations is None:
        from .parts import all_derivations
        derivations = all_derivations()
    start = time.perf_counter()
    out = Summary()
    for label, d in derivations.items():
        if labels is None or label in labels:
            out.mutants += mutate(d, **kwargs)
    out.seconds = time.perf_counter() - start
    return out



# ------------------------------------------------------------------ slips of a typed final answer
#
# The same slips, made in the LaTeX a student types (text in, text out: this module does not
# read LaTeX), so that a final answer's mutants go through the written-answer checker exactly as
# a student's answer does. Each slip returns every single application it can make (one mutant
# each); a slip that cannot apply returns none.

def _closing(text, start):
    """The index of the bracket closing the one at ``text[start]``, or -1."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    opening, depth = text[start], 0
    for k in range(start, len(text)):
        if text[k] == opening:
            depth += 1
        elif text[k] == pairs[opening]:
            depth -= 1
            if depth == 0:
                return k
    return -1


def _top_level_signs(text):
    """Positions of the ``+`` and ``-`` that join terms at the top level (not inside brackets, not leading)."""
    depth, out = 0, []
    for k, ch in enumerate(text):
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif ch in "+-" and depth == 0 and text[:k].strip() and text[:k].rstrip()[-1] not in "^_&=(":
            out.append(k)
    return out


def _each(text, pattern, replacement):
    """``text`` with one match of ``pattern`` replaced, for each match."""
    return [text[:m.start()] + (replacement(m) if callable(replacement) else replacement) + text[m.end():]
            for m in re.finditer(pattern, text)]


def _sigma_args(text):
    """``(start, end)`` of each ``\\sigma(...)`` argument, brackets excluded."""
    out = []
    for m in re.finditer(r"\\sigma\s*(\\left)?\(", text):
        open_ = m.end() - 1
        close = _closing(text, open_)
        if close > 0:
            out.append((open_ + 1, close - (5 if text[:close].endswith("\\right") else 0)))
    return out


def _text_sign(text):
    return [f"-\\left({text}\\right)"]


def _text_term_sign(text):
    return [text[:k] + ("-" if text[k] == "+" else "+") + text[k + 1:] for k in _top_level_signs(text)]


def _text_transpose(text):
    return [f"\\left({text}\\right)^\\top"]


TRANSPOSE_MARK = r"\^(\\top|T|\{T\}|\{\\top\}|\\intercal)"


def _text_transpose_dropped(text):
    return _each(text, TRANSPOSE_MARK, "")


def _text_sigma_flip(text):
    out = []
    for a, b in _sigma_args(text):
        arg = text[a:b].strip()
        flipped = arg[1:].strip() if arg.startswith("-") and not _top_level_signs(arg[1:]) else f"-({arg})"
        out.append(text[:a] + flipped + text[b:])
    return out


def _text_one_minus_sigma(text):
    return _each(text, r"\(\s*1\s*-\s*\\sigma", lambda m: "(\\sigma") + _each(
        text, r"\\sigma(\([^()]*\))\s*-\s*1\b", lambda m: "\\sigma" + m.group(1))


def _text_u_v(text):
    return _each(text, r"u_o\b|u_\{o\}", "v_c") + _each(text, r"v_c\b|v_\{c\}", "u_o")


def _text_o_w(text):
    negative = "w_s" in text or "w_k" in text or "w_1" in text
    return _each(text, r"(?<=_)o\b|(?<=_)\{o\}", "{w_1}" if negative else "{1}")


def _text_drop_factor(text):
    out = []
    for m in re.finditer(r"\\sigma\s*\(", text):
        close = _closing(text, m.end() - 1)
        if close < 0:
            continue
        before, after = text[:m.start()].rstrip(), text[close + 1:].lstrip()
        if (before and before[-1] not in "+-({") or (after and after[0] not in "+-)}"):   # a product: drop it
            out.append(text[:m.start()] + text[close + 1:])
    return out


def _text_relative(text):
    return [f"\\left(1 + 10^{{-6}}\\right)\\left({text}\\right)"]


def _text_term_dropped(text):
    return _each(text, r"\^\{?(K|\|V\||m)\}?", lambda m: "^{" + m.group(1) + "-1}")


def _text_j0(text):
    return _each(text, r",?\s*j\s*\\neq?\s*0", "")


def _text_count(text):
    pattern = r"\\sum_\{k=1\}\^\{?K\}?\s*(\[[^\]]*\]|\\mathbb\{1\}\s*\[[^\]]*\]|\\mathbb\{1\}_\{[^}]*\})"
    return [m for c in ("1", "K", "(K-1)") for m in _each(text, pattern, c)]


TEXT_SLIPS = [
    Slip("sign", _text_sign), Slip("term sign", _text_term_sign), Slip("transpose", _text_transpose),
    Slip("transpose dropped", _text_transpose_dropped), Slip("sigma(-x)", _text_sigma_flip),
    Slip("1-sigma", _text_one_minus_sigma), Slip("u<->v", _text_u_v), Slip("o<->w", _text_o_w),
    Slip("factor", _text_drop_factor), Slip("1e-6", _text_relative), Slip("term dropped", _text_term_dropped),
    Slip("j=0", _text_j0), Slip("count", _text_count),
]

# What a verdict on a known slip says (the written-answer checker's diagnosis): words in its message,
# or its kind for a transpose.
NAMED = {"sign": "(a sign slip)", "sigma(-x)": "(σ(z) for σ(−z))", "u<->v": "(u for v)",
         "j=0": "includes j = 0", "count": "the count n", "transpose": "transpose",
         "transpose dropped": "transpose"}


def mutate_answer(part, latex, judge, prove, slips=TEXT_SLIPS):
    """Every single slip of :data:`TEXT_SLIPS` in the typed final answer ``latex`` to written ``part``.

    ``judge(part, text)`` is the written-answer checker (a Verdict); ``prove(part, a, b)`` says
    whether two answers are provably the same formula. Outcomes: ``rejected`` (a verdict other
    than correct on a readable mutant), ``unreadable`` (the slip made text the checker cannot
    read: syntax or meaning; listed, not counted as a rejection), ``proven equal`` or
    ``survived``. ``detail`` says, for a slip the diagnosis knows (:data:`NAMED`), whether the
    verdict named it.
    """
    out, seen = [], {latex}
    for slip in slips:
        for text in slip.apply(latex):
            if text in seen:
                continue
            seen.add(text)
            verdict = judge(part, text)
            m = Mutant(part, 0, slip.name)
            if verdict.kind == "correct":
                m.outcome = "proven equal" if prove(part, latex, text) else "survived"
            elif verdict.kind in ("syntax", "meaning"):
                m.outcome = "unreadable"
            else:
                m.outcome = "rejected"
                if slip.name in NAMED:
                    said = verdict.kind if slip.name.startswith("transpose") else verdict.message
                    m.detail = "slip named" if NAMED[slip.name] in said else "slip not named"
            m.worlds_rejecting = (text,)
            out.append(m)
    return out


def run_answers(answers, judge, prove, **kwargs):
    """:func:`mutate_answer` over ``{part: latex}``; a :class:`Summary`."""
    start = time.perf_counter()
    out = Summary()
    for part, latex in answers.items():
        out.mutants += mutate_answer(part, latex, judge, prove, **kwargs)
    out.seconds = time.perf_counter() - start
    return out
