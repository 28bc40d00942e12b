"""Every page of the built book passes an axe-core audit: no serious or critical violation.

axe-core comes from the npm registry as a development dependency of ``book/_vendor``
(``npm ci --prefix book/_vendor``, run by ``make vendor``; it is not shipped with the book).
It is injected into each page of the built book (``make book``; W2V_HTML points elsewhere)
in Debian's Chromium: every rule at desktop width in light mode, and the rules that read
colours or layout again in dark mode and at phone width (390 px, where wide formulas
scroll); then once more on each page with an explorer (every rule in light mode, the colour
rules in dark), after a reader has used it from the keyboard and the mouse. A failure lists each violation: page, rule, impact,
the elements and axe's own summary of what to fix.
"""
import re

import pytest

from tests.bench_pages import pages as book_pages
from tests.conftest import ROOT, _missing, open_page

import w2v_html  # book/_ext, on the path through conftest.py

AXE = ROOT / "book" / "_vendor" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

# axe.run over the whole document; only what fails, with enough to find and fix it.
RUN_AXE = """async rules => {
  const options = {resultTypes: ['violations']};
  if (rules) options.runOnly = {type: 'rule', values: rules};
  const result = await axe.run(document, options);
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                              summary: (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 300)}))}));
}"""


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        _missing(f"axe-core is not installed at {AXE}: run `make vendor` (npm ci --prefix book/_vendor)")
    return AXE.read_text(encoding="utf-8")


# Every rule runs once per page, at desktop width in light mode. The other modes change only
# colours (dark) or the layout (phone: what overflows, how large a tap target is), so there
# only the rules that read those run: the audit stays complete at a third of the time.
THEME_RULES = ["color-contrast", "link-in-text-block"]
LAYOUT_RULES = ["scrollable-region-focusable", "color-contrast", "target-size", "meta-viewport"]


def audit(pg, axe_source, rules=None):
    """The page's serious and critical axe violations (a list of dicts, empty when it passes);
    ``rules``: only these axe rule ids (default: all)."""
    if not pg.evaluate("() => typeof window.axe === 'object'"):
        pg.add_script_tag(content=axe_source)
    return [v for v in pg.evaluate(RUN_AXE, rules) if v["impact"] in BLOCKING]


def report(found):
    """One block per (page, violation): rule, impact, what axe says, and up to five elements."""
    lines = []
    for where, v in found:
        lines.append(f"{where}: {v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} element(s)")
        lines += [f"    {n['target']}: {n['summary']}\n      {n['html']}" for n in v["nodes"][:5]]
    return "\n".join(lines)


def _settle(pg):
    # The theme fades colours on a mode change (transitions): contrast is measured after them.
    pg.wait_for_load_state("networkidle")
    pg.evaluate("() => document.fonts.ready")
    pg.wait_for_timeout(300)


def _crawl(browser, base, rels, axe_source, context_options, audits):
    """Visit every page once; on each, for each ``(theme, rules)`` of ``audits`` in turn,
    switch the colour mode and run those rules (None: all)."""
    context, pg = open_page(browser, **context_options)
    found = []
    try:
        for rel in rels:
            pg.goto(f"{base}/{rel}", wait_until="load")
            for theme, rules in audits:
                pg.evaluate("mode => { document.documentElement.dataset.theme = mode; }", theme)
                _settle(pg)
                found += [(f"{rel} [{theme}, {context_options['viewport']['width']} px]", v)
                          for v in audit(pg, axe_source, rules)]
    finally:
        context.close()
    return found


@pytest.fixture(scope="module")
def rels(built_book):
    found = book_pages(built_book)
    assert found, f"no pages found in {built_book}"
    return found


@pytest.mark.browser
@pytest.mark.slow   # axe on every page: seconds per page
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_every_page_has_no_serious_or_critical_violation(browser, book_url, rels, axe_source, width):
    audits = [("light", None), ("dark", THEME_RULES)] if width == "desktop" else \
        [("light", LAYOUT_RULES), ("dark", THEME_RULES)]
    found = _crawl(browser, book_url, rels, axe_source, DESKTOP if width == "desktop" else PHONE, audits)
    assert not found, "axe-core found serious or critical violations:\n" + report(found)


