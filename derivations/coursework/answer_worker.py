"""Judges written answers in its own limited process (started by :func:`derivations.coursework.sandbox.run`
or, warm, by :class:`derivations.coursework.sandbox.Zygote`).

Reads ``{"package": DIR, "answers": {part: latex, ...}}`` on stdin (one or more
parts) or ``{"package": DIR, "batch": [[part, latex], ...]}`` (many answers, parts may
repeat: one worker start-up for all), writes ``{"results": [{"part", "verdict", "message",
"counterexample", "position"}, ...]}`` to stdout, one object per answer in request order:
:meth:`derivations.coursework.verdicts.Verdict.to_json` (``verdict`` is the kind;
an empty answer is ``missing``). The answers are only parsed (see
:mod:`derivations.coursework.answers.latex`).

Started as ``worker.py --zygote PACKAGE [private-tmp]`` it is a zygote
(:func:`derivations.coursework.sandbox.serve`): it imports the checker and computes
every part's references once (a requested part's first, the rest while idle),
then judges each request, without the ``package`` key, in a forked child of its own.
The zygote reads only the part keys of a request, never the typed text.
"""
import json
import os
import sys


def handle(request):
    """``{"results": [...]}`` for one request (the answers' verdicts, in request order)."""
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
    return {"results": results}


def _parts(request):
    """The part keys a request names (nothing else of it is looked at)."""
    from derivations.coursework.answers.judging import REFERENCES
    pairs = request.get("batch") if "batch" in request else list(request.get("answers", {}).items())
    return [p[0] for p in pairs if isinstance(p, (list, tuple)) and p and isinstance(p[0], str)
            and p[0] in REFERENCES]


def _prefork(request):
    """Before a child is forked: the references of the parts it judges, so that every later child has them."""
    from derivations.coursework.answers.judging import cases
    for part in dict.fromkeys(_parts(request)):
        for _ in cases(part):
            pass


# Formulas the zygote judges itself, in every part, when idle: none is an answer, but
# between them they take every path of the judge (a wrong answer's diagnosis included), so that
# the lazily built parts of SymPy and of the checker are in memory before the first fork.
WARM_UP = ["0", r"\sigma(-u_o^\top v_c) v_c + \sum_{w} \hat{y}_w u_w - U y", "x"]


def _warm():
    """While no child runs, in the order answers need them: every part's references (one case a
    step), :data:`WARM_UP` judged in every part, then the derivations a diagnosis names (the
    slowest, a few seconds for the skip-gram ones: a request may wait for the step in progress)."""
    from derivations.coursework.answers.judging import REFERENCES, cases, judge
    for part in REFERENCES:
        for _ in cases(part):
            yield
    for text in WARM_UP:
        for part in REFERENCES:
            try:
                judge(part, text)
            except Exception:                       # noqa: BLE001 - warming only; a request would say why
                pass
            yield
    from derivations.coursework.answers import diagnosis
    yield from diagnosis.warm()


def main():
    if sys.argv[1:2] == ["--zygote"]:
        if sys.argv[2]:
            sys.path.insert(0, sys.argv[2])
        from derivations.coursework import sandbox
        from derivations.coursework.answers import judging  # noqa: F401 - imported once, by the zygote
        sandbox.serve(handle, warm=_warm(), prefork=_prefork, private_tmp=sys.argv[3:4] == ["private-tmp"])
    request = json.loads(sys.stdin.read())
    out = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.path.insert(0, request["package"])
    json.dump(handle(request), out)
    out.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
