"""The autograder against broken submissions: each failure costs its own part only; the rubric.

Hostile submissions (escaping the sandbox, copying the reference, harming the
run) are in tests/test_hostile_submissions.py.
"""
import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from derivations.coursework import grade, rubric, sandbox, submissions

# Slow: its module fixtures grade whole classes in the sandbox (20-50 s on 2 busy cores); `make test-fast` leaves it out, `make test` runs it.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def require_sandbox():
    """Skip where bubblewrap cannot run, except in CI (CI=true), where that is a failure."""
    reason = sandbox.available()
    if reason is not None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"the grading sandbox must work in CI: {reason}")
        pytest.skip(f"no grading sandbox here: {reason}")

# A correct submission written for this test (loops, not the reference's vectorised form).
GOOD_NAIVE = '''
def naive_softmax_loss_and_gradient(v_c, o, U):
    scores = U.T @ v_c
    shift = scores.max()
    e = np.exp(scores - shift)
    y_hat = e / e.sum()
    loss = -(scores[o] - shift - np.log(e.sum()))
    delta = y_hat.copy()
    delta[o] -= 1
    return loss, U @ delta, np.outer(v_c, delta)
'''
GOOD_NEG = '''
def neg_sampling_loss_and_gradient(v_c, o, U, negatives):
    sig = lambda x: 1 / (1 + np.exp(-x))
    loss = -np.log(sig(U[:, o] @ v_c))
    grad_v_c = -(1 - sig(U[:, o] @ v_c)) * U[:, o]
    grad_U = np.zeros_like(U)
    grad_U[:, o] = -(1 - sig(U[:, o] @ v_c)) * v_c
    for w in negatives:
        loss -= np.log(sig(-U[:, w] @ v_c))
        grad_v_c += (1 - sig(-U[:, w] @ v_c)) * U[:, w]
        grad_U[:, w] += (1 - sig(-U[:, w] @ v_c)) * v_c
    return loss, grad_v_c, grad_U
'''
GOOD_NEG_BATCH = '''
def neg_sampling_batch_loss_and_gradient(V_c, U_ow, mask=None, compute_loss=True):
    b, m, d = V_c.shape
    mask = np.ones((b, m)) if mask is None else np.asarray(mask, float)
    loss, grad_V_c, grad_U_ow = 0.0, np.zeros_like(V_c), np.zeros_like(U_ow)
    for i in range(b):
        for j in range(m):
            s = U_ow[i].T @ V_c[i, j]
            loss += mask[i, j] * np.sum(np.log1p(np.exp(-s)))
            g = -mask[i, j] / (1 + np.exp(s))
            grad_V_c[i, j] = U_ow[i] @ g
            grad_U_ow[i] += np.outer(V_c[i, j], g)
    return loss, grad_V_c, grad_U_ow
'''
GOOD_NAIVE_BATCH = '''
def naive_softmax_batch_loss_and_gradient(V_c, o, U):
    loss, grad_V_c, grad_U = 0.0, np.zeros_like(V_c), np.zeros_like(U)
    for p, v in enumerate(V_c):
        l, gv, gU = naive_softmax_loss_and_gradient(v, o[p], U)
        loss += l
        grad_V_c[p] = gv
        grad_U += gU
    return loss, grad_V_c, grad_U
'''
FINAL = "    return loss, U @ delta, np.outer(v_c, delta)"
BROKEN = {   # what replaces the naive function's last line
    "loop": "    while True:\n        pass",
    "sysexit": "    import sys\n    sys.exit(3)",
    "osexit": "    import os\n    os._exit(0)",
    "segfault": "    import ctypes\n    ctypes.string_at(0)",
    "hugealloc": "    big = np.ones((1 << 40,))\n    return big",
    "greedy": "    hog = []\n    while True:\n        hog.append(bytearray(1 << 24))",
    "raises": "    raise ValueError('oops')",
    "wronggrad": "    return loss, U @ delta, 1.01 * np.outer(v_c, delta)",
    "wrongloss": "    return loss + 0.5, U @ delta, np.outer(v_c, delta)",
    "fork": "    import os\n    os.fork()\n    while True:\n        pass",
}
RUBRIC = {   # answers that are partly right: (body, points of the naive part they earn)
    "transposed": "    return loss, U @ delta, np.outer(delta, v_c)",
    "zerograds": "    return loss, 0 * v_c, 0 * U",
    "lossonly": "    return loss,",
    "intgrads": "    return loss, (U @ delta).astype(int), np.outer(v_c, delta)",
    "rowvector": "    return loss, (U @ delta)[None, :], np.outer(v_c, delta)",
    "lossarray": "    return np.array([loss]), U @ delta, np.outer(v_c, delta)",
}


