"""One source, two editions: how solutions are marked and how they are removed.

How a source marks a solution (README "Coursework", book/instructors.md):

* **Code**: lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION``
  (nbgrader's markers), in ``derivations/**/*.py`` and in notebook code cells.
  Inside a function the region becomes ``raise NotImplementedError(...)``
  naming the function; at module level every name the region defined becomes
  an :class:`~derivations.coursework.unimplemented.Unimplemented` stand-in (the module
  still imports; using the name fails with its name); inside a docstring the
  region is dropped.
* **Cells**: any cell whose metadata ``tags`` contain ``solution`` (a written
  answer in markdown, a cell that displays a worked derivation or code).
  A markdown cell becomes an empty answer cell; a code cell becomes a stub that
  raises ``NotImplementedError`` naming what the cell defined.
* Every code cell's outputs are dropped (the student build re-executes against
  the student package, so no output can carry a reference result).
* **Files**: :data:`INSTRUCTOR_ONLY` never leave the instructor's package (the
  handwritten seed's formulas and their grader); with ``written_checker=False``
  the written-answer checker is replaced by a stub too (:data:`WRITTEN_CHECKER`).

:func:`strip_package` is the one stripper of the ``derivations`` package: the
student edition (:mod:`derivations.coursework.student`) and the autograder's
sandbox (:mod:`derivations.coursework.grade`) both use it, so what a student
downloads and what a submission runs against are the same files.

:func:`fingerprints` derives, from the *source* regions and tagged cells, the
distinctive lines, strings and words that must not survive anywhere in the
student edition; ``tests/test_student_edition.py`` searches the build for them.
"""
import ast
import copy
import io
import json
import os
import re
import shutil
import tokenize
import warnings
from dataclasses import dataclass, field

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
SOLUTION_TAG = "solution"


class MarkerError(ValueError):
    """Unbalanced or misplaced solution markers; the message names file and line."""


@dataclass
class Region:
    """One solution region of a source: where it is and its text."""
    origin: str                 # "derivations/core/losses.py" or "book/a.ipynb cell 4"
    start: int                  # 1-based line of BEGIN in that file/cell
    text: str                   # the solution lines (without the markers)
    owner: str = ""             # enclosing function, or names defined, or "" (for messages)
    kind: str = "code"          # "code", "docstring", "markdown-cell", "code-cell"
    outputs: list = field(default_factory=list)   # text of a tagged cell's outputs


def _string_lines(text):
    """1-based numbers of lines that lie inside a multi-line string token."""
    inside = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                inside.update(range(tok.start[0] + 1, tok.end[0] + 1))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return inside


def _enclosing_def(lines, index, indent):
    """Name of the innermost ``def`` above line ``index`` indented less than ``indent``."""
    for line in reversed(lines[:index]):
        stripped = line.lstrip()
        width = len(line) - len(stripped)
        if stripped and width < indent:
            m = re.match(r"(?:async\s+)?def\s+(\w+)", stripped)
            if m:
                return m.group(1)
            if not stripped.startswith(("#", "@")) and width == 0:
                return ""
    return ""


def _bound_names(code):
    """Names a block of top-level code binds (defs, classes, assignments, imports)."""
    tree = ast.parse(code)
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                names += [n.id for n in ast.walk(t) if isinstance(n, ast.Name)]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in node.names]
    return list(dict.fromkeys(names))


