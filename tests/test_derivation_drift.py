"""Prose and checks cannot drift: a chapter's displayed equation chains come from checked Derivations.

A chapter shows a derivation by calling ``show(derivation)``, whose output is
generated from the checked steps. Its *markdown* may still restate a result
(``$$\\frac{\\partial J}{\\partial v_c} = U(\\hat y - y)$$``), but only if every
member of the restated chain is a member of one registered derivation's chain.
Any other display-math equality in a chapter's markdown fails this test.
"""
import re
from pathlib import Path

import nbformat
import pytest

from derivations.symbolic.parts import all_derivations

BOOK = Path(__file__).resolve().parent.parent / "book"

DISPLAY = re.compile(
    r"\$\$(.+?)\$\$"                                        # $$ ... $$
    r"|\\\[(.+?)\\\]"                                       # \[ ... \]
    r"|(\\begin\{(align|equation|gather|multline)\*?\}.+?\\end\{\4\*?\})"
    r"|^[`:]{3,}\s*\{math\}[^\n]*\n(.+?)^[`:]{3,}",         # ```{math} / :::{math} fences
    re.S | re.M)
# What show() writes: "**(label)** title" and, after a blank line, the aligned display.
SHOWN = re.compile(r"^\*\*\(([^)]+)\)\*\*[^\n]*\n\n\$\$\n\\begin\{aligned\}", re.M)
NOISE = re.compile(r"\\(left|right|big|Big|bigl|bigr|Bigl|Bigr)\b|\\[,;!:]|\\quad|\\qquad|&|\s+")
WRAPPERS = re.compile(r"\\(begin|end)\{(aligned|align\*?|equation\*?|gather\*?|split|multline\*?)\}"
                      r"|\\(tag|label)\{[^}]*\}")


def normalise(tex):
    """Drop spacing, alignment and sizing so that typography does not count as drift."""
    return NOISE.sub("", tex).rstrip(".,;")


def members(math):
    """The ``=``-separated members of a display, split at brace depth 0.

    ``\\leq``, ``\\neq``, ``\\geq``, ``:=`` are not equalities; a display
    without a top-level ``=`` has a single member.
    """
    text = WRAPPERS.sub("", math).replace("\\\\", " ")
    out, depth, current, i = [], 0, "", 0
    while i < len(text):
        ch = text[i]
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "=" and depth == 0 and not text[:i].endswith((":", "<", ">", "!")):
            out.append(current)
            current = ""
        else:
            current += ch
        i += 1
    out.append(current)
    return [normalise(m) for m in out]


def displays(markdown):
    """Every display-math body in a markdown text."""
    return [next(g for g in m.groups() if g) for m in DISPLAY.finditer(markdown)]


def drifted(markdown, chains):
    """Displays with an equality no single checked chain contains (the chains are normalised sets)."""
    bad = []
    for math in displays(markdown):
        ms = members(math)
        if len(ms) < 2 or all(not m for m in ms):
            continue
        if not any(set(ms) <= chain for chain in chains):
            bad.append(math.strip())
    return bad


@pytest.fixture(scope="module")
def chains():
    return [{normalise(m) for m in d.chain()} for d in all_derivations().values()]


def chapters():
    return sorted(BOOK.glob("*.ipynb"))


def markdown_cells(path):
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


@pytest.mark.parametrize("path", chapters(), ids=lambda p: p.name)
def test_chapter_markdown_displays_only_checked_equalities(path, chains):
    bad = [m for cell in markdown_cells(path) for m in drifted(cell, chains)]
    assert not bad, (f"{path.name} displays equation chains that no checked Derivation contains; "
                     f"show them with derivations.symbolic.engine.show(...) instead:\n" + "\n---\n".join(bad))


@pytest.mark.parametrize("path", chapters(), ids=lambda p: p.name)
def test_stored_derivation_outputs_match_the_current_steps(path):
    """A displayed derivation (headed ``**(label)**``) is exactly what its steps generate now."""
    registry = all_derivations()
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("data", {}).get("text/markdown", "")
            for label in SHOWN.findall(text):
                assert label in registry, f"{path.name} shows a derivation ({label}) that no longer exists"
                assert "$$\n" + registry[label].latex() + "\n$$" in text, (
                    f"{path.name}: the stored display of ({label}) differs from its current steps; "
                    "re-execute the chapter")


# -- the tester, tested: it must catch drift and let checked restatements through --

def test_the_scanner_catches_an_edited_step(chains):
    b1 = all_derivations()["b.1"]
    honest = "$$\n" + b1.lhs_latex + " = " + " = ".join(s.latex for s in b1.steps) + "\n$$"
    assert drifted(honest, chains) == []
    edited = honest.replace(r"U (\hat y - y)", r"U (y - \hat y)")
    assert edited != honest and len(drifted(edited, chains)) == 1


def test_the_scanner_sees_every_kind_of_display(chains):
    text = ("Intro $a = b$ inline is prose.\n\n"
            "\\begin{align}\nJ &= -\\log \\hat y_o + 1\n\\end{align}\n\n"
            "```{math}\nx = y\n```\n\n"
            "\\[ p = q \\]\n\n"
            "$$\n\\begin{aligned} u &= v \\\\ &= w \\end{aligned}\n$$\n")
    assert len(drifted(text, chains)) == 4


def test_the_scanner_lets_non_equalities_and_checked_restatements_pass(chains):
    text = ("$$U \\in \\mathbb{R}^{d \\times |V|}, \\quad w \\neq o, \\quad a \\leq b$$\n\n"
            "$$\\frac{\\partial J}{\\partial v_c} = U (\\hat y - y).$$\n\n"
            "$$\\frac{\\partial J}{\\partial U} \\;=\\; v_c\\, (\\hat y - y)^\\top$$\n")
    assert drifted(text, chains) == []


def test_the_scanner_refuses_members_from_two_different_chains(chains):
    # Each side is checked somewhere, but not equal to each other: (b.1) result = (c.1) result.
    text = "$$U (\\hat y - y) = (\\hat y_o - 1)\\, v_c$$"
    assert len(drifted(text, chains)) == 1


def test_a_notebook_with_drift_fails_the_chapter_test(tmp_path, chains):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("$$\\frac{\\partial J}{\\partial v_c} = U \\hat y$$")]
    path = tmp_path / "drifted.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(AssertionError, match="no checked Derivation contains"):
        test_chapter_markdown_displays_only_checked_equalities(path, chains)


@pytest.mark.slow   # checks derivation (b.1) in SymPy three times: seconds
def test_a_stale_stored_display_fails_the_output_test(tmp_path):
    b1 = all_derivations()["b.1"]
    current = b1.markdown(b1.check())
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("show(parts.grad_v_c())")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": current})]
    nb.cells = [cell]
    path = tmp_path / "stale.ipynb"
    nbformat.write(nb, path)
    test_stored_derivation_outputs_match_the_current_steps(path)          # current: passes
    cell.outputs[0]["data"]["text/markdown"] = current.replace(r"-U y + U \hat y", r"U \hat y - U y")
    nbformat.write(nb, path)
    with pytest.raises(AssertionError, match="differs from its current steps"):
        test_stored_derivation_outputs_match_the_current_steps(path)
