"""A small LaTeX math tokenizer and recursive-descent parser for written answers.

The student's text is only ever *read*: characters become tokens, tokens become
a tree of :class:`Node` objects. Nothing here calls ``eval``, ``exec``,
``sympify`` or any other parser; :mod:`derivations.coursework.answers.notation` turns the
tree into SymPy one node at a time.

Grammar (juxtaposition is multiplication, as in a write-up)::

    answer    := [side "="]* expr [qualifier] ["."] EOF       the last side is the answer
    qualifier := ("," | \\quad | \\forall | \\text{for ...} ) anything   (kept as text, e.g. "\\forall s")
    expr      := ["+" | "-"] product (("+" | "-") product)*
    relation  := expr (relop expr)+          relop: = < > \\neq \\ne \\leq \\le \\geq \\ge \\in ...
    condition := relation ("," relation)* | \\text{otherwise}
    product   := factor ((\\cdot | \\times | \\odot | "*" | "/")? factor)*
    factor    := "-" factor | atom scripts
    scripts   := ("_" script | "^" script | "'")*     sub- and superscript in either order
    atom      := number | letter | "(" expr ")" | "[" expr "]" | "{" expr "}" | "|" expr "|"
               | "[" row "]" | \\left[ row \\right]                 row := expr ([","] (ellipsis | expr))*
               | \\left( expr \\right) | \\frac{expr}{expr} | \\frac{\\partial J(...)}{\\partial X}
               | \\partial J / \\partial X
               | \\hat{..} | \\mathbf{..} (and other wrappers, \\bU-style macros) | \\text{words}
               | \\sigma | \\exp | \\log | \\ln  followed by an argument
               | \\max(expr, expr, ...) | \\min(...) | \\lim_{h \\to point[^+ | ^-]} product
               | \\sum [scripts] product | \\mathbb{1}_{condition} | \\mathbb{1}[condition]
               | \\begin{cases} expr & condition \\\\ ... \\end{cases}
               | \\begin{bmatrix} (expr | ellipsis) & ... \\\\ ... \\end{bmatrix}
                                                    ellipsis: \\cdots \\dots \\ldots \\vdots

Brackets and subscripts may hold a condition (``[w = o]``, ``1_{w_k = w_s}``: an
indicator); a braced subscript with a comma is kept as a list (``U_{o,\\{w_1,\\dots,w_K\\}}``).
Limits keep every input cheap: at most :data:`MAX_CHARS` characters,
:data:`MAX_TOKENS` tokens and :data:`MAX_DEPTH` levels of nesting.
Malformed input raises :class:`AnswerSyntaxError` with the position and a caret.
"""
from dataclasses import dataclass, field

MAX_CHARS = 2000
MAX_TOKENS = 600
MAX_DEPTH = 200       # parser levels; one pair of parentheses costs 4
MAX_NUMBER_DIGITS = 15


class AnswerError(ValueError):
    """Base of every error the answer checker raises on a student's input."""


class AnswerSyntaxError(AnswerError):
    """Malformed LaTeX: ``.position`` is the 0-based offset; ``str()`` shows a caret under it."""

    def __init__(self, message, text, position):
        self.message, self.text, self.position = message, text, position
        super().__init__(self.render())

    def render(self):
        # A window of at most 120 characters around the position, the caret under it.
        start = max(0, min(self.position - 60, len(self.text) - 120))
        shown = self.text[start:start + 120].replace("\n", " ").replace("\t", " ")
        lead = "..." if start > 0 else ""
        caret_at = len(lead) + min(self.position - start, len(shown))
        return f"{self.message} (at position {self.position})\n  {lead}{shown}\n  {' ' * caret_at}^"


@dataclass
class Token:
    kind: str       # "num", "letter", "cmd", "op", "eof"
    text: str
    pos: int
    end: int = -1   # offset just past the token in the text


@dataclass
class Node:
    kind: str       # num, var, add, mul, div, neg, pow, sub, call, sum, word, group, hat, prime, abs,
    #                 rel, cases, deriv, list, otherwise, qualified, undefined
    pos: int
    value: object = None
    children: list = field(default_factory=list)
    end: int = -1   # offset just past the node's text (-1: unknown)


# Unicode a student may paste from a PDF, mapped to the LaTeX it stands for.
UNICODE = {"σ": r"\sigma ", "·": r"\cdot ", "⋅": r"\cdot ", "×": r"\times ", "−": "-", "⊤": r"\top ",
           "ᵀ": "^T", "∑": r"\sum ", "ŷ": r"\hat{y}", "∈": r"\in ", "∂": r"\partial ", "′": "'",
           "≠": r"\neq ", "≤": r"\leq ", "≥": r"\geq ", "∀": r"\forall ", "α": r"\alpha ", "⊙": r"\odot ",
           "∘": r"\circ ", "𝟙": r"\mathbb{1}", "∇": r"\nabla ", "…": r"\dots ", "⋯": r"\cdots ",
           "→": r"\to ", "\u2009": " ", "\u00a0": " "}
WRAPPERS = {"mathbf", "boldsymbol", "bm", "vec", "mathrm", "mathit", "mathsf", "mathbb", "operatorname",
            "textbf", "mathds", "mathbbm", "pmb", "mathcal", "bold", "mathnormal", "symbf", "underline",
            "overrightarrow", "displaystyle"}
