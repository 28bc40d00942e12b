"""The published book, page by page, in Debian's Chromium with no network.

Every page of the built book (``make book``; W2V_HTML points elsewhere) is served from
127.0.0.1 with every other host blocked (conftest.open_page) and checked for: failed or
blocked requests, console errors, math left unrendered, images that did not load or lack
alt text, internal links and anchors that lead nowhere; then full-text search, phone width
(390 px), dark mode (contrast of math and plots), and the folder opened from disk (file://).
"""
import base64
import io
import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.bench_pages import pages as book_pages
from tests.conftest import ROOT, open_page

import w2v_math  # book/_ext, on the path through conftest.py

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
# TeX that must never reach a reader's eyes: typesetting removes the delimiters.
RAW_TEX = ("$$", "\\frac", "\\begin{", "\\(", "\\[", "\\mathbf", "\\sum")

# The math is typeset when the book is built (book/_ext/w2v_math.py): a page is done once it
# has loaded and its fonts are in. Reports whether the page started MathJax, which only the
# search page may do (for results that arrive later).
MATH_DONE = """async () => {
  await document.fonts.ready;
  if (window.MathJax && window.MathJax.version) return 'MathJax started';
  return document.querySelector('.math') ? 'math' : 'no math';
}"""

# What one page shows: its math, images, links, ids and prose.
PAGE_FACTS = """async () => {
  const article = document.querySelector('.bd-article') || document.body;
  const maths = Array.from(article.querySelectorAll('.math'));
  const unrendered = maths.filter(m => !m.querySelector('mjx-container svg'))
                          .map(m => m.textContent.trim().slice(0, 80));
  const texErrors = Array.from(document.querySelectorAll('mjx-merror, [data-mml-node="merror"]'))
                         .map(m => m.getAttribute('data-mjx-error') || m.textContent.slice(0, 80));
  const prose = article.cloneNode(true);
  prose.querySelectorAll('pre, code, script, style, mjx-assistive-mml').forEach(e => e.remove());
  const words = article.cloneNode(true);
  words.querySelectorAll('pre, code, script, style, .math, mjx-container, .cell_output, .headerlink')
       .forEach(e => e.remove());
  const images = Array.from(document.images);
  await Promise.all(images.map(i => i.complete ? null : new Promise(r => {
    i.addEventListener('load', r); i.addEventListener('error', r); setTimeout(r, 5000); })));
  return {
    nMath: maths.length,
    unrendered, texErrors,
    proseText: prose.textContent,
    words: Array.from(words.querySelectorAll('p, li, dd, h1, h2, h3, h4')).map(e => e.textContent).join(' '),
    images: images.map(i => ({src: i.getAttribute('src'), url: i.currentSrc || i.src,
                              loaded: i.complete && i.naturalWidth > 0, alt: i.getAttribute('alt')})),
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
    icons: Array.from(document.querySelectorAll('link[rel~="icon"]')).map(l => l.href),
    resources: performance.getEntriesByType('resource').map(e => e.name),
    context: Array.from(article.querySelectorAll('.w2v-definition, .w2v-not-this, .w2v-case')).map(e => ({
      cls: e.className, tag: e.tagName, hasMath: !!e.querySelector('mjx-container svg'),
      label: getComputedStyle(e, e.tagName === 'DIV' ? '::before' : '::after').content})),
  };
}"""


def _visit(pg, url):
    """Open url in pg; return (MATH_DONE status, PAGE_FACTS, failed, blocked, console errors)."""
    marks = len(pg.failed_requests), len(pg.blocked), len(pg.console_errors)
    pg.goto(url, wait_until="load")
    status = pg.evaluate(MATH_DONE)
    pg.wait_for_load_state("networkidle")
    facts = pg.evaluate(PAGE_FACTS)
    return (status, facts, pg.failed_requests[marks[0]:], pg.blocked[marks[1]:],
            pg.console_errors[marks[2]:])


