"""The shared ridge deterministic equivalent."""

import numpy as np
import pytest

from asymptotics.errors import InvalidParameterError, RootFindingError
from asymptotics.ridge import ridge_equivalent_from_spectrum, ridge_errors, solve_effective_ridge


def test_effective_ridge_isotropic_closed_form():
    # S = I_p, df1/n = (p/n)/(1+k): k(1 - g/(1+k)) = lam  ->  k^2 + k(1 - g - lam) - lam = 0
    g, lam = 0.7, 0.3
    k, _ = solve_effective_ridge(lam, lambda k: g / (1 + k))
    assert k == pytest.approx((-(1 - g - lam) + np.sqrt((1 - g - lam) ** 2 + 4 * lam)) / 2, rel=1e-12)


def test_effective_ridge_ridgeless_regimes():
    # under-parametrized: root 0
    assert solve_effective_ridge(0.0, lambda k: 0.5 / (1 + k))[0] == 0.0
    # over-parametrized: df1 = n  ->  2/(1+k) = 1
    assert solve_effective_ridge(0.0, lambda k: 2.0 / (1 + k))[0] == pytest.approx(1.0, rel=1e-10)
    with pytest.raises(InvalidParameterError, match="interpolation"):
        solve_effective_ridge(0.0, lambda k: 1.0)


def test_effective_ridge_warm_start_same_root():
    f = lambda k: 1.5 / (1 + k)
    k1, n1 = solve_effective_ridge(0.01, f)
    k2, n2 = solve_effective_ridge(0.01, f, kappa0=k1 * 1.01)
    assert k2 == pytest.approx(k1, rel=1e-12)
    assert n2 <= n1


def test_effective_ridge_rejects_nan_and_negative():
    with pytest.raises(InvalidParameterError):
        solve_effective_ridge(-1.0, lambda k: 0.5)
    with pytest.raises(RootFindingError):
        solve_effective_ridge(1.0, lambda k: float("nan"))


def test_ridge_errors_limits():
    # lam -> infinity: q = df = 0: test = unexplained + signal
    test, train = ridge_errors(0.3, 0.0, 0.0, 0.0, 0.2, 0.1, 0.05)
    assert test == pytest.approx(0.4)
    assert train == pytest.approx(0.45)
    with pytest.raises(InvalidParameterError):
        ridge_errors(0.3, 0.0, 1.0, 1.0, 0.2, 0.1, 0.05)


def test_finite_equivalent_matches_empirical_ridge_on_gaussian_features():
    """Ridge on exactly Gaussian features φ ~ N(0, S), y = θᵀφ + noise: the equivalent vs 20 draws."""
    rng = np.random.default_rng(3)
    p, n, lam_eff, noise = 300, 450, 1e-2, 0.5
    evals = np.linspace(0.1, 2.0, p) / p * 3
    theta = rng.standard_normal(p) * np.sqrt(1.0 / np.sum(evals))  # E g² ≈ 1
    b = evals * theta  # E[φ g] in the eigenbasis
    signal = float(theta @ (evals * theta))
    de = ridge_equivalent_from_spectrum(evals, b, n, lam_eff, signal, noise**2, 0.0, noise**2)
    tests, trains = [], []
    for _ in range(20):
        X = rng.standard_normal((n, p)) * np.sqrt(evals)
        y = X @ theta + noise * rng.standard_normal(n)
        a = np.linalg.solve(X.T @ X / n + lam_eff * np.eye(p), X.T @ y / n)
        tests.append(float((a - theta) @ (evals * (a - theta))))
        trains.append(float(np.mean((y - X @ a) ** 2)))
    for emp, th in ((tests, de.test_error), (trains, de.train_error)):
        m, s = np.mean(emp), np.std(emp, ddof=1) / np.sqrt(len(emp))
        assert abs(m - th) < 4 * s + 0.02 * th, (m, s, th)
