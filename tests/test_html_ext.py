"""The book's Sphinx extension (book/_ext/w2v_html.py, issue 7), without a full build."""
import sys
from pathlib import Path

from docutils import nodes

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "book" / "_ext"))
import w2v_html  # noqa: E402


def _doc(*children):
    doc = nodes.section()
    doc.extend(children)
    return doc


def test_alt_text_kept_or_taken_from_the_caption(caplog):
    own = nodes.image(uri="a.png", alt="a plot of the loss")
    captioned = nodes.image(uri="b.png")
    figure = nodes.figure("", captioned, nodes.caption("", "The loss falls over 200 steps."))
    with caplog.at_level("WARNING"):
        w2v_html.fill_alt_text(None, _doc(nodes.paragraph("", "", own), figure), "book/x")
    assert own["alt"] == "a plot of the loss"
    assert captioned["alt"] == "The loss falls over 200 steps."
    assert not [r for r in caplog.records if "alt text" in r.getMessage()]


def test_an_image_without_alt_text_or_caption_is_a_warning(caplog):
    bare = nodes.image(uri="_build/jupyter_execute/plot.png")
    captioned = nodes.image(uri="ok.png")
    docs = {"book/x": _doc(bare), "book/y": _doc(nodes.figure("", captioned, nodes.caption("", "A caption.")))}

    class Env:
        found_docs = set(docs)

        def get_doctree(self, docname):
            return docs[docname]
    with caplog.at_level("WARNING"):
        w2v_html.check_alt_text(None, Env())
    messages = [r.getMessage() for r in caplog.records if "alt text" in r.getMessage()]
    assert len(messages) == 1 and "plot.png" in messages[0] and '"mystnb"' in messages[0], messages
    assert "alt" not in bare


def test_fontawesome_script_removed_and_nothing_else():
    head = ('<link href="../_static/styles/theme.css" rel="stylesheet" />\n'
            '  <script defer src="../_static/scripts/fontawesome.js?digest=55c2"></script>\n'
            '  <link rel="preload" as="script" href="../_static/scripts/bootstrap.js" />')
    out = str(w2v_html.without_fontawesome_js(head))
    assert "fontawesome" not in out
    assert out.count("<link") == 2 and "bootstrap.js" in out


def test_thebe_assets_and_duplicates_dropped():
    from sphinx.builders.html._assets import _JavaScript

    class App:
        class config:
            html_theme_options = {"launch_buttons": {"thebe": False}}
            mathjax_path = "../vendor/mathjax/es5/startup.js"
            mathjax3_config = {"loader": {"load": ["input/tex", "output/chtml"]}}
    thebe_conf = _JavaScript("", body='const THEBE_JS_URL = "https://unpkg.com/thebe"')
    context = {"script_files": [_JavaScript("a.js"), thebe_conf, thebe_conf, _JavaScript("sphinx-thebe.js"),
                                _JavaScript("a.js")], "css_files": []}
    w2v_html.page_assets(App, "book/x", "page.html", context, None)
    assert [str(js.filename) for js in context["script_files"]] == ["a.js"]
    assert context["default_mode"] == "auto"
    # The components MathJax's loader will fetch, preloaded from the output root.
    assert context["w2v_preload_js"] == [f"vendor/mathjax/es5/{c}.js" for c in
                                         ("core", "input/tex", "output/chtml", "output/chtml/fonts/tex")]
