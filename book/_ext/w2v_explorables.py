"""Sphinx extension: ships the explorers' page script and slims their widget state.

It writes ``_static/w2v-explorables.js`` (:func:`derivations.explorers.assets.page_source`)
and adds it only to pages that have an explorer, whose embedded module copies it replaces
with a one-line stub (:func:`~derivations.explorers.assets.stub_module_copies`).
"""
from pathlib import Path

import derivations
from derivations.explorers.assets import MARKER, PAGE_SCRIPT, WIDGET_STATE, page_source, stub_module_copies


def _write_script(app):
    if app.builder.format == "html":
        out = Path(app.outdir) / "_static" / PAGE_SCRIPT
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page_source(), encoding="utf-8")


def _check_package(app):
    # The page script must come from the book being built (the student edition builds a
    # stripped copy beside its sources), never from another `derivations` on the path.
    package = Path(derivations.__file__).resolve().parent.parent
    if package != Path(app.srcdir).resolve():
        from sphinx.errors import ExtensionError
        raise ExtensionError(f"w2v_explorables: `import derivations` found {package}, not the book's own "
                             f"{Path(app.srcdir).resolve()}: put the book's folder first on PYTHONPATH")


def _add_script(app):
    _check_package(app)
    # Written before any page, so Sphinx's ?v= checksum in each page is the new file's.
    _write_script(app)


def _rewrite_script(app, exception):
    if exception is None:   # again at the end, in case a static-file copy replaced it
        _write_script(app)


def _stub_page_state(app, pagename, templatename, context, doctree):
    """On a page with explorers: stub their module copies, add the page script (only there:
    it is ~45 KB that other pages would load for nothing)."""
    scripts = context.get("script_files") or []
    explorers = False
    for k, js in enumerate(scripts):
        attributes = getattr(js, "attributes", None) or {}
        if attributes.get("type") == WIDGET_STATE and MARKER in attributes.get("body", ""):
            body = stub_module_copies(attributes["body"])
            scripts[k] = type(js)(js.filename, priority=js.priority, **{**attributes, "body": body})
            explorers = True
    if explorers:
        # Into this page's own list: other handlers (w2v_html) may have replaced the list that
        # app.add_js_file would extend.
        from sphinx.builders.html._assets import _JavaScript
        context["script_files"] = [*scripts, _JavaScript(f"_static/{PAGE_SCRIPT}")]


def setup(app):
    app.connect("builder-inited", _add_script)
    app.connect("build-finished", _rewrite_script)
    # After myst-nb (priority 500) has added the page's widget state.
    app.connect("html-page-context", _stub_page_state, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
