r"""Display = checked: every formula the book shows as derived is read back and compared.

A :class:`~derivations.symbolic.engine.Step` holds the LaTeX the reader sees and the
SymPy value the engine checks. Nothing in the engine ties the two together, so this
module does: it reads each step's LaTeX with the book's own reader of written answers
(:func:`derivations.coursework.answers.notation.read`: its tokenizer, parser and builder,
never ``eval``/``sympify``), in every world the derivation was checked in, and compares
the value it reads with the step's SymPy value (:func:`derivations.symbolic.equality.compare_values`).
A display that reads as something else is a :class:`Finding` with status ``differs``,
and the build fails naming the chapter, the derivation, the step and the formula.

Every other equality on every page of the book (a display ``$$ ... $$`` or an inline
``$a = b$``, in a chapter's markdown or a ``.md`` page) is one of three things:

* a **claim**, read the same way: every member the reader can read must equal the
  others, in every world of the page's derivations (a derivative, ``\hat y =
  \operatorname{softmax}(U^\top v_c)``, ``U\hat y = \sum_w \hat y_w u_w``); fewer than two
  readable members, or a page without worlds, fails the build;
* **context**, marked in the source and labelled on the page (``_static/custom.css``):
  a display as a ``{math}`` directive with ``:class: w2v-definition`` or
  ``:class: w2v-not-this`` (or ``w2v-case``), an inline formula as ``<span class="w2v-definition">$...$</span>``
  (``w2v-not-this``, ``w2v-case``): the handout's definitions in words the reader has no value
  for (``\hat y = P(O = \cdot \mid C = c)``), a deliberately wrong formula, an equality that
  holds only in the case the text supposes (``U\hat y = 0 = u_o`` for one example's vectors);
* a **setting**: every member is a bare name or a literal (``K = 3``, ``x = 0``,
  ``(w_1, w_2, w_3) = (2, 1, 2)``, ``\hat y = y``). It chooses a value or names a case and
  states no derived result (there is no operation in it to get wrong), so it is listed,
  not read.

:func:`mutate_prose` is the checker's mutation test over the prose: the catalogue's slips
(:data:`derivations.symbolic.mutations.TEXT_SLIPS`) made in each member of each claim must
each fail the build or be proven equal (``tests/test_display.py``, ``make bench``).

A formula the reader cannot read yet is a finding with status ``unread`` (its
notation is listed): it is checked only as a SymPy value, and ``tests/test_display.py``
keeps the list from growing. This module lives in ``book/_ext`` because it imports both
:mod:`derivations.symbolic` and :mod:`derivations.coursework` (the package may not:
the answer reader imports the engine).
"""
import functools
import hashlib
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

import sympy as sp

ROOT = Path(__file__).resolve().parents[2]
# Which loss a derivation's symbols belong to, by the letter of its label.
CONTEXT = {"a": "naive", "b": "naive", "c": "naive", "d": "naive", "e": "scalar", "f": "scalar",
           "g": "neg", "h": "neg", "i": "skipgram", "L": "scores"}
KINDS = {"w": "word", "s": "position", "j": "offset"}
CONTEXT_CLASSES = ("w2v-definition", "w2v-not-this", "w2v-case")
# Displayed formulas the reader cannot read yet, by a hash of their exact LaTeX (the LaTeX itself is
# solution text, which must not leave the solution blocks): each is checked only as the SymPy value
# its step holds. Any other unreadable formula fails the build (an edit that makes a formula
# unreadable is caught like one that changes its value). Regenerate with
# `python book/_ext/w2v_display.py --list` when the reader learns a notation; the list may only shrink
# (it is empty: every displayed formula is read, and tests/test_display.py keeps it so).
NOT_YET_READ = frozenset()

# The pages whose prose is read: every page of the book. Their worlds: those of the derivations
# whose letters are given (a page may use two contexts, e.g. the explorers: naive softmax and
# negative sampling). A page without letters has no worlds: only context and settings may appear on it.
PAGE_LETTERS = {"notation": "a", "a_cross_entropy": "a", "b_grad_v_c": "b", "c_d_grad_U": "c",
                "e_f_activations": "f", "g_negative_sampling": "g", "h_repeated_negatives": "h",
                "i_skipgram": "i", "explorers": "bgf", "instructors": "f"}

