"""The student edition: built from the real sources, it holds no solution anywhere.

Fingerprints are derived from the source regions themselves (every distinctive
line, comment, string literal, math chunk and prose word of each solution that
occurs nowhere outside solutions), then searched for in every page, page
source, search index, notebook and Python file of the build.
"""
import inspect
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from derivations.coursework import edition, rubric, student

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow      # builds the whole student edition once (about a minute on 2 cores)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("edition") / "student"
    regions, (chunks, words) = student.build(ROOT, out, execute=True, html_book=True, quiet=True)
    return out, regions, chunks, words


def test_solutions_exist_and_have_fingerprints(built):
    out, regions, chunks, _ = built
    assert len(regions) >= 3 and len(chunks) >= len(regions)
    origins = {c.split(":")[0] for c in chunks.values()}
    assert any(o.startswith("derivations/") for o in origins)
    # the reference loss functions are among the removed regions
    owners = {r.owner for r in regions}
    assert {"naive_softmax_loss_and_gradient", "neg_sampling_loss_and_gradient"} <= owners


def test_no_fingerprint_survives_anywhere(built):
    out, _, chunks, words = built
    assert (out / "html" / "searchindex.js").exists() and list((out / "html").rglob("_sources/**/*"))
    assert student.scan(out, chunks, words) == []
    assert student.scan(out.parent / "student-src", chunks, words, skip=("vendor", "node_modules")) == []


def test_scan_would_catch_a_leak(built, tmp_path):
    """Plant one fingerprint in a copied page, one in a notebook and one word in the index: all found."""
    out, regions, chunks, words = built
    chunk = next(c for c, o in chunks.items() if o.startswith("derivations/core/losses.py"))
    copy = tmp_path / "leaky"
    page = next((out / "html").rglob("*.html"))
    copy.mkdir()
    (copy / "page.html").write_text(page.read_text() + f"<pre><span>{chunk[:len(chunk) // 2]}</span>"
                                    f"<span>{chunk[len(chunk) // 2:]}</span></pre>".replace("&", "&amp;"))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1", outputs=[nbformat.v4.new_output("stream", text=chunk)])]
    nbformat.write(nb, copy / "n.ipynb")
    found = student.scan(copy, chunks, {})
    assert {f for _, _, f in found} >= {"page.html", "n.ipynb"}


def test_student_notebooks_are_stubbed_and_clean(built):
    out, _, _, _ = built
    for path in (out / "notebooks").glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            marker_lines = [ln for ln in cell.source.splitlines() if ln.strip() in (edition.BEGIN, edition.END)]
            assert not marker_lines and "solution" not in cell.metadata.get("tags", [])
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None


def test_unwritten_functions_fail_naming_themselves(built):
    """In the executed student chapters, every NotImplementedError names what to write."""
    out, _, _, _ = built
    errors = []
    for path in (out.parent / "student-src" / "book").glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            errors += [o for o in cell.get("outputs", []) if o.output_type == "error"]
    stubs = [e for e in errors if e.ename == "NotImplementedError"]
    assert stubs, "the student chapters never reach an exercise"
    assert all("is not written yet" in e.evalue for e in stubs)


STUDENT_IMPL = textwrap.dedent('''
    import numpy as np
    import derivations as D
    assert D.__file__.startswith(sys.argv[1]), D.__file__      # the stripped package, not the reference
    try:
        D.naive_softmax_loss_and_gradient(np.ones(3), 0, np.ones((3, 4)))
    except NotImplementedError as exc:
        assert "naive_softmax_loss_and_gradient" in str(exc)
    else:
        raise AssertionError("the reference survived")

    def mine(v_c, o, U):                              # a student's own implementation
        s = U.T @ v_c
        p = np.exp(s - s.max()); p /= p.sum()
        d = p.copy(); d[o] -= 1
        return -np.log(p[o]), U @ d, np.outer(v_c, d)

    rng = np.random.default_rng(1)
    v_c, U = rng.normal(size=3), rng.normal(size=(3, 5))
    D.check_gradients(mine, v_c, 1, U)
    # an explorer draws the student's function (and reports the missing reference plainly)
    from derivations.explorers.naive_softmax import naive_softmax_panel
    panel = naive_softmax_panel(mine, v_c, 1, U)
    assert panel["error"] is None and abs(panel["loss"] - mine(v_c, 1, U)[0]) < 1e-12, panel
    assert "not written yet" in naive_softmax_panel(D.naive_softmax_loss_and_gradient, v_c, 1, U)["error"]
    print("student checks ran")
''')


