"""The explorers' JavaScript twin of the book's math, checked in Node against NumPy in seconds.

tests/js_fixtures.py writes hundreds of cases (the seeded generator, softmax and sigmoid at
extreme scores, both losses with repeated negatives, skip-gram windows, the negatives box,
and the three explorers end to end); tests/js/explorer_math.test.mjs runs the static scripts
on them with Node's own test runner. No browser and no built book: the browser tests
(tests/test_explorables_browser.py) still check the drawing.

Node is required in CI (CI=true); elsewhere a missing ``node`` skips with the reason.
"""
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.js_fixtures import PARTS, STATIC, write_fixtures

ROOT = Path(__file__).resolve().parent.parent
TEST_FILE = ROOT / "tests" / "js" / "explorer_math.test.mjs"
TIMEOUT = 60


@pytest.fixture(scope="module")
def node():
    path = shutil.which("node") or ("/usr/bin/node" if Path("/usr/bin/node").exists() else None)
    if path is None:
        reason = "node is not installed (Debian: apt-get install -y nodejs)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; in CI the JavaScript twin must be tested")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    path = tmp_path_factory.mktemp("js") / "fixtures.json"
    counts = write_fixtures(path)
    assert sum(counts.values()) >= 300, counts
    return path


def run_node(node, fixtures, static=None):
    env = {**os.environ, "W2V_JS_FIXTURES": str(fixtures)}
    env.pop("W2V_JS_STATIC", None)
    if static is not None:
        env["W2V_JS_STATIC"] = str(static)
    return subprocess.run([node, "--test", "--test-reporter=tap", str(TEST_FILE)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT)


def output(proc):
    return f"node exited {proc.returncode}\n--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"


def failed_tests(tap):
    """Names of the failed tests in Node's TAP output (todo tests excluded)."""
    names = [m.group(1) for m in re.finditer(r"^\s*not ok \d+ - (.*)$", tap, re.M)]
    return [n.replace("\\#", "#") for n in names if " # TODO" not in n]   # TAP escapes "#" as "\#"


# Each mutation breaks one thing in a copy of the scripts; Node must then fail, and among the
# failures must be tests named after the broken function.
MUTATIONS = {
    "naive_grad_sign": ("common.js", "const grad_v_c = matVec(U, delta);",
                        "const grad_v_c = matVec(U, delta).map(x => -x);", "naiveSoftmaxLossAndGradient"),
    "mulberry32_constant": ("common.js", "a = (a + 0x6D2B79F5) >>> 0;", "a = (a + 0x6D2B79F3) >>> 0;",
                            "mulberry32"),
    # Part (h)'s classic slip: a repeated negative's gradient overwritten, not accumulated.
    "repeated_negatives_overwrite": ("common.js", "grad_U[i][w] += delta[k + 1] * v_c[i];",
                                     "grad_U[i][w] = delta[k + 1] * v_c[i];", "negSamplingLossAndGradient"),
}


def mutated_copy(folder, mutation):
    """A copy of the static scripts with ``mutation`` applied, or a message if it no longer applies."""
    name, before, after, _ = MUTATIONS[mutation]
    shutil.copytree(STATIC, folder)
    source = (folder / name).read_text(encoding="utf-8")
    if source.count(before) != 1:
        return f"{name} no longer holds {before!r} once: update MUTATIONS"
    (folder / name).write_text(source.replace(before, after), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def node_runs(node, fixtures, tmp_path_factory):
    """Node on the scripts (key None) and on each mutated copy, all run at once."""
    targets = {None: None}
    for mutation in MUTATIONS:
        targets[mutation] = mutated_copy(tmp_path_factory.mktemp(mutation) / "static", mutation)
    with ThreadPoolExecutor(len(targets)) as pool:
        futures = {key: pool.submit(run_node, node, fixtures, static)
                   for key, static in targets.items() if not isinstance(static, str)}
        done = {key: future.result() for key, future in futures.items()}
    return {key: done.get(key, static) for key, static in targets.items()}


def test_javascript_math_matches_numpy(node_runs):
    proc = node_runs[None]
    assert proc.returncode == 0, output(proc)
    summary = dict(re.findall(r"^# (tests|pass|fail|todo) (\d+)$", proc.stdout, re.M))
    assert int(summary["fail"]) == 0 and int(summary["pass"]) >= 300, output(proc)


def test_node_joins_the_scripts_as_assets_does():
    names = re.search(r"const PARTS = \[(.*?)\];", TEST_FILE.read_text(encoding="utf-8")).group(1)
    assert tuple(re.findall(r'"([^"]+)"', names)) == tuple(PARTS)


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_a_mutated_copy_fails_naming_the_function(node_runs, mutation):
    proc, function = node_runs[mutation], MUTATIONS[mutation][3]
    assert not isinstance(proc, str), proc
    assert proc.returncode != 0, output(proc)
    failed = failed_tests(proc.stdout)
    assert any(t.startswith(function) for t in failed), output(proc)
    if mutation == "repeated_negatives_overwrite":
        # Only a column written twice can tell: a repeated negative, or o drawn as a negative.
        cases = [t for t in failed if t.startswith("negSamplingLossAndGradient #")]
        assert cases and all("repeated negatives" in t or "o among the negatives" in t for t in cases), \
            output(proc)
        assert any("repeated negatives" in t and "o among" not in t for t in cases), output(proc)
