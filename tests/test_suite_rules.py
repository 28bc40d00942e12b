"""Rules the repository keeps, checked by reading its files (nothing here imports or runs them).

* Every property test states its Hypothesis settings: how many examples and what deadline, so a
  busy CI machine can neither fail it on time nor quietly run it longer; a suppressed health
  check says why on the same lines; collection strategies have a maximum size.
* No file names a path of the machine it was written on, and comments give reasons, not
  tracker numbers (a number means nothing to a reader of the repository).
* A chapter (what students read and run) imports no private name of the library.
"""
import ast
import io
import json
import re
import subprocess
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_FILES = sorted((ROOT / "tests").glob("test_*.py"))


# --- Hypothesis settings ---------------------------------------------------------------

def _is_named(func, name):
    """``name`` or ``anything.name``."""
    return (isinstance(func, ast.Name) and func.id == name) or (
        isinstance(func, ast.Attribute) and func.attr == name)


def _is_settings_call(node):
    return isinstance(node, ast.Call) and _is_named(node.func, "settings")


def _comment_lines(source):
    """Line numbers that carry a ``#`` comment (not a ``#`` inside a string)."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {tok.start[0] for tok in tokens if tok.type == tokenize.COMMENT}


def hypothesis_problems(path):
    """What is wrong with the property tests of one test file, one string per problem."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    comments = _comment_lines(source)
    # Settings objects bound to a module-level name, used as ``@NAME``.
    named = {target.id: node for node in tree.body if isinstance(node, ast.Assign)
             and _is_settings_call(node.value) for target in node.targets if isinstance(target, ast.Name)}
    problems = []

    def stated(call):
        """The settings a call states, with those of a named parent: ``settings(FAST, ...)``."""
        own = {k.arg for k in call.keywords}
        if call.args and isinstance(call.args[0], ast.Name) and call.args[0].id in named:
            own |= stated(named[call.args[0].id].value)
        return own

    def check_settings(call, first_line, where):
        stated_here = stated(call)
        missing = [k for k in ("max_examples", "deadline") if k not in stated_here]
        if missing:
            problems.append(f"{where}: its settings(...) do not state {' or '.join(missing)}")
        if "suppress_health_check" in {k.arg for k in call.keywords} and not comments & set(range(first_line - 1, call.end_lineno + 1)):
            problems.append(f"{where}: suppress_health_check without a comment saying why")

    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        decorators = node.decorator_list
        if not any(_is_named(d.func if isinstance(d, ast.Call) else d, "given") for d in decorators):
            continue
        where = f"{path.name}:{node.lineno} {node.name}"
        found = False
        for d in decorators:
            if _is_settings_call(d):
                found = True
                check_settings(d, d.lineno, where)
            elif isinstance(d, ast.Name) and d.id in named:
                found = True
                check_settings(named[d.id].value, named[d.id].lineno, where)
        if not found:
            problems.append(f"{where}: @given without @settings(max_examples=..., deadline=...)")

    # Strategies that draw a collection need a maximum size (Hypothesis's default has none).
    module_names, bare = set(), {}        # what hypothesis.strategies and its functions are called here
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            module_names |= {a.asname for a in node.names if a.name == "hypothesis.strategies" and a.asname}
        elif isinstance(node, ast.ImportFrom) and node.module == "hypothesis":
            module_names |= {a.asname or a.name for a in node.names if a.name == "strategies"}
        elif isinstance(node, ast.ImportFrom) and node.module == "hypothesis.strategies":
            bare.update({a.asname or a.name: a.name for a in node.names})
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in module_names:
            strategy = f.attr
        else:
            strategy = bare.get(f.id) if isinstance(f, ast.Name) else None
        if strategy in UNBOUNDED_BY_DEFAULT and "max_size" not in {k.arg for k in node.keywords}:
            problems.append(f"{path.name}:{node.lineno}: {ast.unparse(f)}(...) without max_size")
    return problems


UNBOUNDED_BY_DEFAULT = {"lists", "sets", "frozensets", "dictionaries", "text", "binary", "iterables"}


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_every_property_test_states_its_settings(path):
    problems = hypothesis_problems(path)
    assert not problems, "\n".join(problems)


def test_the_settings_rule_catches_what_it_should(tmp_path):
    bad = tmp_path / "test_bad.py"
    bad.write_text(
        "from hypothesis import HealthCheck, given, settings, strategies as st\n"
        "from hypothesis.strategies import sets\n"
        "FAST = settings(max_examples=5, deadline=None)\n"
        "@given(st.integers())\n"
        "def test_none(x): pass\n"
        "@settings(max_examples=5)\n"
        "@given(st.lists(st.integers()))\n"
        "def test_no_deadline(x): pass\n"
        "@FAST\n"
        "@given(st.text(max_size=3))\n"
        "def test_named(x): pass\n"
        "@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])\n"
        "@given(st.integers())\n"
        "def test_silent(x): pass\n"
        "# each example parses a long formula\n"
        "@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])\n"
        "@given(st.integers())\n"
        "def test_reasoned(x): pass\n"
        "@settings(FAST, max_examples=9)\n"
        "@given(sets(st.integers()))\n"
        "def test_inherits(x): pass\n", encoding="utf-8")
    problems = "\n".join(hypothesis_problems(bad))
    assert "test_none: @given without @settings" in problems
    assert "test_no_deadline: its settings(...) do not state deadline" in problems
    assert "st.lists(...) without max_size" in problems
    assert "test_silent: suppress_health_check without a comment" in problems
    assert "sets(...) without max_size" in problems
    for fine in ("test_named", "test_reasoned", "st.text", "test_inherits"):
        assert fine not in problems, fine


