"""The autograder: ``python -m derivations.coursework.grade SUBMISSION... [--csv grades.csv]``.

A submission is a notebook (``.ipynb``), a Python file, or a folder searched
for both. Nothing a student wrote runs in this process:

* **Sandbox.** For every submission and every code part, the script
  :mod:`derivations.coursework.code_worker` loads the submission's definitions
  and calls the part's function, inside :func:`derivations.coursework.sandbox.run`
  (bubblewrap: no network, own PID namespace, read-only view of Python and of a
  fresh copy of the *student* package, private ``/tmp``, time, memory, process
  and output limits). Each typed written answer is checked by
  :mod:`derivations.coursework.answer_worker` in a sandbox of its own, one part
  per process. Where bubblewrap cannot create namespaces :func:`grade` refuses
  (:class:`~derivations.coursework.sandbox.SandboxUnavailable`) unless called
  with ``unsafe=True`` (``--unsafe-no-sandbox``, for a trusted setting only).
* **The reference.** This process imports the instructor's package and computes
  the reference losses and gradients itself, at hidden points drawn from
  :data:`SEED`; the worker returns raw values only, so output forged by a
  submission passes only by being right. The worker sees the student package
  (:func:`derivations.coursework.edition.strip_package`), which holds no
  reference body and none of the instructor's files. Run from the student
  edition, whose reference bodies are stripped, the grader refuses to grade
  (:class:`ReferenceMissing`); :func:`assert_part`, the check students run in
  their notebook, then runs only the checks that need no reference.
* **Error boundaries.** Every submission is read with caps checked *before*
  parsing (file size, JSON nesting depth, cell count, cell size, total code;
  :func:`code_cells`) and graded in its own ``try``: one that cannot be read
  gets a row of zeros with the reason; every other row is unchanged. Failure
  texts are stripped of control characters (:func:`clean`); CSV cells starting
  with a formula character get a ``'`` (:func:`csv_cell`). The CSV header comes
  from the list of parts, never from a row.

Rubric (points per check in :data:`PARTS`, listed in book/instructors.md). For
each code part:

* ``loss: matches the reference`` and ``<gradient>: matches the reference``:
  the value returned at every hidden point is finite, of dtype float, of the
  reference's shape, and within :data:`REF_RTOL` (relative, 1e-6) of the
  instructor's reference. A gradient that equals the reference only after a
  transpose (a ``(|V|, d)`` for a ``(d, |V|)``, a row for a column) earns
  :data:`TRANSPOSE_SHARE` (half) of its points.
* The checks that need no reference (loss identities, gradchecks against central
  differences of the submission's own loss, zero columns) earn their points
  only if the loss matched the reference, and every value they read is finite,
  of dtype float and of the right shape. A constant loss with zero gradients, or
  NaN gradients, therefore earn nothing; a right loss with zero or missing
  gradients earns the loss and identity points only (4 of 10 for naive softmax).

Written answers found in a notebook as ``check_answer("b", r"...")`` calls (two
positional string literals, read from the tokens, never run) earn
``credit(verdict)`` of the part's points (:func:`derivations.coursework.verdicts.credit`:
half for a formula right only up to a transpose); the same formula typed by
several students is checked once.
"""
import argparse
import ast
import csv
import importlib
import io
import json
import os
import re
import stat
import sys
import tempfile
import time
import tokenize
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import sandbox
from .edition import strip_package
from ..core.gradcheck import relative_error

ROOT = Path(__file__).resolve().parents[2]
CODE_WORKER = Path(__file__).resolve().with_name("code_worker.py")
ANSWER_WORKER = Path(__file__).resolve().with_name("answer_worker.py")
SEED = int(os.environ.get("W2V_GRADE_SEED", "902117"))   # instructors: set your own
H, RTOL = 1e-5, 1e-4              # gradchecks: central-difference step, tolerance
REF_RTOL = 1e-6                   # against the reference: relative to the reference's largest entry
TRANSPOSE_SHARE = 0.5             # a gradient right only up to a transpose

# Caps on a submission, checked before it is parsed (a class's notebooks are far below them).
MAX_FILE_BYTES = 5 << 20
MAX_JSON_DEPTH = 64
MAX_CELLS = 1000
MAX_CELL_CHARS = 50_000
MAX_CODE_CHARS = 200_000

# Per process (one part of one submission): wall seconds, address space, processes, result size.
CODE_LIMITS = sandbox.Limits(seconds=10, memory_mb=1024, processes=16, output_bytes=4 << 20)
ANSWER_LIMITS = sandbox.Limits(seconds=10, memory_mb=1024, processes=16, output_bytes=1 << 16)


class ReferenceMissing(RuntimeError):
    """The reference implementations are stripped: this is the student edition's package."""


class Unreadable(ValueError):
    """A submission that cannot be graded at all (too large, not a notebook, malformed)."""


