"""Reading submissions: notebooks and .py files, with every cap checked before parsing.

A submission is a notebook (``.ipynb``), a Python file, or a folder searched for both.
Caps (:data:`MAX_FILE_BYTES`, :data:`MAX_JSON_DEPTH`, :data:`MAX_CELLS`,
:data:`MAX_CELL_CHARS`, :data:`MAX_CODE_CHARS`) are checked before anything is parsed, so a
17 MB notebook or ``"[" * 100000`` costs its author a row of zeros and nobody else anything.
Written answers are read from the tokens (``check_answer("b", r"...")`` with two literal
strings), never run.
"""
import ast
import io
import json
import os
import re
import stat
import tokenize
from pathlib import Path

import numpy as np

# Caps on a submission, checked before it is parsed (a class's notebooks are far below them).
MAX_FILE_BYTES = 5 << 20
MAX_JSON_DEPTH = 64
MAX_CELLS = 1000
MAX_CELL_CHARS = 50_000
MAX_CODE_CHARS = 200_000


class Unreadable(ValueError):
    """A submission that cannot be graded at all (too large, not a notebook, malformed)."""


_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')


def json_depth(data):
    """The deepest nesting of ``[``/``{`` in JSON bytes, without parsing (brackets inside strings ignored)."""
    skeleton = np.frombuffer(_JSON_STRING.sub(b"", data), dtype=np.uint8)
    step = (np.isin(skeleton, (ord("["), ord("{"))).astype(np.int32)
            - np.isin(skeleton, (ord("]"), ord("}"))).astype(np.int32))
    return int(np.cumsum(step).max(initial=0))


def _read_capped(path):
    """The bytes of a regular file of at most :data:`MAX_FILE_BYTES` (no symlink, FIFO or device)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise Unreadable("a symbolic link, not a file" if os.path.islink(path) else
                         f"cannot be opened ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Unreadable("not a regular file")
        if st.st_size > MAX_FILE_BYTES:
            raise Unreadable(f"{st.st_size / 2**20:.1f} MB, more than the {MAX_FILE_BYTES >> 20} MB a notebook may be")
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise Unreadable(f"more than the {MAX_FILE_BYTES >> 20} MB a notebook may be")
    return data


def _cell_text(cell, k):
    if not isinstance(cell, dict):
        raise Unreadable(f"cell {k + 1} is not a JSON object")
    src = cell.get("source", "")
    if isinstance(src, list) and all(isinstance(s, str) for s in src):
        src = "".join(src)
    if not isinstance(src, str):
        raise Unreadable(f"cell {k + 1}: 'source' must be a string or a list of strings")
    if len(src) > MAX_CELL_CHARS:
        raise Unreadable(f"cell {k + 1} holds {len(src):,} characters (at most {MAX_CELL_CHARS:,})")
    return src


def code_cells(path):
    """The code of a submission: a notebook's code cells, or a .py file as one cell.

    Raises :class:`Unreadable` (with the reason) past a cap or on malformed input;
    every cap is checked before the text is parsed.
    """
    path = Path(path)
    data = _read_capped(path)
    if path.suffix == ".py":
        text = data.decode("utf-8", errors="replace")
        if len(text) > MAX_CODE_CHARS:
            raise Unreadable(f"{len(text):,} characters of code (at most {MAX_CODE_CHARS:,})")
        return [text]
    depth = json_depth(data)
    if depth > MAX_JSON_DEPTH:
        raise Unreadable(f"JSON nested {depth} deep (a notebook needs fewer than {MAX_JSON_DEPTH})")
    try:
        nb = json.loads(data.decode("utf-8", errors="replace").lstrip("\ufeff"))
    except ValueError as exc:
        raise Unreadable(f"not a notebook: not JSON ({exc})") from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise Unreadable("not a notebook: no list of 'cells'")
    if len(cells) > MAX_CELLS:
        raise Unreadable(f"{len(cells):,} cells (at most {MAX_CELLS:,})")
    code = [_cell_text(c, k) for k, c in enumerate(cells)]
    code = [src for c, src in zip(cells, code) if c.get("cell_type") == "code"]
    if sum(map(len, code)) > MAX_CODE_CHARS:
        raise Unreadable(f"{sum(map(len, code)):,} characters of code (at most {MAX_CODE_CHARS:,})")
    return code


def find_submissions(args):
    """Expand folders to the notebooks and .py files inside them (sorted; symlinked folders not followed)."""
    found = []
    for arg in args:
        p = Path(arg)
        if p.is_dir() and not p.is_symlink():
            inside = []
            for here, dirs, files in os.walk(p):
                dirs[:] = [d for d in dirs if d != ".ipynb_checkpoints"]
                inside += [Path(here) / f for f in files if f.endswith((".ipynb", ".py"))]
            found += sorted(inside)
        elif p.exists() or p.is_symlink():
            found.append(p)
        else:
            raise FileNotFoundError(f"submission {arg!r} does not exist")
    return found


def written_answers(cells):
    """``{part: latex}`` from ``check_answer("part", "latex")`` calls with two literal arguments.

    Read from the token stream (never parsed into a tree, never run: a cell nested
    100,000 deep costs nothing); the last call of a part wins.
    """
    answers = {}
    skip = {tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT}
    for cell in cells:
        toks = []
        try:
            for tok in tokenize.generate_tokens(io.StringIO(cell).readline):
                if tok.type not in skip:
                    toks.append(tok)
        except (tokenize.TokenError, IndentationError, SyntaxError):
            pass                                          # the tokens before the error still count
        for i, tok in enumerate(toks[:-5]):
            window = toks[i:i + 6]
            if (tok.type == tokenize.NAME and tok.string == "check_answer" and window[1].string == "("
                    and window[2].type == tokenize.STRING and window[3].string == ","
                    and window[4].type == tokenize.STRING and window[5].string in (")", ",")):
                try:
                    part, latex = ast.literal_eval(window[2].string), ast.literal_eval(window[4].string)
                except (ValueError, SyntaxError, MemoryError, RecursionError):
                    continue                              # an f-string: not a literal
                if isinstance(part, str) and isinstance(latex, str):
                    answers[part] = latex
    return answers
