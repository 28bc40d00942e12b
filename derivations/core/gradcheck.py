"""Gradient checks by central differences, and the one line a passing check shows.

Every check a reader sees both shows and asserts: :func:`compare` shows one line
(``✓ grad_v_c matches (max difference 5.7e-12)``, the numbers behind it folded in a
``<details>`` in HTML) and raises :class:`CheckFailed` when the difference passes its
stated tolerance. A passing result never reads as an alarm: rounding makes two correct
floating-point results differ in their last bits, and that is what "matches" means.
"""
import html
import sys
from dataclasses import dataclass

import numpy as np

from .arguments import check_loss_and_gradients, check_v_c_U


class CheckFailed(AssertionError):
    """A numerical check failed; the message says where and by how much."""


def relative_error(a, b, floor):
    """Elementwise ``|a - b| / max(|a|, |b|, floor)``.

    ``floor`` keeps coordinates whose true value is ~0 from dividing noise by
    noise; it is set from the function's scale, not fixed (see :func:`gradcheck`).
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)


@dataclass
class GradcheckResult:
    """Outcome of :func:`gradcheck`: the worst coordinate and its two values."""
    max_rel_error: float
    index: tuple
    analytic: float
    numeric: float
    rtol: float

    @property
    def passed(self):
        return self.max_rel_error <= self.rtol

    def __str__(self):
        verdict = "passed" if self.passed else "FAILED"
        return (f"gradcheck {verdict}: worst relative error {self.max_rel_error:.2e} "
                f"(rtol {self.rtol:.0e}) at index {self.index}: "
                f"analytic {self.analytic:.10g}, numeric {self.numeric:.10g}")


def numerical_gradient(f, x, h=1e-5, coords=None):
    """Central differences ``(f(x + h e_i) - f(x - h e_i)) / 2h`` of ``f(x)[0]``.

    ``coords`` optionally limits the check to some flat indices (the rest are nan).
    ``x`` is not modified.
    """
    x = np.array(x, dtype=np.float64, order="C")   # reshape(-1) below must be a view
    numeric = np.full(x.shape, np.nan)
    flat, out = x.reshape(-1), numeric.reshape(-1)
    for i in (range(flat.size) if coords is None else coords):
        old = flat[i]
        flat[i] = old + h
        f_plus = f(x)[0]
        flat[i] = old - h
        f_minus = f(x)[0]
        flat[i] = old
        out[i] = (f_plus - f_minus) / (2 * h)
    return numeric


def gradcheck(f, x, *, h=1e-5, rtol=1e-4, max_coords=None, seed=0, assert_passes=False):
    """Compare the gradient ``f`` returns with central differences.

    Args:
        f: ``f(x) -> (value, grad)`` with ``grad.shape == x.shape``.
        x: the point, any shape; not modified.
        h: the finite-difference step.
        rtol: the largest relative error that passes. The error at coordinate
            ``i`` is ``|a_i - n_i| / max(|a_i|, |n_i|, 1e-5 max(1, |f(x)|))``:
            the floor is the size of central-difference noise for a function of
            that scale, so coordinates that are really 0 do not fail on noise,
            while a gradient that is off by 0.1% everywhere fails (error 1e-3).
        max_coords: check only this many coordinates, chosen with ``seed``.
        assert_passes: raise :class:`CheckFailed` with the worst coordinate if
            the check fails.

    Returns:
        A :class:`GradcheckResult` (worst error, its index, both values).
    """
    x = np.array(x, dtype=np.float64, order="C")   # reshape(-1) below must be a view
    value, analytic = f(x)
    analytic = np.asarray(analytic, dtype=np.float64)
    if analytic.shape != x.shape:
        raise ValueError(f"f returned a gradient of shape {analytic.shape}, expected {x.shape} (the shape of x)")
    coords = None
    if max_coords is not None and max_coords < x.size:
        coords = np.random.default_rng(seed).choice(x.size, size=max_coords, replace=False)
    numeric = numerical_gradient(f, x, h, coords)
    checked = ~np.isnan(numeric)
    floor = 1e-5 * max(1.0, abs(float(value)))
    err = np.where(checked, relative_error(analytic, np.nan_to_num(numeric), floor), -1.0)
    worst = np.unravel_index(int(np.argmax(err)), x.shape)
    result = GradcheckResult(float(err[worst]), tuple(int(i) for i in worst),
                             float(analytic[worst]), float(numeric[worst]), rtol)
    if assert_passes and not result.passed:
        raise CheckFailed(str(result))
    return result


class Match(float):
    """What :func:`compare` returns: the largest absolute difference, as a ``float``.

    It also carries what the check found (``name``, ``exact``, ``max_rel_error``,
    ``rtol``, ``shape``, ``against``) and shows itself as one line, with the numbers
    folded in HTML. Shown once: :func:`compare` displays it when it runs, so the same
    object left as a cell's last expression adds nothing (no stray ``0.0``).
    """

    def __new__(cls, maxdiff, **facts):
        self = super().__new__(cls, maxdiff)
        self.name, self.exact = facts["name"], facts["exact"]
        self.max_rel_error, self.rtol = facts["max_rel_error"], facts["rtol"]
        self.shape, self.against = facts["shape"], facts.get("against", "")
        self.shown_in = None      # the IPython execution that displayed it
        return self

    def __reduce__(self):         # pickles (and copies) as the plain float it is
        return float, (float(self),)

    def summary(self):
        """The one line: ``✓ name matches [against] (max difference 1.2e-16)``, or ``... matches exactly``."""
        against = f" {self.against}" if self.against else ""
        how = "exactly" if self.exact else f"(max difference {float(self):.1e})"
        return f"✓ {self.name} matches{against} {how}"

    def details(self):
        """The numbers behind the line, as ``(what, value)`` pairs."""
        return [("shape", str(self.shape) if self.shape else "scalar"),
                ("largest absolute difference", f"{float(self):.1e}"),
                ("largest relative difference", f"{self.max_rel_error:.1e} (allowed: {self.rtol:.0e})"),
                ("bit-for-bit identical", "yes" if self.exact else
                 "no (floating-point rounding differs; expected for correct results)")]

    def _repr_html_(self):
        rows = "".join(f"<li>{html.escape(k)}: {html.escape(v)}</li>" for k, v in self.details())
        return (f'<details class="w2v-checked"><summary>{html.escape(self.summary())}</summary>'
                f"<ul>{rows}</ul></details>")

    def _ipython_display_(self):
        shell = _ipython()
        if shell is not None and self.shown_in == shell.execution_count:
            return                          # compare() showed it in this cell already
        from IPython.display import display   # only reached inside IPython
        display(_Line(self))


class _Line:
    """A :class:`Match` as IPython displays it: text/plain is the one line, text/html folds the rest."""

    def __init__(self, match):
        self.match = match

    def __repr__(self):
        return self.match.summary()

    def _repr_html_(self):
        return self.match._repr_html_()


def _ipython():
    # The running IPython shell, or None; never imports IPython (this package needs NumPy only).
    module = sys.modules.get("IPython")
    return module.get_ipython() if module is not None else None


def _show(match):
    shell = _ipython()
    if shell is None:
        print(match.summary())
        return
    from IPython.display import display
    display(_Line(match))
    match.shown_in = shell.execution_count


def compare(name, got, expected, rtol=1e-4, floor=1e-8, *, verbose=True, against=""):
    """Show ``✓ name matches (max difference ...)`` and raise if not approximately equal.

    ``got`` and ``expected`` are arrays of one shape (or scalars). They match when every
    coordinate's relative error (:func:`relative_error` with ``floor``) is at most ``rtol``;
    otherwise :class:`CheckFailed` names the worst coordinate and both values.
    ``against`` names what ``expected`` is (e.g. ``"central differences"``) in the line.

    Returns:
        A :class:`Match`: the maximum absolute difference as a ``float``, which also
        displays as the one line (shown once, see :class:`Match`).
    """
    got, expected = np.asarray(got, float), np.asarray(expected, float)
    if got.shape != expected.shape:
        raise CheckFailed(f"{name}: shape {got.shape}, expected {expected.shape}")
    err = relative_error(got, expected, floor)
    maxdiff = float(np.max(np.abs(got - expected))) if got.size else 0.0
    if not bool(np.all(err <= rtol)):
        worst = np.unravel_index(int(np.argmax(err)), err.shape) if err.ndim else ()
        raise CheckFailed(
            f"{name} does not match{' ' + against if against else ''}: relative error "
            f"{float(np.max(err)):.2e} exceeds rtol {rtol:.0e} at index "
            f"{tuple(int(i) for i in worst)}: got {float(got[worst]):.10g}, expected {float(expected[worst]):.10g}")
    match = Match(maxdiff, name=name, exact=bool(np.array_equal(got, expected)),
                  max_rel_error=float(np.max(err)) if err.size else 0.0, rtol=rtol, shape=got.shape,
                  against=against)
    if verbose:
        _show(match)
    return match


def check_gradients(loss_and_gradient, v_c, o, U, *args, h=1e-5, rtol=1e-4, verbose=True):
    """Gradcheck both gradients of a loss-and-gradient function at one point.

    ``loss_and_gradient(v_c, o, U, *args) -> (loss, grad_v_c, grad_U)``, e.g.
    :func:`~derivations.naive_softmax_loss_and_gradient` or a student's own.
    Shows one line per gradient (``✓ grad_v_c matches central differences (max
    difference ...)``) and raises :class:`CheckFailed` past ``rtol``. Returns the loss.
    """
    v_c, U = check_v_c_U(v_c, U)
    name = getattr(loss_and_gradient, "__name__", "loss_and_gradient")

    def call(v, W):
        return check_loss_and_gradients(name, loss_and_gradient(v, o, W, *args), v, W)

    loss, grad_v_c, grad_U = call(v_c, U)
    floor = 1e-5 * max(1.0, abs(loss))
    numeric_v_c = numerical_gradient(lambda v: call(v, U), v_c, h)
    numeric_U = numerical_gradient(lambda W: call(v_c, W), U, h)
    for label, analytic, numeric in (("grad_v_c", grad_v_c, numeric_v_c), ("grad_U", grad_U, numeric_U)):
        compare(label, analytic, numeric, rtol=rtol, floor=floor, verbose=verbose, against="central differences")
    return loss
