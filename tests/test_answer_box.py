"""The "Check your answer" boxes: the written-answer checker in the reader's browser, offline.

``book/_ext/w2v_answer_box.py`` puts a box on a page (``{answer-box} PART``) and ships the
checker's modules (``vendor/python/checker.zip``) beside Pyodide and the SymPy and mpmath wheels;
``_static/w2v-answer-worker.js`` runs them in a Web Worker. Here, in Debian's Chromium with every
other host blocked: typing shows the LaTeX typeset, the box works from the keyboard and has a
label, every one of :data:`ANSWERS` gets Python's verdict (one page, one Pyodide, many answers),
no request leaves the book's origin, a page without a box loads no Python, and from ``file://``
the box says how to serve the book.

Pyodide has no NumPy (its WebAssembly wheel is not on the registries), so the shipped modules
must import and judge without it. Where they cannot yet (a module importing NumPy at its top
level), the verdict comparisons are expected to fail, strictly. A wrong answer's named slip
(:mod:`derivations.coursework.answers.diagnosis`, pure Python) is compared word for word.
"""
import ast
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, open_page

import w2v_answer_box  # book/_ext, on the path through conftest.py

PAGE = "book/check_your_answer.html"

# (part, LaTeX): right, equal in another form, wrong, transposed, shapes that do not fit, a syntax
# error, an unknown symbol, empty, and the older handouts' ambiguous u_k inside a sum over negatives.
ANSWERS = [
    ("a", r"-\log \hat{y}_o"),
    ("a", r"-u_o^T v_c + \log \sum_{w} \exp(u_w^T v_c)"),
    ("a", r"\log \hat{y}_o"),
    ("a", r"-y^T \log(\hat{y})"),
    ("a", r"-\log \hat{y}_o +"),
    ("b", r"U(\hat{y} - y)"),
    ("b", r"-u_o + \sum_{w} \hat{y}_w u_w"),
    ("b", r"U\hat{y} - u_o"),
    ("b", r"U(y - \hat{y})"),
    ("b", r"(\hat{y} - y)^T U^T"),
    ("b", r"U^T(\hat{y} - y)"),
    ("b", r"U(\hat{y} - y"),
    ("b", r"U(\hat{y} - z)"),
    ("b", ""),
    ("c", r"(\hat{y}_w - y_w) v_c"),
    ("c", r"\hat{y}_w v_c"),
    ("c", r"(\hat{y}_w - y_w) v_c^T"),
    ("c", r"(\hat{y}_w - y_w v_c"),
    ("c", r"\frac{\exp(u_w^T v_c)}{\sum_{x} \exp(u_x^T v_c)} v_c - y_w v_c"),
    ("d", r"v_c (\hat{y} - y)^T"),
    ("d", r"(\hat{y} - y) v_c^T"),
    ("d", r"v_c \hat{y}^T"),
    ("d", r"v_c (\hat{y} - y)"),
    ("d", r"v_c (\hat{y} - y)^{T"),
    ("f", r"\sigma(x)(1 - \sigma(x))"),
    ("f", r"\frac{e^{-x}}{(1 + e^{-x})^2}"),
    ("f", r"\sigma(x)(1 + \sigma(x))"),
    ("f", r"\frac{1}{1 + e^{-x}}"),
    ("f", r"\sigma(x)(1 - \sigma(x)"),
    ("g_vc", r"(\sigma(u_o^T v_c) - 1) u_o + \sum_{s=1}^{K} \sigma(u_{w_s}^T v_c) u_{w_s}"),
    ("g_vc", r"-(1 - \sigma(u_o^T v_c)) u_o + \sum_{s=1}^{K} (1 - \sigma(-u_{w_s}^T v_c)) u_{w_s}"),
    ("g_vc", r"(\sigma(u_o^T v_c) - 1) u_o + \sum_{k=1}^{K} \sigma(u_k^T v_c) u_k"),
    ("g_vc", r"(\sigma(u_o^T v_c) - 1) u_o - \sum_{s=1}^{K} \sigma(u_{w_s}^T v_c) u_{w_s}"),
    ("g_vc", r"(\sigma(u_o^T v_c) - 1) u_o^T + \sum_{s=1}^{K} \sigma(u_{w_s}^T v_c) u_{w_s}^T"),
    ("g_vc", r"(\sigma(u_o^T v_c) - 1) u_o + \sum_{s=1}^{K} \sigma(u_{w_s}^T v_c u_{w_s}"),
    ("g_uo", r"(\sigma(u_o^T v_c) - 1) v_c"),
    ("g_uo", r"-\sigma(-u_o^T v_c) v_c"),
    ("g_uo", r"\sigma(u_o^T v_c) v_c"),
    ("g_uo", r"(\sigma(u_o^T v_c) - 1) v_c^T"),
    ("g_uo", r"(\sigma(u_o^T v_c) - 1) \alpha"),
    ("g_uws", r"\sigma(u_{w_s}^T v_c) v_c"),
    ("g_uws", r"(1 - \sigma(-u_{w_s}^T v_c)) v_c"),
    ("g_uws", r"-\sigma(u_{w_s}^T v_c) v_c"),
    ("g_uws", r"\sigma(u_{w_s}^T v_c) v_c^T"),
    ("g_uws", r"\sigma(u_k^T v_c) v_c"),
    ("g_uws", r"\sigma(u_{w_s}^T v_c) v_c)"),
    ("e", r"\begin{cases} \alpha & x < 0 \\ 1 & x > 0 \end{cases}"),
    ("e", r"\alpha"),
    ("h", r"\sum_{k=1}^{K} [w_k = w_s] \sigma(u_{w_s}^T v_c) v_c"),
    ("h", r"\sigma(u_{w_s}^T v_c) v_c"),
    ("i_vc", r"\sum_{-m \le j \le m, j \ne 0} \frac{\partial J(v_c, w_{t+j}, U)}{\partial v_c}"),
    ("i_vw", "0"),
]


