"""Verdicts on written answers, decided by the engine's equality checker.

A written formula can often be read more than one way: *as written*, or with
a documented change of notation (the seed writes ``u_0`` for ``u_o``), or with
some transpose marks dropped (``\\hat y_w v_c^T`` for a column gradient). The
caller lists these :class:`Reading` s, the literal one first; :func:`grade`
compares them with the correct value using
:func:`derivations.symbolic.equality.equivalent` and
:func:`~derivations.symbolic.equality.equivalent_up_to_transpose` (symbolic where cheap,
else at seeded random points) and returns a :class:`Grade`:

* ``correct``: the reading *as written* equals the reference;
* ``correct up to notation or transposes``: not as written, but a documented
  reading does, or the transpose of one does (a ``1 x d`` row for a ``d x 1``
  column);
* ``wrong``: no reading does; the grade carries the engine's counterexample
  (a point and both sides' values) for the most charitable reading that has the
  reference's shape (or the reason none has): an error no change of notation
  or transpose explains away.

Nothing here knows an expected verdict: it only compares values.
"""
from dataclasses import dataclass, field

from ..symbolic.equality import Counterexample, as_sympy, equivalent, shape_of

CORRECT = "correct"
UP_TO_NOTATION = "correct up to notation or transposes"
WRONG = "wrong"
VERDICTS = (CORRECT, UP_TO_NOTATION, WRONG)


@dataclass
class Reading:
    """One way of reading a written formula.

    ``value`` is its SymPy value at the engine's concrete sizes, or None when
    this reading does not make sense (``error`` says why, e.g. a sum of a
    ``3 x 1`` and a ``1 x 3`` matrix). ``changes`` lists what departs from the
    letter of the text (empty for the literal reading).
    """
    description: str
    value: object = None
    error: str = ""
    changes: tuple = ()

    @property
    def literal(self):
        return not self.changes


@dataclass
class Grade:
    """The verdict on one formula, the reading that decided it, and a counterexample if wrong."""
    verdict: str
    reading: Reading
    how: str
    counterexample: Counterexample = None
    readings: list = field(default_factory=list)

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")
        if (self.verdict == WRONG) != (self.counterexample is not None):
            raise ValueError("a wrong verdict needs a counterexample, and only a wrong one has one")

    def summary(self):
        """One short line: how it was decided; for a wrong verdict, where the sides differ."""
        if self.verdict != WRONG:
            return self.how
        cex = self.counterexample
        if cex.point is None:
            return cex.reason
        entry = f" in entry {cex.index}" if cex.index else ""
        return (f"{cex.reason}{entry} at a random point ({len(cex.point)} symbols): "
                f"{_entry(cex.lhs, cex.index):.4g} (answer) vs {_entry(cex.rhs, cex.index):.4g} (reference)")


def _entry(value, index):
    import numpy as np
    value = np.asarray(value, dtype=float)
    return float(value[index] if index else value.ravel()[0])


def _references(reference):
    refs = list(reference) if isinstance(reference, (list, tuple)) else [reference]
    if not refs:
        raise ValueError("reference must be a SymPy value or a non-empty list of acceptable values")
    return [as_sympy("reference", r) for r in refs]


def _compare(value, ref, points, seed):
    """``("equal" | "transposed" | None, counterexample)``: each pair is compared once."""
    sv, sr = shape_of(value), shape_of(ref)
    if sv == sr:
        equal, cex = equivalent(value, ref, points, seed)
        return ("equal" if equal else None), cex
    if sv and sv[::-1] == sr:
        equal, cex = equivalent(value.T, ref, points, seed)
        return ("transposed" if equal else None), cex
    return None, equivalent(value, ref, points, seed)[1]      # a shape mismatch, decided at once


def grade(readings, reference, points=20, seed=0):
    """Judge a written formula: see the module docstring.

    Args:
        readings: a non-empty list of :class:`Reading`, the literal one first,
            then the others from most to least faithful.
        reference: the correct SymPy value, or a list of values any of which is
            acceptable (e.g. ``[g, -g]`` for "holds exactly when g = 0").
        points, seed: the engine's numeric check (seeded: same verdict every run).
    Returns:
        a :class:`Grade`.
    """
    readings = list(readings)
    if not readings or not all(isinstance(r, Reading) for r in readings):
        raise TypeError(f"readings must be a non-empty list of Reading, got {readings!r:.100}")
    if not readings[0].literal:
        raise ValueError("the first reading must be the literal one (no changes)")
    refs = _references(reference)
    usable = [r for r in readings if r.value is not None]
    values = {id(r): as_sympy("reading value", r.value) for r in usable}
    cexs = {}
    for r in usable:
        for k, ref in enumerate(refs):
            outcome, cex = _compare(values[id(r)], ref, points, seed)
            if k == 0:
                cexs[id(r)] = cex
            if outcome == "equal" and r is readings[0]:
                return Grade(CORRECT, r, "equal as written", readings=readings)
            if outcome == "equal":
                return Grade(UP_TO_NOTATION, r, f"equal when {r.description}", readings=readings)
            if outcome == "transposed":
                (m, n), (p, q) = shape_of(values[id(r)]), shape_of(ref)
                also = "" if r.literal else f", when {r.description}"
                return Grade(UP_TO_NOTATION, r, f"its transpose is equal: a {m} x {n} for a {p} x {q}{also}",
                             readings=readings)
    # Wrong under every reading: explain with the most charitable one (the last) whose
    # shape is the reference's, else whose transpose is; so the counterexample shows an
    # error that no change of notation or transpose explains away.
    shape = shape_of(refs[0])
    same = [r for r in usable if shape_of(values[id(r)]) == shape]
    comparable = same or [r for r in usable if shape and shape_of(values[id(r)])[::-1] == shape]
    if comparable or usable:
        chosen = (comparable or usable)[-1]
        return Grade(WRONG, chosen, f"differs {chosen.description}", cexs[id(chosen)], readings=readings)
    first = readings[0]
    cex = Counterexample(None, None, None, f"cannot be read: {first.error}")
    return Grade(WRONG, first, "cannot be read", cex, readings=readings)
