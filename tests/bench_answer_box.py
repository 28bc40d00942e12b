"""The "Check your answer" boxes' speed and weight: `make bench` prints run() (tests/bench.py).

On the page with boxes (``book/check_your_answer.html``), served from 127.0.0.1 to headless
Debian Chromium with a cold cache and every other host blocked:

* MB transferred until the page has loaded, before any *Check* (Python loads only on the first);
* seconds from pressing *Check* to the first verdict, cold: Pyodide, the SymPy and mpmath wheels
  and the checker load in a Web Worker, then judge the answer;
* seconds per later verdict (same worker), the slowest and the median of a few answers of
  different kinds (correct, transposed, wrong, a syntax error);
* MB the first *Check* transfers (Pyodide, wheels, checker).

Targets (the issue): first verdict under 15 s, later verdicts under 2 s, page before the first
Check under 1.5 MB. A row's label names the verdicts it timed: an ``error`` verdict means the
checker could not run in the page (see tests/test_answer_box.py), so its time is no check's.
"""
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.bench_pages import HTML, MB, _Quiet, _serve  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, open_page  # noqa: E402

PAGE = "book/check_your_answer.html"
FIRST = ("b", r"U(\hat{y} - y)")
LATER = [("d", r"v_c (\hat{y} - y)^T"), ("b", r"(\hat{y} - y)^T U^T"), ("f", r"\sigma(x)(1 - \sigma(x))"),
         ("g_uo", r"(\sigma(u_o^T v_c) - 1) v_c"), ("b", r"U(\hat{y} - y"), ("f", r"\sigma(x)(1 + \sigma(x))")]


def _transferred(requests):
    total = 0
    for request in requests:
        try:
            sizes = request.sizes()
        except Exception:            # a request that never got a response
            continue
        total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    return total


def measure(browser, base):
    context, pg = open_page(browser)
    try:
        requests = []
        context.on("requestfinished", lambda r: requests.append(r))
        pg.goto(f"{base}/{PAGE}", wait_until="load")
        pg.wait_for_load_state("networkidle")
        before = _transferred(requests)
        n_before = len(requests)
        # The first verdict through the box itself, as a reader gets it: type, press Check.
        box = pg.locator(f'.w2v-answer-box[data-part="{FIRST[0]}"]')
        box.locator(".w2v-answer-input").fill(FIRST[1])
        start = time.perf_counter()
        box.locator(".w2v-answer-check").click()
        pg.wait_for_function(
            f"""() => document.querySelector('.w2v-answer-box[data-part="{FIRST[0]}"] .w2v-answer-verdict')
                      .dataset.verdict""", timeout=600_000)
        first = time.perf_counter() - start
        first_kind = box.locator(".w2v-answer-verdict").get_attribute("data-verdict")
        loaded = pg.evaluate("window.w2vAnswerLoaded || null")
        pg.wait_for_load_state("networkidle")
        python = _transferred(requests[n_before:])
        later, kinds = [], []
        for part, latex in LATER:
            start = time.perf_counter()
            result = pg.evaluate("([p, l]) => window.w2vCheckAnswer(p, l)", [part, latex])
            later.append(time.perf_counter() - start)
            kinds.append(result["verdict"])
        return before, first, first_kind, loaded, python, later, kinds
    finally:
        context.close()


def run():
    from playwright.sync_api import sync_playwright
    if not (HTML / PAGE).exists():
        raise RuntimeError(f"no {PAGE} in {HTML}: run `make book` first")
    server, base = _serve(_Quiet)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            before, first, first_kind, loaded, python, later, kinds = measure(browser, base)
            browser.close()
    finally:
        server.shutdown()
    rows = [(f"{PAGE}: MB transferred before the first Check", before / MB, "MB", "< 1.5"),
            (f"answer box: first verdict, cold ({first_kind})", first, "s", "< 15"),
            ("answer box: MB the first Check transfers (Pyodide, wheels, checker)", python / MB, "MB", "")]
    if loaded:
        for stage, seconds in loaded["stages"].items():
            rows.append((f"answer box: first Check, {stage} after", seconds, "s", ""))
    shown = ", ".join(sorted(set(kinds)))
    rows += [(f"answer box: later verdicts, slowest of {len(later)} ({shown})", max(later), "s", "< 2"),
             (f"answer box: later verdicts, median of {len(later)}", statistics.median(later), "s", "< 2")]
    return rows


if __name__ == "__main__":
    for label, value, unit, target in run():
        print(f"{label:70s} {value:>10.3f} {unit:3s}  target {target}")