def strip_regions(text, origin, where=None):
    """Remove every solution region of a Python source; return ``(text, regions)``.

    ``origin`` names the source in messages (file, or notebook and cell);
    ``where`` is what the stub tells the student to edit (default ``origin``).
    Raises :class:`MarkerError` on a nested, unclosed or unopened marker.
    """
    where = where or origin
    lines = text.split("\n")
    in_string = _string_lines(text)
    out, regions, i = [], [], 0
    while i < len(lines):
        line = lines[i]
        if line.strip() == END or (END in line and BEGIN not in line and line.strip().startswith("#")):
            raise MarkerError(f"{origin}:{i + 1}: '{END}' without a matching '{BEGIN}'")
        if line.strip() != BEGIN:
            if BEGIN in line and line.lstrip().startswith("#"):
                raise MarkerError(f"{origin}:{i + 1}: the marker must be alone on its line: {line.strip()!r}")
            out.append(line)
            i += 1
            continue
        start, indent = i, len(line) - len(line.lstrip())
        j = i + 1
        while j < len(lines) and lines[j].strip() != END:
            if lines[j].strip() == BEGIN:
                raise MarkerError(f"{origin}:{j + 1}: nested '{BEGIN}' (the one at line {start + 1} is still open)")
            j += 1
        if j == len(lines):
            raise MarkerError(f"{origin}:{start + 1}: '{BEGIN}' is never closed by '{END}'")
        body = "\n".join(lines[start + 1:j])
        pad = line[:indent]
        if (start + 1) in in_string:
            regions.append(Region(origin, start + 1, body, "", "docstring"))
        elif indent > 0:
            owner = _enclosing_def(lines, start, indent)
            what = f"the body of {owner}" if owner else "this block"
            out += [f"{pad}# YOUR CODE HERE: {what}",
                    f"{pad}raise NotImplementedError({_message(owner, where)!r})"]
            regions.append(Region(origin, start + 1, body, owner, "code"))
        else:
            try:
                names = _bound_names(body)
            except SyntaxError as exc:
                raise MarkerError(f"{origin}:{start + 1}: a module-level solution region must be "
                                  f"complete Python ({exc.msg} at its line {exc.lineno})") from None
            out.append(f"# YOUR CODE HERE: define {', '.join(names) or 'this block'}")
            if names:
                out.append("from derivations.coursework.unimplemented import Unimplemented as _Unimplemented")
            out += [f"{n} = _Unimplemented({n!r}, {where!r})" for n in names]
            regions.append(Region(origin, start + 1, body, ", ".join(names), "code"))
        i = j + 1
    return "\n".join(out), regions


def strip_js_regions(text, origin):
    """JavaScript twin of :func:`strip_regions`: lines ``// ### BEGIN SOLUTION`` .. ``// ### END SOLUTION``.

    The region becomes ``throw new Error(...)`` naming the enclosing function,
    so a page's explorer says what is missing instead of computing it.
    """
    lines, out, regions, i = text.split("\n"), [], [], 0
    marker = lambda line, m: line.strip().lstrip("/").strip() == m and line.strip().startswith("//")
    while i < len(lines):
        if not marker(lines[i], BEGIN):
            if marker(lines[i], END):
                raise MarkerError(f"{origin}:{i + 1}: '// {END}' without a matching '// {BEGIN}'")
            out.append(lines[i])
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not marker(lines[j], END):
            j += 1
        if j == len(lines):
            raise MarkerError(f"{origin}:{i + 1}: '// {BEGIN}' is never closed")
        pad = lines[i][:len(lines[i]) - len(lines[i].lstrip())]
        owner = ""
        for line in reversed(lines[:i]):
            m = re.match(r"\s*(?:async\s+)?function\s+(\w+)|\s*(?:const|let|var)\s+(\w+)\s*=", line)
            if m:
                owner = m.group(1) or m.group(2)
                break
        out.append(f"{pad}throw new Error({json.dumps(_message(owner, origin))});")
        regions.append(Region(origin, i + 1, "\n".join(lines[i + 1:j]), owner, "code"))
        i = j + 1
    return "\n".join(out), regions