CHAPTER_OF = {"a": "a_cross_entropy", "b": "b_grad_v_c", "L": "b_grad_v_c", "c": "c_d_grad_U", "d": "c_d_grad_U",
              "e": "e_f_activations", "f": "e_f_activations", "g": "g_negative_sampling",
              "h": "h_repeated_negatives", "i": "i_skipgram"}


@dataclass
class Finding:
    """What reading one displayed formula back found."""
    where: str          # "(b.1) step 3 in world B" or "b_grad_v_c.ipynb, cell 4"
    latex: str
    status: str         # "equal", "differs", "unread" (on NOT_YET_READ) or "unlisted" (unreadable, not on it)
    detail: str = ""

    def __str__(self):
        return f"{self.where}: {self.status}{': ' + self.detail if self.detail else ''}\n    {self.latex}"


# ----------------------------------------------------------------------------- worlds

def key(latex):
    """The name of a displayed formula on :data:`NOT_YET_READ`."""
    return hashlib.sha256(latex.encode("utf-8")).hexdigest()[:16]


def _free_columns(A, name):
    """A matrix of fresh real symbols shaped like ``A``: what a derivative with respect to ``A`` varies."""
    return sp.Matrix(*A.shape, lambda i, k: sp.Symbol(f"{name}[{i},{k}]", real=True))


def _scores_stand_in(soft):
    """theta = U^T v_c as the chapter's stand-in: (free scores, their value, eq. (a.1) in the free scores)."""
    theta = _free_columns(soft.U.T * soft.v_c, "theta")
    exp_theta = theta.applyfunc(sp.exp)
    return theta, soft.U.T * soft.v_c, -sp.log(exp_theta[soft.o] / sum(exp_theta))


def reader_world(d):
    r"""The reader's :class:`~derivations.coursework.answers.notation.World` for one instance of a derivation.

    Besides the handout's symbols it binds those the chapters define: ``z`` (a free scalar, (f)),
    ``theta`` (the scores ``U^T v_c``; free in the lemma (L)), ``x_k`` (column k of the stacked
    ``U_{o,\{w_1,\dots,w_K\}}``, eq. (g.6)), ``P`` (the selection matrix of eq. (h.2)), and the
    named losses ``J_{\text{naive-softmax}}`` and ``J_{\text{neg-sample}}``.
    """
    from derivations.coursework.answers.notation import World
    from derivations.symbolic.parts import activations, skipgram
    from derivations.symbolic.symbols import SIZES, naive_softmax_symbols, neg_sampling_symbols, sigmoid
    context = CONTEXT[d.label[0]]
    sizes = d.sizes or SIZES
    soft = naive_softmax_symbols(sizes)
    if context == "scalar":
        return World(soft.v_c, soft.U, soft.o, (), soft.y_hat, soft.y, activations.x, context="scalar",
                     alpha=activations.alpha, symbols={"z": sp.Symbol("z", real=True)})
    if context == "scores":
        from derivations.symbolic.parts.naive_softmax import scores_symbols
        L = scores_symbols(sizes)
        return World(soft.v_c, soft.U, soft.o, (), L.y_hat, L.y, activations.x, context="naive", J=L.J,
                     symbols={"theta": L.theta})
    if context == "neg":
        from derivations.symbolic.parts.neg_sampling import selection
        N = neg_sampling_symbols(sizes)
        X = _free_columns(N.U_ow, "x")
        stacked = -sum(sp.log(sigmoid((X[:, k].T * N.v_c)[0, 0])) for k in range(X.shape[1]))   # eq. (g.1)
        return World(N.v_c, N.U, N.o, tuple(N.negatives), soft.y_hat, soft.y, activations.x, context="neg", J=N.J,
                     symbols={"x": N.U_ow, "P": selection(N)}, free={"U_ow": (X, N.U_ow, stacked)},
                     losses={"naive-softmax": soft.J, "neg-sample": N.J})
    if context == "skipgram":
        W = skipgram.skipgram_symbols(sizes=sizes)
        js = [j for j in range(-sizes.m, sizes.m + 1) if j != 0]
        window = {0: sizes.c, **dict(zip(js, sizes.window))}
        parts = dict(zip(js, W.parts))
        return World(W.v_c, W.U, sizes.o, (), W.y_hat, soft.y, activations.x, context="skipgram", c=sizes.c,
                     window=window, loss_at=lambda j: parts[j].J, V_centre=W.V, J=W.J)
    theta = _scores_stand_in(soft)
    return World(soft.v_c, soft.U, soft.o, tuple(sizes.negatives), soft.y_hat, soft.y, activations.x,
                 context="naive", J=soft.J, symbols={"theta": theta[1]}, free={"theta": theta})


