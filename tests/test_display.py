"""The display reader (book/_ext/w2v_display.py) reads each notation the chapters display as what it means.

For every notation the reader learnt for the book's displays (a row of columns with an
ellipsis, ``\\max``, ``\\lim``, cases on a free ``x``, an entry ``(U^\\top v_c)_k``, a sum over
the stacked ``k = 0..K``, the columns ``x_k``, the selection matrix ``P``, a derivative with
respect to the stacked matrix or the scores ``theta``, the slash form ``\\partial J/\\partial U``,
a free ``z``): the step as displayed reads equal to the value the engine checked, and the
same LaTeX with one character (or one mark) changed does not.
"""
import re

import pytest

import w2v_display  # book/_ext, on the path through conftest.py

# (label, step, old, new): the step's LaTeX with ``old`` replaced by ``new`` once must not read equal.
EDITS = [
    ("d.1", 1, r"u_0}", r"u_1}"),                                   # the columns start one word late
    ("d.1", 2, r"(\hat y_o - 1)", r"(\hat y_o - 2)"),               # the entry between the ellipses
    ("d.1", 3, r"- y_{|V|-1}", r"+ y_{|V|-1}"),                     # a sign in the last column only
    ("e.1", 1, r"\max", r"\min"),
    ("e.1", 2, r"\alpha x & x < 0", r"x & x < 0"),
    ("e.1", 3, r"1 & x > 0", r"1 & x < 0"),
    ("e.3", 1, r"-\alpha h", r"\alpha h"),
    ("e.2", 1, r"}{h}", r"}{-h}"),
    ("g.1", 2, r"k=0", r"k=1"),                                     # the o-term dropped
    ("g.1", 2, r")_k", r")_0"),
    ("g.6", 1, r"x_0", r"x_1"),
    ("g.6", 1, r"1 - \sigma(x_K", r"1 + \sigma(x_K"),
    ("h.2", 1, r"P^\top", r"P"),
    ("h.2", 2, r"-v_c", r"v_c"),
    ("L", 4, r"\hat y - y", r"\hat y + y"),
    ("L", 1, r"-\frac{\partial \theta_o}", r"\frac{\partial \theta_o}"),
    ("b.2", 1, r"U \frac", r"-U \frac"),
    ("c.3", 1, r"\theta_w", r"\theta_o"),
    ("d.2", 1, r"v_c", r"u_o"),
]


def read(label, latex):
    """``(status, detail)`` per world of derivation ``label`` when its step shows ``latex``."""
    return [w2v_display.read_value(latex, w2v_display.reader_world(d), d.index) for d in
            w2v_display.derivations()[label].instances()]


def step(label, n):
    return w2v_display.derivations()[label].steps[n - 1]


@pytest.mark.slow   # builds every derivation in two worlds once (seconds), then reads steps back
@pytest.mark.parametrize("label, n, old, new", EDITS, ids=[f"{e[0]}({e[1]}) {e[2]}->{e[3]}" for e in EDITS])
def test_the_step_reads_equal_and_one_changed_mark_does_not(label, n, old, new):
    instances = w2v_display.derivations()[label].instances()
    latex = step(label, n).latex
    assert old in latex, latex
    for d in instances:
        world, expr = w2v_display.reader_world(d), d.steps[n - 1].expr
        value = w2v_display.read_value(latex, world, d.index)
        assert not isinstance(value, str), f"({label}) step {n} unreadable: {value}"
        assert w2v_display.same(value, expr)[0], f"({label}) step {n} reads as another value"
    edited = [w2v_display.read_value(latex.replace(old, new, 1), w2v_display.reader_world(d), d.index)
              for d in instances]
    # Unreadable after the edit also fails the build ("unlisted"); equal in every world would not.
    assert any(isinstance(v, str) or not w2v_display.same(v, d.steps[n - 1].expr)[0]
               for v, d in zip(edited, instances)), f"({label}) step {n}: {new!r} for {old!r} still reads equal"


# Equalities restated in a chapter's prose, with a one-mark edit that must make them differ.
PROSE = [
    ("e_f_activations", r"\frac{d}{dz}\log\sigma(z) = \sigma'(z)/\sigma(z) = 1 - \sigma(z)", "1 - ", "1 + "),
    ("e_f_activations", r"\frac{d}{dz}\log\sigma(z) = \sigma'(z)/\sigma(z)", r"\sigma'(z)/", r"\sigma(z)/"),
    ("g_negative_sampling", r"\partial J_{\text{naive-softmax}}/\partial U = v_c (\hat y - y)^\top", "- y", "+ y"),
    ("g_negative_sampling", r"\partial J_{\text{neg-sample}}/\partial u_o = -(1 - \sigma(u_o^\top v_c))\, v_c",
     "-(1", "(1"),
]


