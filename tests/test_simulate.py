"""Monte Carlo of the one-step protocol (validation/one_step/network.py, validation/one_step/simulation.py).

docs/theory/one-step.md §1 (model, eq. 2.1), §2 (spike and alignment γ²), §7 (protocol).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from asymptotics.activations import get_activation
from asymptotics.errors import InvalidParameterError
from asymptotics.settings import OneStep
from asymptotics.validation.data import NonFiniteError, spawn_generators
from asymptotics.validation.one_step.network import (
    network_output,
    one_step_gradient,
    one_step_loss,
    one_step_sizes,
    sample_one_step,
    spike_statistics,
)
from asymptotics.validation.readout import fit_ridge
from asymptotics.validation.one_step.simulation import estimate_risk, features_matrix, simulate_one_step

# Gauss–Hermite (probabilists') rule for E g(z), z ~ N(0, 1); exact enough for smooth g.
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(150)
_GH_W = _GH_W / _GH_W.sum()


def gauss(g) -> float:
    return float(np.sum(_GH_W * g(_GH_X)))


def _setting(**kw):
    base = dict(student="tanh", teacher="tanh", psi1=2.0, psi2=1.5, lam=1e-2, eta=1.0, noise=0.1)
    base.update(kw)
    return OneStep(**base)


# ---------------------------------------------------------------- exact gradient (spec eq. 2.1)


@pytest.mark.parametrize("student", ["tanh", "softplus", "z + 0.5*z**2 + sin(z)"])
def test_gradient_matches_finite_differences(student):
    act = get_activation(student)
    rng = np.random.default_rng(11)
    d, N, n = 6, 5, 7
    W = rng.standard_normal((d, N)) / math.sqrt(d)
    a = rng.standard_normal(N)  # O(1) second layer so that f(X) matters in the residual
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    grad = one_step_gradient(W, a, X, y, act)
    h = 1e-6
    fd = np.empty_like(W)
    for i in range(d):
        for j in range(N):
            E = np.zeros_like(W)
            E[i, j] = h
            fd[i, j] = (one_step_loss(W + E, a, X, y, act) - one_step_loss(W - E, a, X, y, act)) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-9)
    # chunking over samples gives the same gradient
    np.testing.assert_allclose(one_step_gradient(W, a, X, y, act, chunk_size=3), grad, rtol=1e-13, atol=1e-15)
    # it is not the rank-one approximation μ1 Xᵀy aᵀ/(n√N) (sanity: the test can tell them apart)
    assert not np.allclose(grad, -X.T @ y[:, None] * a[None, :] / (n * math.sqrt(N)), rtol=1e-2)


def test_network_output_definition():
    act = get_activation("tanh")
    rng = np.random.default_rng(0)
    W, a, X = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal((5, 4))
    expected = np.array([a @ np.tanh(W.T @ x) / math.sqrt(3) for x in X])
    np.testing.assert_allclose(network_output(W, a, X, act, chunk_size=2), expected, rtol=1e-13)


# ---------------------------------------------------------------- sampling and reproducibility


def test_sizes_and_initialization_scales():
    s = _setting(psi1=3.0, psi2=0.5)
    net = sample_one_step(s, 300, np.random.default_rng(1))
    assert (net.d, net.N, net.n) == (300, 150, 900)
    assert one_step_sizes(s, 300) == (150, 900)
    assert abs(net.W0.var() * 300 - 1) < 0.02  # N(0, 1/d)
    assert abs(net.a.var() * 150 - 1) < 0.3  # N(0, 1/N), only 150 draws
    assert net.beta @ net.beta == pytest.approx(1.0, abs=1e-12)


def test_eta_zero_keeps_W0():
    net = sample_one_step(_setting(eta=0.0), 40, 3)
    np.testing.assert_array_equal(net.W1, net.W0)
    spike = net.spike()
    assert spike.norm == 0.0 and math.isnan(spike.alignment)
    sim = simulate_one_step(_setting(eta=0.0), 30, 2, n_test=500)
    assert all(r.spike_norm == 0.0 for r in sim.per_seed)
    json.dumps(sim.to_dict(), allow_nan=False)  # NaN alignment is written as null


def test_reproducible_and_seed_dependent():
    s = _setting()
    a = simulate_one_step(s, 40, [3, 4], n_test=1000)
    b = simulate_one_step(s, 40, [3, 4], n_test=1000)
    assert a.to_dict() == b.to_dict()
    r3, r4 = a.per_seed
    assert r3.test_error != r4.test_error and r3.train_error != r4.train_error and r3.spike_norm != r4.spike_norm
    # the seed fixes the network independently of the other streams
    n1 = sample_one_step(s, 40, spawn_generators(3, ("network",))["network"])
    assert n1.spike().norm == pytest.approx(r3.spike_norm, rel=1e-12)
    # seeds=K means 0..K-1
    c = simulate_one_step(s, 40, 2, n_test=1000)
    assert c.seeds == (0, 1)
    assert c.per_seed[1].to_dict() == simulate_one_step(s, 40, [1], n_test=1000).per_seed[0].to_dict()


def test_summary_statistics_and_dict():
    s = _setting()
    sim = simulate_one_step(s, 30, 3, n_test=800)
    risks = np.array([r.test_error for r in sim.per_seed])
    assert sim.test_error_mean == pytest.approx(risks.mean(), rel=1e-14)
    assert sim.test_error_sem == pytest.approx(risks.std(ddof=1) / math.sqrt(3), rel=1e-12)
    tr = np.array([r.train_error for r in sim.per_seed])
    assert sim.train_error_sem == pytest.approx(tr.std(ddof=1) / math.sqrt(3), rel=1e-12)
    d = json.loads(json.dumps(sim.to_dict(), allow_nan=False))
    for key in ("test_error_mean", "test_error_sem", "train_error_mean", "train_error_sem", "d", "seeds", "per_seed"):
        assert key in d
    assert d["setting"] == s.to_dict() and d["seeds"] == [0, 1, 2]
    assert set(d["per_seed"][0]) >= {"seed", "test_error", "train_error", "spike_norm", "alignment", "d", "N", "n"}
    single = simulate_one_step(s, 30, [5], n_test=800)
    assert single.test_error_sem == 0.0 and single.train_error_sem == 0.0


def test_train_error_is_the_readout_fit():
    """Record's train error = (1/n2)|ỹ − Φâ|² on the noisy batch-2 labels, rebuilt by hand."""
    s = _setting(noise=0.3)
    d, seed = 30, 7
    rec = simulate_one_step(s, d, [seed], n_test=500, psi1_readout=3.0).per_seed[0]
    rngs = spawn_generators(seed, ("network", "readout"))
    net = sample_one_step(s, d, rngs["network"])
    r = rngs["readout"]
    X2 = r.standard_normal((90, d))
    y2 = np.tanh(X2 @ net.beta) + 0.3 * r.standard_normal(90)
    Phi = np.tanh(X2 @ net.W1) / math.sqrt(net.N)
    n2, N = Phi.shape
    a_hat = np.linalg.solve(Phi.T @ Phi + n2 * s.lam / N * np.eye(N), Phi.T @ y2)
    assert rec.n_readout == 90
    assert rec.train_error == pytest.approx(np.mean((y2 - Phi @ a_hat) ** 2), rel=1e-9)


