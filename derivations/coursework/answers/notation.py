"""The handout's notation, read from a parsed answer and built into SymPy node by node.

Sizes are those of :mod:`derivations.symbolic.symbols` (``d = 3``, ``|V| = 5``,
``o = 2``, ``K = 3``): ``v_c`` is a ``3 x 1`` column of symbols, ``U`` a
``3 x 5`` matrix whose column ``w`` is ``u_w``, ``\\hat{y}`` the softmax of
``U^T v_c`` (``5 x 1``), ``y`` the one-hot column at ``o``. ``y_w`` and
``\\hat{y}_w`` are entries; ``u_{w_s}`` is column ``w_s`` of ``U`` (the s-th
negative); ``\\sum_w`` / ``\\sum_{w \\in V}`` / ``\\sum_{w=1}^{|V|}`` run over the
vocabulary, ``\\sum_{s=1}^{K}`` over the negatives, ``\\sum_{w \\neq o}`` skips
``o``. ``^T``, ``^\\top`` transpose; ``\\cdot`` between two columns is their dot
product; ``\\sigma``, ``\\exp``, ``\\log`` apply entrywise.

Limits: numeric exponents must be rationals of size at most 10, and building
stops after :data:`MAX_WORK` nodes (nested sums multiply the work), so every
answer builds quickly.
"""
from dataclasses import dataclass, field

import sympy as sp

from ..verdicts import MEANING, SYNTAX, Reading
from .latex import AnswerSyntaxError, Node, parse

MAX_WORK = 20000
MAX_EXPONENT = 10


class AnswerMeaningError(AnswerSyntaxError):
    """Well-formed LaTeX that does not mean a value here (unknown symbol, shapes that do not fit)."""


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

    @property
    def V(self):
        return self.U.shape[1]

    @property
    def K(self):
        return len(self.negatives)


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


