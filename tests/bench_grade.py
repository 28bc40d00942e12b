"""Benchmark: grade a class of 30 notebook submissions, 5 of them hostile (target: under 2 minutes).

The class is realistic rather than kind: most submissions are right, some are
wrong or broken (one each loops forever, segfaults and calls sys.exit), and five
attack the grader (copy the reference, kill every process in reach, leave a
setsid daemon, answer NaN, send files to a socket; tests/test_hostile_submissions.py).
Every notebook also types three written answers. Also reported: the sandbox's
start-up overhead per worker (:func:`derivations.coursework.sandbox.overhead`,
target < 50 ms). Run alone with ``.venv/bin/python tests/bench_grade.py``;
``tests/bench.py`` imports ``run()``.
"""
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from derivations.coursework import grade, sandbox, submissions  # noqa: E402
from tests.test_grade import BROKEN, FINAL, GOOD_NAIVE, notebook  # noqa: E402
from tests.test_hostile_submissions import ATTACKS, ROOT  # noqa: E402

ANSWERS = ('check_answer("b", r"-u_o + \\sum_w \\hat{y}_w u_w")\n'
           'check_answer("d", r"v_c(\\hat{y} - y)^\\top")\n'
           'check_answer("g_uo", r"(\\sigma(u_o^\\top v_c) - 1) v_c")')
BROKEN_KINDS = ["loop", "segfault", "sysexit", "wronggrad", "wrongloss", "raises"]
HOSTILE_KINDS = ["copy_reference", "kill_others", "setsid_daemon", "nan_gradients", "socket_exfiltration"]


def make_class(folder, n=30):
    """``n`` notebooks in ``folder``: the broken kinds, then the hostile ones, then correct ones."""
    folder = Path(folder)
    fill = dict(root=str(ROOT), csv=str(folder / "grades.csv"), honest=str(folder / "student29.ipynb"),
                marker="4242.4242", grader_pid=0, port=9, unix="\0w2v-bench-nobody")
    for i in range(n):
        path = folder / f"student{i:02d}.ipynb"
        if i < len(BROKEN_KINDS):
            notebook(path, GOOD_NAIVE.replace(FINAL, BROKEN[BROKEN_KINDS[i]]), [ANSWERS])
        elif i < len(BROKEN_KINDS) + len(HOSTILE_KINDS):
            notebook(path, ATTACKS[HOSTILE_KINDS[i - len(BROKEN_KINDS)]].format(**fill), [ANSWERS])
        else:
            notebook(path, GOOD_NAIVE, [ANSWERS])


def run():
    with tempfile.TemporaryDirectory() as tmp:
        make_class(tmp)
        t0 = time.perf_counter()
        report = grade.grade(submissions.find_submissions([tmp]))
        seconds = time.perf_counter() - t0
    assert len(report) == 30
    hostile = list(report.values())[len(BROKEN_KINDS):len(BROKEN_KINDS) + len(HOSTILE_KINDS)]
    assert all(rows[0].score == 0 for rows in hostile), "a hostile submission earned naive-softmax points"
    assert list(report.values())[-1][0].score == 10, "the honest submissions lost points"
    overhead = sandbox.overhead(20)
    from derivations.coursework.answers import check_answer, judge
    t0 = time.perf_counter()
    assert judge("b", r"-u_o + \sum_w \hat{y}_w u_w").correct
    in_process = time.perf_counter() - t0
    t0 = time.perf_counter()
    assert check_answer("b", r"U(\hat{y} - y)", verbose=False).correct
    isolated = time.perf_counter() - t0
    return [("grade 30 submissions, 5 hostile (derivations.coursework.grade)", seconds, "s",
             "< 120 s on 2 shared cores"),
            ("sandbox start-up overhead per worker (sandbox.overhead)", 1e3 * overhead, "ms", "< 50"),
            ("check one written answer, in process", in_process, "s", ""),
            ("check_answer (own sandboxed process)", isolated, "s", "")]


if __name__ == "__main__":
    for label, value, unit, target in run():
        print(f"{label}: {value:.3g} {unit} (target {target})")