@pytest.mark.slow   # builds the chapter's derivations to find its worlds: seconds
@pytest.mark.parametrize("chapter, math, old, new", PROSE, ids=[p[1][:40] for p in PROSE])
def test_a_prose_equality_reads_equal_and_one_changed_mark_differs(chapter, math, old, new):
    worlds = w2v_display.chapter_worlds(chapter)
    assert {f.status for f in w2v_display.check_equality(math, worlds, chapter)} == {"equal"}
    wrong = w2v_display.check_equality(math.replace(old, new, 1), worlds, chapter)
    assert {f.status for f in wrong} == {"differs"}
    # The build names the smallest counterexample it finds: a handful of numbers, not every symbol.
    point = re.search(r"at \{(.*?)\}", wrong[0].detail)
    assert point and point.group(1).count("=") <= 6, wrong[0].detail


def test_every_displayed_formula_is_read_none_waits_on_the_list():
    """Every notation the chapters display is read: the allow-list of unread formulas is empty (it may only
    shrink, so nothing may be added to it again)."""
    assert w2v_display.NOT_YET_READ == frozenset()


# Scalar notations read in (e.1)'s world (x free, alpha = 1/(1 + beta)): each against (e.1)'s result, f'(x).
SCALAR = [
    (r"\begin{cases} 1 & x > 0 \\ \alpha & \text{otherwise} \end{cases}", True),
    (r"\begin{cases} 1 & x < 0 \\ \alpha & \text{otherwise} \end{cases}", False),
    (r"\alpha + (1 - \alpha)\,[x > 0]", True),
    (r"\alpha + (1 - \alpha)\,[x \geq 0]", True),          # differs at the single point x = 0 only
    (r"\alpha + (1 - \alpha)\,[x < 0]", False),
    (r"\frac{d}{dx}\max(\alpha x, x)", True),
    (r"\frac{d}{dx}\min(\alpha x, x)", False),
    (r"\begin{cases} \lim_{h \to 0^+} \frac{\max(\alpha h, h)}{h} & x > 0 \\ "
     r"\lim_{h \to 0^-} \frac{\max(\alpha h, h)}{h} & x < 0 \end{cases}", True),
    (r"\begin{cases} \lim_{h \to 0^-} \frac{\max(\alpha h, h)}{h} & x > 0 \\ "
     r"\lim_{h \to 0^+} \frac{\max(\alpha h, h)}{h} & x < 0 \end{cases}", False),   # the sides swapped
]


@pytest.mark.slow   # builds the derivations once: seconds
@pytest.mark.parametrize("latex, equal", SCALAR, ids=[s[0][:40] for s in SCALAR])
def test_scalar_notations_read_as_what_they_mean(latex, equal):
    d = w2v_display.derivations()["e.1"]
    value = w2v_display.read_value(latex, w2v_display.reader_world(d))
    assert not isinstance(value, str), value
    assert w2v_display.same(value, d.steps[-1].expr)[0] is equal


def test_a_limit_the_reader_cannot_take_is_a_located_meaning_error():
    from derivations.coursework.answers.notation import read
    from derivations.coursework.answers.notation import World
    import sympy as sp
    x = sp.Symbol("x", real=True)
    world = World(sp.Matrix([x]), sp.eye(2), 0, (), sp.Matrix([0, 1]), sp.Matrix([1, 0]), x, context="scalar")
    for latex, words in [(r"\lim_{h \to 0} \frac{1}{h}", "not a number"),
                         (r"\lim_{h \to 0^+} " * 5 + "h", "more than 4 limits"),
                         (r"\lim_{h \to v_c} h", "must be a number")]:
        got = read(latex, world)
        assert got.value is None and words in got.error and got.position >= 0, (latex, got)


@pytest.mark.slow   # builds the derivations once: seconds
def test_a_stand_in_is_differentiated_only_in_its_own_loss():
    """dJ/dU_{o,{...}} is taken in the stacked loss whether J is named or not; the naive-softmax loss has no
    stacked form, so differentiating it there is an error, not a silent zero."""
    d = w2v_display.derivations()["h.2"].instances()[0]
    world, want = w2v_display.reader_world(d), d.steps[0].expr
    stacked = r"U_{o,\{w_1,\dots,w_K\}}}\,P^\top"
    for loss in ("J", r"J_{\text{neg-sample}}"):
        value = w2v_display.read_value(r"\frac{\partial " + loss + r"}{\partial " + stacked, world)
        assert not isinstance(value, str) and w2v_display.same(value, want)[0], loss
    value = w2v_display.read_value(r"\frac{\partial J_{\text{naive-softmax}}}{\partial " + stacked, world)
    assert isinstance(value, str) and "not written in terms of" in value