def notebook(path, naive, extra_cells=()):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# My answers"),
                nbformat.v4.new_code_cell("import numpy as np"),
                nbformat.v4.new_code_cell(naive),
                nbformat.v4.new_code_cell(GOOD_NEG),
                nbformat.v4.new_code_cell(GOOD_NEG_BATCH),
                *[nbformat.v4.new_code_cell(c) for c in extra_cells]]
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    require_sandbox()
    folder = tmp_path_factory.mktemp("class")
    notebook(folder / "good.ipynb", GOOD_NAIVE, [
        "while True:\n    pass",                              # top-level statements are never run
        "import sys\nsys.exit(1)",
        'check_answer("b", r"U(\\hat{y} - y)")\ncheck_answer("d", r"(\\hat{y} - y) v_c^T")\n'
        'check_answer("f", r"__import__(\'os\').system(\'touch PWNED\')")'])
    for name, body in BROKEN.items():
        notebook(folder / f"{name}.ipynb", GOOD_NAIVE.replace(FINAL, body))
    (folder / "script.py").write_text("import numpy as np\n" + GOOD_NAIVE + GOOD_NEG + GOOD_NEG_BATCH
                                      + GOOD_NAIVE_BATCH)
    (folder / "imports_reference.py").write_text(
        "from derivations import naive_softmax_loss_and_gradient, neg_sampling_loss_and_gradient\n")
    (folder / "garbage.ipynb").write_text("{not json")
    for name, body in RUBRIC.items():
        notebook(folder / f"{name}.ipynb", GOOD_NAIVE.replace(FINAL, body))
    report = grade.grade(submissions.find_submissions([folder]), limits=sandbox.Limits(seconds=6, memory_mb=1024))
    return {Path(k).stem: {r.part: r for r in rows} for k, rows in report.items()}, report, folder


def test_correct_submission_gets_full_code_marks(graded):
    scores, _, _ = graded
    for who in ("good", "script"):
        for part in ("naive_softmax", "neg_sampling", "neg_sampling_batch"):
            r = scores[who][part]
            assert r.score == r.points, (who, r.failures)
    r = scores["script"]["naive_softmax_batch"]
    assert r.score == r.points, r.failures


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_failure_costs_its_part_only(graded, name):
    scores, _, _ = graded
    naive, neg = scores[name]["naive_softmax"], scores[name]["neg_sampling"]
    assert naive.score < naive.points, naive
    assert neg.score == neg.points, (name, neg.failures)


def test_failure_reasons_are_reported(graded):
    scores, _, _ = graded
    reasons = {name: " ".join(scores[name]["naive_softmax"].failures) for name in BROKEN}
    assert "time limit" in reasons["loop"]
    assert "SystemExit" in reasons["sysexit"]
    assert "without reporting" in reasons["osexit"]
    assert "segmentation fault" in reasons["segfault"]
    assert "MemoryError" in reasons["hugealloc"] or "MemoryError" in reasons["greedy"]
    assert "ValueError: oops" in reasons["raises"]
    assert "grad_U: matches the reference" in reasons["wronggrad"] and "gradcheck" in reasons["wronggrad"]
    assert "loss:" not in reasons["wronggrad"]
    assert "loss: matches the reference" in reasons["wrongloss"]
    assert "not awarded: the loss does not match the reference" in reasons["wrongloss"]
    assert "time limit" in reasons["fork"]