def solution_source(obj):
    """The lines of ``obj``'s source between its solution markers, for a chapter to print.

    Use this rather than splitting ``inspect.getsource`` on the marker text: in
    the student edition there is no region, and this raises
    ``NotImplementedError`` naming the function instead of an ``IndexError``.
    """
    import inspect
    import textwrap
    source = inspect.getsource(obj)
    lines, in_string = source.split("\n"), _string_lines(source)
    # Code regions only: a region inside the docstring states the formula, not the code.
    marks = [i for i, ln in enumerate(lines) if ln.strip() in (BEGIN, END) and i + 1 not in in_string]
    if len(marks) < 2:
        raise NotImplementedError(f"{getattr(obj, '__name__', obj)} is not written yet "
                                  f"(this is the student edition): there is no solution to show")
    return "\n".join(textwrap.dedent("\n".join(lines[a + 1:b])) for a, b in zip(marks[::2], marks[1::2]))


def printed_source(obj):
    """``obj``'s whole source as a chapter prints it: without the solution marker lines.

    The markers tell the stripper what the student edition leaves out; a reader
    of the book has no use for them. Only lines that hold nothing but a marker
    are dropped (the lines between them stay), in code and docstring alike. In
    the student edition there are no markers, and the stub is printed as it is.
    """
    import inspect
    return "\n".join(ln for ln in inspect.getsource(obj).split("\n") if not _MARKER_LINE.fullmatch(ln))


def _message(owner, where):
    if owner:
        return f"{owner} is not written yet: write its body in {where}"
    return f"this block is not written yet: write it in {where}"


# ---------------------------------------------------------------- notebooks

def _source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def output_text(output):
    """All human-readable text of one notebook output (streams, reprs, errors)."""
    parts = []
    if "text" in output:
        parts.append(_source({"source": output["text"]}))
    for mime, value in (output.get("data") or {}).items():
        if mime.startswith("text/") or mime.endswith("json"):
            parts.append(value if isinstance(value, str) else
                         "".join(value) if isinstance(value, list) else json.dumps(value))
    if output.get("output_type") == "error":
        parts.append(f"{output.get('ename', '')}: {output.get('evalue', '')}")
        parts += output.get("traceback", [])
    return "\n".join(parts)


def is_solution_cell(cell):
    return SOLUTION_TAG in (cell.get("metadata", {}).get("tags") or [])


def student_notebook(nb, origin):
    """Return ``(student_nb, regions)`` for a notebook dict (nbformat 4).

    The input is not modified. Outputs of every code cell are removed.
    """
    nb = copy.deepcopy(nb)
    regions = []
    for k, cell in enumerate(nb["cells"]):
        where = f"{origin} (cell {k + 1})"
        src = _source(cell)
        if is_solution_cell(cell):
            outs = [output_text(o) for o in cell.get("outputs", [])]
            if cell["cell_type"] == "code":
                try:
                    names = _bound_names(src)
                except SyntaxError:
                    names = []
                regions.append(Region(where, 1, src, ", ".join(names), "code-cell", outs))
                if names:
                    what = f"the code that defines {', '.join(names)}"
                    cell["source"] = (f"# YOUR CODE HERE: {what}\n"
                                      f"raise NotImplementedError({('write ' + what + ' (' + where + '): it is not written yet')!r})")
                else:
                    # A cell that only shows something (a checked derivation, a
                    # reference function's lines) defines nothing later cells need:
                    # the student writes that part instead of meeting a traceback.
                    cell["cell_type"] = "markdown"
                    cell["source"] = "**Your derivation.** *(Write your derivation here.)*"
                    for key in ("outputs", "execution_count"):
                        cell.pop(key, None)
            else:
                regions.append(Region(where, 1, src, "", "markdown-cell", outs))
                cell["cell_type"] = "markdown"
                cell["source"] = "**Your answer.** *(Write your answer here.)*"
                for key in ("outputs", "execution_count"):
                    cell.pop(key, None)
            cell.pop("attachments", None)
            tags = [t for t in cell["metadata"].get("tags", []) if t != SOLUTION_TAG]
            cell["metadata"]["tags"] = tags + ["answer"]
        elif cell["cell_type"] == "code" and BEGIN in src:
            cell["source"], found = strip_regions(src, where)
            regions += found
        elif cell["cell_type"] != "code" and (BEGIN in src or END in src):
            raise MarkerError(f"{where}: solution markers in a {cell['cell_type']} cell; "
                              f"tag the cell '{SOLUTION_TAG}' instead")
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return nb, regions