# -- prose: every equality on every page is a claim read back, context marked in the source, or a setting --

SETTINGS = [r"K = 3", r"x = 0", r"w_1 = w_3 = 1", r"(w_1, w_2, w_3) = (2, 1, 2)", r"w_1, w_2, w_3 = 1, 3, 1",
            r"\lvert V\rvert = 1000", r"\hat y = y", r"v_c = e_3", r"\sigma = 1/2", r"x = -t", r"c = w_t"]
NOT_SETTINGS = [r"u_x = \alpha u_y", r"x = ab", r"K + 1 = 6", r"\theta_w = u_w^\top v_c", r"y = e^{-x}",
                r"f(x) = 0", r"\hat y = \operatorname{softmax}(U^\top v_c)", r"= \hat y - y"]


@pytest.mark.parametrize("math", SETTINGS)
def test_a_setting_is_bare_names_and_literals(math):
    assert w2v_display.is_setting(math)


@pytest.mark.parametrize("math", NOT_SETTINGS)
def test_an_operation_makes_it_a_claim_not_a_setting(math):
    assert not w2v_display.is_setting(math)


def test_the_kinds_of_equality_a_page_states():
    markdown = ("So $\\hat y = P(O = \\cdot \\mid C = c)$ is a claim the reader cannot read, while\n"
                '<span class="w2v-definition">$J = -\\log \\hat y_o$</span> is marked, $K = 3$ a setting,\n'
                "$P(O = w \\mid C = c)$ no equality at all, `delta` holds no $\\hat y$, and a claim may run\n"
                "over a line break: $U\\hat y =\n\\sum_w \\hat y_w u_w$.\n\n"
                "```{math}\n:class: w2v-not-this\n\\frac{\\partial J}{\\partial v_c} = U \\hat y\n```\n\n"
                '<span class="w2v-case">$U\\hat y = 0 = u_o$</span>')
    assert w2v_display.prose_equalities(markdown) == [
        ("context", r"\frac{\partial J}{\partial v_c} = U \hat y"),
        ("context", r"J = -\log \hat y_o"),
        ("context", r"U\hat y = 0 = u_o"),
        ("claim", r"\hat y = P(O = \cdot \mid C = c)"),
        ("setting", "K = 3"),
        ("claim", r"U\hat y = \sum_w \hat y_w u_w"),
    ]


def _page(tmp_path, name, markdown):
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(markdown)]
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.slow   # builds the chapter's derivations to find its worlds: seconds
@pytest.mark.parametrize("markdown, statuses", [
    (r"The expected vector is $U\hat y = \sum_w \hat y_w u_w$.", {"equal"}),
    (r"The expected vector is $U\hat y = \sum_w y_w u_w$.", {"differs"}),             # one mark dropped
    (r"where $\hat y = \operatorname{softmax}(U^\top v_c)$.", {"unlisted"}),           # a definition, unmarked
    ('where <span class="w2v-definition">$\\hat y = \\operatorname{softmax}(U^\\top v_c)$</span>.', set()),
    (r"`delta` $= \hat y - y$", {"unlisted"}),                                          # half an equality
    (r"with $\eta = 0.1$", set()),                                                      # a setting
    (r"both: $J = -\log \hat y_o = -u_o^\top v_c + \log \sum_x \exp(u_x^\top v_c)$", {"equal"}),
    (r"both: $J = -\log \hat y_o = u_o^\top v_c + \log \sum_x \exp(u_x^\top v_c)$", {"differs"}),
    # Only a bare name (J) may stay unread: a signed one would hide a slip.
    (r"both: $-J = -\log \hat y_o = -u_o^\top v_c + \log \sum_x \exp(u_x^\top v_c)$", {"unlisted"}),
])
def test_a_claim_in_prose_is_read_and_anything_unread_must_be_marked(tmp_path, markdown, statuses):
    findings = w2v_display.check_chapter(_page(tmp_path, "b_grad_v_c", markdown))
    assert {f.status for f in findings} == statuses, findings


