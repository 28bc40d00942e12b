"""The rubric of the code parts: hidden points, criteria, points, and how a part is scored.

The grading process imports the instructor's package and computes
the reference losses and gradients itself, at hidden points drawn from
:data:`SEED`; the worker returns raw values only, so output forged by a
submission passes only by being right. The worker sees the student package
(:func:`derivations.coursework.edition.strip_package`), which holds no
reference body and none of the instructor's files. Run from the student
edition, whose reference bodies are stripped, the grader refuses to grade
(:class:`ReferenceMissing`); :func:`assert_part`, the check students run in
their notebook, then runs only the checks that need no reference.

Points per criterion are in :data:`PARTS` (book/instructors.md lists them). For each code part:

* ``loss: matches the reference`` and ``<gradient>: matches the reference``:
  the value returned at every hidden point is finite, of dtype float, of the
  reference's shape, and within :data:`REF_RTOL` (relative, 1e-6) of the
  instructor's reference. A gradient that equals the reference only after a
  transpose (a ``(|V|, d)`` for a ``(d, |V|)``, a row for a column) earns
  :data:`TRANSPOSE_SHARE` (half) of its points.
* The criteria that need no reference (loss identities, gradchecks against central
  differences of the submission's own loss, zero columns) earn their points
  only if the loss matched the reference, and every value they read is finite,
  of dtype float and of the right shape. A constant loss with zero gradients, or
  NaN gradients, therefore earn nothing; a right loss with zero or missing
  gradients earns the loss and identity points only (4 of 10 for naive softmax).
"""
import importlib
import os
from dataclasses import dataclass, field

import numpy as np

from ..core.gradcheck import relative_error
from .safe_text import clean

SEED = int(os.environ.get("W2V_GRADE_SEED", "902117"))   # instructors: set your own
H, RTOL = 1e-5, 1e-4              # gradchecks: central-difference step, tolerance
REF_RTOL = 1e-6                   # against the reference: relative to the reference's largest entry
TRANSPOSE_SHARE = 0.5             # a gradient right only up to a transpose


class ReferenceMissing(RuntimeError):
    """The reference implementations are stripped: this is the student edition's package."""


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


# ------------------------------------------------------------------ parts and their criteria

@dataclass
class ReferenceCriterion:
    """Output ``output`` (0 is the loss) at every hidden point against the instructor's reference."""
    name: str
    points: float
    output: int