# What a reader does to an explorer: every slider and draggable point moved from the keyboard,
# every button pressed (twice, so that Play starts and stops).
USE_EXPLORERS = """async () => {
  const key = (el, k) => el.dispatchEvent(new KeyboardEvent('keydown', {key: k, bubbles: true}));
  let used = 0;
  for (const x of document.querySelectorAll('.w2v-x')) {
    for (const el of x.querySelectorAll('input[type=range], [tabindex="0"]')) {
      el.focus(); key(el, 'ArrowRight'); key(el, 'ArrowUp'); used++;
      if (el.type === 'range') { el.stepUp(); el.dispatchEvent(new Event('input', {bubbles: true})); }
    }
    for (const b of x.querySelectorAll('button')) { b.click(); b.click(); used++; }
  }
  await new Promise(r => setTimeout(r, 400));
  return used;
}"""


@pytest.mark.browser
@pytest.mark.slow   # loads and uses every page with an explorer: seconds
def test_explorers_after_use_have_no_serious_or_critical_violation(browser, book_url, built_book, rels,
                                                                   axe_source):
    with_explorers = [r for r in rels if 'class="w2v-x' in (built_book / r).read_text(encoding="utf-8")
                      or "w2v-explorables" in (built_book / r).read_text(encoding="utf-8")]
    assert "book/explorers.html" in with_explorers, "the explorers page is missing or has no explorer"
    context, pg = open_page(browser, **DESKTOP)
    found = []
    try:
        for rel in with_explorers:
            pg.goto(f"{book_url}/{rel}", wait_until="load")
            pg.wait_for_selector("html[data-w2v-explorables=ready]", timeout=20000)
            assert pg.evaluate(USE_EXPLORERS) > 0, f"{rel}: no control found to use"
            for theme, rules in (("light", None), ("dark", THEME_RULES)):
                pg.evaluate("mode => { document.documentElement.dataset.theme = mode; }", theme)
                _settle(pg)
                found += [(f"{rel} after use [{theme}]", v) for v in audit(pg, axe_source, rules)]
        assert not pg.console_errors, pg.console_errors
    finally:
        context.close()
    assert not found, "axe-core found serious or critical violations after using the explorers:\n" + report(found)


# -- the audit, audited: it must fail on the slips it is here to catch --

BAD_PAGE = """<!doctype html><html lang="en"><head><title>t</title></head><body><main>
<button aria-label="Search"><span>Find</span> Ctrl+K</button>
<button><svg width="10" height="10"></svg></button>
<div id="wide" style="width: 100px; overflow-x: auto"><p style="white-space: nowrap">WIDE</p></div>
</main></body></html>""".replace("WIDE", "a formula wider than its box " * 20)


@pytest.mark.browser
def test_the_audit_catches_a_mismatched_label_a_nameless_button_and_an_unreachable_scroller(browser, axe_source):
    context, pg = open_page(browser, **DESKTOP)
    try:
        pg.set_content(BAD_PAGE)
        ids = {v["id"] for v in audit(pg, axe_source)}
        assert {"label-content-name-mismatch", "button-name", "scrollable-region-focusable"} <= ids, ids
        assert "button-name" in report([("p", v) for v in audit(pg, axe_source)])
        # The book's fix for the last one, on the same page: a tab stop while the box scrolls.
        pg.add_script_tag(content=w2v_html._SCROLL_FOCUS)
        pg.evaluate("w2vScrollFocus('#wide')")
        assert pg.evaluate("document.getElementById('wide').tabIndex") == 0
        assert "scrollable-region-focusable" not in {v["id"] for v in audit(pg, axe_source)}
    finally:
        context.close()


def test_pages_with_math_or_outputs_get_the_scroll_focus_script():
    from sphinx.builders.html._assets import _JavaScript

    class App:
        class config:
            html_theme_options, mathjax_path = {}, ""

    def scripts_for(pagename, body):
        context = {"script_files": [_JavaScript("a.js")], "css_files": [], "body": body,
                   "pathto": lambda name, resource=0: name}
        w2v_html.page_assets(App, pagename, "page.html", context, None)
        return [a.attributes.get("body") or "" for a in context["script_files"]]
    assert any("w2vScrollFocus" in b for b in scripts_for("book/x", '<span class="math notranslate">'))
    assert any("w2vScrollFocus" in b for b in scripts_for("book/x", '<div class="cell_output docutils">'))
    assert not any("w2vScrollFocus" in b for b in scripts_for("book/x", "<p>prose only</p>"))
    assert not any("w2vScrollFocus" in b for b in scripts_for("search", '<span class="math">'))


def test_the_search_button_template_shows_what_it_is_called():
    template = (ROOT / "book" / "_ext" / "templates" / "search-button-field.html").read_text()
    button = re.search(r"<button[^>]*>", template).group(0)
    assert "aria-label" not in button and "search-button-field" in button   # name from the visible text
