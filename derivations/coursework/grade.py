"""The autograder: ``python -m derivations.coursework.grade SUBMISSION... [--csv grades.csv]``.

A submission is a notebook (``.ipynb``), a Python file, or a folder searched
for both. For every submission and every part, a fresh process
(:mod:`derivations.coursework.code_worker`) loads the submission's definitions and calls
the part's function at points the book never uses; this process judges the
returned values. Each worker runs under ``setrlimit`` limits (address space,
CPU time, file size, no core dumps) and a wall-clock limit that kills its whole
process group, so an infinite loop, ``sys.exit``, ``os._exit``, a segfault, a
huge allocation or an exception costs that part only.

The tests never compare with the reference implementation (the grader runs
fine from the student edition, which has none):

* gradients are checked against central differences of the *submission's own*
  loss (:func:`derivations.core.gradcheck.relative_error`, rtol 1e-4);
* losses are checked through identities that pin them down: for naive softmax
  ``sum_o exp(-J(o)) = 1`` and ``J(o1) - J(o2) = u_o2^T v_c - u_o1^T v_c``; for
  negative sampling the definition (g.1) itself, and part (h)'s rule that a
  repeated negative adds its term once more.

Points per check are in :data:`PARTS` (the instructor page lists them).
Written answers found in a notebook as ``check_answer("b", r"...")`` calls
(string literals only, read from the syntax tree, never run) are graded by
:mod:`derivations.coursework.answers` in a limited process too.
"""
import argparse
import ast
import csv
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.gradcheck import relative_error

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).resolve().with_name("code_worker.py")
SEED = int(os.environ.get("W2V_GRADE_SEED", "902117"))   # instructors: set your own
H, RTOL = 1e-5, 1e-4
MAX_RESULT_BYTES = 16 << 20


# ------------------------------------------------------------------ checks

@dataclass
class Check:
    """Calls to make and a judge of their raw results: ``judge(results) -> (ok, why)``."""
    name: str
    points: float
    calls: list
    judge: object


@dataclass
class Part:
    key: str
    title: str
    function: str
    checks: list = field(default_factory=list)
    array_args: tuple = (0, 2)      # which arguments are float arrays (the rest pass as they are)

    @property
    def points(self):
        return sum(c.points for c in self.checks)


def _error(results):
    for r in results:
        if "error" in r:
            return r["error"]
    return None


def _jsonable(args):
    return [a.tolist() if isinstance(a, np.ndarray) else a for a in args]


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
        err = _error(results)
        if err:
            return False, err
        for start, args in layout:
            base, x = results[start], args[wrt]
            shapes = [np.shape(g) for g in base.get("grads", [])]
            arrays = [a.shape for a in args if isinstance(a, np.ndarray)]
            if shapes != arrays or not np.isfinite(base["loss"]):
                return False, f"returned gradients of shapes {shapes}, expected {arrays}"
            losses = np.array([r["loss"] for r in results[start + 1: start + 1 + 2 * x.size]])
            numeric = ((losses[0::2] - losses[1::2]) / (2 * h)).reshape(x.shape)
            analytic = np.asarray(base["grads"][grad_index], float)
            err = relative_error(analytic, numeric, 1e-5 * max(1.0, abs(base["loss"])))
            if err.max() > RTOL:
                idx = tuple(int(i) for i in np.unravel_index(int(err.argmax()), err.shape))
                return False, (f"gradient {grad_index + 1}{list(idx)}: analytic {analytic[idx]:.6g}, "
                               f"numeric {numeric[idx]:.6g} (argument shapes {arrays})")
        return True, ""
    return Check(name, points, calls, judge)


def _close(got, want, what):
    ok = bool(np.isfinite(got)) and abs(got - want) <= 1e-9 * max(1.0, abs(want))
    return ok, f"{what}: got {got:.12g}, expected {want:.12g}"


