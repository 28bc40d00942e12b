"""What the three explorers share: the anywidget host and the call guard.

Each explorer is one anywidget whose JavaScript (static/*.js, assembled by
assets.module_source) draws the state it is given. In Jupyter the
Python side computes: whenever a state trait changes it calls the
loss-and-gradient function the reader passed and publishes ``result``, which
the drawing shows. In the published page there is no kernel: the build's
``_static/w2v-explorables.js`` renders the same drawing from the widget state
embedded in the page and computes the same quantities in JavaScript
(tests/test_explorables_browser.py compares them with NumPy).
"""
import functools

import anywidget
import numpy as np
import traitlets

from ..core.arguments import check_loss_and_gradients
from .assets import module_source


def synced(method):
    """Run ``method`` holding the widget's sync: every trait it changes (v_c, U, result ...)
    reaches the page in one message, so the page never draws a half-updated state."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self.hold_sync():
            return method(self, *args, **kwargs)
    return wrapper


def function_name(fn):
    return getattr(fn, "__name__", type(fn).__name__)


class CallFailed(Exception):
    """A reader's function raised or returned something unusable; the message says which."""


def call_loss_and_gradient(fn, v_c, o, U, *extra):
    """Call ``fn(v_c, o, U, *extra)`` and return ``(loss, grad_v_c, grad_U)`` as float64 arrays.

    Anything that goes wrong becomes :class:`CallFailed` with a one-line message
    naming the function, so the widget can show it instead of a traceback.
    """
    name = function_name(fn)
    try:
        out = fn(v_c.copy(), o, U.copy(), *extra)
    except Exception as exc:  # the reader's code: any exception is shown, none escapes
        raise CallFailed(f"{name} raised {type(exc).__name__}: {exc}") from exc
    try:
        loss, grad_v_c, grad_U = check_loss_and_gradients(name, out, v_c, U)
    except (TypeError, ValueError) as exc:
        raise CallFailed(str(exc)) from exc
    for what, arr in (("grad_v_c", grad_v_c), ("grad_U", grad_U)):
        if not np.all(np.isfinite(arr)):
            raise CallFailed(f"{name} returned {what} with non-finite entries (nan or inf)")
    return loss, grad_v_c.astype(np.float64), grad_U.astype(np.float64)


def as_matrix(name, value, dim=None, vocab_size=None):
    """``value`` as a finite float64 (d, |V|) array, or a ValueError naming ``name``."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim != 2 or (dim is not None and arr.shape[0] != dim) or \
            (vocab_size is not None and arr.shape[1] != vocab_size):
        raise ValueError(f"{name} must have shape (d, |V|) = ({dim}, {vocab_size}), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


class Explorer(anywidget.AnyWidget):
    """Base class: seed, dimension, revision counter, result, and the step message."""
    _esm = module_source()   # one module for all explorers; `kind` picks the drawing

    seed = traitlets.Int(0).tag(sync=True)
    dim = traitlets.Int(2).tag(sync=True)
    step_size = traitlets.Float(0.5).tag(sync=True)
    # The front end bumps ``rev`` with every change it sends; ``result["rev"]``
    # tells it which state a result belongs to (a stale one is never drawn).
    rev = traitlets.Int(0).tag(sync=True)
    result = traitlets.Dict().tag(sync=True)
    kind = traitlets.Unicode().tag(sync=True)
    # Names of the functions passed in place of the book's: the published page, which
    # cannot run them, says so.
    custom_functions = traitlets.List(traitlets.Unicode()).tag(sync=True)

    _MIN_DIM, _MAX_DIM = 2, 10

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.on_msg(self._on_front_end_msg)

    @traitlets.validate("dim")
    def _valid_dim(self, proposal):
        d = proposal["value"]
        if not self._MIN_DIM <= d <= self._MAX_DIM:
            raise traitlets.TraitError(f"dim must be between {self._MIN_DIM} and {self._MAX_DIM}, got {d}")
        return d

    def _note_functions(self, pairs):
        """Record which of ``(passed, book's default)`` pairs are not the book's."""
        self.custom_functions = [function_name(fn) for fn, default in pairs if fn is not default]

    def set_state(self, sync_data):
        # One change from the page can redraw v_c, U and the result: send them back in one
        # message, so the page never holds a v_c of the new d beside a U of the old one.
        with self.hold_sync():
            super().set_state(sync_data)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in ("regenerate", "update", "step", "resample"):
            if name in cls.__dict__:
                setattr(cls, name, synced(cls.__dict__[name]))

    def _on_front_end_msg(self, _widget, content, _buffers):
        if isinstance(content, dict) and content.get("event") == "step":
            self.step()

    def _publish(self, **values):
        """Set ``result`` (JSON-ready) for the current revision."""
        self.result = {"rev": self.rev, "source": "python", "error": None, **values}

    def _publish_error(self, message):
        self.result = {"rev": self.rev, "source": "python", "error": message}

    def __repr__(self):
        # Deterministic (no object address), so nbval can compare a displayed explorer's text.
        shown = {k: getattr(self, k) for k in self._REPR if self.has_trait(k)}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    _REPR = ("vocab_size", "dim", "seed", "o", "K", "negatives", "sentence", "m", "t")

    @property
    def error(self):
        """The first message the widget shows instead of a drawing, or None."""
        if self.result.get("error"):
            return self.result["error"]
        for panel in self.result.values():
            if isinstance(panel, dict) and panel.get("error"):
                return panel["error"]
        return None
