"""Judge a typed written answer: parse, build in the handout's notation, compare with SymPy's own result.

:func:`judge` (in this process) returns a :class:`~derivations.coursework.verdicts.Verdict`;
:func:`check_answer` (what students call) runs it in a sandboxed, limited process,
prints the verdict and returns it.

The reference for each part is *computed* (SymPy differentiates the loss of
:mod:`derivations.symbolic.symbols`), never typed as a formula, so this module holds no
solution text and ships in the student edition. The verdict is
:func:`derivations.coursework.verdicts.judge_readings`'s on the one reading of a typed
answer, *as written* (the transpose policy and the vocabulary are that module's;
equality is :func:`derivations.symbolic.equality.compare_values`: cheap symbolic
rewrites with a size budget, then 20 seeded random points).
"""
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

import sympy as sp

from ...symbolic.equality import shape_of
from ...symbolic.symbols import SIZES, Sizes, grad, naive_softmax_symbols, neg_sampling_symbols, sigmoid
from .. import sandbox
from ..verdicts import (CORRECT, ERROR, MEANING, TRANSPOSE, UNDECIDED, WRONG, Verdict,
                        judge_readings, weakest)
from .latex import AnswerError, AnswerSyntaxError, parse
from .notation import World, read


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


class Case(NamedTuple):
    """One value of a part's free index: how to say it, the world to read the answer in, the reference."""
    where: str            # "" or e.g. " for w = 0 (o = 2)"
    world: World
    reference: object


def _part(part):
    if part not in REFERENCES:
        raise AnswerError(f"part must be one of {', '.join(REFERENCES)}, got {part!r}")
    return REFERENCES[part]


def cases(part):
    """Yield the :class:`Case` s an answer to ``part`` is judged in: one per value of its free index (else one)."""
    ref = _part(part)
    S, W = _world(ref.loss)
    values = {"w": list(range(W.V)), "s": list(range(1, W.K + 1))}.get(ref.index, [None])
    for value in values:
        world = replace(W, indices={} if value is None else {ref.index: value})
        where = "" if value is None else f" for {ref.index} = {value}" + (
            f" (w_s = {W.negatives[value - 1]})" if ref.index == "s" else f" (o = {W.o})")
        want = ref.target(S, world)
        want = want[0, 0] if isinstance(want, sp.MatrixBase) and want.shape == (1, 1) else want
        yield Case(where, world, want)


def judge(part, latex, points=20, seed=0):
    """The :class:`~derivations.coursework.verdicts.Verdict` on ``latex`` as the final formula of written ``part``.

    Runs in this process (see :func:`check_answer` for a limited one). The
    answer is read as written in each :func:`cases` world; the part's verdict is
    the weakest of theirs (:func:`~derivations.coursework.verdicts.weakest`), and
    its message names the index value that decided it. Raises
    :class:`~derivations.coursework.answers.latex.AnswerError` only for an
    unknown ``part`` or a ``latex`` that is not a string.
    """
    ref = _part(part)
    if not isinstance(latex, str):
        raise AnswerError(f"latex must be a string, got {type(latex).__name__}")
    try:
        tree = parse(latex)
    except AnswerSyntaxError:
        tree = None                       # read() below makes the located syntax verdict
    verdicts = []
    for case in cases(part):
        got = read(latex, case.world, tree)
        verdict = judge_readings([got], case.reference, points, seed)
        verdict = replace(verdict, message=_message(verdict, ref, case))
        if verdict.credit == 0:           # nothing later earns less
            return verdict
        verdicts.append(verdict)
    verdict = weakest(verdicts)
    if verdict.kind == CORRECT:
        verdict = replace(verdict, message=f"correct: equals {ref.asks}" + (
            f" for every {ref.index}" if ref.index else ""))
    return verdict


def _message(verdict, ref, case):
    """The student's message for a verdict in one case (the engine's phrasing is for the seed's table)."""
    got, want, where = verdict.reading.value if verdict.reading else None, case.reference, case.where
    if verdict.kind == TRANSPOSE:
        return (f"correct up to transpose: your answer is {_dims(got)}, "
                f"{ref.asks} is {_dims(want)} (its transpose){where}")
    if verdict.kind == WRONG:
        shape = (f" (your answer is {_dims(got)}, {ref.asks} is {_dims(want)})"
                 if shape_of(got) != shape_of(want) else "")
        return f"not equal to {ref.asks}{where}{shape}"
    if verdict.kind == MEANING and verdict.reading.error.startswith("undefined: "):
        return f"your formula is undefined{where}: {verdict.reading.error[len('undefined: '):]}"
    if verdict.kind == UNDECIDED:
        return f"the checker could not decide{where} ({verdict.message}); simplify your formula"
    return verdict.message


def _dims(v):
    return f"{v.shape[0]} x {v.shape[1]}" if isinstance(v, sp.MatrixBase) else "a scalar"


WORKER = Path(__file__).resolve().parent.parent / "answer_worker.py"
PACKAGE = Path(__file__).resolve().parents[3]          # the folder holding this derivations/ package


def check_answer(part, latex, timeout=20.0, memory_mb=1024, verbose=True):
    """Judge a written answer in a separate, limited process; print and return its verdict.

    The verdict is a :class:`~derivations.coursework.verdicts.Verdict`, as from :func:`judge`.

    The process is :func:`derivations.coursework.sandbox.run`'s: inside bubblewrap
    where it works here, else (a student's own laptop) a plain process with the same
    limits. It has ``timeout`` seconds of wall and CPU time and ``memory_mb`` of
    address space; past either, the verdict is ``error``.
    """
    _part(part)
    if not isinstance(latex, str):
        raise AnswerError(f"latex must be a string, got {type(latex).__name__}")
    result, problem = sandbox.run(str(WORKER), {"answers": {part: latex}}, sandbox.Limits(timeout, memory_mb),
                                  package=str(PACKAGE), isolate=sandbox.available() is None)
    if result is None:
        verdict = Verdict(ERROR, f"the checker stopped: {problem}")
    else:
        try:
            record = next(r for r in result["results"] if r.get("part") == part)
            verdict = Verdict.from_json(record)
        except (KeyError, TypeError, ValueError, AttributeError, StopIteration) as exc:
            verdict = Verdict(ERROR, f"the checker's report is malformed ({type(exc).__name__})")
    if verbose:
        print(f"({part}) {verdict}")
    return verdict