# ------------------------------------------------------------------ text that reaches people

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def clean(text, limit=300):
    """``text`` on one line without control characters (terminal escapes, bidi overrides), at most ``limit`` chars."""
    text = " ".join(_CONTROL.sub(" ", str(text)).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def csv_cell(text, limit=2000):
    """:func:`clean`, and a leading ``'`` if a spreadsheet would read the cell as a formula."""
    text = clean(text, limit)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


# ------------------------------------------------------------------ what a worker returned

@dataclass
class Returned:
    """One call's outcome: the returned values as float arrays (``None`` if not numeric) and their
    dtypes, or ``error`` (the exception the call raised, or why the result is unreadable)."""
    values: list = field(default_factory=list)
    dtypes: list = field(default_factory=list)
    error: str = ""

    @property
    def loss(self):
        return float(self.values[0])

    def grad(self, k):
        return self.values[1 + k]

    @classmethod
    def from_worker(cls, raw):
        """Read one result of :mod:`~derivations.coursework.code_worker`: anything malformed is an error."""
        if not isinstance(raw, dict):
            return cls(error="malformed result")
        if "error" in raw:
            return cls(error=clean(raw["error"]))
        values = raw.get("values")
        if not isinstance(values, list) or len(values) > 10:
            return cls(error="malformed result")
        arrays, dtypes = [], []
        for v in values:
            if not isinstance(v, dict) or not isinstance(v.get("dtype"), str):
                return cls(error="malformed result")
            dtypes.append(clean(v["dtype"], 40))
            try:
                a = None if v.get("data") is None else np.array(v["data"], dtype=float)
            except (TypeError, ValueError, OverflowError, RecursionError):
                return cls(error="malformed result")
            if a is not None and list(a.shape) != v.get("shape"):
                return cls(error="malformed result")
            arrays.append(a)
        return cls(arrays, dtypes)

    @classmethod
    def from_values(cls, values):
        """The same, from values returned in this process (:func:`assert_part`)."""
        arrays, dtypes = [], []
        for v in values:
            a = np.asarray(v)
            dtypes.append(a.dtype.name)
            arrays.append(a.astype(float) if a.dtype.kind in "biuf" else None)
        return cls(arrays, dtypes)


def _unusable(r, uses, shapes):
    """Why output numbers ``uses`` (0 is the loss) of ``r`` cannot be judged, or "" if they can.

    ``shapes[k]`` is the shape output ``k`` must have; every value must be finite and of dtype float.
    """
    if r.error:
        return r.error
    if len(r.values) != len(shapes):
        return f"returned {len(r.values)} values, expected {len(shapes)} (the loss and {len(shapes) - 1} gradients)"
    for k in uses:
        name = "the loss" if k == 0 else f"gradient {k}"
        value, dtype = r.values[k], r.dtypes[k]
        if not dtype.startswith("float"):
            return f"{name} has dtype {dtype}, expected a float dtype"
        if value is None or value.shape != tuple(shapes[k]):
            got = "?" if value is None else value.shape
            return f"{name} has shape {got}, expected {tuple(shapes[k])}" + (" (a scalar)" if k == 0 else "")
        if not np.all(np.isfinite(value)):
            return f"{name} is not finite (nan or inf)"
    return ""


# ------------------------------------------------------------------ parts and checks

@dataclass
class ReferenceCheck:
    """Output ``output`` (0 is the loss) at every hidden point against the instructor's reference."""
    name: str
    points: float
    output: int


@dataclass
class Check:
    """A check that needs no reference: calls to make and ``judge(returned) -> (ok, why)``.

    Gated: it earns its points only when the loss matched the reference and every
    output in ``uses`` of every call is usable (see :func:`_unusable`).
    """
    name: str
    points: float
    calls: list
    judge: object
    uses: tuple = (0,)


@dataclass
class Part:
    key: str
    title: str
    function: str
    reference: str                 # "module:function" under derivations (the instructor's)
    hidden: list                   # argument tuples at which the reference is compared
    checks: list = field(default_factory=list)
    array_args: tuple = (0, 2)     # which arguments are float arrays; gradient k is d/d argument array_args[k]
    _expected: list = field(default=None, repr=False)

    @property
    def points(self):
        return sum(c.points for c in self.checks)

    def shapes(self, args):
        """The shape each output must have for the call ``args``: the loss (), then each gradient."""
        return [()] + [np.shape(args[k]) for k in self.array_args]

    def reference_function(self):
        module, name = self.reference.split(":")
        return getattr(importlib.import_module(f"{__package__.rsplit('.', 1)[0]}.{module}"), name)

    def expected(self):
        """The reference outputs at the hidden points (computed here, in the trusted process, once).

        Raises :class:`ReferenceMissing` when the reference body is stripped (student edition).
        """
        if self._expected is None:
            f = self.reference_function()
            try:
                self._expected = [[np.asarray(v, dtype=float) for v in f(*_arrays(self, args))]
                                  for args in self.hidden]
            except NotImplementedError as exc:
                raise ReferenceMissing(
                    f"{self.function} has no reference body here ({exc}): this is the student edition's "
                    f"package. The grader compares every answer with the instructor's reference "
                    f"implementations: run it from the instructor's checkout.") from None
        return self._expected


def _jsonable(args):
    return [a.tolist() if isinstance(a, np.ndarray) else a for a in args]


def _arrays(part, args):
    """Arguments as the function receives them: the array arguments as float arrays."""
    return [np.array(a, dtype=float) if k in part.array_args else a for k, a in enumerate(args)]


def _close(got, want, what):
    ok = bool(np.isfinite(got)) and abs(got - want) <= 1e-9 * max(1.0, abs(want))
    return ok, f"{what}: got {got:.12g}, expected {want:.12g}"


def gradcheck_check(name, points, problems, wrt, grad_index, h=H):
    """Central differences of the submission's own loss in argument ``wrt`` against its
    returned gradient number ``grad_index`` (0 is the first array after the loss)."""
    calls, layout = [], []
    for args in problems:
        x = args[wrt]
        start = len(calls)
        calls.append(_jsonable(args))
        for i in range(x.size):
            for sign in (1, -1):
                y = x.copy().reshape(-1)
                y[i] += sign * h
                moved = list(args)
                moved[wrt] = y.reshape(x.shape)
                calls.append(_jsonable(moved))
        layout.append((start, args))

    def judge(results):
        for start, args in layout:
            base, x = results[start], args[wrt]
            losses = np.array([r.loss for r in results[start + 1: start + 1 + 2 * x.size]])
            numeric = ((losses[0::2] - losses[1::2]) / (2 * h)).reshape(x.shape)
            analytic = base.grad(grad_index)
            err = relative_error(analytic, numeric, 1e-5 * max(1.0, abs(base.loss)))
            if err.max() > RTOL:
                idx = tuple(int(i) for i in np.unravel_index(int(err.argmax()), err.shape))
                return False, (f"gradient {grad_index + 1}{list(idx)}: analytic {analytic[idx]:.6g}, "
                               f"numeric {numeric[idx]:.6g} (argument shapes {[np.shape(a) for a in args]})")
        return True, ""
    return Check(name, points, calls, judge, uses=(0, 1 + grad_index))


def _problem(rng, d, V, scale=1.0, negatives=None):
    v_c = rng.normal(size=d) * scale
    U = rng.normal(size=(d, V)) * scale
    o = int(rng.integers(V))
    return (v_c, o, U) if negatives is None else (v_c, o, U, negatives)


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def _matches(outputs, grads):
    """The reference checks of a part: the loss, then each gradient (name, points)."""
    return [ReferenceCheck("loss: matches the reference", outputs, 0)] + [
        ReferenceCheck(f"{name}: matches the reference", points, k + 1) for k, (name, points) in enumerate(grads)]


def naive_softmax_part(seed=SEED):
    rng = np.random.default_rng(seed)
    hidden = [_problem(rng, 4, 6), _problem(rng, 3, 7), _problem(rng, 5, 3, scale=2.0)]
    v_c, _, U = _problem(rng, 4, 6)
    sum_calls = [[v_c.tolist(), o, U.tolist()] for o in range(U.shape[1])]

    def sums_to_one(results):
        total = float(np.sum(np.exp(-np.array([r.loss for r in results]))))
        return abs(total - 1) < 1e-9, f"sum over o of exp(-J(o)) = {total:.12g}, must be 1"

    def differences(v_c, U, o1, o2):
        scores = U.T @ v_c

        def judge(results):
            got = results[0].loss - results[1].loss
            want = scores[o2] - scores[o1]
            ok = np.isfinite(got) and abs(got - want) <= 1e-9 * max(1.0, abs(want))
            return ok, f"J(o={o1}) - J(o={o2}) = {got:.12g}, must equal u_o2^T v_c - u_o1^T v_c = {want:.12g}"
        return [[v_c.tolist(), o1, U.tolist()], [v_c.tolist(), o2, U.tolist()]], judge

    v2, _, U2 = _problem(rng, 3, 7)
    diff_calls, diff_judge = differences(v2, U2, 1, 5)
    big_v, _, big_U = _problem(rng, 3, 5, scale=30.0)       # scores of order 1e3
    big_calls, big_judge = differences(big_v, big_U, 0, 3)
    problems = [_problem(rng, 4, 6), _problem(rng, 2, 9)]
    return Part("naive_softmax", "(a)-(d) naive softmax", "naive_softmax_loss_and_gradient",
                "core.losses:naive_softmax_loss_and_gradient", hidden, [
                    *_matches(2, [("grad_v_c", 2), ("grad_U", 2)]),
                    Check("loss: sum_o exp(-J) = 1", 1, sum_calls, sums_to_one),
                    Check("loss: differences of scores", 0.5, diff_calls, diff_judge),
                    Check("loss: stable at scores ~1e3", 0.5, big_calls, big_judge),
                    gradcheck_check("grad_v_c: gradcheck", 1, problems, 0, 0),
                    gradcheck_check("grad_U: gradcheck", 1, problems, 2, 1),
                ])


def neg_sampling_part(seed=SEED + 1):
    rng = np.random.default_rng(seed)
    hidden = [_problem(rng, 4, 8, negatives=[1, 6, 3, 6]), _problem(rng, 3, 5, negatives=[0, 0, 4]),
              _problem(rng, 5, 10, negatives=[9, 2, 2, 2, 7])]
    hidden = [(v_c, o if o not in negs else max(set(range(U.shape[1])) - set(negs)), U, negs)
              for v_c, o, U, negs in hidden]              # o among its negatives: not what (g) asks
    v_c, o, U, negs = _problem(rng, 4, 8, negatives=[1, 6, 3, 6])
    o = 2

    def repeat_adds(results):
        got = results[0].loss - results[1].loss
        want = -_log_sigmoid(-(U[:, 5] @ v_c))
        return (abs(got - want) <= 1e-9 * max(1.0, abs(want)),
                f"J(negatives + [5]) - J(negatives) = {got:.12g}, must be -log sigma(-u_5^T v_c) = {want:.12g}")

    def zero_elsewhere(results):
        grad_U = results[0].grad(1)
        others = [w for w in range(U.shape[1]) if w != o and w not in negs]
        worst = float(np.abs(grad_U[:, others]).max())
        return worst == 0.0, f"grad_U is {worst:.3g} in columns {others}, which J does not depend on"

    problems = [_problem(rng, 4, 8, negatives=[1, 6, 3, 6]), _problem(rng, 3, 5, negatives=[0, 0, 4])]
    point = [v_c.tolist(), o, U.tolist(), negs]
    return Part("neg_sampling", "(g)-(h) negative sampling", "neg_sampling_loss_and_gradient",
                "core.losses:neg_sampling_loss_and_gradient", hidden, [
                    *_matches(2, [("grad_v_c", 2), ("grad_U", 2)]),
                    Check("loss: a repeat adds its term (h)", 1,
                          [[v_c.tolist(), o, U.tolist(), negs + [5]], point], repeat_adds),
                    gradcheck_check("grad_v_c: gradcheck", 1, problems, 0, 0),
                    gradcheck_check("grad_U: gradcheck, repeats", 1, problems, 2, 1),
                    Check("grad_U: zero in other columns", 1, [point], zero_elsewhere, uses=(0, 2)),
                ])


def neg_sampling_batch_part(seed=SEED + 2):
    """The trainer's batched negative sampling: ``f(V_c (b,m,d), U_ow (b,d,K+1), mask) -> (J, grad_V_c, grad_U_ow)``."""
    rng = np.random.default_rng(seed)
    hidden = [(rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 4, 3)), [[1, 0, 1], [0, 1, 1]]),
              (rng.normal(size=(3, 1, 2)), rng.normal(size=(3, 2, 5)), [[1], [0], [1]])]
    V_c, U_ow = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 4, 3))
    mask = [[1, 0, 1], [1, 1, 0]]

    def definition(results):
        scores = V_c @ U_ow                                   # (b, m, K+1): U_ow[i]^T v_c for each pair
        want = -float(np.sum(_log_sigmoid(scores).sum(axis=2) * np.array(mask)))
        return _close(results[0].loss, want, "masked sum over pairs of eq. (g.1)")

    problems = [(V_c, U_ow, mask), (rng.normal(size=(1, 2, 3)), rng.normal(size=(1, 3, 4)), [[1, 1]])]
    return Part("neg_sampling_batch", "trainer: batched negative sampling", "neg_sampling_batch_loss_and_gradient",
                "training.trainer:neg_sampling_batch_loss_and_gradient", hidden, [
                    *_matches(1, [("grad_V_c", 1), ("grad_U_ow", 1)]),
                    Check("loss: masked sum of (g.1)", 1, [_jsonable((V_c, U_ow, mask))], definition),
                    gradcheck_check("grad_V_c: gradcheck, mask", 0.5, problems, 0, 0),
                    gradcheck_check("grad_U_ow: gradcheck, mask", 0.5, problems, 1, 1),
                ], array_args=(0, 1))


