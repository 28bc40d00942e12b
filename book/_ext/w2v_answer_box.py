"""Sphinx extension: "Check your answer" boxes, the written-answer checker run in the reader's browser.

A page asks for a box under a written question with the directive (the part keys are those of
:data:`derivations.coursework.answers.REFERENCES`)::

    ```{answer-box} b
    ```

and ``{answer-boxes}`` puts one box for every part on a page (``book/check_your_answer.md``).

The box (``_static/w2v-answer-box.js`` and ``.css``, added only to pages that have one) lets
the reader type LaTeX, shows it typeset as they type (the book's vendored MathJax, fetched on
the first keystroke), and on *Check* (or Enter) judges it with the same Python as
:func:`~derivations.coursework.answers.check_answer`: a Web Worker
(``_static/w2v-answer-worker.js``) loads Pyodide (``vendor/pyodide/``, from npm, see
``book/_vendor/files.txt``) on the first *Check*, unpacks the SymPy and mpmath wheels
(``make wheels``) and this extension's zip of the checker's own modules, and answers with the
JSON ``answer_worker`` prints. Pages without a box load none of it.

At the end of the build this extension writes ``vendor/python/``: the two wheels and
``site-packages.zip`` (the same, compiled to bytecode by ``make wheels``, which the worker
prefers: SymPy imports five times faster), ``checker.zip``
(the modules ``derivations.coursework.answers`` imports, found by reading their imports, in a
``derivations`` package whose ``__init__`` files import nothing: no ``derivations.core``, no
NumPy; the sandbox, which the page does not need, is a stub; and ``step_texts``, the sentences
a diagnosis uses to name a derivation's step, computed here because the page ships no
derivations) and ``index.json`` naming them.
"""
import ast
import html
import json
import shutil
import zipfile
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
BOOK = HERE.parent
ROOT = BOOK.parent
WHEELS = BOOK / "_vendor" / "wheels"
PAGE_SCRIPT, PAGE_STYLE = "w2v-answer-box.js", "w2v-answer-box.css"
MARKER = 'class="w2v-answer-box"'
START = "derivations.coursework.answers"
# Modules the page replaces: the sandbox starts processes (check_answer), which the page never does.
STUBS = {"derivations.coursework.sandbox":
         '"""Not in the page: the in-page checker runs judge() in a Web Worker, never a process."""\n'}
EMPTY_PACKAGES = ("derivations", "derivations.coursework", "derivations.symbolic")
FORBIDDEN = ("derivations.core", "numpy")


def _references():
    """The checker's parts, or None in an edition built without it (``make student WRITTEN_CHECKER=no``)."""
    try:
        from derivations.coursework.answers import REFERENCES
    except ImportError:
        return None
    return REFERENCES


def _no_checker():
    return nodes.paragraph(text="The written-answer checker is not part of this edition of the book.")


# ---------------------------------------------------------------------------- the directive

class answer_box(nodes.General, nodes.Element):
    pass


class AnswerBox(Directive):
    """``{answer-box} PART``: a checking box for written part PART."""
    required_arguments = 1
    has_content = False

    def run(self):
        part = self.arguments[0].strip()
        refs = _references()
        if refs is None:
            return [_no_checker()]
        if part not in refs:
            raise self.error(f"answer-box: unknown part {part!r}; the parts are {', '.join(refs)}")
        env = self.state.document.settings.env
        n = env.new_serialno("w2v-answer-box")
        return [nodes.raw("", box_html(part, refs[part].asks, f"w2v-answer-{part}-{n}"), format="html")]


class AnswerBoxes(Directive):
    """``{answer-boxes}``: one box for every written part, in the checker's order (the page that
    demonstrates them all; a chapter puts ``{answer-box} PART`` under its question instead)."""
    has_content = False

    def run(self):
        env = self.state.document.settings.env
        # Re-read this page when the parts change.
        env.note_dependency(str(ROOT / "derivations" / "coursework" / "answers" / "judging.py"))
        refs = _references()
        if refs is None:
            return [_no_checker()]
        out = []
        for part, ref in refs.items():
            n = env.new_serialno("w2v-answer-box")
            out.append(nodes.raw("", box_html(part, ref.asks, f"w2v-answer-{part}-{n}"), format="html"))
        return out


def box_html(part, asks, ident):
    """The box's markup. Its label holds the asked quantity as Sphinx's math markup, which
    w2v_math.py typesets (SVG, with MathML a screen reader reads) like every formula of the page."""
    e = html.escape
    return f"""<div {MARKER} data-part="{e(part)}">
<label class="w2v-answer-label" for="{ident}">Your answer to ({e(part)}), in LaTeX:
<span class="math notranslate nohighlight">\\({e(asks)}\\)</span> =</label>
<div class="w2v-answer-row"><input id="{ident}" class="w2v-answer-input" type="text" autocomplete="off"
 autocapitalize="off" spellcheck="false" aria-describedby="{ident}-verdict" placeholder="LaTeX, e.g. \\frac{{a}}{{b}}">
<button type="button" class="w2v-answer-check">Check</button></div>
<div class="w2v-answer-preview" id="{ident}-preview"></div>
<div class="w2v-answer-verdict" id="{ident}-verdict" role="status" aria-live="polite"></div>
</div>"""


def _visit_skip(self, node):
    raise nodes.SkipNode


# ---------------------------------------------------------------------------- page assets

