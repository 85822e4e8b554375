"""The fixed-point engine (issue 3 §1): known fixed points, failures reported, NaN guard, acceleration."""

import math

import numpy as np
import pytest

from asymptotics.errors import ConvergenceError, InvalidParameterError
from asymptotics.fixed_point import FixedPointResult, solve_along, solve_fixed_point

METHODS = ["anderson", "squarem", "damped"]
DOTTIE = 0.7390851332151607


@pytest.mark.parametrize("method", METHODS)
def test_cos_fixed_point(method):
    res = solve_fixed_point(math.cos, 1.0, method=method, tol=1e-12)
    assert res.converged and res.method == method
    assert float(res.x) == pytest.approx(DOTTIE, abs=1e-11)
    assert res.residual == pytest.approx(abs(math.cos(float(res.x)) - float(res.x)), abs=1e-16)
    assert res.residual < 1e-11 and res.nfev >= res.nit >= 1


@pytest.mark.parametrize("method", METHODS)
def test_linear_contraction(method):
    rng = np.random.default_rng(0)
    A = rng.normal(size=(6, 6))
    A *= 0.8 / np.max(np.abs(np.linalg.eigvals(A)))
    b = rng.normal(size=6)
    res = solve_fixed_point(lambda x: A @ x + b, np.zeros(6), method=method, tol=1e-12, maxiter=5000)
    np.testing.assert_allclose(res.x, np.linalg.solve(np.eye(6) - A, b), atol=1e-10)


@pytest.mark.parametrize("method", METHODS)
def test_two_dimensional_nonlinear_system(method):
    # x = (cos y + 1)/2, y = sin(x)/2 : unique fixed point (contraction with constant ~1/2)
    G = lambda v: np.array([(math.cos(v[1]) + 1) / 2, math.sin(v[0]) / 2])
    res = solve_fixed_point(G, [0.0, 0.0], method=method, tol=1e-13)
    x, y = res.x
    assert x == pytest.approx((math.cos(y) + 1) / 2, abs=1e-12)
    assert y == pytest.approx(math.sin(x) / 2, abs=1e-12)


def test_residual_is_undamped_not_the_step():
    # heavy damping makes the step tiny long before G(x) = x: the solver must keep going
    res = solve_fixed_point(lambda x: 0.5 * x + 1.0, 0.0, method="damped", damping=0.99, adaptive=False,
                            tol=1e-8, maxiter=100_000)
    assert res.converged
    assert abs(float(res.x) - 2.0) <= 1.1e-8 * 2 * 2  # |G(x) - x| = |x - 2|/2 <= tol*|x|
    with pytest.raises(ConvergenceError):
        solve_fixed_point(lambda x: 0.5 * x + 1.0, 0.0, method="damped", damping=0.99, adaptive=False,
                          tol=1e-8, maxiter=100)


def test_negative_eigenvalue_needs_adaptive_damping():
    # G has derivative -5 at its fixed point: plain iteration and damping 0.5 diverge
    G = lambda x: -5.0 * (x - 1.0) + 1.0
    with pytest.raises(ConvergenceError):
        solve_fixed_point(G, 0.0, method="damped", damping=0.5, adaptive=False, maxiter=200)
    res = solve_fixed_point(G, 0.0, method="damped", damping=0.5, adaptive=True, maxiter=2000)
    assert res.converged and float(res.x) == pytest.approx(1.0, abs=1e-9)
    assert solve_fixed_point(G, 0.0, method="anderson").converged


@pytest.mark.parametrize("method", METHODS)
def test_diverging_map_reports_failure(method):
    for G in (lambda x: x + 1.0, lambda x: x * x + 1.0, lambda x: x + 2.0 + np.sin(x)):  # no real fixed point
        with pytest.raises(ConvergenceError) as info:
            solve_fixed_point(G, 0.5, method=method, maxiter=300, fallback=False)
        r = info.value.result
        assert isinstance(r, FixedPointResult) and not r.converged
        assert "residual" in str(info.value) and "iterations" in str(info.value)
        r2 = solve_fixed_point(G, 0.5, method=method, maxiter=300, raise_on_failure=False)
        assert not r2.converged and r2.nit > 0


@pytest.mark.parametrize("method", METHODS)
def test_nan_detected_at_the_step(method):
    calls = []

    def G(x):
        calls.append(x)
        return math.sqrt(x - 3.0) if x >= 3.0 else (float("nan") if len(calls) > 1 else x + 10.0)

    with pytest.raises(ConvergenceError, match="not finite") as info:
        solve_fixed_point(G, 0.0, method=method, fallback=False, maxiter=50)
    r = info.value.result
    assert not r.converged and math.isfinite(r.residual) and r.residual > 0
    assert "iteration" in r.message and r.nfev <= 60