HATS = {"hat", "widehat"}
FUNCTIONS = {"sigma", "exp", "log", "ln"}
EXTREMA = {"max", "min"}              # \max(a, b): two or more arguments
ELLIPSES = {"cdots", "ldots", "dots", "dotsc", "dotsb", "vdots"}
MATRICES = {"bmatrix", "pmatrix", "matrix", "Bmatrix"}
ARROWS = {"to", "rightarrow"}
SPACING = {",", ";", "!", ":", " ", ">", "displaystyle", "limits", "nolimits", "left.", "right."}
QUADS = {"quad", "qquad"}
SIZERS = {"big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl", "Biggr"}
FRACS = {"frac", "dfrac", "tfrac"}
TRANSPOSES = {"top", "intercal", "T", "mathsf"}
OPS = set("+-*/^_()[]{}|,'=<>&:.")
RELATIONS = {"=": "=", "<": "<", ">": ">", "neq": "!=", "ne": "!=", "leq": "<=", "le": "<=", "leqslant": "<=",
             "geq": ">=", "ge": ">=", "geqslant": ">=", "in": "in", "notin": "notin", "lt": "<", "gt": ">"}
# \text{...} words that start a qualifier or a case condition rather than a term.
QUALIFIER_WORDS = ("for", "if", "when", "where", "with", "all", "otherwise", "else", "and", "whenever",
                   "forall", "foreach", "ow")
UNDEFINED_WORDS = ("undefined", "notdefined", "doesnotexist", "dne", "notdifferentiable", "none",
                   "undef", "nan")
# Commands that continue or end a term rather than start one.
NOT_A_START = {"right", "cdot", "times", "odot", "circ", "ast", "in", "bigr", "Bigr", "biggr", "Biggr",
               "quad", "qquad", "forall", "end", "\\", "neq", "ne", "leq", "le", "geq", "ge", "lt", "gt",
               "leqslant", "geqslant", "notin", "mid", "land", "wedge", "}", "rbrace"} | ELLIPSES | ARROWS


def _bold_macro(name):
    """The CS224N template's bold macros: ``\\bU``, ``\\bv``, ``\\by`` ... stand for the letter."""
    return len(name) == 2 and name[0] == "b" and name[1].isalpha()