def naive_softmax_batch_part(seed=SEED + 3):
    """The trainer's batched naive softmax: ``f(V_c (b,d), o (b,), U (d,|V|)) -> (J, grad_V_c, grad_U)``."""
    rng = np.random.default_rng(seed)
    hidden = [(rng.normal(size=(3, 4)), [1, 4, 1], rng.normal(size=(4, 6))),
              (rng.normal(size=(2, 3)), [0, 6], rng.normal(size=(3, 7)))]
    V_c, U = rng.normal(size=(3, 4)), rng.normal(size=(4, 6))
    singles = [_jsonable((V_c[:1], [o], U)) for o in range(U.shape[1])]

    def sums_to_one(results):
        total = float(np.sum(np.exp(-np.array([r.loss for r in results]))))
        return abs(total - 1) < 1e-9, f"one pair, sum over o of exp(-J(o)) = {total:.12g}, must be 1"

    def additive(results):
        parts = sum(r.loss for r in results[1:])
        return _close(results[0].loss, parts, "a batch's loss against the sum of its pairs' losses")

    o = [1, 4, 1]
    batch = [_jsonable((V_c, o, U))] + [_jsonable((V_c[p:p + 1], [o[p]], U)) for p in range(3)]
    problems = [(V_c, o, U)]
    return Part("naive_softmax_batch", "trainer: batched naive softmax", "naive_softmax_batch_loss_and_gradient",
                "training.trainer:naive_softmax_batch_loss_and_gradient", hidden, [
                    *_matches(1, [("grad_V_c", 1), ("grad_U", 1)]),
                    Check("loss: sum_o exp(-J) = 1", 0.5, singles, sums_to_one),
                    Check("loss: additive over pairs", 0.5, batch, additive),
                    gradcheck_check("grad_V_c: gradcheck", 0.5, problems, 0, 0),
                    gradcheck_check("grad_U: gradcheck", 0.5, problems, 2, 1),
                ])


