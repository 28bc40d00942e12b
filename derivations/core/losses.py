"""The two word2vec losses and their gradients: the reference implementations.

Shapes (handout layout, see the package docstring): ``v_c`` is ``(d,)``,
``U`` is ``(d, |V|)`` with column ``w`` the outside vector ``u_w``.

The code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is what the
student edition removes; the argument checks around it stay, so a student's
version inherits them.
"""
import numpy as np

from .arguments import as_word_index, as_word_indices, check_v_c_U
from .functions import log_sigmoid, log_softmax, sigmoid, softmax


def naive_softmax_loss_and_gradient(v_c, o, U):
    """Naive-softmax loss for one (centre, outside) pair and its gradients.

    Implements eq. (a.1) (the loss), eq. (b.1) (``grad_v_c``) and eq. (d.1) (``grad_U``).
    ### BEGIN SOLUTION
    ``J = -log softmax(U^T v_c)_o``, ``grad_v_c = U (y_hat - y)`` and
    ``grad_U = v_c (y_hat - y)^T``.
    ### END SOLUTION

    Args:
        v_c: centre vector, shape ``(d,)``.
        o: index of the true outside word, ``0 <= o < |V|``.
        U: outside vectors as columns, shape ``(d, |V|)``.

    Returns:
        ``(loss, grad_v_c, grad_U)``: a float, shape ``(d,)``, shape ``(d, |V|)``.
    """
    v_c, U = check_v_c_U(v_c, U)
    o = as_word_index("o", o, U.shape[1])
    ### BEGIN SOLUTION
    scores = U.T @ v_c                       # (|V|,)  u_w^T v_c
    y_hat = softmax(scores)                  # (|V|,)  P(O = w | C = c)
    loss = -log_softmax(scores)[o]           # log-sum-exp: finite for any score
    delta = y_hat.copy()                     # (|V|,)  y_hat - y
    delta[o] -= 1.0
    grad_v_c = U @ delta                     # (d,)
    grad_U = np.outer(v_c, delta)            # (d, |V|)
    ### END SOLUTION
    return float(loss), grad_v_c, grad_U


def neg_sampling_loss_and_gradient(v_c, o, U, negatives):
    """Negative-sampling loss for one pair and K negative samples, and its gradients.

    Implements eq. (g.1)
    ``J = -log sigma(u_o^T v_c) - sum_{s=1..K} log sigma(-u_{w_s}^T v_c)``
    through the vectorised forms (g.5) and (g.6) and the scatter (h.2).
    ### BEGIN SOLUTION
    With the stacked matrix
    ``U_ow = [u_o, -u_{w_1}, ..., -u_{w_K}]`` of shape ``(d, K+1)``,
    ``scores = U_ow^T v_c`` and ``delta = 1 - sigma(scores)``,
    ``grad_v_c = -U_ow delta`` (g.5) and ``dJ/dU_ow = -v_c delta^T`` (g.6), so
    the column gradients are ``-delta_0 v_c`` for ``u_o`` and ``+delta_s v_c``
    for each ``u_{w_s}``, added into ``grad_U`` column by column, eq. (h.2).
    ### END SOLUTION

    Repeated negatives count once per occurrence (part (h)). If ``o`` itself
    appears among the negatives, the loss is still exactly (g.1) as written, so
    column ``o`` receives both its positive term and one negative term per
    occurrence; the handout assumes this does not happen, and word2vec
    samplers usually redraw such samples.

    Args:
        v_c: centre vector, shape ``(d,)``.
        o: index of the true outside word.
        U: outside vectors as columns, shape ``(d, |V|)``.
        negatives: K >= 1 word indices ``w_1..w_K`` (a sequence or 1-D array).

    Returns:
        ``(loss, grad_v_c, grad_U)``: a float, shape ``(d,)``, shape ``(d, |V|)``;
        ``grad_U`` is zero outside columns ``o`` and ``negatives``.
    """
    v_c, U = check_v_c_U(v_c, U)
    o = as_word_index("o", o, U.shape[1])
    negatives = as_word_indices("negatives", negatives, U.shape[1])
    ### BEGIN SOLUTION
    U_ow = np.concatenate([U[:, [o]], -U[:, negatives]], axis=1)   # (d, K+1)
    scores = U_ow.T @ v_c                                           # (K+1,)
    loss = -np.sum(log_sigmoid(scores))
    delta = 1.0 - sigmoid(scores)      # (K+1,) reused by all three gradients
    grad_v_c = -U_ow @ delta                                        # (d,)
    grad_U = np.zeros_like(U)
    grad_U[:, o] -= delta[0] * v_c
    # np.add.at, unlike fancy-index +=, adds once per repeated negative: part (h).
    np.add.at(grad_U.T, negatives, np.outer(delta[1:], v_c))
    ### END SOLUTION
    return float(loss), grad_v_c, grad_U
