"""Checks written answers in its own limited process (started by :func:`derivations.coursework.grade.run_worker`).

Reads ``{"package": DIR, "answers": {part: latex}}`` on stdin, writes
``{"results": [{"part", "verdict", "message", "counterexample", "position"}]}``
to stdout. The answers are only parsed (see :mod:`derivations.coursework.answers.latex`).
"""
import json
import os
import sys


def main():
    request = json.loads(sys.stdin.read())
    out = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.path.insert(0, request["package"])
    from derivations.coursework.answers.check import check
    from derivations.coursework.answers.latex import AnswerError
    results = []
    for part, latex in request["answers"].items():
        try:
            r = check(part, latex) if latex else None
            results.append({"part": part, "verdict": r.verdict, "message": r.message,
                            "counterexample": r.counterexample, "position": r.position} if r else
                           {"part": part, "verdict": "missing", "message": "no answer given"})
        except (AnswerError, RecursionError, MemoryError) as exc:
            results.append({"part": part, "verdict": "error", "message": f"{type(exc).__name__}: {exc}"})
    json.dump({"results": results}, out)
    out.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
