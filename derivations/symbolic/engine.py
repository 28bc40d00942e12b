"""Derivations as checked data: every displayed ``=`` is verified by SymPy.

A :class:`Derivation` is an ordered list of :class:`Step` s. Each step carries
the LaTeX the reader sees and a SymPy object (in one concrete world of
:data:`derivations.symbolic.symbols.WORLDS`) equal in value to it. :meth:`Derivation.check`
proves each step equal to the one before and the last equal to ``target``
(SymPy's own derivative of the loss, see :func:`~derivations.symbolic.symbols.grad`),
using :mod:`derivations.symbolic.equality`: symbolically where cheap, else at seeded
random points. A derivation built by :func:`in_worlds` is the same chain built in every
world (same display, different sizes, ``o``, negatives, window); ``check`` checks each,
smallest world first.

A check must be able to fail: a derivative (``wrt`` given) whose ``loss`` contains no
symbol of ``wrt``, or whose steps do not depend on ``wrt``, is refused as *vacuous*,
unless the derivation declares its value ``constant`` with a reason.

A failure raises :class:`StepFailed` naming the world, the step and a small
counterexample: as few non-zero symbols as still show the difference, small integers
where they do, and both sides' values at the worst entry.

The display a chapter shows is generated from the same steps (:func:`show`): one
line per derivation says what was checked, the step-by-step detail is folded. That
the LaTeX of each step *means* its SymPy value is checked by reading it back
(``book/_ext/w2v_display.py``, which may import the answer reader; this package may not).
"""
import math
import sys
from dataclasses import dataclass

import numpy as np
import sympy as sp

from .equality import (MAX_OPS, Counterexample, Sampler, as_sympy, compile_entries, equivalent,
                       equivalent_up_to_transpose, numeric_comparison, prove_equal, shape_of,
                       shape_comparison, Comparison)
from .symbols import SIZES, WORLDS, Sizes, grad, naive_softmax_symbols, neg_sampling_symbols, sigmoid

__all__ = ["Step", "Derivation", "StepFailed", "CheckReport", "Shown", "show", "in_worlds", "shrink", "Sizes", "SIZES",
           "WORLDS", "naive_softmax_symbols", "neg_sampling_symbols", "grad", "sigmoid",
           "equivalent", "equivalent_up_to_transpose", "Counterexample"]


@dataclass(frozen=True)
class Step:
    """One ``= ...`` of a derivation: the reader's LaTeX and the checker's SymPy value.

    ``latex`` is the right-hand side as displayed; ``expr`` a SymPy scalar or
    Matrix equal in value to it (unevaluated ``sp.Derivative`` objects are
    evaluated); ``why`` a short justification, including the shapes involved.
    """
    latex: str
    expr: object
    why: str = ""

    def __post_init__(self):
        if not isinstance(self.latex, str) or not self.latex.strip():
            raise TypeError(f"Step latex must be a non-empty string, got {self.latex!r}")
        if not isinstance(self.why, str):
            raise TypeError(f"Step why must be a string, got {type(self.why).__name__}")
        object.__setattr__(self, "expr", as_sympy("Step expr", self.expr))


class StepFailed(AssertionError):
    """A derivation step is not equal to the one before it (or to the target).

    Attributes: ``label``, ``step_index`` (1-based, as displayed), ``point``
    (symbol name -> value, None for a shape mismatch), ``lhs_value`` (the
    previous step's value there), ``rhs_value`` (this step's value), ``reason``.
    """

    def __init__(self, label, step_index, point, lhs_value, rhs_value, reason="values differ",
                 detail="", world=""):
        self.label, self.step_index, self.point = label, step_index, point
        self.lhs_value, self.rhs_value, self.reason, self.world = lhs_value, rhs_value, reason, world
        where = f" in {world}" if world else ""
        super().__init__(f"derivation ({label}), step {step_index}{where}: {detail}")


@dataclass
class CheckRow:
    """One verified equality ``left = right`` and how it was decided."""
    left: str
    right: str
    comparison: Comparison

    def __str__(self):
        v = self.comparison
        return f"{self.left} = {self.right}: {v.how}, {_diff_text(v)}"

    def plain(self):
        """How it was decided, in words a student reads without alarm (``proved symbolically``)."""
        v = self.comparison
        if v.method == "symbolic":
            how = "proved symbolically"
        elif v.method == "numeric":
            how = f"equal at {v.points} random points ({_diff_text(v)})"
        else:
            how = v.how
        return how


