"""Judge the handwritten solution we started from, formula by formula, with the engine.

The seed's final formulas are DATA (``derivations/coursework/data/handwritten_seed.yml``):
its LaTeX, the line it comes from, what it is compared with (a *name*, resolved
here into SymPy's own derivative of the loss of :mod:`derivations.symbolic.symbols`),
and each documented change of notation. This module reads a formula's LaTeX
fragments with the written-answer parser (:mod:`derivations.coursework.answers.latex`,
:mod:`derivations.coursework.answers.notation`: a tokenizer and a node-by-node builder,
never ``eval`` or ``sympify``), assembles the structure the parser cannot read
(sums with conditions, ``\\begin{bmatrix}`` with dots, ``\\begin{cases}``,
``\\partial J(v_c, w_{t+j}, U)``) from the data's small expression tree, and
lets :func:`derivations.coursework.verdicts.judge_readings` decide each verdict:
the same judge, transpose policy and verdict vocabulary as the typed-answer
checker (:func:`derivations.coursework.answers.judge`).

Readings of one formula, most faithful first: *as written*; with the data's
notation changes (``u_0`` read as ``u_o``); then with some of its transpose
marks dropped (``v_c^T`` read as ``v_c``), fewest first. Only the first can be
``correct`` or ``transpose``; any other that is equal makes the verdict ``notation``.

Entry points: :func:`load` (the parts as dicts), :func:`judge_part` (one part
-> :class:`SeedPart`), :func:`judge_all`; :func:`read_latex` reads one formula
in a world as a :class:`~derivations.coursework.verdicts.Reading`.
"""
import copy
import itertools
from dataclasses import dataclass, field, replace
from pathlib import Path

import sympy as sp
import yaml

from .answers.latex import AnswerError, Node, parse
from .answers.notation import Builder, World, read
from ..symbolic.equality import Counterexample, equivalent
from .verdicts import (CORRECT, KINDS, NOTATION, TRANSPOSE, WRONG, Reading, Verdict, judge_readings,
                       weakest)
from ..symbolic.parts import activations, neg_sampling, skipgram
from ..symbolic.symbols import grad, naive_softmax_symbols, neg_sampling_symbols, sigmoid

DATA = Path(__file__).resolve().parent / "data" / "handwritten_seed.yml"
FORMULA_KINDS = ("expression", "zero_condition", "piecewise_derivative")   # the data's "kind:"
MAX_TRANSPOSES = 6        # 2^6 readings at most: every subset of transpose marks dropped


class Unreadable(ValueError):
    """A reading of the formula has no value (shapes that do not fit, an index out of range)."""


# ---------------------------------------------------------------------------- data

def load(path=DATA):
    """The parts of the seed as a list of dicts (validated: see the data file's header)."""
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    parts = data.get("parts") if isinstance(data, dict) else None
    if not isinstance(parts, list) or not parts:
        raise ValueError(f"{path}: expected a mapping with a non-empty list 'parts'")
    seen = set()
    for p in parts:
        pid = p.get("id")
        if not isinstance(pid, str) or pid in seen:
            raise ValueError(f"{path}: every part needs a unique string id, got {pid!r}")
        seen.add(pid)
        for key in ("asked", "quote") if "expr" in p else ("asked",):
            if not isinstance(p.get(key), str):
                raise ValueError(f"{path}: part {pid!r} needs a string {key!r}")
        if "expr" not in p and "prose" not in p:
            raise ValueError(f"{path}: part {pid!r} has neither a formula (expr) nor prose")
        if "expr" in p:
            for key in ("latex", "world", "reference"):
                if not isinstance(p.get(key), str):
                    raise ValueError(f"{path}: part {pid!r} has a formula but no string {key!r}")
            if p["world"] not in WORLDS:
                raise ValueError(f"{path}: part {pid!r}: world must be one of {sorted(WORLDS)}, got {p['world']!r}")
            if p.get("kind", "expression") not in FORMULA_KINDS:
                raise ValueError(f"{path}: part {pid!r}: kind must be one of {FORMULA_KINDS}, got {p.get('kind')!r}")
    return parts


