"""Benchmark of the written-answer checker: every answer of tests/answer_table.py through ``check_answer``.

``check_answer`` forks a fresh sandboxed child per answer from a warm checker that the
first call in a process starts (Python, SymPy and the parts' references loaded once;
:func:`derivations.coursework.sandbox.run_warm`). So the figures are reported apart:

* the first call in a process, from no warm checker at all (its start-up included);
* every later call, one at a time (what a student waits for after their first), median and p95;
* the whole table with two calls at a time (the machine has two cores), wall time;
* the whole table through ``check_batch``, one child per 25 answers.

``run()`` is imported by ``tests/bench.py``.
"""
import statistics
import time
from concurrent.futures import ThreadPoolExecutor


def _p95(times):
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run():
    """``[(label, value, unit, target)]``: first call, later calls' median and p95, and the table's wall times."""
    from derivations.coursework import sandbox
    from derivations.coursework.answers import check_answer
    from derivations.coursework.answers.judging import check_batch

    from .answer_table import TABLE

    def one(row):
        part, latex, _, _ = row
        start = time.perf_counter()
        verdict = check_answer(part, latex, verbose=False)
        return time.perf_counter() - start, verdict.kind

    sandbox.close_zygotes()                    # the first call below starts from nothing
    first_time, first_kind = one(TABLE[0])
    later = [one(row) for row in TABLE]        # one at a time: each call's own latency
    times = [t for t, _ in later]
    agree = sum(kind == row[2] for (_, kind), row in zip(later, TABLE))
    n = len(TABLE)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        paired = list(pool.map(one, TABLE))
    total = time.perf_counter() - start
    paired_agree = sum(kind == row[2] for (_, kind), row in zip(paired, TABLE))
    chunks = [TABLE[k:k + 25] for k in range(0, n, 25)]
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        batched = [v for vs in pool.map(lambda rows: check_batch([(p, t) for p, t, _, _ in rows]), chunks) for v in vs]
    batch_total = time.perf_counter() - start
    batch_agree = sum(v.kind == row[2] for v, row in zip(batched, TABLE))
    return [(f"check_answer, first call in a process (warm checker started; verdict {first_kind})",
             first_time, "s", "< 15"),
            (f"check_answer, later calls one at a time, median ({n} answers)", statistics.median(times), "s", "< 0.5"),
            ("check_answer, later calls one at a time, p95", _p95(times), "s", "< 3"),
            (f"  verdicts as the table expects ({agree}/{n})", agree / n, "share", ">= 1.0"),
            (f"check {n} answers, 2 at a time (wall)", total, "s", "< 120"),
            ("  per call, 2 at a time, median", statistics.median(t for t, _ in paired), "s", "< 0.5"),
            (f"  verdicts as the table expects ({paired_agree}/{n})", paired_agree / n, "share", ">= 1.0"),
            (f"check {n} answers, check_batch of 25, 2 at a time (wall)", batch_total, "s", "< 120"),
            (f"  verdicts as the table expects ({batch_agree}/{n})", batch_agree / n, "share", ">= 1.0")]


if __name__ == "__main__":
    for label, value, unit, target in run():
        print(f"{label}: {value:.3f} {unit} (target {target})")