def _problem(rng, d, V, scale=1.0, negatives=None):
    v_c = rng.normal(size=d) * scale
    U = rng.normal(size=(d, V)) * scale
    o = int(rng.integers(V))
    return (v_c, o, U) if negatives is None else (v_c, o, U, negatives)


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def naive_softmax_part(seed=SEED):
    rng = np.random.default_rng(seed)
    v_c, _, U = _problem(rng, 4, 6)
    sum_calls = [[v_c.tolist(), o, U.tolist()] for o in range(U.shape[1])]

    def sums_to_one(results):
        err = _error(results)
        if err:
            return False, err
        total = float(np.sum(np.exp(-np.array([r["loss"] for r in results]))))
        return abs(total - 1) < 1e-9, f"sum over o of exp(-J(o)) = {total:.12g}, must be 1"

    def differences(v_c, U, o1, o2):
        scores = U.T @ v_c

        def judge(results):
            err = _error(results)
            if err:
                return False, err
            got = results[0]["loss"] - results[1]["loss"]
            want = scores[o2] - scores[o1]
            ok = np.isfinite(got) and abs(got - want) <= 1e-9 * max(1.0, abs(want))
            return ok, f"J(o={o1}) - J(o={o2}) = {got:.12g}, must equal u_o2^T v_c - u_o1^T v_c = {want:.12g}"
        return [[v_c.tolist(), o1, U.tolist()], [v_c.tolist(), o2, U.tolist()]], judge

    v2, _, U2 = _problem(rng, 3, 7)
    diff_calls, diff_judge = differences(v2, U2, 1, 5)
    big_v, _, big_U = _problem(rng, 3, 5, scale=30.0)       # scores of order 1e3
    big_calls, big_judge = differences(big_v, big_U, 0, 3)
    problems = [_problem(rng, 4, 6), _problem(rng, 2, 9)]
    return Part("naive_softmax", "(a)-(d) naive softmax", "naive_softmax_loss_and_gradient", [
        Check("loss: sum_o exp(-J) = 1", 2, sum_calls, sums_to_one),
        Check("loss: differences of scores", 2, diff_calls, diff_judge),
        Check("loss: stable at scores ~1e3", 1, big_calls, big_judge),
        gradcheck_check("grad_v_c: gradcheck", 2.5, problems, 0, 0),
        gradcheck_check("grad_U: gradcheck", 2.5, problems, 2, 1),
    ])


def neg_sampling_part(seed=SEED + 1):
    rng = np.random.default_rng(seed)
    v_c, o, U, negs = _problem(rng, 4, 8, negatives=[1, 6, 3, 6])
    o = 2

    def definition(results):
        err = _error(results)
        if err:
            return False, err
        scores = U.T @ v_c
        want = -_log_sigmoid(scores[o]) - sum(_log_sigmoid(-scores[w]) for w in negs)
        got = results[0]["loss"]
        return abs(got - want) <= 1e-9 * max(1.0, abs(want)), f"J = {got:.12g}, eq. (g.1) gives {want:.12g}"

    def repeat_adds(results):
        err = _error(results)
        if err:
            return False, err
        got = results[0]["loss"] - results[1]["loss"]
        want = -_log_sigmoid(-(U[:, 5] @ v_c))
        return (abs(got - want) <= 1e-9 * max(1.0, abs(want)),
                f"J(negatives + [5]) - J(negatives) = {got:.12g}, must be -log sigma(-u_5^T v_c) = {want:.12g}")

    def zero_elsewhere(results):
        err = _error(results)
        if err:
            return False, err
        grad_U = np.asarray(results[0]["grads"][1], float)
        if grad_U.shape != U.shape:
            return False, f"grad_U has shape {grad_U.shape}, expected {U.shape}"
        others = [w for w in range(U.shape[1]) if w != o and w not in negs]
        worst = float(np.abs(grad_U[:, others]).max())
        return worst == 0.0, f"grad_U is {worst:.3g} in columns {others}, which J does not depend on"

    problems = [_problem(rng, 4, 8, negatives=[1, 6, 3, 6]), _problem(rng, 3, 5, negatives=[0, 0, 4])]
    point = [v_c.tolist(), o, U.tolist(), negs]
    return Part("neg_sampling", "(g)-(h) negative sampling", "neg_sampling_loss_and_gradient", [
        Check("loss: definition (g.1)", 3, [point], definition),
        Check("loss: a repeat adds its term (h)", 1,
              [[v_c.tolist(), o, U.tolist(), negs + [5]], point], repeat_adds),
        gradcheck_check("grad_v_c: gradcheck", 2, problems, 0, 0),
        gradcheck_check("grad_U: gradcheck, repeats", 3, problems, 2, 1),
        Check("grad_U: zero in other columns", 1, [point], zero_elsewhere),
    ])


