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
# A {math} directive marked as context (book/_ext/w2v_display.py, styled in _static/custom.css).
CONTEXT = re.compile(r"\s*:class:[^\n]*\bw2v-(definition|not-this)\b")
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
        if CONTEXT.match(math):     # a definition or a deliberately wrong formula, labelled as such
            continue
        ms = members(math)
        if len(ms) < 2 or all(not m for m in ms):
            continue
        if not any(set(ms) <= chain for chain in chains):
            bad.append(math.strip())
    return bad


@pytest.fixture(scope="module")
def all_chains():   # all_derivations() is built once per process (every world: seconds) and shared
    return [{normalise(m) for m in d.chain()} for d in all_derivations().values()]


@pytest.fixture(scope="module")
def chains():       # the scanner's own tests need only parts (a)-(d): quick to build
    from derivations.symbolic.parts import naive_softmax
    return [{normalise(m) for m in d.chain()} for d in naive_softmax.derivations()]


def chapters():
    return sorted(BOOK.glob("*.ipynb"))


def markdown_cells(path):
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


@pytest.mark.slow   # builds every derivation in every world once: seconds
@pytest.mark.parametrize("path", chapters(), ids=lambda p: p.name)
def test_chapter_markdown_displays_only_checked_equalities(path, all_chains):
    _markdown_displays_only_checked_equalities(path, all_chains)


def _markdown_displays_only_checked_equalities(path, chains):
    bad = [m for cell in markdown_cells(path) for m in drifted(cell, chains)]
    assert not bad, (f"{path.name} displays equation chains that no checked Derivation contains; "
                     f"show them with derivations.symbolic.engine.show(...) instead:\n" + "\n---\n".join(bad))


@pytest.mark.slow   # builds every derivation in every world once: seconds
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
    from derivations.symbolic.parts import naive_softmax
    b1 = naive_softmax.grad_v_c()
    honest = "$$\n" + b1.lhs_latex + " = " + " = ".join(s.latex for s in b1.steps) + "\n$$"
    assert drifted(honest, chains) == []
    edited = honest.replace(r"U (\hat y - y)", r"U (y - \hat y)")
    assert edited != honest and len(drifted(edited, chains)) == 1


def test_context_equations_are_marked_not_checked(chains):
    text = ("```{math}\n:class: w2v-not-this\n\\frac{\\partial J}{\\partial v_c} = U \\hat y\n```\n\n"
            "```{math}\n:class: w2v-definition\nJ = -\\log \\hat y_o\n```\n\n"
            "```{math}\n\\frac{\\partial J}{\\partial v_c} = U \\hat y\n```\n")
    assert len(drifted(text, chains)) == 1          # only the unmarked one


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
        _markdown_displays_only_checked_equalities(path, chains)


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


# -- display = checked: every displayed formula read back by the answer reader (book/_ext/w2v_display.py) --

import copy  # noqa: E402

import w2v_display  # noqa: E402  -- book/_ext, on the path through conftest.py

from derivations.symbolic.engine import Step  # noqa: E402


@pytest.mark.slow   # reads every step of every derivation in every world, and every chapter: ~15 s
def test_every_displayed_formula_reads_as_what_was_checked():
    findings = w2v_display.check_book()
    w2v_display.raise_on_failures(findings)
    equal = [f for f in findings if f.status == "equal"]
    assert len(equal) >= 60
    # Formulas the reader cannot read yet are all on the list (else raise_on_failures failed above);
    # the list may hold formulas the reader has since learnt to read: `w2v_display.py --list` prunes it.
    unread = {w2v_display.key(f.latex) for f in findings if f.status == "unread"}
    assert unread <= set(w2v_display.NOT_YET_READ)


