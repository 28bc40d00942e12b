"""Build the student edition: ``python -m derivations.coursework.student`` (``make student``).

Produces ``_build/student/``:

* ``html/``        the book built from the student sources (solutions absent);
* ``notebooks/``   the chapters with each solution replaced by a stub (no outputs), and
                   ``assignment.ipynb`` (:mod:`derivations.coursework.assignment`), the notebook students submit;
* ``derivations/`` the package without the reference implementations, the handwritten
                   seed's data and grader, and (``--no-written-checker``) the written-answer checker.

How (see :mod:`derivations.coursework.edition` for the marking rules):

1. copy the book's sources into ``_build/student-src/`` and strip them there; the package
   is written there by :func:`derivations.coursework.edition.strip_package`, the one
   stripper the autograder uses too;
2. execute each student notebook with ``PYTHONPATH`` set to the student
   sources, so ``import derivations`` finds the stripped package, never the
   reference one. Errors are *allowed*: a cell that needs an unwritten function
   shows the ``NotImplementedError`` naming it (that is what the student will
   see), and later cells still run; a cell that runs past ``--timeout`` is
   stopped and the rest of that notebook is left unexecuted;
3. build the HTML with Jupyter Book from those executed copies (its own
   execution off), without the "For instructors" part and the chapters
   in ``EXCLUDED_CHAPTERS``;
4. scan everything produced (every file of the package, whatever its type) for
   fingerprints of every solution region and of every instructor-only file, and
   fail if one survives (``tests/test_student_edition.py`` repeats the scan).
"""
import argparse
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import yaml

from .edition import (BEGIN, END, INSTRUCTOR_ONLY, SOLUTION_TAG, MarkerError, Region, fingerprints, normalize,
                      output_text, strip_js_regions, strip_package, student_notebook)

ROOT = Path(__file__).resolve().parents[2]
COPY_IGNORE = shutil.ignore_patterns("node_modules", ".ipynb_checkpoints", "_build", "__pycache__",
                                     "*.pyc", ".jupyter_cache")
INSTRUCTOR_CAPTION = "For instructors"
# Chapters left out of the student edition entirely (sources, notebooks, pages).
# checking_handwritten grades the seed solution part by part: it says which of
# those answers are wrong and shows the correct forms. Every cell of it counts
# as a solution region, so the scan proves none of it survives.
EXCLUDED_CHAPTERS = ("book/checking_handwritten",)


class LeakFound(AssertionError):
    """A fingerprint of a solution survived in the student edition."""


def excluded_regions(root):
    """Every cell (source and outputs) of the excluded chapters, as solution regions."""
    regions = []
    for chapter in EXCLUDED_CHAPTERS:
        path = root / f"{chapter}.ipynb"
        for k, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            kind = "code-cell" if cell["cell_type"] == "code" else "markdown-cell"
            regions.append(Region(f"{chapter}.ipynb (cell {k + 1})", 1, src, "", kind,
                                  [output_text(o) for o in cell.get("outputs", [])]))
    return regions


def instructor_only_regions(root):
    """Every file of :data:`~derivations.coursework.edition.INSTRUCTOR_ONLY`, as solution regions.

    The student package leaves them out; their fingerprints prove no copy of them
    survives anywhere in the build (a YAML data file included).
    """
    regions = []
    for rel in INSTRUCTOR_ONLY:
        top = root / "derivations" / rel
        for path in sorted([top] if top.is_file() else top.rglob("*") if top.is_dir() else []):
            if path.is_file() and "__pycache__" not in path.parts:
                text = path.read_text(encoding="utf-8", errors="replace")
                regions.append(Region(path.relative_to(root).as_posix(), 1, text, "", "code"))
    return regions


def instructor_only_fingerprints(root, public):
    """:func:`~derivations.coursework.edition.fingerprints` of the instructor-only files.

    Bare names (``one_minus_sigma``) are not content: the data refers to the book's
    functions by name, and the stripped package names them too (in its stubs).
    """
    chunks, words = fingerprints(instructor_only_regions(root), public)
    return {c: o for c, o in chunks.items() if not re.fullmatch(r"[\w.]+", c)}, words