def read_value(latex, world, index=None):
    """The SymPy value of ``latex`` in ``world`` (columns side by side for a free ``index``), or an error string."""
    from derivations.coursework.answers.notation import read
    if index is None:
        got = read(latex, world)
        return got.value if got.value is not None else (got.error or "unreadable")
    name, values = index
    columns = []
    for v in values:
        got = read(latex, replace(world, indices={name: v}, kinds={name: KINDS.get(name, "word")}))
        if got.value is None:
            return got.error or "unreadable"
        columns.append(got.value)
    if len(columns) == 1:
        return columns[0]
    if all(c == 0 for c in columns):
        return sp.Integer(0)          # "0" for every value of the index: the zero matrix
    if any(not isinstance(c, sp.MatrixBase) for c in columns):
        return "a free index whose values are not columns"
    return sp.Matrix.hstack(*columns)


def same(value, expr):
    """``(equal, detail)``: is the value read the step's SymPy value? (``0`` stands for a zero matrix.)"""
    from derivations.symbolic.equality import compare_values
    if value == 0 and isinstance(expr, sp.MatrixBase) and expr.is_zero_matrix:
        return True, ""
    from derivations.symbolic.engine import shrink
    comparison = compare_values(value, expr)
    if comparison.equal:
        return True, ""
    cex = comparison.counterexample
    if cex is not None and cex.point is not None:
        cex = shrink(value, expr, cex)          # the fewest non-zero numbers that still show it
    return False, str(cex)


# ------------------------------------------------------------------------ derivations

def derivations():
    """Every derivation of the book, by label (built once per process)."""
    from derivations.symbolic.parts import all_derivations
    return all_derivations()


def read_back(derivation):
    """A :class:`Finding` for every displayed step of ``derivation`` in every world it is checked in."""
    findings = []
    for d in derivation.instances():
        world = reader_world(d)
        name = d.sizes.name if d.sizes is not None and d.sizes.name else "its world"
        for i, step in enumerate(d.steps, start=1):
            where = f"{CHAPTER_OF[d.label[0]]}.ipynb, ({d.label}) step {i} in {name}"
            value = read_value(step.latex, world, d.index)
            if isinstance(value, str):
                status = "unread" if key(step.latex) in NOT_YET_READ else "unlisted"
                findings.append(Finding(where, step.latex, status, value.splitlines()[0]))
                continue
            equal, detail = same(value, step.expr)
            findings.append(Finding(where, step.latex, "equal" if equal else "differs",
                                    "" if equal else "the display reads as a different value: " + detail))
    return findings


def read_reasons(derivation):
    r"""Findings for the equalities a derivation's steps give as their reasons (the "why" beside
    each step): one that reads must read equal, in every world the derivation is checked in. A
    general rule on letters no world binds (``\log \exp(t) = t``, ``(d \times 1)(1 \times |V|) =
    d \times |V|``) is a finding with status ``rule``: listed, not read."""
    worlds = [(x.sizes.name if x.sizes is not None and x.sizes.name else "its world", reader_world(x))
              for x in derivation.instances()]
    findings = []
    for i, step in enumerate(derivation.steps, start=1):
        where = f"{CHAPTER_OF[derivation.label[0]]}.ipynb, ({derivation.label}) reason of step {i}"
        for kind, math in prose_equalities(step.why):
            if kind == "claim":
                findings += [replace(f, status="rule", detail="letters no world binds: listed, not read")
                             if f.status == "unlisted" else f
                             for f in check_equality(math, worlds, where)]
    return findings


# ---------------------------------------------------------------------------- prose