@pytest.fixture(scope="module")
def rels(built_book):
    found = book_pages(built_book)
    assert found, f"no pages found in {built_book}"
    return found


@pytest.fixture(scope="module")
def crawl(browser, book_url, rels):
    """Every page visited once at desktop width, light mode: {page: (status, facts, failed,
    blocked, console errors, contrast)}."""
    context, pg = open_page(browser, color_scheme="light", **DESKTOP)
    try:
        return {rel: (*_visit(pg, f"{book_url}/{rel}"), pg.evaluate(CONTRAST)) for rel in rels}
    finally:
        context.close()


@pytest.fixture(scope="module")
def phone_dark(browser, book_url, rels):
    """Every page visited once at phone width (390 px) in dark mode: {page: (phone facts,
    contrast, failed, blocked, console errors)}."""
    context, pg = open_page(browser, color_scheme="dark", **PHONE)
    try:
        out = {}
        for rel in rels:
            _, _, failed, blocked, errors = _visit(pg, f"{book_url}/{rel}")
            out[rel] = (pg.evaluate(PHONE_FACTS), pg.evaluate(CONTRAST), failed, blocked, errors)
        return out
    finally:
        context.close()


def _report(problems):
    return "\n".join(f"{page}: {what}" for page, what in problems)


def test_every_toc_entry_is_a_page(built_book, rels):
    """_toc.yml's every file became a page (so the crawl below covers the whole book)."""
    toc = (ROOT / "_toc.yml").read_text()
    files = re.findall(r"^\s*(?:-\s*file|root):\s*(\S+)", toc, flags=re.M)
    assert files, "no files found in _toc.yml"
    missing = [f for f in files if f"{Path(f).with_suffix('.html').as_posix()}" not in rels]
    assert not missing, f"_toc.yml entries with no built page: {missing}"


def test_no_failed_blocked_or_console_errors(crawl, phone_dark):
    problems = []
    for rel, (_, _, failed, blocked, errors) in phone_dark.items():
        problems += [(rel, f"(phone, dark) failed or blocked request {u}") for u in failed + blocked]
        problems += [(rel, f"(phone, dark) console error: {e}") for e in errors]
    for rel, (status, _, failed, blocked, errors, _) in crawl.items():
        problems += [(rel, f"failed request {u}") for u in failed]
        problems += [(rel, f"request to another host (blocked) {u}") for u in blocked]
        problems += [(rel, f"console error: {e}") for e in errors]
        if status == "MathJax started":
            problems.append((rel, "MathJax ran in the page: its math should have been typeset at build time"))
    assert not problems, _report(problems)


def test_every_math_block_rendered(crawl):
    problems, n_math = [], 0
    for rel, (status, facts, *_) in crawl.items():
        n_math += facts["nMath"]
        problems += [(rel, f"math not typeset: {t!r}") for t in facts["unrendered"]]
        problems += [(rel, f"TeX error in math: {t!r}") for t in facts["texErrors"]]
        raw = [t for t in RAW_TEX if t in facts["proseText"]]
        if raw:
            problems.append((rel, f"raw TeX in the visible text: {raw}"))
    assert n_math > 0, "no math found on any page: the check would pass vacuously"
    assert not problems, _report(problems)


LABELS = {"w2v-definition": '"definition"', "w2v-not-this": '"not this"', "w2v-case": '"case"'}


def test_every_context_formula_is_labelled_on_the_page(crawl):
    """Each formula the source marks as context (book/_ext/w2v_display.py does not read it) is on its
    page with its math typeset and its label ("definition", "not this", "case") shown beside it."""
    import w2v_display
    marked = {}
    for page, kind, _ in w2v_display.prose_inventory():
        marked[page] = marked.get(page, 0) + (kind == "context")
    problems = []
    for rel, (_, facts, *_) in crawl.items():
        shown = facts["context"]
        page = Path(rel).with_suffix(".ipynb").name
        page = page if page in marked else Path(rel).with_suffix(".md").name
        if len(shown) < marked.get(page, 0):
            problems.append((rel, f"{marked[page]} context formulas in the source, {len(shown)} on the page"))
        for e in shown:
            cls = next((c for c in LABELS if c in e["cls"].split()), None)
            if not e["hasMath"] or e["label"] != LABELS[cls]:
                problems.append((rel, f"{e['tag']}.{cls}: math typeset {e['hasMath']}, label {e['label']}"))
    assert sum(marked.values()) > 0 and sum(len(f["context"]) for _, f, *_ in crawl.values()) > 0
    assert not problems, _report(problems)


