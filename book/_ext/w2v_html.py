"""Sphinx extension for the published HTML: offline pages, alt text, dark mode.

Loaded through ``sphinx: local_extensions`` in _config.yml. It does three small things that
Jupyter Book v1's own settings cannot:

* **Alt text on every figure.** An image without alt text gets its figure's caption; one with
  neither raises a warning (an error under ``jupyter-book build -W``) naming the page and how to
  fix it. A notebook plot gets its alt text from the cell metadata that myst-nb reads::

      {"mystnb": {"image": {"alt": "Loss falls from 2.3 to 0.4 over 200 steps"}}}

  (Without it, docutils would write the image's file name as its alt text.)
* **No thebe.** sphinx-thebe is always loaded by Jupyter Book and puts a CDN address
  (unpkg) and its script on every page, twice (``THEBE_JS_URL`` declared twice is a console
  error). With ``launch_buttons.thebe`` off, its scripts and stylesheet are dropped.
* **Lighter pages.** The theme's ``fontawesome.js`` (1.5 MB, which only redraws the icons
  that its stylesheet already draws with the bundled Font Awesome fonts) is left out of every
  page by ``templates/layout.html``, and the theme's source maps (``*.map``, never loaded by a
  page) are deleted from the output, which stays a self-contained folder to zip. The theme
  loads Sphinx's search index and tools (76 kB) on every page for a search-as-you-type that is
  off (``search_as_you_type = False``): only the search page, which loads them itself, keeps
  them. The repository button's GitHub glyph is the only one from Font Awesome's brands font
  (118 kB): it becomes the solid font's ``fa-code-branch``, so no page fetches that font.
* **MathJax only where math arrives after the build.** Every page's math is typeset as SVG
  when the book is built (``w2v_math.py``), so pages load no MathJax. The search page is the
  exception: its results (titles and excerpts that hold TeX; an excerpt gets each formula's
  TeX from the ``data-tex`` that ``w2v_math.py`` keeps) arrive while the reader types.
  It keeps Sphinx's MathJax configuration and fetches MathJax itself the first time a result
  with TeX appears, so an empty search page stays light.
* **Only the assets a page uses.** sphinx-design's stylesheet and tab script stay off pages
  with no sphinx-design element.
* **A valid colour mode.** pydata-sphinx-theme logs "Got invalid theme mode" on a first visit
  unless ``default_mode`` is set; it is set to ``auto`` (follow the reader's system setting).
* **Accessible to a keyboard and a screen reader** (axe-core finds no serious violation,
  ``tests/test_accessibility.py``): the search button's spoken name matches what it shows
  (``templates/search-button-field.html``), and a formula or output that scrolls sideways
  becomes a tab stop while it does.
"""
import json
import re
from pathlib import Path

from docutils import nodes
from markupsafe import Markup
from sphinx.util import logging

logger = logging.getLogger(__name__)

_THEBE_MARKERS = ("sphinx-thebe.js", "sphinx-thebe.css", "THEBE_JS_URL")


def _caption_text(image):
    """The caption of the figure holding ``image``, or '' when it has none."""
    parent = image.parent
    while parent is not None and not isinstance(parent, nodes.figure):
        parent = parent.parent
    if parent is None:
        return ""
    for child in parent.children:
        if isinstance(child, nodes.caption):
            return child.astext().strip()
    return ""


def fill_alt_text(app, doctree, docname):
    """Give an image without alt text its figure's caption (on each page as it is written)."""
    for image in doctree.findall(nodes.image):
        if not image.get("alt", "").strip():
            caption = _caption_text(image)
            if caption:
                image["alt"] = caption


def check_alt_text(app, env):
    """Warn about every image with neither alt text nor a caption, in every document.

    Runs on every build, over every document's stored doctree, not only those re-read:
    a warning raised only when a page is read would pass unnoticed in the next,
    incremental build.
    """
    for docname in sorted(env.found_docs):
        try:
            doctree = env.get_doctree(docname)
        except (FileNotFoundError, OSError):
            continue
        for image in doctree.findall(nodes.image):
            if image.get("alt", "").strip() or _caption_text(image):
                continue
            logger.warning(
                "image %r has no alt text: give the notebook cell the metadata "
                '{"mystnb": {"image": {"alt": "what the figure shows"}}}, a figure caption, '
                "or an :alt: option", image.get("uri", "?"),
                location=(docname, image.line), type="w2v", subtype="alt_text")


def _wants_thebe(app):
    launch = (app.config.html_theme_options or {}).get("launch_buttons", {}) or {}
    return bool(launch.get("thebe"))


def _is_thebe_asset(asset):
    text = f"{getattr(asset, 'filename', asset) or ''} {getattr(asset, 'attributes', {}).get('body', '')}"
    return any(marker in text for marker in _THEBE_MARKERS)