def leaves(node):
    """Every LaTeX fragment (``{tex: ...}``) of an expression tree, in order."""
    if isinstance(node, dict):
        if "tex" in node:
            return [node["tex"]]
        return [t for v in node.values() for t in leaves(v)]
    if isinstance(node, list):
        return [t for v in node for t in leaves(v)]
    return []


# ---------------------------------------------------------------------------- worlds

class Setting:
    """One concrete symbolic world: the objects names stand for, and the references.

    ``kind`` is ``naive_softmax``, ``neg_sampling``, ``scalar`` or ``skipgram``.
    The skip-gram world is part (i)'s
    (:func:`derivations.symbolic.parts.skipgram.skipgram_symbols`: centre word ``c = 0``,
    outside words ``w_{t-2}, w_{t-1}, w_{t+1}, w_{t+2} = 2, 4, 2, 1``, so ``m = 2``);
    ``J(v_c, w, U) = -log ŷ_w`` is the naive-softmax loss, eq. (a.1).
    """

    def __init__(self, kind):
        self.kind = kind
        self.x = activations.x
        if kind == "neg_sampling":
            self.S = neg_sampling_symbols()
            soft = naive_softmax_symbols(self.S.sizes)
            self.y_hat, self.y = soft.y_hat, soft.y
        else:
            self.S = naive_softmax_symbols()
            self.y_hat, self.y = self.S.y_hat, self.S.y
        self.negatives = tuple(getattr(self.S, "negatives", ()))
        if kind == "skipgram":
            self.W = skipgram.skipgram_symbols(sizes=self.S.sizes)
            self.m = len(self.W.outside) // 2
            js = [j for j in range(-self.m, self.m + 1) if j != 0]
            self.window = {0: self.W.c, **dict(zip(js, self.W.outside))}

    def loss_at(self, j):
        """``J(v_c, w_{t+j}, U) = -log ŷ_{w_{t+j}}``, eq. (a.1) with the window's word at ``j``."""
        return -sp.log(self.W.y_hat[self.window[j]])

    def world(self, indices):
        """The parser's :class:`~derivations.coursework.answers.notation.World` with these bound indices."""
        return World(self.S.v_c, self.S.U, self.S.o, self.negatives, self.y_hat, self.y, self.x,
                     dict(indices))

    def constant(self, name, env):
        """An integer a data file names: a literal, ``K``, ``m``, ``-m``, a bound index, ``w_s``, ``w_x``."""
        if isinstance(name, int) and not isinstance(name, bool):
            return name
        m = getattr(self, "m", None)
        table = {"K": len(self.negatives), "m": m, "-m": None if m is None else -m}
        if name in table:
            return table[name]
        if name in ("w_s", "w_x"):
            s = env.get(name[-1])
            if s is None:
                raise Unreadable(f"{name} is not bound here")
            return self.negatives[s - 1]
        if name in env:
            return env[name]
        raise ValueError(f"the data names {name!r}, which is not K, m, -m, an integer or a bound index")

    def word(self, binding):
        """The 1-based position ``s`` of the negative a ``bind`` entry names."""
        N = self.S
        if binding == "negative_drawn_once":
            return neg_sampling._once(N)
        if binding == "negative_drawn_twice":
            w = neg_sampling._repeated(N)
            return N.negatives.index(w) + 1
        raise ValueError(f"unknown binding {binding!r} (expected negative_drawn_once or negative_drawn_twice)")

    def variable(self, name, env):
        """The Matrix of symbols a derivative is taken with respect to."""
        S = self.S
        table = {"U": lambda: S.U, "v_c": lambda: S.v_c, "u_w": lambda: S.U[:, env["w"]],
                 "v_w": lambda: self.W.V[:, env["w"]]}
        if name not in table:
            raise ValueError(f"cannot differentiate with respect to {name!r}; known: {sorted(table)}")
        return table[name]()

    def loss(self, name, env):
        """The scalar loss a derivative node names."""
        if name == "J":
            return self.S.J
        if name == "J(v_c, w_{t+j}, U)" and self.kind == "skipgram":
            return self.loss_at(env["j"])
        raise ValueError(f"unknown loss {name!r} in world {self.kind!r}")

    def reference(self, name, env):
        """The correct value a part's ``reference`` names: SymPy's own result, never a typed formula."""
        S, x = self.S, self.x
        u_w = lambda: S.u(env["w"] if "w" in env else self.constant("w_x", env))
        table = {
            ("naive_softmax", "cross_entropy"): lambda: -sum(S.y[w] * sp.log(S.y_hat[w]) for w in range(S.V)),
            ("naive_softmax", "dJ/dv_c"): lambda: grad(S.J, S.v_c),
            ("naive_softmax", "dJ/du_w"): lambda: grad(S.J, u_w()),
            ("naive_softmax", "dJ/dU"): lambda: grad(S.J, S.U),
            ("neg_sampling", "dJ/dv_c"): lambda: grad(S.J, S.v_c),
            ("neg_sampling", "dJ/du_o"): lambda: grad(S.J, S.u(S.o)),
            ("neg_sampling", "dJ/du_w"): lambda: grad(S.J, u_w()),
            ("neg_sampling", "stacked_scores"): lambda: S.U_ow.T * S.v_c,
            ("neg_sampling", "one_minus_sigma"): lambda: neg_sampling.one_minus_sigma(S.U_ow, S.v_c),
            ("scalar", "leaky_relu_derivative"): lambda: sp.diff(activations.leaky_relu(x), x),
            ("scalar", "sigmoid_derivative"): lambda: sp.diff(sigmoid(x), x),
            ("skipgram", "dJ_sg/dU"): lambda: grad(self.W.J, self.W.U),
            ("skipgram", "dJ_sg/dv_c"): lambda: grad(self.W.J, self.W.v_c),
            ("skipgram", "dJ_sg/du_w"): lambda: grad(self.W.J, self.W.U[:, env["w"]]),
            ("skipgram", "dJ_sg/dv_w"): lambda: grad(self.W.J, self.W.V[:, env["w"]]),
        }
        if (self.kind, name) not in table:
            raise ValueError(f"unknown reference {name!r} in world {self.kind!r}")
        return table[(self.kind, name)]()

    def index_values(self, over):
        """The values a ``for_each`` runs over."""
        words = range(self.S.V)
        if over == "words_except_o":
            return [w for w in words if w != self.S.o]
        if over == "words_except_c":
            return [w for w in words if w != self.W.c]
        if over == "vocab":
            return list(words)
        raise ValueError(f"unknown range {over!r} (expected vocab, words_except_o or words_except_c)")


