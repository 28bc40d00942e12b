"""derivations.symbolic.equality without NumPy (the in-page checker runs it under Pyodide): same verdicts."""
import subprocess
import sys
from pathlib import Path

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
