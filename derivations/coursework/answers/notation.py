"""The handout's notation, read from a parsed answer and built into SymPy node by node.

A :class:`World` holds the concrete objects (sizes from
:mod:`derivations.coursework.answers.worlds`): ``v_c`` is a ``d x 1`` column of
symbols, ``U`` a ``d x |V|`` matrix whose column ``w`` is ``u_w``, ``\\hat{y}`` the
softmax of ``U^T v_c`` (``|V| x 1``), ``y`` the one-hot column at ``o``. ``y_w`` and
``\\hat{y}_w`` are entries; ``u_{w_s}`` is column ``w_s`` of ``U`` (the s-th
negative); ``U_{o,\\{w_1,\\dots,w_K\\}}`` the stacked ``[u_o, -u_{w_1}, ..., -u_{w_K}]``.

Sums read their bounds: ``\\sum_w``, ``\\sum_{w \\in V}``, ``\\sum_{w=1}^{|V|}`` (words
numbered from 1) or ``\\sum_{w=0}^{|V|-1}`` run over the vocabulary, and
``\\sum_{w=1}^{2}`` over two words only; ``\\sum_{k=1}^{K}`` over the negatives'
positions; ``\\sum_{\\substack{-m \\le j \\le m \\\\ j \\ne 0}}`` over the window; a
condition (``w \\neq o``, ``w_k = w_s``) filters. A ``\\sum`` without bounds sums over
the one free index of its term. Inside a sum over the negatives, the older
handouts' ``u_k`` means ``u_{w_k}``; the builder records that it read it so
(:attr:`Builder.ambiguous`), and can read it literally instead (``negative_reading=False``).

The book's displays use a few more notations, read the same way: a row of columns with an
ellipsis (``\\begin{bmatrix} u_0 & \\cdots & u_{|V|-1} \\end{bmatrix}``: the entries on each side
differ only in their index, whose range the ends give), ``\\max``/``\\min``, ``\\lim``,
``cases`` on a free ``x`` (a piecewise value), an entry ``(U^\\top v_c)_k``, and the names a
chapter binds in its :class:`World` (:attr:`World.symbols`, :attr:`World.free`, :attr:`World.losses`).

Limits: numeric exponents must be rationals of size at most 10, building
stops after :data:`MAX_WORK` nodes (nested sums multiply the work), and at most
:data:`MAX_LIMITS` limits of at most :data:`MAX_LIMIT_OPS` operations are taken, so every
answer builds quickly.
"""
from dataclasses import dataclass, field

import sympy as sp

from ..verdicts import MEANING, SYNTAX, Reading
from .latex import AnswerSyntaxError, Node, Parser, parse, parse_tokens

MAX_WORK = 20000
MAX_EXPONENT = 10
MAX_LIMIT_OPS = 200
MAX_LIMITS = 4                # limits taken per reading: each is a SymPy series computation
ELLIPSIS_INDEX = "…"          # the index an ellipsis runs over (no typed answer can name it)


def _key(node):
    """What two nodes must share to be the same notation (positions aside)."""
    if node.kind == "sum":
        return ("sum", tuple(tuple(t.text for t in b[1]) if b else None for b in node.value))
    return (node.kind, repr(node.value), len(node.children))


def _differences(a, b, out):
    """Append to ``out`` the pairs of smallest subtrees where ``a`` and ``b`` differ."""
    if _key(a) != _key(b):
        out.append((a, b))
        return
    for x, y in zip(a.children, b.children):
        if isinstance(x, Node) and isinstance(y, Node):
            _differences(x, y, out)
        elif x != y:
            out.append((a, b))
            return


def _replaced(node, targets):
    """A copy of ``node`` with the subtrees whose ids are in ``targets`` replaced by the ellipsis index;
    each copy keeps its original's id as ``origin`` (the diagnosis marks nodes by id)."""
    if id(node) in targets:
        return Node("var", node.pos, ELLIPSIS_INDEX, [], node.end)
    copy = Node(node.kind, node.pos, node.value,
                [_replaced(c, targets) if isinstance(c, Node) else c for c in node.children], node.end)
    copy.origin = getattr(node, "origin", id(node))
    return copy


def _loss_arguments(loss_text):
    """The arguments of ``J(v_c, w_{t+j}, U)`` as plain strings (``v_c``, ``w_t+j``, ``U``): bold and
    braces dropped; empty without parentheses."""
    if "(" not in loss_text or not loss_text.rstrip().endswith(")"):
        return []
    inner = loss_text[loss_text.index("(") + 1:loss_text.rstrip().rindex(")")]
    inner = inner.replace("\\left", "").replace("\\right", "")
    args, depth, current = [], 0, ""
    for ch in inner:
        depth += ch in "({["
        depth -= ch in ")}]"
        if ch == "," and depth == 0:
            args.append(current)
            current = ""
        else:
            current += ch
    args.append(current)
    plain = []
    for a in args:
        for wrapper in ("\\mathbf", "\\boldsymbol", "\\bm", "\\vec", "\\mathit", "\\pmb"):
            a = a.replace(wrapper, "")
        a = "".join(ch for ch in a if ch not in "{} ")
        if len(a) >= 3 and a[0] == "\\" and a[1] == "b" and a[2].isalpha() and (len(a) == 3 or not a[3].isalpha()):
            a = a[2:]                                   # the template's \bv_c
        plain.append(a)
    return plain


def _subscripts_naming(node, names):
    """The subscripts in ``node`` that are one of ``names`` (``o`` in ``\\hat y_o``)."""
    found = []
    if node.kind == "sub":
        s = node.children[1]
        if s.kind == "var" and s.value in names:
            found.append(s)
    for c in node.children:
        if isinstance(c, Node):
            found += _subscripts_naming(c, names)
    return found


class AnswerMeaningError(AnswerSyntaxError):
    """Well-formed LaTeX that does not mean a value here (unknown symbol, shapes that do not fit)."""


class Undefined(AnswerMeaningError):
    """The answer says its value is undefined here (``\\text{undefined}`` in a case, or no case holds)."""


