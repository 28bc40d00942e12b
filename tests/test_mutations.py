"""The checker's own mutation test: the slips students make, applied to the book's derivations.

Every mutant that changes the mathematics must be rejected; one that does not is proven
equal and listed (:mod:`derivations.symbolic.mutations`). The full run over every step of
every derivation is ``tests/bench_mutations.py`` (``make bench``) and the slow test below;
a sample runs in the fast suite. The same slips made in each written part's typed final answer
go through the written-answer checker (``judge``, as ``check_answer``): every mutant is
rejected, unreadable (a located error) or proven equal as read, and a known slip is named.
"""
import pytest
import sympy as sp

from derivations.symbolic import mutations as M
from derivations.symbolic.parts import activations, neg_sampling

KINDS = {"sign", "term sign", "transpose", "sigma(-x)", "1-sigma", "u<->v", "o<->w", "factor", "1e-6",
         "1e-11", "term dropped", "j=0", "count"}


def test_a_sample_of_mutants_is_all_rejected():
    # (h.1): counts n_w -> 1, K, K-1, a dropped negative, o <-> w, sigma(x) <-> sigma(-x), ...
    mutants = M.mutate(neg_sampling.grad_repeated_negative())
    assert {m.outcome for m in mutants} == {"rejected"}, [str(m) for m in mutants if m.outcome != "rejected"]
    slips = {m.slip for m in mutants}
    assert {"count n_w->1", "count n_w->K", "count n_w->K-1", "sign", "sigma(-x)", "1e-11"} <= slips
    assert len(mutants) >= 25


def test_a_mutant_that_changes_nothing_is_proven_equal_and_listed():
    # sigma'(x) is even, so reading every exp(a) as exp(-a) in (f.1) does not change it.
    mutants = M.mutate(activations.sigmoid_derivative())
    equal = [m for m in mutants if m.outcome == "proven equal"]
    assert equal and {m.slip for m in equal} == {"sigma(-x)"}
    assert all(m.outcome == "rejected" for m in mutants if m.slip != "sigma(-x)")
    summary = M.Summary(mutants)
    assert "proven equal: (f.1) step 1, sigma(-x)" in str(summary)


@pytest.mark.slow   # compiles every mutant of (g.3) for the float64 judge: seconds
def test_the_tester_reports_the_holes_of_a_lax_checker(monkeypatch):
    # A checker that compares in float64 at a relative 1e-5 (a lax grader) cannot see a relative
    # error of 1e-6 or 1e-11: the tester must list those mutants as survivors, and only those.
    def lax(self, k, value):
        for other in M._neighbours(self.d, k):
            if M.shape_comparison(value, other) is not None:
                return True
            sampler = self._sampler(value)
            if not M.numeric_comparison(sampler.evaluate(value), sampler.evaluate(other), sampler, rtol=1e-5).equal:
                return True
        return False
    monkeypatch.setattr(M._Judge, "rejects", lax)
    mutants = M.mutate(neg_sampling.grad_u_o(), world_slips=False)
    survivors = {m.slip for m in mutants if m.outcome == "survived"}
    assert survivors == {"1e-6", "1e-11"}
    assert "SURVIVED: (g.3) step 1, 1e-6" in str(M.Summary(mutants))


def test_slips_of_the_expression_do_what_they_say():
    x = sp.Symbol("x", real=True)
    sigma = 1 / (1 + sp.exp(-x))
    ctx = M.Context()
    apply = {s.name: s.apply for s in M.EXPRESSION_SLIPS}
    assert apply["sign"](sigma, ctx) == -sigma
    assert apply["sigma(-x)"](sigma, ctx) == 1 / (1 + sp.exp(x))
    assert sp.simplify(apply["1-sigma"](1 - sigma, ctx) - sigma) == 0
    assert apply["1e-6"](x, ctx) == x * (1 + sp.Rational(1, 10**6))
    assert apply["factor"](2 * x * sigma, ctx) in (2 * x, 2 * sigma)
    assert len(M.EXPRESSION_SLIPS) >= 10


