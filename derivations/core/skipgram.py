"""Skip-gram over one context window, part (i).

``V`` holds the centre vectors as columns, shape ``(d, |V|)``, exactly as ``U``
holds the outside vectors; ``V[:, c]`` is ``v_c``.
"""
import numpy as np

from .arguments import as_float_array, as_word_index, as_word_indices, check_loss_and_gradients
from .losses import naive_softmax_loss_and_gradient


def context_window(sentence, t, m):
    """Return ``(c, outside)``: the centre word at position ``t`` and its context.

    ``outside`` lists ``w_{t+j}`` for ``-m <= j <= m, j != 0``, clipped at the
    sentence's ends. ``sentence`` is a sequence of word indices, ``m >= 1``.
    """
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(f"m (window size) must be an integer >= 1, got {m!r}")
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or not 0 <= t < len(sentence):
        raise ValueError(f"t must be a position in the sentence (0..{len(sentence) - 1}), got {t!r}")
    outside = [sentence[t + j] for j in range(-m, m + 1)
               if j != 0 and 0 <= t + j < len(sentence)]
    if not outside:
        raise ValueError(f"the window around position {t} holds no outside word: "
                         f"the sentence has length {len(sentence)}")
    return sentence[t], outside


def skipgram(c, outside, V, U, loss_and_gradient=naive_softmax_loss_and_gradient,
             negatives=None):
    """Skip-gram loss and gradients for one centre word and its context window.

    Implements eq. (i.1) ``J = sum_j J(v_c, w_{t+j}, U)`` and its gradients,
    eqs. (i.2) to (i.4):
    ### BEGIN SOLUTION
    ``dJ/dU = sum_j dJ(v_c, w_{t+j}, U)/dU``,
    ``dJ/dv_c = sum_j dJ(v_c, w_{t+j}, U)/dv_c`` and
    ``dJ/dv_w = 0`` for every ``w != c``.
    ### END SOLUTION

    Args:
        c: index of the centre word.
        outside: the outside words ``w_{t+j}``, a non-empty sequence of indices.
        V: centre vectors as columns, shape ``(d, |V|)``.
        U: outside vectors as columns, shape ``(d, |V|)``.
        loss_and_gradient: ``f(v_c, o, U) -> (loss, grad_v_c, grad_U)``, or with
            ``negatives`` given ``f(v_c, o, U, negatives[j])``; a student's own
            implementation can be passed here.
        negatives: for negative sampling, one sequence of K indices per outside
            word (``len(negatives) == len(outside)``); ``None`` otherwise.

    Returns:
        ``(loss, grad_V, grad_U)``: a float, shape ``(d, |V|)``, shape ``(d, |V|)``;
        only column ``c`` of ``grad_V`` is non-zero.
    """
    V = as_float_array("V", V, 2)
    U = as_float_array("U", U, 2)
    if V.shape != U.shape:
        raise ValueError(f"V and U must have the same shape (d, |V|), got V {V.shape} and U {U.shape}")
    c = as_word_index("c", c, V.shape[1])
    outside = as_word_indices("outside", outside, U.shape[1])
    if negatives is not None and len(negatives) != len(outside):
        raise ValueError(f"negatives must hold one sequence per outside word: "
                         f"{len(outside)} outside words, got {len(negatives)} sequences")
    loss = 0.0
    grad_v_c = np.zeros(V.shape[0], dtype=V.dtype)
    grad_U = np.zeros_like(U)
    for j, o in enumerate(outside):
        extra = () if negatives is None else (negatives[j],)
        v_c = V[:, c]
        loss_j, grad_v_c_j, grad_U_j = check_loss_and_gradients(
            getattr(loss_and_gradient, "__name__", "loss_and_gradient"),
            loss_and_gradient(v_c, int(o), U, *extra), v_c, U)
        loss += loss_j
        grad_v_c += grad_v_c_j
        grad_U += grad_U_j
    grad_V = np.zeros_like(V)
    grad_V[:, c] = grad_v_c
    return float(loss), grad_V, grad_U