def _diff_text(comparison):
    # Only the order of magnitude: the last bits of exp() differ between machines,
    # and the stored report must not (nbval compares it).
    if comparison.method == "symbolic":
        return "exact"
    if comparison.maxdiff == 0:
        return "max diff 0"
    return f"max diff < 1e{math.floor(math.log10(comparison.maxdiff)) + 1}"


@dataclass
class CheckReport:
    """Every equality :meth:`Derivation.check` verified, in order, in each world.

    ``rows`` are the first (smallest) world's; ``worlds`` is ``[(Sizes or None, rows), ...]``.
    """
    label: str
    rows: list
    worlds: list = None
    steps: int = 0

    def __post_init__(self):
        if self.worlds is None:
            self.worlds = [(None, self.rows)]

    def summary(self):
        """One line: how many steps, in how many worlds, and how (e.g. ``6 steps checked in 2 worlds, symbolically``)."""
        rows = [r for _, w in self.worlds for r in w]
        numeric = [r for r in rows if r.comparison.method == "numeric"]
        if not numeric:
            how = "symbolically"
        elif len(numeric) == len(rows):
            how = f"numerically ({numeric[0].comparison.points} points each, 40 digits)"
        else:
            k, n_num = len(rows) - len(numeric), len(numeric)
            how = (f"{k} equalit{'y' if k == 1 else 'ies'} symbolically, {n_num} numerically "
                   f"({numeric[0].comparison.points} points each, 40 digits)")
        n = self.steps or len(self.rows)
        sized = [w for w, _ in self.worlds if w is not None]
        where = f" in {len(sized)} world{'s' if len(sized) != 1 else ''}" if sized else ""
        return f"{n} step{'s' if n != 1 else ''} checked{where}, {how}"

    def __str__(self):
        lines = [f"({self.label}): {self.summary()}"]
        for world, rows in self.worlds:
            if world is not None:
                lines.append(f"{world.describe()}:")
            lines += [("  " if world is not None else "") + str(r) for r in rows]
        return "\n".join(lines)


def _dims_text(shape):
    # A compound size is bracketed, so that d x (K+1) never reads as (d x K) + 1.
    return " \\times ".join(f"({n})" if any(op in n for op in "+-") else n for n in shape)


