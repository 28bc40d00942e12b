"""Judge a typed written answer: parse, build in the handout's notation, compare with SymPy's own result.

:func:`judge` (in this process) returns a :class:`~derivations.coursework.verdicts.Verdict`;
:func:`check_answer` (what students call) runs it in a sandboxed, limited process,
prints the verdict and returns it.

The reference for each part is *computed* (SymPy differentiates the loss at the
sizes of :mod:`derivations.coursework.answers.worlds`), never typed as a formula, so
this module holds no solution text and ships in the student edition. An answer is
read in every world of :data:`~derivations.coursework.answers.worlds.ANSWER_SIZES`
and, for a part with a free index (``w`` in (c), ``s`` in (g) and (h)), at every
value of it; the part's verdict is the weakest. Each verdict is
:func:`derivations.coursework.verdicts.judge_readings`'s on the answer *as written*;
where the notation has two readings (the older handouts' ``u_k`` for the k-th
negative) both are judged and, if they differ, the message names both. A wrong
answer gets a diagnosis (:mod:`.diagnosis`): the known slip it equals, with the step
of the book's derivation where that slip first changes the result, or else the
smallest counterexample found.
"""
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import sympy as sp

from ...symbolic.equality import shape_of
from ...symbolic.symbols import Sizes, grad, naive_softmax_symbols, neg_sampling_symbols, sigmoid
from .. import sandbox
from ..verdicts import (CORRECT, ERROR, MEANING, SYNTAX, TRANSPOSE, UNDECIDED, WRONG, Reading, Verdict,
                        judge_readings, weakest)
from .latex import AnswerError, AnswerSyntaxError, parse
from .notation import Builder, Undefined, World, read_with
from .worlds import ANSWER_SIZES


@dataclass
class Reference:
    """One written part: what the student's formula stands for, and its points."""
    key: str
    points: float
    asks: str                 # the left-hand side, in LaTeX, as the handout asks it
    target: object            # (namespace, world) -> the SymPy value the answer must equal
    index: str = ""           # a free index the answer may use ("w": every word, "s": every negative)
    loss: str = "naive"       # the world: naive, neg (distinct negatives), neg_repeat, skipgram, scalar, leaky


# ---------------------------------------------------------------------------- worlds

X = sp.Symbol("x", real=True)
T = sp.Symbol("t", positive=True)
BETA = sp.Symbol("beta", positive=True)
ALPHA = 1 / (1 + BETA)          # the handout's 0 < alpha < 1, as in the chapter on (e)


def _skipgram(sizes, S):
    """Part (i)'s window at these sizes: centre vectors V (column c is v_c), J(v_c, w_{t+j}, U) per j."""
    V = sp.Matrix(sizes.d, sizes.V, lambda i, w: S.v_c[i] if w == sizes.c else sp.Symbol(f"V[{i},{w}]", real=True))
    m = sizes.m
    js = [j for j in range(-m, m + 1) if j != 0]
    window = {0: sizes.c, **dict(zip(js, sizes.outside))}
    log_Z = sp.log(S.Z)
    loss_at = lambda j: -(S.scores[window[j]] - log_Z)
    return V, window, loss_at, sum(loss_at(j) for j in js)


@lru_cache(maxsize=None)
def _world(loss, n):
    """The namespace and :class:`World` of world ``n`` for a part's loss (cached)."""
    s = ANSWER_SIZES[n]
    x = X
    if loss in ("scalar", "leaky"):
        S = naive_softmax_symbols(Sizes(s.d, s.V, s.o, s.repeated))
        world = World(S.v_c, S.U, S.o, (), S.y_hat, S.y, x, context="scalar", alpha=ALPHA)
        return S, world
    negatives = s.distinct if loss == "neg" else s.repeated
    sizes = Sizes(s.d, s.V, s.o, negatives)
    soft = naive_softmax_symbols(sizes)
    if loss in ("neg", "neg_repeat"):
        S = neg_sampling_symbols(sizes)
        world = World(S.v_c, S.U, S.o, tuple(negatives), soft.y_hat, soft.y, x, context="neg", J=S.J)
        return S, world
    if loss == "skipgram":
        V, window, loss_at, J = _skipgram(s, soft)
        S = soft
        S.V_centre, S.J_sg, S.window = V, J, window
        world = World(S.v_c, S.U, S.o, (), soft.y_hat, soft.y, x, context="skipgram", c=s.c, window=window,
                      loss_at=loss_at, V_centre=V)
        return S, world
    # The same loss as log-softmax, -u_o^T v_c + log sum_w exp(u_w^T v_c): SymPy differentiates it in
    # a tenth of the time of -log(softmax)_o (the equality of the two is part (a)'s check).
    soft.J_grad = -soft.scores[soft.o] + sp.log(soft.Z)
    world = World(soft.v_c, soft.U, soft.o, tuple(negatives), soft.y_hat, soft.y, x, context="naive", J=soft.J)
    return soft, world