# Functions in solution regions that answer a written part of the handout
# instead of a code part: function -> part letter. Part (b) is also checked by
# derivations.coursework.answers; part (e)'s piecewise derivative is graded by hand.
WRITTEN_ANSWER_FUNCTIONS = {"gradient_terms": "b", "leaky_relu_derivative": "e"}


def default_parts():
    return [naive_softmax_part(), neg_sampling_part(), neg_sampling_batch_part(), naive_softmax_batch_part()]


PARTS = default_parts()     # the rubric: every part's checks and points (book/instructors.md lists them)


# ------------------------------------------------------------------ judging

@dataclass
class PartResult:
    part: str
    score: float
    points: float
    failures: list


def _transposes(ref):
    """What the reference looks like transposed: a matrix's last two axes swapped; a vector as a row or column."""
    return [np.swapaxes(ref, -1, -2)] if ref.ndim >= 2 else [ref[None, :], ref[:, None]] if ref.ndim == 1 else []


def _reference_share(check, part, returned, expected):
    """``(share, why)`` for one :class:`ReferenceCheck`: 1, :data:`TRANSPOSE_SHARE` or 0."""
    k, share = check.output, 1.0
    for i, (r, want) in enumerate(zip(returned, expected)):
        shapes = part.shapes(part.hidden[i])
        why = _unusable(r, (), shapes)                            # an error or the wrong number of values
        if not why and not r.dtypes[k].startswith("float"):
            why = f"returned dtype {r.dtypes[k]}, expected a float dtype"
        if why:
            return 0.0, why
        got, want = r.values[k], want[k]
        if got is None or not np.all(np.isfinite(got)):
            return 0.0, f"not finite (nan or inf) at hidden point {i + 1}"
        scale = REF_RTOL * max(float(np.max(np.abs(want), initial=0.0)), 1e-12)
        if got.shape == want.shape and float(np.max(np.abs(got - want), initial=0.0)) <= scale:
            continue
        if any(got.shape == t.shape and float(np.max(np.abs(got - t), initial=0.0)) <= scale
               for t in _transposes(want)):
            share = TRANSPOSE_SHARE
            why = f"equal to the reference only transposed: shape {got.shape}, expected {want.shape}"
            continue
        if got.shape != want.shape:
            return 0.0, f"shape {got.shape} at hidden point {i + 1}, expected {want.shape}"
        worst = float(np.max(np.abs(got - want)) / max(float(np.max(np.abs(want), initial=0.0)), 1e-12))
        return 0.0, f"differs from the reference at hidden point {i + 1} (relative error {worst:.2g} > {REF_RTOL:g})"
    return share, "" if share == 1 else why