# ---------------------------------------------------------------- risk evaluation


def test_chunked_risk_equals_unchunked():
    s = _setting()
    net = sample_one_step(s, 25, 0)
    rng = np.random.default_rng(1)
    X2 = rng.standard_normal((50, 25))
    coef = fit_ridge(features_matrix(X2, net.W1, s.student), np.tanh(X2 @ net.beta), s.lam).coef
    args = (net.W1, coef, net.beta, s.student, s.teacher, 3001)
    whole = estimate_risk(*args, np.random.default_rng(5), chunk_size=3001)
    chunked = estimate_risk(*args, np.random.default_rng(5), chunk_size=128)
    assert chunked == pytest.approx(whole, rel=1e-12)
    # and explicitly against a direct evaluation
    Xt = np.random.default_rng(5).standard_normal((3001, 25))
    direct = np.mean((np.tanh(Xt @ net.W1) @ coef / math.sqrt(net.N) - np.tanh(Xt @ net.beta)) ** 2)
    assert whole == pytest.approx(direct, rel=1e-12)
    # whole simulation: chunk size changes nothing (gradient and test set are both chunked)
    a = simulate_one_step(s, 25, [2], n_test=1000, chunk_size=64).per_seed[0]
    b = simulate_one_step(s, 25, [2], n_test=1000, chunk_size=5000).per_seed[0]
    assert a.test_error == pytest.approx(b.test_error, rel=1e-10)
    assert a.train_error == pytest.approx(b.train_error, rel=1e-10)


def test_huge_ridge_gives_teacher_norm():
    """λ → ∞: â → 0, so the risk → E f*(z)² (Gauss–Hermite), up to test-set MC error."""
    teacher = get_activation("softplus")  # not centered: E f*² includes μ0*²
    s = _setting(teacher="softplus", lam=1e10, noise=0.5)
    n_test, K = 20000, 3
    sim = simulate_one_step(s, 40, K, n_test=n_test)
    m2 = gauss(lambda z: teacher.fn(z) ** 2)
    m4 = gauss(lambda z: teacher.fn(z) ** 4)
    se = math.sqrt((m4 - m2**2) / (n_test * K))
    assert abs(sim.test_error_mean - m2) < 4 * se
    # the noisy training error is then E y² = E f*² + σ_ε² (finite-sample, n2 = 80 per seed)
    assert sim.train_error_mean == pytest.approx(m2 + 0.25, rel=0.15)


