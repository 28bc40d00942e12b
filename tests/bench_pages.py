"""Weight and speed of each published page (issue 7): `make bench` prints run().

For every page of the built book (W2V_HTML, default _build/html), served from 127.0.0.1 in
headless Debian Chromium with a cold cache and every other host blocked:
* bytes transferred (bodies + headers of every response), twice: from a plain file server
  (no compression: the full weight) and from one that gzips text as static hosts such as
  GitHub Pages do (what a reader's browser actually downloads);
* milliseconds from navigation start until MathJax has typeset the page (its startup
  pageReady promise resolved) and the fonts it uses have loaded, for pages with math.
Targets (issue 7): under 1.5 MB for a typical chapter, math rendered in under 1 s locally.
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

# Runs before any page script: wraps the page's MathJax configuration so that MathJax's own
# pageReady (load, typeset) records when it finished. window.__w2vMathDone stays undefined on a
# page without MathJax.
MATH_TIMER = """
(() => {
  let current;
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    get() { return current; },
    set(value) {
      if (value && !value.version && !(value.startup && value.startup.__w2vTimed)) {
        value.startup = Object.assign({}, value.startup, {
          __w2vTimed: true,
          pageReady() {
            return window.MathJax.startup.defaultPageReady()
              .then(() => { window.__w2vTypeset = performance.now(); })
              .then(() => document.fonts.ready)      // the glyphs' web fonts are in too
              .then(() => { window.__w2vMathDone = performance.now(); });
          },
        });
      }
      current = value;
    },
  });
})();
"""


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
    """(bytes transferred, [ms until typeset, ms until its fonts are in] or None, number of
    requests) for one cold load."""
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script(MATH_TIMER)
    responses = []
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
        ("http://127.0.0.1", "data:", "blob:")) else r.abort())
    page.on("requestfinished", lambda request: responses.append(request))
    page.goto(url, wait_until="load")
    has_math = page.evaluate("document.querySelector('.math') !== null")
    math_ms = None
    if has_math:
        page.wait_for_function("window.__w2vMathDone !== undefined", timeout=30_000)
        math_ms = page.evaluate("[window.__w2vTypeset, window.__w2vMathDone]")
    page.wait_for_load_state("networkidle")
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
                    rows.append((f"{rel}: math typeset, fonts loaded", math_ms[1], "ms", "< 1000"))
            browser.close()
    finally:
        plain.shutdown()
        zipped.shutdown()
    return rows


if __name__ == "__main__":
    for label, value, unit, target in run():
        print(f"{label:60s} {value:>10.3f} {unit:3s}  target {target}")
