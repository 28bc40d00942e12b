"""The written-answer judge: verdicts on right, wrong, transposed and malformed answers; check_answer's process."""
import ast
import re
from pathlib import Path

import pytest

from derivations.coursework import sandbox
from derivations.coursework.answers import (REFERENCES, AnswerError, AnswerSyntaxError, Verdict, check_answer,
                                            judge, judging, parse)
from derivations.coursework.answers.worlds import ANSWER_SIZES
from derivations.coursework.verdicts import KINDS

ROOT = Path(__file__).resolve().parent.parent

RIGHT = [
    ("a", r"-\log \hat{y}_o"),
    ("a", r"-\log\left(\hat{y}_o\right)"),
    ("a", r"-u_o^\top v_c + \log \sum_{w \in V} \exp(u_w^\top v_c)"),
    ("a", r"-\sum_{w \in \text{vocab}} y_w \log(\hat{y}_w)"),
    ("b", r"U(\hat{y} - y)"),
    ("b", r"-u_o + \sum_w \hat{y}_w u_w"),
    ("b", r"-u_o + U\hat{y}"),
    ("b", r"\mathbf{U}(\hat{\mathbf{y}} - \mathbf{y})"),
    ("b", r"(\hat{y}_o - 1) u_o + \sum_{w \neq o} \hat{y}_w u_w"),
    ("b", r"-u_o + \sum_{x=1}^{|V|} \frac{\exp(u_x^T v_c)}{\sum_{w'} \exp(u_{w'}^T v_c)} u_x"),
    ("c", r"(\hat{y}_w - y_w) v_c"),
    ("d", r"v_c(\hat{y} - y)^\top"),
    ("d", r"v_c (\hat y - y)^{T}"),
    ("f", r"\sigma(x)(1-\sigma(x))"),
    ("f", r"\frac{e^{-x}}{(1+e^{-x})^{2}}"),
    ("f", "σ(x)·(1 − σ(x))"),
    ("g_vc", r"-(1-\sigma(u_o^\top v_c)) u_o + \sum_{s=1}^{K} (1-\sigma(-u_{w_s}^\top v_c)) u_{w_s}"),
    ("g_vc", r"(\sigma(u_o \cdot v_c) - 1) u_o + \sum_{k=1}^K \sigma(u_{w_k}^T v_c) u_{w_k}"),
    ("g_uo", r"(\sigma(u_o^\top v_c) - 1) v_c"),
    ("g_uws", r"(1 - \sigma(-u_{w_s}^\top v_c)) v_c"),
]


@pytest.mark.parametrize("part,latex", RIGHT)
def test_right_answers(part, latex):
    r = judge(part, latex)
    assert r.kind == "correct" and r.correct and r.credit == 1.0, str(r)


WRONG = [
    ("a", r"\log \hat{y}_o"),
    ("b", r"U(y - \hat{y})"),
    ("b", r"-u_o + \sum_w u_w"),
    ("c", r"\hat{y}_w v_c"),                    # right for w != o only
    ("f", r"\sigma(x)^2"),
    ("g_uo", r"(1 - \sigma(u_o^\top v_c)) v_c"),
    ("g_uws", r"\sigma(-u_{w_s}^\top v_c) v_c"),
]


@pytest.mark.parametrize("part,latex", WRONG)
def test_wrong_answers_get_a_counterexample(part, latex):
    r = judge(part, latex)
    assert r.kind == "wrong" and r.credit == 0.0, str(r)
    assert re.search(r"at \{.*=", str(r.counterexample)) and "left" in str(r.counterexample)


def test_wrong_case_names_the_index():
    r = judge("c", r"\hat{y}_w v_c")
    o = ANSWER_SIZES[0].o
    assert f"w = {o}" in r.message and f"o = {o}" in r.message and "world 1" in r.message