# ------------------------------------------------------------- fingerprints

MIN_CHARS = 12
MIN_MATH_CHARS = 7


def normalize(text):
    """Collapse whitespace, so a line matches however a page re-flows it."""
    return " ".join(text.split())


def _literals(text):
    """The string literals of Python source ``text`` (our own source, never student text), split like math."""
    found = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.STRING:
                try:
                    lit = ast.literal_eval(tok.string)
                except (ValueError, SyntaxError):
                    continue
                if isinstance(lit, str):
                    found.add(normalize(lit))
                    found.update(normalize(p) for p in re.split(r"\\\\|&=|=", lit))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass                                    # the literals before the error still count
    return found


def _chunks(region):
    """Candidate fingerprints of one region: lines, comments, string literals, math."""
    texts = [region.text] + region.outputs
    chunks = set()
    for text in texts:
        for line in text.split("\n"):
            code, _, comment = line.partition(" #") if region.kind in ("code", "code-cell") else (line, "", "")
            for piece in (line, code, comment):
                chunks.add(normalize(piece.strip().lstrip("#")))
        # math between $...$ or $$...$$, and the pieces of an aligned chain
        for m in re.finditer(r"\$\$(.+?)\$\$|\$(.+?)\$", text, re.S):
            math = m.group(1) or m.group(2)
            chunks.add(normalize(math))
            chunks.update(normalize(p) for p in re.split(r"\\\\|&=|=", math))
    if region.kind in ("code", "code-cell"):
        with warnings.catch_warnings():          # "\e" in a data file's LaTeX is no news
            warnings.simplefilter("ignore", DeprecationWarning)
            chunks |= _literals(region.text)
    # Math is dense: a short chunk with LaTeX in it (U(\hat{y}-y)) is already distinctive.
    return {c for c in chunks if len(c.replace(" ", "")) >= MIN_CHARS
            or (len(c.replace(" ", "")) >= MIN_MATH_CHARS and re.search(r"\\[A-Za-z]|[_^]", c))}


WORD = re.compile(r"[A-Za-z]{6,}")


def _stem(word, _cache={}):
    """The search index's stem of ``word`` (Sphinx's English stemmer)."""
    if "stem" not in _cache:
        from sphinx.search.en import SearchEnglish
        _cache["stem"] = SearchEnglish({}).stem
    return _cache["stem"](word.lower())


def fingerprints(regions, public_text):
    """Distinctive pieces of the solution regions that appear nowhere in ``public_text``.

    Returns ``(chunks, words)``: ``chunks`` maps each fingerprint string to the
    region it came from (``origin:line``); ``words`` maps prose words (6+
    letters) that occur only in solutions, for the search index.
    """
    public = normalize(public_text)
    # Compared by stem, as the search index stores them: "slopes" is public if "slope" is.
    public_stems = {_stem(w) for w in set(re.findall(r"[A-Za-z]+", public_text))}
    chunks, words = {}, {}
    for r in regions:
        for c in _chunks(r):
            if c not in public:
                chunks.setdefault(c, f"{r.origin}:{r.start}")
        if r.kind == "markdown-cell":
            for w in WORD.findall(re.sub(r"\$.+?\$|\\[A-Za-z]+", " ", r.text, flags=re.S)):
                if _stem(w) not in public_stems:
                    words.setdefault(w.lower(), f"{r.origin}:{r.start}")
    return chunks, words


# ------------------------------------------------------------------ the package

