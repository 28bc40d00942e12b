"""Without NumPy (the in-page checker runs under Pyodide): derivations.symbolic.equality gives the same
verdicts, and a wrong answer's diagnosis the same words and counterexample."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROGRAM = r"""
import sys
sys.modules["numpy"] = None          # import numpy now raises ImportError
import importlib.util
import sympy as sp
# The module alone, as the page loads it (the package's __init__ imports the NumPy core).
spec = importlib.util.spec_from_file_location("equality", "derivations/symbolic/equality.py")
equality = importlib.util.module_from_spec(spec)
spec.loader.exec_module(equality)
assert equality.np is None
x, y = sp.symbols("x y", real=True)
v = sp.Matrix([x, y])
checks = [
    equality.compare_values(x * (x + 1), x**2 + x),                       # symbolic
    equality.compare_values(sp.sin(2 * x), 2 * sp.sin(x) * sp.cos(x)),   # numeric, equal
    equality.compare_values(sp.sin(x), sp.cos(x)),                        # numeric, differs
    equality.compare_values(v * (1 + sp.Rational(1, 10**11)), v, max_ops=0),   # a 1e-11 slip
    equality.compare_values(v, v.T),                                      # shapes
    equality.compare_values(sp.Matrix([[x, y], [y, x]]), sp.Matrix([[x, y], [x, y]]), max_ops=0),
]
print([c.equal for c in checks])
print(checks[2].counterexample)
print(checks[5].counterexample)
"""


def test_verdicts_without_numpy_are_the_verdicts_with_it():
    out = subprocess.run([sys.executable, "-c", PROGRAM], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "[True, True, False, False, False, False]"
    assert "values differ at {x=" in lines[1]
    assert "worst entry" in out.stdout and "left  = [[" in out.stdout


# Wrong answers whose diagnosis names a slip (sign, sigma, u for v, a count, a factor) or shows a small
# counterexample, across the parts; judged by the page's checker (the zip, NumPy blocked) and here.
DIAGNOSED = [
    ("b", r"U(y - \hat{y})"),
    ("b", r"U\hat{y}"),
    ("c", r"\hat{y}_w v_c"),
    ("d", r"v_c \hat{y}^T"),
    ("f", r"\sigma(x)(1 + \sigma(x))"),
    ("g_vc", r"(\sigma(u_o^T v_c) - 1) u_o - \sum_{s=1}^{K} \sigma(u_{w_s}^T v_c) u_{w_s}"),
    ("g_uo", r"\sigma(u_o^T v_c) v_c"),
    ("g_uo", r"(\sigma(u_o^T v_c) - 1) u_o"),
    ("g_uws", r"\sigma(-u_{w_s}^T v_c) v_c"),
    ("h", r"\sigma(u_{w_s}^T v_c) v_c"),
    ("i_vc", r"\sum_{j=-m}^{m} \frac{\partial J(v_c, w_{t+j}, U)}{\partial v_c}"),
    ("g2_U", r"\begin{bmatrix} \sigma(u_o^T v_c) v_c & \sigma(u_{w_1}^T v_c) v_c & \sigma(u_{w_2}^T v_c) v_c & \sigma(u_{w_3}^T v_c) v_c \end{bmatrix}"),
]

WITHOUT_NUMPY = r"""
import json, sys
sys.modules["numpy"] = None          # import numpy now raises ImportError
sys.path.insert(0, sys.argv[1])       # the page's checker: no derivations.core, step sentences shipped
from derivations.coursework.answers.judging import judge
print(json.dumps([judge(part, latex).to_json(part) for part, latex in json.loads(sys.stdin.read())]))
"""


@pytest.mark.slow
def test_a_diagnosis_without_numpy_is_the_diagnosis_with_it(tmp_path):
    """The named slip, the derivation's step and the small counterexample: the same text in the page's checker."""
    import w2v_answer_box                                     # book/_ext, on the path through conftest.py

    from derivations.coursework.answers.judging import judge
    path = tmp_path / "checker.zip"
    w2v_answer_box.write_checker_zip(path)
    done = subprocess.run([sys.executable, "-I", "-c", WITHOUT_NUMPY, str(path)], input=json.dumps(DIAGNOSED),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout)
    want = [judge(part, latex).to_json(part) for part, latex in DIAGNOSED]
    assert [w["verdict"] for w in want] == ["wrong"] * len(DIAGNOSED)
    named = [w for w in want if "it equals the correct answer" in w["message"]]
    assert len(named) >= 4 and any("first changes the result at step" in w["message"] for w in named)
    assert all(w["counterexample"].startswith("values differ") for w in want)
    assert got == want
