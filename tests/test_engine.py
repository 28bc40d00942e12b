"""The derivation engine: wrong steps are caught with a counterexample, right ones pass."""
import copy

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from derivations.symbolic.engine import (Derivation, Step, StepFailed, equivalent,
                                equivalent_up_to_transpose, grad, naive_softmax_symbols,
                                neg_sampling_symbols, show)
from derivations.symbolic.equality import compare_values
from derivations.symbolic.parts import all_derivations
from derivations.symbolic.parts.naive_softmax import grad_v_c

S = naive_softmax_symbols()
x, y = sp.symbols("x y", real=True)


def b1_with(index, step):
    """(b.1) with step ``index`` (1-based) replaced."""
    d = grad_v_c(S)
    steps = list(d.steps)
    steps[index - 1] = step
    return Derivation("b.1-test", d.title, d.lhs_latex, steps, target=d.target, shape=("d", "1"))


def value_at(expr, point):
    """Evaluate a SymPy scalar or Matrix at a counterexample point (names -> floats)."""
    subs = {s: point.get(s.name, 0.0) for s in expr.free_symbols}   # a shrunk point omits its zeros
    return np.array(sp.N(expr.subs(subs)).tolist(), dtype=float).squeeze() if isinstance(
        expr, sp.MatrixBase) else float(sp.N(expr.subs(subs)))


@pytest.mark.slow   # checks every step of every derivation in SymPy: seconds
def test_every_derivation_of_the_book_checks():
    derivations = all_derivations()
    assert {"a.1", "b.1", "c.1", "c.2", "d.1"} <= set(derivations)
    for d in derivations.values():
        report = d.check()
        assert len(report.rows) >= len(d.steps) - 1


@pytest.mark.slow   # a wrong step of (b.1): the symbolic attempt fails slowly, then the shrinking: seconds
def test_a_wrong_step_is_caught_with_its_index_and_a_true_counterexample():
    # -u_o flipped to +u_o in step (4): the classic sign slip.
    wrong = Step(r"u_o + \sum_x \hat y_x u_x",
                 S.u(S.o) + sum((S.y_hat[w] * S.u(w) for w in range(S.V)), sp.zeros(3, 1)))
    d = b1_with(4, wrong)
    with pytest.raises(StepFailed) as info:
        d.check()
    err = info.value
    assert err.step_index == 4 and err.label == "b.1-test"
    assert "(3) = (4)" in str(err) and err.reason == "values differ"
    # The counterexample is small (few non-zero symbols, small integers) and real: both sides
    # evaluated there give the reported values at the worst entry.
    assert set(err.point) <= {s.name for s in d.target.free_symbols} and len(err.point) <= 4
    assert "every other symbol 0" in str(err)
    assert all(float(v).is_integer() for v in err.point.values())
    lhs, rhs = value_at(d.steps[2].expr, err.point), value_at(d.steps[3].expr, err.point)
    index = [i for i in range(3) if abs(lhs[i] - rhs[i]) == np.abs(lhs - rhs).max()][0]
    assert lhs[index] == pytest.approx(err.lhs_value, rel=1e-9) and rhs[index] == pytest.approx(err.rhs_value, rel=1e-9)
    assert err.lhs_value != pytest.approx(err.rhs_value)


def test_a_right_step_written_differently_passes():
    # (4) written as U y_hat - u_o instead of a sum, and (6) as U y_hat - U y.
    d = b1_with(4, Step(r"U\hat y - u_o", S.U * S.y_hat - S.u(S.o)))
    d.steps[5] = Step(r"U\hat y - U y", S.U * S.y_hat - S.U * S.y)
    report = d.check()
    assert all(row.comparison.equal for row in report.rows)