DISPLAY = re.compile(r"\$\$(.+?)\$\$|^[`:]{3,}\s*\{math\}[^\n]*\n(.+?)^[`:]{3,}", re.S | re.M)
# Inline math may run over one line break (a paragraph's lines), never over a blank line.
INLINE = re.compile(r"(?<![$\\])\$((?:[^$\n]|\n(?![ \t]*\n))+?)\$(?!\$)")
# Inline context: the formula wrapped in a span of a context class (Jupyter shows the math too).
MARKED = re.compile(r'<span class="(' + "|".join(CONTEXT_CLASSES) + r')">\s*\$([^$]+?)\$\s*</span>')
CODE = re.compile(r"`[^`\n]*`")
OPTION = re.compile(r"^:(\w+):\s*(.*)$", re.M)
# A setting's members: bare names (a letter or a command, one subscript level, a hat) and literals.
_NAME = (r"-?(?:\\hat\s*)?(?:[A-Za-z]|\\[A-Za-z]+|\{[A-Za-z]\})(?:_(?:[A-Za-z0-9]|\{[A-Za-z0-9_{}]+\}))?"
         r"|\\lvert\s*V\s*\\rvert|\|V\|")
_LITERAL = r"-?\d+(?:\.\d+)?(?:/\d+)?|10\^\{-?\d+\}"
_ITEM = re.compile(rf"(?:{_NAME}|{_LITERAL})")
# A member the reader may leave unread in a claim: a bare name, such as the loss ``J`` (the reader of
# written answers asks for the formula, not its name). Any other unreadable member fails the build.
_BARE = re.compile(r"(?:\\hat\s*)?(?:[A-Za-z]|\\[A-Za-z]+)(?:_(?:[A-Za-z0-9]|\{[A-Za-z0-9_{}]+\}))?")
_SPACING = re.compile(r"\\[,;:!]|\\ ")


def _members(math):
    """``=``-separated members outside braces and parentheses (``\\neq``, ``\\le`` and ``:=`` are not
    ``=``; nor is the ``=`` of ``P(O = o \\mid C = c)``)."""
    out, depth, current = [], 0, ""
    for i, ch in enumerate(math):
        depth += ch in "{("
        depth -= ch in "})"
        if ch == "=" and depth == 0 and not math[:i].endswith((":", "<", ">", "!", "\\")):
            out.append(current.strip())
            current = ""
        else:
            current += ch
    out.append(current.strip())
    return [m.rstrip(".,; ").strip() for m in out]


def is_setting(math):
    """Is every member of the equality a bare name, a literal, or a list of them (``K = 3``,
    ``w_1 = w_3 = 1``, ``(w_1, w_2) = (2, 1)``)? Then it chooses values and states no result."""
    for member in _members(math):
        member = _SPACING.sub("", member).strip()
        if member.startswith("(") and member.endswith(")"):
            member = member[1:-1]
        if not member or not all(_ITEM.fullmatch(item.strip()) for item in member.split(",")):
            return False
    return True


def prose_equalities(markdown):
    """``(kind, math)`` for each equality a page's markdown states, displayed or inline. ``kind`` is
    ``context`` (marked as a definition or a wrong formula), ``setting`` (:func:`is_setting`) or
    ``claim`` (read and compared by :func:`check_equality`)."""
    found = []
    for m in DISPLAY.finditer(markdown):
        body = m.group(1) or m.group(2)
        options = dict(OPTION.findall(body))
        body = OPTION.sub("", body).strip()
        if len(_members(body)) >= 2:
            marked = any(c in options.get("class", "") for c in CONTEXT_CLASSES)
            found.append(("context" if marked else "setting" if is_setting(body) else "claim", body))
    rest = CODE.sub("", DISPLAY.sub("", markdown))
    found += [("context", m.group(2)) for m in MARKED.finditer(rest) if len(_members(m.group(2))) >= 2]
    for m in INLINE.finditer(MARKED.sub("", rest)):
        math = " ".join(m.group(1).split())
        if len(_members(math)) >= 2:
            found.append(("setting" if is_setting(math) else "claim", math))
    return found


_READ = {}


