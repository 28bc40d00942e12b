"""Execute notebooks in place, so their stored outputs are what nbval compares.

Usage: python -m tests.execute_notebooks [PATH ...]   (folders are searched for *.ipynb)
"""
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    # The build executes chapters itself and embeds fresh widget state in the page;
    # state stored in the source would only bloat the repository.
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)


def main(args):
    paths = []
    for arg in args or ["book"]:
        p = Path(arg)
        paths += sorted(p.rglob("*.ipynb")) if p.is_dir() else [p]
    for path in paths:
        if ".ipynb_checkpoints" in path.parts:
            continue
        print(f"executing {path}", flush=True)
        execute(path)


if __name__ == "__main__":
    main(sys.argv[1:])
