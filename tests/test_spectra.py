"""Marchenko–Pastur transforms and the spiked quadratic form against sampled matrices."""

import numpy as np
import pytest

from asymptotics.spectra import (
    empirical_stieltjes,
    mp_stieltjes,
    mp_stieltjes_derivative,
    spiked_companion_delta,
    spiked_quadratic_form,
)


@pytest.mark.parametrize("ratio", [0.3, 1.0, 2.5])
def test_mp_root_solves_quadratic_and_is_positive(ratio):
    z = -np.logspace(-6, 3, 50)
    m = mp_stieltjes(z, ratio)
    assert np.all(m > 0)
    resid = ratio * z * m**2 + (z + ratio - 1) * m + 1
    scale = np.abs(ratio * z * m**2) + np.abs((z + ratio - 1) * m) + 1
    assert np.max(np.abs(resid) / scale) < 1e-14


@pytest.mark.parametrize("ratio", [0.5, 2.0])
def test_mp_derivative_matches_finite_difference(ratio):
    z = np.array([-0.01, -0.3, -4.0])
    h = 1e-6 * np.abs(z)
    fd = (mp_stieltjes(z + h, ratio) - mp_stieltjes(z - h, ratio)) / (2 * h)
    np.testing.assert_allclose(mp_stieltjes_derivative(z, ratio), fd, rtol=1e-6)


@pytest.mark.parametrize("ratio", [0.5, 2.0])
def test_mp_matches_sampled_spectrum(ratio):
    rng = np.random.default_rng(1)
    d = 1200
    N = int(ratio * d)
    W = rng.standard_normal((d, N)) / np.sqrt(d)
    ev = np.linalg.eigvalsh(W.T @ W)
    z = np.array([-0.05, -0.5, -3.0])
    # self-averaging normalized trace: relative fluctuations O(1/d)
    np.testing.assert_allclose(empirical_stieltjes(ev, z), mp_stieltjes(z, ratio), rtol=5e-3)


def test_companion_delta_is_fixed_point_and_matches_sample():
    psi2 = 1.7
    w = np.array([0.02, 0.4, 5.0])
    delta, ddelta = spiked_companion_delta(w, psi2)
    np.testing.assert_allclose(delta, (1 / psi2) / (w + 1 / (1 + delta)), rtol=1e-12)
    h = 1e-7 * w
    fd = (spiked_companion_delta(w + h, psi2)[0] - spiked_companion_delta(w - h, psi2)[0]) / (2 * h)
    np.testing.assert_allclose(ddelta, fd, rtol=1e-6)


def test_spiked_quadratic_form_derivative():
    w = np.array([0.05, 0.7, 3.0])
    B, dB = spiked_quadratic_form(w, 0.8, 2.5, 0.3)
    h = 1e-7 * w
    fd = (spiked_quadratic_form(w + h, 0.8, 2.5, 0.3)[0] - spiked_quadratic_form(w - h, 0.8, 2.5, 0.3)[0]) / (2 * h)
    np.testing.assert_allclose(dB, fd, rtol=1e-6)


@pytest.mark.parametrize("psi2,theta,gamma2", [(0.5, 3.0, 0.4), (2.0, 1.0, 0.8)])
def test_spiked_quadratic_form_matches_sampled_average(psi2, theta, gamma2):
    """βᵀ(Ŝ + w)^{-1}β for Ŝ = (d/N) W1 W1ᵀ, W1 = W0 + u aᵀ; averaged over 6 draws at d = 600."""
    rng = np.random.default_rng(7)
    d = 600
    N = int(psi2 * d)
    w_grid = np.array([0.1, 1.0])
    vals = []
    for _ in range(6):
        W0 = rng.standard_normal((d, N)) / np.sqrt(d)
        uhat = rng.standard_normal(d)
        uhat /= np.linalg.norm(uhat)
        v = rng.standard_normal(d)
        v -= (v @ uhat) * uhat
        v /= np.linalg.norm(v)
        beta = np.sqrt(gamma2) * uhat + np.sqrt(1 - gamma2) * v
        a = rng.standard_normal(N) / np.sqrt(N)
        W1 = W0 + np.sqrt(theta * psi2) * np.outer(uhat, a)
        S = d / N * W1 @ W1.T
        vals.append([beta @ np.linalg.solve(S + w * np.eye(d), beta) for w in w_grid])
    vals = np.array(vals)
    mean, sem = vals.mean(0), vals.std(0, ddof=1) / np.sqrt(len(vals))
    theory = spiked_quadratic_form(w_grid, psi2, theta, gamma2)[0]
    # 4 SEM plus an O(1/sqrt(d)) finite-size allowance of 2%
    assert np.all(np.abs(mean - theory) < 4 * sem + 0.02 * theory), (mean, sem, theory)


def test_negative_axis_only():
    with pytest.raises(ValueError):
        mp_stieltjes(0.5, 1.0)
