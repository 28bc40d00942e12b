"""Check a written answer: parse, build in the handout's notation, compare with SymPy's own result.

The reference for each part is *computed* (SymPy differentiates the loss of
:mod:`derivations.symbolic.symbols`), never typed as a formula, so this module holds no
solution text and ships in the student edition. Equality is decided by
:func:`derivations.symbolic.equality.compare_values` (cheap symbolic rewrites with a
size budget, then 20 seeded random points).
"""
from dataclasses import dataclass
from math import comb
from pathlib import Path

import sympy as sp

from ...symbolic.equality import MAX_OPS, compare_values
from ...symbolic.symbols import SIZES, Sizes, grad, naive_softmax_symbols, neg_sampling_symbols, sigmoid
from .latex import AnswerError, AnswerSyntaxError, parse
from .notation import World, build


@dataclass
class Reference:
    """One written part: what the student's formula stands for, and its points."""
    key: str
    points: float
    asks: str                 # the left-hand side, in LaTeX, as the handout asks it
    target: object            # world -> the SymPy value the answer must equal
    index: str = ""           # a free index the answer may use ("w": every word, "s": every negative)
    loss: str = "naive"       # which loss's world: "naive" or "neg" (distinct negatives)


NEG_SIZES = Sizes(negatives=(1, 3, 4))     # distinct negatives: (g) asks before (h) allows repeats


def _world(loss):
    S = naive_softmax_symbols(SIZES) if loss == "naive" else neg_sampling_symbols(NEG_SIZES)
    if loss == "naive":
        y_hat, y = S.y_hat, S.y
    else:
        n = naive_softmax_symbols(NEG_SIZES)
        y_hat, y = n.y_hat, n.y
    negatives = tuple(getattr(S, "negatives", NEG_SIZES.negatives))
    return S, World(S.v_c, S.U, S.o, negatives, y_hat, y, sp.Symbol("x", real=True))


REFERENCES = {r.key: r for r in [
    Reference("a", 2, r"J_{\text{naive-softmax}}(v_c, o, U)", lambda S, W: S.J),
    Reference("b", 3, r"\frac{\partial J}{\partial v_c}", lambda S, W: grad(S.J, S.v_c)),
    Reference("c", 3, r"\frac{\partial J}{\partial u_w}\ (\text{every } w,\ \text{including } o)",
              lambda S, W: grad(S.J, S.u(W.indices["w"])), index="w"),
    Reference("d", 2, r"\frac{\partial J}{\partial U}", lambda S, W: grad(S.J, S.U)),
    Reference("f", 2, r"\sigma'(x)", lambda S, W: sp.diff(sigmoid(W.x), W.x)),
    Reference("g_vc", 2, r"\frac{\partial J_{\text{neg-sample}}}{\partial v_c}",
              lambda S, W: grad(S.J, S.v_c), loss="neg"),
    Reference("g_uo", 2, r"\frac{\partial J_{\text{neg-sample}}}{\partial u_o}",
              lambda S, W: grad(S.J, S.u(S.o)), loss="neg"),
    Reference("g_uws", 2, r"\frac{\partial J_{\text{neg-sample}}}{\partial u_{w_s}}\ (\text{distinct } w_s)",
              lambda S, W: grad(S.J, S.u(W.negatives[W.indices["s"] - 1])), index="s", loss="neg"),
]}


@dataclass
class Result:
    """The verdict on one written answer.

    ``verdict`` is ``"correct"``, ``"transpose"`` (right up to a transpose),
    ``"wrong"`` (with ``counterexample``), ``"syntax"`` or ``"meaning"`` (with
    ``position``), ``"undecided"`` (SymPy failed on a well-formed formula) or
    ``"error"`` (:func:`check_answer`'s process hit its limits).
    """
    part: str
    verdict: str
    message: str
    counterexample: str = ""
    position: int = -1

    @property
    def correct(self):
        return self.verdict == "correct"

    def __str__(self):
        return self.message + (f"\n{self.counterexample}" if self.counterexample else "")


MAX_EXPANDED_TERMS = 2000


def expanded_terms(e, cap=10 ** 9):
    """An upper bound on the number of terms ``expand`` could produce from ``e``.

    The equality engine's symbolic step expands; ``(a + b + c + d + e + x)^{10}``
    has 3003 terms and its products explode further, so past
    :data:`MAX_EXPANDED_TERMS` we skip straight to the numeric comparison.
    """
    if isinstance(e, sp.MatrixBase):
        return max((expanded_terms(x, cap) for x in e), default=1)
    if e.is_Atom:
        return 1
    if e.is_Add:
        return min(cap, sum(expanded_terms(a, cap) for a in e.args))
    if e.is_Mul:
        n = 1
        for a in e.args:
            n = min(cap, n * expanded_terms(a, cap))
        return n
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