def test_nan_at_start_and_overflow():
    with pytest.raises(ConvergenceError, match="starting point.*not finite"):
        solve_fixed_point(lambda x: np.array([np.nan, 1.0]), [1.0, 1.0])
    r = solve_fixed_point(lambda x: 1e200 * (x + 1), 1.0, raise_on_failure=False)
    assert not r.converged and "larger than" in r.message


def test_anderson_beats_damped_on_slow_contraction():
    rng = np.random.default_rng(1)
    Q, _ = np.linalg.qr(rng.normal(size=(20, 20)))
    A = Q @ np.diag(np.linspace(0.5, 0.995, 20)) @ Q.T  # spectral radius 0.995: slow
    b = rng.normal(size=20)
    G = lambda x: A @ x + b
    exact = np.linalg.solve(np.eye(20) - A, b)
    an = solve_fixed_point(G, np.zeros(20), method="anderson", memory=10, tol=1e-10, maxiter=20000)
    dp = solve_fixed_point(G, np.zeros(20), method="damped", damping=0.0, tol=1e-10, maxiter=20000)
    np.testing.assert_allclose(an.x, exact, rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(dp.x, exact, rtol=1e-6, atol=1e-6)
    assert an.nit * 10 < dp.nit


def test_positivity_is_kept():
    seen = []

    def G(v):
        seen.append(v.copy())
        return np.array([math.log(v[0]) + 1.5, 0.5 * v[1] - 3.0])  # overshoots below 0 otherwise

    res = solve_fixed_point(G, [0.5, 1.0], positive=[0], method="damped", adaptive=False, damping=0.0,
                            raise_on_failure=False, maxiter=50)
    assert all(v[0] > 0 for v in seen)
    assert res.nfev == len(seen)
    with pytest.raises(InvalidParameterError):
        solve_fixed_point(G, [-1.0, 1.0], positive=[0])


def test_fallback_to_damped_is_reported():
    # Anderson is given a hopeless cap of 1 iteration; the damped fallback finishes the job
    res = solve_fixed_point(math.cos, 1.0, method="anderson", maxiter=1, raise_on_failure=False)
    assert not res.converged and res.method == "anderson->damped"
    res = solve_fixed_point(math.cos, 1.0, method="squarem", maxiter=1, fallback=True, raise_on_failure=False)
    assert res.method == "squarem->damped"


def test_bad_arguments():
    for kw in ({"method": "newton"}, {"tol": 0}, {"maxiter": 0}, {"damping": 1.0}, {"memory": 0}):
        with pytest.raises(InvalidParameterError):
            solve_fixed_point(math.cos, 1.0, **kw)
    with pytest.raises(InvalidParameterError):
        solve_fixed_point(math.cos, float("nan"))
    with pytest.raises(InvalidParameterError, match="shape"):
        solve_fixed_point(lambda x: np.ones(3), np.ones(2))


def test_result_is_frozen_and_serializable():
    res = solve_fixed_point(math.cos, 1.0)
    with pytest.raises(Exception):
        res.converged = False  # type: ignore[misc]
    d = res.to_dict()
    assert set(d) == {"converged", "x", "residual", "nit", "nfev", "method", "message"}


@pytest.mark.parametrize("predictor", ["previous", "secant"])
def test_continuation_warm_start_saves_work(predictor):
    values = np.linspace(0.5, 0.9, 9)
    make = lambda a: (lambda x: a * np.cos(x))
    warm = solve_along(make, values, 0.0, predictor=predictor, method="damped", damping=0.0, tol=1e-12)
    cold = [solve_fixed_point(make(a), 0.0, method="damped", damping=0.0, tol=1e-12) for a in values]
    for w, c in zip(warm, cold):
        assert float(w.x) == pytest.approx(float(c.x), abs=1e-11)
    assert sum(w.nfev for w in warm) < sum(c.nfev for c in cold)


def test_continuation_failure():
    make = lambda a: (lambda x: x + a)  # no fixed point unless a = 0
    with pytest.raises(ConvergenceError, match="parameter value 1"):
        solve_along(make, [0.0, 1.0], 0.0, maxiter=20)
    res = solve_along(make, [0.0, 1.0, 0.0], 0.0, maxiter=20, raise_on_failure=False)
    assert [r.converged for r in res] == [True, False, True]
