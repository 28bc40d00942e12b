"""Judges written answers in its own limited process (started by :func:`derivations.coursework.sandbox.run`).

Reads ``{"package": DIR, "answers": {part: latex, ...}}`` on stdin (one or more
parts) or ``{"package": DIR, "batch": [[part, latex], ...]}`` (many answers, parts may
repeat: one worker start-up for all), writes ``{"results": [{"part", "verdict", "message",
"counterexample", "position"}, ...]}`` to stdout, one object per answer in request order:
:meth:`derivations.coursework.verdicts.Verdict.to_json` (``verdict`` is the kind;
an empty answer is ``missing``). The answers are only parsed (see
:mod:`derivations.coursework.answers.latex`).
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
    from derivations.coursework.answers.judging import judge
    from derivations.coursework.answers.latex import AnswerError
    from derivations.coursework.verdicts import ERROR, MISSING, Verdict
    results = []
    pairs = request["batch"] if "batch" in request else list(request["answers"].items())
    for part, latex in pairs:
        try:
            verdict = judge(part, latex) if latex else Verdict(MISSING, "no answer given")
        except (AnswerError, RecursionError, MemoryError) as exc:
            verdict = Verdict(ERROR, f"{type(exc).__name__}: {exc}")
        results.append(verdict.to_json(part))
    json.dump({"results": results}, out)
    out.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
