"""Testing the tester: gradcheck and compare must fail when they should."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import derivations as D


def quadratic(A):
    """f(x) = 1/2 x^T A x + sin(x).sum(), whose gradient is A_sym x + cos(x)."""
    A_sym = (A + A.T) / 2

    def f(x):
        return 0.5 * x @ A_sym @ x + np.sin(x).sum(), A_sym @ x + np.cos(x)
    return f


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.integers(0, 2**32 - 1), st.integers(1, 8))
def test_a_correct_gradient_passes(seed, n):
    rng = np.random.default_rng(seed)
    result = D.gradcheck(quadratic(rng.normal(size=(n, n))), rng.normal(size=n), assert_passes=True)
    assert result.passed and result.max_rel_error < 1e-6


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.integers(0, 2**32 - 1), st.integers(1, 8))
def test_a_gradient_off_by_a_tenth_of_a_percent_fails(seed, n):
    rng = np.random.default_rng(seed)
    f = quadratic(rng.normal(size=(n, n)))

    def perturbed(x):
        value, grad = f(x)
        return value, grad * 1.001
    result = D.gradcheck(perturbed, rng.normal(size=n))
    assert not result.passed
    with pytest.raises(D.CheckFailed, match="worst relative error"):
        D.gradcheck(perturbed, rng.normal(size=n), assert_passes=True)


def test_the_worst_coordinate_is_reported():
    rng = np.random.default_rng(0)
    v_c, U = rng.normal(size=3), rng.normal(size=(3, 5))

    def wrong_in_one_place(W):
        loss, _, grad_U = D.naive_softmax_loss_and_gradient(v_c, 1, W)
        grad_U = grad_U.copy()
        grad_U[2, 3] += 0.01
        return loss, grad_U
    result = D.gradcheck(wrong_in_one_place, U)
    assert result.index == (2, 3) and not result.passed
    assert result.analytic - result.numeric == pytest.approx(0.01, rel=1e-4)
    assert "(2, 3)" in str(result) and "FAILED" in str(result)


def test_a_perturbed_loss_gradient_fails_check_gradients(capsys):
    rng = np.random.default_rng(1)
    v_c, U = rng.normal(size=4), rng.normal(size=(4, 6))

    def off(v, o, W):
        loss, grad_v_c, grad_U = D.naive_softmax_loss_and_gradient(v, o, W)
        return loss, grad_v_c * 1.001, grad_U
    with pytest.raises(D.CheckFailed, match="grad_v_c does not match central differences: relative error"):
        D.check_gradients(off, v_c, 2, U)
    assert "grad_v_c" not in capsys.readouterr().out     # no ✓ line for a failed check


def test_a_transposed_or_sign_flipped_gradient_fails():
    rng = np.random.default_rng(2)
    v_c, U = rng.normal(size=3), rng.normal(size=(3, 3))   # square: shapes cannot tell

    def transposed(v, o, W):
        loss, grad_v_c, grad_U = D.naive_softmax_loss_and_gradient(v, o, W)
        return loss, grad_v_c, grad_U.T

    def flipped(v, o, W):
        loss, grad_v_c, grad_U = D.naive_softmax_loss_and_gradient(v, o, W)
        return loss, -grad_v_c, grad_U
    for f in (transposed, flipped):
        with pytest.raises(D.CheckFailed):
            D.check_gradients(f, v_c, 0, U, verbose=False)


def test_gradcheck_does_not_modify_x_and_checks_shapes():
    x = np.array([1.0, 2.0])
    D.gradcheck(lambda z: (float(z @ z), 2 * z), x)
    assert np.array_equal(x, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"shape \(1,\), expected \(2,\)"):
        D.gradcheck(lambda z: (float(z @ z), np.zeros(1)), x)


def test_zero_gradient_coordinates_do_not_fail_on_noise():
    # Coordinates whose derivative is exactly 0 (tiny softmax probabilities).
    v_c = np.array([30.0, 0.0])
    U = np.array([[1.0, -1.0, 0.5], [0.0, 0.0, 0.0]])
    D.check_gradients(D.naive_softmax_loss_and_gradient, v_c, 0, U, verbose=False)


def test_max_coords_checks_a_subset():
    rng = np.random.default_rng(3)
    f = quadratic(rng.normal(size=(50, 50)))
    assert D.gradcheck(f, rng.normal(size=50), max_coords=5).passed


def test_compare_prints_one_line_and_raises_past_tolerance(capsys):
    assert D.compare("same", [1.0, 2.0], [1.0, 2.0]) == 0.0
    assert capsys.readouterr().out == "✓ same matches exactly\n"
    close = D.compare("close", [1.0], [1.0 + 1e-9])
    assert capsys.readouterr().out == f"✓ close matches (max difference {float(close):.1e})\n"
    assert close == pytest.approx(1e-9) and not close.exact and close.max_rel_error <= close.rtol
    with pytest.raises(D.CheckFailed, match=r"relative error 9.99e-04 exceeds rtol 1e-04 at index \(0,\): got 1.001, expected 1"):
        D.compare("far", [1.001], [1.0], rtol=1e-4)
    assert capsys.readouterr().out == ""            # a failure shows no ✓ line, only the error
    with pytest.raises(D.CheckFailed, match="shape"):
        D.compare("shape", [1.0, 2.0], [1.0])


def test_a_passing_result_never_reads_as_an_alarm(capsys):
    D.check_gradients(D.naive_softmax_loss_and_gradient, np.ones(2), 0, np.eye(2, 3))
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" (")[0] for line in lines] == ["✓ grad_v_c matches central differences",
                                                      "✓ grad_U matches central differences"]
    assert not any(word in line for line in lines for word in ("False", "exact:", "FAIL"))


@pytest.fixture
def ipython():
    """An in-process IPython shell; cleared afterwards, so other tests see plain Python again."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output
    shell = InteractiveShell.instance()

    def run(code):
        with capture_output() as cap:
            result = shell.run_cell(code, store_history=True)
        assert result.success, result.error_in_exec
        return [o.data for o in cap.outputs]
    yield run
    InteractiveShell.clear_instance()


