"""``python -m derivations.train``: the training command line, kept at its published name
(the code is :mod:`derivations.training.cli`)."""
import sys

from .training.cli import main

if __name__ == "__main__":
    sys.exit(main())