def judge_part(part, returned, expected):
    """Score one part from the worker's outputs (:class:`Returned`, one per call, hidden points first).

    ``expected`` is :meth:`Part.expected`, or None to run only the checks that need no
    reference, ungated (:func:`assert_part` in the student edition).
    """
    score, failures, loss_ok = 0.0, [], expected is None
    n = 0 if expected is None else len(part.hidden)
    for check in part.checks:
        if isinstance(check, ReferenceCheck):
            if expected is None:
                continue
            share, why = _reference_share(check, part, returned[:n], expected)
            loss_ok = loss_ok or (check.output == 0 and share == 1)
            score += share * check.points
            if why:
                failures.append(f"{check.name}: {why}" + (f" ({share * check.points:g} of {check.points:g})"
                                                           if share else ""))
    calls_at = n
    for check in part.checks:
        if isinstance(check, ReferenceCheck):
            continue
        results = returned[calls_at: calls_at + len(check.calls)]
        shapes = [part.shapes(args) for args in check.calls]
        calls_at += len(check.calls)
        why = next((w for r, s in zip(results, shapes) if (w := _unusable(r, check.uses, s))), "")
        if not why and not loss_ok:
            why = "not awarded: the loss does not match the reference"
        if not why:
            try:
                ok, why = check.judge(results)
                why = "" if ok else why
            except (ArithmeticError, IndexError, TypeError, ValueError) as exc:
                why = f"malformed return value ({type(exc).__name__}: {exc})"
        if why:
            failures.append(f"{check.name}: {why}")
        else:
            score += check.points
    return PartResult(part.key, score, part.points, [clean(f) for f in failures])


def _calls(part, with_reference=True):
    calls = [_jsonable(args) for args in part.hidden] if with_reference else []
    for check in part.checks:
        if isinstance(check, Check):
            calls += check.calls
    return calls


