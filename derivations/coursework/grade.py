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
* **The reference.** This process computes the instructor's reference values at hidden
  points and the worker returns raw values only (:mod:`derivations.coursework.rubric`
  says how, and what the student edition's grader refuses).
* **Error boundaries.** Every submission is read with caps checked *before*
  parsing (file size, JSON nesting depth, cell count, cell size, total code;
  :func:`code_cells`) and graded in its own ``try``: one that cannot be read
  gets a row of zeros with the reason; every other row is unchanged. Failure
  texts are stripped of control characters (:func:`clean`); CSV cells starting
  with a formula character get a ``'`` (:func:`csv_cell`). The CSV header comes
  from the list of parts, never from a row.

The rubric is :mod:`derivations.coursework.rubric`; reading submissions,
:mod:`derivations.coursework.submissions`.

Written answers found in a notebook as ``check_answer("b", r"...")`` calls (two
positional string literals, read from the tokens, never run) earn
``credit(verdict)`` of the part's points (:func:`derivations.coursework.verdicts.credit`:
half for a formula right only up to a transpose); the same formula typed by
several students is checked once.
"""
import argparse
import csv
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import sandbox
from .edition import strip_package
from .rubric import PartResult, ReferenceMissing, Returned, calls_of, default_parts, judge_part
from .safe_text import clean, csv_cell
from .submissions import Unreadable, code_cells, find_submissions, written_answers

ROOT = Path(__file__).resolve().parents[2]
CODE_WORKER = Path(__file__).resolve().with_name("code_worker.py")
ANSWER_WORKER = Path(__file__).resolve().with_name("answer_worker.py")

# Per process (one part of one submission): wall seconds, address space, processes, result size.
CODE_LIMITS = sandbox.Limits(seconds=10, memory_mb=1024, processes=16, output_bytes=4 << 20)
ANSWER_LIMITS = sandbox.Limits(seconds=10, memory_mb=1024, processes=16, output_bytes=1 << 16)


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
        calls = calls_of(part)
        request = {"cells": cells, "function": part.function, "calls": calls, "array_args": list(part.array_args)}
        result, problem = _run(CODE_WORKER, request, limits, package, unsafe)
        raw = result.get("results") if isinstance(result, dict) else None
        if result is not None and (not isinstance(raw, list) or len(raw) != len(calls)):
            problem = f"reported {len(raw) if isinstance(raw, list) else 'no'} results for {len(calls)} calls"
        if problem:
            return PartResult(part.key, 0.0, part.points, [clean(f"{c.name}: {problem}") for c in part.criteria])
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


def judge_written(key, latex, package, limits, unsafe=False):
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
                        checks[key, latex] = pool.submit(judge_written, key, latex, tmp, answer_limits, unsafe)
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