@pytest.mark.parametrize("part,latex", [("d", r"(\hat{y} - y) v_c^T"), ("b", r"(\hat{y} - y)^T U^T")])
def test_transpose_verdict(part, latex):
    r = judge(part, latex)
    assert r.kind == "transpose" and "correct up to transpose" in r.message and r.credit == 0.5


def test_an_index_part_is_as_good_as_its_weakest_index_value():
    """Transposed for w != o but wrong for w = o is wrong (no half credit for the transposes)."""
    r = judge("c", r"\hat{y}_w v_c^T")
    o, d = ANSWER_SIZES[0].o, ANSWER_SIZES[0].d
    assert r.kind == "wrong" and f"w = {o}" in r.message and f"your answer is 1 x {d}" in r.message, str(r)


@pytest.mark.parametrize("latex,position,words", [
    (r"U(\hat{y} - y", 13, "to close '('"),
    (r"U(\hat{y} -- ) y", 13, "where a term was expected"),
    (r"\frac{1}", 8, "expected {...}"),
    (r"u_o^^T", 4, "expected a subscript"),
    (r"\foo(x)", 0, "unknown command \\foo"),
    (r"x @ y", 2, "unexpected character '@'"),
    (r"__import__('os')", 0, "where a term was expected"),
])
def test_syntax_errors_are_located(latex, position, words):
    r = judge("b", latex)
    assert r.kind == "syntax" and r.position == position, str(r)
    assert words in r.message
    lines = r.message.split("\n")
    assert lines[-1].index("^") == lines[-2].index(latex) + min(position, len(latex))  # caret under the spot


@pytest.mark.parametrize("latex,words", [
    (r"U \hat{y} - y", f"cannot add a {ANSWER_SIZES[0].d} x 1 matrix and a {ANSWER_SIZES[0].V} x 1 matrix"),
    (r"v_c(\hat{y} - y)", "a transpose missing?"),
    (r"z + U", "unknown symbol 'z'"),
    (r"u_q", "index 'q' is not bound"),
    (r"9^{9^{9^{9}}}", "exponents are limited"),
    (r"\sum_w\sum_w\sum_w\sum_w\sum_w\sum_w\sum_w U", "more than"),
])
def test_meaningless_answers_are_located(latex, words):
    r = judge("d", latex)
    assert r.kind == "meaning" and words in r.message, str(r)
    assert r.position >= 0


def test_limits():
    with pytest.raises(AnswerSyntaxError, match="longer than 2000"):
        parse("x+" * 1001 + "x")
    with pytest.raises(AnswerSyntaxError, match="nested more than"):
        parse("(" * 100 + "x" + ")" * 100)
    with pytest.raises(AnswerSyntaxError, match="more than 600 symbols"):
        parse("(" * 300 + "x" + ")" * 300)
    with pytest.raises(AnswerError, match="part must be one of"):
        judge("z", "x")
    with pytest.raises(AnswerError, match="latex must be a string"):
        judge("b", None)


@pytest.mark.slow
def test_check_answer_runs_isolated(capsys):
    r = check_answer("b", r"U(\hat{y} - y)")
    assert isinstance(r, Verdict) and r.correct and "(b) correct" in capsys.readouterr().out
    r = check_answer("b", r"U(\hat{y}", verbose=False)
    assert r.kind == "syntax" and r.position == 9