def read_member(member, world):
    r"""The value of one member of an equality in ``world`` (columns for a free word index, as in
    ``u_w`` or ``\hat y_x``), or an error string. Remembered per world (of :func:`_worlds_of`, built once): a
    derivative such as ``\frac{\partial J}{\partial v_c}`` is differentiated once, not per claim."""
    key = (member, id(world))
    if key not in _READ:
        value = read_value(member, world)
        free = re.search(r"index '(\w)' is not bound", value) if isinstance(value, str) else None
        if free and KINDS.get(free.group(1), "word") == "word":      # a free word index: u_w, \hat y_x
            value = read_value(member, world, (free.group(1), tuple(range(world.V))))
        _READ[key] = (world, value)         # the world is kept alive, so its id stays its own
    return _READ[key][1]


def _read_in(worlds, members):
    """Per world: ``(name, [(member, value)], [unreadable members that are not bare names])``."""
    out = []
    for world_name, world in worlds:
        values, unread = [], []
        for member in members:
            value = read_member(member, world)
            if not isinstance(value, str):
                values.append((member, value))
            elif not _BARE.fullmatch(member.strip()):
                unread.append(member)
        out.append((world_name, values, unread))
    return out


def check_equality(math, worlds, where):
    """Read every member of ``math`` in each of ``worlds``; readable members must all be equal,
    and at least two must be readable (else the claim is ``unlisted``: nothing was checked)."""
    findings = []
    members = _members(math)
    if not all(members):
        return [Finding(where, math, "unlisted", "an equality with an empty side (write the whole equality,"
                                                 " or mark it as context)")]
    if not worlds:
        return [Finding(where, math, "unlisted", "a claim on a page without the derivations' worlds: "
                                                 "mark it as context (w2v-definition) if it is not a result")]
    for world_name, values, unread in _read_in(worlds, members):
        if unread and len(values) >= 2:
            findings.append(Finding(f"{where} in {world_name}", math, "unlisted",
                                    f"{unread[0]} cannot be read (only a bare name, such as J, may be left unread)"))
            continue
        if len(values) < 2:
            status = "unread" if key(math) in NOT_YET_READ else "unlisted"
            findings.append(Finding(f"{where} in {world_name}", math, status,
                                    f"{len(members) - len(values)} of {len(members)} members unreadable "
                                    "(mark it as context if it is a definition the reader has no value for)"))
            continue
        first_tex, first = values[0]
        for tex, value in values[1:]:
            equal, detail = same(value, first) if not (value == 0 and first == 0) else (True, "")
            if not equal:
                findings.append(Finding(f"{where} in {world_name}", math, "differs",
                                        f"{tex} is not {first_tex}: {detail}"))
                break
        else:
            findings.append(Finding(f"{where} in {world_name}", math, "equal"))
    return findings


def check_claim(math, groups, where):
    """:func:`check_equality` in each group of worlds (a page's contexts): a claim holds if it is read
    and equal in every world of one group; otherwise the findings of the first group that read it."""
    if not groups:
        return check_equality(math, [], where)
    tried = [check_equality(math, worlds, where) for worlds in groups]
    for findings in tried:
        if {f.status for f in findings} == {"equal"}:
            return findings
    return next((f for f in tried if any(x.status == "differs" for x in f)), tried[0])


@functools.cache
def _worlds_of(letter):
    d = next(d for label, d in derivations().items() if label.startswith(letter))
    return [(x.sizes.name if x.sizes is not None and x.sizes.name else "its world", reader_world(x))
            for x in d.instances()]


def page_world_groups(page):
    """The groups of the reader's worlds a page's prose is read in: one per derivation context of
    :data:`PAGE_LETTERS` (none for a page that has no derivations)."""
    return [_worlds_of(letter) for letter in PAGE_LETTERS.get(page, "")]


def chapter_worlds(chapter):
    """The worlds of a chapter's own derivations (its first context)."""
    groups = page_world_groups(chapter)
    return groups[0] if groups else []


def _markdown_cells(path):
    import nbformat
    if path.suffix == ".md":
        return [(None, path.read_text(encoding="utf-8"))]
    return [(n, c.source) for n, c in enumerate(nbformat.read(path, as_version=4).cells)
            if c.cell_type == "markdown"]


