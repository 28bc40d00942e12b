"""Derivations as checked data: every displayed ``=`` is verified by SymPy.

A :class:`Derivation` is an ordered list of :class:`Step` s. Each step carries
the LaTeX the reader sees and a SymPy object (at the concrete sizes of
:mod:`derivations.symbolic.symbols`) equal in value to it. :meth:`Derivation.check`
proves each step equal to the one before and the last equal to ``target``
(SymPy's own derivative of the loss, see :func:`~derivations.symbolic.symbols.grad`),
using :mod:`derivations.symbolic.equality`: symbolically where cheap, else at seeded
random points. A failure raises :class:`StepFailed` naming the step and a
counterexample point with both sides' values.

The display a chapter shows is generated from the same steps
(:func:`show`), so prose and checks cannot drift apart.
"""
import math
from dataclasses import dataclass

from .equality import (MAX_OPS, Counterexample, Sampler, as_sympy, equivalent,
                       equivalent_up_to_transpose, numeric_comparison, prove_equal, shape_of,
                       shape_comparison, Comparison)
from .symbols import SIZES, Sizes, grad, naive_softmax_symbols, neg_sampling_symbols, sigmoid

__all__ = ["Step", "Derivation", "StepFailed", "CheckReport", "show", "Sizes", "SIZES",
           "naive_softmax_symbols", "neg_sampling_symbols", "grad", "sigmoid",
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
                 detail=""):
        self.label, self.step_index, self.point = label, step_index, point
        self.lhs_value, self.rhs_value, self.reason = lhs_value, rhs_value, reason
        super().__init__(f"derivation ({label}), step {step_index}: {detail}")


@dataclass
class CheckRow:
    """One verified equality ``left = right`` and how it was decided."""
    left: str
    right: str
    comparison: Comparison

    def __str__(self):
        v = self.comparison
        return f"{self.left} = {self.right}: {v.how}, {_diff_text(v)}"


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
    """Every equality :meth:`Derivation.check` verified, in order."""
    label: str
    rows: list

    def __str__(self):
        return "\n".join([f"({self.label}): {len(self.rows)} equalities checked"]
                         + [str(r) for r in self.rows])


def _dims_text(shape):
    return " \\times ".join(shape)


class Derivation:
    """A labelled chain ``lhs = step_1 = ... = step_n (= target)``; see the module docstring.

    Args:
        label: the equation number chapters and docstrings cite, e.g. ``"b.1"``.
        title: one line describing the result.
        lhs_latex: what is being derived, e.g. ``r"\\frac{\\partial J}{\\partial v_c}"``.
        steps: a non-empty list of :class:`Step`.
        target: SymPy's own value the last step must equal (e.g. ``grad(S.J, S.v_c)``),
            or None when the chain alone is the claim.
        points: random points for the numeric check (at least 20).
        seed: seed of those points.
        shape: the result's shape in the chapter's names, e.g. ``("d", "1")`` or
            ``("d", "|V|")`` (names from :meth:`Sizes.dims`); checked, and shown.
        target_latex: how the report names the target (e.g. ``r"SymPy's $\\partial J/\\partial v_c$"``).
        max_ops: size budget of the symbolic attempt (see :mod:`derivations.symbolic.equality`).
    """

    def __init__(self, label, title, lhs_latex, steps, target=None, points=20, seed=0,
                 shape=None, target_latex="SymPy's own result", sizes=SIZES, max_ops=MAX_OPS):
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
            unknown = [n for n in shape if n not in sizes.dims()]
            if len(shape) != 2 or unknown:
                raise ValueError(f"shape must be two names from {sorted(sizes.dims())}, got {shape!r}")
        self.label, self.title, self.lhs_latex, self.steps = label, title, lhs_latex, steps
        self.target = None if target is None else as_sympy("target", target)
        self.points, self.seed, self.shape, self.sizes = points, seed, shape, sizes
        self.target_latex, self.max_ops = target_latex, max_ops

    def __repr__(self):
        return f"<Derivation ({self.label}) {self.title!r}: {len(self.steps)} steps>"

    def chain(self):
        """The displayed members of the chain: ``[lhs_latex, step_1.latex, ...]``."""
        return [self.lhs_latex] + [s.latex for s in self.steps]

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

    def _check_shape(self):
        last = self.steps[-1].expr
        if self.shape is None:
            return
        want = tuple(self.sizes.dims()[n] for n in self.shape)
        got = shape_of(last) or (1, 1)
        if got != want:
            raise StepFailed(self.label, len(self.steps), None, want, got, "declared shape",
                             f"the result is declared {_dims_text(self.shape)} = {want} "
                             f"but the last step has shape {got}")

    def check(self):
        """Verify every equality; return a :class:`CheckReport` or raise :class:`StepFailed`."""
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
                comparison = numeric_comparison(cache[id(a)], cache[id(b)], sampler)
            if not comparison.equal:
                raise self._failure(index, left, right, comparison.counterexample)
            rows.append(CheckRow(left, right, comparison))
        self._check_shape()
        return CheckReport(self.label, rows)

    def _failure(self, index, left, right, cex):
        shown = {f"({i + 1})": s.latex for i, s in enumerate(self.steps)}
        shown[self.target_latex] = "(target)"
        detail = (f"{left} = {right} fails: {cex}\n  {left}: {shown.get(left, '')}\n"
                  f"  {right}: {shown.get(right, '')}")
        return StepFailed(self.label, index, cex.point, cex.lhs, cex.rhs, cex.reason, detail)

    def latex(self):
        """The aligned display generated from the steps, numbered (1), (2), ..."""
        lines = [f"{self.lhs_latex} &= {self.steps[0].latex} && (1)"]
        lines += [f"&= {s.latex} && ({i + 2})" for i, s in enumerate(self.steps[1:])]
        # No \tag: Sphinx wraps multi-line display math in a split environment, where
        # MathJax refuses \tag. The label heads the Markdown instead (see markdown()).
        return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"

    def markdown(self, report):
        """Markdown for a checked derivation: title, display, then each step's reason and check."""
        shape = f" (shape ${_dims_text(self.shape)}$)" if self.shape else ""
        checks = {row.right: row for row in report.rows}
        lines = []
        for i, step in enumerate(self.steps, start=1):
            row = checks.get(f"({i})")
            lines.append(f"- ({i}) {step.why}" + (f" — checked {row}" if row else ""))
        lines += [f"- checked {row}" for row in report.rows if row.right not in
                  {f"({i})" for i in range(1, len(self.steps) + 1)}]
        return (f"**({self.label})** {self.title}{shape}\n\n$$\n{self.latex()}\n$$\n\n"
                + "\n".join(lines) + "\n")

    def _repr_markdown_(self):
        # IPython swallows exceptions raised here; chapters call show(), which raises.
        return self.markdown(self.check())


def show(derivation):
    """Check ``derivation`` (raising :class:`StepFailed` if a step is wrong), then display it."""
    if not isinstance(derivation, Derivation):
        raise TypeError(f"show() needs a Derivation, got {type(derivation).__name__}")
    text = derivation.markdown(derivation.check())
    try:
        from IPython.display import Markdown, display
    except ImportError:       # plain Python: print the Markdown source
        print(text)
        return
    display(Markdown(text))
