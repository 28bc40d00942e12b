"""The untrusted half of the autograder: runs in its own process, one per (submission, part).

Started by :mod:`derivations.coursework.grade` as ``python -I _grade_worker.py`` with
resource limits already set. It reads one JSON request on stdin::

    {"package": DIR, "cells": [code, ...], "function": NAME, "calls": [[args...], ...]}

loads the *definitions* of the submission (top-level imports, defs, classes and
assignments of every code cell; calls, loops and other statements are skipped,
since grading needs only the functions), calls ``NAME`` on every argument list
and writes ``{"results": [...]}`` as JSON to its original stdout. Each result
is ``{"loss": float, "grads": [nested lists]}`` or ``{"error": "Type: message"}``.
It judges nothing: every check is computed by the parent from these raw values,
so output forged by the submission can only pass by being right.
"""
import ast
import json
import os
import re
import sys

DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
               ast.Assign, ast.AnnAssign)


def _definitions(code, k):
    """The definition statements of one cell, compiled (IPython magics and shell lines dropped)."""
    code = re.sub(r"(?m)^\s*[%!].*$", "", code)
    tree = ast.parse(code, filename=f"<submission cell {k}>")
    tree.body = [node for node in tree.body if isinstance(node, DEFINITIONS)]
    return compile(tree, f"<submission cell {k}>", "exec")


def _plain(x):
    import numpy as np
    a = np.asarray(x, dtype=float)
    return a.tolist()


def main():
    request = json.loads(sys.stdin.read())
    out = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)          # whatever the submission prints goes nowhere
    os.dup2(devnull, 2)
    # The stripped package first; the reference checkout (if any) off the path.
    root = os.path.realpath(request["root"])
    sys.path[:] = [request["package"]] + [p for p in sys.path if p and os.path.realpath(p) != root]
    import numpy as np
    namespace = {"__name__": "submission", "__builtins__": __builtins__}
    notes = []
    for k, cell in enumerate(request["cells"]):
        try:
            exec(_definitions(cell, k), namespace)      # the submission's own code (that is what we grade)
        except BaseException as exc:                     # noqa: BLE001 - SystemExit too: one cell costs itself
            notes.append(f"cell {k}: {type(exc).__name__}: {str(exc)[:200]}")
    name = request["function"]
    fn = namespace.get(name)
    code = getattr(fn, "__code__", None)
    if fn is None or code is None or not code.co_filename.startswith("<submission"):
        where = "not defined" if fn is None else "not defined in the submission (imported?)"
        results = [{"error": f"NameError: {name} is {where}"}] * len(request["calls"])
    else:
        results = []
        for args in request["calls"]:
            call = [np.array(a, dtype=float) if k in request["array_args"] else a for k, a in enumerate(args)]
            try:
                loss, *grads = fn(*call)
                results.append({"loss": float(loss), "grads": [_plain(g) for g in grads]})
            except BaseException as exc:                 # noqa: BLE001 - sys.exit in a part fails that call only
                results.append({"error": f"{type(exc).__name__}: {str(exc)[:300]}"})
    json.dump({"results": results, "notes": notes}, out, allow_nan=True)
    out.flush()
    os._exit(0)                  # skip whatever atexit hooks the submission registered


if __name__ == "__main__":
    main()