def assert_part(key, function, seed=SEED):
    """Run part ``key``'s checks on ``function`` in this process; raise ``AssertionError`` listing failures.

    For graders that isolate notebooks themselves (the nbgrader test cells of
    :mod:`derivations.coursework.assignment`); :func:`grade` isolates every part instead.
    Returns the points earned (all of them, or it raises). In the student edition,
    which has no reference, only the checks that need none run (ungated), and it says so.
    """
    part = next((p for p in default_parts() if p.key == key), None)
    if part is None:
        raise ValueError(f"key must be one of {[p.key for p in default_parts()]}, got {key!r}")
    try:
        expected = part.expected()
    except ReferenceMissing:
        expected = None
    returned = []
    for args in _calls(part, expected is not None):
        try:
            returned.append(Returned.from_values(function(*_arrays(part, args))))
        except Exception as exc:                      # noqa: BLE001 - reported as the check's failure
            returned.append(Returned(error=f"{type(exc).__name__}: {exc}"))
    result = judge_part(part, returned, expected)
    if result.failures:
        raise AssertionError(f"{part.title}: " + "; ".join(result.failures))
    if expected is None:
        checked = [c for c in part.checks if isinstance(c, Check)]
        print(f"{part.title}: the {len(checked)} checks that need no reference pass; the grader also "
              f"compares your values with the reference at hidden points")
        return result.score
    print(f"{part.title}: all {len(part.checks)} checks pass ({part.points:g} points)")
    return result.score


# ------------------------------------------------------------------ reading submissions

_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')


def json_depth(data):
    """The deepest nesting of ``[``/``{`` in JSON bytes, without parsing (brackets inside strings ignored)."""
    skeleton = np.frombuffer(_JSON_STRING.sub(b"", data), dtype=np.uint8)
    step = (np.isin(skeleton, (ord("["), ord("{"))).astype(np.int32)
            - np.isin(skeleton, (ord("]"), ord("}"))).astype(np.int32))
    return int(np.cumsum(step).max(initial=0))


def _read_capped(path):
    """The bytes of a regular file of at most :data:`MAX_FILE_BYTES` (no symlink, FIFO or device)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise Unreadable("a symbolic link, not a file" if os.path.islink(path) else
                         f"cannot be opened ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Unreadable("not a regular file")
        if st.st_size > MAX_FILE_BYTES:
            raise Unreadable(f"{st.st_size / 2**20:.1f} MB, more than the {MAX_FILE_BYTES >> 20} MB a notebook may be")
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise Unreadable(f"more than the {MAX_FILE_BYTES >> 20} MB a notebook may be")
    return data


def _cell_text(cell, k):
    if not isinstance(cell, dict):
        raise Unreadable(f"cell {k + 1} is not a JSON object")
    src = cell.get("source", "")
    if isinstance(src, list) and all(isinstance(s, str) for s in src):
        src = "".join(src)
    if not isinstance(src, str):
        raise Unreadable(f"cell {k + 1}: 'source' must be a string or a list of strings")
    if len(src) > MAX_CELL_CHARS:
        raise Unreadable(f"cell {k + 1} holds {len(src):,} characters (at most {MAX_CELL_CHARS:,})")
    return src


def code_cells(path):
    """The code of a submission: a notebook's code cells, or a .py file as one cell.

    Raises :class:`Unreadable` (with the reason) past a cap or on malformed input;
    every cap is checked before the text is parsed.
    """
    path = Path(path)
    data = _read_capped(path)
    if path.suffix == ".py":
        text = data.decode("utf-8", errors="replace")
        if len(text) > MAX_CODE_CHARS:
            raise Unreadable(f"{len(text):,} characters of code (at most {MAX_CODE_CHARS:,})")
        return [text]
    depth = json_depth(data)
    if depth > MAX_JSON_DEPTH:
        raise Unreadable(f"JSON nested {depth} deep (a notebook needs fewer than {MAX_JSON_DEPTH})")
    try:
        nb = json.loads(data.decode("utf-8", errors="replace").lstrip("\ufeff"))
    except ValueError as exc:
        raise Unreadable(f"not a notebook: not JSON ({exc})") from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise Unreadable("not a notebook: no list of 'cells'")
    if len(cells) > MAX_CELLS:
        raise Unreadable(f"{len(cells):,} cells (at most {MAX_CELLS:,})")
    code = [_cell_text(c, k) for k, c in enumerate(cells)]
    code = [src for c, src in zip(cells, code) if c.get("cell_type") == "code"]
    if sum(map(len, code)) > MAX_CODE_CHARS:
        raise Unreadable(f"{sum(map(len, code)):,} characters of code (at most {MAX_CODE_CHARS:,})")
    return code


def find_submissions(args):
    """Expand folders to the notebooks and .py files inside them (sorted; symlinked folders not followed)."""
    found = []
    for arg in args:
        p = Path(arg)
        if p.is_dir() and not p.is_symlink():
            inside = []
            for here, dirs, files in os.walk(p):
                dirs[:] = [d for d in dirs if d != ".ipynb_checkpoints"]
                inside += [Path(here) / f for f in files if f.endswith((".ipynb", ".py"))]
            found += sorted(inside)
        elif p.exists() or p.is_symlink():
            found.append(p)
        else:
            raise FileNotFoundError(f"submission {arg!r} does not exist")
    return found


def written_answers(cells):
    """``{part: latex}`` from ``check_answer("part", "latex")`` calls with two literal arguments.

    Read from the token stream (never parsed into a tree, never run: a cell nested
    100,000 deep costs nothing); the last call of a part wins.
    """
    answers = {}
    skip = {tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT}
    for cell in cells:
        toks = []
        try:
            for tok in tokenize.generate_tokens(io.StringIO(cell).readline):
                if tok.type not in skip:
                    toks.append(tok)
        except (tokenize.TokenError, IndentationError, SyntaxError):
            pass                                          # the tokens before the error still count
        for i, tok in enumerate(toks[:-5]):
            window = toks[i:i + 6]
            if (tok.type == tokenize.NAME and tok.string == "check_answer" and window[1].string == "("
                    and window[2].type == tokenize.STRING and window[3].string == ","
                    and window[4].type == tokenize.STRING and window[5].string in (")", ",")):
                try:
                    part, latex = ast.literal_eval(window[2].string), ast.literal_eval(window[4].string)
                except (ValueError, SyntaxError, MemoryError, RecursionError):
                    continue                              # an f-string: not a literal
                if isinstance(part, str) and isinstance(latex, str):
                    answers[part] = latex
    return answers


# ------------------------------------------------------------------ running workers

def _run(script, request, limits, package, unsafe):
    """:func:`sandbox.run`, with any failure of the run itself turned into a problem string."""
    try:
        return sandbox.run(script, request, limits, package=package, isolate=not unsafe)
    except sandbox.SandboxUnavailable:
        raise
    except Exception as exc:                        # noqa: BLE001 - e.g. a result too deeply nested to read
        return None, f"the worker's result could not be read ({type(exc).__name__})"


def grade_part(cells, part, package, limits, unsafe=False):
    """Run ``part`` on one submission in a sandbox and judge it; never raises."""
    try:
        calls = _calls(part)
        request = {"cells": cells, "function": part.function, "calls": calls, "array_args": list(part.array_args)}
        result, problem = _run(CODE_WORKER, request, limits, package, unsafe)
        raw = result.get("results") if isinstance(result, dict) else None
        if result is not None and (not isinstance(raw, list) or len(raw) != len(calls)):
            problem = f"reported {len(raw) if isinstance(raw, list) else 'no'} results for {len(calls)} calls"
        if problem:
            return PartResult(part.key, 0.0, part.points, [clean(f"{c.name}: {problem}") for c in part.checks])
        return judge_part(part, [Returned.from_worker(r) for r in raw], part.expected())
    except sandbox.SandboxUnavailable:
        raise
    except Exception as exc:                        # noqa: BLE001 - one part of one submission, nothing more
        return PartResult(part.key, 0.0, part.points, [clean(f"grader error: {type(exc).__name__}: {exc}")])


def _credit(verdict):
    """The share of a written part's points ``verdict`` earns; 0 for a kind no judge reports."""
    from .verdicts import credit            # imports SymPy: only when written answers are graded
    try:
        return float(credit(verdict))
    except ValueError:
        return 0.0