class Derivation:
    """A labelled chain ``lhs = step_1 = ... = step_n (= target)``; see the module docstring.

    Args:
        label: the equation number chapters and docstrings cite, e.g. ``"b.1"``.
        title: one line describing the result (the same in every world).
        lhs_latex: what is being derived, e.g. ``r"\\frac{\\partial J}{\\partial v_c}"``.
        steps: a non-empty list of :class:`Step`.
        target: SymPy's own value the last step must equal (e.g. ``grad(S.J, S.v_c)``),
            or None when the chain alone is the claim.
        points: random points for the numeric check (at least 20).
        seed: seed of those points.
        shape: the result's shape in the chapter's names, e.g. ``("d", "1")`` or
            ``("d", "|V|")`` (names from :meth:`Sizes.dims`); checked, and shown.
        target_latex: how the report names the target (e.g. ``r"SymPy's $\\partial J/\\partial v_c$"``).
        sizes: the world the SymPy values are built in (None: no sizes, e.g. a scalar ``x``).
        max_ops: size budget of the symbolic attempt (see :mod:`derivations.symbolic.equality`).
        wrt: for a derivative, the SymPy symbol or Matrix differentiated by; every step must
            depend on it (see ``constant``).
        loss: the function differentiated; it must contain a symbol of ``wrt``.
        constant: a reason, when the derivative is a constant (its steps then need not
            depend on ``wrt``).
        where: what this world's instance is about, e.g. ``"s = 2 (w_s = 0)"``; reported.
        index: ``(name, values)`` when the display has a free index (``w`` in ``\\hat y_w v_c``,
            ``s`` in ``u_{w_s}``): the SymPy values hold the display for each of ``values``,
            side by side as columns when there are several. The display reader binds it.
    """

    def __init__(self, label, title, lhs_latex, steps, target=None, points=20, seed=0,
                 shape=None, target_latex="SymPy's own result", sizes=SIZES, max_ops=MAX_OPS,
                 wrt=None, loss=None, constant=None, where="", index=None):
        for name, value in (("label", label), ("title", title), ("lhs_latex", lhs_latex)):
            if not isinstance(value, str) or not value.strip():
                raise TypeError(f"{name} must be a non-empty string, got {value!r}")
        steps = list(steps)
        if not steps or not all(isinstance(s, Step) for s in steps):
            raise TypeError(f"steps must be a non-empty list of Step, got {steps!r:.100}")
        if isinstance(points, bool) or not isinstance(points, int) or points < 20:
            raise ValueError(f"points must be an integer >= 20, got {points!r}")
        if shape is not None:
            shape = tuple(str(n) for n in shape)
            unknown = [n for n in shape if n not in (sizes or SIZES).dims()]
            if len(shape) != 2 or unknown:
                raise ValueError(f"shape must be two names from {sorted((sizes or SIZES).dims())}, got {shape!r}")
        if constant is not None and (not isinstance(constant, str) or not constant.strip()):
            raise TypeError(f"constant must be a reason (a non-empty string), got {constant!r}")
        if (loss is not None or constant is not None) and wrt is None:
            raise ValueError("loss and constant describe a derivative: give wrt as well")
        self.label, self.title, self.lhs_latex, self.steps = label, title, lhs_latex, steps
        self.target = None if target is None else as_sympy("target", target)
        self.points, self.seed, self.shape, self.sizes = points, seed, shape, sizes
        self.target_latex, self.max_ops = target_latex, max_ops
        self.wrt = None if wrt is None else sp.sympify(wrt, strict=True)
        self.loss = None if loss is None else as_sympy("loss", loss)
        self.constant, self.where = constant, where
        self.index = None if index is None else (str(index[0]), tuple(index[1]))
        self.variants = []          # the same derivation built in the other worlds (see in_worlds)
        self.source = None          # (build, make_symbols, namespace) when built by in_worlds

    def __repr__(self):
        return f"<Derivation ({self.label}) {self.title!r}: {len(self.steps)} steps>"

    def chain(self):
        """The displayed members of the chain: ``[lhs_latex, step_1.latex, ...]``."""
        return [self.lhs_latex] + [s.latex for s in self.steps]

    def instances(self):
        """This derivation in every world it was built in, smallest world first."""
        every = [self] + list(self.variants)
        return sorted(every, key=lambda d: d.sizes.size if d.sizes is not None else 0)

    def _pairs(self):
        # (step index reported on failure, left value, right value, left name, right name)
        for k in range(1, len(self.steps)):
            yield k + 1, self.steps[k - 1].expr, self.steps[k].expr, f"({k})", f"({k + 1})"
        if self.target is not None:
            n = len(self.steps)
            yield n, self.steps[-1].expr, self.target, f"({n})", self.target_latex

    def _free_symbols(self):
        values = [s.expr for s in self.steps] + ([self.target] if self.target is not None else [])
        return set().union(*(v.free_symbols for v in values))

    def _world_name(self):
        if self.sizes is None:
            return self.where
        return self.sizes.describe() + (f"; {self.where}" if self.where else "")

    def _check_shape(self):
        last = self.steps[-1].expr
        if self.shape is None:
            return
        want = tuple((self.sizes or SIZES).dims()[n] for n in self.shape)
        got = shape_of(last) or (1, 1)
        if got != want:
            raise StepFailed(self.label, len(self.steps), None, want, got, "declared shape",
                             f"the result is declared {_dims_text(self.shape)} = {want} "
                             f"but the last step has shape {got}", self._world_name())

    def _check_not_vacuous(self):
        """A derivative's check must be able to fail: see the module docstring."""
        if self.wrt is None:
            return
        wrt = self.wrt.free_symbols
        name = self.lhs_latex
        if self.loss is not None and not self.loss.free_symbols & wrt:
            raise StepFailed(self.label, 1, None, None, None, "vacuous",
                             f"the loss contains no symbol of the variable of {name}: the derivative is 0 "
                             "because of how the loss is encoded, and no check of it can fail",
                             self._world_name())
        if self.constant is not None:
            return
        values = [(i, s.expr) for i, s in enumerate(self.steps, start=1)]
        if self.target is not None:
            values.append((len(self.steps), self.target))
        for i, value in values:
            if not value.free_symbols & wrt:
                raise StepFailed(self.label, i, None, None, None, "vacuous",
                                 f"step ({i}) does not depend on the variable of {name}; if the derivative "
                                 "is constant, say why with constant=...", self._world_name())

    def _check_one(self):
        """Check this world's instance; return its rows."""
        self._check_not_vacuous()
        sampler, cache, rows = None, {}, []
        for index, a, b, left, right in self._pairs():
            comparison = shape_comparison(a, b)
            if comparison is None and prove_equal(a, b, self.max_ops):
                comparison = Comparison(True, "symbolic")
            if comparison is None:
                if sampler is None:   # one set of points for the whole chain
                    sampler = Sampler(self._free_symbols(), self.points, self.seed)
                for x in (a, b):   # each step is compiled and evaluated once
                    if id(x) not in cache:
                        cache[id(x)] = sampler.evaluate(x)
                comparison = numeric_comparison(cache[id(a)], cache[id(b)], sampler, a=a, b=b)
            if not comparison.equal:
                raise self._failure(index, left, right, comparison.counterexample, a, b)
            rows.append(CheckRow(left, right, comparison))
        self._check_shape()
        return rows

    def check(self):
        """Verify every equality in every world; return a :class:`CheckReport` or raise :class:`StepFailed`."""
        instances = self.instances()
        worlds = [(d.sizes, d._check_one()) for d in instances]
        return CheckReport(self.label, worlds[instances.index(self)][1], worlds, len(self.steps))

    def _failure(self, index, left, right, cex, a=None, b=None):
        if cex is not None and cex.point is not None and a is not None:
            cex = shrink(a, b, cex)
        shown = {f"({i + 1})": s.latex for i, s in enumerate(self.steps)}
        shown[self.target_latex] = "(target)"
        detail = (f"{left} = {right} fails: {cex}\n  {left}: {shown.get(left, '')}\n"
                  f"  {right}: {shown.get(right, '')}")
        return StepFailed(self.label, index, cex.point, cex.lhs, cex.rhs, cex.reason, detail,
                          self._world_name())

    def latex(self):
        """The aligned display generated from the steps, numbered (1), (2), ..."""
        lines = [f"{self.lhs_latex} &= {self.steps[0].latex} && (1)"]
        lines += [f"&= {s.latex} && ({i + 2})" for i, s in enumerate(self.steps[1:])]
        # No \tag: Sphinx wraps multi-line display math in a split environment, where
        # MathJax refuses \tag. The label heads the Markdown instead (see markdown()).
        return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"

    def markdown(self, report):
        """Markdown for a checked derivation: title, display, one summary line, then the detail folded."""
        shape = f" (shape ${_dims_text(self.shape)}$)" if self.shape else ""
        checks = {row.right: row for row in report.rows}
        lines = []
        for i, step in enumerate(self.steps, start=1):
            row = checks.get(f"({i})")
            lines.append(f"- ({i}) {step.why}" + (f" — equals {row.left}: {row.plain()}" if row else ""))
        lines += [f"- {row.left} equals {row.right}: {row.plain()}" for row in report.rows if row.right not in
                  {f"({i})" for i in range(1, len(self.steps) + 1)}]
        named = [(w, d) for (w, _), d in zip(report.worlds, self.instances()) if w is not None]
        if named:
            lines.append("- worlds: " + "; ".join(
                w.describe() + (f" ({d.where})" if d.where else "") for w, d in named))
        if self.constant:
            lines.append(f"- constant: {self.constant}")
        return (f"**({self.label})** {self.title}{shape}\n\n$$\n{self.latex()}\n$$\n\n"
                f'<details class="w2v-checked"><summary>✓ {report.summary()}</summary>\n\n'
                + "\n".join(lines) + "\n\n</details>\n")

    def _repr_markdown_(self):
        # IPython swallows exceptions raised here; chapters call show(), which raises.
        return self.markdown(self.check())