def test_alignment_matches_gamma2():
    """Measured ⟨û, β*⟩² vs docs/theory/one-step.md §2 limit γ² = μ1*²/(μ1*² + E_y/ψ1), tanh / tanh.

    At d = 400, ψ1 = 4 the per-seed spread is ≈ 0.012 (|⟨ζ, β*⟩| ~ (E_y/(ψ1 d))^{1/2} ≈ 0.016 and
    the relative fluctuation of ‖ζ‖² ~ (2/d)^{1/2}), so the mean of 4 seeds has SE ≈ 0.006; the
    finite-d bias (the residual G0 − A of Prop. 2 and the O(1/(ψ1 d)) terms of ‖ζ‖²) is of order
    1/d ≈ 0.003.  Tolerance 0.03 ≈ 5 SE + bias — still far tighter than the alternatives a bug
    would give (γ² = 1 without the 1/ψ1 noise term, ≈ 0.65 at ψ1 = 2, ≈ 1/d for no spike).
    """
    s = OneStep(student="tanh", teacher="tanh", psi1=4, psi2=1, lam=1e-2, eta=1, noise=0.1)
    mu1_star = gauss(lambda z: z * np.tanh(z))
    E_y = gauss(lambda z: np.tanh(z) ** 2) + s.noise**2
    gamma2 = mu1_star**2 / (mu1_star**2 + E_y / s.psi1)
    al = [sample_one_step(s, 400, seed).spike().alignment for seed in range(4)]
    assert abs(np.mean(al) - gamma2) < 0.03, (np.mean(al), gamma2)
    # the spike norm is r = |η μ1| (μ1*² + E_y/ψ1)^{1/2} times ‖a‖ ≈ 1 (docs/theory/one-step.md §2), looser
    net = sample_one_step(s, 400, 0)
    r = abs(s.eta) * mu1_star * math.sqrt(mu1_star**2 + E_y / s.psi1)
    assert net.spike().norm == pytest.approx(r * np.linalg.norm(net.a), rel=0.1)


def test_spike_statistics_small_matrix():
    rng = np.random.default_rng(0)
    beta = rng.standard_normal(8)
    beta /= np.linalg.norm(beta)
    u = 0.6 * beta  # rank-one update exactly along β*
    W0 = rng.standard_normal((8, 5))
    v = rng.standard_normal(5)
    sp = spike_statistics(W0, W0 + np.outer(u, v), beta)
    assert sp.norm == pytest.approx(0.6 * np.linalg.norm(v), rel=1e-12)
    assert sp.alignment == pytest.approx(1.0, rel=1e-12)


def test_gaussian_equivalent_features_close_to_network():
    """Spec §4.1 (Thm 3) and §7: at η = Θ(1) the GE features give the network risk up to MC error."""
    pytest.importorskip("asymptotics.hermite")
    s = _setting(psi1=2.0, psi2=2.0, eta=1.0)
    net = simulate_one_step(s, 100, 3, n_test=4000)
    ge = simulate_one_step(s, 100, 3, n_test=4000, features="gaussian-equivalent")
    assert ge.features == "gaussian-equivalent"
    # same W1 (same network stream), different features
    assert [r.spike_norm for r in ge.per_seed] == [r.spike_norm for r in net.per_seed]
    assert ge.test_error_mean != net.test_error_mean
    tol = 3 * math.hypot(ge.test_error_sem, net.test_error_sem) + 0.01
    assert abs(ge.test_error_mean - net.test_error_mean) < tol


# ---------------------------------------------------------------- validation and failures


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(d=1),
        dict(d=2.5),
        dict(d=True),
        dict(seeds=[]),
        dict(seeds=[1, 1]),
        dict(seeds=-1),
        dict(seeds=[0, -2]),
        dict(n_test=0),
        dict(features="ntk"),
        dict(psi1_readout=-1.0),
        dict(chunk_size=0),
    ],
)
def test_invalid_arguments(kwargs):
    args = dict(d=20, seeds=1, n_test=100)
    args.update(kwargs)
    with pytest.raises(InvalidParameterError):
        simulate_one_step(_setting(), **args)


def test_overflow_raises_instead_of_nan():
    with pytest.raises(InvalidParameterError, match="eta must lie in"):   # outside the documented domain
        _setting(student="relu", eta=1e300)
    s = _setting(student="relu", eta=1e6)                                   # in the domain: finite or refused
    try:
        sim = simulate_one_step(s, 20, 1, n_test=100)
    except NonFiniteError:
        return
    assert math.isfinite(sim.test_error_mean) and math.isfinite(sim.train_error_mean)
