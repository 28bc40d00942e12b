"""The answer table (tests/answer_table.py): every typed answer gets the verdict a careful grader gives it."""
import re

import pytest

from derivations.coursework.answers import REFERENCES, judge
from derivations.coursework.answers.worlds import ANSWER_SIZES, LOCAL, across, coincidences, strict_coincidences

from .answer_table import TABLE

NOTATIONS = {   # what the table must exercise: a name and a pattern one row's LaTeX matches
    "\\boldsymbol": r"\\boldsymbol", "\\bm": r"\\bm\{", "\\mathbf": r"\\mathbf", "\\vec": r"\\vec",
    "template macros": r"\\b[Uvy]\b", "^T": r"\^T", "^{T}": r"\^\{T\}", "^\\top": r"\^\\top",
    "^{\\top}": r"\^\{\\top\}", "^\\intercal": r"\^\\intercal", "'": r"\)'", "u^T_o": r"\^T_",
    "\\hat{y_w}": r"\\hat\{y_w\}", "\\left(": r"\\left\(", "\\cdot": r"\\cdot", "\\times": r"\\times",
    "σ": "σ", "\\exp": r"\\exp", "e^{": r"e\^\{", "\\sum_{w}": r"\\sum_\{w\}", "\\sum_{w\\in V}": r"\\sum_\{w ?\\in V\}",
    "\\sum_{w=1}^{|V|}": r"\\sum_\{w=1\}\^\{\|V\|\}", "\\sum_{k=1}^{K}": r"\\sum_\{k=1\}\^\{K\}",
    "\\sum no bounds": r"\\sum \\", "\\mathbb{1}": r"\\mathbb\{1\}", "\\textbf{1}": r"\\textbf\{1\}_",
    "cases": r"\\begin\{cases\}", "\\forall": r"\\forall s", ", \\quad w \\neq o": r", \\quad w \\neq o",
    "u_k": r"u_k\^", "u_j": r"u_j\^", "0..|V|-1": r"\\sum_\{w=0\}\^\{\|V\|-1\}",
    "\\partial J/\\partial U": r"\\partial J ?/ ?\\partial U", "\\max": r"\\max\(", "\\lim": r"\\lim_\{h \\to 0\^\+\}",
    "(U^\\top v_c)_k": r"\(U\^\\top v_c\)_k", "bmatrix with \\cdots": r"\\begin\{bmatrix\}.*\\cdots",
    "[a, \\dots, b]": r"\\left\[.*\\dots", "\\mathbb{1}_{\\{...\\}}": r"\\mathbb\{1\}_\{\\\{",
}


def test_the_table_is_big_and_covers_every_part_and_notation():
    assert len(TABLE) >= 150
    assert {p for p, _, _, _ in TABLE} == set(REFERENCES)
    for part in REFERENCES:
        kinds = {k for p, _, k, _ in TABLE if p == part}
        assert "correct" in kinds and "wrong" in kinds, part
    missing = [n for n, pattern in NOTATIONS.items() if not any(re.search(pattern, t) for _, t, _, _ in TABLE)]
    assert not missing, missing


def test_the_worlds_have_no_coincidences():
    from derivations.symbolic.symbols import WORLDS
    assert len(ANSWER_SIZES) == len(WORLDS) >= 2          # the engine's worlds, not a list of our own
    assert [s.d for s in ANSWER_SIZES] == [w.d for w in WORLDS]
    assert across(ANSWER_SIZES) == []
    for sizes in ANSWER_SIZES:
        assert coincidences(sizes) == [], sizes
    for sizes in LOCAL:                                    # the fallback meets the stricter rule too
        assert coincidences(sizes) == strict_coincidences(sizes) == [], sizes


# Every row runs in `make test`; `make test-fast` keeps one row in six (all 184 take 15-30 s).
ROWS = [pytest.param(*row, marks=() if k % 6 == 0 else pytest.mark.slow) for k, row in enumerate(TABLE)]


@pytest.mark.parametrize("part,latex,kind,words", ROWS)
def test_answer(part, latex, kind, words):
    r = judge(part, latex)
    assert r.kind == kind, f"{latex}: {r}"
    assert words in r.message, f"{latex}: {r.message!r} lacks {words!r}"
    if kind in ("syntax", "meaning"):
        assert r.position >= 0 and "Traceback" not in r.message
    if kind == "syntax":           # one located line, then the text with a caret under the spot
        lines = r.message.splitlines()
        assert "(at position" in lines[0] and len(lines) == 3 and lines[2].strip() == "^"
    if kind == "wrong":
        assert r.counterexample is not None
