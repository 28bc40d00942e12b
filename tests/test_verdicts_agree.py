"""One verdict type and one transpose policy: the typed-answer judge and the seed's judge agree.

The same formula goes through :func:`derivations.coursework.answers.judge` (a
student's typed answer) and through the handwritten seed's path (its LaTeX reader,
:func:`derivations.coursework.handwritten.read_latex`, in the same world, then
:func:`derivations.coursework.verdicts.judge_readings`) and must get the same verdict
kind: 20 formulas we wrote with a known status, and generated ones.
"""
import ast
import inspect

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derivations.coursework import handwritten as H
from derivations.coursework import verdicts
from derivations.coursework.answers import cases, judge, judging, notation
from derivations.coursework.verdicts import (CORRECT, KINDS, MEANING, SYNTAX, TRANSPOSE, TRANSPOSED, WRONG,
                                             Comparison, Verdict, credit, judge_readings, weakest)

FORMULAS = [
    ("a", r"-\log \hat{y}_o", CORRECT),
    ("a", r"\log \hat{y}_o", WRONG),
    ("a", r"-\log \hat{y}_0", WRONG),                      # the seed's o written 0: as written, word 0
    ("b", r"U(\hat{y} - y)", CORRECT),
    ("b", r"\mathbf{U}(\hat{\mathbf{y}} - \mathbf{y})", CORRECT),
    ("b", r"U(y - \hat{y})", WRONG),
    ("b", r"(\hat{y} - y)^T U^T", TRANSPOSE),
    ("b", r"-u_0 + U \cdot \hat{y}", WRONG),
    ("b", r"U(\hat{y} - y", SYNTAX),
    ("c", r"(\hat{y}_w - y_w) v_c", CORRECT),
    ("c", r"(\hat{y}_w - y_w) v_c^\top", TRANSPOSE),
    ("c", r"\hat{y}_w v_c", WRONG),                        # right for w != o only
    ("d", r"v_c(\hat{y} - y)^\top", CORRECT),
    ("d", r"(\hat{y} - y) v_c^T", TRANSPOSE),
    ("d", r"v_c(\hat{y} - y)", MEANING),
    ("f", "σ(x)·(1 − σ(x))", CORRECT),
    ("f", r"\frac{1}{x - x}", MEANING),                    # undefined: divides by zero
    ("g_vc", r"(\sigma(u_o \cdot v_c) - 1) u_o + \sum_{k=1}^K \sigma(u_{w_k}^T v_c) u_{w_k}", CORRECT),
    ("g_uo", r"(\sigma(u_o^\top v_c) - 1) v_c^T", TRANSPOSE),
    ("g_uws", r"\sigma(-u_{w_s}^\top v_c) v_c", WRONG),
]


def through_the_seed_judge(part, latex, points=20):
    """The handwritten path: its reader in each world the typed judge uses, the shared judge, the weakest."""
    found = [judge_readings([H.read_latex(latex, case.world)], case.reference, points)
             for case in cases(part)]
    return weakest(found)


def test_twenty_formulas_cover_every_part_and_every_kind_a_typed_answer_can_get():
    assert len(FORMULAS) == 20
    assert {p for p, _, _ in FORMULAS} <= set(judging.REFERENCES)   # the parts both judges read alike
    assert {k for _, _, k in FORMULAS} == {CORRECT, TRANSPOSE, WRONG, SYNTAX, MEANING}


@pytest.mark.parametrize("part,latex,kind", FORMULAS)
def test_both_judges_give_the_same_verdict(part, latex, kind):
    typed = judge(part, latex)
    seed = through_the_seed_judge(part, latex)
    assert isinstance(typed, Verdict) and isinstance(seed, Verdict)
    assert typed.kind == seed.kind == kind, (str(typed), str(seed))
    assert typed.credit == seed.credit == credit(kind)
    assert typed.position == seed.position
    if kind == WRONG:        # both explain it; the typed judge shrinks its counterexample for a student
        assert typed.counterexample is not None and seed.counterexample is not None
        assert len(typed.counterexample.point or {}) <= len(seed.counterexample.point or {})


SCALAR_LEAVES = st.sampled_from(["x", "1", "0.5", r"\sigma(x)", r"u_o^\top v_c", r"\hat{y}_o", "y_o",
                                 r"\sum_w \exp(u_w^\top v_c)", r"e^{-x}", "q", r"\log(y_0)", "(x",
                                 r"-\log \hat{y}_o", r"\sigma(x)(1 - \sigma(x))", r"\frac{e^{-x}}{(1+e^{-x})^{2}}"])
FORMULA = st.recursive(SCALAR_LEAVES, lambda inner: st.one_of(
    st.tuples(inner, inner).map(lambda t: f"{t[0]} + {t[1]}"),
    st.tuples(inner, inner).map(lambda t: f"({t[0]}) - ({t[1]})"),
    st.tuples(inner, inner).map(lambda t: f"({t[0]})({t[1]})"),
    st.tuples(inner, inner).map(lambda t: f"\\frac{{{t[0]}}}{{{t[1]}}}"),
    inner.map(lambda a: f"\\log({a})"), inner.map(lambda a: f"\\sigma({a})")), max_leaves=8)


