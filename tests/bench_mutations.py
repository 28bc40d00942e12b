"""Benchmark of the checker's mutation test: mutants generated, rejected, proven equal; time.

``run()`` is imported by ``tests/bench.py`` (``make bench``); see :mod:`derivations.symbolic.mutations`.
"""
import time


def run():
    """Rows ``(label, value, unit, target)`` for the full mutation run over every derivation."""
    import sympy  # noqa: F401  -- importing SymPy itself is not the tester's cost
    from derivations.symbolic import mutations
    from derivations.symbolic.parts import all_derivations
    start = time.perf_counter()
    derivations = all_derivations()
    summary = mutations.run(derivations)
    elapsed = time.perf_counter() - start
    changed = summary.count("rejected") + summary.count("survived")
    for m in summary.mutants:
        if m.outcome != "rejected":
            print(f"  {m}")
    return [
        (f"mutants generated ({len(summary.kinds())} kinds of slip)", len(summary.mutants), "", ""),
        ("mutants rejected (of those that change the mathematics)",
         100.0 * summary.count("rejected") / max(1, changed), "%", ">= 100"),
        ("mutants proven equal (listed above)", summary.count("proven equal"), "", ""),
        ("mutants that survived", summary.count("survived"), "", "<= 0"),
        ("full mutation run (mutate + judge; derivations built once)", elapsed, "s", "< 300"),
    ]


if __name__ == "__main__":
    for label, value, unit, target in run():
        print(f"{label}: {value:.2f} {unit} (target {target})")