def _numpy_at_import():
    """The shipped modules that import NumPy unconditionally (at their top level, outside a try)."""
    found = []
    for name, source in w2v_answer_box.checker_modules().items():
        for node in ast.parse(source).body:
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] == "numpy" for n in names):
                found.append(name)
    return found


NEEDS_NUMPY = _numpy_at_import()
NUMPY_XFAIL = pytest.mark.xfail(
    bool(NEEDS_NUMPY), strict=True,
    reason=f"Pyodide has no NumPy and {', '.join(NEEDS_NUMPY)} import it unconditionally "
           "(each shipped module must make NumPy optional, with an mpmath/math fallback)")


def python_json(part, latex, diagnose=True):
    """What ``answer_worker`` reports for one part (the JSON ``check_answer`` reads back); with
    ``diagnose=False``, without the named slip :mod:`derivations.coursework.answers.diagnosis` adds."""
    from derivations.coursework.answers.judging import judge
    from derivations.coursework.answers.latex import AnswerError
    from derivations.coursework.verdicts import ERROR, MISSING, Verdict
    try:
        verdict = judge(part, latex, diagnose=diagnose) if latex else Verdict(MISSING, "no answer given")
    except (AnswerError, RecursionError, MemoryError) as exc:
        verdict = Verdict(ERROR, f"{type(exc).__name__}: {exc}")
    return verdict.to_json(part)


def same_verdict(got, want):
    """The verdict, message and position alike; a counterexample on both sides or neither, with the
    same reason ("values differ", "shapes differ: ..."): without NumPy, equality.py draws its sample
    points from random.Random, so the point and its worst entry differ."""
    reason = lambda c: re.split(r" \(| at \{", c.split("\n")[0])[0]
    return (got["part"], got["verdict"], got["message"], got["position"], reason(got["counterexample"])) == \
           (want["part"], want["verdict"], want["message"], want["position"], reason(want["counterexample"]))


def test_enough_answers_across_the_parts():
    from derivations.coursework.answers import REFERENCES
    parts = {part for part, _ in ANSWERS}
    assert len(ANSWERS) >= 40 and len(parts) >= 8
    assert parts <= set(REFERENCES), parts - set(REFERENCES)


def test_checker_zip_holds_the_checker_and_no_numpy_package(tmp_path):
    """The zip the page unpacks: the checker's modules, package __init__s that import nothing
    (no derivations.core), the sandbox as a stub."""
    path = tmp_path / "checker.zip"
    w2v_answer_box.write_checker_zip(path)
    names = set(zipfile.ZipFile(path).namelist())
    assert {"derivations/__init__.py", "derivations/coursework/answers/judging.py",
            "derivations/coursework/verdicts.py", "derivations/symbolic/equality.py"} <= names
    assert not any(n.startswith("derivations/core/") for n in names)
    for init in ("derivations/__init__.py", "derivations/coursework/__init__.py", "derivations/symbolic/__init__.py"):
        source = zipfile.ZipFile(path).read(init).decode()
        assert not any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(ast.parse(source))), init


