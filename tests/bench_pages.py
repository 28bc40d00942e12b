"""Weight and speed of each published page: `make bench` prints run().

For every page of the built book (W2V_HTML, default _build/html), served from 127.0.0.1 in
headless Debian Chromium with a cold cache and every other host blocked:
* bytes transferred (bodies + headers of every response), twice: from a plain file server
  (no compression: the full weight) and from one that gzips text as static hosts such as
  GitHub Pages do (what a reader's browser actually downloads);
* milliseconds from navigation start until the page's math is rendered, for pages with math:
  the math is SVG in the HTML (typeset when the book is built), so this is until the page
  has loaded (its load event is over) and its web fonts are in.
Targets (a reader on a slow connection or an old laptop): under 1.5 MB for a typical chapter, math rendered in under 1 s locally.
"""
import functools
import gzip
import http.server
import io
import os
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HTML = Path(os.environ.get("W2V_HTML", ROOT / "_build" / "html"))
CHROMIUM = "/usr/bin/chromium"
MB = 1e6

# The math is in each page as SVG (book/_ext/w2v_math.py), drawn with the page, so "math
# rendered" is when the page has loaded (load event over) and its web fonts are in; first it is
# checked that every formula is SVG (no TeX left for a script to typeset).
MATH_READY = """async () => {
  const maths = Array.from(document.querySelectorAll('.math'));
  if (!maths.length) return null;
  await document.fonts.ready;
  const untypeset = maths.filter(m => !m.querySelector('mjx-container svg')).length;
  const nav = performance.getEntriesByType('navigation')[0];
  const fonts = performance.getEntriesByType('resource')
    .filter(r => /\\.(woff2?|ttf|otf)([?#]|$)/.test(r.name)).map(r => r.responseEnd);
  return {untypeset, ms: Math.max(nav.loadEventEnd, ...fonts)};
}"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _Gzip(_Quiet):
    """Serves text files gzip-compressed when the browser accepts it, as static hosts do."""
    TEXT = (".html", ".css", ".js", ".json", ".svg", ".txt", ".ipynb")

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if (path.suffix not in self.TEXT or not path.is_file()
                or "gzip" not in self.headers.get("Accept-Encoding", "")):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), 6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def _serve(handler):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(HTML)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def pages(html=HTML):
    """Every HTML page of the book except Sphinx's generated index and the redirecting root."""
    out = []
    for path in sorted(html.rglob("*.html")):
        rel = path.relative_to(html).as_posix()
        if rel.startswith(("_static/", "_sources/", "vendor/")) or rel == "genindex.html":
            continue
        if "http-equiv=\"Refresh\"" in path.read_text(encoding="utf-8", errors="replace")[:500]:
            continue
        out.append(rel)
    return out


def measure(browser, url):
    """(bytes transferred, ms until its math is rendered or None, number of requests) for one
    cold load."""
    context = browser.new_context()
    page = context.new_page()
    responses = []
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
        ("http://127.0.0.1", "data:", "blob:")) else r.abort())
    page.on("requestfinished", lambda request: responses.append(request))
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    math = page.evaluate(MATH_READY)
    if math and math["untypeset"]:
        raise RuntimeError(f"{url}: {math['untypeset']} formula(s) not typeset as SVG")
    math_ms = math and math["ms"]
    total = 0
    for request in responses:
        sizes = request.sizes()
        total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    context.close()
    return total, math_ms, len(responses)


def run():
    from playwright.sync_api import sync_playwright
    if not (HTML / "index.html").exists():
        raise RuntimeError(f"no built book at {HTML}: run `make book` first")
    (plain, base), (zipped, zbase) = _serve(_Quiet), _serve(_Gzip)
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
            measure(browser, f"{base}/{pages()[0]}")      # warm-up: browser start-up is not the page's
            for rel in pages():
                total, math_ms, _ = measure(browser, f"{base}/{rel}")
                ztotal, _, _ = measure(browser, f"{zbase}/{rel}")
                # bench.py reads a target as "<op> <number>" in the row's unit.
                rows.append((f"{rel}: MB transferred, uncompressed", total / MB, "MB", "< 1.5"))
                rows.append((f"{rel}: MB transferred, gzip", ztotal / MB, "MB", "< 1.5"))
                if math_ms is not None:
                    rows.append((f"{rel}: math rendered (page loaded, fonts in)", math_ms, "ms", "< 1000"))
            browser.close()
    finally:
        plain.shutdown()
        zipped.shutdown()
    return rows


if __name__ == "__main__":
    for label, value, unit, target in run():
        print(f"{label:60s} {value:>10.3f} {unit:3s}  target {target}")