def _compare(got, want, points, seed):
    budget = MAX_OPS if expanded_terms(got) <= MAX_EXPANDED_TERMS else 0   # 0: numeric only
    return compare_values(got, want, points, seed, max_ops=budget)


def _index_values(ref, W):
    if ref.index == "w":
        return list(range(W.V))
    if ref.index == "s":
        return list(range(1, W.K + 1))
    return [None]


def check(part, latex, points=20, seed=0):
    """Check ``latex`` as the final formula of written ``part`` (in this process; see :func:`check_answer`)."""
    if part not in REFERENCES:
        raise AnswerError(f"part must be one of {', '.join(REFERENCES)}, got {part!r}")
    ref = REFERENCES[part]
    try:
        tree = parse(latex)
    except AnswerSyntaxError as exc:
        return Result(part, "syntax", str(exc), position=exc.position)
    S, W = _world(ref.loss)
    for value in _index_values(ref, W):
        W.indices = {} if value is None else {ref.index: value}
        where = "" if value is None else f" for {ref.index} = {value}" + (
            f" (w_s = {W.negatives[value - 1]})" if ref.index == "s" else f" (o = {W.o})")
        try:
            got = build(latex, tree, W)
        except AnswerSyntaxError as exc:
            return Result(part, "meaning", str(exc), position=exc.position)
        undefined = [e for e in (got if isinstance(got, sp.MatrixBase) else [got])
                     if e.has(sp.zoo, sp.nan, sp.oo, -sp.oo)]
        if undefined:
            return Result(part, "meaning", f"your formula is undefined{where}: it divides by zero or takes "
                                           f"the log of 0 ({undefined[0]})", position=0)
        W.indices = {} if value is None else {ref.index: value}
        want = ref.target(S, W)
        want = want[0, 0] if isinstance(want, sp.MatrixBase) and want.shape == (1, 1) else want
        try:
            verdict = _compare(got, want, points, seed)
        except (ArithmeticError, KeyError, TypeError, ValueError, RecursionError) as exc:
            # SymPy's own failure on an odd but well-formed formula: say so, never crash.
            return Result(part, "undecided", f"the checker could not decide{where} "
                                             f"({type(exc).__name__} inside SymPy); simplify your formula")
        if verdict.equal:
            continue
        if isinstance(got, sp.MatrixBase) and isinstance(want, sp.MatrixBase) and got.shape == want.T.shape:
            if _compare(got.T, want, points, seed).equal:
                return Result(part, "transpose",
                              f"correct up to transpose: your answer is {got.shape[0]} x {got.shape[1]}, "
                              f"{ref.asks} is {want.shape[0]} x {want.shape[1]} (its transpose){where}")
        shape = (f" (your answer is {_dims(got)}, {ref.asks} is {_dims(want)})"
                 if verdict.method == "shape" else "")
        return Result(part, "wrong", f"not equal to {ref.asks}{where}{shape}", str(verdict.counterexample))
    return Result(part, "correct", f"correct: equals {ref.asks}" + (
        f" for every {ref.index}" if ref.index else ""))


def _dims(v):
    return f"{v.shape[0]} x {v.shape[1]}" if isinstance(v, sp.MatrixBase) else "a scalar"


WORKER = Path(__file__).resolve().parent.parent / "answer_worker.py"


def check_answer(part, latex, timeout=20.0, memory_mb=1024, verbose=True):
    """Check a written answer in a separate, limited process; print and return its :class:`Result`.

    The process has ``timeout`` seconds of wall and CPU time and ``memory_mb``
    of address space; past either, the verdict is ``"error"``.
    """
    if part not in REFERENCES:
        raise AnswerError(f"part must be one of {', '.join(REFERENCES)}, got {part!r}")
    if not isinstance(latex, str):
        raise AnswerError(f"latex must be a string, got {type(latex).__name__}")
    from ..grade import Limits, run_worker
    package = str(Path(__file__).resolve().parents[3])
    results, problem = run_worker({"package": package, "answers": {part: latex}},
                                  Limits(timeout, memory_mb), script=WORKER)
    if results is None:
        result = Result(part, "error", f"the checker stopped: {problem}")
    else:
        fields = {k: results[0].get(k) for k in ("verdict", "message", "counterexample", "position")}
        result = Result(part, str(fields["verdict"]), str(fields["message"]),
                        str(fields["counterexample"] or ""),
                        -1 if fields["position"] is None else int(fields["position"]))
    if verbose:
        print(f"({part}) {result}")
    return result
