"""Closed-form and independent-quadrature checks of the one-step theory's building blocks.

Each piece of asymptotics/spectra.py, ridge.py, onestep.py and hermite.py is compared with a
computation that shares no code with it (scipy quadrature of the Marchenko–Pastur density,
Gauss–Hermite sums written here, a deterministic spectrum built from MP quantiles), to ≤ 1e-6
relative, far below the 2 % a formula error would make.  Mutation score: results/mutation/.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize

from asymptotics.hermite import hermite_coefficients, hermite_constants
from asymptotics.one_step.theory import one_step_risk, one_step_risk_on_weights, spike
from asymptotics.ridge import ridge_equivalent_from_spectrum, ridge_errors, solve_effective_ridge
from asymptotics.settings import OneStep
from asymptotics.spectra import mp_stieltjes, mp_stieltjes_derivative, spiked_companion_delta, spiked_quadratic_form

from _reference import gauss


# ---------------------------------------------------------------- Marchenko–Pastur


def mp_integral(g, ratio):
    """∫ g dμ_MP for aspect ratio ``ratio`` and unit variance, by adaptive quadrature.

    Density √((b − x)(x − a))/(2π ratio x) on [a, b] = [(1 ∓ √ratio)²], plus an atom 1 − 1/ratio at 0
    when ratio > 1.
    """
    a, b = (1 - math.sqrt(ratio)) ** 2, (1 + math.sqrt(ratio)) ** 2
    # substitute x = (a+b)/2 + (b−a)/2 cos t to remove the square-root edges
    c, h = (a + b) / 2, (b - a) / 2

    def f(t):
        x = c + h * math.cos(t)
        return g(x) * (h * math.sin(t)) ** 2 / (2 * math.pi * ratio * x)

    val = integrate.quad(f, 0, math.pi, epsabs=1e-14, epsrel=1e-13, limit=200)[0]
    return val + (max(0.0, 1 - 1 / ratio) * g(0.0))


@pytest.mark.parametrize("ratio", [0.5, 1.7])
@pytest.mark.parametrize("z", [-0.05, -1.3])
def test_mp_stieltjes_and_derivative_by_quadrature(ratio, z):
    assert mp_integral(lambda x: 1.0, ratio) == pytest.approx(1.0, rel=1e-12)
    assert float(mp_stieltjes(z, ratio)) == pytest.approx(mp_integral(lambda x: 1 / (x - z), ratio), rel=1e-9)
    assert float(mp_stieltjes_derivative(z, ratio)) == pytest.approx(
        mp_integral(lambda x: 1 / (x - z) ** 2, ratio), rel=1e-9)


@pytest.mark.parametrize("psi2", [0.6, 2.5])
@pytest.mark.parametrize("w", [0.02, 0.9])
def test_companion_delta_fixed_point_and_spiked_form(psi2, w):
    """δ = (1/ψ2)/(w + 1/(1 + δ)) solved by brentq here; B by Sherman–Morrison written out; d/dw by FD."""
    want = optimize.brentq(lambda t: t - (1 / psi2) / (w + 1 / (1 + t)), 1e-12, 1e6, xtol=1e-15, rtol=1e-14)
    delta, ddelta = spiked_companion_delta(w, psi2)
    assert float(delta) == pytest.approx(want, rel=1e-10)
    h = 1e-6 * w
    fd = (spiked_companion_delta(w + h, psi2)[0] - spiked_companion_delta(w - h, psi2)[0]) / (2 * h)
    assert float(ddelta) == pytest.approx(float(fd), rel=1e-6)
    theta, g2 = 1.7, 0.4
    # (w + T/(1+δ))^{-1} with T = I + θ ûûᵀ, quadratic form along β with ⟨û, β⟩² = γ²: 2-d algebra
    a0, a1 = w + 1 / (1 + want), theta / (1 + want)
    M = np.array([[a0 + a1, 0.0], [0.0, a0]])  # basis (û, û⊥ in span(û, β))
    beta = np.array([math.sqrt(g2), math.sqrt(1 - g2)])
    B, dB = spiked_quadratic_form(w, psi2, theta, g2)
    assert float(B) == pytest.approx(beta @ np.linalg.solve(M, beta), rel=1e-10)
    fdB = (spiked_quadratic_form(w + h, psi2, theta, g2)[0] - spiked_quadratic_form(w - h, psi2, theta, g2)[0]) / (2 * h)
    assert float(dB) == pytest.approx(float(fdB), rel=1e-6)


# ---------------------------------------------------------------- Hermite constants, spike


@pytest.mark.parametrize("name,f", [("tanh", np.tanh), ("softplus", lambda z: np.logaddexp(0, z)),
                                    ("sin", np.sin)])
def test_hermite_coefficients_by_gauss_hermite(name, f):
    he = np.polynomial.hermite_e
    c = [gauss(lambda z, k=k: f(z) * he.hermeval(z, [0] * k + [1])) / math.sqrt(math.factorial(k))
         for k in range(7)]
    hc = hermite_coefficients(name, 6)
    np.testing.assert_allclose(hc.coefficients, c, atol=1e-10)
    assert len(hc.coefficients) == len(hc.routes) == 7
    h = hermite_constants(name)
    norm2 = gauss(lambda z: f(z) ** 2)
    assert (h.mu0, h.mu1, h.norm2) == pytest.approx((c[0], c[1], norm2), rel=1e-9, abs=1e-13)
    assert h.mu_star == pytest.approx(math.sqrt(norm2 - c[0] ** 2 - c[1] ** 2), rel=1e-9)


def test_relu_erf_closed_forms():
    r = hermite_constants("relu")
    assert (r.mu0, r.mu1, r.norm2) == pytest.approx((1 / math.sqrt(2 * math.pi), 0.5, 0.5), rel=1e-10)
    e = hermite_constants("erf")
    assert e.mu1 == pytest.approx(2 / math.sqrt(3 * math.pi), rel=1e-10)
    assert e.norm2 == pytest.approx(2 / math.pi * math.asin(2 / 3), rel=1e-10)


def test_spike_formula_by_hand():
    """r² = η²μ1²(μ1*² + E_y/ψ1), γ² = μ1*²/(μ1*² + E_y/ψ1), θ = r²/ψ2, E_y = ‖f*‖² + σ² (docs/theory/one-step.md §2)."""
    s = OneStep("tanh", "softplus", psi1=3, psi2=0.7, lam=0.1, eta=1.4, noise=0.3)
    mu1 = gauss(lambda z: z * np.tanh(z))
    t1, ey = gauss(lambda z: z * np.logaddexp(0, z)), gauss(lambda z: np.logaddexp(0, z) ** 2) + 0.09
    sp = spike(s)
    assert sp.r2 == pytest.approx(1.4**2 * mu1**2 * (t1**2 + ey / 3), rel=1e-9)
    assert sp.gamma2 == pytest.approx(t1**2 / (t1**2 + ey / 3), rel=1e-9)
    assert sp.theta == pytest.approx(sp.r2 / 0.7, rel=1e-12)


# ---------------------------------------------------------------- ridge equivalent and R0


def test_ridge_equivalent_isotropic_closed_form():
    """S = s I_p: κ solves κ(1 − (p/n) s/(s+κ)) = λ (a quadratic); df2 = (p/n)(s/(s+κ))²;
    test = unexplained + (‖b‖²/s·... ) written out with q = ‖b‖²(s+2κ)/(s+κ)²."""
    p, n, s, lam = 30, 45.0, 0.8, 0.05
    b = np.linspace(0.02, 0.08, p)  # q ≈ 0.1 < E g² (a consistent problem)
    # κ² + κ(s − (p/n)s − λ) − λ s = 0
    B = s - p / n * s - lam
    kappa = (-B + math.sqrt(B * B + 4 * lam * s)) / 2
    d1, d2 = p / n * s / (s + kappa), p / n * (s / (s + kappa)) ** 2
    q = float(b @ b) * (s + 2 * kappa) / (s + kappa) ** 2
    sig, nv, un, ln = 0.9, 0.35, 0.2, 0.15
    test = un + (sig - q + nv * d2) / (1 - d2)
    train = (1 - d1) ** 2 * (test + ln)
    r = ridge_equivalent_from_spectrum(np.full(p, s), b, n, lam, sig, nv, un, ln)
    assert (r.kappa, r.df1, r.df2, r.q) == pytest.approx((kappa, d1, d2, q), rel=1e-10)
    assert (r.test_error, r.train_error) == pytest.approx((test, train), rel=1e-10)
    assert ridge_errors(sig, q, d1, d2, nv, un, ln) == pytest.approx((test, train), rel=1e-12)
    k, _ = solve_effective_ridge(lam, lambda k: p / n * s / (s + k))
    assert k == pytest.approx(kappa, rel=1e-11)


def _mp_quantile_weights(d: int, N: int) -> tuple[np.ndarray, np.ndarray]:
    """W = U diag(σ) Vᵀ (d×N, N < d) with σ² the N midpoint quantiles of MP(ratio N/d), and the
    'flat' unit vector β = U·1/√d, so that every quadratic form βᵀg(WWᵀ)β is a spectral average."""
    ratio = N / d
    a, b = (1 - math.sqrt(ratio)) ** 2, (1 + math.sqrt(ratio)) ** 2

    def cdf(x):
        return integrate.quad(lambda t: math.sqrt(max((b - t) * (t - a), 0.0)) / (2 * math.pi * ratio * t), a, x)[0]

    qs = [optimize.brentq(lambda x, u=u: cdf(x) - u, a, b, xtol=1e-13) for u in (np.arange(N) + 0.5) / N]
    rng = np.random.default_rng(0)
    U = np.linalg.qr(rng.standard_normal((d, d)))[0]
    V = np.linalg.qr(rng.standard_normal((N, N)))[0]
    W = U[:, :N] @ np.diag(np.sqrt(qs)) @ V.T
    beta = U @ np.full(d, 1 / math.sqrt(d))
    return W, beta


def test_rf_risk_equals_deterministic_spectrum_equivalent():
    """η = 0: the asymptotic R0 (MP Stieltjes transforms) = the finite-d equivalent of ridge.py on a
    deterministic W whose singular values are MP quantiles and whose β is flat in its left singular
    basis (quadratic forms become spectral averages: no sampling noise at all).  The remaining gap is
    the quantile discretisation, measured ≤ 1.2e-5 relative at d = 320, N = 160 (3e-6 at d = 640, i.e.
    O(1/d)); window 1e-4, so a 2 % change of a constant in the chain (≥ 1e-3 in the risk) is caught."""
    d, N = 320, 160
    W, beta = _mp_quantile_weights(d, N)
    for lam, psi1 in ((0.05, 1.5), (0.5, 3.0)):
        s = OneStep("tanh", "tanh", psi1=psi1, psi2=0.5, lam=lam, eta=0.0, noise=0.2)
        fin = one_step_risk_on_weights(s, W, beta)
        asym = one_step_risk(s)
        assert fin.test_error == pytest.approx(asym.test_error, rel=1e-4)
        assert fin.train_error == pytest.approx(asym.train_error, rel=1e-4)
        assert fin.df1 == pytest.approx(asym.df1, rel=1e-4)
        assert fin.kappa * N == pytest.approx(asym.effective_ridge, rel=1e-4)