def neg_sampling_batch_part(seed=SEED + 2):
    """The trainer's batched negative sampling: ``f(V_c (b,m,d), U_ow (b,d,K+1), mask) -> (J, grad_V_c, grad_U_ow)``."""
    rng = np.random.default_rng(seed)
    V_c, U_ow = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 4, 3))
    mask = [[1, 0, 1], [1, 1, 0]]

    def definition(results):
        err = _error(results)
        if err:
            return False, err
        scores = V_c @ U_ow                                   # (b, m, K+1): U_ow[i]^T v_c for each pair
        want = -float(np.sum(_log_sigmoid(scores).sum(axis=2) * np.array(mask)))
        return _close(results[0]["loss"], want, "masked sum over pairs of eq. (g.1)")

    problems = [(V_c, U_ow, mask), (rng.normal(size=(1, 2, 3)), rng.normal(size=(1, 3, 4)), [[1, 1]])]
    return Part("neg_sampling_batch", "trainer: batched negative sampling", "neg_sampling_batch_loss_and_gradient", [
        Check("loss: masked sum of (g.1)", 2, [_jsonable((V_c, U_ow, mask))], definition),
        gradcheck_check("grad_V_c: gradcheck, mask", 1.5, problems, 0, 0),
        gradcheck_check("grad_U_ow: gradcheck, mask", 1.5, problems, 1, 1),
    ], array_args=(0, 1))


def naive_softmax_batch_part(seed=SEED + 3):
    """The trainer's batched naive softmax: ``f(V_c (b,d), o (b,), U (d,|V|)) -> (J, grad_V_c, grad_U)``."""
    rng = np.random.default_rng(seed)
    V_c, U = rng.normal(size=(3, 4)), rng.normal(size=(4, 6))
    singles = [_jsonable((V_c[:1], [o], U)) for o in range(U.shape[1])]

    def sums_to_one(results):
        err = _error(results)
        if err:
            return False, err
        total = float(np.sum(np.exp(-np.array([r["loss"] for r in results]))))
        return abs(total - 1) < 1e-9, f"one pair, sum over o of exp(-J(o)) = {total:.12g}, must be 1"

    def additive(results):
        err = _error(results)
        if err:
            return False, err
        parts = sum(r["loss"] for r in results[1:])
        return _close(results[0]["loss"], parts, "a batch's loss against the sum of its pairs' losses")

    o = [1, 4, 1]
    batch = [_jsonable((V_c, o, U))] + [_jsonable((V_c[p:p + 1], [o[p]], U)) for p in range(3)]
    problems = [(V_c, o, U)]
    return Part("naive_softmax_batch", "trainer: batched naive softmax", "naive_softmax_batch_loss_and_gradient", [
        Check("loss: sum_o exp(-J) = 1", 1, singles, sums_to_one),
        Check("loss: additive over pairs", 1, batch, additive),
        gradcheck_check("grad_V_c: gradcheck", 1.5, problems, 0, 0),
        gradcheck_check("grad_U: gradcheck", 1.5, problems, 2, 1),
    ])


# Functions in solution regions that answer a written part of the handout
# instead of a code part: function -> part letter. Part (b) is also checked by
# derivations.coursework.answers; part (e)'s piecewise derivative is graded by hand.
WRITTEN_ANSWER_FUNCTIONS = {"gradient_terms": "b", "leaky_relu_derivative": "e"}


def default_parts():
    return [naive_softmax_part(), neg_sampling_part(), neg_sampling_batch_part(), naive_softmax_batch_part()]


def assert_part(key, function, seed=SEED):
    """Run part ``key``'s checks on ``function`` in this process; raise ``AssertionError`` listing failures.

    For graders that isolate notebooks themselves (the nbgrader test cells of
    :mod:`derivations.coursework.assignment`); :func:`grade` isolates every part instead.
    Returns the points earned (all of them, or it raises).
    """
    part = next((p for p in default_parts() if p.key == key), None)
    if part is None:
        raise ValueError(f"key must be one of {[p.key for p in default_parts()]}, got {key!r}")
    failures = []
    for check in part.checks:
        results = []
        for args in check.calls:
            call = [np.array(a, dtype=float) if k in part.array_args else a for k, a in enumerate(args)]
            try:
                loss, *grads = function(*call)
                results.append({"loss": float(loss), "grads": [np.asarray(g, float).tolist() for g in grads]})
            except Exception as exc:                      # noqa: BLE001 - reported as the check's failure
                results.append({"error": f"{type(exc).__name__}: {exc}"})
        ok, why = check.judge(results)
        if not ok:
            failures.append(f"{check.name}: {why}")
    if failures:
        raise AssertionError(f"{part.title}: " + "; ".join(failures))
    print(f"{part.title}: all {len(part.checks)} checks pass ({part.points:g} points)")
    return part.points


# ------------------------------------------------------------- submissions

