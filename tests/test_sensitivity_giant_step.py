"""Stage-by-stage checks of the giant-step Monte Carlo and of the sRF parameters, by hand.

validation/giant_step/simulation.py is re-implemented here in numpy from its documented protocol (streams
(network, readout, readout-noise, test); draw order W0, β, X0, ξ0 or W0, v, ζ) and compared on the
same random numbers to rounding; asymptotics.spiked_rf.theory.srf_parameters is compared with its formula
evaluated on Gauss–Hermite sums written here.  Any formula change is a failure (no statistical
window); results/mutation/ records how many mutants these tests kill.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from asymptotics.settings import GiantStep
from asymptotics.spiked_rf.theory import SRFParameters, srf_parameters
from asymptotics.validation.data import spawn_generators
from asymptotics.validation.giant_step.measurement import measure_srf
from asymptotics.validation.giant_step.simulation import model_for_seed, simulate_giant_step_seed
from asymptotics.validation.giant_step.srf_sampler import sample_srf

from _reference import ACTS, gauss

STREAMS = ("network", "readout", "readout-noise", "test")


def unit_rows(rng, p, d):
    W = rng.standard_normal((p, d))
    return W / np.linalg.norm(W, axis=1, keepdims=True)


def hand_network(s: GiantStep, d: int, seed: int):
    """Spec §1.2–1.3: rows of W0 on the sphere, a = 1/√p, w_i += η̃ (1/n0) Σ (y − f0) σ'(⟨w_i,x⟩) x."""
    f, df = ACTS[s.student.name]
    ft = ACTS[s.teacher.name][0]
    r = spawn_generators(seed, STREAMS)["network"]
    p, n0 = round(s.width_ratio * d), round(s.alpha0 * d)
    W0 = unit_rows(r, p, d)
    g = r.standard_normal(d)
    beta = g / np.linalg.norm(g)
    X0 = r.standard_normal((n0, d))
    y0 = ft(X0 @ beta) + s.noise * r.standard_normal(n0)
    f0 = f(X0 @ W0.T) @ np.full(p, 1 / math.sqrt(p)) / math.sqrt(p)
    W1 = W0 + s.eta_tilde * ((y0 - f0)[:, None] * df(X0 @ W0.T)).T @ X0 / n0
    return W0, W1, beta


def hand_readout(s: GiantStep, W, beta, d, seed, alphas, n_test):
    """Spec §1.5: ŵ = argmin Σ(y − wᵀσ(Wx)/√p)² + λ‖w‖²; test error on fresh points, train (1/n)Σ."""
    f = ACTS[s.student.name][0]
    ft = ACTS[s.teacher.name][0]
    rngs = spawn_generators(seed, STREAMS)
    p = W.shape[0]
    sizes = [round(a * d) for a in alphas]
    X = rngs["readout"].standard_normal((max(sizes), d))
    y = ft(X @ beta) + s.noise * rngs["readout-noise"].standard_normal(max(sizes))
    Phi = f(X @ W.T) / math.sqrt(p)
    Xt = rngs["test"].standard_normal((n_test, d))
    Pt, yt = f(Xt @ W.T) / math.sqrt(p), ft(Xt @ beta)
    out = []
    for n in sizes:
        A, b = Phi[:n], y[:n]
        w = np.linalg.solve(A.T @ A + s.lam * np.eye(p), A.T @ b)
        out.append((np.mean((Pt @ w - yt) ** 2), np.mean((b - A @ w) ** 2)))
    return out


@pytest.mark.parametrize("student", ["tanh", "softplus"])
def test_network_seed_equals_hand_protocol(student):
    """p ≠ d, n0 ≠ d, noise > 0, two α on prefixes of one readout sample: errors to rel 1e-8."""
    s = GiantStep(student, "tanh", alpha0=1.5, eta_tilde=1.3, alpha=1.0, lam=0.05, noise=0.3, width_ratio=0.75)
    d, seed, n_test, alphas = 16, 5, 600, (0.5, 1.25)
    W0, W1, beta = hand_network(s, d, seed)
    net = model_for_seed(s, d, seed)
    np.testing.assert_allclose(net.W0, W0, rtol=1e-13)
    np.testing.assert_allclose(net.W1, W1, rtol=1e-10, atol=1e-14)
    recs = simulate_giant_step_seed(s, d, seed, alphas=alphas, n_test=n_test)
    for rec, (test, train) in zip(recs, hand_readout(s, W1, beta, d, seed, alphas, n_test)):
        assert (rec.p, rec.n0) == (12, 24)
        assert rec.test_error == pytest.approx(test, rel=1e-8)
        assert rec.train_error == pytest.approx(train, rel=1e-8)