def test_wrong_gradient_keeps_the_loss_points(graded):
    scores, _, _ = graded
    r = scores["wronggrad"]["naive_softmax"]
    assert r.score == 7, r.failures          # all but grad_U against the reference (2) and its gradcheck (1)


def test_a_wrong_loss_earns_no_identity_or_gradcheck_points(graded):
    """The gate: identities and gradchecks count only once the loss matches the reference."""
    scores, _, _ = graded
    r = scores["wrongloss"]["naive_softmax"]
    assert r.score == 4, r.failures          # the two gradients against the reference, nothing else


# The stated rubric (book/instructors.md): naive softmax is loss 2, grad_v_c 2, grad_U 2 against
# the reference, then identities 1 + 0.5 + 0.5 and gradchecks 1 + 1, gated on the loss.
RUBRIC_SCORES = {
    "transposed": 2 + 2 + 1 + 2 + 1,        # grad_U right only transposed: half its 2; its gradcheck 0
    "zerograds": 2 + 2,                     # the loss and its identities; never full marks
    "lossonly": 0,                          # one value where three are due: nothing can be judged
    "intgrads": 2 + 2 + 2 + 1,              # grad_v_c of an integer dtype: its two checks lost
    "rowvector": 2 + 1 + 2 + 2 + 1,         # grad_v_c as a 1 x d row: half; its gradcheck 0
    "lossarray": 0 + 2 + 2,                 # a loss of shape (1,) is not the scalar asked for
}


@pytest.mark.parametrize("name", sorted(RUBRIC))
def test_partial_credit_follows_the_rubric(graded, name):
    scores, _, _ = graded
    r = scores[name]["naive_softmax"]
    assert r.score == RUBRIC_SCORES[name], (name, r.failures)
    assert scores[name]["neg_sampling"].score == 10


def test_reference_points_are_hidden_and_seeded():
    """The comparison points come from the seed: another seed, other points."""
    a, b = rubric.naive_softmax_part(1), rubric.naive_softmax_part(2)
    assert not np.allclose(a.hidden[0][0], b.hidden[0][0])
    assert all(np.allclose(x, y) for x, y in zip(a.hidden[0][0], rubric.naive_softmax_part(1).hidden[0][0]))


def test_reference_imported_from_the_package_earns_nothing(graded):
    scores, _, _ = graded
    for part in ("naive_softmax", "neg_sampling"):
        r = scores["imports_reference"][part]
        assert r.score == 0 and "not defined in the submission" in " ".join(r.failures), r


def test_written_answers_graded_from_literals(graded):
    scores, _, folder = graded
    good = scores["good"]
    assert good["(b)"].score == good["(b)"].points
    assert good["(d)"].score == good["(d)"].points / 2          # transposed: half
    assert good["(f)"].score == 0 and good["(f)"].failures
    assert good["(a)"].score == 0
    assert not (folder / "PWNED").exists() and not Path("PWNED").exists()


def test_unreadable_submission_scores_zero(graded):
    scores, report, _ = graded
    assert all(r.score == 0 for r in scores["garbage"].values())
    assert "not a notebook: not JSON" in scores["garbage"]["naive_softmax"].failures[0]
    assert [r.part for r in next(rows for k, rows in report.items() if k.endswith("garbage.ipynb"))] == report.columns


def test_table_and_csv(graded, tmp_path):
    _, report, _ = graded
    text = grade.table(report)
    assert "naive_softmax" in text and "good" in text
    out = tmp_path / "class.csv"
    grade.write_csv(report, out)
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == len(report)
    good = next(r for r in rows if r["submission"].endswith("good.ipynb"))
    assert float(good["naive_softmax"]) == 10 and float(good["naive_softmax_batch"]) == 0
    assert float(good["max"]) == sum(
        r.points for r in report[next(k for k in report if k.endswith("good.ipynb"))])