def _stacked_gradient(S):
    """dJ/dU_{o,{w_1..w_K}}: SymPy's gradient with respect to a free d x (K+1) matrix, then U_ow put in."""
    W = sp.Matrix(S.d, S.K + 1, lambda i, k: sp.Symbol(f"W[{i},{k}]", real=True))
    J = -sum(sp.log(sigmoid((W[:, k].T * S.v_c)[0, 0])) for k in range(S.K + 1))
    return grad(J, W).xreplace({W[i, k]: S.U_ow[i, k] for i in range(S.d) for k in range(S.K + 1)})


def _leaky_derivative(W):
    f = sp.diff(sp.Max(ALPHA * X, X), X)
    return sp.simplify(f.subs(X, W.x))


REFERENCES = {r.key: r for r in [
    Reference("a", 2, r"J_{\text{naive-softmax}}(v_c, o, U)", lambda S, W: S.J),
    Reference("b", 3, r"\frac{\partial J}{\partial v_c}", lambda S, W: grad(S.J_grad, S.v_c)),
    Reference("c", 3, r"\frac{\partial J}{\partial u_w}\ (\text{every } w,\ \text{including } o)",
              lambda S, W: grad(S.J_grad, S.u(W.indices["w"])), index="w"),
    Reference("d", 2, r"\frac{\partial J}{\partial U}", lambda S, W: grad(S.J_grad, S.U)),
    Reference("e", 2, r"f'(x)\ \text{for } f(x) = \max(\alpha x, x)", lambda S, W: _leaky_derivative(W),
              index="side", loss="leaky"),
    Reference("f", 2, r"\sigma'(x)", lambda S, W: sp.diff(sigmoid(W.x), W.x), loss="scalar"),
    Reference("g_vc", 2, r"\frac{\partial J_{\text{neg-sample}}}{\partial v_c}",
              lambda S, W: grad(S.J, S.v_c), loss="neg"),
    Reference("g_uo", 2, r"\frac{\partial J_{\text{neg-sample}}}{\partial u_o}",
              lambda S, W: grad(S.J, S.u(S.o)), loss="neg"),
    Reference("g_uws", 2, r"\frac{\partial J_{\text{neg-sample}}}{\partial u_{w_s}}\ (\text{distinct } w_s)",
              lambda S, W: grad(S.J, S.u(W.negatives[W.indices["s"] - 1])), index="s", loss="neg"),
    Reference("g2_vc", 1, r"\frac{\partial J_{\text{neg-sample}}}{\partial v_c}\ "
              r"(\text{in terms of } U_{o,\{w_1,\dots,w_K\}})", lambda S, W: grad(S.J, S.v_c), loss="neg"),
    Reference("g2_U", 1, r"\frac{\partial J_{\text{neg-sample}}}{\partial U_{o,\{w_1,\dots,w_K\}}}",
              lambda S, W: _stacked_gradient(S), loss="neg"),
    Reference("h", 2, r"\frac{\partial J_{\text{neg-sample}}}{\partial u_{w_s}}\ (\text{negatives may repeat})",
              lambda S, W: grad(S.J, S.u(W.negatives[W.indices["s"] - 1])), index="s", loss="neg_repeat"),
    Reference("i_U", 1, r"\frac{\partial J_{\text{skip-gram}}(v_c, w_{t-m}, \dots, w_{t+m}, U)}{\partial U}",
              lambda S, W: grad(S.J_sg, S.U), loss="skipgram"),
    Reference("i_vc", 1, r"\frac{\partial J_{\text{skip-gram}}(v_c, w_{t-m}, \dots, w_{t+m}, U)}{\partial v_c}",
              lambda S, W: grad(S.J_sg, S.v_c), loss="skipgram"),
    Reference("i_vw", 1, r"\frac{\partial J_{\text{skip-gram}}(v_c, w_{t-m}, \dots, w_{t+m}, U)}{\partial v_w}"
              r"\ (w \neq c)", lambda S, W: grad(S.J_sg, S.V_centre[:, W.indices["w"]]), index="w",
              loss="skipgram"),
]}