def test_every_image_loads_with_alt_text(crawl):
    problems, n_images = [], 0
    for rel, (_, facts, *_) in crawl.items():
        for img in facts["images"]:
            n_images += 1
            if not img["loaded"]:
                problems.append((rel, f"image did not load: {img['url']}"))
            alt = (img["alt"] or "").strip()
            # docutils writes the file name as alt text when none was given.
            if not alt or alt == img["src"] or alt == Path(urlsplit(img["url"]).path).name:
                problems.append((rel, f"image without alt text: {img['src']} (alt={img['alt']!r})"))
    assert n_images > 0, "no images on any page: the check would pass vacuously"
    assert not problems, _report(problems)


def _ids(path, cache={}):
    if path not in cache:
        text = path.read_text(encoding="utf-8", errors="replace")
        cache[path] = set(re.findall(r'\s(?:id|name)="([^"]+)"', text))
    return cache[path]


def test_every_internal_link_and_anchor_resolves(crawl, built_book, book_url):
    problems, n_links = [], 0
    for rel, (_, facts, *_) in crawl.items():
        for href in set(facts["links"]):
            if not href.startswith(book_url):
                continue          # external (launch buttons, repository): checked elsewhere
            n_links += 1
            parts = urlsplit(href)
            target = built_book / unquote(parts.path).lstrip("/")
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                problems.append((rel, f"link to a missing file: {href}"))
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in _ids(target):
                problems.append((rel, f"link to a missing anchor: {href}"))
    assert n_links > 0, "no internal links found"
    assert not problems, _report(problems)


def test_every_page_names_an_icon_that_exists(crawl, built_book, book_url):
    """Without <link rel=icon>, a browser asks the server for /favicon.ico: a 404 and a console
    error on every visit (Playwright's routed pages never make that request, so it is checked
    here)."""
    problems = []
    for rel, (_, facts, *_) in crawl.items():
        if not facts["icons"]:
            problems.append((rel, "no <link rel=icon>"))
        for href in facts["icons"]:
            path = unquote(urlsplit(href).path).lstrip("/")
            if not href.startswith(book_url) or not (built_book / path).is_file():
                problems.append((rel, f"icon missing: {href}"))
    assert not problems, _report(problems)


def test_no_page_loads_what_only_search_or_a_brand_icon_needs(crawl):
    """The search index and tools (76 kB) load on the search page alone, and no page fetches Font
    Awesome's brands font (118 kB, for one GitHub glyph drawn in the solid font instead)."""
    problems = []
    for rel, (_, facts, *_) in crawl.items():
        for url in facts["resources"]:
            name = urlsplit(url).path.rsplit("/", 1)[-1]
            if name.startswith("fa-brands") or (name in ("searchindex.js", "searchtools.js") and rel != "search.html"):
                problems.append((rel, f"loads {name}"))
    assert not problems, _report(problems)
    assert any(facts["resources"] for _, facts, *_ in crawl.values()), "no page reported its requests"


def _search_term(rel, crawl):
    """A word of this page's prose that occurs on as few other pages as possible."""
    def words(r):
        return re.findall(r"[a-z]{6,}", crawl[r][1]["words"].lower())
    mine = words(rel)
    if not mine:
        return None
    elsewhere = {r: set(words(r)) for r in crawl if r != rel}
    return min(set(mine), key=lambda w: (sum(w in s for s in elsewhere.values()), -mine.count(w), w))


