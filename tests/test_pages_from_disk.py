"""The built book opened from disk (file://), e.g. unzipped on a laptop offline.

A file of its own so that pytest-xdist can run it beside tests/test_pages.py,
whose crawl is the longest single piece of the suite.
"""
import pytest

import tests.test_pages as pages
from tests.conftest import open_page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def rels(built_book):
    found = pages.book_pages(built_book)
    assert found, f"no pages found in {built_book}"
    return found


def test_opened_from_disk_math_and_explorables_work(browser, built_book, rels):
    """The output folder works opened as files (file://), e.g. unzipped on a laptop offline:
    math renders, nothing fails, explorables render and react."""
    context, pg = open_page(browser, **pages.DESKTOP)
    problems, n_math, n_explorables = [], 0, 0
    try:
        for rel in rels:
            status, facts, failed, blocked, errors = pages._visit(pg, (built_book / rel).resolve().as_uri())
            n_math += facts["nMath"]
            problems += [(rel, f"math not typeset: {t!r}") for t in facts["unrendered"]]
            problems += [(rel, f"failed request {u}") for u in failed + blocked]
            problems += [(rel, f"console error: {e}") for e in errors]
            problems += [(rel, f"image did not load: {i['url']}") for i in facts["images"] if not i["loaded"]]
            n_explorables += _explorables_react(pg, rel, problems)
    finally:
        context.close()
    assert n_math > 0, "no math found on any page"
    has_widgets = any('application/vnd.jupyter.widget-state+json' in (built_book / r).read_text(encoding="utf-8")
                      for r in rels)
    assert n_explorables > 0 or not has_widgets, "pages embed widget state but no explorable rendered"
    assert not problems, pages._report(problems)


def _explorables_react(pg, rel, problems):
    """On a page with explorables (helper "widgets": derivations/explorers, the page sets
    html[data-w2v-explorables=ready]), each renders and answers a slider moved by keyboard.
    Returns how many explorables the page has."""
    if not pg.evaluate("!!document.querySelector('script[type=\"application/vnd.jupyter.widget-state+json\"]')"):
        return 0
    try:
        pg.wait_for_selector("html[data-w2v-explorables=ready]", timeout=20_000)
    except Exception:
        problems.append((rel, "explorables never became ready"))
        return 0
    boxes = pg.locator(".w2v-x")
    for i in range(boxes.count()):
        box = boxes.nth(i)
        slider = box.locator("input[type=range]").first
        if not slider.count():
            continue
        before = box.inner_text()
        slider.focus()
        for _ in range(3):
            slider.press("ArrowRight")
        if box.inner_text() == before:
            problems.append((rel, f"explorable {i} did not react to its slider"))
    if not boxes.count():
        problems.append((rel, "widget state embedded but no explorable rendered"))
    return boxes.count()