KINDS_OF_INDEX = {"w": "word", "s": "position"}


class Case(NamedTuple):
    """One value of a part's free index in one world: how to say it, the world to read the answer in, the reference."""
    where: str            # "" or e.g. " for w = 0 (o = 0)"
    world: World
    reference: object


def _part(part):
    if part not in REFERENCES:
        raise AnswerError(f"part must be one of {', '.join(REFERENCES)}, got {part!r}")
    return REFERENCES[part]


def _case_specs(part):
    """(where, world, reference thunk) for every world and index value, in order; nothing computed yet."""
    ref = _part(part)
    for n, sizes in enumerate(ANSWER_SIZES):
        S, W = _world(ref.loss, n)
        in_world = f" in world {n + 1} ({sizes.describe()})"
        if ref.index == "side":
            values = [("x > 0", T), ("x < 0", -T)]
        elif ref.index == "w" and ref.loss == "skipgram":
            values = [(w, w) for w in range(W.V) if w != W.c]
        elif ref.index == "w":
            values = [(w, w) for w in range(W.V)]
        elif ref.index == "s":
            values = [(s, s) for s in range(1, W.K + 1)]
        else:
            values = [(None, None)]
        for label, value in values:
            if ref.index == "side":
                world = replace(W, x=value, indices={}, kinds={})
                where = f" for {label}"
            elif value is None:
                world = replace(W, indices={}, kinds={})
                where = "" if ref.loss == "scalar" else in_world
            else:
                world = replace(W, indices={ref.index: value}, kinds={ref.index: KINDS_OF_INDEX[ref.index]})
                extra = (f" (w_s = {W.negatives[value - 1]})" if ref.index == "s"
                         else f" (c = {W.c})" if ref.loss == "skipgram" else f" (o = {W.o})")
                where = f" for {ref.index} = {value}{extra}{in_world}"
            yield where, world, (lambda S=S, world=world: ref.target(S, world))
        if ref.loss in ("scalar", "leaky"):
            break                  # a scalar part: one world holds every symbol it has


_REFERENCE_CACHE = {}


def cases(part):
    """The :class:`Case` s an answer to ``part`` is judged in: every world, every value of its free index.

    A generator: each reference is computed (and cached) only when its case is reached,
    so a wrong answer stops costing at its first failing case.
    """
    for k, (where, world, thunk) in enumerate(_case_specs(part)):
        key = (part, k)
        if key not in _REFERENCE_CACHE:
            want = thunk()
            _REFERENCE_CACHE[key] = want[0, 0] if isinstance(want, sp.MatrixBase) and want.shape == (1, 1) else want
        yield Case(where, world, _REFERENCE_CACHE[key])


def _derivative_notation(tree, ref):
    """The first derivative written as notation in the answer (\\partial, \\nabla, \\sigma'), or None.

    Part (i) asks for its answer in terms of ``\\partial J(v_c, w_{t+j}, U) / \\partial X``: there a
    derivative of the pair loss is the expected notation.
    """
    stack = [tree.children[0] if tree.kind == "qualified" else tree]
    while stack:
        node = stack.pop()
        if node.kind == "deriv" and not (ref.loss == "skipgram" and len(node.children) == 1):
            return node
        if node.kind == "prime" and node.children[0].kind == "call":
            return node
        stack += [c for c in node.children if hasattr(c, "kind")]
    return None


def _fresh(world):
    return replace(world, indices=dict(world.indices), kinds=dict(world.kinds), aliases=dict(world.aliases))


def _aliases(ref, tree, text):
    """A part's free index written with another letter (``u_k`` for ``u_{w_s}``): that letter -> the part's."""
    if ref.index not in ("w", "s"):
        return {}
    world = _fresh(next(_case_specs(ref.key))[1])
    world.indices.clear()
    try:
        free = Builder(text, world).free_indices(tree)
    except Exception:                               # noqa: BLE001  -- only a hint; building reports errors
        return {}
    free.discard("w") if ref.index == "s" else None
    if ref.index in free or len(free) != 1 or next(iter(free)).rstrip("'") not in ALIASABLE:
        return {}
    return {free.pop(): ref.index}


ALIASABLE = set("ijklnsvwxz")       # letters students use for a free word or sample index