def tokenize(text):
    """Split ``text`` into tokens; raise :class:`AnswerSyntaxError` on a character we do not read."""
    if not isinstance(text, str):
        raise AnswerError(f"answer must be a string of LaTeX, got {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise AnswerSyntaxError(f"answer is longer than {MAX_CHARS} characters", text[:MAX_CHARS], MAX_CHARS)
    tokens, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch in " \t\n\r$":
            i += 1
        elif ch in UNICODE:
            sub = tokenize(UNICODE[ch])[:-1]
            tokens += [Token(t.kind, t.text, i, i + 1) for t in sub]
            i += 1
        elif ch.isascii() and ch.isdigit() or (ch == "." and i + 1 < len(text) and text[i + 1].isdigit()):
            j = i
            while j < len(text) and text[j].isascii() and (text[j].isdigit() or text[j] == "."):
                j += 1
            num = text[i:j]
            if num.endswith(".") and num.count(".") == 1 and j == len(text.rstrip(" $")):
                num, j = num[:-1], j - 1          # "... 2." ends a sentence
            if num.count(".") > 1:
                raise AnswerSyntaxError(f"malformed number {num!r}", text, i)
            if len(num.replace(".", "")) > MAX_NUMBER_DIGITS:
                raise AnswerSyntaxError(f"number with more than {MAX_NUMBER_DIGITS} digits", text, i)
            tokens.append(Token("num", num, i, j))
            i = j
        elif ch.isascii() and ch.isalpha():
            tokens.append(Token("letter", ch, i, i + 1))
            i += 1
        elif ch == "\\":
            j = i + 1
            if j < len(text) and text[j].isascii() and text[j].isalpha():
                while j < len(text) and text[j].isascii() and text[j].isalpha():
                    j += 1
            elif j < len(text):
                j += 1
            else:
                raise AnswerSyntaxError("a lone backslash ends the answer", text, i)
            name = text[i + 1:j]
            if name in ("left", "right") and j < len(text) and text[j] == ".":
                j += 1                            # \left. and \right. are invisible
                name += "."
            if name not in SPACING:
                tokens.append(Token("cmd", name, i, j))
            i = j
        elif ch in OPS:
            tokens.append(Token("op", ch, i, i + 1))
            i += 1
        else:
            raise AnswerSyntaxError(f"unexpected character {ch!r} (U+{ord(ch):04X})", text, i)
        if len(tokens) > MAX_TOKENS:
            raise AnswerSyntaxError(f"answer has more than {MAX_TOKENS} symbols", text, i)
    tokens.append(Token("eof", "", len(text), len(text)))
    return tokens


class Parser:
    """Recursive descent over :func:`tokenize`'s tokens; see the module docstring for the grammar."""

    def __init__(self, text, tokens=None):
        self.text = text
        self.tokens = tokenize(text) if tokens is None else tokens
        self.i = 0
        self.depth = 0

    # -- helpers
    def peek(self, k=0):
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def next(self):
        tok = self.peek()
        self.i += 1
        return tok

    def last_end(self):
        return self.tokens[max(0, min(self.i, len(self.tokens)) - 1)].end

    def done(self, node):
        if node.end < 0:
            node.end = self.last_end()
        return node

    def error(self, message, tok=None):
        tok = tok or self.peek()
        return AnswerSyntaxError(message, self.text, tok.pos)

    def is_op(self, ch, k=0):
        t = self.peek(k)
        return t.kind == "op" and t.text == ch

    def is_cmd(self, *names, k=0):
        t = self.peek(k)
        return t.kind == "cmd" and t.text in names

    def is_relation(self):
        t = self.peek()
        return (t.kind == "op" and t.text in "=<>") or (t.kind == "cmd" and t.text in RELATIONS)

    def expect_op(self, ch, opened=None):
        if not self.is_op(ch):
            where = f" to close {opened[0]!r} opened at position {opened[1]}" if opened else ""
            found = self.peek().text or "the end of the answer"
            raise self.error(f"expected {ch!r}{where}, found {found!r}")
        return self.next()

    def enter(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nested more than {MAX_DEPTH} levels deep")

    def leave(self):
        self.depth -= 1

    def text_word(self, k=0):
        """The letters of a ``\\text{...}`` starting ``k`` tokens ahead (lower case), or None."""
        if not (self.is_cmd("text", "textrm", "mbox", "textit", "textnormal", k=k) and self.is_op("{", k=k + 1)):
            return None
        word, j = "", k + 2
        while self.peek(j).kind not in ("eof",) and not self.is_op("}", k=j):
            word += self.peek(j).text
            j += 1
        return word.lower()

    def at_qualifier(self):
        """Does a trailing qualifier (``, w \\neq o``, ``\\forall s``, ``\\text{for all } w``) start here?"""
        if self.is_cmd("forall", "quad", "qquad") or self.is_op(","):
            return True
        word = self.text_word()
        return word is not None and word.startswith(QUALIFIER_WORDS)

    # -- grammar
    def parse(self):
        if self.peek().kind == "eof":
            raise self.error("the answer is empty")
        node = self.expr()
        sides = [node]
        while self.is_op("="):                     # "\frac{\partial J}{\partial v_c} = ...": the last side
            self.next()
            if self.peek().kind == "eof":
                raise self.error("the answer ends after '='")
            sides.append(self.expr())
        node = sides[-1]
        if self.at_qualifier() and not (self.is_op(",") and self.peek(1).kind == "eof"):
            start = self.peek()
            while self.peek().kind != "eof":
                self.next()
            text = self.text[start.pos:self.last_end()]
            node = Node("qualified", start.pos, text.strip(), [node], self.last_end())
        while self.is_op(".") or self.is_op(",") or self.is_cmd("quad", "qquad"):    # a full stop
            self.next()
        if self.peek().kind != "eof":
            tok = self.peek()
            if self.is_relation():
                raise self.error(f"unexpected {tok.text!r}: a condition belongs after a comma "
                                 f"(e.g. '..., \\quad w \\neq o') or in \\begin{{cases}}")
            raise self.error(f"unexpected {tok.text!r}: expected an operator or the end of the answer")
        return node

    def expr(self):
        self.enter()
        pos = self.peek().pos
        terms = []
        sign = 1
        if self.is_op("+") or self.is_op("-"):
            sign = -1 if self.next().text == "-" else 1
        terms.append((sign, self.product()))
        while self.is_op("+") or self.is_op("-"):
            sign = -1 if self.next().text == "-" else 1
            terms.append((sign, self.product()))
        self.leave()
        if len(terms) == 1 and terms[0][0] == 1:
            return terms[0][1]
        return self.done(Node("add", pos, [s for s, _ in terms], [t for _, t in terms]))

    def relation(self, first=None):
        """``expr (relop expr)+`` (``first`` already parsed), or a lone expr if no relation follows."""
        pos = self.peek().pos if first is None else first.pos
        first = self.expr() if first is None else first
        if not self.is_relation():
            return first
        ops, sides = [], [first]
        while self.is_relation():
            tok = self.next()
            ops.append(RELATIONS[tok.text])
            sides.append(self.expr())
        return self.done(Node("rel", pos, ops, sides))

    def condition(self):
        """A case's or indicator's condition: relations joined by commas or \\text{and}; or otherwise."""
        pos = self.peek().pos
        word = self.text_word()
        if word is not None:
            if word.startswith(("otherwise", "else", "ow", "o.w")) or word in ("", "all"):
                self.skip_text()
                return self.done(Node("otherwise", pos))
            if word.startswith(QUALIFIER_WORDS):
                self.skip_text()
        parts = [self.relation()]
        while self.is_op(",") or self.is_cmd("land", "wedge") or (self.text_word() or "x").strip() == "and":
            if self.text_word() is not None:
                self.skip_text()
            else:
                self.next()
            parts.append(self.relation())
        if len(parts) == 1:
            return parts[0]
        return self.done(Node("rel", pos, ["and"], parts))

    def skip_text(self):
        self.next()
        self.next()
        while not self.is_op("}") and self.peek().kind != "eof":
            self.next()
        self.expect_op("}")

    def starts_factor(self):
        t = self.peek()
        if t.kind in ("num", "letter"):
            return True
        if t.kind == "op":
            return t.text in "([{"
        if t.kind == "cmd" and t.text in ("text", "textrm", "mbox"):
            word = self.text_word()
            return not (word is not None and word.startswith(QUALIFIER_WORDS))
        return t.kind == "cmd" and t.text not in NOT_A_START and t.text not in RELATIONS

    def product(self):
        self.enter()
        pos = self.peek().pos
        factors, ops = [self.factor()], []
        while True:
            if self.is_cmd("cdot", "times", "ast") or self.is_op("*"):
                ops.append("dot" if self.next().text == "cdot" else "mul")
            elif self.is_cmd("odot", "circ"):
                self.next()
                ops.append("had")
            elif self.is_op("/"):
                self.next()
                ops.append("div")
            elif self.starts_factor():
                ops.append("mul")
            else:
                break
            factors.append(self.factor())
        self.leave()
        if not ops:
            return factors[0]
        return self.done(Node("mul", pos, ops, factors))

    def factor(self):
        self.enter()
        tok = self.peek()
        if self.is_op("-") or self.is_op("+"):
            self.next()
            inner = self.factor()
            self.leave()
            return self.done(Node("neg", tok.pos, None, [inner])) if tok.text == "-" else inner
        node = self.scripts(self.atom())
        self.leave()
        return node

    def script(self):
        """The argument of ``_`` or ``^``: a braced group (maybe a condition or a list), or one token."""
        tok = self.peek()
        if self.is_op("{"):
            if self._braced_has_comma():
                return self.braced_list()
            return self.braced(self.relation)
        if tok.kind == "num":
            self.next()
            if len(tok.text) > 1:            # x^23 is x^2 3 in LaTeX: refuse the ambiguity
                raise AnswerSyntaxError(f"write ^{{{tok.text}}} with braces", self.text, tok.pos)
            return self.done(Node("num", tok.pos, tok.text))
        if tok.kind == "letter":
            self.next()
            return self.done(Node("var", tok.pos, tok.text))
        if tok.kind == "cmd" and tok.text in TRANSPOSES:
            self.next()
            if tok.text == "mathsf":         # ^\mathsf{T}
                self.group("\\mathsf")
            return self.done(Node("var", tok.pos, "T"))
        if tok.kind == "cmd":
            return self.atom()
        if self.is_op("-"):
            raise self.error("write a negative exponent in braces, e.g. ^{-1}")
        raise self.error("expected a subscript or superscript after '_' or '^'")

    def _braced_has_comma(self):
        """Does the braced group starting here hold a comma outside any inner bracket (a list)?"""
        return self._before_close(lambda k: self.is_op(",", k=k), k=1)

    def _before_close(self, match, k=0):
        """Does a token for which ``match(k)`` holds come before the bracket we are in closes,
        outside any inner bracket? ``k``: how many tokens ahead to start."""
        depth = 0
        while True:
            t = self.peek(k)
            if t.kind == "eof":
                return False
            if (t.kind == "op" and t.text in "([{") or self.is_cmd("left", k=k):
                depth += 1
            elif (t.kind == "op" and t.text in ")]}") or self.is_cmd("right", k=k):
                depth -= 1
                if depth < 0:
                    return False
            elif depth == 0 and match(k):
                return True
            k += 1

    def braced_list(self):
        """``{a, b, ...}`` as a ``list`` node whose value is the raw text of each item."""
        opened = self.next()
        items, start, depth = [], self.peek(), 1
        while True:
            t = self.peek()
            if t.kind == "eof":
                raise self.error(f"expected '}}' to close '{{' opened at position {opened.pos}")
            if t.kind == "op" and t.text in "{([":
                depth += 1
            elif t.kind == "op" and t.text in "})]":
                depth -= 1
                if depth == 0:
                    break
            if t.kind == "op" and t.text == "," and depth == 1:
                items.append(self.text[start.pos:t.pos].strip())
                self.next()
                start = self.peek()
                continue
            self.next()
        items.append(self.text[start.pos:self.peek().pos].strip())
        self.next()
        return self.done(Node("list", opened.pos, items))

    def scripts(self, base):
        sub = sup = None
        primes = []
        while self.is_op("_") or self.is_op("^") or self.is_op("'"):
            tok = self.next()
            if tok.text == "'":
                primes.append(tok)
                continue
            if tok.text == "_":
                if sub is not None:
                    raise AnswerSyntaxError("double subscript", self.text, tok.pos)
                sub = (tok, self.script())
            else:
                if sup is not None:
                    raise AnswerSyntaxError("double superscript: use braces, e.g. a^{b^{c}}",
                                            self.text, tok.pos)
                sup = (tok, self.script())
        # the subscript binds first whatever the order: u^T_o is (u_o)^T
        if sub is not None:
            base = self.done(Node("sub", sub[0].pos, None, [base, sub[1]]))
            base.pos = min(base.pos, base.children[0].pos)
        for tok in primes:
            base = self.done(Node("prime", tok.pos, None, [base]))
        if sup is not None:
            base = self.done(Node("pow", sup[0].pos, None, [base, sup[1]]))
        return base

    def group(self, what):
        if not self.is_op("{"):
            t = self.peek()
            if t.kind in ("letter", "num"):       # \hat y, \frac12
                self.next()
                return self.done(Node("var" if t.kind == "letter" else "num", t.pos, t.text))
            if t.kind == "cmd":
                return self.atom()
            raise self.error(f"expected {{...}} after {what}")
        return self.braced()

    def braced(self, rule=None):
        """``{ ... }`` read by ``rule`` (default :meth:`expr`; a script takes :meth:`relation`),
        the current token being the ``{``."""
        opened = self.next()
        if self.is_op("}"):
            raise self.error("empty group {}")
        node = (rule or self.expr)()
        self.expect_op("}", ("{", opened.pos))
        return node

    def atom(self):
        self.enter()
        try:
            node = self._atom()
            return self.done(node)
        finally:
            self.leave()

    def _bracketed(self, tok, close):
        """The inside of a bracket: an expression, a condition (an indicator ``[w = o]``), or a row
        of entries with an ellipsis (``[a_0 \\cdots a_K]``, ``\\left[a, \\dots, b\\right]``)."""
        node = self.expr()
        if close != "|" and self._before_close(lambda k: self.is_cmd(*ELLIPSES, k=k)):
            return self.bracket_row(node)
        if self.is_relation():
            node = self.relation(node)
            while self.is_op(",") or self.is_cmd("land", "wedge"):
                self.next()
                node = Node("rel", tok.pos, ["and"], [node, self.relation()])
        return node

    def _atom(self):
        tok = self.peek()
        if tok.kind == "num":
            self.next()
            return Node("num", tok.pos, tok.text)
        if tok.kind == "letter":
            self.next()
            return Node("var", tok.pos, tok.text)
        if tok.kind == "op" and tok.text in "([{|":
            opened = self.next()
            close = {"(": ")", "[": "]", "{": "}", "|": "|"}[tok.text]
            if self.is_op(close):
                raise self.error(f"empty {tok.text}{close}")
            node = self._bracketed(tok, close)
            self.expect_op(close, (tok.text, opened.pos))
            return Node("abs" if close == "|" else "group", tok.pos, tok.text, [node])
        if tok.kind == "eof":
            raise self.error("the answer ends where a term was expected")
        if tok.kind == "op":
            raise self.error(f"unexpected {tok.text!r} where a term was expected")
        name = tok.text
        self.next()
        if name in ("left", "{"):
            if name == "left":
                t = self.next()
                if not (t.kind == "op" and t.text in "([|") and not (t.kind == "cmd" and t.text in ("{", "lbrace")):
                    raise AnswerSyntaxError("expected (, [, | or \\{ after \\left", self.text, t.pos)
                bar = t.kind == "op" and t.text == "|"
            else:
                bar = False
            node = self._bracketed(tok, ")")
            if name == "{":
                if not self.is_cmd("}"):
                    raise self.error(f"expected \\}} to close \\{{ at position {tok.pos}")
                self.next()
                return Node("group", tok.pos, "{", [node])
            if not self.is_cmd("right"):
                raise self.error(f"expected \\right to close \\left at position {tok.pos}")
            self.next()
            r = self.next()
            if not ((r.kind == "op" and r.text in ")]|") or (r.kind == "cmd" and r.text in ("}", "rbrace"))):
                raise AnswerSyntaxError("expected ), ], | or \\} after \\right", self.text, r.pos)
            return Node("abs" if bar else "group", tok.pos, "(", [node])
        if name in SIZERS:
            return self._atom()
        if name in FRACS:
            if self.is_op("{") and self.is_cmd("partial", k=1):
                return self.derivative(tok)
            if (self.is_op("{") and self.peek(1).kind == "letter" and self.peek(1).text == "d"
                    and self.is_op("}", k=2) and self.is_op("{", k=3) and self.peek(4).text == "d"):
                return self.derivative(tok)          # \frac{d}{dx} ...
            num = self.group(f"\\{name}")
            den = self.group(f"\\{name}{{...}}")
            return Node("div", tok.pos, None, [num, den])
        if name == "nabla":                          # \nabla_{U} J(v_c, w_{t+j}, U)
            if not self.is_op("_"):
                raise self.error("expected the variable after \\nabla, e.g. \\nabla_{U}")
            self.next()
            wrt = self.script()
            return Node("deriv", tok.pos, self.loss_text(), [wrt])
        if name in HATS:
            return Node("hat", tok.pos, None, [self.group(f"\\{name}")])
        if name in WRAPPERS and self.is_op("{") and self.is_cmd(*FUNCTIONS, k=1) and self.is_op("}", k=2):
            self.next()                                  # \boldsymbol{\sigma}(...) is \sigma(...)
            name = self.next().text
            self.next()
        if name in WRAPPERS:
            return self.group(f"\\{name}")
        if name in ("text", "textrm", "mbox", "textit", "textnormal"):
            if not self.is_op("{"):
                raise self.error("expected {word} after \\text")
            self.next()
            word = ""
            while not self.is_op("}"):
                if self.peek().kind == "eof":
                    raise self.error(f"expected '}}' to close \\text at position {tok.pos}")
                word += self.next().text
            self.next()
            if word.lower().replace(" ", "").replace(".", "") in UNDEFINED_WORDS:
                return Node("undefined", tok.pos, word)
            return Node("word", tok.pos, word)
        if name in FUNCTIONS:
            exponent = None
            if self.is_op("^"):                      # \sigma^2(x), \log^2 x
                self.next()
                exponent = self.script()
            primed = self.is_op("'")
            if primed:                                # \sigma'(x): derivative notation (an equation's left side)
                self.next()
            if self.is_op("(") or self.is_op("[") or self.is_cmd("left", *SIZERS) or self.is_op("{"):
                arg = self.atom()                    # \sigma(x)^2 is (\sigma(x))^2: scripts go to the call
            else:
                if not self.starts_factor():
                    raise self.error(f"\\{name} needs an argument")
                arg = self.factor()
            node = self.done(Node("call", tok.pos, name, [arg]))
            if primed:
                node = self.done(Node("prime", tok.pos, None, [node]))
            return Node("pow", tok.pos, None, [node, exponent]) if exponent is not None else node
        if name in EXTREMA:
            return Node("call", tok.pos, name, self.arguments(tok))
        if name == "lim":
            return self.limit(tok)
        if name == "sum":
            lower = upper = None
            while self.is_op("_") or self.is_op("^") or self.is_cmd("limits", "nolimits"):
                which = self.next().text
                if which == "_":
                    if lower is not None:
                        raise self.error("double subscript on \\sum")
                    lower = self.sum_bound()
                elif which == "^":
                    if upper is not None:
                        raise self.error("double superscript on \\sum")
                    upper = self.sum_bound()
            if not self.starts_factor():
                raise self.error("\\sum needs a term to sum")
            body = self.product()
            return Node("sum", tok.pos, (lower, upper), [body])
        if name == "begin":
            return self.environment(tok)
        if name in ("alpha", "beta", "theta", "delta", "lambda", "mu", "pi", "tau"):
            return Node("var", tok.pos, name)
        if name in ("top", "intercal"):
            return Node("var", tok.pos, "T")             # ^{\top}: read as the exponent T
        if name == "partial" and self.peek().kind == "letter" and self.peek().text == "J":
            loss = self.loss_text()                  # \partial J / \partial U
            if not (self.is_op("/") and self.is_cmd("partial", k=1)):
                raise self.error("expected / \\partial X after \\partial J, e.g. \\partial J/\\partial U")
            self.next()
            self.next()
            return Node("deriv", tok.pos, loss, [self.scripts(self.atom())])
        if name in ("partial",):
            raise AnswerSyntaxError("write the final formula; \\partial belongs in \\frac{\\partial J(...)}"
                                    "{\\partial U}", self.text, tok.pos)
        if _bold_macro(name):
            return Node("var", tok.pos, name[1])
        raise AnswerSyntaxError(f"unknown command \\{name}", self.text, tok.pos)

    def bracket_row(self, first):
        """``a \\cdots b`` (commas allowed) inside a bracket: one row of a matrix."""
        entries = [first]
        while True:
            if self.is_op(","):
                self.next()
            if self.is_cmd(*ELLIPSES):
                t = self.next()
                entries.append(self.done(Node("dots", t.pos, t.text)))
            elif self.is_op(")") or self.is_op("]") or self.is_cmd("right"):
                break
            else:
                entries.append(self.expr())
                if not (self.is_op(",") or self.is_cmd(*ELLIPSES)):
                    break
        return self.done(Node("matrix", first.pos, None, [Node("mrow", first.pos, None, entries)]))

    def matrix(self, tok, name):
        """``\\begin{bmatrix} a & \\cdots & b \\\\ ... \\end{bmatrix}``: rows of entries, ``\\cdots`` and
        ``\\vdots`` standing for the entries between their neighbours."""
        rows, entries = [], []
        while not self.is_cmd("end"):
            if self.peek().kind == "eof":
                raise self.error(f"expected \\end{{{name}}} to close \\begin{{{name}}} at position {tok.pos}")
            if self.is_cmd(*ELLIPSES):
                t = self.next()
                entries.append(self.done(Node("dots", t.pos, t.text)))
            else:
                entries.append(self.expr())
            if self.is_op("&"):
                self.next()
            elif self.is_cmd("\\"):
                self.next()
                rows.append(entries)
                entries = []
            elif self.peek().kind == "eof":
                raise self.error(f"expected \\end{{{name}}} to close \\begin{{{name}}} at position {tok.pos}")
            elif not self.is_cmd("end"):
                raise self.error(f"expected &, \\\\ or \\end{{{name}}} after a matrix entry")
        if entries:
            rows.append(entries)
        end = self.next()
        if self.env_name(end) != name:
            raise AnswerSyntaxError(f"\\begin{{{name}}} ends with another environment", self.text, end.pos)
        if not rows:
            raise AnswerSyntaxError(f"\\begin{{{name}}} needs at least one entry", self.text, tok.pos)
        return Node("matrix", tok.pos, name, [Node("mrow", r[0].pos, None, r) for r in rows])

    def arguments(self, tok):
        """``(a, b, ...)``, ``\\left( ... \\right)`` or ``\\{a, b\\}`` after ``\\max``/``\\min``: two or more."""
        left = self.is_cmd("left")
        if left:
            self.next()
        opened = self.next()
        closers = {"(": ")", "[": "]", "{": "}", "lbrace": "}"}
        if opened.text not in closers or (opened.kind == "op") == (opened.text in ("{", "lbrace")):
            raise AnswerSyntaxError(f"expected ( after \\{tok.text}", self.text, opened.pos)
        args = [self.expr()]
        while self.is_op(","):
            self.next()
            args.append(self.expr())
        if left:
            if not self.is_cmd("right"):
                raise self.error(f"expected \\right to close \\left at position {opened.pos}")
            self.next()
        close = self.next()
        if close.text != closers[opened.text]:
            raise AnswerSyntaxError(f"expected {closers[opened.text]!r} to close the arguments of \\{tok.text} "
                                    f"opened at position {opened.pos}", self.text, close.pos)
        if len(args) < 2:
            raise AnswerSyntaxError(f"\\{tok.text} needs two or more arguments, e.g. \\{tok.text}(\\alpha x, x)",
                                    self.text, tok.pos)
        return args

    def limit(self, tok):
        """``\\lim_{h \\to 0^+} term`` (also ``0^-``, ``0``): the variable, the point, the side."""
        if not (self.is_op("_") and self.is_op("{", k=1)):
            raise self.error("expected _{h \\to 0} after \\lim")
        self.next()
        opened = self.next()
        var = self.next()
        if var.kind != "letter":
            raise AnswerSyntaxError("expected the variable of \\lim, e.g. h in \\lim_{h \\to 0}", self.text, var.pos)
        if not self.is_cmd(*ARROWS):
            raise self.error("expected \\to after the variable of \\lim")
        self.next()
        sign = self.next() if (self.is_op("-") or self.is_op("+")) else None
        point = self.atom()
        if self.is_op("_"):                       # a subscripted point (its ^ is the side, not a power)
            under = self.next()
            point = self.done(Node("sub", point.pos, None, [point, self.script()]))
            point.pos = min(point.pos, under.pos)
        if sign is not None and sign.text == "-":
            point = self.done(Node("neg", sign.pos, None, [point]))
        side = "+-"
        if self.is_op("^"):
            self.next()
            braced = self.is_op("{")
            if braced:
                self.next()
            if not (self.is_op("+") or self.is_op("-")):
                raise self.error("expected + or - after ^ in the point of \\lim (0^+ from the right)")
            side = self.next().text
            if braced:
                self.expect_op("}")
        self.expect_op("}", ("{", opened.pos))
        if not self.starts_factor():
            raise self.error("\\lim needs a term to take the limit of")
        return Node("limit", tok.pos, (var.text, side), [point, self.product()])

    def loss_text(self):
        """``J``, ``J_{\\text{...}}`` and an optional ``(v_c, w_{t+j}, U)``: kept as text."""
        start = self.peek()
        if not (start.kind == "letter" and start.text == "J"):
            raise self.error("expected the loss J, e.g. J(v_c, w_{t+j}, U)")
        self.next()
        if self.is_op("_"):
            self.next()
            self.script()
        if self.is_op("(") or self.is_cmd("left"):
            depth = 0
            while True:
                t = self.next()
                if t.kind == "eof":
                    raise AnswerSyntaxError("unclosed ( after J", self.text, start.pos)
                if (t.kind == "op" and t.text == "(") or (t.kind == "cmd" and t.text == "left"):
                    depth += 1 if t.kind == "op" else 0
                if t.kind == "op" and t.text == ")":
                    depth -= 1
                    if depth <= 0:
                        break
        return self.text[start.pos:self.last_end()]

    def derivative(self, tok):
        """``\\frac{\\partial J(...)}{\\partial X}``, ``\\frac{\\partial (expr)}{\\partial X}``,
        ``\\frac{\\partial}{\\partial X} expr`` or ``\\frac{d}{dx} expr``."""
        opened = self.next()                          # {
        self.next()                                   # \partial or d
        loss = expr = None
        if self.peek().kind == "letter" and self.peek().text == "J":
            start, depth = self.peek(), 1
            while True:
                t = self.peek()
                if t.kind == "eof":
                    raise self.error(f"expected '}}' to close '{{' opened at position {opened.pos}")
                if t.kind == "op" and t.text == "{":
                    depth += 1
                elif t.kind == "op" and t.text == "}":
                    depth -= 1
                    if depth == 0:
                        break
                self.next()
            loss = self.text[start.pos:self.last_end()]
        elif not self.is_op("}"):
            expr = self.expr()
        self.expect_op("}")
        if self.is_op("{") and self.is_cmd("partial", k=1):
            self.next()
            self.next()
            wrt = self.scripts(self.atom())
        elif self.is_op("{") and self.peek(1).kind == "letter" and self.peek(1).text == "d":
            self.next()
            self.next()
            wrt = self.scripts(self.atom())
        else:
            raise self.error("expected {\\partial X} under \\partial")
        self.expect_op("}")
        if loss is None and expr is None:
            if self.peek().kind == "letter" and self.peek().text == "J":
                loss = self.loss_text()
            elif self.starts_factor():
                expr = self.product()
            else:
                raise self.error("expected what to differentiate after \\frac{\\partial}{\\partial X}")
        return Node("deriv", tok.pos, loss, [wrt] + ([expr] if expr is not None else []))

    def environment(self, tok):
        name = self.env_name(tok)
        if name in MATRICES:
            return self.matrix(tok, name)
        if name not in ("cases", "dcases", "rcases"):
            raise AnswerSyntaxError(f"only \\begin{{cases}} and \\begin{{bmatrix}} are read here, "
                                    f"not \\begin{{{name}}}", self.text, tok.pos)
        rows = []
        while True:
            if self.is_cmd("end"):
                break
            value = self.expr()
            if self.is_relation():              # "x & x > 0" is fine; "1, x > 0" is not
                raise self.error("expected '&' between a case's value and its condition")
            while self.is_op(","):              # "1, & x > 0"
                self.next()
            self.expect_op("&")
            cond = self.condition()
            rows.append(Node("row", value.pos, None, [value, cond]))
            while self.is_op(",") or self.is_op("."):
                self.next()
            if self.is_cmd("\\"):
                self.next()
                continue
            if not self.is_cmd("end"):
                raise self.error("expected \\\\ or \\end{cases} after a case")
        end = self.next()
        if self.env_name(end) != name:
            raise AnswerSyntaxError(f"\\begin{{{name}}} ends with another environment", self.text, end.pos)
        if not rows:
            raise AnswerSyntaxError("\\begin{cases} needs at least one case", self.text, tok.pos)
        return Node("cases", tok.pos, None, rows)

    def env_name(self, tok):
        if not self.is_op("{"):
            raise AnswerSyntaxError("expected {name} after \\begin or \\end", self.text, tok.pos)
        self.next()
        name = ""
        while self.peek().kind == "letter":
            name += self.next().text
        if self.is_op("*"):
            self.next()
        self.expect_op("}")
        return name

    def sum_bound(self):
        """A \\sum subscript/superscript, kept as raw tokens: the checker reads index and range from it."""
        start = self.peek().pos
        if self.is_op("{"):
            self.next()
            toks, depth = [], 1
            while True:
                t = self.next()
                if t.kind == "eof":
                    raise AnswerSyntaxError("unclosed { in the bounds of \\sum", self.text, start)
                if t.kind == "op" and t.text == "{":
                    depth += 1
                elif t.kind == "op" and t.text == "}":
                    depth -= 1
                    if depth == 0:
                        break
                toks.append(t)
        else:
            t = self.next()
            if t.kind not in ("letter", "num", "cmd"):
                raise AnswerSyntaxError("expected the index of \\sum", self.text, t.pos)
            toks = [t]
        if not toks:
            raise AnswerSyntaxError("empty bound on \\sum", self.text, start)
        return (start, toks)


def parse(text):
    """Parse a written answer into a :class:`Node` tree (raises :class:`AnswerSyntaxError`)."""
    return Parser(text).parse()


def parse_tokens(text, tokens, what):
    """Parse a run of ``text``'s tokens (e.g. one condition under a \\sum) as a condition."""
    end = tokens[-1].end if tokens else 0
    parser = Parser(text, list(tokens) + [Token("eof", "", end, end)])
    if parser.peek().kind == "eof":
        raise AnswerSyntaxError(f"empty {what}", text, end)
    node = parser.condition()
    if parser.peek().kind != "eof":
        raise parser.error(f"cannot read this {what}")
    return node


# What notation the reader supports (for the display-checking engineer and the docs).
SUPPORTED = """\
bold/hat variants: \\mathbf \\boldsymbol \\bm \\vec \\mathit \\textbf \\bU \\bv \\by (template macros), \\hat{y}, \\hat{y_w}
transposes: ^T ^{T} ^\\top ^{\\top} ^\\intercal ^\\mathsf{T} ' (on a matrix); sub/superscripts in either order
grouping: ( ) [ ] { } \\left( \\right) \\big( \\Big); products: juxtaposition \\cdot (dot of two columns) \\times * \\odot /
functions: \\sigma \\exp e^{...} \\log \\ln; Unicode σ · × − ⊤ ᵀ ∑ ŷ ≠ ≤ ≥ α
sums: \\sum_w \\sum_{w \\in V} \\sum_{w=1}^{|V|} \\sum_{w=0}^{|V|-1} \\sum_{w \\neq o} \\sum_{k=1}^{K} \\sum_{k: w_k = w_s}
      \\sum_{\\substack{-m \\le j \\le m \\\\ j \\ne 0}}, \\sum without bounds (index inferred)
indicators: \\mathbb{1}[w = o] \\mathbb{1}_{w_k = w_s} \\textbf{1}_{...} 1_{w=o} [x > 0] \\delta_{w,o}
cases: \\begin{cases} v & w = o \\\\ v' & w \\neq o \\end{cases}, conditions with \\text{if}/\\text{otherwise}
derivatives (part (i)): \\frac{\\partial J(v_c, w_{t+j}, U)}{\\partial U}, \\nabla_{v_c} J(...)
stacked matrix: U_{o,\\{w_1,\\dots,w_K\\}}; vector of ones: \\mathbf{1} (a number added to a column)
entries: (U^\\top v_c)_w, (U^\\top v_c)_k inside \\sum_{k=0}^{K} (the K+1 stacked scores)
rows with an ellipsis: \\begin{bmatrix} u_0 & \\cdots & u_{|V|-1} \\end{bmatrix} (or 1..|V|, 1..K, 0..K; an entry between
      two ellipses naming o is column o), \\left[a_0 \\cdots a_K\\right], [a, b, \\dots, c]
\\max(a, b), \\min(a, b); \\lim_{h \\to 0^+} f, \\lim_{h \\to 0^-} f, \\lim_{h \\to 0} f; cases on a free x (x > 0)
the slash derivative \\partial J/\\partial U; named losses J_{\\text{naive-softmax}}, J_{\\text{neg-sample}}
an equation's left side (\\frac{\\partial J}{\\partial v_c} = ...) and trailing qualifiers (, \\quad w \\neq o; \\forall s) are read off
"""