# Paths under derivations/ that never ship to students, whatever the edition: the handwritten
# seed's formulas (data; graded by the shipped engine they would earn most written points for
# no work) and the module that grades them. Fingerprinted like solutions by the student build.
INSTRUCTOR_ONLY = ("coursework/handwritten.py", "coursework/data")
# The written-answer checker: a self-check oracle by design (book/instructors.md says what it
# reveals). ``written_checker=False`` (``make student WRITTEN_CHECKER=no``) ships a stub instead.
WRITTEN_CHECKER = ("coursework/answers", "coursework/answer_worker.py")
ANSWERS_STUB = '''"""The written-answer checker is not part of this edition of the package.

Your instructor built the student edition without it (``make student WRITTEN_CHECKER=no``).
Type each final formula as the assignment asks, ``check_answer("b", r"...")``: the grader reads
the two string literals from your notebook and checks them when it grades your work.
"""
REFERENCES = {}


class AnswerError(ValueError):
    """What the full checker raises on bad input (kept so that code catching it still runs)."""


def check_answer(part, latex, *args, **kwargs):
    """Record nothing and check nothing: say so (the grader reads the call from the notebook)."""
    print(f"({part}) not checked here: this edition has no written-answer checker; "
          "your formula is checked when your notebook is graded")
'''
_STRIPPERS = {".py": strip_regions, ".js": strip_js_regions}
_MARKER_LINE = re.compile(rf"^\W*(?:{re.escape(BEGIN)}|{re.escape(END)})\W*$", re.M)


def _left_out(rel, written_checker):
    """Whether ``rel`` (a path relative to ``derivations/``, POSIX) is left out of the copy."""
    dropped = INSTRUCTOR_ONLY + (() if written_checker else WRITTEN_CHECKER)
    return any(rel == d or rel.startswith(d + "/") for d in dropped)


def strip_package(src_root, dest, written_checker=True):
    """Write ``dest/derivations``: ``src_root/derivations`` without any solution; return the regions removed.

    Every file is looked at, whatever its type: ``.py`` and ``.js`` solution regions
    are stripped (:func:`strip_regions`, :func:`strip_js_regions`); a marker line in
    any other file is a :class:`MarkerError` (markers belong in code), as is an
    unbalanced marker anywhere. :data:`INSTRUCTOR_ONLY` files are left out; with
    ``written_checker=False`` the written-answer checker is left out as well and
    ``coursework/answers`` becomes a stub whose ``check_answer`` says it is absent.
    Caches (``__pycache__``, ``*.pyc``) are not copied. ``dest/derivations`` must not exist.
    """
    src = os.path.join(os.fspath(src_root), "derivations")
    out = os.path.join(os.fspath(dest), "derivations")
    if not os.path.isdir(src):
        raise FileNotFoundError(f"no derivations/ package in {src_root}")
    regions = []
    for here, dirs, files in os.walk(src):
        rel_dir = os.path.relpath(here, src).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not _left_out(rel_dir + d, written_checker))
        os.makedirs(os.path.join(out, rel_dir), exist_ok=True)
        for name in sorted(files):
            rel = rel_dir + name
            if name.endswith(".pyc") or _left_out(rel, written_checker):
                continue
            origin, target = f"derivations/{rel}", os.path.join(out, rel)
            with open(os.path.join(here, name), "rb") as f:
                raw = f.read()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:           # not text: no marker can hide in it
                text = None
            if text is not None and (BEGIN in text or END in text):
                strip = _STRIPPERS.get(os.path.splitext(name)[1])
                if strip is not None:
                    text, found = strip(text, origin)
                    regions += found
                elif _MARKER_LINE.search(text):
                    line = text.count("\n", 0, _MARKER_LINE.search(text).start()) + 1
                    raise MarkerError(f"{origin}:{line}: solution markers belong in .py or .js files "
                                      f"(or a notebook), not in a {os.path.splitext(name)[1] or 'plain'} file")
                raw = text.encode("utf-8")
            with open(target, "wb") as f:
                f.write(raw)
            shutil.copymode(os.path.join(here, name), target)
    if not written_checker:
        stub = os.path.join(out, "coursework", "answers")
        os.makedirs(stub, exist_ok=True)
        with open(os.path.join(stub, "__init__.py"), "w", encoding="utf-8") as f:
            f.write(ANSWERS_STUB)
    return regions
