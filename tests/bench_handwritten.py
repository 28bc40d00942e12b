"""Benchmark of the judge of the handwritten seed: the time to judge every transcribed formula.

``run()`` is imported by ``tests/bench.py`` (``make bench``).
"""
import time


def run():
    """``[(label, seconds, "s", target)]``: judge every part of derivations/coursework/data/handwritten_seed.yml."""
    import sympy  # noqa: F401  -- importing SymPy itself is not the grader's cost
    start = time.perf_counter()
    from derivations.coursework.handwritten import judge_all
    results = judge_all()
    elapsed = time.perf_counter() - start
    graded = sum(r.graded for r in results)
    return [(f"judge the handwritten seed ({graded} formulas)", elapsed, "s", "< 30")]


if __name__ == "__main__":
    for label, value, unit, target in run():
        print(f"{label}: {value:.2f} {unit} (target {target})")