# Runs the shipped zip in a fresh CPython with NumPy blocked, as Pyodide will run it.
_WITHOUT_NUMPY = r"""
import json, sys
sys.modules["numpy"] = None
sys.path.insert(0, sys.argv[1])
from derivations.coursework.answers.judging import judge
from derivations.coursework.verdicts import MISSING, Verdict
out = []
for part, latex in json.loads(sys.stdin.read()):
    out.append((judge(part, latex) if latex else Verdict(MISSING, "no answer given")).to_json(part))
print(json.dumps(out))
"""


@pytest.mark.slow
@NUMPY_XFAIL
def test_shipped_checker_without_numpy_gives_pythons_verdicts(tmp_path):
    """The fast signal for the browser test below: the same zip, NumPy blocked, in CPython."""
    path = tmp_path / "checker.zip"
    w2v_answer_box.write_checker_zip(path)
    sample = ANSWERS[::4]
    env = {**os.environ, "PYTHONPATH": ""}
    done = subprocess.run([sys.executable, "-I", "-c", _WITHOUT_NUMPY, str(path)], input=json.dumps(sample),
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout)
    bad = [(p, l, g, python_json(p, l)) for (p, l), g in zip(sample, got) if not same_verdict(g, python_json(p, l))]
    assert not bad, bad


@pytest.mark.browser          # needs the built book, like every browser test
def test_every_part_has_a_box_on_the_demonstration_page(built_book):
    from derivations.coursework.answers import REFERENCES
    text = (built_book / PAGE).read_text(encoding="utf-8")
    for part in REFERENCES:
        assert f'{w2v_answer_box.MARKER} data-part="{part}"' in text, f"no box for part {part}"
    assert text.count('role="status"') >= len(REFERENCES)


# ---------------------------------------------------------------------------- in the browser

@pytest.fixture(scope="module")
def box_page(browser, book_url):
    """One page with boxes, kept for the module: Pyodide loads once, every answer goes through it.
    ``pg.requests`` lists every request the page and its worker made."""
    context, pg = open_page(browser)
    pg.requests, pg.w2v_results = [], {}
    context.on("request", lambda r: pg.requests.append(r.url))
    pg.goto(f"{book_url}/{PAGE}", wait_until="load")
    yield pg
    context.close()


def _verdict_text(pg, part, timeout=300_000):
    box = pg.locator(f'.w2v-answer-box[data-part="{part}"]')
    pg.wait_for_function(
        """part => { const v = document.querySelector(`.w2v-answer-box[data-part="${part}"] .w2v-answer-verdict`);
                     return v && v.dataset.verdict; }""", arg=part, timeout=timeout)
    return box.locator(".w2v-answer-verdict")


@pytest.mark.browser
@pytest.mark.slow
def test_nothing_of_python_before_the_first_check(box_page):
    """A page with boxes loads their small script, and no Python, until the reader presses Check."""
    assert not [u for u in box_page.requests if "pyodide" in u or "/vendor/python/" in u]
    assert any("w2v-answer-box.js" in u for u in box_page.requests)


@pytest.mark.browser
@pytest.mark.slow
def test_typing_is_typeset_and_the_box_works_from_the_keyboard(box_page):
    pg = box_page
    # A label a screen reader announces: the input's accessible name names the part.
    field = pg.get_by_label("Your answer to (b)")
    assert field.count() == 1
    field.focus()
    pg.keyboard.type(r"U(\hat{y} - y)")
    pg.wait_for_selector('.w2v-answer-box[data-part="b"] .w2v-answer-preview mjx-container', timeout=60_000)
    pg.keyboard.press("Tab")
    assert pg.evaluate("document.activeElement.className") == "w2v-answer-check"
    pg.keyboard.press("Shift+Tab")
    pg.keyboard.press("Enter")                       # Enter in the field checks
    verdict = _verdict_text(pg, "b")
    assert verdict.get_attribute("role") == "status"
    assert verdict.get_attribute("aria-live") == "polite"
    assert verdict.inner_text().strip()
    assert not pg.console_errors, pg.console_errors


