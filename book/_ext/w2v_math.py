"""Sphinx extension: the book's math typeset as SVG when the book is built.

Loaded through ``sphinx: local_extensions`` in _config.yml. Sphinx writes each formula as TeX
for MathJax to typeset in the reader's browser: ``<span class="math …">\\(v_c\\)</span>`` and
``<div class="math …">\\[…\\]</div>``. That costs every page about 0.8 MB of MathJax and its
fonts, and a second of typesetting after the page has arrived. Instead, once the HTML is
written (``build-finished``), this extension hands every page's TeX to MathJax in Node
(``math_svg.js``, with ``mathjax-full`` from ``book/_vendor``, the same pinned MathJax the
pages used to load) and writes the result into the page:

* each formula becomes MathJax's own SVG markup (``mjx-container``), drawn in the text colour
  (so dark mode needs nothing), with hidden MathML beside it for screen readers and its TeX
  in ``data-tex`` (the search page shows it, typeset, in excerpts);
* each page gets one hidden ``<svg>`` of the glyph shapes its formulas use, and MathJax's
  small stylesheet for them;
* a TeX error fails the build (a warning under ``-W``) naming the page and the formula, where
  MathJax in the browser would have shown it in red to readers.

Pages hold no TeX for a browser to typeset, so they load no MathJax. Only the search page
does, and only once a result with TeX in its title or excerpt arrives (``w2v_html``).
Re-running is harmless: a page whose math is already SVG has no TeX left to find, so an
incremental build typesets only the pages Sphinx rewrote.
"""
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "math_svg.js"
NODE_MODULES = HERE.parent / "_vendor" / "node_modules"

# What Sphinx's MathJax writer emits (sphinx/ext/mathjax.py): a span for inline math, a div for
# display math, the div optionally led by its equation number. Neither holds another span/div.
# A {math} directive's :class: comes first (w2v-definition, w2v-not-this: context, not results).
MATH = re.compile(r'(<(span|div) class="(?:[\w-]+ )*math notranslate nohighlight"[^>]*>)(.*?)(</\2>)', re.S)
EQNO = re.compile(r'\s*(<span class="eqno">.*?</span>)?\s*(.*?)\s*$', re.S)
DELIMITERS = ((r"\(", r"\)", False), (r"\[", r"\]", True), ("$$", "$$", True))
ENVIRONMENT = re.compile(r"\\begin\{([^}]+)\}.*\\end\{\1\}", re.S)
TITLE = re.compile(r"(<title>)(.*?)(</title>)", re.S)


def find_tex(inner):
    """(equation number markup, TeX, display?) of one math element's inner HTML; TeX is None
    when the element holds something other than one delimited formula or environment."""
    eqno, body = EQNO.match(inner).groups()
    body = html.unescape(body)
    for opening, closing, display in DELIMITERS:
        if body.startswith(opening) and body.endswith(closing) and len(body) >= len(opening) + len(closing):
            return eqno or "", body[len(opening):-len(closing)], display
    if ENVIRONMENT.fullmatch(body):        # amsmath blocks: Sphinx writes them undelimited
        return eqno or "", body, True
    return eqno or "", None, True


def typeset(pages):
    """Run math_svg.js over ``pages`` (a list of lists of ``(tex, display)``); returns its
    answer: ``{"css": str, "pages": [{"math": [html], "errors": [str|None], "defs": str}]}``."""
    node = shutil.which("node")
    if node is None or not (NODE_MODULES / "mathjax-full").is_dir():
        raise ExtensionError(
            f"typesetting the book's math needs Node.js and mathjax-full in {NODE_MODULES}: "
            "run `make vendor` (it installs both)")
    request = json.dumps({"pages": [[[tex, display] for tex, display in page] for page in pages]})
    done = subprocess.run([node, str(SCRIPT), str(NODE_MODULES)], input=request, capture_output=True,
                          text=True, encoding="utf-8")
    if done.returncode != 0:
        raise ExtensionError(f"math_svg.js failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout)


def _write(path, text):
    """Replace path's contents; a failure part-way leaves the old file whole."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, path.stat().st_mode)       # mkstemp's 0600 would hide the page from a web server
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _plain_title(match):
    """A browser tab cannot show math: \\(v_c\\) in a page title becomes v_c."""
    return match.group(1) + re.sub(r"\\\((.*?)\\\)", r"\1", match.group(2)) + match.group(3)


def render_pages(texts):
    """Typeset the TeX in each page's HTML. ``texts`` maps a name (for messages) to HTML;
    returns ``(new texts for the pages that changed, [(name, problem)])``."""
    found = {}        # name -> [(match, eqno, tex, display)]
    problems = []
    for name, text in texts.items():
        items = []
        for match in MATH.finditer(text):
            if "<mjx-container" in match.group(3):         # typeset by an earlier build:
                error = re.search(r'data-mjx-error="([^"]*)"', match.group(3))
                if error:   # its TeX error must fail this build too, not only the one that wrote it
                    problems.append((name, f"TeX error ({html.unescape(error.group(1))}) in a formula"))
                continue
            eqno, tex, display = find_tex(match.group(3))
            if tex is None:
                problems.append((name, f"math element with no TeX formula in it: {match.group(0)[:200]}"))
                continue
            items.append((match, eqno, tex, display))
        if items:
            found[name] = items
    if not found:
        return {}, problems
    answer = typeset([[(tex, display) for _, _, tex, display in items] for items in found.values()])
    style = f'<style id="w2v-math-svg">{answer["css"]}</style>\n'
    changed = {}
    for (name, items), result in zip(found.items(), answer["pages"]):
        text, pieces, at = texts[name], [], 0
        for (match, eqno, tex, _), markup, error in zip(items, result["math"], result["errors"]):
            if error:
                problems.append((name, f"TeX error ({error}) in the formula: {tex[:200]}"))
            # The TeX stays with its picture (data-tex), for search excerpts and for tools.
            markup = markup.replace("<mjx-container", f'<mjx-container data-tex="{html.escape(tex)}"', 1)
            pieces += [text[at:match.start()], match.group(1), eqno, markup, match.group(4)]
            at = match.end()
        # A page with TeX left was just written by Sphinx: it has no style or glyphs of ours yet.
        text = ("".join(pieces) + text[at:]).replace("</head>", style + "</head>", 1)
        text = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + result["defs"], text, count=1)
        changed[name] = TITLE.sub(_plain_title, text, count=1)
    return changed, problems


def _pages(outdir):
    for path in sorted(Path(outdir).rglob("*.html")):
        rel = path.relative_to(outdir).as_posix()
        if not rel.startswith(("_static/", "_sources/", "vendor/", "_images/")):
            yield rel, path


def typeset_book(app, exception):
    """build-finished: typeset the math of every page Sphinx wrote."""
    if exception is not None or app.builder.format != "html":
        return
    paths = dict(_pages(app.outdir))
    texts = {rel: path.read_text(encoding="utf-8") for rel, path in paths.items()}
    changed, problems = render_pages(texts)
    for rel, problem in problems:
        logger.warning(problem, location=rel.removesuffix(".html"), type="w2v", subtype="math")
    for rel, text in changed.items():
        _write(paths[rel], text)
    logger.info(f"w2v_math: typeset the math of {len(changed)} page(s) as SVG")


def setup(app):
    app.connect("build-finished", typeset_book)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