def test_search_finds_a_term_from_each_chapter(browser, book_url, crawl):
    chapters = [r for r in crawl if r.startswith("book/")]
    assert chapters, "no chapter pages found"
    context, pg = open_page(browser, **DESKTOP)
    problems, n_excerpt_math = [], 0
    try:
        for rel in chapters:
            term = _search_term(rel, crawl)
            if term is None:
                problems.append((rel, "no prose words to search for"))
                continue
            pg.goto(f"{book_url}/search.html?q={term}")
            pg.wait_for_function("""() => {
                const s = document.querySelector('#search-results .search-summary, p.search-summary');
                return s && /found|did not match/i.test(s.textContent); }""", timeout=15_000)
            # "Search finished" shows while excerpts are still being fetched; each one that
            # arrives may start MathJax. Wait for them all, so nothing is cut off below.
            pg.wait_for_function("""() => Array.from(document.querySelectorAll('#search-results ul.search li'))
                .every(li => li.querySelector('p.context'))""", timeout=15_000)
            hits = pg.evaluate("Array.from(document.querySelectorAll('#search-results ul.search a'))"
                               ".map(a => a.href)")
            overlap = pg.evaluate("""() => {
                const form = document.querySelector('.bd-search-container form.bd-search');
                const icon = form.querySelector('i, svg').getBoundingClientRect();
                const input = form.querySelector('input'), box = input.getBoundingClientRect();
                const textLeft = box.left + parseFloat(getComputedStyle(input).paddingLeft);
                return icon.right > textLeft + 0.5 ? [icon.right, textLeft] : null; }""")
            if overlap:
                problems.append((rel, f"the search field's icon covers its text: {overlap}"))
            if not any(urlsplit(h).path.endswith(rel) for h in hits):
                problems.append((rel, f"search for {term!r} does not list this page (got {hits})"))
            # Titles and excerpts with math are typeset once the results are in.
            shown = pg.evaluate("""async (raw) => {
                const text = () => { const r = document.querySelector('#search-results').cloneNode(true);
                    r.querySelectorAll('mjx-assistive-mml').forEach(e => e.remove()); return r.textContent; };
                for (let i = 0; i < 60 && raw.some(t => text().includes(t)); i++)
                    await new Promise(r => setTimeout(r, 50));
                // Let the last typesetting (debounced by 50 ms) and its fonts finish before the
                // next search leaves the page, which would cut off what is still loading.
                await new Promise(r => setTimeout(r, 100));
                if (window.w2vSearchMath) await window.w2vSearchMath;
                void document.body.offsetHeight;
                await document.fonts.ready;
                return text(); }""", list(RAW_TEX))
            n_excerpt_math += pg.evaluate("document.querySelectorAll('#search-results p.context mjx-container').length")
            raw = [t for t in RAW_TEX if t in shown]
            if raw:
                problems.append((rel, f"search results for {term!r} show raw TeX {raw}"))
        assert not pg.console_errors, pg.console_errors
        assert not pg.failed_requests and not pg.blocked, (pg.failed_requests, pg.blocked)
    finally:
        context.close()
    assert not problems, _report(problems)
    # Excerpts are cut from pages whose math is SVG: they show it typeset (from its data-tex).
    assert n_excerpt_math > 0, "no search excerpt showed a typeset formula"