WORLDS = {"naive_softmax", "neg_sampling", "scalar", "skipgram"}


class _Builder(Builder):
    """The answer builder, plus the seed's ``\\alpha`` (part (e)'s Leaky ReLU slope, 0 < α < 1)."""
    extra = {"alpha": activations.alpha}

    def b_var(self, node):
        if node.value in self.extra:
            return self.extra[node.value]
        return super().b_var(node)


def read_latex(latex, world, description="as written", changes=()):
    """One formula read in ``world`` (a :class:`~derivations.coursework.answers.notation.World`).

    The written-answer parser and this module's builder (which also knows the
    seed's ``\\alpha``): a :class:`~derivations.coursework.verdicts.Reading` with
    the value, or with no value and the ``syntax`` or ``meaning`` error.
    """
    return read(latex, world, builder=_Builder, description=description, changes=changes)


# ---------------------------------------------------------------------------- readings

def _transposes(node):
    """The ``^T`` nodes of a parsed fragment, in order."""
    found = [node] if node.kind == "pow" and node.children[1].kind == "var" and node.children[1].value == "T" else []
    return found + [t for c in node.children if isinstance(c, Node) for t in _transposes(c)]


def _drop(node, dropped):
    """A copy of ``node`` with the transposes in ``dropped`` (by id) replaced by their base."""
    if id(node) in dropped:
        return _drop(node.children[0], dropped)
    new = copy.copy(node)
    new.origin = getattr(node, "origin", id(node))       # the diagnosis names nodes by their original id
    new.children = [_drop(c, dropped) if isinstance(c, Node) else c for c in node.children]
    return new


