"""Judging written (derivation) answers typed in LaTeX, without running any of the text.

>>> from derivations.coursework.answers import check_answer
>>> check_answer("b", r"U(\\hat{y} - y)")        # doctest: +SKIP
(b) correct: equals \\frac{\\partial J}{\\partial v_c}

* :mod:`.latex`     own tokenizer and recursive-descent parser (bounded size and depth);
* :mod:`.notation`  the handout's symbols at concrete sizes, built into SymPy node by node;
* :mod:`.judging`   the parts and their points; :func:`judge` (in this process) and
  :func:`check_answer` (in a sandboxed, limited one, printing the verdict).

The verdict is a :class:`~derivations.coursework.verdicts.Verdict` (``correct``,
``transpose``, ``wrong`` with a counterexample, ``syntax`` or ``meaning`` with a
position, ...: the vocabulary every judge of a written formula shares).
Errors on bad input are :class:`AnswerError` (and its subclass
:class:`AnswerSyntaxError`, which carries ``.position``); nothing else escapes.
"""
from ..verdicts import Verdict
from .judging import REFERENCES, cases, check_answer, judge
from .latex import AnswerError, AnswerSyntaxError, parse
from .notation import AnswerMeaningError

__all__ = ["check_answer", "judge", "cases", "REFERENCES", "Verdict", "parse",
           "AnswerError", "AnswerSyntaxError", "AnswerMeaningError"]