def page_assets(app, pagename, templatename, context, doctree):
    """The box's script and style, only on pages with a box; never the worker as a page script."""
    if MARKER not in (context.get("body") or ""):
        return
    from sphinx.builders.html._assets import _CascadingStyleSheet, _JavaScript
    pathto = context["pathto"]
    home = pathto("index")                # e.g. "../index.html": where the book's folder is
    settings = {"mathjax": pathto("vendor/mathjax/es5/startup.js", 1),
                "worker": pathto("_static/w2v-answer-worker.js", 1),
                "root": home.rsplit("/", 1)[0] + "/" if "/" in home else "./"}
    body = f"window.W2V_ANSWER_BOX = {json.dumps(settings)};"
    context["script_files"] = [*(context.get("script_files") or []), _JavaScript("", body=body),
                               _JavaScript(f"_static/{PAGE_SCRIPT}")]
    context["css_files"] = [*(context.get("css_files") or []), _CascadingStyleSheet(f"_static/{PAGE_STYLE}")]


# ---------------------------------------------------------------------------- the checker for the page

def _module_file(name):
    path = ROOT.joinpath(*name.split("."))
    if path.is_dir() and (path / "__init__.py").exists():
        return path / "__init__.py"
    file = path.with_suffix(".py")
    return file if file.exists() else None


def import_target(node, package):
    """The absolute name of the module an ``ast.ImportFrom`` in ``package`` imports from
    (``from ..core import x`` in ``derivations.coursework`` is ``derivations.core``)."""
    if not node.level:
        return node.module or ""
    base = package.split(".")
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(name, file):
    """Names of the ``derivations`` modules ``file`` (module ``name``) imports, anywhere in it."""
    package = name if file.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = import_target(node, package)
            found.add(module)
            found.update(f"{module}.{a.name}" for a in node.names)
    return {m for m in found if m.split(".")[0] in ("derivations", "numpy")}


def checker_modules():
    """{module name: source} of everything ``derivations.coursework.answers`` imports from the book's package."""
    sources, todo = {}, [START]
    while todo:
        name = todo.pop()
        if name in sources:
            continue
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN if f != "numpy"):
            raise ExtensionError(f"w2v_answer_box: the in-page checker would import {name}, which the page cannot load")
        if name in STUBS:
            sources[name] = STUBS[name]
            continue
        if name in EMPTY_PACKAGES:     # shipped empty: their own imports (derivations.core) stay out
            sources[name] = f'"""{name}, as the in-page checker ships it: imports nothing."""\n'
            continue
        file = _module_file(name)
        if file is None:
            continue                     # a name imported from a module, not a module
        sources[name] = file.read_text(encoding="utf-8")
        todo += [m for m in _imports(name, file) if m.startswith("derivations")]
        parts = name.split(".")
        todo += [".".join(parts[:k]) for k in range(1, len(parts))]
    return sources


STEP_TEXTS = "derivations.coursework.answers.step_texts"


def step_texts_module():
    """The source of :data:`STEP_TEXTS`: the diagnosis' sentences naming a derivation's step, computed
    here, since the page ships no derivations (:data:`derivations.coursework.answers.diagnosis.SHIPPED_STEPS`)."""
    from derivations.coursework.answers import diagnosis
    return (f'"""{STEP_TEXTS}, written when the book was built: diagnosis.step_texts()."""\n'
            f"TEXTS = {diagnosis.step_texts()!r}\n")


def write_checker_zip(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    modules = {**checker_modules(), STEP_TEXTS: step_texts_module()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, source in sorted(modules.items()):
            file = _module_file(name)
            arc = "/".join(name.split(".")) + ("/__init__.py" if file is not None and file.name == "__init__.py"
                                               else ".py")
            info = zipfile.ZipInfo(arc, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, source)


def write_python(app, exception):
    """build-finished: vendor/python/ (wheels, checker.zip, index.json) beside the vendored npm files."""
    if exception is not None or app.builder.format != "html" or _references() is None:
        return
    wheels = sorted(WHEELS.glob("*.whl"))
    names = {w.name.split("-")[0].lower() for w in wheels}
    if not {"sympy", "mpmath"} <= names:
        raise ExtensionError(f"w2v_answer_box: the SymPy and mpmath wheels are missing from {WHEELS}: "
                             "run `make wheels` (`make book` does)")
    out = Path(app.outdir) / "vendor" / "python"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for w in wheels:
        shutil.copy2(w, out / w.name)
    # The wheels compiled to bytecode (`make wheels`, precompile_python.mjs): what the worker
    # unpacks when it is there; the wheels themselves otherwise (correct, but SymPy's import is slower).
    site = WHEELS / "site-packages.zip"
    if site.exists():
        shutil.copy2(site, out / site.name)
    write_checker_zip(out / "checker.zip")
    index = {"site": site.name if site.exists() else None, "wheels": [w.name for w in wheels],
             "checker": "checker.zip"}
    (out / "index.json").write_text(json.dumps(index, indent=1), encoding="utf-8")


def copy_static(app, exception=None):
    """Our files into _static/ ourselves, before the pages (whose ?v= checksums are of them) and
    after the build: Sphinx 7.4 leaves an existing _static file alone when its source has changed."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir) / "_static"
    out.mkdir(parents=True, exist_ok=True)
    for name in (PAGE_SCRIPT, PAGE_STYLE, "w2v-answer-worker.js"):
        shutil.copyfile(BOOK / "_static" / name, out / name)


def setup(app):
    app.connect("builder-inited", copy_static)
    app.connect("build-finished", copy_static)
    app.add_node(answer_box, html=(_visit_skip, None), latex=(_visit_skip, None), text=(_visit_skip, None))
    app.add_directive("answer-box", AnswerBox)
    app.add_directive("answer-boxes", AnswerBoxes)
    # After w2v_html and w2v_explorables (900), which replace the pages' asset lists.
    app.connect("html-page-context", page_assets, priority=950)
    app.connect("build-finished", write_python)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