# --- machine paths and tracker numbers ---------------------------------------------------

MACHINE_PATH = re.compile(r"(?<![\w.-])/(?:work|root|home|Users)/"
                          r"|/tmp/pytest|/tmp/tmp[a-z0-9_]{6}|/tmp/w2v"
                          r"|\b[A-Z]:\\{1,2}Users\\")
TRACKER = re.compile(r"\bissues?\s*(?:#|no\.?\s*)?\d+\b"
                     r"|(?:#|//|/\*|<!--|\{#-?)\s*issues?\b", re.IGNORECASE)
SKIPPED_FOLDERS = ("book/_vendor/",)
THIS_FILE = "tests/test_suite_rules.py"       # its examples of what the rules catch


def _is_lock_file(name):
    return name.endswith((".lock", "-lock.json", "-lock.yaml", ".lock.json"))


def repository_files():
    """Files of the repository: git's tracked and not-ignored ones (so new files count too);
    without git (an unpacked archive), every file outside the usual build and tool folders."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             cwd=ROOT, capture_output=True, check=True, timeout=60).stdout
        names = sorted({n for n in out.decode("utf-8").split("\0") if n})
    except (OSError, subprocess.CalledProcessError):
        ignored = {".git", ".venv", "_build", "node_modules", ".pytest_cache", ".hypothesis",
                   "__pycache__", ".jupyter_cache", ".ipynb_checkpoints"}
        names = sorted(p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*")
                       if p.is_file() and not ignored & set(p.relative_to(ROOT).parts))
    return [n for n in names if not n.startswith(SKIPPED_FOLDERS) and not _is_lock_file(Path(n).name)
            and n != THIS_FILE]


def text_files():
    """(name, text) of every repository file that is text."""
    for name in repository_files():
        path = ROOT / name
        if not path.is_file():          # deleted in the working tree, not yet in the index
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue
        try:
            yield name, data.decode("utf-8")
        except UnicodeDecodeError:
            continue


def _hits(pattern, name, text):
    return [f"{name}:{text.count(chr(10), 0, m.start()) + 1}: {text[max(0, m.start() - 40):m.end() + 40]!r}"
            for m in pattern.finditer(text)]


def test_no_file_names_a_path_of_the_machine_it_was_written_on():
    """Paths like /home/NAME/... or a pytest temporary folder, in any text file, notebook
    outputs included (re-execute a notebook that shows one, from the repository, relatively)."""
    hits = [h for name, text in text_files() for h in _hits(MACHINE_PATH, name, text)]
    assert not hits, "machine paths (name the place relative to the repository):\n" + "\n".join(hits)


def test_comments_give_reasons_not_tracker_numbers():
    """``issue 7``, ``# issue`` and the like, in any text file: say why instead."""
    hits = [h for name, text in text_files() for h in _hits(TRACKER, name, text)]
    assert not hits, "tracker references (write the reason instead):\n" + "\n".join(hits)


def test_the_text_rules_catch_what_they_should():
    for text in ("see /home/ana/w2v/book", "'/work/main/x.py'", "/tmp/pytest-of-ana/p0", "C:\\Users\\ana"):
        assert MACHINE_PATH.search(text), text
    for text in ("https://example.org/home/page", "../shared/seeds/x.txt", "/usr/bin/chromium", "--tmpfs /tmp"):
        assert not MACHINE_PATH.search(text), text
    for text in ("# Issue 7: offline", "(issue 5)", "issue #12", "// issue: later", "{#- Issue 7"):
        assert TRACKER.search(text), text
    for text in ("jupyter-book#1918", "issues_button: false", "an issue of style"):
        assert not TRACKER.search(text), text


# --- chapters import no private names ------------------------------------------------------

def _code_cells(notebook):
    for i, cell in enumerate(json.loads(notebook.read_text(encoding="utf-8"))["cells"]):
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            # IPython magics and shell lines are not Python: blank them, keeping line numbers.
            yield i, "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                               for line in source.splitlines())


def _private(name):
    return any(part.startswith("_") and not part.startswith("__") for part in name.split("."))


def private_uses(source):
    """Private names of ``derivations`` that a piece of code imports or reaches into."""
    tree = ast.parse(source)
    found, library_names = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "derivations":
                    library_names.add((alias.asname or alias.name).split(".")[0])
                    if _private(alias.name):
                        found.append(alias.name)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "derivations":
            if _private(node.module):
                found.append(node.module)
            for alias in node.names:
                library_names.add(alias.asname or alias.name)
                if _private(alias.name):
                    found.append(f"{node.module}.{alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in library_names:
                found.append(ast.unparse(node))
    return found


@pytest.mark.parametrize("notebook", sorted((ROOT / "book").glob("*.ipynb")), ids=lambda p: p.name)
def test_chapters_import_no_private_names(notebook):
    found = [f"cell {i}: {name}" for i, source in _code_cells(notebook) for name in private_uses(source)]
    assert not found, f"{notebook.name} uses private names of derivations:\n" + "\n".join(found)


def test_the_private_name_rule_catches_what_it_should():
    assert private_uses("from derivations.training.trainer import _Scatter, train") == [
        "derivations.training.trainer._Scatter"]
    assert private_uses("import derivations.explorers._base as b") == ["derivations.explorers._base"]
    assert private_uses("import derivations as D\nD.core._helper(1)") == ["D.core._helper"]
    assert private_uses("import derivations as D\nimport numpy as np\nD.softmax(np._x)\nD.__doc__") == []