@pytest.mark.slow   # the symbolic attempt on a wrong step of (b.1) fails slowly: seconds
def test_the_last_step_must_equal_the_target():
    # Internally consistent, but it forgets the -y: U y_hat is not dJ/dv_c.
    d = Derivation("t", "forgets -y", r"\frac{\partial J}{\partial v_c}",
                   [Step(r"\sum_x \hat y_x u_x", sum((S.y_hat[w] * S.u(w) for w in range(S.V)), sp.zeros(3, 1))),
                    Step(r"U \hat y", S.U * S.y_hat)],
                   target=grad(S.J, S.v_c), target_latex="target")
    with pytest.raises(StepFailed) as info:
        d.check()
    assert info.value.step_index == 2 and "(2) = target" in str(info.value)


@pytest.mark.slow   # all of (b.1) through the numeric path, in 40 digits too: seconds
def test_symbolic_and_numeric_paths_are_both_used():
    proved = Derivation("t", "t", "f", [Step("(x+y)^2", (x + y) ** 2), Step("x^2+2xy+y^2", x**2 + 2*x*y + y**2)])
    assert proved.check().rows[0].comparison.method == "symbolic"
    # expand/cancel cannot see sin^2 + cos^2 = 1: the numeric fallback decides.
    trig = Derivation("t", "t", "f", [Step(r"\sin^2 x + \cos^2 x", sp.sin(x)**2 + sp.cos(x)**2), Step("1", 1)])
    row = trig.check().rows[0]
    assert row.comparison.method == "numeric" and row.comparison.points == 20 and row.comparison.maxdiff < 1e-12
    # A zero symbolic budget sends all of (b.1) through the numeric path; it still passes.
    d = grad_v_c(S)
    d.max_ops = 0
    assert {r.comparison.method for r in d.check().rows} == {"numeric"}


def test_the_numeric_path_also_catches_wrong_steps():
    trig = Derivation("t", "t", "f", [Step(r"\sin^2 x + \cos^2 x", sp.sin(x)**2 + sp.cos(x)**2),
                                      Step("1", 1 + x**2 / 10**6)])
    with pytest.raises(StepFailed) as info:
        trig.check()
    p = info.value.point["x"]
    assert info.value.rhs_value == pytest.approx(1 + p**2 / 1e6, rel=1e-12)
    assert info.value.lhs_value == pytest.approx(1.0, rel=1e-12)


def test_a_transpose_is_a_different_shape_but_forgiven_on_request():
    # The handwritten solution's (c): y_hat_w v_c^T where y_hat_w v_c is meant.
    w = 4
    right, handwritten = S.y_hat[w] * S.v_c, S.y_hat[w] * S.v_c.T
    ok, cex = equivalent(handwritten, right)
    assert not ok and "shapes differ" in cex.reason and cex.point is None
    assert equivalent_up_to_transpose(handwritten, right) == (True, None)
    # A Derivation refuses the transpose too, naming the step.
    d = Derivation("t", "t", "g", [Step("a", right), Step("b", handwritten)])
    with pytest.raises(StepFailed, match="shapes differ"):
        d.check()


def test_equivalent_on_the_handwritten_negative_sample_formula():
    N = neg_sampling_symbols()
    w = N.negatives[1]
    dot = (N.u(w).T * N.v_c)[0, 0]
    right = (1 - N.sigma(-dot)) * N.v_c
    handwritten = (1 - N.sigma(dot)) * N.v_c      # the seed's (h): sign lost inside sigma
    assert equivalent(right, grad(N.J, N.u(w))) == (True, None)   # w = 3 is drawn once
    ok, cex = equivalent(handwritten, right)
    assert not ok and cex.reason == "values differ" and len(cex.point) == 6
    assert equivalent(right, right.applyfunc(sp.expand))[0]


def test_strings_are_never_parsed():
    with pytest.raises(TypeError, match="never parses text"):
        Step("x", "x + 1")
    with pytest.raises(TypeError, match="never parses text"):
        equivalent("x", x)


