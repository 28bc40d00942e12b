"""Fuzzing the written-answer checker: any text gives a verdict, quickly, and runs nothing.

Properties, for random unicode, random LaTeX-token soup and hand-built
adversarial families (deep nesting, exponent towers, nested sums, Python
injection, odd unicode):

* :func:`judge` returns a :class:`Verdict` of a kind a typed answer can get, or
  raises only :class:`AnswerError`;
* each example finishes within the hypothesis deadline (bounded work);
* no string ever reaches ``sympy.sympify``/``parse_expr``, ``eval`` or ``exec``
  with the student's text, and nothing the text asks for happens.
"""
import builtins
import os
import sys

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derivations.coursework.answers import REFERENCES, AnswerError, Verdict, judge
from derivations.coursework.answers.latex import MAX_CHARS

# judge's kinds: a typed answer is read as written only (never "notation"), and "missing"
# and "error" come from the worker and check_answer, not from judge.
JUDGE_KINDS = {"correct", "transpose", "wrong", "syntax", "meaning", "undecided"}
SETTINGS = settings(max_examples=150, deadline=5000, derandomize=True,
                    # too_slow: each example is parsed, built and compared by SymPy; the deadline bounds that
                    suppress_health_check=[HealthCheck.too_slow])

PIECES = [r"\hat{y}", r"\hat y", "y", "U", "v_c", "u_o", "u_w", "u_{w_s}", "x", "(", ")", "{", "}", "[", "]",
          "^", "_", "^T", r"^\top", r"\sum_w", r"\sum_{s=1}^{K}", r"\sum_{w \in V}", r"\sigma", r"\exp",
          r"\log", r"\frac", r"\left(", r"\right)", r"\cdot", r"\times", "+", "-", "*", "/", "1", "2", "9",
          "0.5", "e", r"\text{vocab}", "'", "|", "=", r"\alpha", " ", r"\,", "\\", r"\mathbf{U}",
          "w", "s", "o", r"\neq", "^{-1}", "^{10}", "^{11}",
          r"\max(", r"\min", ",", r"\lim_{h \to 0^+}", r"\lim_{h \to 0}", "h", r"\cdots", r"\dots",
          r"\begin{bmatrix}", r"\end{bmatrix}", "&", r"\partial J/\partial U", r"\partial", "_k", "_{|V|-1}",
          r"\begin{cases}", r"\end{cases}", "x > 0", r"U_{o,\{w_1,\dots,w_K\}}"]

ADVERSARIAL = st.one_of(
    st.integers(1, 700).map(lambda n: "(" * n + "x" + ")" * n),
    st.integers(1, 700).map(lambda n: "{" * n + "x" + "}" * n),
    st.integers(1, 400).map(lambda n: "9^{" * n + "9" + "}" * n),
    st.integers(1, 300).map(lambda n: "x^{" * n + "x" + "}" * n),
    st.integers(1, 12).map(lambda n: r"\sum_w" * n + r" \exp(u_w^\top v_c) u_w"),
    st.integers(1, 50).map(lambda n: r"\exp(" * n + "x" + ")" * n),
    st.integers(1, 300).map(lambda n: "-" * n + "x"),
    st.integers(1, 3).map(lambda n: (r"(\sum_w \exp(u_w^T v_c) + x)^{10}" * n)),
    st.integers(1, 60).map(lambda n: r"\lim_{h \to 0^+} " * n + r"\frac{\exp(h) - 1}{h}"),
    st.integers(1, 60).map(lambda n: r"\begin{bmatrix} " + " & ".join([r"\lim_{h \to 0} \frac{\exp(1/h)}{h}"] * n)
                           + r" \end{bmatrix}"),
    st.integers(1, 8).map(lambda n: r"\sum_w" * n + r" \lim_{h \to 0^+} \frac{\sigma(h) - 1/2}{h}"),
    st.integers(1, 40).map(lambda n: r"\begin{bmatrix} u_0 & \cdots & " * n + "u_{|V|-1}" + r" \end{bmatrix}" * n),
    st.integers(1, 40).map(lambda n: r"\left[" * n + r"u_0 \cdots u_{|V|-1}" + r"\right]" * n),
    st.sampled_from([
        "__import__('os').system('touch PWNED')", "eval('1')", "exec", "os.system", "lambda: 0",
        "${x}$", "\\input{/etc/passwd}", "\\def\\x{x}", "\x00", "\u202e x", "𝑥 + 1", "ｘ", "x\u0301",
        "9^9^9^9", "10^{10^{10^{10}}}", "1" * 20, "9" * 15 + "^{10}", "(" * 2000, "\\" * 3,
        r"\frac{1}{0}", r"\log 0", r"\frac{x}{x - x}", "0^{-1}", r"\sigma(" * 30,
    ]),
)