@pytest.mark.slow   # builds the derivations of each context once: seconds
def test_a_page_with_two_contexts_reads_a_claim_in_the_one_it_belongs_to(tmp_path):
    """The explorers page holds naive softmax, negative sampling and the sigmoid: each claim is read in its
    own context's worlds, and a wrong one still differs."""
    ok = (r"$\partial J/\partial v_c = U(\hat y - y)$ and $1 - \sigma(z) = \sigma(-z)$ and "
          r"$\partial J/\partial v_c = -\sigma(-u_o^\top v_c)\,u_o + \sum_{k=1}^{K} \sigma(u_{w_k}^\top v_c)\,u_{w_k}$")
    assert {f.status for f in w2v_display.check_chapter(_page(tmp_path, "explorers", ok))} == {"equal"}
    wrong = r"$1 - \sigma(z) = \sigma(z)$"
    assert "differs" in {f.status for f in w2v_display.check_chapter(_page(tmp_path, "explorers", wrong))}


def test_a_claim_on_a_page_without_worlds_fails_and_a_setting_does_not(tmp_path):
    assert {f.status for f in w2v_display.check_chapter(_page(tmp_path, "training", r"$K + 1 = 6$"))} == {"unlisted"}
    assert w2v_display.check_chapter(_page(tmp_path, "training", r"$K = 5$")) == []


def test_every_page_of_the_book_is_read():
    """The prose check covers every page of the book (each ``_toc.yml`` file), not a list of chapters."""
    import re
    toc = (w2v_display.ROOT / "_toc.yml").read_text()
    files = {f.split("/")[-1] for f in re.findall(r"^\s*(?:-\s*file|root):\s*(\S+)", toc, flags=re.M)}
    assert files and files <= {p.with_suffix("").name for p in w2v_display.pages()}


@pytest.mark.slow   # every slip in every member of every claim of the prose: about 250 mutants, 20-40 s
def test_every_mutant_of_every_claim_in_the_prose_is_rejected_or_proven_equal():
    """The mutation catalogue's slips, made in the book's prose claims: the build rejects each one
    that changes the mathematics (or cannot read it), and the rest are proven equal and listed."""
    summary = w2v_display.mutate_prose()
    assert summary.count("survived") == 0, str(summary)
    assert summary.count("rejected") >= 150, str(summary)
    kinds = {m.slip for m in summary.mutants if m.outcome == "rejected"}
    assert {"sign", "term sign", "transpose", "sigma(-x)", "u<->v", "o<->w", "factor", "1e-6", "term dropped"} <= kinds
    assert all(m.slip == "transpose" for m in summary.mutants if m.outcome == "proven equal"), str(summary)


@pytest.mark.slow   # a dozen full comparisons: seconds
def test_the_quick_rejection_agrees_with_the_build():
    """A mutant the quick numeric test rejects also fails the build's own check of the claim."""
    page, math = "b_grad_v_c.ipynb", r"\frac{\partial J}{\partial v_c} = -u_o + U\hat y"
    from derivations.symbolic import mutations as M
    groups = w2v_display.page_world_groups("b_grad_v_c")
    member = w2v_display._members(math)[1]
    mutants = [t for slip in M.TEXT_SLIPS for t in slip.apply(member)]
    quick = [t for t in mutants if w2v_display._quick_differs(member, t, groups)]
    assert len(quick) >= 4
    for text in quick:
        statuses = {f.status for f in w2v_display.check_claim(math.replace(member, text), groups, page)}
        assert statuses & {"differs", "unlisted"}, (text, statuses)


@pytest.mark.slow   # builds the derivations once: seconds
def test_a_reason_that_reads_must_read_equal_and_a_general_rule_is_listed():
    """The "why" beside a step is read too: ``U y = u_o`` is checked, ``\\log \\exp(t) = t`` is a rule on a
    letter no world binds (listed, not read), and the reason ``U \\hat y = \\sum_x y_x u_x`` reads as another value."""
    import copy
    from derivations.symbolic.engine import Step
    d = w2v_display.derivations()["b.1"]
    findings = w2v_display.read_reasons(d)
    assert {f.status for f in findings if "U y = u_o" in f.latex} == {"equal"}
    assert {f.status for f in findings if r"\log \exp(t) = t" in f.latex} == {"rule"}
    edited = copy.copy(d)
    edited.steps = [Step(s.latex, s.expr, s.why.replace(r"U \hat y = \sum_x \hat y_x u_x", r"U \hat y = \sum_x y_x u_x"))
                    for s in d.steps]
    wrong = [f for f in w2v_display.read_reasons(edited) if f.status == "differs"]
    assert wrong and all("reason of step 5" in f.where for f in wrong), wrong