def in_worlds(build, make_symbols, worlds=WORLDS):
    """``build(make_symbols(world))`` for every world, as one :class:`Derivation` that checks them all.

    The instances must display the same chain and title: what varies between worlds is
    the mathematics underneath, never what the reader sees.
    """
    built = []
    for world in worlds:
        namespace = make_symbols(world)
        d = build(namespace)
        d.source = (build, make_symbols, namespace)    # how to rebuild it (the mutation tester does)
        built.append(d)
    first = built[0]
    for other in built[1:]:
        if other.chain() != first.chain() or other.title != first.title or other.label != first.label:
            raise ValueError(f"derivation ({first.label}) displays differently in {other.sizes.describe()}: "
                             "a world may change the values, not the display")
    first.variants = built[1:]
    return first


def shrink(a, b, cex, tries=(0, 1, -1, 2, -2, 3, -3)):
    """A smaller counterexample than ``cex`` for ``a != b``: as many symbols 0 and the rest
    small integers as still show the difference in float64 (``cex`` itself if none does)."""
    symbols = sorted(a.free_symbols | b.free_symbols, key=lambda s: s.name)
    entries = lambda x: list(x) if isinstance(x, sp.MatrixBase) else [x]
    try:
        f = compile_entries(symbols, [entries(a), entries(b)], "numpy")
    except Exception:          # noqa: BLE001 -- shrinking is a courtesy; the original stands
        return cex
    shape = shape_of(a)

    def differs(point):
        with np.errstate(all="ignore"):
            try:
                va, vb = (np.array(v, dtype=float) for v in f(*[point[s.name] for s in symbols]))
            except (ZeroDivisionError, ValueError, TypeError, OverflowError):
                return None
        if not (np.isfinite(va).all() and np.isfinite(vb).all()):
            return None
        scale = max(1.0, float(np.abs(va).max()), float(np.abs(vb).max()))
        gap = np.abs(va - vb)
        return (va, vb, int(np.argmax(gap))) if gap.max() > 1e-6 * scale else None

    point = dict(cex.point)
    if differs(point) is None:
        return cex
    for s in symbols:
        allowed = [t for t in tries if t > 0] if s.is_positive else list(tries)
        for t in allowed:
            trial = dict(point, **{s.name: float(t)})
            if differs(trial) is not None:
                point = trial
                break
    va, vb, worst = differs(point)
    index = () if not shape else tuple(int(i) for i in np.unravel_index(worst, shape))
    lhs, rhs = (float(va[worst]), float(vb[worst]))
    shown = {k: v for k, v in point.items() if v != 0}
    rest = "every other symbol 0" if len(shown) < len(point) else ""
    return Counterexample(shown, lhs, rhs, cex.reason, index, rest)


