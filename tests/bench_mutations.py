"""Benchmark of the checker's mutation test: mutants generated, rejected, proven equal; time.

Three runs: every slip on every step of every derivation (the engine), the same slips made in
each written part's typed final answer (the written-answer checker; :func:`final_answers`), and in
each member of each claim the chapters' prose states (the build's display check; :func:`prose`).

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
    ] + final_answers() + prose()


def final_answers():
    """Rows for the same slips made in each written part's typed final answer, judged by the written-answer
    checker (``judge``, as ``check_answer`` does): rejected, unreadable (a located error), proven equal,
    survived, and how many verdicts on a known slip name it."""
    from derivations.coursework.answers import judge
    from derivations.symbolic import mutations

    from .test_mutations import final_answers as answers, same_formula
    summary = mutations.run_answers(answers(), judge, same_formula)
    for m in summary.mutants:
        if m.outcome not in ("rejected", "unreadable"):
            print(f"  {m}")
    known = [m for m in summary.mutants if m.detail]
    named = sum(m.detail == "slip named" for m in known)
    return [
        (f"final-answer mutants generated ({len(summary.kinds())} kinds, {len(answers())} parts)",
         len(summary.mutants), "", ""),
        ("  rejected by the written-answer checker", summary.count("rejected"), "", ""),
        ("  unreadable (a located syntax or meaning error)", summary.count("unreadable"), "", ""),
        ("  proven equal (listed above)", summary.count("proven equal"), "", ""),
        ("  survived", summary.count("survived"), "", "<= 0"),
        (f"  known slips whose verdict names the slip ({named}/{len(known)})", 100.0 * named / max(1, len(known)),
         "%", ">= 100"),
        ("  final-answer mutation run", summary.seconds, "s", "< 300"),
    ]


def prose():
    """Rows for the same slips made in each member of each equality the prose claims, judged as the build
    judges the page (``book/_ext/w2v_display.py``)."""
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "book" / "_ext"))
    import w2v_display
    summary = w2v_display.mutate_prose()
    for m in summary.mutants:
        if m.outcome not in ("rejected", "unreadable"):
            print(f"  {m}")
    claims = sum(kind == "claim" for _, kind, _ in w2v_display.prose_inventory())
    return [
        (f"prose mutants generated ({len(summary.kinds())} kinds, {claims} claims)", len(summary.mutants), "", ""),
        ("  rejected by the build's display check", summary.count("rejected"), "", ""),
        ("  unreadable (the build fails: a member it cannot read)", summary.count("unreadable"), "", ""),
        ("  proven equal (listed above)", summary.count("proven equal"), "", ""),
        ("  survived", summary.count("survived"), "", "<= 0"),
        ("  prose mutation run", summary.seconds, "s", "< 300"),
    ]


if __name__ == "__main__":
    for label, value, unit, target in run():
        print(f"{label}: {value:.2f} {unit} (target {target})")