def test_in_ipython_a_comparison_is_one_folded_line_shown_once(ipython):
    # As a cell's last expression, the returned float must not add a stray output.
    outputs = ipython("import derivations as D\nm = D.compare('g', [1.0, 2.0], [1.0, 2.0 + 1e-12])\nm")
    assert len(outputs) == 1
    assert outputs[0]["text/plain"] == "✓ g matches (max difference 1.0e-12)"
    html = outputs[0]["text/html"]
    assert html.startswith('<details class="w2v-checked"><summary>✓ g matches') and html.endswith("</details>")
    assert "(2,)" in html and "allowed: 1e-04" in html
    again = ipython("m")               # a later cell asking for it sees it
    assert [o["text/plain"] for o in again] == ["✓ g matches (max difference 1.0e-12)"]
    quiet = ipython("D.compare('q', [1.0], [1.0], verbose=False)")
    assert [o["text/plain"] for o in quiet] == ["✓ q matches exactly"]


def test_non_contiguous_points_are_perturbed_too():
    # A Fortran-ordered x (U = outsideVectors.T is one) must not make every
    # numeric derivative 0, which would let a zero gradient pass.
    x = np.asfortranarray(np.ones((2, 3)))
    result = D.gradcheck(lambda z: (float((z ** 2).sum()), np.zeros_like(z)), x)
    assert not result.passed
    rng = np.random.default_rng(5)
    v_c, outsideVectors = rng.normal(size=3), rng.normal(size=(6, 3))

    def zero_grad_U(v, o, W):
        loss, grad_v_c, grad_U = D.naive_softmax_loss_and_gradient(v, o, W)
        return loss, grad_v_c, np.zeros_like(grad_U)
    with pytest.raises(D.CheckFailed, match="grad_U"):
        D.check_gradients(zero_grad_U, v_c, 1, outsideVectors.T, verbose=False)