RIGHT = {"a": r"-\log \hat{y}_o", "f": r"\sigma(x)(1 - \sigma(x))"}
PART_AND_FORMULA = st.sampled_from(sorted(RIGHT)).flatmap(lambda part: st.tuples(st.just(part), st.one_of(
    FORMULA,
    FORMULA.map(lambda a: f"{RIGHT[part]} + ({a}) - ({a})"),         # right unless a is undefined
    FORMULA.map(lambda a: f"({RIGHT[part]})({a})"))))


@pytest.mark.slow
@settings(max_examples=40, deadline=20000, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])     # two judges and SymPy per example; the deadline bounds it
@given(PART_AND_FORMULA)
def test_generated_formulas_get_the_same_verdict(part_and_formula):
    part, latex = part_and_formula
    """Right, wrong, unknown symbols, logs of 0, unclosed brackets: the kinds agree on all of them."""
    typed = judge(part, latex, points=5)
    seed = through_the_seed_judge(part, latex, points=5)
    assert typed.kind == seed.kind, (latex, str(typed), str(seed))


# -- one transpose policy --

def test_both_judges_decide_through_the_one_transpose_policy(monkeypatch):
    """Replace the policy: both judges' verdicts change with it (neither has a comparison of its own)."""
    calls = []

    def everything_is_transposed(value, reference, points=20, seed=0):
        calls.append(value)
        return Comparison(TRANSPOSED)
    monkeypatch.setattr(verdicts, "compare_to_reference", everything_is_transposed)
    assert judge("b", r"U(\hat{y} - y)").kind == TRANSPOSE
    typed_calls = len(calls)
    b = next(p for p in H.load() if p["id"] == "b(i)")
    assert H.judge_part({**b, "expr": {"tex": r"U(\hat{y} - y)"}, "notation": []}).verdict == TRANSPOSE
    worlds = len(list(cases("b")))           # one comparison per world the typed judge reads it in
    assert typed_calls == worlds and len(calls) == worlds + 1
    monkeypatch.undo()
    assert judge("b", r"U(\hat{y} - y)").kind == CORRECT


def test_no_judge_compares_on_its_own():
    """Equality and the transpose retry live in verdicts alone; each judge only lists readings."""
    comparisons = {"compare_values", "equivalent_up_to_transpose", "prove_equal", "numeric_comparison", "_compare",
                   "compare_to_reference", "expanded_terms"}
    for module in (judging, notation, H):
        names = set()
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.ImportFrom):
                names.update(a.name for a in node.names)
        assert not names & comparisons, f"{module.__name__} compares on its own: {names & comparisons}"
    assert judging.judge_readings is H.judge_readings is verdicts.judge_readings
    assert judging.Verdict is H.Verdict is verdicts.Verdict


def test_the_policy_itself():
    import sympy as sp
    from derivations.symbolic.symbols import naive_softmax_symbols
    S = naive_softmax_symbols()
    col = S.v_c
    assert verdicts.compare_to_reference(col, col).outcome == verdicts.EQUAL
    assert verdicts.compare_to_reference(col.T, col).outcome == TRANSPOSED
    assert verdicts.compare_to_reference(col, col.T).outcome == TRANSPOSED
    other = verdicts.compare_to_reference(2 * col.T, col)
    assert other.outcome == verdicts.DIFFERENT and other.counterexample.point is not None   # values, not shapes
    mismatch = verdicts.compare_to_reference(S.U, col)
    assert mismatch.outcome == verdicts.DIFFERENT and "shapes differ" in mismatch.counterexample.reason
    x = sp.Symbol("x", real=True)
    assert verdicts.compare_to_reference(x + x, 2 * x).outcome == verdicts.EQUAL


# -- the vocabulary and the rubric --

def test_vocabulary_rubric_and_json():
    assert KINDS == ("correct", "transpose", "notation", "wrong", "syntax", "meaning", "undecided",
                     "missing", "error")
    assert [credit(k) for k in KINDS] == [1.0, 0.5, 0.5, 0, 0, 0, 0, 0, 0]
    doc = verdicts.__doc__
    assert all(f"``{k}``" in doc for k in KINDS), "every kind is defined in the module docstring"
    with pytest.raises(ValueError):
        credit("transposed")
    wrong = judge("b", r"U(y - \hat{y})")
    record = wrong.to_json("b")
    assert set(record) == {"part", "verdict", "message", "counterexample", "position"}
    back = Verdict.from_json(record)
    assert (back.kind, back.message, str(back), back.position) == (wrong.kind, wrong.message, str(wrong), -1)
    for bad in ({"verdict": "great"}, {"verdict": "correct", "message": 3}, [], {"verdict": "wrong", "position": "x"}):
        with pytest.raises(ValueError):
            Verdict.from_json(bad)
    assert weakest([judge("b", r"U(\hat{y} - y)"), wrong, judge("b", "(")]) is wrong
