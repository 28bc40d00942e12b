"""The judge of the handwritten seed (derivations/coursework/handwritten.py, derivations/coursework/verdicts.py).

No test here knows the seed's verdicts. A test asserts a verdict only for a
formula it writes itself with a known status (the textbook answer, the same
with a sign flipped, a transposed one), and every counterexample the chapter
shows is recomputed independently of the engine.
"""
import re

import numpy as np
import pytest
import sympy as sp

from derivations.coursework import handwritten as H
from derivations.coursework.verdicts import (CORRECT, MEANING, NOTATION, TRANSPOSE, WRONG, Reading, Verdict,
                                             judge_readings)
from derivations.core.losses import naive_softmax_loss_and_gradient
from derivations.symbolic.symbols import naive_softmax_symbols


def squash(tex):
    return re.sub(r"\s+", "", tex)


@pytest.fixture(scope="module")
def parts():
    return {p["id"]: p for p in H.load()}


def variant(part, **changes):
    """A copy of a seed part with another formula written in (our own, not the seed's)."""
    return {**part, "notation": [], **changes}


# -- the transcription is data, and what is graded is what is shown --

def test_every_graded_fragment_is_part_of_the_displayed_formula(parts):
    for p in parts.values():
        if "expr" not in p:
            continue
        shown = squash(p["latex"])
        for tex in H.leaves(p["expr"]) + H.leaves(p.get("rhs", {})):
            # a row pattern in u_{w_s} stands for the displayed rows u_{w_1}, ..., u_{w_k}
            forms = {squash(tex), squash(tex.replace("w_s", "w_1")), squash(tex.replace("w_s", "w_k"))}
            assert any(f in shown for f in forms), f"part {p['id']}: graded {tex!r} is not displayed"
        for tex in H.leaves(p.get("alternative", {}).get("expr", {})):
            assert squash(tex) in squash(p["alternative"]["latex"])


def test_every_notation_change_applies_to_a_fragment(parts):
    for p in parts.values():
        fragments = H.leaves(p.get("expr", {})) + H.leaves(p.get("rhs", {}))
        for n in p.get("notation", []):
            assert any(n["seed"] in t for t in fragments), f"part {p['id']}: {n['seed']!r} occurs in no fragment"


def test_the_data_holds_no_verdicts(parts):
    def keys(node):
        if isinstance(node, dict):
            return set(node) | {k for v in node.values() for k in keys(v)}
        if isinstance(node, list):
            return {k for v in node for k in keys(v)}
        return set()
    found = keys(list(parts.values())) & {"verdict", "expected", "result", "correct", "wrong", "grade"}
    assert not found, f"the transcription must not carry verdicts, found keys {found}"


def test_every_quote_is_text_of_the_seed(parts):
    import yaml
    root = H.DATA.parents[3]                         # the repository root
    seed = root / yaml.safe_load(H.DATA.read_text(encoding="utf-8"))["seed"]
    if not seed.exists():
        pytest.skip(f"the seed is not in this checkout ({seed}); the quotes cannot be compared")
    text = squash(seed.read_text(encoding="utf-8"))
    for p in parts.values():
        for quote in (p.get("quote"), p.get("prose", {}).get("quote")):
            if quote is not None:
                assert squash(quote) in text, f"part {p['id']}: quote is not in the seed: {quote[:60]!r}"


