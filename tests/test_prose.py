"""The slips a careful reader notices in prose, caught over every chapter.

* **Word indices** run from 0 to |V| - 1, as the notation chapter's table says: no range of
  words written from 1 to |V| (``u_1, \\dots, u_{|V|}``).
* **No stray outputs**: a code cell whose only output is a bare number (``0.0``,
  ``np.float64(0.25)``) shows the reader a value nobody explained, usually the return
  value of a check left as the cell's last line.
* **No raw TeX**: in the built pages, no backslash command is left outside rendered math
  (a formula written without its ``$``, or TeX in text that is not parsed as Markdown).
* **Numbers with units are read, not typed**: a number with a unit (ms, s, %) in a
  chapter's prose must appear in one of that chapter's stored outputs, so that the text
  cannot drift from what the chapter measures (pages without outputs have nothing to measure).

Each rule is a function returning what it found; a test runs it over every chapter and
another shows on a small made-up example that it fails on the slip.
"""
import html.parser
import re
from pathlib import Path

import nbformat
import pytest

from tests.bench_pages import pages as book_pages
from tests.conftest import ROOT

BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
PAGES = NOTEBOOKS + sorted(BOOK.glob("*.md"))

FENCED = re.compile(r"^(`{3,}|:{3,}).*?^\1", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")
MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$", re.S)


def _markdown_of(path):
    """The prose a reader sees: a notebook's Markdown cells and Markdown outputs, or a .md page."""
    if path.suffix == ".md":
        return [path.read_text(encoding="utf-8")]
    nb = nbformat.read(path, as_version=4)
    texts = [c.source for c in nb.cells if c.cell_type == "markdown"]
    texts += [o["data"]["text/markdown"] for c in nb.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if "text/markdown" in o.get("data", {})]
    return texts


def _without_code(text):
    return INLINE_CODE.sub(" ", FENCED.sub(" ", text))


# -- word indices --------------------------------------------------------------------------

SIZE = r"(?:\|V\||\\lvert\s*V\s*\\rvert|\\left\|\s*V\s*\\right\||\\\|V\\\|)"
DOTS = r"(?:\\[lc]?dots|\.\.\.?|…)"
# x_1, \dots, x_{|V|}   /   x_{1} \ldots x_{\lvert V\rvert}   /   1..|V|   /   1, \dots, |V|
# Also a word's subscript equal to |V| (the last word is |V|-1), and a row of columns that starts at
# word 1 (u_1 & \cdots).
WORD_RANGE = re.compile(
    rf"_\{{?\s*1\s*\}}?\s*,?\s*{DOTS}\s*,?\s*[^$\n]{{0,30}}?_\{{\s*{SIZE}\s*\}}"
    rf"|(?<![\w.\\-])1\s*(?:,\s*)?{DOTS}\s*(?:,\s*)?{SIZE}"
    rf"|(?<![A-Za-z])(?:u|v|y|\\theta)_\{{\s*{SIZE}\s*\}}"
    rf"|(?<![A-Za-z])(?:u|y|\\theta)_1\b[^&$\n]*&\s*\\cdots")
# The notation chapter's table: word indices are "integers in 0..|V|-1".
ZERO_BASED = re.compile(rf"0\s*{DOTS}\s*,?\s*{SIZE}\s*-\s*1")


def word_ranges_from_1(text):
    """Every range of words numbered from 1 to |V| in ``text`` (code left out)."""
    return [m.group(0) for m in WORD_RANGE.finditer(_without_code(text))]


def test_the_notation_chapter_numbers_words_from_0():
    assert any(ZERO_BASED.search(t) for t in _markdown_of(BOOK / "notation.ipynb")), (
        "notation.ipynb no longer says word indices run over 0..|V|-1: update WORD_RANGE with it")


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_no_range_of_words_starts_at_1(path):
    found = [r for text in _markdown_of(path) for r in word_ranges_from_1(text)]
    assert not found, f"{path.name}: words are numbered 0..|V|-1 (notation chapter), found: {found}"


def test_a_range_of_words_from_1_is_caught():
    assert word_ranges_from_1(r"the columns $u_1, \dots, u_{|V|}$ of $U$")
    assert word_ranges_from_1(r"$\hat y_1 \ldots \hat y_{\lvert V\rvert}$")
    assert word_ranges_from_1(r"words $1, \dots, \lvert V\rvert$")
    assert not word_ranges_from_1(r"the columns $u_0, \dots, u_{|V|-1}$ and negatives $w_1, \dots, w_K$")
    assert not word_ranges_from_1("the seed writes `u_1, \\dots, u_{|V|}`")          # quoted code
    assert word_ranges_from_1(r"$\begin{bmatrix} \hat y_1 v_c & \cdots & \hat y_{|V|-1} v_c \end{bmatrix}$")
    assert word_ranges_from_1(r"$\frac{\partial J}{\partial u_{|V|}}$")
    assert not word_ranges_from_1(r"$\begin{bmatrix} \hat y_0 v_c & \cdots & \hat y_{|V|-1} v_c \end{bmatrix}$")
    assert not word_ranges_from_1(r"$U \in \mathbb{R}^{d \times |V|}, \sum_{k=1}^{K} u_{w_k}$")


@pytest.mark.slow      # builds every derivation in every world (seconds)
def test_no_derivation_numbers_words_from_1():
    """The displayed chains of every derivation keep the notation chapter's 0..|V|-1."""
    from derivations.symbolic.parts import all_derivations
    found = [(label, tex) for label, d in all_derivations().items() for tex in d.chain()
             if WORD_RANGE.search(tex)]
    assert not found, f"word indices outside 0..|V|-1: {found}"


# -- stray outputs ----------------------------------------------------------------------------

BARE_NUMBER = re.compile(r"\s*(?:np\.(?:float|int|uint)\d*\(\s*)?[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|nan|inf)\s*\)?\s*")


def stray_outputs(nb):
    """(cell index, value) of every code cell whose only output is a bare number."""
    found = []
    for i, cell in enumerate(nb.cells):
        outputs = cell.get("outputs", []) if cell.cell_type == "code" else []
        if len(outputs) == 1 and outputs[0].get("output_type") == "execute_result":
            data = outputs[0].get("data", {})
            text = data.get("text/plain", "")
            if set(data) <= {"text/plain"} and BARE_NUMBER.fullmatch(text):
                found.append((i, text))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_cell_shows_a_bare_number(path):
    found = stray_outputs(nbformat.read(path, as_version=4))
    assert not found, (f"{path.name}: cells whose only output is a bare number (end the line with ';' "
                       f"or print what it means): {found}")


def test_a_bare_number_output_is_caught():
    def cell(*data):
        c = nbformat.v4.new_code_cell("x")
        c.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": d}, execution_count=1)
                     for d in data]
        return c
    nb = nbformat.v4.new_notebook()
    nb.cells = [cell("0.0"), cell("np.float64(2.5e-17)"), cell("array([0., 1.])"), cell("'0.0'"),
                cell("0.0", "1.0")]
    assert stray_outputs(nb) == [(0, "0.0"), (1, "np.float64(2.5e-17)")]


