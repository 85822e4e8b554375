"""Ridge readout (validation/readout.py; docs/theory/one-step.md §1 "Second layer", §7 step 5)."""

from __future__ import annotations

import numpy as np
import pytest

from asymptotics.errors import InvalidParameterError
from asymptotics.validation.data import NonFiniteError
from asymptotics.validation.readout import factor_ridge, fit_ridge, ridge_path, ridge_penalty


def _problem(n, N, seed=0):
    rng = np.random.default_rng(seed)
    Phi = rng.standard_normal((n, N)) / np.sqrt(N)
    y = rng.standard_normal(n)
    return Phi, y


def _normal_equations(Phi, y, lam):
    """Reference: (ΦᵀΦ + (nλ/N) I)^{-1} Φᵀ y by a plain dense solve."""
    n, N = Phi.shape
    return np.linalg.solve(Phi.T @ Phi + n * lam / N * np.eye(N), Phi.T @ y)


@pytest.mark.parametrize("shape", [(40, 15), (15, 40), (25, 25)])
@pytest.mark.parametrize("lam", [1e-3, 0.3, 5.0])
def test_primal_equals_dual_equals_reference(shape, lam):
    Phi, y = _problem(*shape)
    ref = _normal_equations(Phi, y, lam)
    primal = fit_ridge(Phi, y, lam, method="primal")
    dual = fit_ridge(Phi, y, lam, method="dual")
    svd = fit_ridge(Phi, y, lam, method="svd")
    assert primal.method == "primal-cholesky" and dual.method == "dual-cholesky"
    np.testing.assert_allclose(primal.coef, ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dual.coef, ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(svd.coef, ref, rtol=1e-9, atol=1e-12)


def test_auto_picks_smaller_system():
    assert fit_ridge(*_problem(40, 15), lam=0.1).method == "primal-cholesky"
    assert fit_ridge(*_problem(15, 40), lam=0.1).method == "dual-cholesky"


@pytest.mark.parametrize("shape", [(40, 15), (15, 40)])
def test_lambda_path_equals_individual_solves(shape):
    Phi, y = _problem(*shape, seed=3)
    lams = [0.0, 1e-4, 1e-2, 1.0, 100.0]
    path = ridge_path(Phi, y, lams)
    assert path.coefs.shape == (len(lams), shape[1])
    for k, lam in enumerate(lams):
        single = fit_ridge(Phi, y, lam)
        np.testing.assert_allclose(path.coefs[k], single.coef, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(path.train_errors[k], single.train_error, rtol=1e-8, atol=1e-12)
    # the factorization object gives the same single solution
    eig = factor_ridge(Phi, y)
    np.testing.assert_allclose(eig.fit(1e-2).coef, path.coefs[2], rtol=1e-12)


def test_ridgeless_is_minimum_norm_least_squares():
    Phi, y = _problem(15, 40, seed=5)  # underdetermined: interpolates, min-norm
    ref = np.linalg.pinv(Phi) @ y
    fit = fit_ridge(Phi, y, 0.0)
    assert fit.method == "lstsq"
    np.testing.assert_allclose(fit.coef, ref, rtol=1e-9, atol=1e-12)
    assert fit.train_error < 1e-20
    np.testing.assert_allclose(ridge_path(Phi, y, [0.0]).coefs[0], ref, rtol=1e-7, atol=1e-10)
    # small ridge approaches the min-norm interpolator
    np.testing.assert_allclose(fit_ridge(Phi, y, 1e-9).coef, ref, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("shape", [(40, 15), (15, 40)])
def test_train_error_formula_and_optimality(shape):
    Phi, y = _problem(*shape, seed=7)
    n, N = Phi.shape
    lam = 0.2
    fit = fit_ridge(Phi, y, lam)
    r = y - Phi @ fit.coef
    assert fit.train_error == pytest.approx(r @ r / n, rel=1e-12)
    # first-order condition of (1/n)|y - Φa|² + (λ/N)|a|²
    grad = -2.0 / n * Phi.T @ r + 2.0 * lam / N * fit.coef
    assert np.max(np.abs(grad)) < 1e-12
    # dual identity: y − Φâ = ρ α with α = (ΦΦᵀ + ρ I)^{-1} y
    rho = ridge_penalty(lam, n, N)
    alpha = np.linalg.solve(Phi @ Phi.T + rho * np.eye(n), y)
    assert fit.train_error == pytest.approx(rho**2 * (alpha @ alpha) / n, rel=1e-9)
    # a perturbed coefficient has a larger objective
    obj = lambda a: np.sum((y - Phi @ a) ** 2) / n + lam / N * a @ a  # noqa: E731
    assert obj(fit.coef) < obj(fit.coef + 1e-3 * np.random.default_rng(0).standard_normal(N))


def test_ill_conditioned_falls_back_to_svd():
    Phi, y = _problem(30, 10, seed=2)
    Phi = np.hstack([Phi, Phi])  # rank-deficient columns, tiny ridge
    fit = fit_ridge(Phi, y, 1e-14)
    assert fit.method == "svd"
    ref = np.linalg.pinv(Phi) @ y
    np.testing.assert_allclose(fit.coef, ref, rtol=1e-5, atol=1e-8)


def test_huge_lambda_shrinks_to_zero():
    Phi, y = _problem(20, 30)
    fit = fit_ridge(Phi, y, 1e12)
    assert np.max(np.abs(fit.coef)) < 1e-9
    assert fit.train_error == pytest.approx(y @ y / 20, rel=1e-8)


def test_invalid_inputs():
    Phi, y = _problem(10, 5)
    with pytest.raises(InvalidParameterError):
        fit_ridge(Phi, y, -1.0)
    with pytest.raises(InvalidParameterError):
        fit_ridge(Phi, y[:-1], 1.0)
    with pytest.raises(InvalidParameterError):
        fit_ridge(Phi, y, 1.0, method="qr")
    with pytest.raises(InvalidParameterError):
        ridge_path(Phi, y, [])
    bad = Phi.copy()
    bad[0, 0] = np.nan
    with pytest.raises(NonFiniteError):
        fit_ridge(bad, y, 1.0)