def check_chapter(path):
    """Findings for every claim stated in the markdown of the page at ``path`` (a notebook or ``.md``)."""
    path = Path(path)
    groups = page_world_groups(path.stem)
    findings = []
    for n, source in _markdown_cells(path):
        where = path.name if n is None else f"{path.name}, cell {n}"
        for kind, math in prose_equalities(source):
            if kind == "claim":
                findings += check_claim(math, groups, where)
    return findings


def pages():
    """Every page of the book: its chapters and its ``.md`` pages."""
    return sorted(p for p in (ROOT / "book").iterdir() if p.suffix in (".ipynb", ".md"))


def prose_inventory():
    """``(page, kind, math)`` for every equality on every page: what is read, marked or a setting."""
    return [(p.name, kind, math) for p in pages() for _, source in _markdown_cells(p)
            for kind, math in prose_equalities(source)]


def _quick_differs(member, text, groups, points=3, rtol=1e-9):
    """Does ``text`` read, in a world of ``groups`` where ``member`` reads, as a value of another
    shape or one that differs from ``member``'s at one of a few random points (float64, far beyond
    its rounding)? Then the build would reject it; like the engine's mutation judge, this decides
    a mutant without the symbolic attempt a full comparison makes first."""
    import numpy as np
    from derivations.symbolic.equality import compile_entries, shape_comparison
    rng = np.random.default_rng(0)
    for worlds in groups:
        pairs = [(read_member(member, w), read_member(text, w)) for _, w in worlds]
        if any(isinstance(a, str) or isinstance(b, str) for a, b in pairs):
            continue
        for a, b in pairs:
            if shape_comparison(a, b) is not None:
                return True
            entries = lambda x: list(x) if isinstance(x, sp.MatrixBase) else [x]
            symbols = sorted(set().union(*(e.free_symbols for e in entries(a) + entries(b))), key=lambda x: x.name)
            f = compile_entries(symbols, [entries(a), entries(b)], "numpy")
            for _ in range(points):
                with np.errstate(all="ignore"):
                    try:
                        va, vb = (np.asarray(v, dtype=float) for v in f(*rng.uniform(-3, 3, len(symbols))))
                    except (ZeroDivisionError, ValueError, TypeError, OverflowError):
                        continue
                if np.isfinite(va).all() and np.isfinite(vb).all() and (
                        np.abs(va - vb).max() > rtol * max(1.0, np.abs(va).max(), np.abs(vb).max())):
                    return True
    return False


def mutate_prose(slips=None, claims=None):
    """The checker's mutation test over the prose: every slip of the catalogue
    (:data:`derivations.symbolic.mutations.TEXT_SLIPS`) made in each member of each claim of
    :func:`prose_inventory`, one at a time, and judged by :func:`check_claim` as the build judges it.

    Outcomes (a :class:`~derivations.symbolic.mutations.Summary`): ``rejected`` (the mutant reads
    as a different value: the build fails), ``unreadable`` (the slip made text the reader cannot
    read: the build fails too, listed apart), ``proven equal`` (the mutated member is symbolically
    the member it replaced in every world) or ``survived``. ``claims`` limits the run to
    ``[(page, math)]``.
    """
    import time
    from derivations.symbolic import mutations as M
    from derivations.symbolic.equality import as_sympy, prove_equal
    start, out = time.perf_counter(), M.Summary()
    todo = claims if claims is not None else [(page, math) for page, kind, math in prose_inventory()
                                              if kind == "claim"]
    for page, math in todo:
        groups = page_world_groups(Path(page).stem)
        members = _members(math)
        # The worlds the claim holds in (a page may have several contexts): the quick test uses those only.
        own = next((g for g in groups if {f.status for f in check_claim(math, [g], page)} == {"equal"}), [])
        for i, member in enumerate(members):
            seen = {member}
            for slip in slips or M.TEXT_SLIPS:
                for text in slip.apply(member):
                    if text in seen:
                        continue
                    seen.add(text)
                    mutant = " = ".join(members[:i] + [text] + members[i + 1:])
                    m = M.Mutant(page, 0, slip.name, place=f"member {i + 1} of {math}")
                    m.worlds_rejecting = (mutant,)
                    if _quick_differs(member, text, [own]):
                        m.outcome = "rejected"
                        out.mutants.append(m)
                        continue
                    statuses = {f.status for f in check_claim(mutant, groups, page)}
                    if "differs" in statuses:
                        m.outcome = "rejected"
                    elif statuses != {"equal"}:
                        m.outcome = "unreadable"
                    else:
                        pairs = [(read_member(member, w), read_member(text, w)) for _, w in own]
                        m.outcome = "proven equal" if pairs and all(
                            not isinstance(a, str) and not isinstance(b, str)
                            and prove_equal(as_sympy("value", a), as_sympy("value", b)) for a, b in pairs) else "survived"
                    out.mutants.append(m)
    out.seconds = time.perf_counter() - start
    return out


