"""Responsiveness of the explorers, driven programmatically.

Jupyter: one update = set a state trait as the page would (v_c, a u_w, K), let
the explorer call the loss-and-gradient functions and publish ``result``, and
serialise the state that goes back to the page (what the widget comm would
send). Timed at the largest supported sizes, |V| = 50 and d = 10.

Published page (when a built book is there: W2V_HTML or _build/html): one update
= the page's own compute and redraw, layout included, for a drag of v_c.
"""
import json
import os
import time
from pathlib import Path

import numpy as np

from derivations.explorers import NaiveSoftmaxExplorer, NegSamplingExplorer, SkipgramExplorer

UPDATES = 200


def _timings(widget, change, n=UPDATES):
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        change(widget, rng, i)
        json.dumps(widget.get_state([k for k in ("result", "v_c", "U", "V", "negatives")
                                     if widget.has_trait(k)]))
        out.append(time.perf_counter() - t0)
    return np.asarray(out) * 1e3


def _move_v_c(w, rng, i):
    w.v_c = rng.uniform(-2, 2, size=len(w.v_c)).tolist()


def _move_u_w(w, rng, i):
    U = np.asarray(w.U)
    U[:, i % U.shape[1]] = rng.uniform(-2, 2, size=U.shape[0])
    w.U = U.tolist()


def _change_K(w, rng, i):
    w.K = 1 + i % 20


def _move_centre(w, rng, i):
    V = np.asarray(w.V)
    V[:, w.result["c"]] = rng.uniform(-2, 2, size=V.shape[0])
    w.V = V.tolist()


def cases():
    sentence = " ".join(f"w{i}" for i in range(20))
    return [
        ("naive softmax: drag v_c", NaiveSoftmaxExplorer(vocab_size=50, dim=10), _move_v_c),
        ("naive softmax: drag u_w", NaiveSoftmaxExplorer(vocab_size=50, dim=10), _move_u_w),
        ("neg sampling + naive: drag v_c", NegSamplingExplorer(vocab_size=50, dim=10, K=20), _move_v_c),
        ("neg sampling + naive: K slider", NegSamplingExplorer(vocab_size=50, dim=10), _change_K),
        ("skip-gram (20 words, m=4): drag v_c", SkipgramExplorer(sentence=sentence, m=4, t=10, dim=10), _move_centre),
    ]


PAGE_LOOP = """([kind, n]) => {
  const ex = window.w2vExplorables.find(e => e.kind === kind);
  ex.setState({vocab_size: 50, dim: 10});
  const times = [];
  for (let i = 0; i < n; i++) {
    const v = ex.state().v_c.map((x, k) => Math.sin(i + k) * 1.5);
    const t0 = performance.now();
    ex.setState({v_c: v});
    ex.el.getBoundingClientRect(); void ex.el.offsetHeight;    // force layout
    times.push(performance.now() - t0);
  }
  return times;
}"""


def page_rows():
    """Median/p95 of an update in the built page, or [] (with a note) when there is no build."""
    html = Path(os.environ.get("W2V_HTML", Path(__file__).resolve().parent.parent / "_build" / "html"))
    chapter = html / "book" / "explorers.html"
    if not chapter.exists():
        print(f"bench_widgets: no built page at {chapter}; run `make book` for the in-page timings")
        return []
    import functools
    import http.server
    import threading

    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM, CHROMIUM_ARGS, _QuietHandler
    handler = functools.partial(_QuietHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/book/explorers.html")
            page.wait_for_selector("html[data-w2v-explorables=ready]", timeout=30000)
            for kind in ("NaiveSoftmaxExplorer", "NegSamplingExplorer"):
                page.evaluate(PAGE_LOOP, [kind, 20])               # warm up
                ms = np.asarray(page.evaluate(PAGE_LOOP, [kind, UPDATES]))
                label = f"in-page update (compute + redraw), {kind}, drag v_c, |V|=50, d=10"
                rows.append((f"{label}: median", float(np.median(ms)), "ms", "< 50 ms"))
                rows.append((f"{label}: p95", float(np.percentile(ms, 95)), "ms", "< 100 ms"))
            browser.close()
    finally:
        server.shutdown()
    return rows


def run():
    rows = page_rows()
    for label, widget, change in cases():
        _timings(widget, change, 10)            # warm up
        ms = _timings(widget, change)
        size = f"|V|={len(widget.U[0])}, d={widget.dim}"
        rows.append((f"explorer update, {label}, {size}: median", float(np.median(ms)), "ms", "< 50 ms"))
        rows.append((f"explorer update, {label}, {size}: p95", float(np.percentile(ms, 95)), "ms", "< 100 ms"))
    return rows


if __name__ == "__main__":
    for label, value, unit, target in run():
        print(f"{label:<75s} {value:8.2f} {unit}  (target {target})")