def test_cli(tmp_path):
    sub = notebook(tmp_path / "bob.ipynb", GOOD_NAIVE)
    out = subprocess.run([sys.executable, "-m", "derivations.coursework.grade", str(sub), "--csv", str(tmp_path / "g.csv")],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    row = next(line for line in out.stdout.splitlines() if line.startswith("bob"))
    assert "sandbox" not in out.stderr
    assert row.split()[1:3] == ["10/10", "10/10"], out.stdout
    assert (tmp_path / "g.csv").read_text().count("\n") == 2


def test_every_exercise_function_has_grading_tests():
    """Each function whose body is a solution region in derivations/**/*.py (not the derivation
    parts, which are graded as written answers) must be a graded part."""
    from derivations.coursework.edition import strip_regions
    from derivations.coursework.answers import REFERENCES
    graded_functions = {p.function for p in rubric.default_parts()}
    assert set(rubric.WRITTEN_ANSWER_FUNCTIONS.values()) <= set(REFERENCES) | set("abcdefghi")
    graded_functions |= set(rubric.WRITTEN_ANSWER_FUNCTIONS)
    owners = set()
    for path in (ROOT / "derivations").rglob("*.py"):
        if "parts" in path.relative_to(ROOT / "derivations").parts:
            continue
        _, regions = strip_regions(path.read_text(), path.name)
        owners |= {(path.name, r.owner) for r in regions if r.kind == "code" and r.owner}
    assert {f for _, f in owners} >= {"naive_softmax_loss_and_gradient", "neg_sampling_batch_loss_and_gradient"}
    for name, owner in owners:
        assert owner in graded_functions, f"{name}: {owner} has no grading tests"


def test_every_part_has_a_reference_and_the_rubric_adds_up():
    for part in rubric.default_parts():
        assert callable(part.reference_function())
        names = [c.name for c in part.criteria]
        assert names[0] == "loss: matches the reference" and len(set(names)) == len(names)
        refs = [c for c in part.criteria if isinstance(c, rubric.ReferenceCriterion)]
        assert [c.output for c in refs] == [0, 1, 2]
        assert sum(c.points for c in refs) >= part.points / 2          # most points need the reference
    assert [p.points for p in rubric.PARTS] == [10, 10, 5, 5]


def test_instructor_page_lists_the_points():
    """book/instructors.md's points tables are exactly the grader's parts and written answers."""
    from derivations.coursework.answers import REFERENCES
    page = (ROOT / "book" / "instructors.md").read_text()
    rows = {}
    for line in page.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows.setdefault(cells[0].strip("`"), []).append((cells[1], float(cells[2])))
    expected = {p.key: [(c.name, c.points) for c in p.criteria] for p in rubric.default_parts()}
    assert {k: v for k, v in rows.items() if k in expected} == expected
    assert {k: sum(p for _, p in v) for k, v in rows.items() if k not in expected} == {
        k: r.points for k, r in REFERENCES.items()}


def test_reference_implementations_pass_every_part():
    """Every check accepts the book's own functions."""
    import derivations
    import derivations.training.trainer
    for part in rubric.default_parts():
        function = getattr(derivations, part.function, None) or getattr(derivations.training.trainer, part.function)
        assert rubric.assert_part(part.key, function) == part.points


def test_assert_part_reports_failures():
    # A constant loss with zero gradients would pass every gradcheck: the reference catches it.
    with pytest.raises(AssertionError, match=r"loss: matches the reference: differs"):
        rubric.assert_part("naive_softmax", lambda v_c, o, U: (0.0, v_c * 0, U * 0))


def test_assert_part_without_a_reference_runs_the_other_checks(monkeypatch, capsys):
    """In the student edition (reference stripped) the notebook check still runs what needs no reference."""
    from derivations.core import losses

    def stripped(*args):
        raise NotImplementedError("naive_softmax_loss_and_gradient is not written yet")
    mine = losses.naive_softmax_loss_and_gradient
    monkeypatch.setattr(losses, "naive_softmax_loss_and_gradient", stripped)
    assert rubric.assert_part("naive_softmax", mine) == 4          # identities 2, gradchecks 2
    assert "need no reference pass" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="exp"):
        rubric.assert_part("naive_softmax", lambda v_c, o, U: (0.0, v_c * 0, U * 0))
    with pytest.raises(rubric.ReferenceMissing, match="student edition"):
        grade.grade([], parts=[rubric.naive_softmax_part()], written=False, unsafe=True)
