"""Display = checked: every formula the book shows as derived is read back and compared.

A :class:`~derivations.symbolic.engine.Step` holds the LaTeX the reader sees and the
SymPy value the engine checks. Nothing in the engine ties the two together, so this
module does: it reads each step's LaTeX with the book's own reader of written answers
(:func:`derivations.coursework.answers.notation.read`: its tokenizer, parser and builder,
never ``eval``/``sympify``), in every world the derivation was checked in, and compares
the value it reads with the step's SymPy value (:func:`derivations.symbolic.equality.compare_values`).
A display that reads as something else is a :class:`Finding` with status ``differs``,
and the build fails naming the chapter, the derivation, the step and the formula.

Results restated in a chapter's prose (a display ``$$ ... $$``, or an inline equality
whose left side is a derivative) are read the same way: every member of the equality
that the reader can read must equal the others (and the checked derivation's value,
when the chain is one of a derivation's).

Equations shown only as *context* (the handout's definitions, a deliberately wrong
formula with its counterexample) are written as a ``{math}`` directive with
``:class: w2v-definition`` or ``:class: w2v-not-this``; they are styled as such
(``_static/custom.css``) and not read.

A formula the reader cannot read yet is a finding with status ``unread`` (its
notation is listed): it is checked only as a SymPy value, and ``tests/test_display.py``
keeps the list from growing. This module lives in ``book/_ext`` because it imports both
:mod:`derivations.symbolic` and :mod:`derivations.coursework` (the package may not:
the answer reader imports the engine).
"""
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
CONTEXT_CLASSES = ("w2v-definition", "w2v-not-this")
# Displayed formulas the reader cannot read yet, by a hash of their exact LaTeX (the LaTeX itself is
# solution text, which must not leave the solution blocks): each is checked only as the SymPy value
# its step holds. Any other unreadable formula fails the build (an edit that makes a formula
# unreadable is caught like one that changes its value). Regenerate with
# `python book/_ext/w2v_display.py --list` when the reader learns a notation; the list may only shrink
# (it is empty: every displayed formula is read, and tests/test_display.py keeps it so).
NOT_YET_READ = frozenset()

CHAPTER_OF = {"a": "a_cross_entropy", "b": "b_grad_v_c", "L": "b_grad_v_c", "c": "c_d_grad_U", "d": "c_d_grad_U",
              "e": "e_f_activations", "f": "e_f_activations", "g": "g_negative_sampling",
              "h": "h_repeated_negatives", "i": "i_skipgram"}
CHAPTERS = ("notation", "a_cross_entropy", "b_grad_v_c", "c_d_grad_U", "e_f_activations",
            "g_negative_sampling", "h_repeated_negatives", "i_skipgram")


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
    comparison = compare_values(value, expr)
    return comparison.equal, "" if comparison.equal else str(comparison.counterexample)


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


# ---------------------------------------------------------------------------- prose

DISPLAY = re.compile(r"\$\$(.+?)\$\$|^[`:]{3,}\s*\{math\}[^\n]*\n(.+?)^[`:]{3,}", re.S | re.M)
INLINE = re.compile(r"(?<![$\\])\$([^$\n]+?)\$(?!\$)")
OPTION = re.compile(r"^:(\w+):\s*(.*)$", re.M)


def _members(math):
    """``=``-separated members at brace depth 0 (``\\neq``, ``\\le`` and ``:=`` are not ``=``)."""
    out, depth, current = [], 0, ""
    for i, ch in enumerate(math):
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "=" and depth == 0 and not math[:i].endswith((":", "<", ">", "!", "\\")):
            out.append(current.strip())
            current = ""
        else:
            current += ch
    out.append(current.strip())
    return [m.rstrip(".,; ").strip() for m in out]


def prose_equalities(markdown):
    """``(kind, math)`` for each equality a markdown cell states: ``display`` or ``inline`` (a derivative's),
    and ``context`` for a ``{math}`` directive marked as a definition or a wrong formula."""
    found = []
    for m in DISPLAY.finditer(markdown):
        body = m.group(1) or m.group(2)
        options = dict(OPTION.findall(body))
        body = OPTION.sub("", body)
        kind = "context" if any(c in options.get("class", "") for c in CONTEXT_CLASSES) else "display"
        if len(_members(body)) >= 2:
            found.append((kind, body.strip()))
    rest = DISPLAY.sub("", markdown)
    for m in INLINE.finditer(rest):
        math = m.group(1)
        members = _members(math)
        if len(members) >= 2 and re.search(r"\\partial|\\frac\{d\}|'\(", members[0]):
            found.append(("inline", math))
    return found


def check_equality(math, worlds, where):
    """Read every member of ``math`` in each of ``worlds``; readable members must all be equal."""
    findings = []
    members = [m for m in _members(math) if m]
    for world_name, world in worlds:
        values = []
        for member in members:
            value = read_value(member, world)
            if isinstance(value, str) and "not bound" in value:     # a free word index, as in u_w
                value = read_value(member, world, ("w", tuple(range(world.V))))
            if not isinstance(value, str):
                values.append((member, value))
        if len(values) < 2:
            status = "unread" if key(math) in NOT_YET_READ else "unlisted"
            findings.append(Finding(f"{where} in {world_name}", math, status,
                                    f"{len(members) - len(values)} of {len(members)} members unreadable"))
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


def chapter_worlds(chapter):
    """The reader's worlds a chapter's prose is read in: the worlds of its derivations' context."""
    letters = {"a_cross_entropy": "a", "b_grad_v_c": "b", "c_d_grad_U": "c", "e_f_activations": "f",
               "g_negative_sampling": "g", "h_repeated_negatives": "h", "i_skipgram": "i"}
    letter = letters.get(chapter)
    if letter is None:
        return []
    d = next(d for label, d in derivations().items() if label.startswith(letter))
    return [(x.sizes.name if x.sizes is not None and x.sizes.name else "its world", reader_world(x))
            for x in d.instances()]


def check_chapter(path):
    """Findings for every equality stated in the markdown of the notebook at ``path``."""
    import nbformat
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    worlds = chapter_worlds(path.stem)
    findings = []
    for n, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for kind, math in prose_equalities(cell.source):
            if kind == "context" or not worlds:
                continue
            findings += check_equality(math, worlds, f"{path.name}, cell {n}")
    return findings


# ------------------------------------------------------------------------------ all

def check_book(chapters=CHAPTERS):
    """Every finding of every derivation and every chapter's prose."""
    findings = []
    for d in derivations().values():
        findings += read_back(d)
    for name in chapters:
        findings += check_chapter(ROOT / "book" / f"{name}.ipynb")
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
    sources += [ROOT / "book" / f"{name}.ipynb" for name in CHAPTERS]
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
    counts = {s: sum(f.status == s for f in findings) for s in ("equal", "unread")}
    stamp.write_text(key)
    print(f"w2v_display: {counts['equal']} displayed formulas read back and equal; "
          f"{counts['unread']} not yet readable")


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
    print(json.dumps({s: sum(f.status == s for f in result) for s in ("equal", "differs", "unread", "unlisted")}))
    if "--list" in sys.argv:
        print("NOT_YET_READ = frozenset({")
        seen = {}
        for f in result:
            if f.status in ("unread", "unlisted"):
                seen.setdefault(key(f.latex), f.where.split(" in ")[0])
        for k, where in sorted(seen.items(), key=lambda kv: kv[1]):
            print(f"    {k!r},  # {where}")
        print("})")
