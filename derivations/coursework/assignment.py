"""The programming assignment notebook, generated from the package's solution regions.

One source: each graded function of :mod:`derivations.coursework.grade` is taken from
its module with ``inspect.getsource`` (solution region included) into an
answer cell, followed by a test cell that runs the grader's hidden-point
checks (:func:`derivations.coursework.rubric.assert_part`). The instructor version keeps
the regions; :func:`derivations.coursework.edition.student_notebook` turns it into the
student version; :func:`nbgrader_notebook` adds nbgrader's cell metadata so
``nbgrader generate_assignment`` / ``autograde`` work on it (and on any
chapter marked as :mod:`derivations.coursework.edition` describes).

``python -m derivations.coursework.assignment --nbgrader-source DIR`` writes
``DIR/assignment.ipynb`` ready for ``source/<assignment>/`` of a course.
"""
import argparse
import inspect
import re
from pathlib import Path

import nbformat

from . import rubric
from .edition import BEGIN, END, is_solution_cell

IMPORTS = """import numpy as np

from derivations.core.arguments import as_word_index, as_word_indices, check_v_c_U
from derivations.core.functions import log_sigmoid, log_softmax, sigmoid, softmax
from derivations.core.gradcheck import check_gradients
from derivations.training.trainer import check_batch
from derivations.coursework.answers import check_answer"""


def _function_source(name):
    import derivations
    import derivations.training.trainer
    for module in (derivations.core.losses, derivations.core.skipgram, derivations.training.trainer):
        if hasattr(module, name):
            return inspect.getsource(getattr(module, name))
    raise LookupError(f"no graded function {name!r} in derivations")


def assignment_notebook():
    """The instructor version (solutions inside their regions) as an nbformat notebook."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cells = [nbformat.v4.new_markdown_cell(
        "# Assignment: the word2vec losses and their gradients\n\n"
        "Write the body of each function below (the chapters derive what it must compute), then run "
        "the check after it. The same checks, at other points, grade your submission. Type the final "
        "formula of each written part with `check_answer(part, r\"...\")`; it parses your LaTeX and "
        "tells you whether it is right."),
        nbformat.v4.new_code_cell(IMPORTS)]
    for part in rubric.default_parts():
        cells.append(nbformat.v4.new_markdown_cell(f"## {part.title} ({part.points:g} points)"))
        source = _function_source(part.function)
        if BEGIN not in source:
            raise ValueError(f"{part.function} has no '{BEGIN}' region to turn into an exercise")
        answer = nbformat.v4.new_code_cell(source.rstrip())
        answer.metadata["coursework"] = {"part": part.key, "answer": True}
        cells.append(answer)
        test = nbformat.v4.new_code_cell(
            f"from derivations.coursework.rubric import assert_part\nassert_part({part.key!r}, {part.function})")
        test.metadata["coursework"] = {"part": part.key, "test": True, "points": part.points}
        cells.append(test)
    from .answers import REFERENCES
    lines = [f'# check_answer("{key}", r"...")   # {ref.asks}' for key, ref in REFERENCES.items()]
    cells.append(nbformat.v4.new_markdown_cell(
        "## Written parts\n\nFor each part, replace `...` by your final formula in LaTeX and run the cell."))
    cells.append(nbformat.v4.new_code_cell("\n".join(lines)))
    nb.cells = cells
    return nb


def _split_marker_literals(source):
    """``"### BEGIN SOLUTION"`` as a string *in code* becomes ``"### BEGIN" " SOLUTION"``.

    nbgrader takes any line containing the marker text for a marker; Python
    joins adjacent literals, so the code means exactly what it meant.
    """
    for marker in (BEGIN, END):
        head, tail = marker.rsplit(" ", 1)
        source = re.sub(rf"(['\"]){re.escape(marker)}\1", rf'\1{head}\1 \1 {tail}\1', source)
    return source


def nbgrader_notebook(nb, manual_points=2):
    """Return a copy of ``nb`` with nbgrader cell metadata (schema 3).

    Cells with solution regions become autograded answer cells; tagged
    solution cells become manually graded answers (code ones get their whole
    source as the region); test cells from :func:`assignment_notebook`
    become autograder tests worth their part's points.
    """
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)
    for k, cell in enumerate(nb.cells):
        meta = {"schema_version": 3, "grade_id": f"cell-{k}", "locked": False,
                "solution": False, "grade": False, "task": False}
        if cell.cell_type == "code":
            cell.source = _split_marker_literals(cell.source)
        lines = [ln.strip() for ln in cell.source.splitlines()]
        tagged = is_solution_cell(cell)
        info = cell.metadata.get("coursework", {})
        if info.get("test"):
            meta.update(grade=True, points=info["points"], locked=True)
        elif tagged:
            meta.update(solution=True, grade=True, points=manual_points)
            if cell.cell_type == "code" and BEGIN not in lines:
                cell.source = f"{BEGIN}\n{cell.source}\n{END}"
            cell.metadata["tags"] = [t for t in cell.metadata.get("tags", []) if t != "solution"]
        elif cell.cell_type == "code" and BEGIN in lines:
            meta.update(solution=True)
        else:
            continue
        cell.metadata["nbgrader"] = meta
    return nb


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nbgrader-source", type=Path, required=True, help="folder to write assignment.ipynb into")
    args = ap.parse_args(argv)
    args.nbgrader_source.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbgrader_notebook(assignment_notebook()), args.nbgrader_source / "assignment.ipynb")
    print(f"wrote {args.nbgrader_source / 'assignment.ipynb'}")


if __name__ == "__main__":
    main()