@pytest.mark.parametrize("kwargs, match", [
    (dict(points=5), "points must be an integer >= 20"),
    (dict(shape=("d", "n")), "shape must be two names"),
    (dict(steps=[]), "non-empty list of Step"),
    (dict(label=""), "label must be a non-empty string"),
])
def test_bad_derivation_arguments_are_named(kwargs, match):
    args = dict(label="t", title="t", lhs_latex="f", steps=[Step("x", x)])
    args.update(kwargs)
    with pytest.raises((TypeError, ValueError), match=match):
        Derivation(**args)


def test_a_declared_shape_is_checked():
    d = Derivation("t", "t", "g", [Step("v_c", S.v_c)], shape=("|V|", "1"))
    with pytest.raises(StepFailed, match="declared"):
        d.check()


def test_show_raises_on_a_wrong_derivation_and_displays_a_right_one(capsys):
    wrong = Derivation("t", "t", "f", [Step("x", x), Step("x+1", x + 1)])
    with pytest.raises(StepFailed):
        show(wrong)
    right = grad_v_c()
    markdown = right.markdown(right.check())
    for step in right.steps:
        assert step.latex in markdown      # the display is generated from the checked steps
    assert markdown.startswith("**(b.1)**")
    assert show(right) is None
    out = capsys.readouterr().out.splitlines()       # plain Python: title, display, one line
    assert out[0] == f"(b.1) {right.title}" and out[-1] == "✓ (b.1) 6 steps checked in 2 worlds, symbolically"


def test_in_ipython_show_is_rich_with_one_plain_line():
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output
    shell = InteractiveShell.instance()
    try:
        with capture_output() as cap:
            shell.run_cell("from derivations.symbolic.parts.naive_softmax import grad_v_c\n"
                           "from derivations.symbolic.engine import show\nshow(grad_v_c())")
    finally:
        InteractiveShell.clear_instance()
    [out] = [o.data for o in cap.outputs]
    assert out["text/plain"] == "✓ (b.1) 6 steps checked in 2 worlds, symbolically"
    assert out["text/markdown"].startswith("**(b.1)**") and "<details" in out["text/markdown"]


polynomials = st.lists(st.integers(-5, 5), min_size=1, max_size=4)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(coeffs=polynomials, eps=st.fractions(min_value=-3, max_value=3, max_denominator=1000).filter(lambda f: f != 0),
       seed=st.integers(0, 2**32 - 1))
def test_any_nonzero_perturbation_is_caught_and_any_rewriting_passes(coeffs, eps, seed):
    p = sum(c * (x + y) ** k for k, c in enumerate(coeffs))
    rewritten = Derivation("t", "t", "p", [Step("p", p), Step("expanded", sp.expand(p))], seed=seed)
    assert rewritten.check().rows[0].comparison.equal
    perturbed = Derivation("t", "t", "p", [Step("p", p), Step("p + eps x", p + sp.Rational(eps) * x)],
                           seed=seed)
    with pytest.raises(StepFailed) as info:
        perturbed.check()
    pt = info.value.point
    assert info.value.rhs_value - info.value.lhs_value == pytest.approx(float(eps) * pt["x"], abs=1e-9)


@pytest.mark.slow   # each example differentiates the loss symbolically: seconds in all
@settings(max_examples=10, deadline=None, derandomize=True)
@given(w=st.sampled_from([0, 1, 3, 4]), scale=st.floats(0.5, 2.0).filter(lambda s: abs(s - 1) > 1e-3))
def test_a_scaled_column_gradient_is_never_equivalent(w, scale):
    right = S.y_hat[w] * S.v_c
    assert equivalent(right, grad(S.J, S.u(w)))[0]
    ok, cex = equivalent(scale * right, grad(S.J, S.u(w)))
    assert not ok and cex.point is not None


def test_compare_values_reports_the_method():
    assert compare_values(x * (x + 1), x**2 + x).how == "symbolic"
    assert compare_values(sp.sin(2 * x), 2 * sp.sin(x) * sp.cos(x)).how == "numeric (20 pts)"


