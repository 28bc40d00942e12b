"""The explorers' JavaScript, assembled two ways, and the Sphinx extension that ships it.

* :func:`module_source`: the ES module anywidget runs in Jupyter (``Explorer._esm``).
* :func:`page_source`: the script the book build writes to ``_static/w2v-explorables.js``
  and adds to each page that has an explorer; it renders the explorers from the widget
  state myst-nb embeds, with no kernel and no widget manager.

Writing the page script at build time (rather than using the ``_esm`` stored in a
notebook's widget state) means the page never runs a stale copy from the execution cache.
The copies of the module in the embedded widget state are then dead weight (~40 KB per
explorer), so each page's copy is replaced by a one-line stub.
This module has no imports from ``derivations``: Jupyter Book loads it as the local
extension ``sphinx_explorables`` (see _config.yml).
"""
import json
from pathlib import Path

STATIC = Path(__file__).parent / "static"
PARTS = ("common.js", "naive_softmax.js", "neg_sampling.js", "skipgram.js")
PAGE_SCRIPT = "w2v-explorables.js"
MARKER = "w2v-explorable"
STUB = f"/* {MARKER}: the page runs _static/{PAGE_SCRIPT} */"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _shared():
    return "\n".join((STATIC / name).read_text(encoding="utf-8") for name in PARTS)


def module_source():
    """The ES module with anywidget's ``render({model, el})``."""
    return _shared() + "\nexport default { render: renderExplorer };\n"


def page_source():
    """The classic script for the published page, its names kept out of the global scope."""
    page = (STATIC / "page.js").read_text(encoding="utf-8")
    return "(function () {\n\"use strict\";\n" + _shared() + "\n" + page + "\n})();\n"


def _write_script(app):
    if app.builder.format == "html":
        out = Path(app.outdir) / "_static" / PAGE_SCRIPT
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page_source(), encoding="utf-8")


def _add_script(app):
    # Written before any page, so Sphinx's ?v= checksum in each page is the new file's.
    _write_script(app)


def _rewrite_script(app, exception):
    if exception is None:   # again at the end, in case a static-file copy replaced it
        _write_script(app)


def stub_module_copies(body):
    """The widget-state JSON ``body`` with each explorer's ``_esm`` replaced by :data:`STUB`."""
    data = json.loads(body)
    for model in (data.get("state") or {}).values():
        state = model.get("state") or {}
        if isinstance(state.get("_esm"), str) and MARKER in state["_esm"] and state.get("kind"):
            state["_esm"] = STUB
    # As myst-nb writes it: "</" escaped so the JSON cannot end its <script> early.
    return json.dumps(data).replace("</", "<\\/")


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
