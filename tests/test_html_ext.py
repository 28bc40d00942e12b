"""The book's Sphinx extension (book/_ext/w2v_html.py), without a full build."""

from docutils import nodes

import w2v_html  # book/_ext, on the path through conftest.py


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


class App:
    class config:
        html_theme_options = {"launch_buttons": {"thebe": False}}
        mathjax_path = "../vendor/mathjax/es5/startup.js"
        mathjax3_config = {"loader": {"load": ["input/tex", "output/chtml"]}}


def _context(*scripts, css=(), body=""):
    return {"script_files": list(scripts), "css_files": list(css), "body": body,
            "pathto": lambda name, resource=0: f"REL/{name}"}


def _names(assets):
    return [str(a.filename) for a in assets]


def test_thebe_assets_and_duplicates_dropped():
    from sphinx.builders.html._assets import _JavaScript
    thebe_conf = _JavaScript("", body='const THEBE_JS_URL = "https://unpkg.com/thebe"')
    context = _context(_JavaScript("a.js"), thebe_conf, thebe_conf, _JavaScript("sphinx-thebe.js"),
                       _JavaScript("a.js"))
    w2v_html.page_assets(App, "book/x", "page.html", context, None)
    assert _names(context["script_files"]) == ["a.js"]
    assert context["default_mode"] == "auto"


def _mathjax_assets():
    from sphinx.builders.html._assets import _JavaScript
    return (_JavaScript("", body='window.MathJax = {"loader": {}}'),
            _JavaScript("_static/../vendor/mathjax/es5/startup.js", defer="defer"))


def test_no_mathjax_on_a_page_its_math_is_typeset_at_build_time():
    from sphinx.builders.html._assets import _JavaScript
    context = _context(_JavaScript("a.js"), *_mathjax_assets())
    w2v_html.page_assets(App, "book/x", "page.html", context, None)
    assert _names(context["script_files"]) == ["a.js"]
    assert not any("MathJax" in (a.attributes.get("body") or "") for a in context["script_files"])


def test_search_page_loads_mathjax_only_when_results_hold_tex():
    from sphinx.builders.html._assets import _JavaScript
    context = _context(_JavaScript("a.js"), *_mathjax_assets())
    w2v_html.page_assets(App, "search", "search.html", context, None)
    scripts = context["script_files"]
    assert "startup.js" not in " ".join(_names(scripts)), "MathJax must not load with the empty page"
    bodies = [a.attributes.get("body") or "" for a in scripts]
    assert any(b.startswith("window.MathJax") for b in bodies), "the configuration stays"
    loader = next(b for b in bodies if "MATHJAX_URL" in b)
    assert 'const MATHJAX_URL = "REL/_static/../vendor/mathjax/es5/startup.js";' in loader


def test_sphinx_design_assets_only_on_pages_that_use_it():
    from sphinx.builders.html._assets import _CascadingStyleSheet, _JavaScript
    assets = dict(css=[_CascadingStyleSheet("_static/sphinx-design.min.css"), _CascadingStyleSheet("b.css")])
    scripts = (_JavaScript("_static/design-tabs.js"), _JavaScript("a.js"))
    plain = _context(*scripts, **assets, body='<p class="x">no design here: sd-card in prose</p>')
    w2v_html.page_assets(App, "book/x", "page.html", plain, None)
    assert _names(plain["css_files"]) == ["b.css"] and _names(plain["script_files"]) == ["a.js"]
    cards = _context(*scripts, **assets, body='<div class="sd-card sd-sphinx-override">')
    w2v_html.page_assets(App, "book/y", "page.html", cards, None)
    assert len(cards["css_files"]) == 2 and len(cards["script_files"]) == 2


def test_search_index_and_tools_left_to_the_search_page():
    head = ('<meta name="docsearch:version" content="" />\n'
            '    <script src="../_static/searchtools.js"></script>\n'
            '    <script src="../_static/language_data.js"></script>\n'
            '    <script src="../searchindex.js"></script>\n'
            '    <script src="../_static/w2v-answer-box.js?v=1"></script>')
    out = str(w2v_html.without_inline_search(head))
    assert "search" not in out.replace("docsearch", "")
    assert 'content="" />' in out and "w2v-answer-box.js" in out


def test_brand_icons_drawn_in_the_solid_font():
    buttons = [{"icon": "fab fa-github", "url": "u"},
               {"type": "group", "buttons": [{"icon": "fab fa-gitlab"}, {"icon": "fas fa-download"}]}]
    w2v_html.solid_icons(buttons)
    assert [buttons[0]["icon"], *(b["icon"] for b in buttons[1]["buttons"])] == \
        ["fas fa-code-branch", "fas fa-code-branch", "fas fa-download"]
