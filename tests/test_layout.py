"""The package's import graph, read from the source with ``ast`` (nothing is imported to draw it).

* No import cycle between modules of ``derivations``. Every import counts, also one inside a
  function: deferring an import hides a cycle from the interpreter, it does not remove it.
* ``derivations.core`` is NumPy only: it imports nothing else of ``derivations`` and none of
  SymPy, ipywidgets, anywidget, traitlets (what ``derivations/core/__init__.py`` promises).
* And, by running Python: ``import derivations, derivations.core`` works with SymPy and the
  widget libraries blocked; ``import derivations.coursework`` works under ``-X importtime``.
"""
import ast
import functools
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from w2v_answer_box import import_target  # book/_ext, on the path through conftest.py: one resolution of relative imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "derivations"
CORE = "derivations.core"
NOT_IN_CORE = {"sympy", "ipywidgets", "anywidget", "traitlets"}


def module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_only(tree):
    """Nodes under ``if TYPE_CHECKING:``, which never run."""
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skip


def imported_names(name, path):
    """(imported module name, line) for every import statement of one module, relative ones
    resolved. ``from X import y`` gives ``X.y`` when that is a module, else ``X``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skip = _type_checking_only(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            module = import_target(node, package)
            submodules = [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in MODULES]
            yield from ((m, node.lineno) for m in submodules)
            if len(submodules) < len(node.names):      # some names are attributes of `module` itself
                yield module, node.lineno


def _own_module(imported):
    """The module of ``derivations`` an import runs (its longest prefix that is one), or None."""
    parts = imported.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in MODULES:
            return ".".join(parts[:n])
    return None


@functools.lru_cache(maxsize=None)
def import_graph():
    """{module: {imported module of derivations: line of the import}}."""
    graph = {}
    for name, path in MODULES.items():
        edges = graph.setdefault(name, {})
        for imported, line in imported_names(name, path):
            target = _own_module(imported)
            if target is not None and target != name:
                edges.setdefault(target, line)
    return graph


def cycles(graph):
    """One cycle for each strongly connected group of modules (Tarjan), as a list of modules
    that starts and ends with the same one."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    found = []
    for group in groups:
        start = min(group)
        # Breadth-first from start back to itself inside the group: the shortest cycle through it.
        paths, seen = [[start]], {start}
        while paths:
            path = paths.pop(0)
            nxt = sorted(w for w in graph[path[-1]] if w in group)
            if start in nxt:
                found.append(path + [start])
                break
            for w in nxt:
                if w not in seen:
                    seen.add(w)
                    paths.append(path + [w])
    return found


def describe(graph, cycle):
    return " -> ".join(f"{a} (line {graph[a][b]})" for a, b in zip(cycle, cycle[1:])) + f" -> {cycle[-1]}"


def test_the_graph_sees_the_package():
    graph = import_graph()
    assert {"derivations", "derivations.core", "derivations.core.losses", "derivations.coursework"} <= set(graph)
    assert "derivations.core.functions" in graph["derivations.core.losses"]
    assert "derivations.core" in graph["derivations"]


def test_no_import_cycle_between_modules():
    graph = import_graph()
    found = [describe(graph, c) for c in cycles(graph)]
    assert not found, "import cycles (every import counts, also one inside a function):\n" + "\n".join(found)


def test_the_cycle_finder_finds_one():
    graph = {"a": {"b": 1}, "b": {"c": 2}, "c": {"a": 3, "d": 4}, "d": {}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert describe(graph, ["a", "b", "c", "a"]) == "a (line 1) -> b (line 2) -> c (line 3) -> a"
    assert cycles({"a": {"b": 1}, "b": {}}) == []


def test_core_imports_only_core_and_no_sympy_or_widgets():
    wrong = []
    for name, path in MODULES.items():
        if name != CORE and not name.startswith(CORE + "."):
            continue
        for imported, line in imported_names(name, path):
            top = imported.split(".")[0]
            outside_core = top == "derivations" and not (imported == CORE or imported.startswith(CORE + "."))
            if outside_core or top in NOT_IN_CORE:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    assert not wrong, "derivations.core must need NumPy only:\n" + "\n".join(wrong)


def _python(*args, code):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, *args, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_derivations_and_core_import_with_sympy_and_widgets_blocked():
    run = _python(code=f"""
        import sys

        class Blocked:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {sorted(NOT_IN_CORE)!r}:
                    raise ImportError(f"{{name}} is blocked: derivations.core must not need it")

        sys.meta_path.insert(0, Blocked())
        import derivations, derivations.core
        assert derivations.softmax is derivations.core.softmax
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in {sorted(NOT_IN_CORE)!r})
        assert not loaded, loaded
        print("imported")
        """)
    assert run.returncode == 0 and run.stdout.strip() == "imported", run.stderr


def test_coursework_imports_under_importtime():
    run = _python("-X", "importtime", code="import derivations.coursework")
    assert run.returncode == 0, run.stderr
    assert "derivations.coursework" in run.stderr       # -X importtime reports on stderr