@pytest.mark.browser
@pytest.mark.slow
@NUMPY_XFAIL
def test_the_box_shows_pythons_verdict(box_page):
    want = python_json("d", r"(\hat{y} - y) v_c^T")
    field = box_page.get_by_label("Your answer to (d)")
    field.fill(r"(\hat{y} - y) v_c^T")
    box_page.locator('.w2v-answer-box[data-part="d"] .w2v-answer-check').click()
    verdict = _verdict_text(box_page, "d")
    assert verdict.get_attribute("data-verdict") == want["verdict"]
    assert want["message"] in verdict.inner_text()


@pytest.mark.browser
@pytest.mark.slow
@NUMPY_XFAIL
def test_every_answer_gets_pythons_verdict_in_the_page(box_page):
    """Every answer: the page's verdict is Python's, the named slip included (next test: that alone)."""
    bad = []
    for part, latex in ANSWERS:
        got = box_page.evaluate("([p, l]) => window.w2vCheckAnswer(p, l)", [part, latex])
        box_page.w2v_results[(part, latex)] = got
        want = python_json(part, latex)
        if not same_verdict(got, want):
            bad.append((part, latex, got, want))
    assert not bad, "\n".join(map(repr, bad))


@pytest.mark.browser
@pytest.mark.slow
def test_the_page_names_the_slip_like_python(box_page):
    """A wrong answer's diagnosis (e.g. "a sign slip", the step it first changes) as in Python."""
    bad = []
    for part, latex in ANSWERS:
        want = python_json(part, latex)
        if want["verdict"] != "wrong":
            continue
        got = box_page.w2v_results.get((part, latex)) or box_page.evaluate(
            "([p, l]) => window.w2vCheckAnswer(p, l)", [part, latex])
        if got["message"] != want["message"]:
            bad.append((part, latex, got["message"], want["message"]))
    assert not bad, "\n".join(map(repr, bad))


@pytest.mark.browser
@pytest.mark.slow
def test_no_request_leaves_the_books_origin(box_page, book_url):
    """Everything the page and its worker fetched (Pyodide and the wheels included) came from the book."""
    pg = box_page
    pg.evaluate("() => window.w2vCheckAnswer('f', '\\\\sigma(x)')")     # Python loaded, whatever the verdict
    assert any(u.endswith("pyodide.asm.wasm") for u in pg.requests), "the worker's requests were not seen"
    # SymPy and mpmath: precompiled (site-packages.zip, `make wheels`), else the wheels.
    assert any(u.endswith(("/vendor/python/site-packages.zip", ".whl")) for u in pg.requests)
    foreign = [u for u in pg.requests if not u.startswith((book_url, "data:", "blob:"))]
    assert not foreign and not pg.blocked, foreign + pg.blocked
    assert not pg.failed_requests, pg.failed_requests


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("rel", ["index.html", "book/training.html", "book/instructors.html"])   # no box on these
def test_a_page_without_a_box_loads_no_python(browser, book_url, rel):
    context, pg = open_page(browser)
    try:
        requests = []
        context.on("request", lambda r: requests.append(r.url))
        pg.goto(f"{book_url}/{rel}", wait_until="load")
        pg.wait_for_load_state("networkidle")
        assert requests, "no requests seen"
        assert not [u for u in requests if "pyodide" in u or "/vendor/python/" in u or "w2v-answer" in u]
        assert pg.evaluate("typeof window.w2vCheckAnswer") == "undefined"
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.slow
def test_from_disk_the_box_says_how_to_serve_the_book(browser, built_book):
    context, pg = open_page(browser)
    try:
        requests = []
        context.on("request", lambda r: requests.append(r.url))
        pg.goto((built_book / PAGE).as_uri(), wait_until="load")
        verdict = pg.locator('.w2v-answer-box[data-part="b"] .w2v-answer-verdict')
        assert "python -m http.server" in verdict.inner_text()
        pg.get_by_label("Your answer to (b)").fill(r"U(\hat{y} - y)")
        pg.get_by_label("Your answer to (b)").press("Enter")
        text = verdict.inner_text()
        assert "python -m http.server" in text and "book/check_your_answer.html" in text
        assert text.count(". ") == 0, f"one sentence: {text!r}"
        assert not [u for u in requests if "pyodide" in u], "no Python from disk: browsers refuse it"
    finally:
        context.close()


# ---------------------------------------------------------------------------- boxes in the chapters

def chapter_boxes(built_book):
    """``{chapter page: [part, ...]}``: the boxes under the chapters' written questions (the
    demonstration page, which has one of each, left out)."""
    found = {}
    for page in sorted((built_book / "book").glob("*.html")):
        rel = page.relative_to(built_book).as_posix()
        if rel == PAGE:
            continue
        parts = re.findall(re.escape(w2v_answer_box.MARKER) + r' data-part="([^"]+)"', page.read_text(encoding="utf-8"))
        if parts:
            found[rel] = parts
    return found