def _start(node):
    return min([node.pos] + [_start(c) for c in node.children if isinstance(c, Node)])


class Formula:
    """A part's expression trees read one way: notation applied or not, some transposes dropped."""

    flip = frozenset()          # ids of \sigma nodes whose argument is negated (the diagnosis)

    def __init__(self, trees, notation):
        self.notation = notation
        self.texts, self.parsed = {}, {}
        for tree in trees:
            for tex in leaves(tree):
                text = tex
                for change in notation:
                    text = text.replace(change["seed"], change["read_as"])
                self.texts[tex] = text
                self.parsed[tex] = parse(text)
        # every transpose mark, in order: (fragment, node, how the reader sees it)
        self.marks = []
        for tex, tree in self.parsed.items():
            for node in _transposes(tree):
                base = self.texts[tex][_start(node.children[0]):node.pos].strip()
                self.marks.append((tex, node, f"${base}^T$ as ${base}$"))

    def value(self, tree, setting, env, dropped=frozenset(), like=None):
        """Evaluate an expression tree (see the data file's header) to a SymPy value."""
        if "tex" in tree:
            text = self.texts[tree["tex"]]
            try:
                return _Builder(text, setting.world(env), flip=self.flip).build(
                    _drop(self.parsed[tree["tex"]], dropped))
            except AnswerError as exc:
                raise Unreadable(str(exc).splitlines()[0]) from None
        if "sum_of" in tree:
            return _add([self.value(t, setting, env, dropped, like) for t in tree["sum_of"]])
        if "sum" in tree:
            spec = tree["sum"]
            terms = [self.value(tree["body"], setting, e, dropped, like)
                     for e in _range(spec, setting, env) if _holds(spec.get("where"), setting, e)]
            if not terms:
                raise Unreadable("the sum has no terms")
            return _add(terms)
        if "rows" in tree:
            entries = []
            for item in tree["rows"]:
                if "each" in item:
                    entries += [self.value(item["body"], setting, e, dropped, like)
                                for e in _range(item["each"], setting, env)]
                else:
                    entries.append(self.value(item, setting, env, dropped, like))
            bad = [e for e in entries if isinstance(e, sp.MatrixBase)]
            if bad:
                raise Unreadable(f"a row of the column vector is a {bad[0].shape[0]} x {bad[0].shape[1]} matrix")
            return sp.Matrix(entries)
        if "columns" in tree:
            spec = tree["columns"]
            cols = [self.value(tree["body"], setting, {**env, spec["index"]: w}, dropped, like)
                    for w in setting.index_values(spec["over"])]
            if any(not isinstance(c, sp.MatrixBase) or c.shape[1] != 1 for c in cols):
                raise Unreadable("every entry of the row must be a column vector")
            return sp.Matrix.hstack(*cols)
        if "derivative" in tree:
            spec = tree["derivative"]
            return grad(setting.loss(spec["of"], env), setting.variable(spec["wrt"], env))
        if "zero" in tree:
            return sp.zeros(*like.shape) if isinstance(like, sp.MatrixBase) else sp.Integer(0)
        raise ValueError(f"unknown expression node with keys {sorted(tree)}")


def _add(values):
    total = values[0]
    for v in values[1:]:
        st = total.shape if isinstance(total, sp.MatrixBase) else ()
        sv = v.shape if isinstance(v, sp.MatrixBase) else ()
        if st != sv:
            raise Unreadable(f"adds a {st or 'scalar'} and a {sv or 'scalar'}")
        total = total + v
    return total


