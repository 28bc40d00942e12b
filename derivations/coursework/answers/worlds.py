"""The concrete worlds every written answer is read in: one place, so it can switch to a shared list.

An answer is judged in *every* world of :data:`ANSWER_SIZES`: the engine's own worlds
(:data:`derivations.symbolic.symbols.WORLDS`), in which ``d``, ``|V|``, ``K``, the
multiplicity of the repeated negative, ``m``, ``o`` and ``c`` all differ from one world to
the other (:func:`across`), and ``d``, ``|V|``, ``K`` differ within each (:func:`coincidences`):
an answer that writes a constant for a symbol (``u_2`` for ``u_o``, ``\\sum_{w=1}^{2}``,
``u_s`` for ``u_{w_s}``) is right in at most one world by accident, never in all.

Each world has two draws of negatives: ``distinct`` (part (g) assumes distinct
negatives) and ``repeated`` (part (h): one word drawn twice), and a skip-gram window
(part (i)): centre word ``c`` and the outside words ``w_{t+j}`` for ``j = -m..m, j != 0``.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class AnswerSizes:
    d: int
    V: int
    o: int
    distinct: tuple        # w_1..w_K for (g): K distinct words, none is o
    repeated: tuple        # w_1..w_K for (h): one word drawn twice
    c: int                 # (i): the centre word
    outside: tuple         # (i): w_{t-m}, ..., w_{t-1}, w_{t+1}, ..., w_{t+m}

    @property
    def K(self):
        return len(self.distinct)

    @property
    def m(self):
        return len(self.outside) // 2

    @property
    def multiplicity(self):
        return max(self.repeated.count(w) for w in self.repeated)

    def describe(self):
        return f"d = {self.d}, |V| = {self.V}, o = {self.o}, K = {self.K}"


def from_shared(w):
    """An :class:`AnswerSizes` from one of :data:`derivations.symbolic.symbols.WORLDS` (the engine's worlds)."""
    return AnswerSizes(w.d, w.V, w.o, tuple(dict.fromkeys(w.negatives)), tuple(w.negatives), w.c, tuple(w.window))


# The engine's worlds (derivations.symbolic.symbols.WORLDS), smallest first: a wrong answer's
# counterexample comes from the first world it fails in. LOCAL is the fallback for a
# package without them.
LOCAL = [
    AnswerSizes(d=3, V=9, o=0, distinct=(5, 6, 7, 8), repeated=(6, 5, 6, 7), c=8, outside=(6, 5)),
    AnswerSizes(d=4, V=8, o=6, distinct=(0, 5, 7), repeated=(5, 0, 5), c=7, outside=(5, 0)),
]
try:
    from ...symbolic.symbols import WORLDS
    ANSWER_SIZES = [from_shared(w) for w in WORLDS]
except ImportError:             # pragma: no cover - an older engine
    ANSWER_SIZES = LOCAL


def across(worlds):
    """The quantities equal in two of ``worlds`` (the engine's rule: every constant differs between them)."""
    names = {"d": lambda s: s.d, "|V|": lambda s: s.V, "K": lambda s: len(s.repeated),
             "multiplicity": lambda s: s.multiplicity, "m": lambda s: s.m, "o": lambda s: s.o, "c": lambda s: s.c}
    return [name for name, f in names.items() if len({f(s) for s in worlds}) < len(worlds)]


def coincidences(s):
    """Within one world: d, |V| and K equal, a bad draw or window; empty when there are none."""
    named = {"d": s.d, "|V|": s.V, "K": len(s.repeated)}
    names = list(named)
    clashes = [(a, b) for i, a in enumerate(names) for b in names[i + 1:] if named[a] == named[b]]
    if len(set(s.distinct)) != len(s.distinct) or s.o in s.distinct or s.o in s.repeated:
        clashes.append(("distinct negatives", "o or a repeat"))
    if s.multiplicity < 2 or not any(s.repeated.count(w) == 1 for w in s.repeated):
        clashes.append(("negatives", "need one drawn once and one drawn several times"))
    if s.c in s.outside or any(not 0 <= w < s.V for w in (s.o, s.c, *s.distinct, *s.repeated, *s.outside)):
        clashes.append(("window", "vocabulary"))
    return clashes


def strict_coincidences(s):
    """The stricter rule: no two of d, |V|, K, the multiplicity, m, o and the negatives' words are equal,
    and no negative sits at its own position (the local worlds satisfy it)."""
    named = {"d": s.d, "|V|": s.V, "K": s.K, "multiplicity": s.multiplicity, "m": s.m, "o": s.o}
    for w in sorted(set(s.distinct) | set(s.repeated)):
        named[f"negative word {w}"] = w
    names = list(named)
    clashes = [(a, b) for i, a in enumerate(names) for b in names[i + 1:] if named[a] == named[b]]
    for draw in (s.distinct, s.repeated):
        clashes += [(f"w_{k}", f"position {k}") for k, w in enumerate(draw, 1) if w == k]
    if len(set(s.distinct)) != len(s.distinct) or s.o in s.distinct or s.o in s.repeated:
        clashes.append(("distinct negatives", "o or a repeat"))
    if s.c in s.outside or any(not 0 <= w < s.V for w in (s.o, s.c, *s.distinct, *s.repeated, *s.outside)):
        clashes.append(("window", "vocabulary"))
    return clashes