# The chapters that put boxes under their questions (tests/test_answer_box.py checks each of them).
CHAPTERS = ["book/a_cross_entropy.html", "book/b_grad_v_c.html", "book/c_d_grad_U.html",
            "book/e_f_activations.html", "book/g_negative_sampling.html", "book/h_repeated_negatives.html",
            "book/i_skipgram.html"]


def right_and_wrong(part):
    """A right and a wrong answer to ``part``: the first of each the answer table lists."""
    from tests.answer_table import TABLE
    right = next(latex for p, latex, kind, *_ in TABLE if p == part and kind == "correct")
    wrong = next(latex for p, latex, kind, *_ in TABLE if p == part and kind == "wrong")
    return right, wrong


@pytest.mark.browser          # reads the built book
def test_every_part_has_a_box_under_its_question_in_a_chapter(built_book):
    from derivations.coursework.answers import REFERENCES
    found = chapter_boxes(built_book)
    assert sorted(found) == CHAPTERS, sorted(found)
    placed = [part for parts in found.values() for part in parts]
    assert sorted(placed) == sorted(REFERENCES), (sorted(placed), sorted(REFERENCES))   # each once


def _check_in_box(pg, part, latex):
    """Type ``latex`` into the box for ``part``, press Enter, wait for the verdict: (kind, text)."""
    box = pg.locator(f'.w2v-answer-box[data-part="{part}"]')
    field = box.locator(".w2v-answer-input")
    field.fill(latex)
    field.press("Enter")
    pg.wait_for_function(
        """part => { const b = document.querySelector(`.w2v-answer-box[data-part="${part}"]`);
                     return !b.dataset.busy && b.querySelector(".w2v-answer-verdict").dataset.verdict; }""",
        arg=part, timeout=300_000)
    out = box.locator(".w2v-answer-verdict")
    return out.get_attribute("data-verdict"), out.inner_text()


MB = 1e6                      # as tests/bench_pages.py reports page weights


def _loaded(browser, book_url, rel):
    """(context, page, finished requests) for ``rel``, loaded and idle."""
    context, pg = open_page(browser)
    finished = []
    context.on("requestfinished", lambda r: finished.append(r))
    pg.goto(f"{book_url}/{rel}", wait_until="load")
    pg.wait_for_load_state("networkidle")
    return context, pg, finished


def _size(request):
    sizes = request.sizes()
    return sizes["responseBodySize"] + sizes["responseHeadersSize"]


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("rel", CHAPTERS)
def test_a_chapter_with_boxes_stays_light_and_loads_no_python_before_check(browser, book_url, rel):
    """Before the first Check: under 1.5 MB transferred, of which the boxes' script and style are a
    few kB, and nothing of Python."""
    context, pg, finished = _loaded(browser, book_url, rel)
    try:
        urls = [r.url for r in finished]
        assert not [u for u in urls if "pyodide" in u or "/vendor/python/" in u], "Python before any Check"
        boxes = sum(_size(r) for r in finished if "w2v-answer-box" in r.url)
        assert 0 < boxes < 0.05 * MB, boxes
        weight = sum(_size(r) for r in finished)
        assert weight < 1.5 * MB, f"{rel} transfers {weight / MB:.2f} MB before the first Check"
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("rel", CHAPTERS)
def test_a_chapters_boxes_give_pythons_verdicts(browser, book_url, built_book, rel):
    """In each box of the chapter, one right and one wrong answer, typed by the reader and checked
    with Enter, get Python's verdict and message (Python loads on the first Check)."""
    parts = chapter_boxes(built_book)[rel]
    context, pg, finished = _loaded(browser, book_url, rel)
    try:
        assert not [r for r in finished if "pyodide" in r.url]
        bad = []
        for part in parts:
            for latex in right_and_wrong(part):
                kind, text = _check_in_box(pg, part, latex)
                want = python_json(part, latex)
                if kind != want["verdict"] or want["message"] not in text:
                    bad.append((part, latex, kind, text[:300], want["verdict"], want["message"][:300]))
        assert not bad, "\n".join(map(repr, bad))
        assert any("pyodide" in r.url for r in finished)                # loaded by the first Check
        assert not pg.console_errors, pg.console_errors
    finally:
        context.close()