def test_bad_data_is_refused_with_the_part_named(tmp_path):
    bad = tmp_path / "seed.yml"
    bad.write_text("parts:\n  - id: x\n    asked: q\n    quote: q\n    latex: a\n    world: moon\n"
                   "    reference: r\n    expr: {tex: a}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="part 'x': world must be one of"):
        H.load(bad)


# -- the pipeline grades formulas we know the status of --

def test_textbook_answer_is_correct_and_a_flipped_sign_is_wrong(parts):
    b = parts["b(i)"]
    right = H.judge_part(variant(b, expr={"tex": r"U(\hat{y} - y)"}))
    flipped = H.judge_part(variant(b, expr={"tex": r"U(y - \hat{y})"}))
    assert right.verdict == CORRECT and right.counterexample is None and right.summary() == ""
    assert flipped.verdict == WRONG
    _, cex = flipped.counterexample
    # Independently of SymPy: NumPy's gradient at the counterexample point.
    S = naive_softmax_symbols()
    v_c = np.array([cex.point[f"v_c[{i}]"] for i in range(S.d)])
    U = np.array([[cex.point[f"U[{i},{w}]"] for w in range(S.V)] for i in range(S.d)])
    _, g_v, _ = naive_softmax_loss_and_gradient(v_c, S.o, U)
    np.testing.assert_allclose(np.ravel(cex.rhs), g_v, rtol=1e-9)
    np.testing.assert_allclose(np.ravel(cex.lhs), -g_v, rtol=1e-9)


def test_notation_changes_count_only_when_documented(parts):
    assert naive_softmax_symbols().o != 0          # so u_0, as written, is another word's vector
    b = parts["b(i)"]
    written = {"tex": r"-u_0 + U \cdot \hat{y}"}
    undocumented = H.judge_part(variant(b, expr=written))
    documented = H.judge_part(variant(b, expr=written, notation=[{"seed": "u_0", "read_as": "u_o", "why": "test"}]))
    assert undocumented.verdict == WRONG
    assert documented.verdict == NOTATION
    assert documented.checks[0][1].reading.changes == ("$u_0$ as $u_o$",)
    exact = H.judge_part(variant(b, expr={"tex": r"-u_o + U \cdot \hat{y}"}))
    assert exact.verdict == CORRECT


@pytest.mark.slow
def test_a_row_for_a_column_is_correct_only_up_to_transposes(parts):
    c = parts["c, w ≠ o"]
    assert H.judge_part(variant(c, expr={"tex": r"\hat{y}_w v_c"})).verdict == CORRECT
    row = H.judge_part(variant(c, expr={"tex": r"\hat{y}_w v_c^T"}))
    assert row.verdict == TRANSPOSE          # as written: its transpose is the gradient
    assert all(v.reading.literal for _, v in row.checks)
    assert H.judge_part(variant(c, expr={"tex": r"(\hat{y}_w - 1) v_c^T"})).verdict == WRONG


def test_an_ill_shaped_sum_is_read_with_a_transpose_dropped(parts):
    c = parts["c, w = o"]
    mixed = H.judge_part(variant(c, expr={"tex": r"-v_c + \hat{y}_w v_c^T"}))
    assert mixed.verdict == NOTATION         # equal only with a transpose mark dropped
    assert mixed.checks[0][1].reading.changes == ("$v_c^T$ as $v_c$",)
    first = mixed.checks[0][1].readings[0]
    assert first.value is None and "cannot add" in first.error
    assert H.judge_part(variant(c, expr={"tex": r"(\hat{y}_w - 1) v_c"})).verdict == CORRECT
    wrong = H.judge_part(variant(c, expr={"tex": r"-v_c + \hat{y}_w v_c^T + v_c^T"}))
    assert wrong.verdict == WRONG


def test_a_condition_for_a_zero_gradient(parts):
    b = parts["b(ii)"]
    assert H.judge_part(variant(b, expr={"tex": r"U \hat{y}"}, rhs={"tex": "u_o"})).verdict == CORRECT
    # U y is u_o itself: "u_o = U y" always holds, so it is no condition for the gradient to vanish.
    assert H.judge_part(variant(b, expr={"tex": "u_o"}, rhs={"tex": "U y"})).verdict == WRONG


def test_a_piecewise_derivative_is_checked_on_each_side(parts):
    e = parts["e"]
    swapped = {"cases": [{"value": {"tex": r"\alpha"}, "when": {"var": "x", "rel": ">", "value": 0}},
                         {"value": {"tex": "1"}, "when": {"var": "x", "rel": "<", "value": 0}}]}
    result = H.judge_part(variant(e, expr=swapped))
    assert [v.kind for _, v in result.checks[:2]] == [WRONG, WRONG]
    right = {"cases": [{"value": {"tex": "1"}, "when": {"var": "x", "rel": ">", "value": 0}},
                       {"value": {"tex": r"\alpha"}, "when": {"var": "x", "rel": "<", "value": 0}}]}
    assert [v.kind for _, v in H.judge_part(variant(e, expr=right)).checks[:2]] == [CORRECT, CORRECT]


def test_a_repeated_negative_counts_once_per_draw(parts):
    h = parts["h"]
    body = {"sum": h["expr"]["sum"], "body": {"tex": r"(1 - \sigma(-u_{w_s}^T v_c)) v_c"}}
    assert H.judge_part(variant(h, expr=body)).verdict == CORRECT
    once = {"tex": r"(1 - \sigma(-u_{w_x}^T v_c)) v_c"}      # forgets the second draw
    assert H.judge_part(variant(h, expr=once)).verdict == WRONG


def test_a_formula_that_cannot_be_read_has_no_meaning_and_says_why(parts):
    result = H.judge_part(variant(parts["f"], expr={"tex": r"\sigma(x) + q"}))
    assert result.verdict == MEANING and result.counterexample is None
    assert "unknown symbol 'q'" in result.summary()


# -- every counterexample the chapter shows is real --

@pytest.mark.slow
def test_every_counterexample_of_the_seed_reproduces():
    results = H.judge_all()
    assert len(results) == len(H.load())
    for r in results:
        if not r.graded:
            assert "prose" in r.part
            continue
        for label, g in r.checks:
            if g.kind != WRONG or g.counterexample.point is None or g.reading.value is None:
                continue
            cex = g.counterexample
            symbols = sorted(g.reading.value.free_symbols, key=lambda s: s.name)
            f = sp.lambdify(symbols, g.reading.value, "numpy")
            got = np.array(f(*[cex.point[s.name] for s in symbols]), dtype=float)
            assert np.allclose(np.ravel(got), np.ravel(cex.lhs), rtol=1e-8), (r.part["id"], label)
            assert not np.allclose(np.ravel(cex.lhs), np.ravel(cex.rhs), rtol=1e-6), (r.part["id"], label)


# -- the verdict module --

def test_judge_readings_needs_the_literal_reading_first_and_consistent_verdicts():
    x = sp.Symbol("x", real=True)
    with pytest.raises(ValueError, match="literal"):
        judge_readings([Reading("changed", x, changes=("a as b",))], x)
    with pytest.raises(ValueError, match="counterexample"):
        Verdict(WRONG, "differs", reading=Reading("as written", x))
    with pytest.raises(ValueError, match="kind must be one of"):
        Verdict("correct up to notation or transposes", "old vocabulary")
    with pytest.raises(TypeError, match="never parses text"):
        judge_readings([Reading("as written", "x + 1")], x)
    assert judge_readings([Reading("as written", x + x)], 2 * x).kind == CORRECT
    assert judge_readings([Reading("as written", x + 1)], x).kind == WRONG
    assert judge_readings([Reading("as written", x + 1), Reading("x as x - 1", x, changes=("x as x - 1",))],
                          x).kind == NOTATION


def test_old_names_are_gone():
    """One PartResult (the autograder's), one grade() (the autograder's): the seed's judge has its own names."""
    from derivations.coursework import verdicts
    assert not hasattr(H, "PartResult") and not hasattr(H, "grade_part") and not hasattr(H, "grade_all")
    assert not hasattr(verdicts, "grade") and not hasattr(verdicts, "_compare") and not hasattr(H, "_compare")


def test_the_verdicts_are_the_same_on_every_run(parts):
    a = H.judge_part(parts["h"])
    b = H.judge_part(parts["h"])
    assert a.summary() == b.summary() and a.verdict == b.verdict


@pytest.mark.slow
def test_every_wrong_part_of_the_seed_is_diagnosed_with_a_step_of_the_book():
    """A wrong verdict names the slip in words and the derivation step where it first changes the result."""
    for r in H.judge_all():
        if r.verdict == WRONG:
            why = H.diagnose(r)
            assert "it equals the correct result" in why and "derivation (" in why, (r.part["id"], why)
        elif r.graded:
            assert H.diagnose(r) == ""


def test_a_sigma_slip_of_our_own_is_diagnosed(parts):
    h = parts["h"]
    body = {"sum": h["expr"]["sum"], "body": {"tex": r"(1 - \sigma(u_{w_s}^T v_c)) v_c"}}
    result = H.judge_part(variant(h, expr=body))
    assert result.verdict == WRONG
    assert r"where $\sigma(-u_{w_s}^T v_c)$ belongs" in H.diagnose(result)
