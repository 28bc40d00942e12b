"""derivations: the library behind *word2vec, derived*.

Subpackages, by concern
-----------------------
* :mod:`derivations.core` — NumPy only: functions, losses, skip-gram, gradient checks, argument checks.
* :mod:`derivations.symbolic` — SymPy: the concrete worlds, equality, the ``Derivation`` engine, ``parts``.
* :mod:`derivations.chapters` — helpers one chapter uses to demonstrate an idea.
* :mod:`derivations.explorers` — the interactive widgets and their JavaScript twin.
* :mod:`derivations.training` — corpus, trainer, evaluation, ``python -m derivations.train``.
* :mod:`derivations.coursework` — sandbox, autograder, written-answer checker, student edition.

``import derivations`` loads only :mod:`derivations.core` (NumPy); the names below are its public API.

Shape convention (the handout's, used everywhere in this package and the book)
---------------------------------------------------------------------------
* ``d`` is the embedding dimension, ``|V|`` the vocabulary size.
* ``U`` has shape ``(d, |V|)``: column ``w`` is the outside vector ``u_w``.
* ``V`` has shape ``(d, |V|)``: column ``c`` is the centre vector ``v_c``.
* ``v_c`` has shape ``(d,)``; ``o`` and ``negatives`` are integer word indices.
* Scores ``U^T v_c`` and probabilities ``y_hat`` have shape ``(|V|,)``.

The CS224N starter code stores vectors as *rows*: its ``outsideVectors`` is
``U.T`` (shape ``(|V|, d)``) and its ``centerWordVectors`` is ``V.T``. Pass
``U=outsideVectors.T``; gradients come back in this package's layout, so
``gradOutsideVecs == grad_U.T``. A ``U`` passed in the row layout is refused
with a message that says so (unless d == |V|, when no shape check can tell).

Arrays are float64 unless given as float32. Bad input raises ``TypeError`` or
``ValueError`` naming the argument, what was expected and what arrived.
"""
from .core import (CheckFailed, GradcheckResult, check_gradients, compare, context_window, gradcheck,
                   leaky_relu, leaky_relu_derivative, log_sigmoid, log_softmax,
                   naive_softmax_loss_and_gradient, neg_sampling_loss_and_gradient, sigmoid, skipgram,
                   softmax)

__all__ = [
    "softmax", "log_softmax", "sigmoid", "log_sigmoid", "leaky_relu", "leaky_relu_derivative",
    "naive_softmax_loss_and_gradient", "neg_sampling_loss_and_gradient",
    "skipgram", "context_window",
    "gradcheck", "GradcheckResult", "CheckFailed", "check_gradients", "compare",
]
