"""The assignment works with a real grading tool: nbgrader 0.9.6 with its sqlite gradebook.

In a temporary course: ``nbgrader generate_assignment`` strips the solution
regions of the generated assignment notebook (and accepts every chapter),
then ``nbgrader autograde`` executes two submissions: a correct one earns every
autograded point, an untouched release earns none.
"""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from derivations.coursework import grade, rubric
from derivations.coursework.assignment import assignment_notebook, nbgrader_notebook
from tests.test_grade import GOOD_NAIVE, GOOD_NAIVE_BATCH, GOOD_NEG, GOOD_NEG_BATCH

ROOT = Path(__file__).resolve().parent.parent
NBGRADER = str(Path(sys.executable).with_name("nbgrader"))
pytestmark = pytest.mark.slow


def nbgrader(course, *args):
    # nbgrader runs `alembic` from PATH: the virtualenv's bin first.
    env = dict(os.environ, PYTHONPATH=str(ROOT),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    res = subprocess.run([NBGRADER, *args, "--force", "--debug"], cwd=course, capture_output=True, text=True,
                         env=env, timeout=600)
    assert res.returncode == 0, (args, res.stdout[-3000:], res.stderr[-3000:])
    return res


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        f"c.CourseDirectory.db_url = 'sqlite:///{course}/gradebook.db'\n"
        "c.ExecutePreprocessor.timeout = 120\n")
    src = course / "source" / "ps1"
    src.mkdir(parents=True)
    nbformat.write(nbgrader_notebook(assignment_notebook()), src / "assignment.ipynb")
    nbgrader(course, "generate_assignment", "ps1")
    return course


def test_generate_assignment_strips_solutions(course):
    release = (course / "release" / "ps1" / "assignment.ipynb").read_text()
    assert "BEGIN SOLUTION" not in release and "YOUR CODE HERE" in release
    source = (course / "source" / "ps1" / "assignment.ipynb").read_text()
    # every line of every solution region is gone from the release
    for region in re.findall(r"### BEGIN SOLUTION\\n(.*?)### END SOLUTION", source, re.S):
        for line in region.encode().decode("unicode_escape").splitlines():
            code = line.split("#")[0].strip()
            if len(code) > 12:
                assert code not in release, code


def test_every_chapter_is_accepted_by_nbgrader(course):
    src = course / "source" / "book"
    src.mkdir(parents=True, exist_ok=True)
    chapters = sorted((ROOT / "book").glob("*.ipynb"))
    for path in chapters:
        nbformat.write(nbgrader_notebook(nbformat.read(path, as_version=4)), src / path.name)
    nbgrader(course, "generate_assignment", "book")
    assert sorted(p.name for p in (course / "release" / "book").glob("*.ipynb")) == [p.name for p in chapters]


def _submit(course, student, fill):
    nb = nbformat.read(course / "release" / "ps1" / "assignment.ipynb", as_version=4)
    mine = {"naive_softmax_loss_and_gradient": GOOD_NAIVE, "neg_sampling_loss_and_gradient": GOOD_NEG,
            "neg_sampling_batch_loss_and_gradient": GOOD_NEG_BATCH,
            "naive_softmax_batch_loss_and_gradient": GOOD_NAIVE_BATCH}
    for cell in nb.cells:
        for name, source in mine.items():
            if fill and f"def {name}(" in cell.source:
                cell.source = source
    dest = course / "submitted" / student / "ps1"
    dest.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest / "assignment.ipynb")


def test_autograde_scores_a_correct_and_an_empty_submission(course):
    _submit(course, "alice", fill=True)
    _submit(course, "bob", fill=False)
    nbgrader(course, "autograde", "ps1")
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        alice = gb.find_submission("ps1", "alice")
        bob = gb.find_submission("ps1", "bob")
        full = sum(p.points for p in rubric.default_parts())
        assert alice.max_score == full
        assert alice.score == full, [(g.name, g.score) for n in alice.notebooks for g in n.grades]
        assert bob.score == 0
    graded = json.loads((course / "autograded" / "alice" / "ps1" / "assignment.ipynb").read_text())
    passed = [o for c in graded["cells"] for o in c.get("outputs", []) if "criteria pass" in "".join(o.get("text", ""))]
    assert len(passed) == len(rubric.default_parts())


def test_assignment_imports_no_private_name():
    """Students copy the assignment's imports: every name they use from the package is public."""
    from tests.test_suite_rules import private_uses
    cells = [c.source for c in assignment_notebook().cells if c.cell_type == "code"]
    assert "from derivations.training.trainer import check_batch" in cells[0]
    assert [p for source in cells for p in private_uses(source)] == []