# ------------------------------------------------------------------------------ all

def check_book():
    """Every finding of every derivation and of every page's prose."""
    findings = []
    for d in derivations().values():
        findings += read_back(d) + read_reasons(d)
    for path in pages():
        findings += check_chapter(path)
    return findings


def failures(findings):
    """The findings that fail the build: a formula that reads as another value, or one that
    cannot be read and is not on :data:`NOT_YET_READ` (an edit made it unreadable)."""
    return [f for f in findings if f.status in ("differs", "unlisted")]


class DisplayMismatch(AssertionError):
    """A displayed formula says something else than what was checked (or cannot be read)."""


def raise_on_failures(findings):
    """Raise :class:`DisplayMismatch` naming each chapter, derivation step and formula that fails."""
    bad = failures(findings)
    if bad:
        raise DisplayMismatch(f"{len(bad)} displayed formula(s) do not say what was checked:\n"
                              + "\n".join(str(f) for f in bad))


def _fingerprint():
    """Hash of everything the check reads: the parts, the reader, the equality, the chapters' markdown."""
    h = hashlib.sha256()
    sources = sorted((ROOT / "derivations" / "symbolic").rglob("*.py"))
    sources += sorted((ROOT / "derivations" / "coursework" / "answers").rglob("*.py"))
    sources += [ROOT / "derivations" / "coursework" / "verdicts.py", Path(__file__)]
    sources += pages()
    for p in sources:
        if p.exists():
            h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


def check_at_build(app):
    """Sphinx ``builder-inited``: fail the build on a displayed formula that reads as something else.

    Runs once per change of its inputs (a stamp in the build directory), so an
    unchanged rebuild costs nothing.
    """
    from sphinx.errors import ExtensionError
    if "student edition" in str(app.config.project) + str(getattr(app.config, "html_title", "")):
        return      # the student edition's parts have no solutions to read back
    import sys
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    stamp = Path(app.outdir).parent / ".w2v-display-checked"
    key = _fingerprint()
    if stamp.exists() and stamp.read_text() == key:
        return
    findings = check_book()
    try:
        raise_on_failures(findings)
    except DisplayMismatch as error:
        raise ExtensionError(str(error)) from None
    counts = {s: sum(f.status == s for f in findings) for s in ("equal", "unread", "rule")}
    kinds = [kind for _, kind, _ in prose_inventory()]
    stamp.write_text(key)
    print(f"w2v_display: {counts['equal']} displayed formulas read back and equal; "
          f"{counts['unread']} not yet readable; {counts['rule']} general rules in the steps' reasons; "
          f"in the prose, {kinds.count('context')} marked as context and {kinds.count('setting')} settings")


def setup(app):
    app.connect("builder-inited", check_at_build)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":      # python book/_ext/w2v_display.py: the report
    import sys
    sys.path.insert(0, str(ROOT))
    result = check_book()
    for f in result:
        if f.status != "equal":
            print(f)
    print(json.dumps({s: sum(f.status == s for f in result) for s in ("equal", "differs", "unread", "unlisted", "rule")}))
    if "--prose" in sys.argv:       # what is not read, and why: context and settings, page by page
        for page, kind, math in prose_inventory():
            if kind != "claim":
                print(f"{page:30s} {kind:8s} {math}")
    if "--list" in sys.argv:
        print("NOT_YET_READ = frozenset({")
        seen = {}
        for f in result:
            if f.status in ("unread", "unlisted"):
                seen.setdefault(key(f.latex), f.where.split(" in ")[0])
        for k, where in sorted(seen.items(), key=lambda kv: kv[1]):
            print(f"    {k!r},  # {where}")
        print("})")
