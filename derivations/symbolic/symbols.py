"""The concrete symbolic worlds every derivation is checked in.

A derivation in the book is written for any ``d`` and ``|V|``; the engine
checks it in each of :data:`WORLDS`, small concrete worlds where every entry of
``v_c`` and ``U`` is its own real SymPy symbol. An identity between sums of
exponentials that holds for *all* such symbols at these sizes is the same algebra
as at any size, and small sizes keep SymPy fast.

One world alone invites coincidences: with ``o = 2`` the answer ``-u_2 + U \\hat y``
"equals" ``-u_o + U \\hat y``; with ``K = 3`` negatives of which one is drawn twice,
``(K - 1)`` "equals" the count ``n_w``. So the worlds are chosen so that no two of
``d``, ``|V|``, ``K``, the multiplicity of the repeated negative, the window's ``m``,
``o``, ``c`` and the positions of the negatives coincide across them, and within
each ``d``, ``|V|`` and ``K`` differ; ``o`` is the last word in one and the first in
the other; each has a negative drawn once and one drawn several times.

Layout as in the package docstring: ``v_c`` is a ``d x 1`` column, ``U`` is
``d x |V|`` with column ``w`` the outside vector ``u_w``.
"""
from dataclasses import dataclass
from types import SimpleNamespace

import sympy as sp


@dataclass(frozen=True)
class Sizes:
    """A concrete world: sizes, the true outside word, the negatives and a skip-gram window.

    ``negatives`` (``w_1..w_K``) repeats a word so part (h) is exercised; ``c`` is
    the skip-gram centre word and ``window`` its outside words ``w_{t+j}``
    (``2m`` of them, a word may repeat). ``name`` is how reports cite the world.
    """
    d: int = 3
    V: int = 5
    o: int = 2
    negatives: tuple = (1, 3, 1)
    c: int = 0
    window: tuple = (2, 4, 2, 1)
    name: str = ""

    @property
    def K(self):
        return len(self.negatives)

    @property
    def m(self):
        return len(self.window) // 2

    def multiplicity(self, w):
        """How many times word ``w`` is among the negatives (``n_w``)."""
        return self.negatives.count(w)

    @property
    def size(self):
        """Number of free symbols of ``v_c`` and ``U``: the order in which worlds are tried."""
        return self.d * (self.V + 1)

    def describe(self):
        """One line naming the world, e.g. ``d=2, |V|=7, o=0, negatives (4, 1, 6, 1, 1)``."""
        return (f"{self.name + ': ' if self.name else ''}d={self.d}, |V|={self.V}, o={self.o}, "
                f"negatives {self.negatives}, window c={self.c}: {self.window}")

    def dims(self):
        """Names a chapter uses for a dimension, mapped to their concrete value."""
        return {"d": self.d, "|V|": self.V, "K": self.K, "K+1": self.K + 1, "1": 1}


SIZES = Sizes()     # the single world of earlier versions; the answer checker still imports it

#: The worlds every derivation is checked in (smallest first: a failure is reported in the
#: smallest world where it shows). Across the two: d 2/3, |V| 8/6, K 5/4, o first/last,
#: the repeated negative drawn 3/2 times at positions {2,4,5}/{1,3}, once-drawn negatives at
#: {1,3}/{2,4}, windows m = 3/2 around c = 7/1 (a repeated outside word in each). Within each,
#: the window's n = 2m differs from |V| - 1, K and K - 1 as well.
WORLDS = (
    Sizes(d=2, V=8, o=0, negatives=(4, 1, 6, 1, 1), c=7, window=(3, 0, 0, 5, 2, 0), name="world B"),
    Sizes(d=3, V=6, o=5, negatives=(2, 0, 2, 3), c=1, window=(5, 3, 5, 0), name="world A"),
)


def sigmoid(x):
    """``sigma(x) = 1 / (1 + exp(-x))`` as a SymPy expression, eq. (f.1)."""
    return 1 / (1 + sp.exp(-x))


def grad(f, wrt):
    """SymPy's own gradient of the scalar ``f`` with respect to a Matrix of symbols.

    The result has the shape of ``wrt`` (a ``d x 1`` column for ``v_c``,
    ``d x |V|`` for ``U``): entry ``(i, j)`` is ``df / d wrt[i, j]``. This is
    the *target* a gradient derivation's last step must equal.
    """
    f = f[0, 0] if isinstance(f, sp.MatrixBase) and f.shape == (1, 1) else f
    return wrt.applyfunc(lambda x: sp.diff(f, x))


def _column(name, n):
    return sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"{name}[{i}]", real=True))


def _outside_vectors(sizes):
    # Column w is u_w; each entry is a free real symbol named like the NumPy index.
    return sp.Matrix(sizes.d, sizes.V, lambda i, w: sp.Symbol(f"U[{i},{w}]", real=True))


def naive_softmax_symbols(sizes=SIZES):
    """Symbols and expressions of the naive-softmax loss at concrete sizes.

    Returns a namespace with ``v_c`` (``d x 1``), ``U`` (``d x |V|``), ``u(w)``
    (column ``w``, ``d x 1``), ``o``, ``d``, ``V`` (the integer ``|V|``),
    ``scores = U^T v_c`` (``|V| x 1``), ``exp_scores``, ``Z`` (their sum),
    ``y_hat = softmax(scores)`` (``|V| x 1``), ``y`` (one-hot at ``o``),
    ``delta = y_hat - y`` and the loss ``J = -log y_hat_o`` (a scalar), eq. (a.1).
    """
    v_c = _column("v_c", sizes.d)
    U = _outside_vectors(sizes)
    scores = U.T * v_c
    exp_scores = scores.applyfunc(sp.exp)
    Z = sum(exp_scores)
    y_hat = exp_scores / Z
    y = sp.Matrix(sizes.V, 1, lambda w, _: 1 if w == sizes.o else 0)
    return SimpleNamespace(
        sizes=sizes, d=sizes.d, V=sizes.V, o=sizes.o, v_c=v_c, U=U,
        u=lambda w: U[:, w], scores=scores, exp_scores=exp_scores, Z=Z,
        y_hat=y_hat, y=y, delta=y_hat - y, J=-sp.log(y_hat[sizes.o]))


def neg_sampling_symbols(sizes=SIZES):
    """Symbols and expressions of the negative-sampling loss, eq. (g.1).

    Everything :func:`naive_softmax_symbols` has for ``v_c``, ``U``, ``u(w)``
    and ``o``, plus ``negatives`` (``w_1..w_K``, one repeated), ``K``,
    ``sigma`` (a function), ``U_ow = [u_o, -u_{w_1}, ..., -u_{w_K}]``
    (``d x (K+1)``) and the loss
    ``J = -log sigma(u_o^T v_c) - sum_s log sigma(-u_{w_s}^T v_c)``.
    """
    v_c = _column("v_c", sizes.d)
    U = _outside_vectors(sizes)
    o, negatives = sizes.o, tuple(sizes.negatives)
    dot = lambda w: (U[:, w].T * v_c)[0, 0]
    J = -sp.log(sigmoid(dot(o))) - sum(sp.log(sigmoid(-dot(w))) for w in negatives)
    U_ow = sp.Matrix.hstack(U[:, o], *[-U[:, w] for w in negatives])
    return SimpleNamespace(
        sizes=sizes, d=sizes.d, V=sizes.V, o=o, K=sizes.K, negatives=negatives,
        v_c=v_c, U=U, u=lambda w: U[:, w], sigma=sigmoid, U_ow=U_ow, J=J)
