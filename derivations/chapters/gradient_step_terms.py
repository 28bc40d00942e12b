"""Part (b)(ii)-(iii): what one gradient step on ``v_c`` does, term by term.

Eq. (b.1) splits the gradient into two terms.
### BEGIN SOLUTION
``dJ/dv_c = -u_o + U y_hat``: subtracting it adds ``u_o`` to ``v_c`` (a pull
toward the true outside word) and subtracts ``U y_hat = sum_w y_hat_w u_w``
(a push away from what the model currently expects).
### END SOLUTION
These functions measure each term's effect; shapes as in the package docstring.
"""
import numpy as np

from ..core.arguments import as_word_index, check_v_c_U
from ..core.functions import softmax
from ..core.losses import naive_softmax_loss_and_gradient


def probability_of_o(v_c, o, U):
    """``P(O = o | C = c) = softmax(U^T v_c)_o``, eq. (a.1); a float."""
    v_c, U = check_v_c_U(v_c, U)
    return float(softmax(U.T @ v_c)[as_word_index("o", o, U.shape[1])])


# The two terms are part (b)'s answer, graded as a written answer: the student
# edition replaces the whole function with a stand-in that names it.
### BEGIN SOLUTION
def gradient_terms(v_c, o, U):
    """The two terms of eq. (b.1) (pull, push), each of shape ``(d,)``: ``(-u_o, U y_hat)``."""
    v_c, U = check_v_c_U(v_c, U)
    o = as_word_index("o", o, U.shape[1])
    y_hat = softmax(U.T @ v_c)                  # (|V|,)
    return -U[:, o], U @ y_hat
### END SOLUTION


def step_effects(v_c, o, U, learning_rates, loss_and_gradient=naive_softmax_loss_and_gradient):
    """``P(o | c)`` after one step ``v_c - lr * g`` for three choices of ``g``.

    ``g`` is the whole gradient (from ``loss_and_gradient``, so a reader's own
    implementation can be measured), the pull term ``-u_o`` alone, or the push
    term ``U y_hat`` alone. Returns a dict of arrays of shape ``(len(learning_rates),)``
    under the keys ``"both terms"``, ``"-u_o only"``, ``"U y_hat only"``.
    """
    v_c, U = check_v_c_U(v_c, U)
    lrs = np.asarray(learning_rates, dtype=float)
    if lrs.ndim != 1 or not np.all(np.isfinite(lrs)) or np.any(lrs < 0):
        raise ValueError(f"learning_rates must be a 1-D sequence of finite numbers >= 0, got {learning_rates!r:.80}")
    _, grad_v_c, _ = loss_and_gradient(v_c, o, U)
    pull, push = gradient_terms(v_c, o, U)
    directions = {"both terms": np.asarray(grad_v_c, float), "-u_o only": pull, "U y_hat only": push}
    return {name: np.array([probability_of_o(v_c - lr * g, o, U) for lr in lrs])
            for name, g in directions.items()}


def zero_gradient_cases(o=2):
    """Two ``(v_c, U)`` pairs with ``dJ/dv_c = 0`` although ``y_hat != y`` (part (b)(ii)).

    ### BEGIN SOLUTION
    * ``"u_o is the centroid"``: ``u_o = 0`` and the other outside vectors come
      in opposite pairs, so ``U y_hat = u_o`` for the uniform ``y_hat`` that
      ``v_c = e_3`` produces: ``v_c`` is as good as it can be for this ``U``.
    * ``"identical outside vectors"``: every ``u_w`` is the same vector, so
      ``U (y_hat - y) = u (sum_w y_hat_w - 1) = 0`` for every ``v_c``.
    ### END SOLUTION

    Shapes: ``v_c`` ``(3,)``, ``U`` ``(3, 5)``; ``o`` is the true word (column
    ``o`` of the first ``U`` is the zero vector).
    """
    pairs = np.array([[1.0, 0, 0], [-1.0, 0, 0], [0, 1.0, 0], [0, -1.0, 0]])
    centroid = np.insert(pairs, o, 0.0, axis=0).T                       # (3, 5)
    identical = np.tile(np.array([[0.5], [-1.0], [2.0]]), (1, 5))        # (3, 5)
    return {"u_o is the centroid": (np.array([0.0, 0.0, 1.0]), centroid),
            "identical outside vectors": (np.array([0.3, -0.7, 1.1]), identical)}