def edited(label, step, old, new):
    """Derivation ``label`` with ``old`` replaced by ``new`` in the LaTeX of ``step`` (1-based), in every world."""
    d = copy.copy(w2v_display.derivations()[label])
    instances = []
    for x in [d] + list(d.variants):
        x = copy.copy(x)
        latex = x.steps[step - 1].latex
        assert old in latex, (label, step, latex)
        x.steps = list(x.steps)
        x.steps[step - 1] = Step(latex.replace(old, new, 1), x.steps[step - 1].expr, x.steps[step - 1].why)
        instances.append(x)
    first = instances[0]
    first.variants = instances[1:]
    return first


# One character (or one mark) of a displayed step, the slips the issue names.
EDITS = [
    ("b.1", 4, "-u_o", "u_o", "differs"),                                   # a sign
    ("d.1", 4, r"^\top", "", "unlisted"),                                   # a transpose mark dropped: shapes fail
    ("g.4", 3, r"\sigma(-u", r"\sigma(u", "differs"),                       # sigma(x) for sigma(-x)
    ("c.1", 4, "v_c", "u_c", "unlisted"),                                   # u for v (unreadable: fails too)
    ("g.3", 3, "v_c", "u_o", "differs"),                                    # the wrong vector
    ("a.1", 3, r"-\log", r"\log", "differs"),                               # a sign in a loss
    ("b.1", 1, r"-\frac", r"\frac", "unlisted"),                            # an edit to a step not read yet
]


@pytest.mark.slow   # builds every derivation in two worlds once, then reads one back: seconds
@pytest.mark.parametrize("label, step, old, new, status", EDITS, ids=[f"{e[0]}({e[1]}) {e[2]}->{e[3]}" for e in EDITS])
def test_a_one_character_edit_of_a_displayed_step_fails_the_build(label, step, old, new, status):
    findings = w2v_display.read_back(edited(label, step, old, new))
    bad = w2v_display.failures(findings)
    # "unlisted" (unreadable after the edit) until the reader reads that notation, then "differs"
    assert bad and {f.status for f in bad} <= ({status} if status == "differs" else {"differs", "unlisted"})
    with pytest.raises(w2v_display.DisplayMismatch) as failure:
        w2v_display.raise_on_failures(findings)
    message = str(failure.value)
    assert f"({label}) step {step}" in message and w2v_display.CHAPTER_OF[label[0]] in message
    assert latex_of(label, step).replace(old, new, 1) in message


def latex_of(label, step):
    return w2v_display.derivations()[label].steps[step - 1].latex


@pytest.mark.slow   # reads six derivations back in two worlds: seconds
def test_the_untouched_steps_read_back_equal():
    for label in ("b.1", "d.1", "g.4", "c.1", "g.3", "a.1"):
        findings = w2v_display.read_back(w2v_display.derivations()[label])
        assert not w2v_display.failures(findings), findings


@pytest.mark.slow   # builds the chapter's derivations to find its worlds: seconds
def test_a_result_restated_in_prose_is_read_back(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(
        "$$\\frac{\\partial J}{\\partial v_c} = U (\\hat y - y)$$\n\n"
        "so inline $\\frac{\\partial J}{\\partial u_o} = (\\hat y_o - 1)\\, v_c$ too."),
        nbformat.v4.new_markdown_cell("$$\\frac{\\partial J}{\\partial v_c} = U (y - \\hat y)$$"),
        nbformat.v4.new_markdown_cell(
            "```{math}\n:class: w2v-not-this\n\\frac{\\partial J}{\\partial v_c} = U \\hat y\n```")]
    path = tmp_path / "b_grad_v_c.ipynb"
    nbformat.write(nb, path)
    findings = w2v_display.check_chapter(path)
    by_cell = {}
    for f in findings:
        by_cell.setdefault(f.where.split(" in ")[0], set()).add(f.status)
    assert by_cell == {"b_grad_v_c.ipynb, cell 0": {"equal"}, "b_grad_v_c.ipynb, cell 1": {"differs"}}
    with pytest.raises(w2v_display.DisplayMismatch, match="cell 1"):
        w2v_display.raise_on_failures(findings)