def _range(spec, setting, env):
    """Environments binding ``spec['index']`` to each value from ``from`` to ``to``."""
    lo, hi = setting.constant(spec["from"], env), setting.constant(spec["to"], env)
    return [{**env, spec["index"]: k} for k in range(lo, hi + 1)]


def _holds(cond, setting, env):
    if cond is None:
        return True
    a, b = setting.constant(cond["var"], env), setting.constant(cond["value"], env)
    ops = {"=": a == b, "!=": a != b, ">": a > b, "<": a < b}
    if cond["rel"] not in ops:
        raise ValueError(f"unknown relation {cond['rel']!r}")
    return ops[cond["rel"]]


def readings(part, setting, env, combine=None, like=None):
    """Every :class:`~derivations.coursework.verdicts.Reading` of a part's formula, most faithful first.

    ``combine`` turns the values of the part's trees (``expr`` and, for a
    condition, ``rhs``) into the value compared with the reference.
    """
    trees = [part["expr"]] + ([part["rhs"]] if "rhs" in part else [])
    combine = combine or (lambda values: values[0])
    notation = part.get("notation", [])
    bases = [("as written", Formula(trees, []), ())]
    if notation:
        changes = tuple(f"${n['seed']}$ as ${n['read_as']}$" for n in notation)
        bases.append(("reading " + ", ".join(changes), Formula(trees, notation), changes))
    out = []

    def attempt(description, formula, changes, dropped=frozenset()):
        try:
            value = combine([formula.value(t, setting, env, dropped, like) for t in trees])
        except Unreadable as exc:
            if not dropped:
                out.append(Reading(description, None, str(exc), changes))
            return
        # Dropping a transpose that changes nothing (u_o^T \cdot v_c is u_o \cdot v_c) is
        # not another reading.
        if not dropped or all(r.value is None or r.value != value for r in out):
            out.append(Reading(description, value, "", changes))

    for description, formula, changes in bases:
        attempt(description, formula, changes)
    description, formula, changes = bases[-1]
    marks = formula.marks
    if len(marks) > MAX_TRANSPOSES:
        raise ValueError(f"part {part['id']}: more than {MAX_TRANSPOSES} transposes to try dropping")
    for k in range(1, len(marks) + 1):
        for subset in itertools.combinations(marks, k):
            what = tuple(f"{m[2]}" for m in subset)
            attempt(f"{description}, {', '.join(what)}".replace("as written, ", "reading "),
                    formula, changes + what, frozenset(id(m[1]) for m in subset))
    return out


# ---------------------------------------------------------------------------- parts

@dataclass
class SeedPart:
    """One part of the seed and its verdict: the weakest of its checks (one per index value, case, claim)."""
    part: dict
    checks: list = field(default_factory=list)      # (label, Verdict)
    alternative: list = field(default_factory=list)  # (label, Verdict) for a reading the seed did not write

    @property
    def graded(self):
        return bool(self.checks)

    @property
    def deciding(self):
        """The (label, Verdict) of the check that decided the part's verdict, or None."""
        if not self.checks:
            return None
        weak = weakest(v for _, v in self.checks)
        return next((label, v) for label, v in self.checks if v is weak)

    @property
    def verdict(self):
        """The part's verdict kind (see :mod:`derivations.coursework.verdicts`), None if nothing was graded."""
        return self.deciding[1].kind if self.checks else None

    @property
    def counterexample(self):
        """The first wrong check's (label, counterexample), or None."""
        for label, v in self.checks:
            if v.kind == WRONG:
                return label, v.counterexample
        return None

    def summary(self):
        """One line for the table: why it is not plainly correct (empty if it is)."""
        if self.verdict in (None, CORRECT):
            return ""
        label, v = self.deciding
        return (f"{label}: " if label else "") + v.summary()


def _env(part, setting):
    env = {}
    for name, what in part.get("bind", {}).items():
        if name == "w" and what == "o":
            env["w"] = setting.S.o
        elif name == "w_x":
            env["x"] = setting.word(what)
        else:
            raise ValueError(f"part {part['id']}: unknown binding {name}: {what}")
    return env


