"""A small LaTeX math tokenizer and recursive-descent parser for written answers.

The student's text is only ever *read*: characters become tokens, tokens become
a tree of :class:`Node` objects. Nothing here calls ``eval``, ``exec``,
``sympify`` or any other parser; :mod:`derivations.coursework.answers.notation` turns the
tree into SymPy one node at a time.

Grammar (juxtaposition is multiplication, as in a write-up)::

    answer   := expr EOF
    expr     := ["+" | "-"] product (("+" | "-") product)*
    product  := factor ((\\cdot | \\times | "*" | "/")? factor)*
    factor   := "-" factor | atom scripts
    scripts  := ("_" script | "^" script)*           at most one of each
    atom     := number | letter | "(" expr ")" | "[" expr "]" | "{" expr "}"
              | \\left( expr \\right) | \\frac{expr}{expr}
              | \\hat{..} | \\mathbf{..} (and other wrappers) | \\text{word}
              | \\sigma | \\exp | \\log | \\ln  followed by an atom or scripts-free factor
              | \\sum scripts product

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


@dataclass
class Node:
    kind: str       # num, var, add, mul, div, neg, pow, sub, call, sum, word, group
    pos: int
    value: object = None
    children: list = field(default_factory=list)


# Unicode a student may paste from a PDF, mapped to the LaTeX it stands for.
UNICODE = {"σ": r"\sigma", "·": r"\cdot", "×": r"\times", "−": "-", "⊤": r"\top", "∑": r"\sum",
           "ŷ": r"\hat{y}", "∈": r"\in", "∂": r"\partial"}
WRAPPERS = {"mathbf", "boldsymbol", "bm", "vec", "mathrm", "mathit", "mathsf", "mathbb", "operatorname"}
HATS = {"hat", "widehat"}
FUNCTIONS = {"sigma", "exp", "log", "ln"}
SPACING = {",", ";", "!", ":", " ", "quad", "qquad"}
SIZERS = {"big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr"}
FRACS = {"frac", "dfrac", "tfrac"}
TRANSPOSES = {"top", "intercal", "T"}
OPS = set("+-*/^_()[]{}|,'=<>")
# Commands that continue or end a term rather than start one.
NOT_A_START = {"right", "cdot", "times", "in", "top", "intercal", "bigr", "Bigr", "biggr", "Biggr"}


def tokenize(text):
    """Split ``text`` into tokens; raise :class:`AnswerSyntaxError` on a character we do not read."""
    if not isinstance(text, str):
        raise AnswerError(f"answer must be a string of LaTeX, got {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise AnswerSyntaxError(f"answer is longer than {MAX_CHARS} characters", text[:MAX_CHARS], MAX_CHARS)
    tokens, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch in " \t\n\r":
            i += 1
        elif ch in UNICODE:
            sub = tokenize(UNICODE[ch])[:-1]
            tokens += [Token(t.kind, t.text, i) for t in sub]
            i += 1
        elif ch.isascii() and ch.isdigit() or (ch == "." and i + 1 < len(text) and text[i + 1].isdigit()):
            j = i
            while j < len(text) and text[j].isascii() and (text[j].isdigit() or text[j] == "."):
                j += 1
            num = text[i:j]
            if num.count(".") > 1:
                raise AnswerSyntaxError(f"malformed number {num!r}", text, i)
            if len(num.replace(".", "")) > MAX_NUMBER_DIGITS:
                raise AnswerSyntaxError(f"number with more than {MAX_NUMBER_DIGITS} digits", text, i)
            tokens.append(Token("num", num, i))
            i = j
        elif ch.isascii() and ch.isalpha():
            tokens.append(Token("letter", ch, i))
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
            if name not in SPACING:
                tokens.append(Token("cmd", name, i))
            i = j
        elif ch in OPS:
            tokens.append(Token("op", ch, i))
            i += 1
        else:
            raise AnswerSyntaxError(f"unexpected character {ch!r} (U+{ord(ch):04X})", text, i)
        if len(tokens) > MAX_TOKENS:
            raise AnswerSyntaxError(f"answer has more than {MAX_TOKENS} symbols", text, i)
    tokens.append(Token("eof", "", len(text)))
    return tokens


class Parser:
    """Recursive descent over :func:`tokenize`'s tokens; see the module docstring for the grammar."""

    def __init__(self, text):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    # -- helpers
    def peek(self, k=0):
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def next(self):
        tok = self.peek()
        self.i += 1
        return tok

    def error(self, message, tok=None):
        tok = tok or self.peek()
        return AnswerSyntaxError(message, self.text, tok.pos)

    def is_op(self, ch, k=0):
        t = self.peek(k)
        return t.kind == "op" and t.text == ch

    def is_cmd(self, *names, k=0):
        t = self.peek(k)
        return t.kind == "cmd" and t.text in names

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

    # -- grammar
    def parse(self):
        if self.peek().kind == "eof":
            raise self.error("the answer is empty")
        node = self.expr()
        if self.peek().kind != "eof":
            tok = self.peek()
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
        return Node("add", pos, [s for s, _ in terms], [t for _, t in terms])

    def starts_factor(self):
        t = self.peek()
        if t.kind in ("num", "letter"):
            return True
        if t.kind == "op":
            return t.text in "([{"
        return t.kind == "cmd" and t.text not in NOT_A_START

    def product(self):
        self.enter()
        pos = self.peek().pos
        factors, ops = [self.factor()], []
        while True:
            if self.is_cmd("cdot", "times") or self.is_op("*"):
                ops.append("dot" if self.next().text == "cdot" else "mul")
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
        return Node("mul", pos, ops, factors)

    def factor(self):
        self.enter()
        tok = self.peek()
        if self.is_op("-") or self.is_op("+"):
            self.next()
            inner = self.factor()
            self.leave()
            return Node("neg", tok.pos, None, [inner]) if tok.text == "-" else inner
        node = self.scripts(self.atom())
        self.leave()
        return node

    def script(self):
        """The argument of ``_`` or ``^``: a braced group, or one token."""
        tok = self.peek()
        if self.is_op("{"):
            return self.braced()
        if tok.kind == "num":
            self.next()
            if len(tok.text) > 1:            # x^23 is x^2 3 in LaTeX: refuse the ambiguity
                raise AnswerSyntaxError(f"write ^{{{tok.text}}} with braces", self.text, tok.pos)
            return Node("num", tok.pos, tok.text)
        if tok.kind == "letter":
            self.next()
            return Node("var", tok.pos, tok.text)
        if tok.kind == "cmd" and tok.text in TRANSPOSES:
            self.next()
            return Node("var", tok.pos, "T")
        if tok.kind == "cmd":
            return self.atom()
        if self.is_op("-"):
            raise self.error("write a negative exponent in braces, e.g. ^{-1}")
        raise self.error("expected a subscript or superscript after '_' or '^'")

    def scripts(self, base):
        sub = sup = None
        while self.is_op("_") or self.is_op("^") or self.is_op("'"):
            tok = self.next()
            if tok.text == "'":
                base = Node("prime", tok.pos, None, [base])
                continue
            if tok.text == "_":
                if sub is not None:
                    raise AnswerSyntaxError("double subscript", self.text, tok.pos)
                sub = self.script()
                base = Node("sub", tok.pos, None, [base, sub])
            else:
                if sup is not None:
                    raise AnswerSyntaxError("double superscript: use braces, e.g. a^{b^{c}}",
                                            self.text, tok.pos)
                sup = self.script()
                base = Node("pow", tok.pos, None, [base, sup])
        return base

    def group(self, what):
        if not self.is_op("{"):
            t = self.peek()
            if t.kind in ("letter", "num"):       # \hat y, \frac12
                self.next()
                return Node("var" if t.kind == "letter" else "num", t.pos, t.text)
            if t.kind == "cmd":
                return self.atom()
            raise self.error(f"expected {{...}} after {what}")
        return self.braced()

    def braced(self):
        """``{ expr }``, the current token being the ``{``."""
        opened = self.next()
        if self.is_op("}"):
            raise self.error("empty group {}")
        node = self.expr()
        self.expect_op("}", ("{", opened.pos))
        return node

    def atom(self):
        self.enter()
        try:
            return self._atom()
        finally:
            self.leave()

    def _atom(self):
        tok = self.peek()
        if tok.kind == "num":
            self.next()
            return Node("num", tok.pos, tok.text)
        if tok.kind == "letter":
            self.next()
            return Node("var", tok.pos, tok.text)
        if tok.kind == "op" and tok.text in "([{":
            opened = self.next()
            close = {"(": ")", "[": "]", "{": "}"}[tok.text]
            if self.is_op(close):
                raise self.error(f"empty {tok.text}{close}")
            node = self.expr()
            self.expect_op(close, (tok.text, opened.pos))
            return Node("group", tok.pos, tok.text, [node])
        if tok.kind == "eof":
            raise self.error("the answer ends where a term was expected")
        if tok.kind == "op":
            raise self.error(f"unexpected {tok.text!r} where a term was expected")
        name = tok.text
        self.next()
        if name == "left":
            t = self.next()
            if not (t.kind == "op" and t.text in "([") and not (t.kind == "cmd" and t.text == "{"):
                raise AnswerSyntaxError("expected (, [ or \\{ after \\left", self.text, t.pos)
            node = self.expr()
            if not self.is_cmd("right"):
                raise self.error(f"expected \\right to close \\left at position {tok.pos}")
            self.next()
            r = self.next()
            if not ((r.kind == "op" and r.text in ")]") or (r.kind == "cmd" and r.text == "}")):
                raise AnswerSyntaxError("expected ), ] or \\} after \\right", self.text, r.pos)
            return Node("group", tok.pos, "(", [node])
        if name in SIZERS or name in ("big", "Big"):
            return self._atom()
        if name in FRACS:
            num = self.group(f"\\{name}")
            den = self.group(f"\\{name}{{...}}")
            return Node("div", tok.pos, None, [num, den])
        if name in HATS:
            return Node("hat", tok.pos, None, [self.group(f"\\{name}")])
        if name in WRAPPERS:
            return self.group(f"\\{name}")
        if name in ("text", "textrm", "mbox"):
            if not self.is_op("{"):
                raise self.error("expected {word} after \\text")
            self.next()
            word = ""
            while self.peek().kind == "letter":
                word += self.next().text
            self.expect_op("}", ("{", tok.pos))
            return Node("word", tok.pos, word)
        if name in FUNCTIONS:
            exponent = None
            if self.is_op("^"):                      # \sigma^2(x), \log^2 x
                self.next()
                exponent = self.script()
            if self.is_op("(") or self.is_op("[") or self.is_cmd("left") or self.is_op("{"):
                arg = self.scripts(self.atom())
            else:
                if not self.starts_factor():
                    raise self.error(f"\\{name} needs an argument")
                arg = self.factor()
            node = Node("call", tok.pos, name, [arg])
            return Node("pow", tok.pos, None, [node, exponent]) if exponent is not None else node
        if name == "sum":
            lower = upper = None
            while self.is_op("_") or self.is_op("^"):
                which = self.next().text
                if which == "_":
                    if lower is not None:
                        raise self.error("double subscript on \\sum")
                    lower = self.sum_bound()
                else:
                    if upper is not None:
                        raise self.error("double superscript on \\sum")
                    upper = self.sum_bound()
            if lower is None:
                raise self.error("\\sum needs its index, e.g. \\sum_{w} or \\sum_{s=1}^{K}")
            if not self.starts_factor():
                raise self.error("\\sum needs a term to sum")
            body = self.product()
            return Node("sum", tok.pos, (lower, upper), [body])
        if name in ("alpha", "beta", "theta", "delta", "lambda", "mu", "pi", "tau"):
            return Node("var", tok.pos, name)
        if name in ("top", "intercal"):
            raise AnswerSyntaxError(f"\\{name} belongs in an exponent, e.g. u_o^\\top", self.text, tok.pos)
        raise AnswerSyntaxError(f"unknown command \\{name}", self.text, tok.pos)

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