@dataclass
class World:
    """The concrete objects a written answer's symbols stand for."""
    v_c: sp.Matrix
    U: sp.Matrix
    o: int
    negatives: tuple
    y_hat: sp.Matrix
    y: sp.Matrix
    x: sp.Symbol
    indices: dict = field(default_factory=dict)    # free or bound index name -> value
    kinds: dict = field(default_factory=dict)      # index name -> "word", "position" (1-based s) or "offset" (j)
    context: str = ""                              # "naive", "neg", "skipgram" or "scalar"
    c: int = None                                  # skip-gram: the centre word
    window: dict = None                            # skip-gram: offset j -> word w_{t+j} (0 -> c)
    loss_at: object = None                         # skip-gram: j -> J(v_c, w_{t+j}, U)
    V_centre: object = None                        # skip-gram: the d x |V| centre vectors (column c is v_c)
    alpha: object = None                           # (e): the Leaky ReLU slope
    J: object = None                               # the part's loss (for an equation's left side)
    aliases: dict = field(default_factory=dict)    # a free index the answer names otherwise -> the part's
    # Names a chapter's text defines beyond the handout (P, z, theta, x_k): name -> value. ``name_k`` is
    # entry k of a bound column and column k of a bound matrix.
    symbols: dict = field(default_factory=dict)
    # What \partial J / \partial name differentiates when name's value is no matrix of symbols (theta =
    # U^T v_c, the stacked U_{o,\{...\}} as "U_ow"): name -> (free symbols, value, loss in the free symbols).
    free: dict = field(default_factory=dict)
    losses: dict = field(default_factory=dict)     # J_{\text{naive-softmax}}, J_{\text{neg-sample}} -> that loss

    @property
    def V(self):
        return self.U.shape[1]

    @property
    def K(self):
        return len(self.negatives)

    @property
    def m(self):
        return None if self.window is None else max(self.window)


def _shape(v):
    return v.shape if isinstance(v, sp.MatrixBase) else ()


def _describe(v):
    s = _shape(v)
    return "a scalar" if s == () else f"a {s[0]} x {s[1]} matrix"


def _scalar(v):
    """1 x 1 matrices are scalars."""
    if isinstance(v, sp.MatrixBase) and v.shape == (1, 1):
        return v[0, 0]
    return v


def _is_index_var(node, letters="oceKmVUTxyJn"):
    return (node.kind == "var" and len(node.value) == 1 and node.value not in letters
            ) or (node.kind == "prime" and node.children[0].kind == "var")


def _is_bound_var(node):
    r"""A \sum's index: any single letter but the handout's fixed names (x is fine here)."""
    return _is_index_var(node, "ocKmVUTyJ")


def _index_name(node):
    return node.value if node.kind == "var" else node.children[0].value + "'"