# sphinx-design (cards, grids, tabs, dropdowns) writes classes "sd-…"; a page without one
# has no use for its 55 KB stylesheet and tab script, which Jupyter Book adds to every page.
_SPHINX_DESIGN_CLASS = re.compile(r'class="(?:[^"]*\s)?sd-')
_DESIGN_FILES = ("sphinx-design.", "design-tabs.js")


def _is_design_asset(asset):
    return any(name in str(getattr(asset, "filename", asset) or "") for name in _DESIGN_FILES)


def _dedupe(assets):
    seen, kept = set(), []
    for asset in assets:
        key = (str(getattr(asset, "filename", asset)), getattr(asset, "attributes", {}).get("body", ""))
        if key not in seen:
            seen.add(key)
            kept.append(asset)
    return kept


# Search results hold TeX (titles, excerpts): load MathJax the first time one does, typeset them.
_SEARCH_MATH = r"""document.addEventListener("DOMContentLoaded", () => {
  const results = document.getElementById("search-results");
  if (!results) return;
  // An excerpt may cut a formula in two: drop the cut-off part, so no TeX shows.
  const clean = t => {
    const open = t.search(/\\[([]/), close = t.search(/\\[)\]]/);
    if (close >= 0 && (open < 0 || close < open)) t = "\u2026" + t.slice(close + 2);
    const lastOpen = Math.max(t.lastIndexOf("\\("), t.lastIndexOf("\\["));
    const lastClose = Math.max(t.lastIndexOf("\\)"), t.lastIndexOf("\\]"));
    return lastOpen > lastClose ? t.slice(0, lastOpen) + "\u2026" : t;
  };
  // Excerpts are cut from each page's text, where math is SVG: give them its TeX instead
  // (w2v_math.py keeps it in data-tex), to be typeset below like the titles.
  if (typeof Search !== "undefined" && Search.htmlToText) {
    const toText = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => {
      const doc = new DOMParser().parseFromString(htmlString, "text/html");
      for (const m of doc.querySelectorAll("mjx-container[data-tex]")) {
        const [open, close] = m.getAttribute("display") === "true" ? ["\\[", "\\]"] : ["\\(", "\\)"];
        m.replaceWith(open + m.dataset.tex + close);
      }
      return toText(doc.documentElement.outerHTML, anchor);
    };
  }
  const mathjax = () => new Promise((resolve, reject) => {
    if (!document.getElementById("w2v-mathjax")) {
      const script = Object.assign(document.createElement("script"),
                                   {id: "w2v-mathjax", src: MATHJAX_URL, async: true});
      script.onerror = reject;
      document.head.appendChild(script);
    }
    const wait = () => window.MathJax && MathJax.startup && MathJax.startup.promise
      ? resolve(MathJax.startup.promise) : setTimeout(wait, 20);
    wait();
  });
  let timer = null;
  new MutationObserver(() => {
    for (const p of results.querySelectorAll("p.context:not([data-w2v-clean])")) {
      p.dataset.w2vClean = "1";
      p.textContent = clean(p.textContent);
    }
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (!/\\[(\[]/.test(results.textContent)) return;
      // Kept, so that a test (or anything else) can wait until the results are typeset.
      window.w2vSearchMath = mathjax().then(() => MathJax.typesetPromise([results]));
    }, 50);
  }).observe(results, {childList: true, subtree: true});
});"""


# A box that scrolls sideways must be reachable by keyboard, or a reader without a mouse cannot
# scroll it (axe: scrollable-region-focusable). custom.css lets a formula wider than the column,
# and a wide cell output, scroll inside its own box; this makes such a box a tab stop exactly
# while it overflows (at phone width, say), as the theme does for code blocks and tables, so
# the many formulas that fit add no tab stops. An output box also gets a role and a name.
_SCROLLABLE = re.compile(r'class="[^"]*\b(math|cell_output)\b')
_SCROLL_FOCUS = r"""window.w2vScrollFocus = selector => {
  for (const box of document.querySelectorAll(selector)) {
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    const output = box.classList.contains("cell_output");
    if (scrolls && !box.hasAttribute("tabindex")) {
      box.tabIndex = 0;
      box.dataset.w2vScrollFocus = "1";
      if (output) {
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", "cell output (scrolls sideways)");
      }
    } else if (!scrolls && box.dataset.w2vScrollFocus) {
      box.removeAttribute("tabindex");
      delete box.dataset.w2vScrollFocus;
      if (output) {
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    }
  }
};
document.addEventListener("DOMContentLoaded", () => {
  const update = () => w2vScrollFocus(".bd-article mjx-container, .bd-article .cell_output");
  update();
  let timer = null;
  window.addEventListener("resize", () => { clearTimeout(timer); timer = setTimeout(update, 150); });
  document.fonts.ready.then(update);
});"""


