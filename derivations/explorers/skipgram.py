"""Explorer for part (i): skip-gram over one window, each context word's contribution and the sum."""
import re

import numpy as np
import traitlets

from ..core import losses
from ..core.skipgram import context_window, skipgram as book_skipgram
from ._base import CallFailed, Explorer, as_matrix, call_loss_and_gradient, function_name
from .rng import random_centre_and_outside

MAX_WORDS = 20


def tokens_of(sentence):
    """Split a sentence on whitespace (the text is only ever split, never evaluated)."""
    if not isinstance(sentence, str):
        raise TypeError(f"sentence must be a string, got {type(sentence).__name__}")
    tokens = re.findall(r"\S+", sentence)
    if not 2 <= len(tokens) <= MAX_WORDS:
        raise ValueError(f"sentence must hold 2 to {MAX_WORDS} words, got {len(tokens)}")
    return tokens


def skipgram_panel(skipgram_fn, loss_and_gradient, c, outside, V, U):
    """Per-context-word terms of eq. (i.1)/(i.3) and the total from ``skipgram_fn``.

    ``contributions[j]`` is ``J(v_c, w_{t+j}, U)`` and its ``dJ/dv_c``, from
    ``loss_and_gradient``; ``loss``/``grad_v_c`` are what ``skipgram_fn`` returns
    (column c of its grad_V), so a skipgram that does not sum its terms shows.
    """
    v_c = V[:, c].copy()
    contributions = []
    try:
        for o in outside:
            loss, grad_v_c, _ = call_loss_and_gradient(loss_and_gradient, v_c, int(o), U)
            contributions.append({"loss": loss, "grad_v_c": grad_v_c.tolist()})
    except CallFailed as exc:
        return {"error": str(exc)}
    name = function_name(skipgram_fn)
    try:
        out = skipgram_fn(c, list(outside), V.copy(), U.copy(), loss_and_gradient)
    except Exception as exc:  # the reader's code: shown in the widget, not raised
        return {"error": f"{name} raised {type(exc).__name__}: {exc}"}
    if not isinstance(out, tuple) or len(out) != 3:
        return {"error": f"{name} must return (loss, grad_V, grad_U), got {type(out).__name__}"}
    loss, grad_V, grad_U = out
    for what, got in (("grad_V", grad_V), ("grad_U", grad_U)):
        if np.shape(got) != V.shape:
            return {"error": f"{name} returned {what} of shape {np.shape(got)}, expected {V.shape} (d, |V|)"}
        if not np.all(np.isfinite(got)):
            return {"error": f"{name} returned {what} with non-finite entries"}
    if np.ndim(loss) != 0 or not np.isfinite(loss):
        return {"error": f"{name} returned a loss that is not a finite number"}
    return {"error": None, "contributions": contributions, "loss": float(loss),
            "grad_v_c": np.asarray(grad_V, dtype=np.float64)[:, c].tolist()}


class SkipgramExplorer(Explorer):
    """A sentence, a window m and a centre position t: eq. (i.1)-(i.3) term by term.

    Args:
        naive_softmax_loss_and_gradient: the per-pair loss ``f(v_c, o, U)``.
        skipgram: ``skipgram(c, outside, V, U, f) -> (loss, grad_V, grad_U)``.
        sentence: up to 20 whitespace-separated words; the vocabulary is its
            distinct words in order of appearance.
        m, t, dim, seed: window size (1..4), centre position, d, seed.

    State traits: ``V``, ``U`` (d, |V|) nested lists; the centre vector is
    column ``c`` of V, dragged in the page. ``result`` holds ``c``, ``outside``,
    ``positions``, ``contributions`` and the total ``loss``/``grad_v_c``.
    """
    sentence = traitlets.Unicode("the quick brown fox jumps over the lazy dog").tag(sync=True)
    m = traitlets.Int(2).tag(sync=True)
    t = traitlets.Int(3).tag(sync=True)
    V = traitlets.List(traitlets.List(traitlets.Float())).tag(sync=True)
    U = traitlets.List(traitlets.List(traitlets.Float())).tag(sync=True)

    def __init__(self, naive_softmax_loss_and_gradient=losses.naive_softmax_loss_and_gradient,
                 skipgram=book_skipgram, **kwargs):
        self.naive_softmax_loss_and_gradient = naive_softmax_loss_and_gradient
        self.skipgram = skipgram
        self._ready = False
        super().__init__(kind=type(self).__name__, **kwargs)
        self._note_functions([(naive_softmax_loss_and_gradient, losses.naive_softmax_loss_and_gradient),
                              (skipgram, book_skipgram)])
        self._ready = True
        self.regenerate()

    @traitlets.validate("m")
    def _valid_m(self, proposal):
        if not 1 <= proposal["value"] <= 4:
            raise traitlets.TraitError(f"m (window size) must be between 1 and 4, got {proposal['value']}")
        return proposal["value"]

    @property
    def vocabulary(self):
        return list(dict.fromkeys(tokens_of(self.sentence)))

    @traitlets.observe("seed", "dim", "sentence")
    def _on_shape(self, change):
        if self._ready:
            self.regenerate()

    @traitlets.observe("V", "U", "m", "t")
    def _on_state(self, change):
        if self._ready:
            self.update()

    def regenerate(self):
        """Draw V and U afresh from ``seed`` for the sentence's vocabulary."""
        try:
            n = len(self.vocabulary)
        except (TypeError, ValueError) as exc:
            self._publish_error(str(exc))
            return
        V, U = random_centre_and_outside(self.seed, self.dim, n)
        self._ready = False
        self.V, self.U = V, U
        self.t = min(self.t, len(tokens_of(self.sentence)) - 1)
        self._ready = True
        self.update()

    def update(self):
        try:
            tokens = tokens_of(self.sentence)
            vocab = list(dict.fromkeys(tokens))
            V = as_matrix("V", self.V, self.dim, len(vocab))
            U = as_matrix("U", self.U, self.dim, len(vocab))
            c, outside = context_window([vocab.index(w) for w in tokens], self.t, self.m)
        except (TypeError, ValueError) as exc:
            self._publish_error(str(exc))
            return
        positions = [self.t + j for j in range(-self.m, self.m + 1)
                     if j != 0 and 0 <= self.t + j < len(tokens)]
        self._publish(c=c, outside=[int(o) for o in outside], positions=positions,
                      skipgram=skipgram_panel(self.skipgram, self.naive_softmax_loss_and_gradient,
                                              c, outside, V, U))

    def step(self):
        """A gradient step on v_c (column c of V) with the displayed total gradient."""
        panel = self.result.get("skipgram") or {}
        if panel.get("error") is not None or "grad_v_c" not in panel:
            return
        V = np.asarray(self.V, dtype=np.float64)
        V[:, self.result["c"]] -= self.step_size * np.asarray(panel["grad_v_c"])
        self.V = V.tolist()
