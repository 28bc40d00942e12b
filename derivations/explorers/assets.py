"""The explorers' JavaScript, assembled from ``static/*.js`` two ways.

* :func:`module_source`: the ES module anywidget runs in Jupyter (``Explorer._esm``).
* :func:`page_source`: the script the book build writes to ``_static/w2v-explorables.js``
  and adds to each page that has an explorer; it renders the explorers from the widget
  state myst-nb embeds, with no kernel and no widget manager.

Writing the page script at build time (rather than using the ``_esm`` stored in a
notebook's widget state) means the page never runs a stale copy from the execution cache.
The copies of the module in the embedded widget state are then dead weight (~40 KB per
explorer), so each page's copy is replaced by a one-line stub.
The Sphinx extension that ships the page script is ``book/_ext/w2v_explorables.py``.
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


def stub_module_copies(body):
    """The widget-state JSON ``body`` with each explorer's ``_esm`` replaced by :data:`STUB`."""
    data = json.loads(body)
    for model in (data.get("state") or {}).values():
        state = model.get("state") or {}
        if isinstance(state.get("_esm"), str) and MARKER in state["_esm"] and state.get("kind"):
            state["_esm"] = STUB
    # As myst-nb writes it: "</" escaped so the JSON cannot end its <script> early.
    return json.dumps(data).replace("</", "<\\/")