def test_notebook_download_and_launch_buttons(crawl, built_book):
    """Each chapter built from a notebook offers its .ipynb and Binder/Colab/JupyterHub links
    built from the one repository URL in _config.yml."""
    config = (ROOT / "_config.yml").read_text()
    repo = re.search(r"^repository:\s*\n\s+url:\s*(\S+)", config, flags=re.M).group(1).rstrip("/")
    owner_repo = "/".join(urlsplit(repo).path.strip("/").split("/")[:2])
    notebooks = [r for r in crawl if (ROOT / Path(r).with_suffix(".ipynb")).is_file()]
    assert notebooks, "no page is built from a notebook"
    problems = []
    for rel in notebooks:
        html = (built_book / rel).read_text(encoding="utf-8")
        ipynb = Path(rel).with_suffix(".ipynb").as_posix()
        download = built_book / "_sources" / ipynb
        if f'_sources/{ipynb}"' not in html or not download.is_file():
            problems.append((rel, "no download of its notebook"))
        elif json.loads(download.read_text(encoding="utf-8")).get("nbformat") != 4:
            problems.append((rel, "the downloaded file is not a notebook"))
        links = set(re.findall(r'href="(https://[^"]+)"', html))
        for name, host in (("Binder", "mybinder.org"), ("Colab", "colab.research.google.com"),
                           ("JupyterHub", "hub/user-redirect/git-pull")):
            ok = [u for u in links if host in u and ipynb in unquote(u) and owner_repo in unquote(u)]
            if not ok:
                problems.append((rel, f"no {name} launch link for {ipynb} in {repo}"))
    assert not problems, _report(problems)


# ----- phone width -------------------------------------------------------------------------

# Geometry at phone width. An element inside a box that scrolls sideways by itself (a table's
# or code's container, a display equation) may be wider than the screen if that box is not.
PHONE_FACTS = """() => {
  const vw = document.documentElement.clientWidth;
  const inside = r => r.right <= vw + 1 && r.left >= -1;
  // A box that scrolls sideways by itself and sits within the screen: what is wider inside
  // it is a swipe away, not a sideways-scrolling page.
  const scrollsInScreen = el => { for (let e = el.parentElement; e && e !== document.body; e = e.parentElement)
                                    if (['auto', 'scroll'].includes(getComputedStyle(e).overflowX) &&
                                        inside(e.getBoundingClientRect())) return true;
                                  return false; };
  const out = {vw, pageWidth: document.documentElement.scrollWidth, wide: [], math: []};
  const article = document.querySelector('.bd-article') || document.querySelector('main') || document.body;
  for (const e of article.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (!r.width || inside(r) || scrollsInScreen(e)) continue;
    out.wide.push((e.tagName + '.' + e.className).slice(0, 80) + ' right=' + Math.round(r.right));
  }
  // Inline math: shown in full, unless the first box around it that is not overflow:visible
  // scrolls (then the rest is a swipe away).
  for (const m of article.querySelectorAll('mjx-container:not([display="true"])')) {
    const r = m.getBoundingClientRect();
    for (let e = m.parentElement; e && e !== article; e = e.parentElement) {
      const s = getComputedStyle(e).overflowX;
      if (s === 'visible') continue;
      const b = e.getBoundingClientRect();
      if ((s === 'hidden' || s === 'clip') && (r.right > b.right + 1 || r.left < b.left - 1))
        out.math.push({tex: (m.closest('.math') || m).textContent.slice(0, 40), clippedBy: e.tagName + '.' + e.className});
      break;
    }
  }
  return out;
}"""


def test_phone_width_prose_never_scrolls_sideways(phone_dark):
    problems = []
    for rel, (f, *_) in phone_dark.items():
        if f["pageWidth"] > f["vw"]:
            problems.append((rel, f"page is {f['pageWidth']} px wide at a {f['vw']} px viewport"))
        problems += [(rel, f"wider than the screen: {t}") for t in sorted(set(f["wide"]))[:10]]
        problems += [(rel, f"inline math clipped: {m}") for m in f["math"]]
    assert not problems, _report(problems)


WIDE_EQUATION = " + ".join(f"\\frac{{x_{{{i}}}}}{{y_{{{i}}}}}" for i in range(40))