def check_written(key, latex, package, limits, unsafe=False):
    """``(verdict, message)`` for one written part, checked in a sandbox of its own; never raises."""
    try:
        result, problem = _run(ANSWER_WORKER, {"answers": {key: latex}}, limits, package, unsafe)
        if problem:
            return "error", f"the checker stopped: {problem}"
        rows = result.get("results")
        row = next((r for r in rows if isinstance(r, dict) and r.get("part") == key), None) \
            if isinstance(rows, list) else None
        if row is None or not isinstance(row.get("verdict"), str):
            return "error", "the checker reported no verdict"
        return row["verdict"], str(row.get("message", ""))
    except sandbox.SandboxUnavailable:
        raise
    except Exception as exc:                        # noqa: BLE001
        return "error", f"grader error: {type(exc).__name__}"


def written_result(key, points, verdict, message):
    share = _credit(verdict)
    name = f"({key})"
    return PartResult(name, share * points, points, [] if share == 1 else [clean(f"{name}: {message}")])


class Report(dict):
    """``{submission: [PartResult, ...]}`` in input order; ``columns`` are the part keys, in order."""

    def __init__(self, columns):
        super().__init__()
        self.columns = list(columns)


def columns(parts, written=True):
    """The report's columns: each code part's key, then each written part's ``(key)``."""
    from .answers import REFERENCES
    return [p.key for p in parts] + ([f"({k})" for k in REFERENCES] if written else [])