def strip_tree(src, root=ROOT, written_checker=True):
    """Strip the book copied under ``src`` in place and write ``src/derivations`` from ``root``'s
    package (:func:`~derivations.coursework.edition.strip_package`); return the solution regions found.

    The excluded chapters are deleted from ``src`` first.
    """
    for chapter in EXCLUDED_CHAPTERS:
        (src / f"{chapter}.ipynb").unlink()
    if (src / "derivations").exists():
        shutil.rmtree(src / "derivations")
    regions = strip_package(root, src, written_checker=written_checker)
    for path in sorted((src / "book").rglob("*.ipynb")):
        rel = path.relative_to(src).as_posix()
        nb = json.loads(path.read_text(encoding="utf-8"))
        new, found = student_notebook(nb, rel)
        path.write_text(json.dumps(new, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        regions += found
    for path in sorted(p for p in (src / "book").rglob("*.js") if "_vendor" not in p.parts):
        text = path.read_text(encoding="utf-8")
        if BEGIN in text:
            new, found = strip_js_regions(text, path.relative_to(src).as_posix())
            path.write_text(new, encoding="utf-8")
            regions += found
    for path in sorted((src / "book").rglob("*.md")):
        if any(line.strip() in (BEGIN, END) for line in path.read_text(encoding="utf-8").splitlines()):
            raise MarkerError(f"{path.relative_to(src)}: solution markers belong in notebooks or "
                              f"derivations/*.py, not in a .md page")
    return regions


def public_text(root):
    """The text of the sources *outside* every solution, computed independently of the stripper.

    Every text file of ``book/`` and ``derivations/`` counts (Python, notebooks'
    untagged cells, Markdown, YAML data, JavaScript, CSS) except the excluded
    chapters and the instructor-only files; fingerprints are the parts of
    solutions that occur nowhere here.
    """
    parts = []
    region = re.compile(rf"{re.escape(BEGIN)}.*?{re.escape(END)}", re.S)
    private = [root / "derivations" / rel for rel in INSTRUCTOR_ONLY]
    for top in ("book", "derivations"):
        for path in sorted((root / top).rglob("*")):
            if (not path.is_file() or path.suffix not in PUBLIC_SUFFIXES
                    or {"node_modules", "_build", "__pycache__", ".ipynb_checkpoints"} & set(path.parts)
                    or path.relative_to(root).with_suffix("").as_posix() in EXCLUDED_CHAPTERS
                    or any(path == p or p in path.parents for p in private)):
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if path.suffix == ".ipynb":
                for cell in json.loads(text)["cells"]:
                    if SOLUTION_TAG in (cell.get("metadata", {}).get("tags") or []):
                        continue
                    src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                    parts.append(region.sub("", src))
            else:
                parts.append(region.sub("", text))
    for name in ("_config.yml", "_toc.yml"):
        parts.append((root / name).read_text(encoding="utf-8"))
    return "\n".join(parts)


def public_outputs(root):
    """The outputs of the untagged cells of every chapter the student edition keeps."""
    parts = []
    for path in sorted((root / "book").rglob("*.ipynb")):
        if (".ipynb_checkpoints" in path.parts
                or path.relative_to(root).with_suffix("").as_posix() in EXCLUDED_CHAPTERS):
            continue
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if SOLUTION_TAG not in (cell.get("metadata", {}).get("tags") or []):
                parts += [output_text(o) for o in cell.get("outputs", [])]
    return "\n".join(parts)


PUBLIC_SUFFIXES = {".py", ".ipynb", ".md", ".yml", ".yaml", ".txt", ".js", ".css", ".html", ".json"}


def copy_sources(root, src):
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    shutil.copytree(root / "book", src / "book", ignore=COPY_IGNORE)
    # derivations/ is not copied: strip_tree writes it with edition.strip_package.
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(root / name, src / name)
    # The build typesets math with book/_vendor's mathjax-full (book/_ext/w2v_math.py): link
    # the installed packages (~70 MB) rather than copy them. They are tools, not content.
    modules = root / "book" / "_vendor" / "node_modules"
    if modules.is_dir():
        (src / "book" / "_vendor" / "node_modules").symlink_to(modules.resolve(), target_is_directory=True)


def student_config(src):
    """Jupyter Book settings for the student build: our own execution, no instructor part."""
    config = yaml.safe_load((src / "_config.yml").read_text(encoding="utf-8"))
    config.setdefault("execute", {})
    # The notebooks were executed (errors allowed) by execute_all(); the stored
    # outputs include the NotImplementedError of each unwritten function.
    config["execute"].update(execute_notebooks="off", allow_errors=True, stderr_output="show")
    config["title"] = f"{config.get('title', 'Book')} (student edition)"
    (src / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    toc = yaml.safe_load((src / "_toc.yml").read_text(encoding="utf-8"))
    parts = []
    for part in toc.get("parts", []):
        if part.get("caption") == INSTRUCTOR_CAPTION:
            continue
        part["chapters"] = [c for c in part.get("chapters", []) if c.get("file") not in EXCLUDED_CHAPTERS]
        if part["chapters"]:
            parts.append(part)
    toc["parts"] = parts
    (src / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")


def toc_notebooks(src):
    toc = yaml.safe_load((src / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc.get("root", "")]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                files.append(e["file"])
            walk(e.get("sections"))
            walk(e.get("chapters"))
    walk(toc.get("parts"))
    walk(toc.get("chapters"))
    return [src / f"{f}.ipynb" for f in files if (src / f"{f}.ipynb").exists()]


def _tree_hash(folder):
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def execute_all(paths, src, timeout, cache=None):
    """Run each notebook against the student package, errors allowed (see module docstring).

    ``cache`` (a folder) keeps executed copies keyed by the notebook and the
    whole student package, so an unchanged book is not executed twice.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    env_path = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(src) + (os.pathsep + env_path if env_path else "")
    package = _tree_hash(src / "derivations") + _tree_hash(src / "book")
    # The kernels must import the stripped package, never the reference one on the .pth path.
    found = subprocess.run([sys.executable, "-c", "import derivations; print(derivations.__file__)"],
                           cwd=src / "book", capture_output=True, text=True, check=True).stdout.strip()
    if not Path(found).resolve().is_relative_to(src.resolve()):
        raise RuntimeError(f"a kernel in {src / 'book'} would import {found}, not the student package")
    try:
        for path in paths:
            key = hashlib.sha256((package + path.read_text(encoding="utf-8")).encode()).hexdigest()[:32]
            cached = cache / f"{path.stem}-{key}.ipynb" if cache else None
            if cached and cached.exists():
                shutil.copy2(cached, path)
                print(f"  {path.relative_to(src)}: unchanged, executed copy from {cache}")
                continue
            nb = nbformat.read(path, as_version=4)
            client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                                    resources={"metadata": {"path": str(path.parent)}})
            t0 = time.perf_counter()
            try:
                client.execute()
            except (CellTimeoutError, DeadKernelError) as exc:
                print(f"  {path.name}: stopped ({type(exc).__name__}); later cells left unexecuted",
                      file=sys.stderr)
            errors = sum(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
            print(f"  executed {path.relative_to(src)} in {time.perf_counter() - t0:.1f}s "
                  f"({errors} cells stop at an unwritten exercise)")
            nbformat.write(nb, path)
            if cached:
                cache.mkdir(parents=True, exist_ok=True)
                for old in cache.glob(f"{path.stem}-*.ipynb"):
                    old.unlink()
                shutil.copy2(path, cached)
    finally:
        if env_path is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = env_path


TEXT_SUFFIXES = {".html", ".js", ".json", ".ipynb", ".py", ".txt", ".md", ".css", ".svg", ".yml", ".yaml",
                 ".inv", ".csv", ".toml", ".cfg", ".ini", ".tex", ".xml", ""}


def scanned(path):
    """Whether :func:`scan` reads ``path``: any file of a ``derivations`` package (whatever its
    type: the package is what students import and browse), else the text types above."""
    return path.suffix in TEXT_SUFFIXES or "derivations" in path.parts


def _views(path):
    """The texts a reader or a tool could extract from one built file."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    views = [] if path.suffix == ".ipynb" else [raw]       # a notebook is read decoded, below
    if path.suffix == ".html":
        views.append(html.unescape(re.sub(r"<[^>]+>", "", raw)))
    elif path.suffix == ".ipynb":
        try:
            nb = json.loads(raw)
            views.append("\n".join(
                ("".join(c["source"]) if isinstance(c["source"], list) else c["source"]) + "\n" +
                "\n".join(output_text(o) for o in c.get("outputs", [])) for c in nb["cells"]))
        except (ValueError, KeyError):
            views.append(raw)
    elif path.suffix == ".js":
        views.append(re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), raw)
                     .replace("\\\\", "\\").replace('\\"', '"'))
    return [normalize(v) for v in views]


def search_terms(html_dir):
    """Every term in Sphinx's search index (``searchindex.js``)."""
    index = html_dir / "searchindex.js"
    if not index.exists():
        return set()
    body = index.read_text(encoding="utf-8")
    data = json.loads(body[body.index("(") + 1: body.rindex(")")])
    return set(data.get("terms", {})) | set(data.get("titleterms", {}))


def scan(out, chunks, words, skip=("vendor",)):
    """Return ``[(fingerprint, origin, file)]`` for every fingerprint found under ``out``."""
    found = []
    for path in sorted(out.rglob("*")):
        if not path.is_file() or not scanned(path) or any(s in path.parts for s in skip):
            continue
        views = _views(path)
        for chunk, origin in chunks.items():
            if any(chunk in v for v in views):
                found.append((chunk, origin, str(path.relative_to(out))))
    from sphinx.search.en import SearchEnglish
    stem = SearchEnglish({}).stem
    for html_dir in {p.parent for p in out.rglob("searchindex.js")}:
        terms = search_terms(html_dir)
        for word, origin in words.items():
            if stem(word) in terms:
                found.append((word, origin, str((html_dir / "searchindex.js").relative_to(out))))
    return found


def build(root=ROOT, out=None, execute=True, html_book=True, timeout=120, quiet=False, cache="default",
          written_checker=True):
    """Build the student edition of ``root`` into ``out``; return ``(regions, fingerprints)``.

    ``written_checker=False`` leaves the written-answer checker out of the package
    (``make student WRITTEN_CHECKER=no``; book/instructors.md says what it reveals).
    """
    root = Path(root).resolve()
    out = Path(out).resolve() if out else root / "_build" / "student"
    src = out.parent / "student-src"
    t0 = time.perf_counter()
    copy_sources(root, src)
    regions = strip_tree(src, root, written_checker)
    excluded = excluded_regions(root)
    from .assignment import assignment_notebook
    assignment, found = student_notebook(json.loads(nbformat.writes(assignment_notebook())),
                                         "assignment.ipynb")
    regions += found
    public = public_text(root)
    chunks, words = fingerprints(regions, public)
    # An excluded chapter repeats computations that other chapters show too (the
    # same counterexample, the same numbers): only what it alone shows is its own.
    ex_chunks, ex_words = fingerprints(excluded, public + "\n" + public_outputs(root))
    io_chunks, io_words = instructor_only_fingerprints(root, public)
    chunks, words = {**io_chunks, **ex_chunks, **chunks}, {**io_words, **ex_words, **words}
    regions += excluded + instructor_only_regions(root)
    print(f"student edition: {len(regions)} solution regions, {len(chunks)} fingerprints, "
          f"{len(words)} solution-only words")
    student_config(src)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copytree(src / "derivations", out / "derivations", ignore=COPY_IGNORE)
    (out / "notebooks").mkdir()
    for nb in sorted((src / "book").rglob("*.ipynb")):
        shutil.copy2(nb, out / "notebooks" / nb.name)
    # The programming assignment students submit to `python -m derivations.coursework.grade`.
    (out / "notebooks" / "assignment.ipynb").write_text(json.dumps(assignment, indent=1) + "\n")
    if execute:
        cache = root / "_build" / "student-cache" if cache == "default" else cache
        execute_all(toc_notebooks(src), src, timeout, cache)
    if html_book:
        cmd = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(src),
               "--path-output", str(src), "--keep-going"] + (["--quiet"] if quiet else [])
        if not Path(cmd[0]).exists():
            cmd[0:1] = [sys.executable, "-m", "jupyter_book.cli.main"]
        # The build's extensions import `derivations` too: the stripped one, never the reference.
        env = {**os.environ, "PYTHONPATH": str(src) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL if quiet else None, env=env)
        shutil.copytree(src / "_build" / "html", out / "html")
    leaks = scan(out, chunks, words)
    if leaks:
        lines = "\n".join(f"  {f} <- {o}: {c[:80]!r}" for c, o, f in leaks[:20])
        raise LeakFound(f"{len(leaks)} solution fingerprints survive in {out}:\n{lines}")
    print(f"student edition in {out} ({time.perf_counter() - t0:.0f}s): no solution fingerprint found")
    return regions, (chunks, words)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=None, help="output folder (default _build/student)")
    ap.add_argument("--no-execute", action="store_true", help="leave the student notebooks unexecuted")
    ap.add_argument("--no-html", action="store_true", help="skip the Jupyter Book build")
    ap.add_argument("--timeout", type=int, default=120, help="per-cell timeout in seconds")
    ap.add_argument("--no-written-checker", action="store_true",
                    help="leave the written-answer checker out of the student package (a stub says so)")
    args = ap.parse_args(argv)
    build(out=args.out, execute=not args.no_execute, html_book=not args.no_html, timeout=args.timeout,
          written_checker=not args.no_written_checker)


if __name__ == "__main__":
    main()