def test_phone_width_wide_equation_scrolls_in_its_own_box(browser, book_url, crawl):
    """A display equation far wider than a phone scrolls inside its box; the page does not.
    The equation is typeset as the build typesets the book's (w2v_math.render_pages)."""
    rel = next(r for r, (_, facts, *_) in crawl.items() if facts["nMath"])
    html = ('<html><head></head><body><div class="math notranslate nohighlight">\\['
            + WIDE_EQUATION + '\\]</div></body></html>')
    typeset = w2v_math.render_pages({"wide": html})[0]["wide"]
    context, pg = open_page(browser, **PHONE)
    try:
        _visit(pg, f"{book_url}/{rel}")
        f = pg.evaluate("""async (html) => {
          const doc = new DOMParser().parseFromString(html, 'text/html');
          const div = doc.querySelector('div.math'), glyphs = doc.querySelector('#MJX-SVG-global-cache');
          const p = document.querySelector('.bd-article p');
          p.after(div);
          document.body.append(glyphs);
          const box = div.querySelector('mjx-container');
          const before = box.scrollLeft; box.scrollLeft = 200;
          return {vw: document.documentElement.clientWidth, page: document.documentElement.scrollWidth,
                  right: box.getBoundingClientRect().right, inner: box.scrollWidth,
                  outer: box.clientWidth, scrolled: box.scrollLeft - before};
        }""", typeset)
    finally:
        context.close()
    assert f["inner"] > 2 * f["vw"], f"the test equation is not wide: {f}"
    assert f["page"] <= f["vw"], f"the page scrolls sideways: {f}"
    assert f["right"] <= f["vw"] + 1, f"the equation's box sticks out of the screen: {f}"
    assert f["scrolled"] > 0, f"the equation's box does not scroll: {f}"


# ----- dark mode ---------------------------------------------------------------------------

# Contrast (WCAG) of math against what is behind it, and of each image's darkest ink
# (its darkest 0.1 % of opaque pixels: text, axes) against its "paper" (the median pixel, composited on what is behind the
# image). A transparent plot with black text on a dark page fails; on a light card it passes.
CONTRAST = """async () => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => { const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
                               return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const ratio = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  const behind = el => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
                           if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3); }
                         return [255, 255, 255]; };
  const math = Array.from(document.querySelectorAll('.bd-article mjx-container')).slice(0, 60).map(m =>
    ({tex: (m.closest('.math') || m).textContent.slice(0, 30), ratio: ratio(lum(rgb(getComputedStyle(m).color)), lum(behind(m)))}));
  const images = [];
  for (const img of document.querySelectorAll('.bd-article img')) {
    if (!img.naturalWidth) continue;
    const w = Math.min(img.naturalWidth, 1200), h = Math.round(img.naturalHeight * w / img.naturalWidth);
    const c = document.createElement('canvas'); c.width = w; c.height = h;
    const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0, w, h);
    const px = ctx.getImageData(0, 0, w, h).data, bg = behind(img), L = [], ink = [];
    for (let i = 0; i < px.length; i += 4) {
      const a = px[i + 3] / 255, col = [0, 1, 2].map(k => a * px[i + k] + (1 - a) * bg[k]);
      const l = lum(col); L.push(l); if (a > 0.5) ink.push(l);
    }
    L.sort((x, y) => x - y); ink.sort((x, y) => x - y);
    const paper = L[Math.floor(L.length / 2)], darkest = ink.length ? ink[Math.floor(ink.length * 0.001)] : paper;
    images.push({src: (img.getAttribute('src') || '').slice(0, 60), ratio: ratio(paper, darkest)});
  }
  return {theme: document.documentElement.dataset.theme, math, images};
}"""


