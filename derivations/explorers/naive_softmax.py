"""Explorer for parts (b) and (c): naive softmax, its loss and both gradients."""
import numpy as np
import traitlets

from ..core import losses
from ..core.arguments import as_word_index
from ..core.functions import softmax
from ._base import CallFailed, Explorer, as_matrix, call_loss_and_gradient
from .rng import random_vectors


def naive_softmax_panel(loss_and_gradient, v_c, o, U):
    """What the naive-softmax panel draws, as JSON-ready lists.

    ``y_hat = softmax(U^T v_c)`` (eq. (a.1)) comes from the book's softmax: the
    panel splits ``dJ/dv_c`` into the terms of eq. (b.1) with it, while loss
    and gradients come from ``loss_and_gradient``, so a wrong implementation
    shows as arrows that do not add up.
    """
    try:
        loss, grad_v_c, grad_U = call_loss_and_gradient(loss_and_gradient, v_c, o, U)
    except CallFailed as exc:
        return {"error": str(exc)}
    return {"error": None, "loss": loss, "y_hat": softmax(U.T @ v_c).tolist(),
            "grad_v_c": grad_v_c.tolist(), "grad_U": grad_U.tolist()}


class NaiveSoftmaxExplorer(Explorer):
    """Drag v_c and the u_w; watch y_hat, J and the gradients of eqs. (a.1), (b.1), (d.1).

    Args:
        naive_softmax_loss_and_gradient: ``f(v_c, o, U) -> (loss, grad_v_c, grad_U)``;
            the book's by default, a reader's own to see theirs drawn.
        vocab_size, dim, seed, o: the starting state (|V| in 2..50, d in 2..10).
        words: optional labels for the |V| words.

    State traits: ``v_c`` (d,), ``U`` (d, |V|) as nested lists, ``o``.
    Changing ``seed``, ``dim`` or ``vocab_size`` redraws v_c and U from the seed.
    ``result["naive"]`` holds what is displayed: loss, y_hat, grad_v_c, grad_U (or error).
    """
    vocab_size = traitlets.Int(6).tag(sync=True)
    o = traitlets.Int(0).tag(sync=True)
    v_c = traitlets.List(traitlets.Float()).tag(sync=True)
    U = traitlets.List(traitlets.List(traitlets.Float())).tag(sync=True)
    words = traitlets.List(traitlets.Unicode()).tag(sync=True)

    _MAX_VOCAB = 50

    def __init__(self, naive_softmax_loss_and_gradient=losses.naive_softmax_loss_and_gradient,
                 *, vocab_size=6, dim=2, seed=0, o=0, words=(), **kwargs):
        self.naive_softmax_loss_and_gradient = naive_softmax_loss_and_gradient
        self._ready = False
        super().__init__(vocab_size=vocab_size, dim=dim, seed=seed, words=list(words),
                         kind=type(self).__name__, **kwargs)
        as_word_index("o", o, vocab_size)
        self.o = o
        self._note_functions(self._function_pairs())
        self._ready = True
        self.regenerate()

    @traitlets.validate("vocab_size")
    def _valid_vocab(self, proposal):
        n = proposal["value"]
        if not 2 <= n <= self._MAX_VOCAB:
            raise traitlets.TraitError(f"vocab_size must be between 2 and {self._MAX_VOCAB}, got {n}")
        return n

    @traitlets.observe("seed", "dim", "vocab_size")
    def _on_shape(self, change):
        if self._ready:
            self.regenerate()

    @traitlets.observe("v_c", "U", "o")
    def _on_state(self, change):
        if not self._ready:
            return
        shape = np.shape(self.U)
        if change["name"] == "U" and len(shape) == 2 and shape != (self.dim, self.vocab_size) \
                and self._MIN_DIM <= shape[0] <= self._MAX_DIM and 2 <= shape[1] <= self._MAX_VOCAB:
            # A U of another shape set from Python: adopt its d and |V| instead of redrawing.
            self._ready = False
            self.dim, self.vocab_size = shape
            self._ready = True
        self.update()

    def regenerate(self):
        """Draw v_c and U afresh from ``seed`` (same numbers as the page's JavaScript)."""
        v_c, U = random_vectors(self.seed, self.dim, self.vocab_size)
        with self.hold_trait_notifications():
            self._ready = False
            self.o = min(self.o, self.vocab_size - 1)
            self.v_c, self.U = v_c, U
            self._ready = True
        self.update()

    def _function_pairs(self):
        return [(self.naive_softmax_loss_and_gradient, losses.naive_softmax_loss_and_gradient)]

    def arrays(self):
        """``(v_c, U)`` as float64 arrays of shapes (d,) and (d, |V|)."""
        v_c = np.asarray(self.v_c, dtype=np.float64)
        return v_c, as_matrix("U", self.U, v_c.shape[0], self.vocab_size)

    def panels(self, v_c, U):
        return {"naive": naive_softmax_panel(self.naive_softmax_loss_and_gradient, v_c, self.o, U)}

    def update(self):
        """Recompute what is displayed from the current state (called on every change)."""
        try:
            v_c, U = self.arrays()
            as_word_index("o", self.o, U.shape[1])
        except (TypeError, ValueError) as exc:
            self._publish_error(str(exc))
            return
        self._publish(**self.panels(v_c, U))

    def step(self):
        """One gradient step on v_c and U with the displayed gradients: x <- x - step_size * dJ/dx."""
        panel = self.result.get(self.STEP_PANEL) or {}
        if panel.get("error") is not None or "grad_v_c" not in panel:
            return
        v_c, U = self.arrays()
        with self.hold_trait_notifications():
            self.v_c = (v_c - self.step_size * np.asarray(panel["grad_v_c"])).tolist()
            self.U = (U - self.step_size * np.asarray(panel["grad_U"])).tolist()

    STEP_PANEL = "naive"