# -- raw TeX in the built pages ------------------------------------------------------------------

class _ProseText(html.parser.HTMLParser):
    """The text of a page outside code, scripts and rendered math (where TeX may legitimately be)."""
    SKIP = {"script", "style", "pre", "code", "kbd", "samp", "textarea", "mjx-container", "svg", "math"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth, self.chunks = 0, []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.chunks.append(data)


TEX_COMMAND = re.compile(r"\\[A-Za-z]+")


def raw_tex(page_html):
    """``(command, context)`` for each backslash command in the page's text outside code and math."""
    parser = _ProseText()
    parser.feed(page_html)
    text = " ".join(parser.chunks)
    return [(m.group(0), text[max(0, m.start() - 40):m.end() + 40].replace("\n", " "))
            for m in TEX_COMMAND.finditer(text)]


@pytest.mark.browser      # reads the built book, as the browser tests do
def test_no_raw_tex_in_the_prose_of_any_built_page(built_book):
    found = {rel: hits for rel in book_pages(built_book)
             if (hits := raw_tex((built_book / rel).read_text(encoding="utf-8")))}
    assert not found, "TeX shown as source (write it between $...$):\n" + "\n".join(
        f"{rel}: {context}" for rel, hits in found.items() for _, context in hits[:5])


def test_raw_tex_in_prose_is_caught():
    slip = ('<p>each entry is a column: \\partial J / \\partial u_w \\in \\mathbb{R}^{d \\times 1}</p>'
            '<p>rendered: <mjx-container data-tex="\\partial J"><svg><text>\\partial</text></svg>'
            '</mjx-container></p><pre>print("\\n")</pre><code>\\alpha</code>')
    assert [command for command, _ in raw_tex(slip)] == [r"\partial", r"\partial", r"\in", r"\mathbb", r"\times"]
    assert raw_tex(slip.split("</p>", 1)[1]) == []       # math, code and pre are not prose


# -- numbers with units ---------------------------------------------------------------------------

UNIT_NUMBER = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)*)\s?(?:ms|µs|s|%|seconds?|minutes?)(?!\w)")


def _outputs_text(nb):
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            out.append(o.get("text", ""))
            out += [v if isinstance(v, str) else "".join(v) for k, v in o.get("data", {}).items()
                    if k.startswith("text/")]
    return "\n".join(out)


def untraced_numbers(nb):
    """Numbers with a unit in the Markdown cells that appear in none of the notebook's outputs."""
    outputs = _outputs_text(nb)
    found = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for m in UNIT_NUMBER.finditer(MATH.sub(" ", _without_code(cell.source))):
            if not re.search(rf"(?<![\d.]){re.escape(m.group(1))}(?![\d])", outputs):
                found.append(m.group(0))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_numbers_with_units_in_prose_come_from_the_outputs(path):
    found = untraced_numbers(nbformat.read(path, as_version=4))
    assert not found, (f"{path.name}: numbers typed in prose that no output of the chapter shows "
                       f"(format them from the output, or say it without the number): {found}")


def test_a_typed_timing_is_caught():
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("t")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="np.add.at 47.2 ms, sparse 3.9 ms\n")]
    nb.cells = [nbformat.v4.new_markdown_cell("The sparse product takes 3.9 ms where np.add.at took 43.4 ms; "
                                              "in 2 steps, 5 % of it; $10 s$ and `1 s` are math and code."),
                code]
    assert untraced_numbers(nb) == ["43.4 ms", "5 %"]
