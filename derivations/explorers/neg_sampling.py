"""Explorer for parts (g) and (h): negative sampling beside naive softmax, same v_c and U."""
import numpy as np
import traitlets

from ..core import losses
from ..core.arguments import as_word_index, as_word_indices
from ._base import CallFailed, call_loss_and_gradient
from .rng import sample_negatives
from .naive_softmax import NaiveSoftmaxExplorer, naive_softmax_panel


def neg_sampling_panel(loss_and_gradient, v_c, o, U, negatives):
    """What the negative-sampling panel draws (eq. (g.1) and its gradients, (g.5)).

    ``grad_U`` comes from ``loss_and_gradient``: a negative drawn twice shows
    its accumulated column gradient (part (h)); ``counts`` says how often each
    word was drawn so the page can highlight the repeats.
    """
    try:
        loss, grad_v_c, grad_U = call_loss_and_gradient(loss_and_gradient, v_c, o, U, list(negatives))
    except CallFailed as exc:
        return {"error": str(exc)}
    counts = np.bincount(np.asarray(negatives, dtype=np.int64), minlength=U.shape[1])
    return {"error": None, "loss": loss, "grad_v_c": grad_v_c.tolist(), "grad_U": grad_U.tolist(),
            "counts": counts.tolist()}


class NegSamplingExplorer(NaiveSoftmaxExplorer):
    """Negative sampling (left) and naive softmax (right) for the same v_c, U and o.

    Args:
        neg_sampling_loss_and_gradient: ``f(v_c, o, U, negatives) -> (loss, grad_v_c, grad_U)``.
        naive_softmax_loss_and_gradient: the right-hand panel's function.
        K: number of negatives (1..20), drawn from the seed; ``draw`` counts resamplings.
        negatives: optional word indices set by hand (repeats allowed); K follows.
        The other arguments as for :class:`NaiveSoftmaxExplorer`.

    ``result["neg"]`` and ``result["naive"]`` hold what the two panels display.
    """
    K = traitlets.Int(4).tag(sync=True)
    draw = traitlets.Int(0).tag(sync=True)
    negatives = traitlets.List(traitlets.Int()).tag(sync=True)

    STEP_PANEL = "neg"
    _MAX_K = 20

    def __init__(self, neg_sampling_loss_and_gradient=losses.neg_sampling_loss_and_gradient,
                 naive_softmax_loss_and_gradient=losses.naive_softmax_loss_and_gradient,
                 *, K=4, negatives=None, **kwargs):
        self.neg_sampling_loss_and_gradient = neg_sampling_loss_and_gradient
        self._ready = False
        self.set_trait("K", K)
        super().__init__(naive_softmax_loss_and_gradient, **kwargs)
        if negatives is not None:
            self.negatives = list(negatives)

    @traitlets.validate("K")
    def _valid_K(self, proposal):
        k = proposal["value"]
        if not 1 <= k <= self._MAX_K:
            raise traitlets.TraitError(f"K must be between 1 and {self._MAX_K}, got {k}")
        return k

    @traitlets.observe("K", "draw")
    def _on_sampling(self, change):
        if self._ready:
            self.resample(draw=self.draw)

    @traitlets.observe("negatives")
    def _on_negatives(self, change):
        if self._ready:
            if len(self.negatives) != self.K and 1 <= len(self.negatives) <= self._MAX_K:
                self._ready = False
                self.K = len(self.negatives)   # set by hand: K follows
                self._ready = True
            self.update()

    def regenerate(self):
        v_c_U_ready = self._ready
        self._ready = False
        self.negatives = sample_negatives(self.seed, self.draw, min(self.o, self.vocab_size - 1),
                                          self.vocab_size, self.K)
        self._ready = v_c_U_ready
        super().regenerate()

    def resample(self, draw=None):
        """Draw K new negatives (uniform over the words but o, with replacement)."""
        self._ready = False
        self.draw = self.draw + 1 if draw is None else draw
        self.negatives = sample_negatives(self.seed, self.draw, self.o, self.vocab_size, self.K)
        self._ready = True
        self.update()

    def _function_pairs(self):
        return [(self.neg_sampling_loss_and_gradient, losses.neg_sampling_loss_and_gradient),
                *super()._function_pairs()]

    def panels(self, v_c, U):
        try:
            negatives = as_word_indices("negatives", self.negatives, U.shape[1])
        except (TypeError, ValueError) as exc:
            neg = {"error": str(exc)}
        else:
            neg = neg_sampling_panel(self.neg_sampling_loss_and_gradient, v_c, self.o, U, negatives)
        return {"neg": neg, **super().panels(v_c, U)}