# -- worlds, wide points, non-vacuous checks, what the reader sees --

from derivations.symbolic.engine import WORLDS, CheckReport, in_worlds  # noqa: E402
from derivations.symbolic.equality import Sampler  # noqa: E402
from derivations.symbolic.parts import activations, neg_sampling, skipgram  # noqa: E402


def named_numbers(w):
    repeated = next(x for x in w.negatives if w.negatives.count(x) > 1)
    return {"d": w.d, "|V|": w.V, "K": w.K, "multiplicity": w.negatives.count(repeated), "m": w.m, "o": w.o,
            "c": w.c, "n = 2m": len(w.window)}


def test_no_two_worlds_share_a_named_number_and_each_world_is_varied():
    assert len(WORLDS) >= 2
    for a, b in zip(WORLDS, WORLDS[1:]):
        na, nb = named_numbers(a), named_numbers(b)
        assert all(na[k] != nb[k] for k in na), {k for k in na if na[k] == nb[k]}
        # the negatives' positions: where the repeated word and the once-drawn words sit
        where = lambda w: {s for s, x in enumerate(w.negatives, 1) if w.negatives.count(x) > 1}
        assert not where(a) & where(b)
        assert a.negatives != b.negatives and a.window != b.window
    for w in WORLDS:
        assert len({w.d, w.V, w.K}) == 3
        assert len(w.window) != w.V - 1                  # the window's count n is not |V| - 1
        assert any(w.negatives.count(x) == 1 for x in w.negatives)            # (g.4) needs one drawn once
        assert w.o not in w.negatives and len(set(w.window)) < len(w.window)  # a repeated outside word
    assert {w.o for w in WORLDS} >= {0} and any(w.o == w.V - 1 for w in WORLDS)   # first and last word
    assert [w.size for w in WORLDS] == sorted(w.size for w in WORLDS)              # smallest first


def test_sampled_points_cover_both_signs_large_magnitudes_and_alpha_near_0_and_1():
    beta = sp.Symbol("beta", positive=True)
    s = Sampler([x, beta], points=20, seed=0)
    xs, betas = s.values[s.symbols.index(x)], s.values[s.symbols.index(beta)]
    assert (xs < -2.5).sum() >= 4 and (xs > 2.5).sum() >= 4 and abs(xs).max() >= 9
    alphas = 1 / (1 + betas)
    assert alphas.min() < 1 / 3 and alphas.max() > 0.9


def test_narrow_number_slips_are_caught():
    # A Leaky ReLU derivative wrong only below -2.5, and alpha replaced by max(alpha, 1/3).
    d = activations.leaky_relu_derivative()
    wrong_far = sp.Piecewise((1, x > 0), (d.steps[-1].expr.args[1][0], x > -sp.Rational(5, 2)), (0, True))
    alpha = activations.alpha
    wrong_alpha = sp.Piecewise((1, activations.x > 0), (sp.Max(alpha, sp.Rational(1, 3)), True))
    for wrong in (wrong_far.subs(x, activations.x), wrong_alpha):
        assert not compare_values(wrong, d.target).equal
    # An error of 1e-11 v_c: float64 cannot see it, the 40-digit tier does.
    N = neg_sampling_symbols()
    right = grad(N.J, N.u(N.o))
    assert compare_values(right, right.applyfunc(sp.expand)).equal
    comparison = compare_values(right + sp.Rational(1, 10**11) * N.v_c, right, max_ops=0)
    assert not comparison.equal and comparison.counterexample.point is not None


def test_every_derivation_is_built_in_every_world_with_one_display():
    b1 = grad_v_c()
    assert [i.sizes for i in b1.instances()] == sorted(WORLDS, key=lambda w: w.size)
    assert all(i.chain() == b1.chain() for i in b1.instances())
    with pytest.raises(ValueError, match="displays differently"):
        in_worlds(lambda S: Derivation("t", f"o = {S.o}", "f", [Step("x", x)]), naive_softmax_symbols)