def _zero(value, reference):
    """A plain 0 where the reference is a zero vector or matrix is that zero (``\\partial J/\\partial v_w = 0``)."""
    if value is not None and not isinstance(value, sp.MatrixBase) and value == 0 and isinstance(reference, sp.MatrixBase):
        return sp.zeros(*reference.shape)
    return value


def judge(part, latex, points=20, seed=0, diagnose=True):
    """The :class:`~derivations.coursework.verdicts.Verdict` on ``latex`` as the final formula of written ``part``.

    Runs in this process (see :func:`check_answer` for a limited one). The answer
    is read as written in each :func:`cases` world; the part's verdict is the
    weakest of theirs (:func:`~derivations.coursework.verdicts.weakest`), and its
    message names the world and index value that decided it, how the notation was
    read, and for a wrong answer the diagnosis. Raises
    :class:`~derivations.coursework.answers.latex.AnswerError` only for an
    unknown ``part`` or a ``latex`` that is not a string.
    """
    ref = _part(part)
    if not isinstance(latex, str):
        raise AnswerError(f"latex must be a string, got {type(latex).__name__}")
    try:
        tree = parse(latex)
    except AnswerSyntaxError as exc:
        reading = Reading("as written", None, str(exc), (), exc.position, SYNTAX)
        return Verdict(SYNTAX, str(exc), None, exc.position, reading, (reading,))
    circular = _derivative_notation(tree, ref)
    if circular is not None:                         # "\frac{\partial J}{\partial v_c}" answers nothing
        message = AnswerSyntaxError("write the final formula, not derivative notation (the part asks for it)",
                                    latex, circular.pos)
        reading = Reading("as written", None, str(message), (), circular.pos, MEANING)
        return Verdict(MEANING, str(message), None, circular.pos, reading, (reading,))
    aliases = _aliases(ref, tree, latex)
    verdicts, other, notes, qualifier, names = [], [], [], "", []
    for case in cases(part):
        world = _fresh(case.world)
        world.aliases.update(aliases)
        reading, builder, undefined = read_with(latex, world, tree)
        qualifier = builder.qualifier or qualifier
        if undefined is not None and ref.index == "side":
            reading = replace(reading, error=f"your answer is undefined{case.where}: {undefined.message}")
        reading = replace(reading, value=_zero(reading.value, case.reference))
        verdict = judge_readings([reading], case.reference, points, seed)
        for n in builder.notes:
            if n not in notes:
                notes.append(n)
        names += [n for n in builder.ambiguous if n not in names]
        if builder.ambiguous:                        # u_k: also judge it as vocabulary word k
            alt_world = _fresh(case.world)
            alt_world.aliases.update(aliases)
            alt, alt_builder, _ = read_with(latex, alt_world, tree, negative_reading=False)
            alt = replace(alt, value=_zero(alt.value, case.reference))
            other.append(judge_readings([alt], case.reference, points, seed))
        verdict = replace(verdict, message=_message(verdict, ref, case))
        verdicts.append((verdict, case, world))
        if verdict.credit == 0:                      # nothing later earns less
            break
    verdict, case, world = next(v for v in verdicts if v[0] is weakest(v for v, _, _ in verdicts))
    read_as = f" (read: {'; '.join(notes)})" if notes else ""
    if verdict.kind == CORRECT:
        verdict = replace(verdict, message=f"correct: equals {ref.asks}" + (
            f" for every {ref.index}" if ref.index in ("w", "s") else "") + read_as)
        if ref.index == "side":
            verdict = replace(verdict, message=verdict.message + _at_zero(latex, tree))
    elif verdict.kind == WRONG and diagnose:
        from . import diagnosis
        verdict = diagnosis.explain(verdict, ref, case, world, tree, latex, points, seed)
        verdict = replace(verdict, message=verdict.message + read_as)
    else:
        verdict = replace(verdict, message=verdict.message + read_as)
    if verdict.kind == WRONG and qualifier and ref.index == "w" and " = o" not in qualifier and case.world.indices.get(
            "w") == case.world.o:
        verdict = replace(verdict, message=verdict.message + f"; your answer is stated for '{qualifier}' only, "
                          f"but ({ref.key}) asks for every w, including o")
    if other:
        alt = weakest(other)
        k = names[0] if names else "k"
        if alt.kind != verdict.kind:
            verdict = replace(verdict, message=(
                f"{verdict.message}\nTwo readings of u_{k} give different verdicts: as the {k}-th negative sample "
                f"u_{{w_{k}}} (the older handouts' notation, used above) it is {verdict.kind}; as the vector of "
                f"vocabulary word {k} it is {alt.kind}. Write u_{{w_{k}}} to say which you mean."))
    return verdict