@pytest.mark.slow   # every slip on every step of every derivation in every world: about a minute
def test_every_mutant_of_every_derivation_is_rejected_or_proven_equal():
    summary = M.run()
    assert summary.count("survived") == 0, str(summary)
    kinds = {k.split(" n")[0] for k in summary.kinds()}
    assert KINDS <= kinds, KINDS - kinds
    assert summary.count("rejected") >= 500
    # What two worlds buy: some slips change the mathematics in one world only.
    assert any(len(m.worlds_rejecting) == 1 and m.label[0] not in "ef" for m in summary.mutants)


# ---------------------------------------------------------------------------- typed final answers

def final_answers():
    """One right final answer per written part: the first the answer table expects to be correct."""
    from tests.answer_table import TABLE
    out = {}
    for part, latex, kind, *_ in TABLE:
        if kind == "correct":
            out.setdefault(part, latex)
    return out


def same_formula(part, a, b):
    """Whether answers ``a`` and ``b`` to ``part`` read as provably equal values (symbolically) in every case."""
    from derivations.coursework.answers import judging
    from derivations.coursework.answers.latex import parse
    from derivations.coursework.answers.notation import read_with
    from derivations.symbolic.equality import as_sympy, prove_equal
    ref = judging.REFERENCES[part]
    trees = {t: parse(t) for t in (a, b)}
    for case in judging.cases(part):
        values = []
        for text, tree in trees.items():
            world = judging._fresh(case.world)
            world.aliases.update(judging._aliases(ref, tree, text))
            reading, _, _ = read_with(text, world, tree)
            if reading.value is None:
                return False
            values.append(as_sympy("value", judging._zero(reading.value, case.reference)))
        if not prove_equal(*values):
            return False
    return True


@pytest.mark.slow   # about a hundred mutants, each judged in every world: tens of seconds
def test_every_mutant_of_every_final_answer_is_rejected_and_known_slips_are_named():
    """The slips of the catalogue made in each part's typed answer, judged as a student's answer is."""
    from derivations.coursework.answers import REFERENCES, judge
    answers = final_answers()
    assert set(answers) == set(REFERENCES)
    summary = M.run_answers(answers, judge, same_formula)
    assert summary.count("survived") == 0, str(summary)
    assert summary.count("rejected") >= 80, str(summary)
    kinds = {m.slip for m in summary.mutants if m.outcome == "rejected"}
    assert {"sign", "term sign", "transpose", "sigma(-x)", "1-sigma", "u<->v", "o<->w", "factor", "1e-6",
            "term dropped", "j=0", "count"} <= kinds, kinds
    unnamed = [str(m) for m in summary.mutants if m.detail == "slip not named"]
    assert not unnamed, "\n".join(unnamed)


def test_slips_of_a_typed_answer_do_what_they_say():
    apply = {s.name: s.apply for s in M.TEXT_SLIPS}
    assert apply["sigma(-x)"](r"\sigma(-u_o^\top v_c) v_c") == [r"\sigma(u_o^\top v_c) v_c"]
    assert apply["sigma(-x)"](r"\sigma(x)") == [r"\sigma(-(x))"]
    assert apply["1-sigma"](r"(1 - \sigma(x)) v_c") == [r"(\sigma(x)) v_c"]
    assert apply["transpose dropped"](r"v_c(\hat{y} - y)^\top") == [r"v_c(\hat{y} - y)"]
    assert apply["term sign"](r"a + (b - c) - d") == [r"a - (b - c) - d", r"a + (b - c) + d"]
    assert apply["j=0"](r"\sum_{j=-m, j \ne 0}^{m} x") == [r"\sum_{j=-m}^{m} x"]
    assert apply["count"](r"\sum_{k=1}^{K} \mathbb{1}[w_k = w_s] x") == ["1 x", "K x", "(K-1) x"]
    assert apply["factor"](r"\sigma(x)(1 - \sigma(x))") == [r"(1 - \sigma(x))"]
    assert apply["u<->v"](r"u_o^\top v_c") == [r"v_c^\top v_c", r"u_o^\top u_o"]
