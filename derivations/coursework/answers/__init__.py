"""Checking written (derivation) answers typed in LaTeX, without running any of the text.

>>> from derivations.coursework.answers import check_answer
>>> check_answer("b", r"U(\\hat{y} - y)")        # doctest: +SKIP
(b) correct: equals \\frac{\\partial J}{\\partial v_c}

* :mod:`.latex`     own tokenizer and recursive-descent parser (bounded size and depth);
* :mod:`.notation`  the handout's symbols at concrete sizes, built into SymPy node by node;
* :mod:`.check`     the parts, their points, and the verdict (correct, correct up to
  transpose, wrong with a counterexample, or a located parse error).

Errors on bad input are :class:`AnswerError` (and its subclass
:class:`AnswerSyntaxError`, which carries ``.position``); nothing else escapes.
"""
from .check import REFERENCES, Result, check, check_answer
from .latex import AnswerError, AnswerSyntaxError, parse
from .notation import AnswerMeaningError

__all__ = ["check_answer", "check", "REFERENCES", "Result", "parse",
           "AnswerError", "AnswerSyntaxError", "AnswerMeaningError"]
