"""The untrusted half of the autograder: one process per (submission, part), inside the sandbox.

Started by :mod:`derivations.coursework.grade` through
:func:`derivations.coursework.sandbox.run`, which gives it a private read-only
copy of the *student* package (no reference body, no instructor file) and
nothing of the instructor's checkout. It reads one JSON request on stdin::

    {"package": DIR, "cells": [code, ...], "function": NAME, "calls": [[args...], ...],
     "array_args": [k, ...]}

loads the *definitions* of the submission (top-level imports, defs, classes and
assignments of every code cell; calls, loops and other statements are skipped,
since grading needs only the functions), calls ``NAME`` on every argument list
(arguments ``array_args`` as float arrays) and writes ``{"results": [...]}`` as
JSON to its original stdout. Each result is ``{"values": [value, ...]}``, one
entry per returned value, ``{"dtype": str, "shape": [..], "data": nested lists
or null}`` (``null`` when the value is not numeric or too large), or
``{"error": "Type: message"}``.

It judges nothing: the grader compares these raw values with the reference it
computes itself, so output forged by the submission passes only by being right.
"""
import ast
import itertools
import json
import os
import re
import sys

DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
               ast.Assign, ast.AnnAssign)
MAX_VALUES = 10               # a function returns (loss, grad, grad): more is reported, not read
MAX_ELEMENTS = 100_000        # per returned value; the graded problems are far smaller


def _definitions(code, k):
    """The definition statements of one cell, compiled (IPython magics and shell lines dropped)."""
    code = re.sub(r"(?m)^\s*[%!].*$", "", code)
    tree = ast.parse(code, filename=f"<submission cell {k}>")
    tree.body = [node for node in tree.body if isinstance(node, DEFINITIONS)]
    return compile(tree, f"<submission cell {k}>", "exec")


def _describe(x):
    """One returned value as the grader reads it: dtype, shape and (numeric, not too large) data."""
    import numpy as np
    try:
        a = np.asarray(x)
    except BaseException as exc:                     # noqa: BLE001 - the submission's object, its failure
        return {"dtype": f"not an array ({type(exc).__name__})", "shape": None, "data": None}
    numeric = a.dtype.kind in "biuf" and a.size <= MAX_ELEMENTS
    return {"dtype": a.dtype.name, "shape": list(a.shape), "data": a.astype(float).tolist() if numeric else None}


def main():
    request = json.loads(sys.stdin.read())
    out = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)          # whatever the submission prints goes nowhere
    os.dup2(devnull, 2)
    # The student package first; any other copy of derivations (a checkout on a .pth path, in
    # --unsafe-no-sandbox mode) off the path.
    package = request["package"]
    sys.path[:] = [package] + [p for p in sys.path if p and not os.path.isdir(os.path.join(p, "derivations"))]
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
    # Not a defence (the sandbox is): a reference imported from the package is a stub anyway.
    if fn is None or code is None or not code.co_filename.startswith("<submission"):
        where = "not defined" if fn is None else "not defined in the submission (imported?)"
        results = [{"error": f"NameError: {name} is {where}"}] * len(request["calls"])
    else:
        results = []
        for args in request["calls"]:
            call = [np.array(a, dtype=float) if k in request["array_args"] else a for k, a in enumerate(args)]
            try:
                values = list(itertools.islice(iter(fn(*call)), MAX_VALUES + 1))
                results.append({"values": [_describe(v) for v in values]})
            except BaseException as exc:                 # noqa: BLE001 - sys.exit in a part fails that call only
                try:
                    results.append({"error": f"{type(exc).__name__}: {str(exc)[:300]}"})
                except BaseException:                    # noqa: BLE001 - an exception whose str() raises
                    results.append({"error": type(exc).__name__})
    json.dump({"results": results, "notes": notes}, out, allow_nan=True)
    out.flush()
    os._exit(0)                  # skip whatever atexit hooks the submission registered


if __name__ == "__main__":
    main()