class Builder:
    """Turns a :class:`~derivations.coursework.answers.latex.Node` tree into a SymPy value in a :class:`World`.

    ``negative_reading``: inside a sum over the negatives (and for a part about a
    negative), ``u_k`` is ``u_{w_k}`` (else: vocabulary word ``k``). ``flip`` and
    ``swap`` are used by the diagnosis only: a set of ids of ``\\sigma`` nodes whose
    argument is negated, and ``{id(node): replacement node}``; ``exclude_j0`` drops
    ``j = 0`` from window sums. After :meth:`build`, :attr:`notes` says how the
    answer was read and :attr:`ambiguous` lists what has another reading.
    """

    def __init__(self, text, world, negative_reading=True, flip=frozenset(), swap=None, exclude_j0=False):
        self.text, self.world, self.work = text, world, 0
        self.negative_reading, self.flip, self.swap, self.exclude_j0 = negative_reading, flip, swap or {}, exclude_j0
        self.notes, self.ambiguous, self.qualifier = [], [], ""
        self.window_sums = 0
        self.limits = 0
        self.override = {}        # names bound inside a \lim or a derivative with respect to a free stand-in

    def note(self, text):
        if text not in self.notes:
            self.notes.append(text)

    def fail(self, message, node):
        raise AnswerMeaningError(message, self.text, node.pos)

    def build(self, node):
        self.work += 1
        if self.work > MAX_WORK:
            self.fail(f"the answer expands to more than {MAX_WORK} terms; simplify it", node)
        if self.swap:               # a copy in an ellipsis row's template is swapped like its original
            key = id(node) if id(node) in self.swap else getattr(node, "origin", None)
            if key in self.swap:
                node = self.swap[key]
        return _scalar(getattr(self, f"b_{node.kind}")(node))

    # -- leaves
    def b_num(self, node):
        whole, _, frac = node.value.partition(".")
        return sp.Rational(int(whole or "0") * 10 ** len(frac) + int(frac or "0"), 10 ** len(frac))

    def b_var(self, node):
        name, w = node.value, self.world
        name = w.aliases.get(name, name)
        if name in w.indices:
            return sp.Integer(w.indices[name])
        if name in self.override:
            return self.override[name]
        if name in w.symbols:
            return w.symbols[name]
        table = {"U": w.U, "x": w.x, "e": sp.E, "y": w.y, "K": sp.Integer(w.K)}
        if w.m is not None:
            table["m"] = sp.Integer(w.m)
        if w.alpha is not None:
            table["alpha"] = w.alpha
        if w.V_centre is not None:
            table["V"] = w.V_centre
        if w.window is not None:
            table["n"] = sp.Integer(len(w.window) - 1)                  # the number of outside words
        if name in table:
            return table[name]
        hints = {"v": "write v_c", "u": "write u_o, u_w or u_{w_s}", "T": "T transposes only as an exponent: u_o^T",
                 "o": "o is a word index: write u_o or \\hat{y}_o", "J": "write the final formula"}
        known = "U, v_c, u_o, u_w, u_{w_s}, \\hat{y}, y, x, \\sigma, \\exp, \\log"
        self.fail(f"unknown symbol {node.value!r}" + (f" ({hints[name]})" if name in hints
                                                       else f"; this checker knows {known}"), node)

    def b_word(self, node):
        self.fail(f"\\text{{{node.value}}} can only name the range of a sum or a case's condition", node)

    def b_undefined(self, node):
        raise Undefined(f"the answer says: {node.value}", self.text, node.pos)

    def b_otherwise(self, node):
        self.fail("'otherwise' belongs in \\begin{cases}", node)

    def b_rel(self, node):
        """An Iverson bracket ``[w = o]``: 1 or 0; ``[x > 0]`` on a free ``x`` is piecewise."""
        test = self.condition(node)
        if test in (sp.true, sp.false):
            return sp.Integer(1 if test else 0)
        return sp.Piecewise((1, test), (0, True))

    def b_list(self, node):
        self.fail("a list belongs in a subscript such as U_{o,\\{w_1,\\dots,w_K\\}}", node)

    def b_row(self, node):
        self.fail("a case belongs in \\begin{cases}", node)

    def b_prime(self, node):
        inner = node.children[0]
        if inner.kind == "call" and inner.value == "sigma":      # \sigma'(z) = \sigma(z)(1 - \sigma(z))
            s = self.build(inner)
            f = lambda e: e * (1 - e)
            return s.applyfunc(f) if isinstance(s, sp.MatrixBase) else f(s)
        if inner.kind != "call":
            v = self.build(inner)
            if isinstance(v, sp.MatrixBase):
                self.note(f"{self.text[inner.pos:inner.end]}' read as its transpose")
                return v.T
        self.fail("write the final formula, not derivative notation", node)

    def b_group(self, node):
        return self.build(node.children[0])

    def b_qualified(self, node):
        self.qualifier = node.value
        return self.build(node.children[0])

    def b_abs(self, node):
        inner = node.children[0]
        if inner.kind == "var" and inner.value in ("V", "W"):
            return sp.Integer(self.world.V)
        v = self.build(inner)
        if _shape(v) != ():
            self.fail("|...| of a matrix is not part of these answers", node)
        return sp.Abs(v)

    def b_hat(self, node):
        inner = node.children[0]
        if inner.kind == "var" and inner.value == "y":
            return self.world.y_hat
        if inner.kind == "sub" and inner.children[0].kind == "var" and inner.children[0].value == "y":
            return self.b_sub(Node("sub", inner.pos, None, [Node("hat", node.pos, None, [inner.children[0]]),
                                                             inner.children[1]], inner.end))
        self.fail("only \\hat{y} is defined here", node)

    # -- indices
    def positional(self, name, s, node):
        """``u_k`` with ``k`` running over the negatives' positions: the k-th negative, or word k."""
        w = self.world
        name = _index_name(node) if node.kind in ("var", "prime") else name
        self.ambiguous.append(name)
        if self.negative_reading:
            self.note(f"u_{name} read as u_{{w_{name}}}, the {name}-th negative sample (the older handouts' "
                      f"notation)")
            return w.negatives[s - 1]
        self.note(f"u_{name} read as the vector of vocabulary word {name}")
        return s

    def word(self, node):
        """The vocabulary word (0-based) a subscript names: o, c, a bound or free index, w_s, w_{t+j}, a literal."""
        w = self.world
        if node.kind == "group":
            return self.word(node.children[0])
        if node.kind in ("var", "prime") and _is_index_var(node) or node.kind == "var":
            name = _index_name(node) if node.kind == "prime" else node.value
            name = w.aliases.get(name, name)
            if name in w.indices:
                kind = w.kinds.get(name, "word")
                if kind == "position":
                    return self.positional(name, w.indices[name], node)
                if kind == "offset":
                    self.fail(f"{name} is a window offset: write w_{{t+{name}}}", node)
                if kind == "entry":
                    self.fail(f"{name} numbers the K+1 stacked columns (0 is o), not the vocabulary", node)
                return w.indices[name]
            if name == "o":
                return w.o
            if name == "c" and w.c is not None:
                return w.c
            self.fail(f"index {name!r} is not bound: sum over it or use o", node)
        if node.kind == "sub" and node.children[0].kind == "var" and node.children[0].value == "w":
            sub = node.children[1]
            if w.window is not None and self._mentions_t(sub):
                j = 0 if (sub.kind == "var" and sub.value == "t") else self.build(
                    Node("add", sub.pos, [1, -1], [sub, Node("var", sub.pos, "t")]))
                if not (getattr(j, "is_Integer", False) and int(j) in w.window):
                    self.fail(f"w_{{t+j}} needs -m <= j <= m (m = {w.m})", node)
                return w.window[int(j)]
            s = self.position(sub)
            if not 1 <= s <= w.K:
                self.fail(f"w_s needs 1 <= s <= K = {w.K}, got s = {s}", node)
            return w.negatives[s - 1]
        if node.kind == "num" and node.value.isdigit() and len(node.value) <= 3:
            return int(node.value)
        self.fail("a subscript here must be o, an index such as w or s, or w_s", node)

    def _mentions_t(self, node):
        if node.kind == "var":
            return node.value == "t"
        return any(isinstance(c, Node) and self._mentions_t(c) for c in node.children)

    def position(self, node):
        """The 1-based position s of ``w_s``."""
        w = self.world
        if node.kind == "group":
            return self.position(node.children[0])
        if node.kind in ("var", "prime"):
            name = _index_name(node) if node.kind == "prime" else node.value
            name = w.aliases.get(name, name)
            if name in w.indices:
                if w.kinds.get(name, "position") == "word":
                    self.fail(f"{name} runs over words; w_{name} needs a negative's position s = 1..K", node)
                return w.indices[name]
            self.fail(f"index {name!r} is not bound: sum over it or use o", node)
        if node.kind == "num" and node.value.isdigit() and len(node.value) <= 3:
            return int(node.value)
        self.fail("the subscript of w_s must be an index such as s or k", node)

    def b_sub(self, node):
        base, sub = node.children
        w = self.world
        if base.kind == "var" and base.value == "v":
            if sub.kind == "var" and sub.value == "c":
                return w.v_c
            if w.V_centre is not None:
                k = self.word(sub)
                return w.V_centre[:, k]
            self.fail("only the centre vector v_c is defined", node)
        if base.kind == "var" and (base.value in self.override or base.value in w.symbols):
            return self.pick(self.build(base), sub, node)
        if base.kind == "var" and base.value == "u":
            k = self.word(sub)
            if not 0 <= k < w.V:
                self.fail(f"word index {k} is outside the vocabulary 0..{w.V - 1}", sub)
            return w.U[:, k]
        if base.kind == "var" and base.value == "U" and sub.kind == "list" and sub.value and \
                sub.value[0].strip("{} ") == "o":
            if "U_ow" in self.override:
                return self.override["U_ow"]
            self.note("U_{o,{w_1..w_K}} read as the stacked [u_o, -u_{w_1}, ..., -u_{w_K}]")
            return sp.Matrix.hstack(w.U[:, w.o], *[-w.U[:, k] for k in w.negatives])
        if (base.kind == "var" and base.value == "y") or base.kind == "hat":
            vec = self.build(base)
            k = self.word(sub)
            if not 0 <= k < w.V:
                self.fail(f"word index {k} is outside the vocabulary 0..{w.V - 1}", sub)
            return vec[k, 0]
        if base.kind == "var" and base.value == "n" and w.negatives:      # n_w: how often w is a negative
            return sp.Integer(w.negatives.count(self.word(sub)))
        if base.kind == "var" and base.value == "e":                       # e_o: the one-hot column at o
            k = self.word(sub)
            return sp.Matrix(w.V, 1, lambda i, _: 1 if i == k else 0)
        if base.kind == "num" and base.value == "1" and sub.kind == "group" and sub.children[0].kind == "rel":
            sub = sub.children[0]                                          # 1_{\{w_k = w_s\}}
        if base.kind == "num" and base.value == "1" and sub.kind == "rel":
            return sp.Integer(1 if self.truth(sub) else 0)
        if base.kind == "var" and base.value == "delta":
            if sub.kind == "list" and len(sub.value) == 2:
                a, b = [Parser(t).expr() if t else None for t in sub.value]
                if a is not None and b is not None:
                    return sp.Integer(1 if self.word(a) == self.word(b) else 0)
            if sub.kind == "mul" and len(sub.children) == 2:
                return sp.Integer(1 if self.word(sub.children[0]) == self.word(sub.children[1]) else 0)
            self.fail("write the Kronecker delta as \\delta_{wo} or \\delta_{w,o}", node)
        if base.kind == "group":                                   # (U^\top v_c)_k: an entry
            return self.pick(self.build(base), sub, node)
        self.fail("a subscript belongs on u, v, y, \\hat{y}, U_{o,\\{...\\}}, (U^\\top v_c) or an indicator 1_{...}",
                  node)

    def pick(self, value, sub, node):
        """``value_k``: entry k of a column, column k of a matrix (k a word, o, an entry index 0..K)."""
        if not isinstance(value, sp.MatrixBase) or min(value.shape) == 0:
            self.fail("a subscript here picks an entry of a column or a column of a matrix", node)
        column = value.shape[1] == 1
        n = value.shape[0] if column else value.shape[1]
        k = self.entry(sub, n)
        return value[k, 0] if column else value[:, k]

    def entry(self, sub, n):
        """The 0-based entry (of ``n``) a subscript names: a word of the vocabulary when ``n = |V|``,
        else an index running over the entries (``k = 0..K``) or a literal."""
        w = self.world
        if sub.kind == "group":
            return self.entry(sub.children[0], n)
        if sub.kind in ("var", "prime"):
            name = w.aliases.get(_index_name(sub), _index_name(sub))
            kind = w.kinds.get(name)
            if name in w.indices and (kind == "entry" or (kind == "position" and n == w.K + 1)):
                k = w.indices[name]                     # entry s of the K+1 stacked scores is the s-th negative
                if not 0 <= k < n:
                    self.fail(f"entry {k} is outside 0..{n - 1}", sub)
                return k
        if n == w.V:
            return self.word(sub)
        if sub.kind == "num" and sub.value.isdigit() and int(sub.value) < n:
            return int(sub.value)
        self.fail(f"this subscript does not say which of the {n} entries (an index k = 0..{n - 1})", sub)

    # -- conditions
    def side(self, node):
        """One side of a condition: an index's integer when it is one, else its value."""
        w = self.world
        if node.kind == "group":
            return self.side(node.children[0])
        if node.kind in ("var", "prime") and _is_index_var(node):
            name = _index_name(node) if node.kind == "prime" else node.value
            name = w.aliases.get(name, name)
            if name in w.indices:
                return sp.Integer(w.indices[name])
        if node.kind == "var" and node.value == "o":
            return sp.Integer(w.o)
        if node.kind == "var" and node.value == "c" and w.c is not None:
            return sp.Integer(w.c)
        if node.kind == "sub" and node.children[0].kind == "var" and node.children[0].value == "w":
            return sp.Integer(self.word(node))
        return self.build(node)

    def truth(self, node):
        """Is the condition ``node`` true in this world (with the bound indices)? Raises if undecidable."""
        test = self.condition(node)
        if test not in (sp.true, sp.false):
            self.fail(f"cannot decide the condition {self.text[node.pos:node.end]!r} here", node)
        return bool(test)

    def condition(self, node):
        """The condition ``node`` as SymPy's true, false, or a relation of a free scalar (``x > 0``)."""
        if node.kind == "otherwise":
            return sp.true
        if node.kind == "group":
            return self.condition(node.children[0])
        if node.kind != "rel":
            self.fail("expected a condition such as w = o", node)
        if node.value == ["and"]:
            return sp.And(*[self.condition(c) for c in node.children])
        sides = node.children
        result = sp.true
        for k, op in enumerate(node.value):
            if op in ("in", "notin"):
                continue                       # "w \in V": the index's range, always true here
            a, b = self.side(sides[k]), self.side(sides[k + 1])
            if _shape(a) != () or _shape(b) != ():
                self.fail("a condition compares numbers or indices, not vectors", node)
            test = {"=": sp.Eq, "!=": sp.Ne, "<": sp.Lt, ">": sp.Gt, "<=": sp.Le, ">=": sp.Ge}[op](a, b)
            if test not in (sp.true, sp.false) and (op in ("=", "!=") or not (a - b).free_symbols):
                self.fail(f"cannot decide the condition {self.text[node.pos:node.end]!r} here", node)
            result = sp.And(result, test)
        return result

    def b_cases(self, node):
        """The case that holds; a piecewise value when a condition is about a free scalar (``x > 0``)."""
        pieces = []
        for row in node.children:
            value, cond = row.children
            test = self.condition(cond)
            if test is sp.false:
                continue
            if test is sp.true and not pieces:
                return self.build(value)
            pieces.append((value, test))
            if test is sp.true:
                break
        if not pieces:
            raise Undefined("no case of \\begin{cases} holds here", self.text, node.pos)
        built = [(self.build(v), test) for v, test in pieces]
        if any(_shape(v) != () for v, _ in built):
            self.fail("cases on a free quantity (x > 0) need scalar values", node)
        return sp.Piecewise(*built)

    # -- derivatives (part (i))
    def free_names(self, node):
        """The stand-ins of :attr:`World.free` that ``node`` (what is differentiated against) names."""
        w = self.world
        if node.kind == "var" and node.value in w.free:
            return [node.value]
        if node.kind == "sub" and node.children[1].kind == "list" and "U_ow" in w.free:
            return ["U_ow"]
        return sorted({n for c in node.children if isinstance(c, Node) for n in self.free_names(c)})

    def b_deriv(self, node):
        """A derivative; with respect to a stand-in (theta, U_ow), taken in its free symbols and put back."""
        names = self.free_names(node.children[0])
        if not names:
            return self.derivative(node, None)
        w, saved = self.world, dict(self.override)
        try:
            self.override.update({n: w.free[n][0] for n in names})
            value = self.derivative(node, w.free[names[0]][2])
        finally:
            self.override = saved
        back = {}
        for n in names:
            back.update(zip(w.free[n][0], w.free[n][1]))
        return value.xreplace(back)

    def derivative(self, node, stand_in_loss):
        w, loss_text = self.world, node.value or ""
        wrt = self.build(node.children[0])
        if not isinstance(wrt, sp.MatrixBase) and isinstance(wrt, sp.Symbol):
            wrt = sp.Matrix([[wrt]])
        if not isinstance(wrt, sp.MatrixBase) or not all(isinstance(e, sp.Symbol) for e in wrt):
            self.fail("differentiate with respect to U, v_c, u_w, v_w or x", node.children[0])
        if len(node.children) == 2:                  # \frac{\partial (expr)}{\partial X}
            f = _scalar(self.build(node.children[1]))
            if _shape(f) != ():
                self.fail("only a scalar is differentiated here", node.children[1])
            return wrt.applyfunc(lambda z: sp.diff(f, z))
        squashed = loss_text.replace(" ", "")
        arguments = _loss_arguments(loss_text)
        for arg, want in ((arguments[:1], "v_c"), (arguments[-1:], "U")) if len(arguments) >= 2 else ():
            if arg[0] != want:
                self.fail(f"J's arguments start with the centre vector v_c and end with U; "
                          f"this J has {arg[0]} where {want} belongs", node)
        named = [loss for name, loss in w.losses.items() if name in squashed]
        if stand_in_loss is not None:                # the stand-in's loss is the world's J written in it
            if named and named[0] is not w.J:
                wrt_text = self.text[node.children[0].pos:node.children[0].end]
                self.fail(f"{loss_text} is not written in terms of {wrt_text}", node)
            loss = stand_in_loss
        elif named:
            loss = named[0]
        elif w.loss_at is not None and "j" in w.indices and ("t+j" in squashed or squashed in ("J", "")):
            if "t+j" not in squashed:
                self.note("J read as J(v_c, w_{t+j}, U)")
            loss = w.loss_at(w.indices["j"])
        elif w.J is not None and "t+j" not in squashed:
            loss = w.J
        else:
            self.fail("J(v_c, w_{t+j}, U) belongs inside a sum over the window j", node)
        return wrt.applyfunc(lambda z: sp.diff(loss, z))

    # -- limits and matrices
    def b_limit(self, node):
        """``\\lim_{h \\to p^\\pm} f``: SymPy's one- or two-sided limit of the scalar ``f``."""
        (name, side), (point, body) = node.value, node.children
        self.limits += 1
        if self.limits > MAX_LIMITS:
            self.fail(f"the answer takes more than {MAX_LIMITS} limits; write their values", node)
        p = self.build(point)
        if _shape(p) != () or not p.is_number:
            self.fail("a limit's point must be a number here", point)
        saved = dict(self.override)
        t = sp.Dummy(name, positive=True)
        h = sp.Dummy(name, real=True) if side == "+-" else None
        try:
            self.override[name] = h if h is not None else (p + t if side == "+" else p - t)
            f = self.build(body)
        finally:
            self.override = saved
        if _shape(f) != ():
            self.fail("only the limit of a scalar is read here", body)
        if sp.count_ops(f) > MAX_LIMIT_OPS:
            self.fail(f"this limit's term is too long (more than {MAX_LIMIT_OPS} operations)", body)
        try:
            value = sp.limit(f, h, p, "+-") if h is not None else sp.limit(f, t, 0, "+")
        except (NotImplementedError, ValueError, TypeError, ArithmeticError):
            value = sp.Limit(f, t, 0)
        if value.has(sp.Limit):
            self.fail("this limit cannot be evaluated here: write its value", node)
        if value.has(sp.AccumBounds, sp.oo, -sp.oo, sp.zoo, sp.nan):
            self.fail(f"this limit is not a number ({value})", node)
        return value

    def b_matrix(self, node):
        """Rows of entries side by side, columns stacked; an ellipsis stands for the entries between."""
        rows = node.children
        if all(len(r.children) == 1 for r in rows) and len(rows) > 1:      # a column (maybe with \vdots)
            values = self.expand([r.children[0] for r in rows], node)
            return sp.Matrix.vstack(*[v if isinstance(v, sp.MatrixBase) else sp.Matrix([[v]]) for v in values])
        out = []
        for r in rows:
            values = self.expand(r.children, r)
            blocks = [v if isinstance(v, sp.MatrixBase) else sp.Matrix([[v]]) for v in values]
            if len({b.shape[0] for b in blocks}) != 1:
                self.fail("the entries of a matrix row must have the same height", r)
            out.append(sp.Matrix.hstack(*blocks))
        if len({b.shape[1] for b in out}) != 1:
            self.fail("the rows of a matrix must have the same width", node)
        return _scalar(sp.Matrix.vstack(*out))

    def expand(self, entries, node):
        """The values of a row of entries; ``a_0 & \\cdots & a_{|V|-1}`` is every ``a_w`` in order.

        The entries on each side of the ellipsis differ only in their index: a literal first
        (0 or 1), an end last (``|V|-1``, ``|V|``, ``K``): the words numbered from 0 or from 1,
        the negatives 1..K, the stacked columns 0..K. An entry between two ellipses
        (``(\\hat y_o - 1) v_c``) is the column of the word it names (o).
        """
        dots = [k for k, e in enumerate(entries) if e.kind == "dots"]
        if not dots:
            return [self.build(e) for e in entries]
        if dots[0] == 0 or dots[-1] == len(entries) - 1:
            self.fail("write an entry on each side of an ellipsis, e.g. a_0 & \\cdots & a_{|V|-1}", node)
        # entries before the first pattern entry and after the last are columns of their own
        before, after = entries[:dots[0] - 1], entries[dots[-1] + 2:]
        entries = entries[dots[0] - 1:dots[-1] + 2]
        first, last = entries[0], entries[-1]
        inner = entries[1:-1]
        if any((e.kind == "dots") != (k % 2 == 1) for k, e in enumerate(entries)):
            self.fail("write an entry on each side of an ellipsis, e.g. a_0 & \\cdots & a_{|V|-1}", node)
        pairs = []
        _differences(first, last, pairs)
        lows = {self.text[a.pos:a.end] for a, _ in pairs}
        highs = {self.text[b.pos:b.end] for _, b in pairs}
        if not pairs or len(lows) != 1 or len(highs) != 1 or pairs[0][0].kind != "num":
            self.fail("the entries on each side of an ellipsis must differ only in an index "
                      "(a number first, e.g. a_0 & \\cdots & a_{|V|-1})", node)
        lo, hi_node = int(self.b_num(pairs[0][0])), pairs[0][1]
        hi = self._value(hi_node, "last index")
        letters = set(highs.pop())
        w = self.world
        if "V" in letters and (lo, hi) in ((0, w.V - 1), (1, w.V)):
            kind, values = "word", list(range(w.V))
            if lo == 1:
                self.note("the indices 1..|V| around the ellipsis read as the words numbered from 1")
        elif "K" in letters and (lo, hi) in ((1, w.K), (0, w.K - 1)):
            kind, values = "position", list(range(1, w.K + 1))
        elif "K" in letters and (lo, hi) == (0, w.K):
            kind, values = "entry", list(range(w.K + 1))
        else:
            self.fail("an ellipsis runs over the words 0..|V|-1 (or 1..|V|), the negatives 1..K "
                      "or the stacked columns 0..K", node)
        middles = {}
        for m in (e for e in inner if e.kind != "dots"):
            named = {self.word(n) for n in _subscripts_naming(m, ("o",))}
            if kind != "word" or len(named) != 1:
                self.fail("an entry between two ellipses must name its word, e.g. (\\hat y_o - 1) v_c", m)
            middles[named.pop()] = m
        template = _replaced(first, {id(a) for a, _ in pairs})
        saved = dict(w.indices), dict(w.kinds)
        out = [self.build(e) for e in before]
        try:
            for v in values:
                w.indices[ELLIPSIS_INDEX], w.kinds[ELLIPSIS_INDEX] = v, kind
                out.append(self.build(middles[v]) if v in middles else self.build(template))
        finally:
            w.indices.clear()
            w.indices.update(saved[0])
            w.kinds.clear()
            w.kinds.update(saved[1])
        return out + [self.build(e) for e in after]

    def b_mrow(self, node):
        self.fail("a matrix row belongs in \\begin{bmatrix}", node)

    def b_dots(self, node):
        self.fail("an ellipsis belongs between two entries of a matrix, e.g. a_0 & \\cdots & a_{|V|-1}", node)

    # -- operators
    def b_neg(self, node):
        return -self.build(node.children[0])

    def b_add(self, node):
        total = None
        for sign, child in zip(node.value, node.children):
            v = self.build(child)
            if total is None:
                total = sign * v
                continue
            total, v = self.broadcast(total, v, child)
            total = total + v if sign > 0 else total - v
        return total

    def broadcast(self, a, b, node):
        """A number added to a column is that number in every entry (``1 - \\sigma(U^T v_c)``)."""
        sa, sb = _shape(a), _shape(b)
        if sa == sb:
            return a, b
        if sa == () and getattr(a, "is_number", False) and len(sb) == 2 and sb[1] == 1:
            return a * sp.ones(*sb), b
        if sb == () and getattr(b, "is_number", False) and len(sa) == 2 and sa[1] == 1:
            return a, b * sp.ones(*sa)
        self.fail(f"cannot add {_describe(a)} and {_describe(b)}", node)

    def multiply(self, a, b, op, node):
        a, b = _scalar(a), _scalar(b)
        if op == "div":
            if _shape(b) != ():
                self.fail(f"cannot divide by {_describe(b)}", node)
            return a / b
        if op == "had":
            if _shape(a) == () or _shape(b) == ():
                return a * b
            if a.shape != b.shape:
                self.fail(f"an entrywise product needs equal shapes, not {_describe(a)} and {_describe(b)}", node)
            return a.multiply_elementwise(b)
        if _shape(a) == () or _shape(b) == ():
            return a * b
        if op == "dot" and a.shape == b.shape and a.shape[1] == 1:
            return (a.T * b)[0, 0]
        if a.shape[1] != b.shape[0]:
            hint = ""
            if a.shape[1] == b.shape[1] or a.shape[0] == b.shape[0]:
                hint = " (a transpose missing?)"
            self.fail(f"cannot multiply {_describe(a)} by {_describe(b)}{hint}", node)
        return a * b

    def b_mul(self, node):
        value = self.build(node.children[0])
        for op, child in zip(node.value, node.children[1:]):
            value = _scalar(self.multiply(value, self.build(child), op, child))
        return value

    def b_div(self, node):
        return self.multiply(self.build(node.children[0]), self.build(node.children[1]), "div", node)

    def b_pow(self, node):
        base, exp = node.children
        w = self.world
        if (base.kind == "var" and base.value == "y" and exp.kind == "group" and w.window is not None
                and exp.children[0].kind == "var" and exp.children[0].value in w.indices):
            k = w.window[w.indices[exp.children[0].value]]              # y^{(j)}: one-hot at w_{t+j}
            return sp.Matrix(w.V, 1, lambda i, _: 1 if i == k else 0)
        if exp.kind == "var" and exp.value == "T":
            v = self.build(base)
            return v.T if isinstance(v, sp.MatrixBase) else v
        e = self.build(exp)
        if _shape(e) != ():
            self.fail(f"an exponent must be a scalar, got {_describe(e)}", exp)
        if e.is_number:
            if not (e.is_Rational and abs(e) <= MAX_EXPONENT and e.q <= MAX_EXPONENT):
                self.fail(f"exponents are limited to rationals of size at most {MAX_EXPONENT}", exp)
        if base.kind == "var" and base.value == "e":
            return sp.exp(e)
        b = self.build(base)
        if _shape(b) != ():
            self.fail(f"powers of {_describe(b)} are not part of these answers (write ^T for a transpose)", node)
        if b.is_number and e.is_number and b != 0:
            # |b^e| past 10^300 is no formula of this assignment, and exact powers of huge
            # rationals are where an integer tower would start to cost real time.
            size = abs(float(e)) * abs(float(sp.log(abs(b), 10).evalf(15)))
            if size > 300:
                self.fail("this number is too large (more than 300 digits)", node)
        return b ** e

    def b_call(self, node):
        if node.value in ("max", "min"):
            args = [self.build(c) for c in node.children]
            for a, c in zip(args, node.children):
                if _shape(a) != ():
                    self.fail(f"\\{node.value} of {_describe(a)} is not part of these answers", c)
            return (sp.Max if node.value == "max" else sp.Min)(*args)
        arg = self.build(node.children[0])
        if id(node) in self.flip or getattr(node, "origin", None) in self.flip:
            arg = -arg
        f = {"sigma": lambda z: 1 / (1 + sp.exp(-z)), "exp": sp.exp, "log": sp.log, "ln": sp.log}[node.value]
        return arg.applyfunc(f) if isinstance(arg, sp.MatrixBase) else f(arg)

    # -- sums
    def b_sum(self, node):
        (lower, upper), body = node.value, node.children[0]
        name, kind, values = self.sum_range(lower, upper, body, node)
        w = self.world
        saved = dict(w.indices), dict(w.kinds)
        total = None
        try:
            for value in values:
                w.indices[name], w.kinds[name] = value, kind
                if self.filters and not all(self.truth(f) for f in self.filters[id(node)]):
                    continue
                term = self.build(body)
                if total is not None:
                    total, term = self.broadcast(total, term, body)
                total = term if total is None else total + term
        finally:
            w.indices.clear()
            w.indices.update(saved[0])
            w.kinds.clear()
            w.kinds.update(saved[1])
        if total is None:
            self.fail("this sum has no terms", node)
        return total

    filters = None

    def _pieces(self, toks):
        """Split a \\sum subscript's tokens into conditions (at top-level , \\\\ : \\mid), unwrapping \\substack."""
        if toks and toks[0].kind == "cmd" and toks[0].text == "substack":
            toks = [t for t in toks[1:]]
            if toks and toks[0].kind == "op" and toks[0].text == "{":
                toks = toks[1:-1] if toks[-1].kind == "op" and toks[-1].text == "}" else toks[1:]
        pieces, current, depth = [], [], 0
        for t in toks:
            if t.kind == "op" and t.text in "{([":
                depth += 1
            elif t.kind == "op" and t.text in "})]":
                depth -= 1
            if depth == 0 and ((t.kind == "op" and t.text in ",:") or (t.kind == "cmd" and t.text in ("\\", "mid"))):
                if current:
                    pieces.append(current)
                current = []
                continue
            current.append(t)
        if current:
            pieces.append(current)
        return pieces

    def _value(self, node, what):
        v = self.build(node)
        if not getattr(v, "is_Integer", False):
            self.fail(f"the {what} of this sum must be a whole number here (got {_describe(v) if _shape(v) else v})",
                      node)
        return int(v)

    def sum_range(self, lower, upper, body, node):
        """Index name, its kind and the values it runs over, from the bounds; filters are kept per sum."""
        w = self.world
        name = start = stop = setnode = None
        strict = [False, False]
        filters = []
        toks = (lower[1] if lower else []) + (upper[1] if upper else [])
        letters = {t.text for t in toks if t.kind == "letter"}
        words = "".join(t.text for t in toks).lower()
        for piece in self._pieces(lower[1]) if lower else []:
            cond = parse_tokens(self.text, piece, "bound of \\sum")
            if cond.kind == "group":
                cond = cond.children[0]
            if _is_bound_var(cond) and name is None:
                name = _index_name(cond)
            elif cond.kind == "rel" and cond.value != ["and"]:
                sides, ops = cond.children, cond.value
                if len(sides) == 2 and _is_bound_var(sides[0]) and ops[0] == "=" and name is None:
                    name, start = _index_name(sides[0]), sides[1]
                elif len(sides) == 2 and _is_bound_var(sides[0]) and ops[0] == "in":
                    name, setnode = name or _index_name(sides[0]), sides[1]
                elif len(sides) == 3 and _is_bound_var(sides[1]) and all(op in ("<", "<=") for op in ops):
                    name, start, stop = _index_name(sides[1]), sides[0], sides[2]
                    strict = [ops[0] == "<", ops[1] == "<"]
                else:
                    if name is None and _is_bound_var(sides[0]):
                        name = _index_name(sides[0])
                    filters.append(cond)
            else:
                self.fail("cannot read this bound of \\sum: expected e.g. w, w \\in V, k=1, w \\neq o", node)
        if upper is not None:
            stop = parse_tokens(self.text, upper[1], "upper bound of \\sum")
        if name is None:
            name = self.infer_index(body, node)
        # which range: the window (m), the negatives (K), the vocabulary (V)
        if "m" in letters or (name == "j" and w.context == "skipgram" and not letters & {"K", "V"}):
            kind = "offset"
        elif "K" in letters or (setnode is not None and "k" in words and "v" not in words):
            kind = "position"
        elif "V" in letters or "vocab" in words or "W" in letters:
            kind = "word"
        elif name.rstrip("'") in ("s", "k") or (name == "j" and w.context == "neg"):
            kind = "position" if w.context == "neg" else "word"
        else:
            kind = "word"
        lo = None if start is None else self._value(start, "start") + strict[0]
        hi = None if stop is None else self._value(stop, "end") - strict[1]
        self.filters = self.filters or {}
        self.filters[id(node)] = filters
        if kind == "offset":
            if w.window is None:
                self.fail("a sum over the window j belongs in part (i)", node)
            m = w.m
            if lo is None and hi is None:
                values = [j for j in range(-m, m + 1) if j != 0]
            else:
                lo, hi = -m if lo is None else lo, m if hi is None else hi
                if lo < -m or hi > m:
                    self.fail(f"the window runs over -m..m (m = {m}), not {lo}..{hi}", node)
                values = list(range(lo, hi + 1))
                if 0 in values and not filters:
                    self.window_sums += 1
                    if self.exclude_j0:
                        values.remove(0)
            return name, kind, values
        if kind == "position":
            if w.K == 0:
                self.fail("a sum over the negatives belongs in parts (g) and (h)", node)
            lo, hi = 1 if lo is None else lo, w.K if hi is None else hi
            if (lo, hi) in ((0, w.K), (1, w.K + 1)):
                self.note(f"{name} = {lo}..{hi} read as the K+1 stacked entries (o, then the negatives)")
                return name, "entry", list(range(w.K + 1))
            if (lo, hi) == (0, w.K - 1):
                self.note(f"{name} = 0..K-1 read as the negatives numbered from 0")
                return name, kind, list(range(1, w.K + 1))
            if lo < 1 or hi > w.K:
                self.fail(f"the negatives are numbered 1..K (K = {w.K}) or 0..K-1, not {lo}..{hi}", node)
            return name, kind, list(range(lo, hi + 1))
        V = w.V
        if lo is None and hi is None:
            return name, kind, list(range(V))
        lo, hi = 0 if lo is None else lo, V - 1 if hi is None else hi
        if (lo, hi) == (1, V):
            self.note(f"{name} = 1..|V| read as the words numbered from 1")
            return name, kind, list(range(V))
        if lo < 0 or hi > V - 1:
            self.fail(f"this sum runs over words {lo}..{hi}, outside the vocabulary 0..|V|-1 = 0..{V - 1} "
                      f"(number the words 0..|V|-1 or 1..|V|)", node)
        return name, kind, list(range(lo, hi + 1))

    def infer_index(self, body, node):
        """The index of a \\sum written without bounds: the one free index of its term."""
        free = sorted(self.free_indices(body))
        if len(free) != 1:
            self.fail("\\sum needs its index, e.g. \\sum_{w} or \\sum_{s=1}^{K}" + (
                f" (its term has the free indices {', '.join(free)})" if free else ""), node)
        self.note(f"\\sum without bounds read as a sum over {free[0]}")
        return free[0]

    def free_indices(self, node, bound=frozenset()):
        """Index letters used in subscripts of ``node`` that are not bound here or by an inner sum."""
        w = self.world
        found = set()
        if node.kind == "sub":
            found |= self._index_letters(node.children[1], bound)
            found |= self.free_indices(node.children[0], bound)
            return found
        if node.kind == "sum":
            lower = node.value[0]
            inner = set(bound)
            if lower:
                toks = lower[1]
                for k, t in enumerate(toks):
                    if t.kind == "letter":
                        inner.add(t.text)
                        if k + 1 < len(toks) and toks[k + 1].kind == "op" and toks[k + 1].text == "'":
                            inner.add(t.text + "'")
            return self.free_indices(node.children[0], frozenset(inner))
        for c in node.children:
            if isinstance(c, Node):
                found |= self.free_indices(c, bound)
        return {n for n in found if n not in w.indices}

    def _index_letters(self, node, bound):
        if node.kind == "var":
            if len(node.value) == 1 and node.value not in "ocTt" and node.value not in bound:
                return {node.value}
            return set()
        if node.kind == "prime" and node.children[0].kind == "var":
            name = node.children[0].value + "'"
            return set() if name in bound else {name}
        out = set()
        for c in node.children:
            if isinstance(c, Node):
                out |= self._index_letters(c, bound)
        return out