@dataclass
class Criterion:
    """A criterion that needs no reference: calls to make and ``judge(returned) -> (ok, why)``.

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
    criteria: list = field(default_factory=list)
    array_args: tuple = (0, 2)     # which arguments are float arrays; gradient k is d/d argument array_args[k]
    _expected: list = field(default=None, repr=False)

    @property
    def points(self):
        return sum(c.points for c in self.criteria)

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


def gradcheck_criterion(name, points, problems, wrt, grad_index, h=H):
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
    return Criterion(name, points, calls, judge, uses=(0, 1 + grad_index))


def _problem(rng, d, V, scale=1.0, negatives=None):
    v_c = rng.normal(size=d) * scale
    U = rng.normal(size=(d, V)) * scale
    o = int(rng.integers(V))
    return (v_c, o, U) if negatives is None else (v_c, o, U, negatives)


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def _matches(outputs, grads):
    """The reference criteria of a part: the loss, then each gradient (name, points)."""
    return [ReferenceCriterion("loss: matches the reference", outputs, 0)] + [
        ReferenceCriterion(f"{name}: matches the reference", points, k + 1) for k, (name, points) in enumerate(grads)]


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
                    Criterion("loss: sum_o exp(-J) = 1", 1, sum_calls, sums_to_one),
                    Criterion("loss: differences of scores", 0.5, diff_calls, diff_judge),
                    Criterion("loss: stable at scores ~1e3", 0.5, big_calls, big_judge),
                    gradcheck_criterion("grad_v_c: gradcheck", 1, problems, 0, 0),
                    gradcheck_criterion("grad_U: gradcheck", 1, problems, 2, 1),
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
                    Criterion("loss: a repeat adds its term (h)", 1,
                          [[v_c.tolist(), o, U.tolist(), negs + [5]], point], repeat_adds),
                    gradcheck_criterion("grad_v_c: gradcheck", 1, problems, 0, 0),
                    gradcheck_criterion("grad_U: gradcheck, repeats", 1, problems, 2, 1),
                    Criterion("grad_U: zero in other columns", 1, [point], zero_elsewhere, uses=(0, 2)),
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
                    Criterion("loss: masked sum of (g.1)", 1, [_jsonable((V_c, U_ow, mask))], definition),
                    gradcheck_criterion("grad_V_c: gradcheck, mask", 0.5, problems, 0, 0),
                    gradcheck_criterion("grad_U_ow: gradcheck, mask", 0.5, problems, 1, 1),
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
                    Criterion("loss: sum_o exp(-J) = 1", 0.5, singles, sums_to_one),
                    Criterion("loss: additive over pairs", 0.5, batch, additive),
                    gradcheck_criterion("grad_V_c: gradcheck", 0.5, problems, 0, 0),
                    gradcheck_criterion("grad_U: gradcheck", 0.5, problems, 2, 1),
                ])


# Functions in solution regions that answer a written part of the handout
# instead of a code part: function -> part letter. Part (b) is also checked by
# derivations.coursework.answers; part (e)'s piecewise derivative is graded by hand.
WRITTEN_ANSWER_FUNCTIONS = {"gradient_terms": "b", "leaky_relu_derivative": "e"}


def default_parts():
    return [naive_softmax_part(), neg_sampling_part(), neg_sampling_batch_part(), naive_softmax_batch_part()]


PARTS = default_parts()     # the rubric: every part's criteria and points (book/instructors.md lists them)


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


def _reference_share(criterion, part, returned, expected):
    """``(share, why)`` for one :class:`ReferenceCriterion`: 1, :data:`TRANSPOSE_SHARE` or 0."""
    k, share = criterion.output, 1.0
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

    ``expected`` is :meth:`Part.expected`, or None to run only the criteria that need no
    reference, ungated (:func:`assert_part` in the student edition).
    """
    score, failures, loss_ok = 0.0, [], expected is None
    n = 0 if expected is None else len(part.hidden)
    for criterion in part.criteria:
        if isinstance(criterion, ReferenceCriterion):
            if expected is None:
                continue
            share, why = _reference_share(criterion, part, returned[:n], expected)
            loss_ok = loss_ok or (criterion.output == 0 and share == 1)
            score += share * criterion.points
            if why:
                failures.append(f"{criterion.name}: {why}" + (f" ({share * criterion.points:g} of {criterion.points:g})"
                                                           if share else ""))
    calls_at = n
    for criterion in part.criteria:
        if isinstance(criterion, ReferenceCriterion):
            continue
        results = returned[calls_at: calls_at + len(criterion.calls)]
        shapes = [part.shapes(args) for args in criterion.calls]
        calls_at += len(criterion.calls)
        why = next((w for r, s in zip(results, shapes) if (w := _unusable(r, criterion.uses, s))), "")
        if not why and not loss_ok:
            why = "not awarded: the loss does not match the reference"
        if not why:
            try:
                ok, why = criterion.judge(results)
                why = "" if ok else why
            except (ArithmeticError, IndexError, TypeError, ValueError) as exc:
                why = f"malformed return value ({type(exc).__name__}: {exc})"
        if why:
            failures.append(f"{criterion.name}: {why}")
        else:
            score += criterion.points
    return PartResult(part.key, score, part.points, [clean(f) for f in failures])


def calls_of(part, with_reference=True):
    calls = [_jsonable(args) for args in part.hidden] if with_reference else []
    for criterion in part.criteria:
        if isinstance(criterion, Criterion):
            calls += criterion.calls
    return calls


def assert_part(key, function, seed=SEED):
    """Run part ``key``'s criteria on ``function`` in this process; raise ``AssertionError`` listing failures.

    For graders that isolate notebooks themselves (the nbgrader test cells of
    :mod:`derivations.coursework.assignment`); :func:`grade` isolates every part instead.
    Returns the points earned (all of them, or it raises). In the student edition,
    which has no reference, only the criteria that need none run (ungated), and it says so.
    """
    part = next((p for p in default_parts() if p.key == key), None)
    if part is None:
        raise ValueError(f"key must be one of {[p.key for p in default_parts()]}, got {key!r}")
    try:
        expected = part.expected()
    except ReferenceMissing:
        expected = None
    returned = []
    for args in calls_of(part, expected is not None):
        try:
            returned.append(Returned.from_values(function(*_arrays(part, args))))
        except Exception as exc:                      # noqa: BLE001 - reported as the check's failure
            returned.append(Returned(error=f"{type(exc).__name__}: {exc}"))
    result = judge_part(part, returned, expected)
    if result.failures:
        raise AssertionError(f"{part.title}: " + "; ".join(result.failures))
    if expected is None:
        checked = [c for c in part.criteria if isinstance(c, Criterion)]
        print(f"{part.title}: the {len(checked)} criteria that need no reference pass; the grader also "
              f"compares your values with the reference at hidden points")
        return result.score
    print(f"{part.title}: all {len(part.criteria)} criteria pass ({part.points:g} points)")
    return result.score