def code_cells(path):
    """The code of a submission: a notebook's code cells, or a .py file as one cell."""
    path = Path(path)
    if path.stat().st_size > 20 << 20:
        raise ValueError(f"{path}: larger than 20 MB, not a notebook a student wrote")
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".py":
        return [text]
    nb = json.loads(text)
    return ["".join(c["source"]) if isinstance(c.get("source"), list) else c.get("source", "")
            for c in nb.get("cells", []) if c.get("cell_type") == "code"]


def find_submissions(args):
    """Expand folders to the notebooks and .py files inside them (sorted)."""
    found = []
    for arg in args:
        p = Path(arg)
        if p.is_dir():
            found += sorted(q for q in p.rglob("*") if q.suffix in (".ipynb", ".py")
                            and ".ipynb_checkpoints" not in q.parts)
        elif p.exists():
            found.append(p)
        else:
            raise FileNotFoundError(f"submission {arg!r} does not exist")
    return found


def student_package(dest):
    """A copy of the ``derivations`` package with every solution region stripped, in ``dest``."""
    from .edition import BEGIN, strip_regions
    pkg = Path(dest) / "derivations"
    shutil.copytree(ROOT / "derivations", pkg,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "site", "static"))
    for path in pkg.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if BEGIN in text:
            path.write_text(strip_regions(text, str(path.relative_to(dest)))[0], encoding="utf-8")
    return str(dest)


@dataclass
class Limits:
    seconds: float = 10.0
    memory_mb: int = 1024

    def apply(self):
        """Runs in the child between fork and exec."""
        mem = self.memory_mb << 20
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        cpu = int(self.seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_RESULT_BYTES, MAX_RESULT_BYTES))


