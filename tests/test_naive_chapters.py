"""The naive-softmax chapters keep the notation chapter's conventions and show no stray output.

Words are numbered 0..|V|-1 (the notation chapter's table, and NumPy's columns), so a displayed
word subscript of |V| (``u_{|V|}``, ``\\hat y_{|V|}``) or an enumeration starting at 1
(``u_1 & \\cdots``) is a slip. A code cell whose last expression returns a value shows that
value (``0.0``) under the cell: the chapters end such a line with ``;`` or assign it.
"""
import re
from pathlib import Path

import nbformat
import pytest

BOOK = Path(__file__).resolve().parent.parent / "book"
CHAPTERS = ["notation", "a_cross_entropy", "b_grad_v_c", "c_d_grad_U", "explorers"]
# A word subscript equal to |V| (the last word is |V|-1), or a list of words that starts at 1.
OUT_OF_RANGE = re.compile(r"(?:u|v|y|\\theta)_\{\s*(?:\|V\||\\lvert V\\rvert)\s*\}"
                          r"|(?:u|y|\\theta)_1\b[^&]*&\s*\\cdots")


def out_of_range(latex):
    """The word subscripts in ``latex`` that do not run over 0..|V|-1."""
    return [m.group(0) for m in OUT_OF_RANGE.finditer(latex)]


def test_the_scanner_catches_one_based_word_indices():
    assert out_of_range(r"\begin{bmatrix} \hat y_1 v_c & \cdots & \hat y_{|V|} v_c \end{bmatrix}")
    assert out_of_range(r"\frac{\partial J}{\partial u_{|V|}}")
    assert not out_of_range(r"\begin{bmatrix} \hat y_0 v_c & \cdots & \hat y_{|V|-1} v_c \end{bmatrix}")
    assert not out_of_range(r"U \in \mathbb{R}^{d \times |V|}, \sum_{k=1}^{K} u_{w_k}")


def test_naive_softmax_derivations_number_words_from_zero():
    from derivations.symbolic.parts import naive_softmax
    from derivations.symbolic.symbols import WORLDS, naive_softmax_symbols
    world = WORLDS[0]           # every world displays the same chain (in_worlds refuses otherwise)
    for d in (naive_softmax.grad_U(naive_softmax_symbols(world)),
              naive_softmax.grad_u_w_by_lemma(naive_softmax_symbols(world)),
              naive_softmax.softmax_lemma(naive_softmax.scores_symbols(world))):
        bad = [(d.label, tex) for tex in d.chain() if out_of_range(tex)]
        assert not bad, f"word indices outside 0..|V|-1: {bad}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_prose_numbers_words_from_zero(chapter):
    nb = nbformat.read(BOOK / f"{chapter}.ipynb", as_version=4)
    bad = [hit for c in nb.cells if c.cell_type == "markdown" for hit in out_of_range(c.source)]
    assert not bad, f"{chapter}: word indices outside 0..|V|-1 in the prose: {bad}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_cell_shows_a_stray_return_value(chapter):
    nb = nbformat.read(BOOK / f"{chapter}.ipynb", as_version=4)
    stray = []
    for n, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") != "execute_result":
                continue
            data = out.get("data", {})
            if set(data) == {"text/plain"} and re.fullmatch(r"[-+0-9.e]+|None|\(.*\)", data["text/plain"].strip()):
                stray.append((n, data["text/plain"]))
    assert not stray, f"{chapter}: cells whose last expression shows a bare value: {stray}"
