"""`make bench`: the figures the issues set targets for, measured on this machine.

Each area contributes a module tests/bench_AREA.py whose ``run()`` returns rows
``(label, value, unit, target)``; a target such as "< 15" or ">= 1.0" is
compared with the value and the row is marked ok or MISSED. Speed targets live
here, never in timed tests.
"""
import importlib
import operator
import re
import subprocess
import sys
import time
import timeit
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import derivations as D  # noqa: E402

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def timed_make(target):
    start = time.perf_counter()
    subprocess.run(["make", target], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def bench_build():
    subprocess.run(["make", "clean"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    clean = timed_make("book")
    cached = timed_make("book")
    test = timed_make("test")
    return [("book build from clean", clean, "s", ""),
            ("cached rebuild, nothing changed", cached, "s", "< 15"),
            ("make test (after set-up)", test, "s", "< 180")]


def per_call_ms(f, repeat=7):
    number = max(1, int(0.2 / max(1e-6, min(timeit.repeat(f, number=1, repeat=3)))))
    return 1e3 * min(timeit.repeat(f, number=number, repeat=repeat)) / number


def bench_losses(d=100, vocab_size=10_000, K=10):
    rng = np.random.default_rng(0)
    v_c = rng.normal(scale=0.1, size=d)
    U = rng.normal(scale=0.1, size=(d, vocab_size))
    V = rng.normal(scale=0.1, size=(d, vocab_size))
    negatives = rng.integers(vocab_size, size=K)
    outside = rng.integers(vocab_size, size=4)
    shape = f"d={d}, |V|={vocab_size}"
    return [
        (f"naive_softmax_loss_and_gradient ({shape})", per_call_ms(
            lambda: D.naive_softmax_loss_and_gradient(v_c, 7, U)), "ms/call", ""),
        (f"neg_sampling_loss_and_gradient ({shape}, K={K})", per_call_ms(
            lambda: D.neg_sampling_loss_and_gradient(v_c, 7, U, negatives)), "ms/call", ""),
        (f"skipgram, naive softmax, 2m=4 ({shape})", per_call_ms(
            lambda: D.skipgram(3, outside, V, U)), "ms/call", ""),
    ]


def verdict(value, target):
    """"ok" or "MISSED" for a target "<op> <number> [words]"; "" when there is none."""
    match = re.match(r"\s*(<=|>=|<|>)\s*([-+0-9.eE]+)", target or "")
    if not match:
        return ""
    return "ok" if OPS[match[1]](value, float(match[2])) else "MISSED"


def main(args):
    sections = [("losses", bench_losses)]
    for path in sorted(Path(__file__).parent.glob("bench_*.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        sections.append((path.stem[len("bench_"):], module.run))
    if "--no-build" not in args:
        sections.append(("build", bench_build))
    failed = False
    print(f"{'measure':<62s} {'value':>10s} {'unit':<8s} {'target'}")
    for name, run in sections:
        try:
            rows = run()
        except Exception as error:          # one broken area must not hide the others
            print(f"{name}: FAILED to measure: {type(error).__name__}: {error}")
            failed = True
            continue
        for label, value, unit, target in rows:
            print(f"{label:<62s} {value:>10.3f} {unit:<8s} {target} {verdict(value, target)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
