"""Kernels, Gegenbauer coefficients and the KRR Monte Carlo against closed forms written here.

asymptotics/kernels/theory.py and gegenbauer.py: dot-product kernels vs the arc-cosine / arcsine closed
forms and a 2-d Gauss–Hermite sum, Taylor coefficients vs Hermite coefficients by quadrature,
ξ_k(d) vs adaptive quadrature against the sphere marginal.  validation/kernels/simulation.py: the KRR seed
re-implemented in numpy on the same streams; harmonic normalizations E g² = 1 by Monte Carlo with a
window from the measured SEM.  results/mutation/ records how many mutants these tests kill.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special

from asymptotics.gegenbauer import (
    gegenbauer_coefficients,
    gegenbauer_polynomials,
    harmonic_dimension,
    log_harmonic_dimension,
)
from asymptotics.kernels.theory import KernelRidge, dot_product_kernel, kernel_gegenbauer
from asymptotics.validation.data import spawn_generators
from asymptotics.validation.kernels.simulation import (
    STREAMS,
    harmonic_target,
    kernel_gram,
    kernel_ridge_fit_predict,
    lazy_features,
    simulate_krr,
    simulate_krr_seed,
    sphere_inputs,
)

from _reference import gauss2, GH_W as _W, GH_X as _X


def relu_rf(r):
    return (np.sqrt(1 - r**2) + (np.pi - np.arccos(r)) * r) / (2 * np.pi)


def relu_ntk(r):
    return r * (np.pi - np.arccos(r)) / (2 * np.pi)


def erf_rf(r):
    return 2 / np.pi * np.arcsin(2 * r / 3)


def erf_ntk(r):
    return r * 4 / np.pi / np.sqrt(9 - 4 * r**2)


RHO = np.array([-0.9, -0.3, 0.0, 0.4, 0.95, 1.0])


@pytest.mark.parametrize("act,rf,ntk", [("relu", relu_rf, relu_ntk), ("erf", erf_rf, erf_ntk)])
def test_closed_form_kernels(act, rf, ntk):
    np.testing.assert_allclose(dot_product_kernel(act, "rf")(RHO), rf(RHO), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(dot_product_kernel(act, "ntk")(RHO), ntk(RHO), rtol=1e-10, atol=1e-13)
    both = dot_product_kernel(act, "both", d=7.0)
    np.testing.assert_allclose(both(RHO), 7.0 * ntk(RHO) + rf(RHO), rtol=1e-10, atol=1e-13)
    assert dot_product_kernel(act, "rf").h1 == pytest.approx(float(rf(1.0)), rel=1e-10)
    assert dot_product_kernel(act, "ntk").h1 == pytest.approx(float(ntk(1.0)), rel=1e-10)


def test_smooth_kernel_quadrature_and_interpolant():
    """tanh: E tanh(u)tanh(v) and ρ E tanh'(u)tanh'(v), scalar path and the >256-point interpolant."""
    dt = lambda z: 1 / np.cosh(z) ** 2  # noqa: E731
    rf, nt = dot_product_kernel("tanh", "rf"), dot_product_kernel("tanh", "ntk")
    for r in (-0.7, 0.2, 0.9):
        assert float(rf(r)) == pytest.approx(gauss2(np.tanh, np.tanh, r), rel=1e-9)
        assert float(nt(r)) == pytest.approx(r * gauss2(dt, dt, r), rel=1e-9)
    grid = np.linspace(-0.99, 0.99, 300)
    want = np.array([gauss2(np.tanh, np.tanh, r) for r in grid[::37]])
    np.testing.assert_allclose(rf(grid)[::37], want, rtol=1e-8, atol=1e-12)


def test_taylor_coefficients_are_hermite_squares():
    """RF: a_k = ĉ_k², NTK: a_k = k ĉ_k² (docs/theory/kernels.md §6.6), ĉ_k of tanh by Gauss–Hermite here."""
    he = np.polynomial.hermite_e
    c = np.array([float(np.sum(_W * np.tanh(_X) * he.hermeval(_X, [0] * k + [1]))) / math.sqrt(math.factorial(k))
                  for k in range(6)])
    np.testing.assert_allclose(dot_product_kernel("tanh", "rf").taylor(5), c**2, atol=1e-11)
    np.testing.assert_allclose(dot_product_kernel("tanh", "ntk").taylor(5), np.arange(6) * c**2, atol=1e-11)


def test_harmonic_dimension_and_gegenbauer_polynomials():
    for d, k in ((3, 4), (7, 3), (40, 2), (12, 0), (12, 1)):
        want = math.comb(d + k - 1, k) - (math.comb(d + k - 3, k - 2) if k >= 2 else 0)
        assert harmonic_dimension(d, k) == want
        assert float(np.exp(log_harmonic_dimension(d, k))) == pytest.approx(want, rel=1e-12)
    # the lnΓ branch for k > 10 000 against the exact integer (log of a Python int)
    exact = math.comb(5 + 20000 - 1, 20000) - math.comb(5 + 20000 - 3, 20000 - 2)
    assert float(log_harmonic_dimension(5, 20000)) == pytest.approx(math.log(exact), rel=1e-12)
    t = np.array([-0.8, 0.1, 0.6])
    P = gegenbauer_polynomials(t, 7, 4)
    alpha = (7 - 2) / 2
    want = np.array([special.eval_gegenbauer(k, alpha, t) / special.eval_gegenbauer(k, alpha, 1.0) for k in range(5)])
    np.testing.assert_allclose(P, want, rtol=1e-12, atol=1e-14)


def _xi_by_quadrature(h, d, k):
    """ξ_k = B(d, k) E_t[h(t) P_k(t)], t with density ∝ (1 − t²)^{(d−3)/2} (docs/theory/kernels.md §6.1)."""
    alpha = (d - 2) / 2
    w = lambda t: (1 - t * t) ** ((d - 3) / 2)  # noqa: E731
    Z = integrate.quad(w, -1, 1, epsabs=1e-14, epsrel=1e-13)[0]
    Pk = lambda t: special.eval_gegenbauer(k, alpha, t) / special.eval_gegenbauer(k, alpha, 1.0)  # noqa: E731
    val = integrate.quad(lambda t: h(t) * Pk(t) * w(t), -1, 1, epsabs=1e-14, epsrel=1e-11, limit=400)[0]
    return harmonic_dimension(d, k) * val / Z


@pytest.mark.parametrize("act,h,method", [("relu", relu_ntk, "quadrature"), ("erf", erf_ntk, "series"),
                                           ("relu", relu_ntk, "series")])
def test_gegenbauer_coefficients_by_quadrature(act, h, method):
    d = 7
    g = kernel_gegenbauer(dot_product_kernel(act, "ntk"), d, 4, method=method)
    want = [_xi_by_quadrature(h, d, k) for k in range(5)]
    # the series of the arc-cosine kernel converges slowly (a_j ~ j^{-3/2}): it reports an error
    # estimate (1.3e-5 here, actual error 2e-6), which is the window; analytic kernels: 1e-8.
    np.testing.assert_allclose(g.xi, want, rtol=1e-8, atol=max(1e-13, g.error_estimate))
    assert g.error_estimate < (1e-4 if act == "relu" else 1e-13)  # ≤ 2e-4 of h(1) = 0.5
    np.testing.assert_allclose(g.eigenvalues, np.array(want) / [harmonic_dimension(d, k) for k in range(5)],
                               rtol=1e-8, atol=max(1e-14, g.error_estimate))
    inf = kernel_gegenbauer(dot_product_kernel(act, "ntk"), math.inf, 4)  # d = ∞: Taylor coefficients
    np.testing.assert_allclose(inf.xi, dot_product_kernel(act, "ntk").taylor(4), rtol=1e-12, atol=1e-15)
    assert inf.eigenvalues == (0.0,) * 5 and len(inf.log_multiplicities) == 5
    gq = gegenbauer_coefficients(erf_rf, d, 3)
    np.testing.assert_allclose(gq.xi, [_xi_by_quadrature(erf_rf, d, k) for k in range(4)], rtol=1e-8, atol=1e-13)


# ---------------------------------------------------------------- KRR Monte Carlo


def test_sphere_inputs_and_lazy_grams_by_hand():
    X = sphere_inputs(5, 6, np.random.default_rng(0))
    G = np.random.default_rng(0).standard_normal((5, 6))
    np.testing.assert_allclose(X, G * math.sqrt(6) / np.linalg.norm(G, axis=1, keepdims=True), rtol=1e-13)
    lf = lazy_features("ntk", "tanh", 9, 6, np.random.default_rng(1))
    W = np.random.default_rng(1).standard_normal((9, 6)) / math.sqrt(6)
    np.testing.assert_allclose(lf.W, W, rtol=1e-13)
    dt = lambda z: 1 / np.cosh(z) ** 2  # noqa: E731
    np.testing.assert_allclose(lf.gram(X), (X @ X.T / 6) * (dt(X @ W.T) @ dt(X @ W.T).T / 9), rtol=1e-12)
    rf = lazy_features("rf", "tanh", 9, 6, np.random.default_rng(1))
    np.testing.assert_allclose(rf.gram(X), np.tanh(X @ W.T) @ np.tanh(X @ W.T).T / 9, rtol=1e-12)
    np.testing.assert_allclose(kernel_gram(dot_product_kernel("relu", "ntk"), X),
                               relu_ntk(np.clip(X @ X.T / 6, -1, 1)), rtol=1e-10, atol=1e-14)


def test_krr_seed_by_hand():
    """simulate_krr_seed = numpy KRR f̂ = K(x, X)(K + λI)^{-1}y on the documented streams (rel 1e-9)."""
    s = KernelRidge(kernel="ntk", activation="relu", d=8, n=50, lam=0.03, noise=0.2, target="1:1,2:0.5,3:0.2")
    rec = simulate_krr_seed(s, 4, n_test=300)
    rngs = spawn_generators(4, STREAMS)
    target = harmonic_target(s.target, 8, rngs["target"])
    X, Xt = sphere_inputs(50, 8, rngs["train"]), sphere_inputs(300, 8, rngs["test"])
    y = target(X) + 0.2 * rngs["noise"].standard_normal(50)
    # product harmonics x_1, x_2x_3/‖·‖, x_4x_5x_6/‖·‖ with E g² = 1 (Dirichlet moments)
    norm2 = lambda k: np.prod([8 / (8 + 2 * j) for j in range(k)])  # noqa: E731
    f = lambda Z: (Z[:, 0] + math.sqrt(0.5) * Z[:, 1] * Z[:, 2] / math.sqrt(norm2(2))  # noqa: E731
                   + math.sqrt(0.2) * Z[:, 3] * Z[:, 4] * Z[:, 5] / math.sqrt(norm2(3)))
    np.testing.assert_allclose(target(Xt), f(Xt), rtol=1e-12)
    K = relu_ntk(np.clip(X @ X.T / 8, -1, 1))
    Kt = relu_ntk(np.clip(Xt @ X.T / 8, -1, 1))
    alpha = np.linalg.solve(K + 0.03 * np.eye(50), y)
    assert rec.test_error == pytest.approx(np.mean((Kt @ alpha - f(Xt)) ** 2), rel=1e-9)
    assert rec.train_error == pytest.approx(np.mean((K @ alpha - y) ** 2), rel=1e-9)
    sim = simulate_krr(s, seeds=[4, 6], n_test=300, theory=False)
    te = [r.test_error for r in sim.per_seed]
    tr = [r.train_error for r in sim.per_seed]
    assert sim.per_seed[0].test_error == rec.test_error
    assert (sim.test_error_mean, sim.train_error_mean) == pytest.approx((np.mean(te), np.mean(tr)), rel=1e-14)
    assert (sim.test_error_sem, sim.train_error_sem) == pytest.approx(
        (np.std(te, ddof=1) / math.sqrt(2), np.std(tr, ddof=1) / math.sqrt(2)), rel=1e-12)
    pt, p = kernel_ridge_fit_predict(K, Kt, y, 0.0)
    np.testing.assert_allclose(p, y, rtol=1e-6, atol=1e-8)  # λ = 0 interpolates (n < dim of the RKHS)


@pytest.mark.parametrize("style", ["dense", "product"])
def test_harmonic_normalization_by_monte_carlo(style):
    """E g_k² = 1 for every unit harmonic of the target (docs/theory/kernels.md §6.1), by Monte Carlo at d = 6.

    Measured SEM of mean(g²) with 40000 points: 0.0056 (degree 1) to 0.0137 (zonal degree 3); with
    250000 points ≤ 0.0055, so the window 4 SEM ≤ 0.022 is below the 0.04 that a 2 % error in a
    normalization constant makes in E g².
    """
    d = 6
    t = harmonic_target("1:1,2:0.5,3:0.25", d, np.random.default_rng(3), style=style)
    X = sphere_inputs(250000, d, np.random.default_rng(7))
    for term in t.terms:
        g2 = term(X) ** 2 / term.coef**2
        sem = g2.std(ddof=1) / math.sqrt(g2.size)
        assert 4 * sem < 0.03
        assert abs(g2.mean() - 1.0) < 4 * sem, (term.kind, term.degree, g2.mean(), sem)