def _at_zero(latex, tree):
    """What an answer to (e) says at x = 0, where f has no derivative."""
    S, W = _world("leaky", 0)
    reading, _, undefined = read_with(latex, replace(W, x=sp.Integer(0), indices={}, kinds={}), tree)
    why = ("f has no derivative at 0 (its one-sided derivatives are α from the left and 1 from the right)")
    if reading.value is None:
        return f". At x = 0 your answer gives no value, which is right: {why}"
    value = sp.simplify(reading.value)
    shown = sp.latex(value.subs(BETA, (1 - sp.Symbol("alpha")) / sp.Symbol("alpha")).simplify())
    inside = sp.And(sp.Le(ALPHA, value), sp.Le(value, 1)) if value.is_number or value.free_symbols <= {BETA} else None
    if value in (1, ALPHA):
        verdict = "a usual convention (a one-sided derivative, so a subgradient)"
    elif inside is not None and sp.simplify(inside.subs(BETA, 1)) is sp.true and sp.simplify(inside.subs(BETA, 3)) is sp.true:
        verdict = "a convention (a value in [α, 1] is a subgradient)"
    else:
        verdict = "a convention outside [α, 1], so not even a subgradient"
    return f". At x = 0 your answer gives {shown}: {why}; your value is {verdict}"


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

    The process is a fresh child forked, for this call only, by this Python process's
    warm checker (:func:`derivations.coursework.sandbox.run_warm`, started by the first
    call: Python, SymPy and every part's references are loaded once, not once per call).
    The checker runs inside bubblewrap where it works here, else (a student's own laptop)
    as a plain process with the same limits. The child has ``timeout`` seconds of wall
    and CPU time and ``memory_mb`` of address space; past either, or if it crashes, the
    verdict is ``error`` and only that child is gone (the next call gets a new one).
    The autograder does not use this path: it checks each submission's answer in a
    sandbox of its own (:func:`derivations.coursework.grade.judge_written`), so no two
    students' answers ever share a process, warm or not.
    """
    _part(part)
    if not isinstance(latex, str):
        raise AnswerError(f"latex must be a string, got {type(latex).__name__}")
    return check_answers({part: latex}, timeout, memory_mb, verbose)[part]


def check_batch(pairs, timeout=120.0, memory_mb=1024):
    """Judge many ``(part, latex)`` answers (parts may repeat) in ONE limited process; a list of Verdicts.

    What a benchmark's many answers need: one forked child of the warm checker (as
    :func:`check_answer`) for the whole batch, with ``timeout`` for all of it. The
    answers share that child, so they should be one person's.
    """
    pairs = [(p, t) for p, t in pairs]
    for part, latex in pairs:
        _part(part)
        if not isinstance(latex, str):
            raise AnswerError(f"latex must be a string, got {type(latex).__name__}")
    result, problem = sandbox.run_warm(str(WORKER), {"batch": [list(p) for p in pairs]},
                                       sandbox.Limits(timeout, memory_mb), package=str(PACKAGE),
                                       isolate=sandbox.available() is None)
    if result is None:
        return [Verdict(ERROR, f"the checker stopped: {problem}") for _ in pairs]
    out = []
    records = result.get("results") if isinstance(result, dict) else None
    for k, (part, _) in enumerate(pairs):
        try:
            record = records[k]
            if record.get("part") != part:
                raise ValueError("out of order")
            out.append(Verdict.from_json(record))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            out.append(Verdict(ERROR, f"the checker's report is malformed ({type(exc).__name__})"))
    return out


def check_answers(answers, timeout=60.0, memory_mb=1024, verbose=True):
    """Judge several written answers (``{part: latex}``) in one limited process (as :func:`check_answer`); ``{part: Verdict}``."""
    for part, latex in answers.items():
        _part(part)
        if not isinstance(latex, str):
            raise AnswerError(f"latex must be a string, got {type(latex).__name__}")
    result, problem = sandbox.run_warm(str(WORKER), {"answers": dict(answers)}, sandbox.Limits(timeout, memory_mb),
                                       package=str(PACKAGE), isolate=sandbox.available() is None)
    verdicts = {}
    for part in answers:
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
        verdicts[part] = verdict
    return verdicts