class Shown:
    """A checked derivation as a chapter displays it (what :func:`show` returns).

    Rich display (``_repr_markdown_``): the title, the aligned display, then one line
    saying what was checked with the step-by-step detail folded in a ``<details>``.
    Plain text (``repr``, what a console or nbval's text comparison sees): that one line.
    """

    def __init__(self, derivation, report):
        self.derivation, self.report = derivation, report

    def line(self):
        """``✓ (b.1) 6 steps checked in 2 worlds, symbolically``."""
        return f"✓ ({self.derivation.label}) {self.report.summary()}"

    def __repr__(self):
        return self.line()

    def _repr_markdown_(self):
        return self.derivation.markdown(self.report)


def show(derivation):
    """Check ``derivation`` (raising :class:`StepFailed` if a step is wrong), then display it.

    In IPython the display is the derivation with one folded "checked" line (:class:`Shown`);
    in plain Python it prints the title, the LaTeX display and that line. Returns None,
    so that a cell ending in ``show(d)`` shows the derivation once.
    """
    if not isinstance(derivation, Derivation):
        raise TypeError(f"show() needs a Derivation, got {type(derivation).__name__}")
    shown = Shown(derivation, derivation.check())
    module = sys.modules.get("IPython")            # loaded only when running inside IPython
    if module is None or module.get_ipython() is None:
        print(f"({derivation.label}) {derivation.title}\n{derivation.latex()}\n{shown.line()}")
    else:
        from IPython.display import display
        display(shown)