def _for_each(part, setting, env):
    spec = part.get("for_each")
    if spec is None:
        return [("", env)]
    return [(f"{spec['index']} = {v}", {**env, spec["index"]: v}) for v in setting.index_values(spec["over"])]


def _judge_expression(part, setting, env, points, seed):
    reference = setting.reference(part["reference"], env)
    if part.get("kind", "expression") == "zero_condition":
        # "lhs = rhs" is the condition for a zero gradient g when lhs - rhs is g or -g.
        rs = readings(part, setting, env, combine=lambda v: _add([v[0], -v[1]]), like=reference)
        return judge_readings(rs, [reference, -reference], points, seed)
    return judge_readings(readings(part, setting, env, like=reference), reference, points, seed)


def _judge_piecewise(part, setting, points, seed):
    """Each case of a stated derivative against SymPy's, on its side of 0; then the claim at 0."""
    x, t = setting.x, sp.Symbol("t", positive=True)
    reference = setting.reference(part["reference"], {})
    checks = []
    for case in part["expr"]["cases"]:
        when = case["when"]
        if when["var"] != "x" or when["value"] != 0 or when["rel"] not in (">", "<"):
            raise ValueError(f"part {part['id']}: a case must hold for x > 0 or x < 0, got {when}")
        side = t if when["rel"] == ">" else -t
        sub = {**part, "expr": case["value"]}
        rs = [r if r.value is None else replace(r, value=r.value.subs(x, side))
              for r in readings(sub, setting, {})]
        checks.append((f"x {when['rel']} 0", judge_readings(rs, reference.subs(x, side), points, seed)))
    if part.get("at_zero") == "not_differentiable":
        checks.append(("at x = 0", _not_differentiable_at_0(points, seed)))
    return checks


def _not_differentiable_at_0(points, seed):
    """The claim "f has no derivative at 0": true when the one-sided derivatives differ.

    SymPy's own limits of the difference quotients of the handout's ``f``
    (the targets of eqs. (e.2) and (e.3)), not the chapter's derivations.
    """
    f, h = activations.leaky_relu, activations.h
    right = sp.limit((f(h) - f(0)) / h, h, 0, "+")
    left = sp.limit((f(-h) - f(0)) / (-h), h, 0, "+")
    equal, cex = equivalent(right, left, points, seed)
    reading = Reading("as written", None)
    if equal:
        cex = Counterexample(None, right, left, "the one-sided derivatives at 0 are equal, so f is differentiable")
        return Verdict(WRONG, "one-sided derivatives equal", cex, reading=reading, readings=(reading,))
    how = (f"the one-sided derivatives at 0 differ: "
           f"{cex.lhs:.3g} ≠ {cex.rhs:.3g} at {_point(cex)}")
    return Verdict(CORRECT, how, reading=reading, readings=(reading,))


def _point(cex):
    return ", ".join(f"{k}={v:.3g}" for k, v in cex.point.items())


def judge_part(part, points=20, seed=0):
    """Judge one part of the seed (a dict from :func:`load`); prose-only parts get no checks."""
    result = SeedPart(part)
    if "expr" not in part:
        return result
    setting = Setting(part["world"])
    env = _env(part, setting)
    if part.get("kind") == "piecewise_derivative":
        result.checks = _judge_piecewise(part, setting, points, seed)
    else:
        result.checks = [(label, _judge_expression(part, setting, e, points, seed))
                         for label, e in _for_each(part, setting, env)]
    alt = part.get("alternative")
    if alt:
        other = {**part, **alt, "notation": []}
        result.alternative = [(label, _judge_expression(other, setting, e, points, seed))
                              for label, e in _for_each(other, setting, env)]
    for _, v in result.checks + result.alternative:
        assert v.kind in KINDS
    return result