def grade(paths, parts=None, limits=None, jobs=None, written=True, unsafe=False, answer_limits=None):
    """Grade every submission; return a :class:`Report` (``{name: [PartResult, ...]}``, input order).

    Raises :class:`~derivations.coursework.sandbox.SandboxUnavailable` if the sandbox
    does not work here and ``unsafe`` is false, and :class:`ReferenceMissing` when run
    from the student edition. Nothing a submission holds raises.
    """
    parts = parts or default_parts()
    limits = limits or CODE_LIMITS
    answer_limits = answer_limits or sandbox.Limits(limits.seconds, limits.memory_mb, ANSWER_LIMITS.processes,
                                                    ANSWER_LIMITS.output_bytes)
    jobs = jobs or os.cpu_count() or 1
    if not unsafe and sandbox.available() is not None:
        raise sandbox.SandboxUnavailable(
            f"Refusing to grade: the grader runs student code only inside a bubblewrap sandbox, and "
            f"{sandbox.available()}. Install bubblewrap (`sudo apt-get install bubblewrap`; the kernel must "
            f"allow namespaces). In a trusted setting only (your own code), --unsafe-no-sandbox grades "
            f"without any isolation.")
    for part in parts:
        part.expected()                             # ReferenceMissing now, not once per submission
    references = {}
    if written:
        from .answers import REFERENCES as references
    report = Report(columns(parts, written))
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        strip_package(ROOT, tmp)                    # what workers import: no reference, no instructor file
        subs = {}
        for p in paths:
            try:
                subs[str(p)] = code_cells(p)
            except Exception as exc:                # noqa: BLE001 - Unreadable, or anything else: its row only
                reason = str(exc) if isinstance(exc, Unreadable) else f"{type(exc).__name__}: {exc}"
                subs[str(p)] = Unreadable(clean(reason))
        with ThreadPoolExecutor(jobs) as pool:
            futures, answers, checks = {}, {}, {}
            for name, cells in subs.items():
                if isinstance(cells, Unreadable):
                    continue
                futures[name] = [pool.submit(grade_part, cells, part, tmp, limits, unsafe) for part in parts]
                try:
                    answers[name] = written_answers(cells) if written else {}
                except Exception:                   # noqa: BLE001
                    answers[name] = {}
                for key in references:
                    latex = answers[name].get(key)
                    if latex and (key, latex) not in checks:       # the same formula is checked once
                        checks[key, latex] = pool.submit(check_written, key, latex, tmp, answer_limits, unsafe)
            for name, cells in subs.items():
                if isinstance(cells, Unreadable):
                    why = f"unreadable: {cells}"
                    report[name] = [PartResult(c, 0.0, p, [why]) for c, p in
                                    zip(report.columns, [p.points for p in parts] +
                                        [r.points for r in references.values()])]
                    continue
                rows = [f.result() for f in futures[name]]
                for key, ref in references.items():
                    latex = answers[name].get(key)
                    verdict, message = checks[key, latex].result() if latex else ("missing", "no answer given")
                    rows.append(written_result(key, ref.points, verdict, message))
                report[name] = rows
    return report


# ------------------------------------------------------------------ output

def _name(name, width=40):
    return clean(Path(name).stem, width)


def table(report):
    """The per-part score table as text (names and reasons without control characters)."""
    if not report:
        return "no submissions"
    keys = getattr(report, "columns", None) or [r.part for r in next(iter(report.values()))]
    widths = [max(len(k), 9) for k in keys]
    width = max(12, *(len(_name(n)) for n in report))
    head = f"{'submission':<{width}} " + " ".join(f"{k:>{w}}" for k, w in zip(keys, widths)) + f" {'total':>9}"
    lines = [head, "-" * len(head)]
    for name, rows in report.items():
        by = {r.part: r for r in rows}
        cells = " ".join(f"{f'{by[k].score:g}/{by[k].points:g}' if k in by else '-':>{w}}"
                         for k, w in zip(keys, widths))
        total = f"{sum(r.score for r in rows):g}/{sum(r.points for r in rows):g}"
        lines.append(f"{_name(name):<{width}} {cells} {total:>9}")
    return "\n".join(lines)


def failure_lines(report):
    """``name: reason`` for every lost point (``--verbose``)."""
    return [f"{_name(name)}: {clean(why)}" for name, rows in report.items() for r in rows for why in r.failures]


def write_csv(report, path):
    """The class CSV: header from ``report.columns`` (the parts), one row per submission, cells made safe."""
    keys = getattr(report, "columns", None) or columns(default_parts())
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["submission"] + keys + ["total", "max", "failures"])
        for name, rows in report.items():
            by = {r.part: r for r in rows}
            w.writerow([csv_cell(name)] + [f"{by[k].score:g}" if k in by else "0" for k in keys]
                       + [f"{sum(r.score for r in rows):g}", f"{sum(r.points for r in rows):g}",
                          csv_cell(" | ".join(x for r in rows for x in r.failures), limit=10_000)])


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m derivations.coursework.grade", description=__doc__.split("\n")[0])
    ap.add_argument("submissions", nargs="+", help="notebooks, .py files or folders of them")
    ap.add_argument("--csv", default="grades.csv", help="where to write the class CSV (default grades.csv)")
    ap.add_argument("--time-limit", type=float, default=CODE_LIMITS.seconds, help="seconds per part (default 10)")
    ap.add_argument("--memory-mb", type=int, default=CODE_LIMITS.memory_mb,
                    help="address-space limit per part (default 1024)")
    ap.add_argument("--jobs", type=int, default=None, help="parallel workers (default: CPU count)")
    ap.add_argument("--verbose", action="store_true", help="print why each check failed")
    ap.add_argument("--unsafe-no-sandbox", action="store_true",
                    help="run student code WITHOUT the bubblewrap sandbox (trusted code only: it can read, "
                         "write and signal anything this account can)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    limits = sandbox.Limits(args.time_limit, args.memory_mb, CODE_LIMITS.processes, CODE_LIMITS.output_bytes)
    try:
        report = grade(find_submissions(args.submissions), limits=limits, jobs=args.jobs,
                       unsafe=args.unsafe_no_sandbox)
    except (sandbox.SandboxUnavailable, ReferenceMissing, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(table(report))
    if args.verbose:
        print("\n".join(failure_lines(report)))
    write_csv(report, args.csv)
    print(f"\n{len(report)} submissions graded in {time.perf_counter() - t0:.1f}s; CSV: {clean(args.csv)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
