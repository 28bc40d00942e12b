"""Judging written (derivation) answers typed in LaTeX, without running any of the text.

>>> from derivations.coursework.answers import check_answer
>>> check_answer("b", r"U(\\hat{y} - y)")        # doctest: +SKIP
(b) correct: equals \\frac{\\partial J}{\\partial v_c}

* :mod:`.latex`     own tokenizer and recursive-descent parser (bounded size and depth);
  ``latex.SUPPORTED`` lists the notation it reads;
* :mod:`.notation`  the handout's symbols in a concrete world, built into SymPy node by node
  (:func:`~.notation.read` reads any LaTeX formula in a :class:`~.notation.World`);
* :mod:`.worlds`    the concrete worlds every answer is read in (the engine's ``WORLDS``);
* :mod:`.judging`   the parts and their points; :func:`judge` (in this process),
  :func:`check_answer` / :func:`check_answers` (in a sandboxed, limited one, printing the verdict);
* :mod:`.diagnosis` why a wrong answer is wrong: the known slip it equals and the step of the
  book's derivation where it first changes the result, else a small counterexample.

The verdict is a :class:`~derivations.coursework.verdicts.Verdict` (``correct``,
``transpose``, ``wrong`` with a counterexample, ``syntax`` or ``meaning`` with a
position, ...: the vocabulary every judge of a written formula shares).
Errors on bad input are :class:`AnswerError` (and its subclass
:class:`AnswerSyntaxError`, which carries ``.position``); nothing else escapes.
"""
from ..verdicts import Verdict
from .judging import REFERENCES, cases, check_answer, check_answers, judge
from .latex import AnswerError, AnswerSyntaxError, parse
from .notation import AnswerMeaningError

__all__ = ["check_answer", "check_answers", "judge", "cases", "REFERENCES", "Verdict", "parse",
           "AnswerError", "AnswerSyntaxError", "AnswerMeaningError"]