def test_check_answer_uses_the_sandbox_and_isolates_when_it_can(monkeypatch):
    """check_answer goes through sandbox.run, isolated exactly when bubblewrap works here."""
    calls = []

    def fake_run(script, request, limits, *, package=None, isolate=True):
        calls.append((script, request, limits, package, isolate))
        return {"results": [{"part": "d", "verdict": "transpose", "message": "m", "counterexample": "",
                             "position": -1}]}, None
    monkeypatch.setattr(sandbox, "run_warm", fake_run)
    for reason in (None, "bwrap is not on PATH"):
        monkeypatch.setattr(sandbox, "available", lambda reason=reason: reason)
        r = check_answer("d", "x", timeout=3, memory_mb=512, verbose=False)
        assert r.kind == "transpose" and r.message == "m"
        script, request, limits, package, isolate = calls[-1]
        assert Path(script) == ROOT / "derivations/coursework/answer_worker.py"
        assert request == {"answers": {"d": "x"}} and Path(package) == ROOT
        assert (limits.seconds, limits.memory_mb) == (3, 512) and isolate is (reason is None)
    monkeypatch.setattr(sandbox, "run_warm", lambda *a, **k: (None, "time limit (3 s) exceeded"))
    r = check_answer("d", "x", verbose=False)
    assert r.kind == "error" and "time limit" in r.message and r.credit == 0.0
    monkeypatch.setattr(sandbox, "run_warm", lambda *a, **k: ({"results": [{"part": "d", "verdict": "great"}]}, None))
    assert check_answer("d", "x", verbose=False).kind == "error"


@pytest.mark.slow
def test_worker_reports_every_part_as_json():
    """The worker's protocol, which the autograder reads: one object per part, these keys, Verdict.to_json."""
    answers = {"b": r"U(\hat{y} - y)", "d": r"(\hat{y} - y) v_c^T", "f": "", "a": r"\log \hat{y}_o",
               "c": r"u_q"}
    result, problem = sandbox.run(str(judging.WORKER), {"answers": answers}, sandbox.Limits(60, 1024),
                                  package=str(ROOT), isolate=sandbox.available() is None)
    assert problem is None, problem
    results = result["results"]
    assert [r["part"] for r in results] == list(answers)
    assert all(set(r) == {"part", "verdict", "message", "counterexample", "position"} for r in results)
    assert [r["verdict"] for r in results] == ["correct", "transpose", "missing", "wrong", "meaning"]
    assert all(r["verdict"] in KINDS for r in results)
    for r in results:       # what the worker said is what judge says in this process
        v = Verdict.from_json(r)
        if r["verdict"] != "missing":
            assert v.kind == judge(r["part"], answers[r["part"]]).kind
    assert "at {" in results[3]["counterexample"] and results[4]["position"] == 2


def test_answers_never_import_the_autograder():
    """check_answer runs through derivations.coursework.sandbox; grade imports answers, never the reverse."""
    for path in (ROOT / "derivations/coursework/answers").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [a.name for a in node.names]
                assert not any(n == "grade" or n.endswith(".grade") for n in names), (path.name, names)


def test_references_hold_no_typed_formula():
    """References are computed by SymPy from the loss, so the module ships in the student edition."""
    src = (ROOT / "derivations/coursework/answers/judging.py").read_text()
    assert r"\hat{y} - y" not in src and r"\sigma(x)(1" not in src
    assert sum(r.points for r in REFERENCES.values()) > 0


def test_no_code_execution_primitives_in_the_checker():
    for path in (ROOT / "derivations/coursework/answers").glob("*.py"):
        code = re.sub(r'"""(.|\n)*?"""', "", path.read_text())
        for bad in ("eval(", "exec(", "sympify", "parse_expr", "parsing", "__import__", "compile("):
            assert bad not in code, f"{path.name} uses {bad}"


@pytest.mark.parametrize("latex", [r"\log((x) - (x))", r"\frac{1}{x - x}"])
def test_undefined_formulas_are_refused(latex):
    r = judge("f", latex)
    assert r.kind == "meaning" and "undefined" in r.message


@pytest.mark.slow
def test_check_batch_judges_many_answers_in_one_worker():
    from derivations.coursework.answers.judging import check_batch
    pairs = [("b", r"U(\hat{y} - y)"), ("b", r"U(y - \hat{y})"), ("c", r"(\hat{y}_w - y_w) v_c^T"), ("f", r"\sigma(x")]
    verdicts = check_batch(pairs)
    assert [v.kind for v in verdicts] == ["correct", "wrong", "transpose", "syntax"]
    assert [v.kind for v in verdicts] == [judge(p, t).kind for p, t in pairs]
    assert "opposite sign" in verdicts[1].message and verdicts[3].position == 8