def test_student_package_imports_stubs_and_checks_students_code(built, tmp_path):
    out, _, _, _ = built
    script = tmp_path / "student.py"
    script.write_text("import sys\nsys.path.insert(0, sys.argv[1])\n" + STUDENT_IMPL)
    res = subprocess.run([sys.executable, "-I", str(script), str(out)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "student checks ran" in res.stdout
    for path in (out / "derivations").rglob("*.py"):
        assert not [ln for ln in path.read_text().splitlines() if ln.strip() == edition.BEGIN], path


def test_instructor_only_files_are_absent_and_fingerprinted(built):
    """The handwritten seed's data and grader never ship; their text is scanned for like a solution,
    in every file of the package whatever its type (.yml, .json, .txt included)."""
    out, _, chunks, _ = built
    pkg = out / "derivations"
    assert not (pkg / "coursework" / "handwritten.py").exists() and not (pkg / "coursework" / "data").exists()
    origins = {o.split(":")[0] for o in chunks.values()}
    assert {"derivations/coursework/handwritten.py", "derivations/coursework/data/handwritten_seed.yml"} <= origins
    assert all(student.scanned(p) for p in pkg.rglob("*") if p.is_file())
    assert (pkg / "coursework" / "answers" / "judging.py").exists()        # the checker ships by default


def test_edition_without_the_written_checker(tmp_path):
    """`make student WRITTEN_CHECKER=no`: the checker is a stub; the rest of the edition is unchanged."""
    out = tmp_path / "student"
    student.build(ROOT, out, execute=False, html_book=False, quiet=True, written_checker=False)
    answers = out / "derivations" / "coursework" / "answers"
    assert [p.name for p in answers.iterdir()] == ["__init__.py"]
    assert "no written-answer checker" in (answers / "__init__.py").read_text()
    assert not (out / "derivations" / "coursework" / "answer_worker.py").exists()
    assert (out / "notebooks" / "assignment.ipynb").exists()


def test_make_student_passes_the_setting():
    dry = subprocess.run(["make", "-n", "student", "WRITTEN_CHECKER=no"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert "derivations.coursework.student" in dry.stdout and "--no-written-checker" in dry.stdout
    dry = subprocess.run(["make", "-n", "student"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "derivations.coursework.student" in dry.stdout and "--no-written-checker" not in dry.stdout


def test_instructor_pages_are_not_in_the_student_book(built):
    out, _, _, _ = built
    assert not list((out / "html").rglob("instructors.html"))


def test_excluded_chapters_are_absent_and_fingerprinted(built):
    """checking_handwritten names the seed's wrong answers: no page, no notebook, and its cells are scanned for."""
    out, regions, chunks, _ = built
    for chapter in student.EXCLUDED_CHAPTERS:
        name = Path(chapter).name
        assert not list(out.rglob(f"{name}.*")), f"{name} survives in the student edition"
        origins = {o.split(" (cell")[0] for o in chunks.values()}
        assert f"{chapter}.ipynb" in origins, f"no fingerprint of {chapter} (its cells are regions)"


def test_student_explorers_load_and_say_what_is_missing(built, browser):
    """The page script's reference losses are stubs in the student edition: explorers show the message."""
    import functools
    import http.server
    import threading
    from tests.conftest import open_page
    out, _, _, _ = built
    script = (out / "html" / "_static" / "w2v-explorables.js").read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in script and "naiveSoftmaxLossAndGradient is not written yet" in script
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out / "html"))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    context, page = open_page(browser)
    try:
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/book/explorers.html")
        page.wait_for_function("window.w2vExplorables && window.w2vExplorables.length >= 3")
        errors = page.evaluate("window.w2vExplorables.map(e => JSON.stringify(e.result()))")
        assert all("is not written yet" in e for e in errors), errors
        assert not page.console_errors and not page.failed_requests
    finally:
        context.close()
        server.shutdown()


# ------------------------------------------------------------------ the marking rules on a tiny book

MODULE = '''"""Doc.

### BEGIN SOLUTION
secret formula in a docstring
### END SOLUTION
"""


def f(x):
    """Eq. (z.1)."""
    check = 1
    ### BEGIN SOLUTION
    y = x * 42  # the secret step
    ### END SOLUTION
    return y


### BEGIN SOLUTION
table = {"secret": "value"}
def helper_defined_at_top():
    return "classified"
### END SOLUTION
'''


def test_strip_regions_in_a_module(tmp_path):
    text, regions = edition.strip_regions(MODULE, "pkg/mod.py")
    assert [r.kind for r in regions] == ["docstring", "code", "code"]
    assert "secret" not in text and "42" not in text and "classified" not in text
    assert "raise NotImplementedError('f is not written yet" in text
    ns = {}
    exec(compile(text, "mod.py", "exec"), ns)      # our own generated module, not student text
    with pytest.raises(NotImplementedError, match="f is not written yet"):
        ns["f"](1)
    with pytest.raises(NotImplementedError, match="helper_defined_at_top is not written yet"):
        ns["helper_defined_at_top"]()
    with pytest.raises(NotImplementedError, match="table"):
        ns["table"].keys()


def test_solution_source_shows_code_regions_only(tmp_path, monkeypatch):
    (tmp_path / "w2v_mod_full.py").write_text(MODULE)
    stripped, _ = edition.strip_regions(MODULE, "w2v_mod_full.py")
    (tmp_path / "w2v_mod_student.py").write_text(stripped)
    monkeypatch.syspath_prepend(str(tmp_path))
    import w2v_mod_full
    import w2v_mod_student
    assert edition.solution_source(w2v_mod_full.f) == "y = x * 42  # the secret step"   # not the docstring's
    with pytest.raises(NotImplementedError, match="f is not written yet"):
        edition.solution_source(w2v_mod_student.f)


def test_printed_source_drops_the_marker_lines_and_nothing_else(tmp_path, monkeypatch):
    (tmp_path / "w2v_mod_printed.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import w2v_mod_printed
    printed = edition.printed_source(w2v_mod_printed.f)
    assert edition.BEGIN not in printed and edition.END not in printed
    full = inspect.getsource(w2v_mod_printed.f).split("\n")
    assert printed.split("\n") == [ln for ln in full if ln.strip() not in (edition.BEGIN, edition.END)]
    assert "    y = x * 42  # the secret step" in printed.split("\n")          # the region's lines stay


def test_no_chapter_prints_a_solution_marker():
    """The chapters print library code with printed_source: no output shows the stripper's markers."""
    shown = []
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for k, cell in enumerate(nb["cells"]):
            for output in cell.get("outputs", []):
                text = edition.output_text(output)
                if edition.BEGIN in text or edition.END in text:
                    shown.append(f"{path.name} cell {k}")
    assert not shown, f"solution markers printed in {shown}: print library code with edition.printed_source"


def test_a_shown_derivation_becomes_a_place_to_write_it():
    nb = nbformat.v4.new_notebook()
    shown = nbformat.v4.new_code_cell("show(parts.grad_v_c())")
    shown.metadata["tags"] = ["solution"]
    nb.cells = [shown]
    new, regions = edition.student_notebook(json.loads(nbformat.writes(nb)), "book/x.ipynb")
    assert regions[0].kind == "code-cell" and "grad_v_c" not in json.dumps(new)
    assert new["cells"][0]["cell_type"] == "markdown" and "Write your derivation" in new["cells"][0]["source"]


def test_js_regions_become_throws():
    js = "function lossOf(x) {\n  // ### BEGIN SOLUTION\n  return x * 42;\n  // ### END SOLUTION\n}\n"
    text, regions = edition.strip_js_regions(js, "static/a.js")
    assert "42" not in text and regions[0].owner == "lossOf"
    assert 'throw new Error("lossOf is not written yet' in text


@pytest.mark.parametrize("bad,words", [
    ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("x = 1\n### END SOLUTION\n", "without a matching"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "nested"),
])
def test_marker_errors_name_the_line(bad, words):
    with pytest.raises(edition.MarkerError, match=words):
        edition.strip_regions(bad, "m.py")


def test_notebook_rules():
    nb = nbformat.v4.new_notebook()
    answer = nbformat.v4.new_markdown_cell("We find $U(\\hat y - y)$ because of reasons.")
    answer.metadata["tags"] = ["solution"]
    shown = nbformat.v4.new_code_cell("derivation = parts.grad_v_c()\nderivation",
                                      outputs=[nbformat.v4.new_output("execute_result", data={
                                          "text/latex": "\\frac{\\partial J}{\\partial v_c} = U(\\hat y - y)"})])
    shown.metadata["tags"] = ["solution"]
    code = nbformat.v4.new_code_cell("def g(v):\n    ### BEGIN SOLUTION\n    return v * 7\n    ### END SOLUTION\n")
    nb.cells = [nbformat.v4.new_markdown_cell("Question."), answer, shown, code]
    new, regions = edition.student_notebook(json.loads(nbformat.writes(nb)), "book/x.ipynb")
    assert [r.kind for r in regions] == ["markdown-cell", "code-cell", "code"]
    assert "reasons" not in json.dumps(new) and "v * 7" not in json.dumps(new)
    assert "raise NotImplementedError('write the code that defines derivation" in new["cells"][2]["source"]
    assert new["cells"][2]["outputs"] == []
    chunks, words = edition.fingerprints(regions, "Question.")
    assert "U(\\hat y - y)" in chunks and "reasons" in words


def test_untouched_assignment_grades_to_zero_naming_each_function(built):
    from derivations.coursework import grade
    from tests.test_grade import require_sandbox
    require_sandbox()
    out, _, _, _ = built
    report = grade.grade([out / "notebooks" / "assignment.ipynb"], written=False)
    rows = next(iter(report.values()))
    assert rows and all(r.score == 0 for r in rows)
    for r, part in zip(rows, rubric.default_parts()):
        assert f"{part.function} is not written yet" in r.failures[0], r.failures