def test_srf_features_and_seed_by_hand():
    """F = √c W0 + (r/√d) 1 vᵀ, θ = γv + ρζ (ζ ⊥ v, ‖v‖² = ‖ζ‖² = d), β = θ/√d (docs/theory/spiked-rf.md §1.4)."""
    srf = SRFParameters(0.9, 1.3, 0.6)
    s = GiantStep("tanh", "tanh", alpha0=1.0, eta_tilde=1.0, alpha=1.0, lam=0.1, noise=0.1, width_ratio=0.75)
    d, seed = 12, 2
    r = spawn_generators(seed, STREAMS)["network"]
    p = 9  # p ≠ d
    W0 = unit_rows(r, p, d)
    g = r.standard_normal(d)
    v = g / np.linalg.norm(g) * math.sqrt(d)
    z = r.standard_normal(d)
    z = z - v * (v @ z) / d
    zeta = z * math.sqrt(d) / np.linalg.norm(z)
    theta = 0.6 * v + 0.8 * zeta
    F = math.sqrt(1.3) * W0 + 0.9 / math.sqrt(d) * np.outer(np.ones(p), v)
    sf = model_for_seed(s, d, seed, model="srf", srf=srf)
    np.testing.assert_allclose(sf.F, F, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(sf.beta, theta / math.sqrt(d), rtol=1e-12, atol=1e-15)
    assert sample_srf(srf, p, d, np.random.default_rng(0)).beta @ sf.beta != 1.0  # a different draw
    rec = simulate_giant_step_seed(s, d, seed, alphas=(1.5,), model="srf", srf=srf, n_test=400)[0]
    assert (sf.p, sf.d, rec.p, rec.d, rec.n) == (9, 12, 9, 12, 18)
    test, train = hand_readout(s, F, theta / math.sqrt(d), d, seed, (1.5,), 400)[0]
    assert rec.test_error == pytest.approx(test, rel=1e-8)
    assert rec.train_error == pytest.approx(train, rel=1e-8)


def test_measure_srf_on_constructed_spike():
    """W1 = √c·B + r 1 uᵀ with rows of B ⊥ u: measured r, c, γ are exactly (r, c, ⟨u, β⟩)."""
    rng = np.random.default_rng(4)
    p, d, r, c = 30, 20, 0.7, 1.4
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    W0 = unit_rows(rng, p, d)
    B = W0 - np.outer(W0 @ u, u)
    B /= np.linalg.norm(B, axis=1, keepdims=True)
    W1 = math.sqrt(c) * B + r * np.outer(np.ones(p), u)
    # the spike must dominate W1 − W0 for its top singular vector to be u: use W0 = √c·B exactly
    beta = 0.8 * u + 0.6 * np.linalg.qr(np.column_stack([u, rng.standard_normal(d)]))[0][:, 1]
    m = measure_srf(math.sqrt(c) * B, W1, beta)
    assert (m.r, m.c, m.gamma) == pytest.approx((r, c, 0.8), rel=1e-10)
    assert m.r_spread == pytest.approx(0.0, abs=1e-10)
    assert m.spike_norm == pytest.approx(r * math.sqrt(p), rel=1e-10)


@pytest.mark.parametrize("student,teacher,noise", [("tanh", "tanh", 0.2), ("softplus", "tanh", 0.0),
                                                   ("tanh", "softplus", 0.3)])
@pytest.mark.parametrize("formula", ["corrected", "code"])
def test_srf_parameters_formula_by_quadrature(student, teacher, noise, formula):
    """r = η̃μ1√(μ1*² + E_y/α0), γ = μ1*/√(μ1*² + E_y/α0), c = s_b² + (η̃²/α0) E_y Var σ' (docs/theory/spiked-rf.md §1.4)."""
    s = GiantStep(student, teacher, alpha0=1.7, eta_tilde=1.4, alpha=1.0, lam=0.1, noise=noise)
    f, df = ACTS[student]
    ft = ACTS[teacher][0]
    mu0, mu1 = gauss(f), gauss(lambda z: z * f(z))
    t0, t1, tn = gauss(ft), gauss(lambda z: z * ft(z)), gauss(lambda z: ft(z) ** 2)
    var_d = gauss(lambda z: df(z) ** 2) - gauss(df) ** 2
    ez = gauss(lambda z: z * df(z))
    if formula == "corrected":
        e_y, s_b = tn - 2 * mu0 * t0 + mu0**2 + noise**2, 1 + 1.4 * (t0 - mu0) * ez
    else:
        e_y, s_b = tn + noise**2, 1.0
    den = math.sqrt(t1**2 + e_y / 1.7)
    got = srf_parameters(s, formula=formula)
    assert (got.r, got.c, got.gamma) == pytest.approx(
        (1.4 * mu1 * den, s_b**2 + 1.4**2 / 1.7 * e_y * var_d, t1 / den), rel=1e-8)
