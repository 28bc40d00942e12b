"""A tiny seeded generator shared, bit for bit, with the explorers' JavaScript.

The published page has no kernel, so the page itself must redraw the same U
for the same seed as Jupyter does. Mulberry32 uses only 32-bit integer
arithmetic, and every value below is an integer divided by a power of ten or
two, so Python and JavaScript produce identical floats (no libm involved).
The JavaScript twin is ``rng``/``randomState``/``sampleNegatives`` in static/common.js.
"""
M32 = 0xFFFFFFFF


def _imul(a, b):
    return (a * b) & M32


class Mulberry32:
    """Mulberry32 (Tommy Ettinger): ``next()`` returns an unsigned 32-bit integer."""

    def __init__(self, seed):
        self.a = int(seed) & M32

    def next(self):
        self.a = (self.a + 0x6D2B79F5) & M32
        a = self.a
        t = _imul(a ^ (a >> 15), 1 | a)
        t = ((t + _imul(t ^ (t >> 7), 61 | t)) & M32) ^ t
        return (t ^ (t >> 14)) & M32

    def coordinate(self):
        """A coordinate in [-1.5, 1.5] with two decimals (readable in the display)."""
        return (((self.next() * 301) >> 32) - 150) / 100

    def below(self, n):
        """An integer in range(n), uniformly (floor(u * n) with u = next() / 2**32)."""
        return (self.next() * n) >> 32


def random_vectors(seed, dim, vocab_size):
    """``(v_c, U)`` drawn from ``seed``: v_c (d,) first, then U (d, |V|) column by column.

    Returned as nested lists (``U[i][w]``). Growing |V| keeps v_c and the columns already drawn.
    """
    rng = Mulberry32(seed)
    v_c = [rng.coordinate() for _ in range(dim)]
    cols = [[rng.coordinate() for _ in range(dim)] for _ in range(vocab_size)]
    return v_c, [[cols[w][i] for w in range(vocab_size)] for i in range(dim)]


def random_centre_and_outside(seed, dim, vocab_size):
    """``(V, U)`` for skip-gram, both (d, |V|): word by word, v_w then u_w."""
    rng = Mulberry32(seed)
    pairs = [([rng.coordinate() for _ in range(dim)], [rng.coordinate() for _ in range(dim)])
             for _ in range(vocab_size)]
    V = [[pairs[w][0][i] for w in range(vocab_size)] for i in range(dim)]
    U = [[pairs[w][1][i] for w in range(vocab_size)] for i in range(dim)]
    return V, U


def sample_negatives(seed, draw, o, vocab_size, K):
    """K negative word indices drawn uniformly with replacement from every word but ``o``."""
    rng = Mulberry32((seed * 1000003 + draw * 7919 + 12345) & M32)
    out = []
    for _ in range(K):
        w = rng.below(vocab_size - 1)
        out.append(w + 1 if w >= o else w)
    return out
