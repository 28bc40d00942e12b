"""Shared fixtures: the built book served on 127.0.0.1, and Debian's Chromium.

Browser tests never skip in CI (CI=true): a missing browser or book is a failure.
Locally they skip with the reason printed (pytest -ra shows it).
"""
import functools
import http.server
import os
import shutil
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import settings

# A safety net under every property test's own @settings (tests/test_suite_rules.py requires
# those to state max_examples and deadline): no deadline, since a shared CI machine's timing
# is no property of the code; derandomized, so a run's examples are the same on every run and
# a failure reproduces; print_blob, so a failure prints the line that replays it.
# (pytest's --hypothesis-profile still chooses another registered profile.)
settings.register_profile("w2v", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("w2v")

ROOT = Path(__file__).resolve().parent.parent
# The book's Sphinx extensions (w2v_html, w2v_math), importable by the tests that check them.
sys.path.insert(0, str(ROOT / "book" / "_ext"))
# W2V_HTML lets a developer point the browser tests at another build folder.
HTML = Path(os.environ.get("W2V_HTML", ROOT / "_build" / "html"))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _missing(reason):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; in CI browser tests must run (make test installs and builds it)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def built_book():
    """Path of the built HTML book (``make book`` makes it; ``make test`` runs that first)."""
    if not (HTML / "index.html").exists():
        _missing(f"no built book at {HTML}: run `make book`")
    return HTML


@pytest.fixture(scope="session")
def book_url(built_book):
    """Base URL of the built book served from 127.0.0.1 on a free port."""
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not shutil.which("chromium") and not Path(CHROMIUM).exists():
        _missing("Debian's chromium is not installed: `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh page whose requests to any host but 127.0.0.1 are aborted.

    ``page.failed_requests`` and ``page.console_errors`` collect what went wrong.
    """
    context, pg = open_page(browser)
    yield pg
    context.close()


def open_page(browser, **context_options):
    """(context, page) as the ``page`` fixture makes them, e.g. with ``viewport=`` or
    ``color_scheme="dark"`` (the page tests crawl every page in several contexts).
    The caller closes the context."""
    context = browser.new_context(**context_options)
    pg = context.new_page()
    pg.failed_requests, pg.console_errors, pg.blocked = [], [], []

    def route(r):
        url = r.request.url
        if url.startswith(("http://127.0.0.1", "file://", "data:", "blob:")):
            r.continue_()
        else:
            pg.blocked.append(url)
            r.abort()
    pg.route("**/*", route)
    pg.on("requestfailed", lambda req: pg.failed_requests.append(req.url))
    pg.on("console", lambda msg: msg.type == "error" and pg.console_errors.append(msg.text))
    pg.on("pageerror", lambda exc: pg.console_errors.append(str(exc)))
    return context, pg