def run_worker(request, limits, script=WORKER):
    """Run one isolated worker; return ``(results, problem)`` where problem explains a failure."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "HOME": tempfile.gettempdir()}
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([sys.executable, "-I", str(script)], stdin=subprocess.PIPE, stdout=out,
                                stderr=subprocess.DEVNULL, env=env, preexec_fn=limits.apply,
                                start_new_session=True, cwd=tempfile.gettempdir())
        try:
            proc.communicate(json.dumps(request).encode(), timeout=limits.seconds)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return None, f"time limit ({limits.seconds:g} s) exceeded"
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)      # anything the submission forked
            except ProcessLookupError:
                pass
        if proc.returncode < 0:
            sig = signal.Signals(-proc.returncode).name
            why = {"SIGXCPU": "CPU time limit exceeded", "SIGSEGV": "crashed (segmentation fault)",
                   "SIGXFSZ": "wrote too much output", "SIGKILL": "killed (memory or time limit)"}
            return None, why.get(sig, f"killed by {sig}")
        out.seek(0)
        raw = out.read(MAX_RESULT_BYTES + 1)
    try:
        data = json.loads(raw)
        results = data["results"]
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            raise ValueError("malformed")
    except (ValueError, KeyError, TypeError):
        return None, f"the process exited (status {proc.returncode}) without reporting results"
    return results, None


@dataclass
class PartResult:
    part: str
    score: float
    points: float
    failures: list


def grade_part(cells, part, package, limits):
    calls, spans = [], []
    for check in part.checks:
        spans.append((len(calls), len(calls) + len(check.calls)))
        calls += check.calls
    request = {"package": package, "root": str(ROOT), "cells": cells,
               "function": part.function, "calls": calls, "array_args": list(part.array_args)}
    results, problem = run_worker(request, limits)
    if results is not None and len(results) != len(calls):
        results, problem = None, f"reported {len(results)} results for {len(calls)} calls"
    score, failures = 0.0, []
    for check, (a, b) in zip(part.checks, spans):
        if results is None:
            failures.append(f"{check.name}: {problem}")
            continue
        try:
            ok, why = check.judge(results[a:b])
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            ok, why = False, f"malformed return value ({type(exc).__name__}: {exc})"
        if ok:
            score += check.points
        else:
            failures.append(f"{check.name}: {why}")
    return PartResult(part.key, score, part.points, failures)


def written_answers(cells):
    """``{part: latex}`` from ``check_answer("part", "latex")`` calls with literal arguments."""
    answers = {}
    for cell in cells:
        try:
            tree = ast.parse(cell)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None))
                    == "check_answer" and len(node.args) >= 2
                    and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args[:2])):
                answers[node.args[0].value] = node.args[1].value
    return answers


def grade_written(cells, limits, package):
    """Grade the written answers with :mod:`derivations.coursework.answers` (isolated, limited)."""
    from .answers import REFERENCES
    answers = written_answers(cells)
    out = []
    if not REFERENCES:
        return out
    request = {"package": package, "answers": {k: answers.get(k, "") for k in REFERENCES}}
    results, problem = run_worker(request, limits, script=Path(__file__).resolve().with_name("answer_worker.py"))
    for key, ref in REFERENCES.items():
        name = f"({key})"
        if results is None:
            out.append(PartResult(name, 0.0, ref.points, [f"{name}: {problem}"]))
            continue
        r = next((x for x in results if x.get("part") == key), {})
        # A transposed answer gets half: the algebra is right, the shape convention is not.
        share = {"correct": 1.0, "transpose": 0.5}.get(r.get("verdict"), 0.0)
        out.append(PartResult(name, share * ref.points, ref.points,
                              [] if share == 1 else [f"{name}: {r.get('message', 'no answer')}"[:300]]))
    return out


def grade(paths, parts=None, limits=None, jobs=None, written=True):
    """Grade every submission; return ``{name: [PartResult, ...]}`` in input order."""
    parts = parts or default_parts()
    limits = limits or Limits()
    jobs = jobs or os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        package = student_package(tmp)
        subs = {}
        for p in paths:
            try:
                subs[str(p)] = code_cells(p)
            except (OSError, ValueError, KeyError, AttributeError) as exc:
                subs[str(p)] = exc
        with ThreadPoolExecutor(jobs) as pool:
            futures = {}
            for name, cells in subs.items():
                if isinstance(cells, Exception):
                    continue
                futures[name] = [pool.submit(grade_part, cells, part, package, limits) for part in parts]
                if written:
                    futures[name].append(pool.submit(grade_written, cells, limits, package))
            report = {}
            for name, cells in subs.items():
                if isinstance(cells, Exception):
                    report[name] = [PartResult(p.key, 0.0, p.points, [f"unreadable: {cells}"]) for p in parts]
                    continue
                rows = []
                for f in futures[name]:
                    r = f.result()
                    rows += r if isinstance(r, list) else [r]
                report[name] = rows
    return report


def table(report):
    """The per-part score table as text."""
    if not report:
        return "no submissions"
    keys = [r.part for r in next(iter(report.values()))]
    widths = [max(len(k), 9) for k in keys]
    width = max(12, *(len(Path(n).stem) for n in report))
    head = f"{'submission':<{width}} " + " ".join(f"{k:>{w}}" for k, w in zip(keys, widths)) + f" {'total':>9}"
    lines = [head, "-" * len(head)]
    for name, rows in report.items():
        cells = " ".join(f"{f'{r.score:g}/{r.points:g}':>{w}}" for r, w in zip(rows, widths))
        total = f"{sum(r.score for r in rows):g}/{sum(r.points for r in rows):g}"
        lines.append(f"{Path(name).stem:<{width}} {cells} {total:>9}")
    return "\n".join(lines)


def write_csv(report, path):
    keys = [r.part for r in next(iter(report.values()))] if report else []
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["submission"] + keys + ["total", "max", "failures"])
        for name, rows in report.items():
            w.writerow([name] + [f"{r.score:g}" for r in rows] + [f"{sum(r.score for r in rows):g}",
                       f"{sum(r.points for r in rows):g}", " | ".join(x for r in rows for x in r.failures)])


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m derivations.coursework.grade", description=__doc__.split("\n")[0])
    ap.add_argument("submissions", nargs="+", help="notebooks, .py files or folders of them")
    ap.add_argument("--csv", default="grades.csv", help="where to write the class CSV (default grades.csv)")
    ap.add_argument("--time-limit", type=float, default=10.0, help="seconds per part (default 10)")
    ap.add_argument("--memory-mb", type=int, default=1024, help="address-space limit per part (default 1024)")
    ap.add_argument("--jobs", type=int, default=None, help="parallel workers (default: CPU count)")
    ap.add_argument("--verbose", action="store_true", help="print why each check failed")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    report = grade(find_submissions(args.submissions), limits=Limits(args.time_limit, args.memory_mb),
                   jobs=args.jobs)
    print(table(report))
    if args.verbose:
        for name, rows in report.items():
            for r in rows:
                for why in r.failures:
                    print(f"{Path(name).stem}: {why}")
    write_csv(report, args.csv)
    print(f"\n{len(report)} submissions graded in {time.perf_counter() - t0:.1f}s; CSV: {args.csv}")


if __name__ == "__main__":
    main()