@pytest.mark.slow   # builds (i.4) in both worlds: seconds
def test_a_vacuous_derivative_is_refused():
    # (i.4) as it was: the loss contains no v_w at all, so "= 0" could not fail.
    W = skipgram.skipgram_symbols()
    w = 1
    plain = Derivation("i.4?", "t", r"\frac{\partial J}{\partial v_w}",
                       [Step("0", sp.zeros(3, 1))], target=grad(W.J, W.V[:, w]),
                       wrt=W.V[:, w], loss=W.J, constant="it is 0")
    with pytest.raises(StepFailed, match="contains no symbol") as info:
        plain.check()
    assert info.value.reason == "vacuous"
    # A step that does not depend on the variable needs a declared reason.
    S3 = naive_softmax_symbols()
    lazy = Derivation("b.1?", "t", r"\frac{\partial J}{\partial v_c}", [Step("U(y_hat - y)", S3.U * (S3.y_hat - S3.y)),
                      Step("c", sp.ones(3, 1))], wrt=S3.v_c, loss=S3.J)
    with pytest.raises(StepFailed, match=r"step \(2\) does not depend"):
        lazy.check()
    # The book's (i.4): the loss contains every v_w, and its derivative is 0 only at e = e_c.
    i4 = skipgram.grad_v_w()
    for inst in i4.instances():
        assert inst.loss.free_symbols >= set(inst.wrt.free_symbols) and inst.constant
        W2 = inst.source[2]
        others = [v for v in range(inst.sizes.V) if v != inst.sizes.c]
        away = grad(W2.only(others[0], W2.J), W2.V[:, others[0]])
        assert any(e != 0 for e in away)          # before e is one-hot, the derivative is not 0


@pytest.mark.slow   # builds every derivation in every world: seconds
def test_every_derivative_of_the_book_declares_what_it_differentiates():
    from derivations.symbolic.parts import all_derivations
    for d in all_derivations().values():
        if "partial" in d.lhs_latex or "'" in d.lhs_latex or r"\lim" in d.lhs_latex:
            assert d.wrt is not None, d.label


def test_a_compound_size_is_bracketed_in_the_shape():
    from derivations.symbolic.engine import _dims_text
    assert _dims_text(("d", "K+1")) == r"d \times (K+1)" and _dims_text(("d", "|V|")) == r"d \times |V|"


def test_one_summary_line_and_the_detail_folded():
    d = grad_v_c()
    report = d.check()
    assert report.summary() == "6 steps checked in 2 worlds, symbolically"
    markdown = d.markdown(report)
    head, details = markdown.split("<details", 1)
    assert "checked" not in head.split("$$")[-1]          # nothing between the display and the line
    assert "<summary>✓ 6 steps checked in 2 worlds, symbolically</summary>" in details
    assert "world B" in details and "world A" in details and details.rstrip().endswith("</details>")
    assert "equals (5): proved symbolically" in details and "exact" not in details   # words, not jargon
    assert CheckReport("t", []).summary().startswith("0 steps checked")


@pytest.mark.slow                     # shrinks a counterexample in two worlds: about 6 s
def test_a_failure_names_the_smallest_world_and_at_most_six_numbers():
    d = grad_v_c()
    broken = copy.copy(d)
    bad = [copy.copy(i) for i in d.instances()]
    for inst in bad:
        inst.steps = list(inst.steps)
        S_ = inst.source[2]
        inst.steps[5] = Step(r"U (y - \hat y)", S_.U * (S_.y - S_.y_hat))
    broken, broken.variants = bad[0], bad[1:]
    with pytest.raises(StepFailed) as info:
        broken.check()
    err = info.value
    assert "world B" in err.world and err.step_index == 6
    assert len(err.point) + 2 <= 6 and "every other symbol 0" in str(err)