def judge_all(path=DATA, points=20, seed=0):
    """:func:`judge_part` for every part of the data file, in order."""
    return [judge_part(p, points, seed) for p in load(path)]


# ---------------------------------------------------------------------------- diagnosis

SEED_DERIVATIONS = {"g(ii), 1 - σ": "g.5", "h": "h.1", "i(ii)": "i.3", "i(iii)": "i.4", "b(i)": "b.1",
                    "g(i), v_c": "g.2", "g(i), u_o": "g.3", "g(i), u_{w_s}": "g.4"}


def diagnose(result, points=20, seed=0):
    """Why a wrong part of the seed is wrong, in words, with the step of the book's derivation: "" if unknown.

    The same slips as a typed answer's diagnosis (:mod:`derivations.coursework.answers.diagnosis`):
    each ``\\sigma`` of the formula with its argument negated (σ(z) written for σ(−z)), a
    constant factor (sign, a count), and, when the data records the reading the seed
    almost certainly meant (``alternative``), that change of one symbol or condition.
    """
    from .answers import diagnosis as D
    if result.verdict != WRONG or "expr" not in result.part:
        return ""
    part = result.part
    label = SEED_DERIVATIONS.get(part["id"])
    step = (lambda kind: D.step_text(label, kind)) if label else (lambda kind: "")
    setting = Setting(part["world"])
    env = _env(part, setting)
    checks = [(lab, e) for lab, e in _for_each(part, setting, env)]
    trees = [part["expr"]] + ([part["rhs"]] if "rhs" in part else [])
    formula = Formula(trees, part.get("notation", []))
    sigmas = [n for tree in formula.parsed.values() for n in D._walk(tree) if n.kind == "call" and n.value == "sigma"]
    for node in sigmas:
        formula.flip = frozenset({id(node)})
        ok = True
        for _, e in checks:
            reference = setting.reference(part["reference"], e)
            rs = _flipped(part, setting, e, formula, reference)
            if judge_readings(rs, reference, points, seed).kind not in (CORRECT, TRANSPOSE, NOTATION):
                ok = False
                break
        formula.flip = frozenset()
        if ok:
            tex = next(t for t, tree in formula.parsed.items() if any(n is node for n in D._walk(tree)))
            text = formula.texts[tex]
            arg = text[node.children[0].pos:node.children[0].end].strip().strip("()")
            neg = arg[1:] if arg.startswith("-") else f"-{arg}"
            return (f"it equals the correct result with $\\sigma({arg})$ where $\\sigma({neg})$ belongs "
                    f"(σ(z) for σ(−z))" + step("sigma"))
    if result.alternative and weakest(v for _, v in result.alternative).kind == CORRECT:
        alt = part["alternative"]["latex"]
        kind = "window" if "j" in alt and "sum" in alt else "swap"
        what = ("with j ≠ 0 under the sum where the seed wrote j = 0 (the window skips only j = 0)"
                if kind == "window" else f"read as ${alt}$ (v_w, a centre vector, where the seed wrote u_w)")
        return f"it equals the correct result {what}" + step(kind)
    return ""


def _flipped(part, setting, env, formula, reference):
    """The readings of ``part`` with ``formula`` (its \\sigma flips set): as written, then transposes dropped."""
    trees = [part["expr"]] + ([part["rhs"]] if "rhs" in part else [])
    out = []
    marks = formula.marks[:MAX_TRANSPOSES]
    for k in range(0, len(marks) + 1):
        for subset in itertools.combinations(marks, k):
            try:
                value = formula.value(trees[0], setting, env, frozenset(id(m[1]) for m in subset), reference)
            except Unreadable:
                continue
            out.append(Reading("as written" if not out else f"reading {k} transposes dropped", value, "",
                               () if not out else (f"{k} transposes dropped",)))
    return out or [Reading("as written", None, "cannot be read")]


# ---------------------------------------------------------------------------- display