def _plot_png(transparent):
    """A matplotlib plot as a data: URL (default style: black text and axes)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(4, 3), dpi=80)
    ax.plot([0, 1, 2, 3], [2.3, 1.2, 0.7, 0.4], color="black")
    ax.set_title("loss per step")
    ax.set_xlabel("step")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", transparent=transparent)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


INJECT_PLOT = """(src) => {
  const out = document.createElement('div');
  out.className = 'cell_output docutils container';
  out.innerHTML = '<img alt="test plot" src="' + src + '">';   // as myst-nb writes a plot
  document.querySelector('.bd-article p').after(out);
  return new Promise(r => { const i = out.querySelector('img'); i.complete ? r() : i.onload = r; });
}"""


def test_math_and_plots_legible_in_light_and_dark_mode(crawl, phone_dark):
    """Contrast (WCAG, >= 4.5) of every page's math and plots, light (desktop) and dark (phone)."""
    problems, n_math = [], 0
    for scheme, results in (("light", {r: v[5] for r, v in crawl.items()}),
                            ("dark", {r: v[1] for r, v in phone_dark.items()})):
        for rel, f in results.items():
            n_math += len(f["math"])
            if f["theme"] != scheme:
                problems.append((rel, f"theme is {f['theme']!r}, not {scheme!r}"))
            problems += [(rel, f"{scheme}: math contrast {m['ratio']:.1f} < 4.5: {m['tex']!r}")
                         for m in f["math"] if m["ratio"] < 4.5]
            problems += [(rel, f"{scheme}: plot contrast {i['ratio']:.1f} < 4.5: {i['src']}")
                         for i in f["images"] if i["ratio"] < 4.5]
    assert n_math > 0, "no math measured"
    assert not problems, _report(problems)


def _ink_contrast(png):
    """WCAG contrast between a picture's paper (its median grey) and its ink (the 0.5 % of
    pixels farthest from the paper)."""
    from PIL import Image
    grey = sorted(Image.open(png).convert("L").tobytes())      # one byte per pixel
    paper = grey[len(grey) // 2]
    k = max(1, len(grey) // 200)
    ink = grey[k] if paper > 127 else grey[-1 - k]

    def lum(v):
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    a, b = lum(paper), lum(ink)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


@pytest.mark.parametrize("scheme, size", [("light", "desktop"), ("dark", "desktop"), ("dark", "phone")])
def test_transparent_plot_legible_and_screenshot(browser, book_url, crawl, scheme, size, tmp_path_factory):
    """A matplotlib plot saved with a transparent background (black text) placed in a chapter
    as a cell output stays legible; a screenshot of the page in each mode is kept (its path is
    printed) and must be light or dark overall as the mode says; a formula's own pixels
    contrast with what is behind them."""
    from PIL import Image, ImageStat
    rel = next(r for r, (_, facts, *_) in crawl.items() if facts["nMath"])
    context, pg = open_page(browser, color_scheme=scheme, **(PHONE if size == "phone" else DESKTOP))
    try:
        _visit(pg, f"{book_url}/{rel}")
        pg.evaluate(INJECT_PLOT, _plot_png(transparent=True))
        f = pg.evaluate(CONTRAST)
        folder = tmp_path_factory.mktemp("screenshots")
        shot = folder / f"{Path(rel).stem}-{scheme}-{size}.png"
        pg.screenshot(path=str(shot))
        # The pixels of a formula, as drawn (not its CSS colour): SVG glyphs in currentColor.
        formula = folder / f"{Path(rel).stem}-{scheme}-{size}-formula.png"
        display = pg.locator(".bd-article div.math mjx-container svg")
        (display if display.count() else pg.locator(".bd-article mjx-container svg")).first.screenshot(path=str(formula))
        print(f"screenshots: {shot} {formula}")
    finally:
        context.close()
    ratio = _ink_contrast(formula)
    assert ratio >= 4.5, f"a formula drawn in {scheme} mode has contrast {ratio:.1f} ({formula})"
    plot = [i for i in f["images"] if i["src"].startswith("data:")]
    assert plot, "the injected test plot was not found"
    assert plot[0]["ratio"] >= 4.5, f"transparent plot in {scheme} mode: contrast {plot[0]['ratio']:.1f}"
    mean = ImageStat.Stat(Image.open(shot).convert("L")).mean[0] / 255
    assert (mean > 0.6) if scheme == "light" else (mean < 0.4), f"{scheme} page has mean brightness {mean:.2f}"