def _is_mathjax(asset, config):
    """Sphinx's MathJax script tag or its inline configuration."""
    filename = str(getattr(asset, "filename", asset) or "")
    body = getattr(asset, "attributes", {}).get("body", "")
    return (bool(config.mathjax_path) and filename.endswith(str(config.mathjax_path).lstrip("./"))) \
        or "window.MathJax" in body


def page_assets(app, pagename, templatename, context, doctree):
    """Drop thebe's assets when thebe is off, drop duplicate scripts, set the colour mode;
    no MathJax but on the search page, where it loads when results with TeX arrive; on a page
    with math or cell outputs, the script that makes a sideways-scrolling box a tab stop."""
    context["default_mode"] = context.get("default_mode") or "auto"
    solid_icons(context.get("header_buttons") or [])
    scripts = context.get("script_files")
    if scripts is not None:
        mathjax = [a for a in scripts if _is_mathjax(a, app.config)]
        scripts = [a for a in scripts if a not in mathjax]
        if pagename == "search":
            from sphinx.builders.html._assets import _JavaScript
            url = next((context["pathto"](str(a.filename), 1) for a in mathjax if a.filename), None)
            settings = [a for a in mathjax if not a.filename]
            if url:
                body = f"const MATHJAX_URL = {json.dumps(url)};\n{_SEARCH_MATH}"
                scripts += [*settings, _JavaScript("", body=body)]
        if pagename != "search" and _SCROLLABLE.search(context.get("body") or ""):
            from sphinx.builders.html._assets import _JavaScript
            scripts = [*scripts, _JavaScript("", body=_SCROLL_FOCUS)]
        context["script_files"] = scripts
    thebe = _wants_thebe(app)
    design = _SPHINX_DESIGN_CLASS.search(context.get("body") or "") is not None
    for key in ("script_files", "css_files"):
        assets = context.get(key)
        if assets is None:
            continue
        if not thebe:
            assets = [a for a in assets if not _is_thebe_asset(a)]
        if not design:
            assets = [a for a in assets if not _is_design_asset(a)]
        context[key] = _dedupe(assets)


_FONTAWESOME_JS = re.compile(r'\s*<script[^>]*src="[^"]*/fontawesome\.js[^"]*"[^>]*></script>')


_INLINE_SEARCH = re.compile(r'\s*<script src="[^"]*(?:_static/searchtools\.js|_static/language_data\.js|'
                            r'searchindex\.js)"></script>')
# A brands-font icon (the source buttons' ``fab fa-github``) and the solid-font icon drawn instead.
BRAND_ICON = re.compile(r"\bfab fa-[a-z-]+")
SOLID_ICON = "fas fa-code-branch"


def without_fontawesome_js(html):
    """Jinja filter: the theme's head markup without its fontawesome.js script tag."""
    return Markup(_FONTAWESOME_JS.sub("", str(html)))


def without_inline_search(html):
    """Jinja filter: the theme's extra head markup without the search index and tools, which
    only its (disabled) search-as-you-type would use on a page other than the search page."""
    return Markup(_INLINE_SEARCH.sub("", str(html)))


def solid_icons(buttons):
    """The header buttons (nested dropdowns too) with every brands-font icon drawn in the solid font."""
    for button in buttons:
        if isinstance(button.get("icon"), str):
            button["icon"] = BRAND_ICON.sub(SOLID_ICON, button["icon"])
        solid_icons(button.get("buttons") or [])


def add_templates(app, config):
    # First in the search path: pydata-sphinx-theme appends its components/ folder when it
    # is loaded, and templates/search-button-field.html must win over its own.
    config.templates_path.insert(0, str(Path(__file__).parent / "templates"))


def register_filter(app):
    templates = getattr(app.builder, "templates", None)
    if templates is not None and hasattr(templates, "environment"):
        templates.environment.filters["w2v_without_fontawesome_js"] = without_fontawesome_js
        templates.environment.filters["w2v_without_inline_search"] = without_inline_search


def drop_source_maps(app, exception):
    """Source maps are for debugging the theme, never loaded by a page: not worth shipping."""
    if exception is not None or app.builder.format != "html":
        return
    for path in Path(app.outdir, "_static").rglob("*.map"):
        path.unlink()


def setup(app):
    # Sphinx's MathJax assets on every page, so the search page has them too (whose own body
    # has no math); page_assets keeps them there alone.
    app.set_html_assets_policy("always")
    app.connect("config-inited", add_templates)
    app.connect("builder-inited", register_filter)
    app.connect("build-finished", drop_source_maps)
    app.connect("doctree-resolved", fill_alt_text)
    app.connect("env-check-consistency", check_alt_text)
    # After the themes' own handlers (priority 500), so their assets are in the lists.
    app.connect("html-page-context", page_assets, priority=900)
    # Every displayed formula read back and compared with what was checked (book/_ext/w2v_display.py).
    app.setup_extension("w2v_display")
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