def build(text, tree, world):
    """Build the SymPy value of a parsed answer in ``world`` (raises :class:`AnswerMeaningError`)."""
    return Builder(text, world).build(tree)


def read(text, world, tree=None, builder=Builder, description="as written", changes=(), **options):
    """``text`` read in ``world`` as a :class:`~derivations.coursework.verdicts.Reading` (never raises on bad LaTeX).

    ``tree`` is ``parse(text)`` if the caller has it. A formula that does not
    parse is a reading with no value and ``error_kind`` ``syntax``; one that
    does not build, ``meaning``; both with the message and the position.
    ``builder`` is :class:`Builder` or a subclass that knows more symbols;
    ``options`` go to it (e.g. ``negative_reading=False``).
    """
    if tree is None:
        try:
            tree = parse(text)
        except AnswerSyntaxError as exc:
            return Reading(description, None, str(exc), changes, exc.position, SYNTAX)
    try:
        value = builder(text, world, **options).build(tree)
    except AnswerSyntaxError as exc:
        return Reading(description, None, str(exc), changes, exc.position, MEANING)
    return Reading(description, value, "", changes)


def read_with(text, world, tree, **options):
    """Like :func:`read`, but also return the :class:`Builder` (its notes and ambiguities)."""
    b = Builder(text, world, **options)
    try:
        value = b.build(tree)
    except Undefined as exc:
        return Reading("as written", None, str(exc), (), exc.position, MEANING), b, exc
    except AnswerSyntaxError as exc:
        return Reading("as written", None, str(exc), (), exc.position, MEANING), b, None
    return Reading("as written", value, "", ()), b, None
