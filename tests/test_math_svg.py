"""Math typeset at build time (book/_ext/w2v_math.py with math_svg.js), on HTML as
Sphinx writes it, without a full build. Needs Node and `make vendor`'s mathjax-full."""
import os
import re
import stat

import pytest

import w2v_math  # book/_ext, on the path through conftest.py

PAGE = """<!DOCTYPE html>
<html><head><title>(b) The gradient with respect to \\(v_c\\) &#8212; book</title></head>
<body class="x">
<nav><a href="b.html">(b) <span class="math notranslate nohighlight">\\(v_c\\)</span></a></nav>
<p>Shape <span class="math notranslate nohighlight">\\(d \\times 1\\)</span> and
<span class="math notranslate nohighlight">\\(a &lt; b\\)</span>.</p>
<div class="math notranslate nohighlight" id="equation-grad">
<span class="eqno">(1)<a class="headerlink" href="#equation-grad">#</a></span>\\[\\frac{\\partial J}{\\partial v_c} = U(\\hat y - y)\\]</div>
<div class="math notranslate nohighlight">
\\begin{align} a &amp;= b \\\\ &amp;= c \\end{align}</div>
<pre>\\(left alone\\) outside math elements</pre>
</body></html>"""


def test_every_formula_becomes_svg_with_hidden_mathml():
    out, problems = w2v_math.render_pages({"b.html": PAGE})
    page = out["b.html"]
    assert problems == []
    assert page.count("<mjx-container") == 5
    assert page.count('display="true"') >= 2                 # the two display formulas
    assert page.count("<mjx-assistive-mml") == 5             # screen readers get MathML
    assert "<mo>&lt;</mo>" in page                           # &lt; read as "<", not as text
    assert 'data-tex="a &lt; b"' in page and 'data-tex="d \\times 1"' in page   # the TeX, kept
    # No TeX is shown in a math element (only kept in data-tex), and none changed outside them.
    for element in re.findall(r'<(?:span|div) class="math notranslate nohighlight".*?</(?:span|div)>', page, re.S):
        shown = re.sub(r'data-tex="[^"]*"', "", element)
        assert "\\(" not in shown and "\\[" not in shown and "\\begin" not in shown
    assert "<pre>\\(left alone\\) outside math elements</pre>" in page
    # The equation number and its link survive; the glyphs are defined once, in the page.
    assert '<span class="eqno">(1)<a class="headerlink" href="#equation-grad">#</a></span><mjx-container' in page
    uses = set(re.findall(r'xlink:href="#([^"]+)"', page))
    defined = set(re.findall(r'<path id="([^"]+)"', page))
    assert uses and uses <= defined
    assert page.count('id="MJX-SVG-global-cache"') == 1 and page.count('id="w2v-math-svg"') == 1
    assert re.search(r'<body class="x"><svg style="display: none;" id="MJX-SVG-global-cache">', page)
    # A browser tab shows the title as text.
    assert "<title>(b) The gradient with respect to v_c &#8212; book</title>" in page


def test_a_math_directive_with_a_class_is_typeset_too():
    # {math} with :class: w2v-not-this (context, not a result) puts its class first.
    page = PAGE.replace('<div class="math notranslate nohighlight">\n\\begin{align}',
                        '<div class="w2v-not-this math notranslate nohighlight">\n\\begin{align}')
    assert 'class="w2v-not-this math' in page
    out, problems = w2v_math.render_pages({"b.html": page})
    assert problems == [] and out["b.html"].count("<mjx-container") == 5
    assert "\\begin{align}" not in re.sub(r'data-tex="[^"]*"', "", out["b.html"])


def test_a_second_pass_changes_nothing():
    once, _ = w2v_math.render_pages({"b.html": PAGE})
    again, problems = w2v_math.render_pages(once)
    assert again == {} and problems == []


def test_a_tex_error_is_reported_with_its_page_and_formula():
    page = PAGE.replace("\\hat y - y", "\\hta y - y")
    typeset, problems = w2v_math.render_pages({"b.html": page})
    assert len(problems) == 1
    name, message = problems[0]
    assert name == "b.html" and "Undefined control sequence \\hta" in message and "partial J" in message
    # The next (incremental) build, which finds the page typeset, reports it again.
    again, problems = w2v_math.render_pages(typeset)
    assert again == {} and len(problems) == 1 and "\\hta" in problems[0][1]


def test_a_math_element_without_a_formula_is_reported():
    page = PAGE.replace("\\(d \\times 1\\)", "d \\times 1")
    _, problems = w2v_math.render_pages({"b.html": page})
    assert len(problems) == 1 and "no TeX formula" in problems[0][1] and "d \\times 1" in problems[0][1]


@pytest.mark.parametrize("inner, expected", [
    ("\\(x\\)", ("", "x", False)),
    ("\n\\[x\\]", ("", "x", True)),
    ("$$x$$", ("", "x", True)),
    ('<span class="eqno">(2)</span>\\[x &amp; y\\]', ('<span class="eqno">(2)</span>', "x & y", True)),
    ("\\begin{align}x\\end{align}", ("", "\\begin{align}x\\end{align}", True)),
    ("\\begin{align}x\\end{aligned}", ("", None, True)),
    ("\\(", ("", None, True)),
])
def test_find_tex(inner, expected):
    assert w2v_math.find_tex(inner) == expected


def test_typeset_book_warns_and_rewrites_keeping_the_file_mode(tmp_path, caplog):
    (tmp_path / "book").mkdir()
    good, bad = tmp_path / "book" / "good.html", tmp_path / "book" / "bad.html"
    good.write_text(PAGE, encoding="utf-8")
    bad.write_text(PAGE.replace("\\hat y", "\\hta y"), encoding="utf-8")
    (tmp_path / "vendor").mkdir()
    vendored = tmp_path / "vendor" / "x.html"          # not a page: left as it is
    vendored.write_text(PAGE, encoding="utf-8")
    os.chmod(good, 0o644)

    class App:
        outdir = str(tmp_path)

        class builder:
            format = "html"
    with caplog.at_level("WARNING"):
        w2v_math.typeset_book(App, None)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "\\hta" in warnings[0], warnings
    assert "<mjx-container" in good.read_text(encoding="utf-8")
    assert stat.S_IMODE(good.stat().st_mode) == 0o644
    assert vendored.read_text(encoding="utf-8") == PAGE
    assert not list(tmp_path.rglob(".*.html.*")), "a temporary file was left behind"


def test_missing_node_modules_is_a_clear_error(monkeypatch, tmp_path):
    from sphinx.errors import ExtensionError
    monkeypatch.setattr(w2v_math, "NODE_MODULES", tmp_path / "node_modules")
    with pytest.raises(ExtensionError, match="make vendor"):
        w2v_math.typeset([[("x", False)]])