PAYLOADS = ("PWNED", "system(", "__import__(", "/etc/passwd", "eval('1')")


class guarded_parsing:
    """While checking: fail if a string reaches sympify, or eval/exec gets one carrying a payload.

    (SymPy's lambdify, used by the equality engine, does exec code it printed
    from our own tree; that code can never contain a payload of the input.)
    """

    def __enter__(self):
        self.saved = sympy.sympify, builtins.eval, builtins.exec
        real_sympify, real_eval, real_exec = self.saved

        def guarded_sympify(a, *args, **kwargs):
            assert not isinstance(a, str), f"sympify called on a string: {a!r}"
            return real_sympify(a, *args, **kwargs)

        def guarded(real):
            def call(src, globals=None, locals=None, *args, **kwargs):
                if isinstance(src, str):
                    assert not any(p in src for p in PAYLOADS), src[:200]
                if globals is None:          # keep the caller's namespace, as the real builtin does
                    frame = sys._getframe(1)
                    globals, locals = frame.f_globals, frame.f_locals if locals is None else locals
                return real(src, globals, locals, *args, **kwargs)
            return call
        sympy.sympify, builtins.eval, builtins.exec = guarded_sympify, guarded(real_eval), guarded(real_exec)

    def __exit__(self, *exc):
        sympy.sympify, builtins.eval, builtins.exec = self.saved
        assert not os.path.exists("PWNED")


def _assert_ok(part, text):
    with guarded_parsing():
        try:
            r = judge(part, text, points=5)
        except AnswerError:
            return
    assert isinstance(r, Verdict) and r.kind in JUDGE_KINDS, r
    assert (r.kind == "wrong") == (r.counterexample is not None)
    assert (r.position >= 0) == (r.kind in ("syntax", "meaning")), r


@SETTINGS
@given(st.sampled_from(sorted(REFERENCES)), st.text(max_size=300))
def test_random_unicode(part, text):
    _assert_ok(part, text)


@SETTINGS
@given(st.sampled_from(sorted(REFERENCES)), st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_latex_token_soup(part, text):
    _assert_ok(part, text)


@pytest.mark.slow
@settings(max_examples=120, deadline=10000, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])     # adversarial inputs are slow on purpose; deadline bounds it
@given(st.sampled_from(["b", "d", "f", "g_vc"]), ADVERSARIAL)
def test_adversarial_families(part, text):
    _assert_ok(part, text)


SCALAR_LEAVES = st.sampled_from(["x", "1", "2", "0.5", r"\sigma(x)", r"u_o^\top v_c", r"\hat{y}_o", "y_o",
                                 r"\sum_w \exp(u_w^\top v_c)", r"e^{-x}"])
VALID = st.recursive(SCALAR_LEAVES, lambda inner: st.one_of(
    st.tuples(inner, inner).map(lambda t: f"{t[0]} + {t[1]}"),
    st.tuples(inner, inner).map(lambda t: f"({t[0]}) - ({t[1]})"),
    st.tuples(inner, inner).map(lambda t: f"({t[0]})({t[1]})"),
    st.tuples(inner, inner).map(lambda t: f"\\frac{{{t[0]}}}{{{t[1]}}}"),
    st.tuples(inner, st.integers(-3, 12)).map(lambda t: f"({t[0]})^{{{t[1]}}}"),
    inner.map(lambda a: f"\\exp({a})"), inner.map(lambda a: f"\\log({a})"),
    inner.map(lambda a: f"\\sigma({a})")), max_leaves=12)


@pytest.mark.slow
@settings(max_examples=40, deadline=10000, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])     # SymPy decides each formula; the deadline bounds it
@given(st.sampled_from(["a", "f"]), VALID)
def test_valid_formulas_get_a_decided_verdict(part, text):
    """Well-formed scalar formulas are parsed and decided: never a syntax error, never a crash."""
    with guarded_parsing():
        r = judge(part, text, points=5)
    assert r.kind in {"correct", "wrong", "meaning"}, str(r)
    if r.kind == "meaning":
        assert any(w in r.message for w in ("exponents are limited", "too large", "undefined")), str(r)


@pytest.mark.slow
@SETTINGS
@given(st.text(min_size=MAX_CHARS + 1, max_size=MAX_CHARS + 50))
def test_long_input_refused_at_once(text):
    r = judge("b", text)
    assert r.kind == "syntax" and "longer than" in r.message


def test_fuzz_guard_is_live():
    """The guard really fires (so the properties are not vacuous)."""
    with pytest.raises(AssertionError):
        with guarded_parsing():
            sympy.sympify("1+1")
    with pytest.raises(AssertionError):
        with guarded_parsing():
            eval("__import__('os')")
    assert judge("b", "__import__('os')").kind == "syntax"