def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def table_markdown(results):
    """The verdict table: part | the seed's formula | verdict | why not plainly correct."""
    rows = ["| part | the seed's formula | verdict | counterexample or reason |", "| --- | --- | --- | --- |"]
    for r in results:
        p = r.part
        if not r.graded:
            rows.append(f"| {p['id']} | (prose) | not graded by machine | see the comment below |")
            continue
        why = diagnose(r)
        rows.append(f"| {p['id']} | $\\small {p['latex']}$ | **{r.verdict}** | {_cell(why or r.summary())} |")
    return "\n".join(rows)


def _checks_markdown(checks):
    head = "| check | verdict | reading | engine |\n| --- | --- | --- | --- |\n"
    return head + "\n".join(f"| {_cell(label or 'the formula')} | {v.kind} | {_cell(v.reading.description)} "
                            f"| {_cell(v.message)} |" for label, v in checks)


def details_markdown(result):
    """Everything about one part: question, quote, transcription, readings, verdicts, counterexample."""
    p = result.part
    out = [f"**Part {p['id']}.** {p['asked']}"]
    if "quote" in p:
        out.append("The seed writes:\n\n```latex\n" + p["quote"] + "\n```")
    if "expr" in p:
        out.append(f"Transcribed final formula: ${p['latex']}$")
        for key, title in (("notation", "Notation the grader may change"), ("transcription", "Read by the transcription")):
            for n in p.get(key, []):
                out.append(f"- {title}: `{n['seed']}` as `{n['read_as']}` ({n['why']}).")
        out.append(f"Verdict: **{result.verdict}**\n\n" + _checks_markdown(result.checks))
        deciding = result.deciding[1]
        tried = deciding.readings
        if deciding.kind in (CORRECT, TRANSPOSE, NOTATION):      # the readings up to the one that decided
            tried = tried[:next(i for i, r in enumerate(tried) if r is deciding.reading) + 1]
        if len(tried) > 1:
            out.append("Readings the grader tried, most faithful first:\n\n" + "\n".join(
                f"{i}. {r.description}: {_outcome(r, r is deciding.reading, deciding.kind)}"
                for i, r in enumerate(tried, 1)))
        why = diagnose(result)
        if why:
            out.append(f"Diagnosis: {why}.")
        found = result.counterexample
        if found:
            label, cex = found
            out.append(f"Counterexample{' for ' + label if label else ''} (left: the seed's formula, "
                       f"right: SymPy's own result):\n\n```text\n{cex}\n```")
        if p.get("comment"):
            out.append(p["comment"])
        if result.alternative:
            alt = p["alternative"]
            verdict = weakest(v for _, v in result.alternative).kind
            out.append(f"Not what the seed wrote, for comparison: ${alt['latex']}$ is **{verdict}**.\n\n"
                       + _checks_markdown(result.alternative))
    if "prose" in p:
        # The seed marks remarks with "*"; escaped, so they are not read as Markdown emphasis.
        quote = p["prose"]["quote"].replace("\\*", "*").replace("*", "\\*")
        out.append("\n".join("> " + line for line in quote.splitlines()) + "\n\n" + p["prose"]["comment"])
    return "\n\n".join(out)


def _outcome(reading, deciding, verdict):
    if reading.value is None:
        return f"no value ({reading.error})"
    v = reading.value
    what = f"a {v.shape[0]} x {v.shape[1]} matrix" if isinstance(v, sp.MatrixBase) else "a scalar"
    if deciding:
        return what + (", the reading the counterexample uses" if verdict == WRONG else ", which decided the verdict")
    return what + ", not equal"


def show_parts(results, *letters):
    """Display the details of every part whose id starts with one of ``letters`` (e.g. "a", "b")."""
    chosen = [r for r in results if r.part["id"].split("(")[0].split(",")[0].strip() in letters]
    if not chosen:
        raise ValueError(f"no part of the seed starts with {letters}")
    text = "\n\n---\n\n".join(details_markdown(r) for r in chosen)
    try:
        from IPython.display import Markdown, display
    except ImportError:
        print(text)
        return
    display(Markdown(text))
