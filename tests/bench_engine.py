"""Benchmark of the derivation engine: the time to check every derivation of the book.

``run()`` is imported by ``tests/bench.py`` (``make bench``).
"""
import time


def run():
    """``[(label, seconds, "s", target)]``: build and check every Derivation in derivations/symbolic/parts/."""
    import sympy  # noqa: F401  -- importing SymPy itself is not the engine's cost
    start = time.perf_counter()
    from derivations.symbolic.parts import all_derivations
    from derivations.symbolic.symbols import WORLDS
    derivations = all_derivations()
    equalities = sum(len(rows) for d in derivations.values() for _, rows in d.check().worlds)
    elapsed = time.perf_counter() - start
    return [(f"build and check all {len(derivations)} derivations in {len(WORLDS)} worlds "
             f"({equalities} equalities)", elapsed, "s", "< 30")]


if __name__ == "__main__":
    for label, value, unit, target in run():
        print(f"{label}: {value:.2f} {unit} (target {target})")
