"""Benchmark of the written-answer checker: every answer of tests/answer_table.py through ``check_answer``.

Two ways: every answer as one ``check_answer`` call (a fresh sandboxed worker process:
start-up, SymPy's import and the worlds included, as a student's notebook runs it), and
the whole table through ``check_batch`` (one worker per 25 answers, as an instructor's
many answers). Two run at a time (the machine has two cores). ``run()`` is imported by
``tests/bench.py``.
"""
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def run():
    """``[(label, value, unit, target)]``: median and p95 seconds per answer, and the whole table's wall time."""
    from derivations.coursework.answers import check_answer
    from derivations.coursework.answers.judging import check_batch

    from .answer_table import TABLE

    def one(row):
        part, latex, _, _ = row
        start = time.perf_counter()
        verdict = check_answer(part, latex, verbose=False)
        return time.perf_counter() - start, verdict.kind

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(one, TABLE))
    total = time.perf_counter() - start
    times = np.array([t for t, _ in results])
    agree = sum(kind == row[2] for (_, kind), row in zip(results, TABLE))
    n = len(TABLE)
    chunks = [TABLE[k:k + 25] for k in range(0, n, 25)]
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        batched = [v for vs in pool.map(lambda rows: check_batch([(p, t) for p, t, _, _ in rows]), chunks) for v in vs]
    batch_total = time.perf_counter() - start
    batch_agree = sum(v.kind == row[2] for v, row in zip(batched, TABLE))
    return [(f"check {n} answers, one worker per 25, 2 at a time (wall)", batch_total, "s", "< 120"),
            (f"  per answer, start-up shared by 25 (mean)", batch_total * 2 / n, "s", "< 0.5"),
            (f"  verdicts as the table expects ({batch_agree}/{n})", batch_agree / n, "share", ">= 1.0"),
            (f"check_answer per answer, median ({n} answers, worker start-up included)",
             float(np.median(times)), "s", "< 0.5"),
            ("check_answer per answer, p95", float(np.percentile(times, 95)), "s", "< 3"),
            (f"check {n} answers, 2 at a time (wall)", total, "s", "< 120"),
            (f"verdicts as the table expects ({agree}/{n})", agree / n, "share", ">= 1.0")]


if __name__ == "__main__":
    for label, value, unit, target in run():
        print(f"{label}: {value:.3f} {unit} (target {target})")
