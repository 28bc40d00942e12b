"""Benchmark: grade a class of 30 notebook submissions (target: under 2 minutes).

The class is realistic rather than kind: most submissions are right, some are
wrong, and one each loops forever, segfaults and calls sys.exit; every
notebook also types three written answers. Run alone with
``.venv/bin/python tests/bench_grade.py``; ``tests/bench.py`` imports ``run()``.
"""
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from derivations.coursework import grade  # noqa: E402
from tests.test_grade import BROKEN, FINAL, GOOD_NAIVE, notebook  # noqa: E402

ANSWERS = ('check_answer("b", r"-u_o + \\sum_w \\hat{y}_w u_w")\n'
           'check_answer("d", r"v_c(\\hat{y} - y)^\\top")\n'
           'check_answer("g_uo", r"(\\sigma(u_o^\\top v_c) - 1) v_c")')


def make_class(folder, n=30):
    kinds = ["loop", "segfault", "sysexit", "wronggrad", "wrongloss", "raises"]
    for i in range(n):
        kind = kinds[i] if i < len(kinds) else None
        body = GOOD_NAIVE if kind is None else GOOD_NAIVE.replace(FINAL, BROKEN[kind])
        notebook(Path(folder) / f"student{i:02d}.ipynb", body, [ANSWERS])


def run():
    with tempfile.TemporaryDirectory() as tmp:
        make_class(tmp)
        t0 = time.perf_counter()
        report = grade.grade(grade.find_submissions([tmp]))
        seconds = time.perf_counter() - t0
    assert len(report) == 30
    from derivations.coursework.answers import check, check_answer
    t0 = time.perf_counter()
    assert check("b", r"-u_o + \sum_w \hat{y}_w u_w").correct
    in_process = time.perf_counter() - t0
    t0 = time.perf_counter()
    assert check_answer("b", r"U(\hat{y} - y)", verbose=False).correct
    isolated = time.perf_counter() - t0
    return [("grade 30 submissions (derivations.coursework.grade)", seconds, "s", "< 120 s on 2 shared cores"),
            ("check one written answer, in process", in_process, "s", ""),
            ("check_answer (own limited process)", isolated, "s", "")]


if __name__ == "__main__":
    for label, value, unit, target in run():
        print(f"{label}: {value:.1f} {unit} (target {target})")