class Builder:
    """Turns a :class:`~derivations.coursework.answers.latex.Node` tree into a SymPy value in a :class:`World`."""

    def __init__(self, text, world):
        self.text, self.world, self.work = text, world, 0

    def fail(self, message, node):
        raise AnswerMeaningError(message, self.text, node.pos)

    def build(self, node):
        self.work += 1
        if self.work > MAX_WORK:
            self.fail(f"the answer expands to more than {MAX_WORK} terms; simplify it", node)
        return _scalar(getattr(self, f"b_{node.kind}")(node))

    # -- leaves
    def b_num(self, node):
        whole, _, frac = node.value.partition(".")
        return sp.Rational(int(whole or "0") * 10 ** len(frac) + int(frac or "0"), 10 ** len(frac))

    def b_var(self, node):
        name, w = node.value, self.world
        if name in w.indices:
            return sp.Integer(w.indices[name])
        table = {"U": w.U, "x": w.x, "e": sp.E, "y": w.y, "K": sp.Integer(w.K)}
        if name in table:
            return table[name]
        hints = {"v": "write v_c", "u": "write u_o, u_w or u_{w_s}", "T": "T transposes only as an exponent: u_o^T",
                 "o": "o is a word index: write u_o or \\hat{y}_o"}
        known = "U, v_c, u_o, u_w, u_{w_s}, \\hat{y}, y, x, \\sigma, \\exp, \\log"
        self.fail(f"unknown symbol {name!r}" + (f" ({hints[name]})" if name in hints
                                                 else f"; this checker knows {known}"), node)

    def b_word(self, node):
        self.fail(f"\\text{{{node.value}}} can only name the range of a sum", node)

    def b_prime(self, node):
        self.fail("write the final formula, not derivative notation", node)

    def b_group(self, node):
        return self.build(node.children[0])

    def b_hat(self, node):
        inner = node.children[0]
        if inner.kind == "var" and inner.value == "y":
            return self.world.y_hat
        self.fail("only \\hat{y} is defined here", node)

    # -- indices
    def index(self, node):
        """The integer a subscript names: o, a bound or free index, w_s, or a literal."""
        w = self.world
        if node.kind == "group":
            return self.index(node.children[0])
        if node.kind == "var":
            if node.value in w.indices:
                return w.indices[node.value]
            if node.value == "o":
                return w.o
            self.fail(f"index {node.value!r} is not bound: sum over it or use o", node)
        if node.kind == "prime" and node.children[0].kind == "var":
            name = node.children[0].value + "'"
            if name in w.indices:
                return w.indices[name]
            self.fail(f"index {name!r} is not bound", node)
        if node.kind == "sub" and node.children[0].kind == "var" and node.children[0].value == "w":
            s = self.index(node.children[1])
            if not 1 <= s <= w.K:
                self.fail(f"w_s needs 1 <= s <= K = {w.K}, got s = {s}", node)
            return w.negatives[s - 1]
        if node.kind == "num" and node.value.isdigit() and len(node.value) <= 3:
            return int(node.value)
        self.fail("a subscript here must be o, an index such as w or s, or w_s", node)

    def b_sub(self, node):
        base, sub = node.children
        w = self.world
        if base.kind == "var" and base.value == "v":
            if sub.kind == "var" and sub.value == "c":
                return w.v_c
            self.fail("only the centre vector v_c is defined", node)
        if base.kind == "var" and base.value == "u":
            k = self.index(sub)
            if not 0 <= k < w.V:
                self.fail(f"word index {k} is outside the vocabulary 0..{w.V - 1}", sub)
            return w.U[:, k]
        if (base.kind == "var" and base.value == "y") or base.kind == "hat":
            vec = self.build(base)
            k = self.index(sub)
            if not 0 <= k < w.V:
                self.fail(f"word index {k} is outside the vocabulary 0..{w.V - 1}", sub)
            return vec[k, 0]
        self.fail("a subscript belongs on u, v, y or \\hat{y}", node)

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
            if _shape(total) != _shape(v):
                self.fail(f"cannot add {_describe(total)} and {_describe(v)}", child)
            total = total + v if sign > 0 else total - v
        return total

    def multiply(self, a, b, op, node):
        a, b = _scalar(a), _scalar(b)
        if op == "div":
            if _shape(b) != ():
                self.fail(f"cannot divide by {_describe(b)}", node)
            return a / b
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
        arg = self.build(node.children[0])
        f = {"sigma": lambda z: 1 / (1 + sp.exp(-z)), "exp": sp.exp, "log": sp.log, "ln": sp.log}[node.value]
        return arg.applyfunc(f) if isinstance(arg, sp.MatrixBase) else f(arg)

    def b_sum(self, node):
        (lower, upper), body = node.value, node.children[0]
        name, values = self.sum_range(lower, upper, node)
        saved = dict(self.world.indices)
        total = None
        try:
            for value in values:
                self.world.indices[name] = value
                term = self.build(body)
                if total is not None and _shape(term) != _shape(total):
                    self.fail("the terms of this sum have different shapes", body)
                total = term if total is None else total + term
        finally:
            self.world.indices = saved
        return total

    def sum_range(self, lower, upper, node):
        """Index name and the values it runs over, from the raw tokens of the bounds."""
        w = self.world
        start, toks = lower
        if toks[0].kind != "letter":
            self.fail("a sum's subscript must start with its index, e.g. \\sum_{w} or \\sum_{s=1}^{K}", node)
        name = toks[0].text + ("'" if len(toks) > 1 and toks[1].text == "'" else "")
        rest = "".join(t.text for t in toks[1:]).replace("'", "", 1 if name.endswith("'") else 0)
        up = "".join(t.text for t in upper[1]) if upper else ""
        negatives = "K" in up or (not up and not rest and name in ("s", "k"))
        if negatives:
            return name, list(range(1, w.K + 1))
        values = list(range(w.V))
        if rest.startswith(("neq", "ne")) and rest.endswith("o"):
            values = [v for v in values if v != w.o]
        elif rest and not (rest.startswith("in") or rest.startswith("=")):
            self.fail(f"cannot read the range of this sum ({rest!r})", node)
        return name, values


def build(text, tree, world):
    """Build the SymPy value of a parsed answer in ``world`` (raises :class:`AnswerMeaningError`)."""
    return Builder(text, world).build(tree)


def read(text, world, tree=None, builder=Builder, description="as written", changes=()):
    """``text`` read in ``world`` as a :class:`~derivations.coursework.verdicts.Reading` (never raises on bad LaTeX).

    ``tree`` is ``parse(text)`` if the caller has it. A formula that does not
    parse is a reading with no value and ``error_kind`` ``syntax``; one that
    does not build, ``meaning``; both with the message and the position.
    ``builder`` is :class:`Builder` or a subclass that knows more symbols.
    """
    if tree is None:
        try:
            tree = parse(text)
        except AnswerSyntaxError as exc:
            return Reading(description, None, str(exc), changes, exc.position, SYNTAX)
    try:
        value = builder(text, world).build(tree)
    except AnswerSyntaxError as exc:
        return Reading(description, None, str(exc), changes, exc.position, MEANING)
    return Reading(description, value, "", changes)
