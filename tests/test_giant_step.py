"""Monte Carlo of the giant-step protocol and of the sRF (validation/giant_step/simulation.py), comparison and figures.

docs/conventions.md (giant-step column), docs/theory/spiked-rf.md §1.2–1.5 (protocol), §1.4 (sRF, (r, c, γ)),
§3.6 (train-error convention), §7 (checks).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from asymptotics.activations import get_activation
from asymptotics.settings import GiantStep
from asymptotics.spiked_rf.theory import SRFParameters, srf_curve, srf_parameters, srf_risk
from asymptotics.validation.giant_step.comparison import GIANT_STEP_CHECKS, compare_giant_step
from asymptotics.validation.data import spawn_generators
from asymptotics.validation.giant_step.figures import giant_step_figure_data, write_giant_step_figure
from asymptotics.validation.giant_step.network import giant_step_sizes, giant_step_update, sample_giant_step, sample_unit_rows
from asymptotics.validation.giant_step.measurement import measure_srf
from asymptotics.validation.giant_step.simulation import model_for_seed, readout_curve, simulate_giant_step, simulate_giant_step_seed
from asymptotics.validation.giant_step.srf_sampler import sample_srf
from asymptotics.validation.one_step.simulation import estimate_risk

B = GiantStep("tanh", "tanh", alpha0=0.5, eta_tilde=1.0, alpha=1.0, lam=0.01)


# ------------------------------------------------------------------ protocol (docs/theory/spiked-rf.md §1.2–1.3)


def test_sizes_rows_and_second_layer():
    s = B.replace(width_ratio=1.5, alpha0=2.0)
    assert giant_step_sizes(s, 40) == (60, 80)
    net = sample_giant_step(s, 40, np.random.default_rng(0))
    assert net.W0.shape == net.W1.shape == (60, 40) and net.n0 == 80
    assert np.allclose(np.linalg.norm(net.W0, axis=1), 1.0, atol=1e-12)  # rows on the unit sphere
    assert np.allclose(net.a, 1 / math.sqrt(60)) and math.isclose(float(net.beta @ net.beta), 1.0)
    rf = sample_giant_step(s.replace(eta_tilde=0.0), 40, np.random.default_rng(0))
    assert rf.batch is None and np.array_equal(rf.W1, rf.W0)


def _loss(W, a, X, y, act):
    f = act.fn(X @ W.T) @ a / math.sqrt(W.shape[0])
    return 0.5 * float(np.mean((f - y) ** 2))


def test_step_is_eta_tilde_p_times_exact_gradient():
    """W1 = W0 − η̃p∇L, and per neuron w_i += η̃ (1/n0) Σ (y − f0) σ'(⟨w_i, x⟩) x (a = 1/√p)."""
    act = get_activation("tanh")
    rng = np.random.default_rng(3)
    p, d, n0, eta = 5, 4, 7, 0.7
    W0 = sample_unit_rows(p, d, rng)
    a = np.full(p, 1 / math.sqrt(p))
    X, y = rng.standard_normal((n0, d)), rng.standard_normal(n0)
    W1 = giant_step_update(W0, a, X, y, act, eta)
    # gradient by central finite differences of L(W) = (1/2n0) Σ (aᵀσ(Wx)/√p − y)²
    h, fd = 1e-6, np.zeros_like(W0)
    for i in range(p):
        for j in range(d):
            E = np.zeros_like(W0)
            E[i, j] = h
            fd[i, j] = (_loss(W0 + E, a, X, y, act) - _loss(W0 - E, a, X, y, act)) / (2 * h)
    assert np.allclose(W1, W0 - eta * p * fd, atol=1e-7)
    f0 = act.fn(X @ W0.T) @ a / math.sqrt(p)
    manual = W0 + eta * ((y - f0)[:, None] * act.dfn(X @ W0.T)).T @ X / n0
    assert np.allclose(W1, manual, atol=1e-12)


def test_srf_sample_matches_definition():
    srf = SRFParameters(0.8, 1.2, 0.6)
    inst = sample_srf(srf, 30, 50, np.random.default_rng(1))
    theta = inst.beta * math.sqrt(50)
    assert math.isclose(float(theta @ theta), 50, rel_tol=1e-12)          # ‖θ‖² = d
    assert math.isclose(float(inst.v @ inst.v), 50, rel_tol=1e-12)        # ‖v‖² = d
    assert math.isclose(float(inst.v @ theta) / 50, 0.6, rel_tol=1e-12)   # γ = ⟨v, θ⟩/d
    expected = math.sqrt(1.2) * inst.W0 + 0.8 / math.sqrt(50) * np.outer(np.ones(30), inst.v)
    assert np.allclose(inst.F, expected)


def test_measure_srf_recovers_a_planted_spike():
    rng = np.random.default_rng(5)
    p, d, r, gamma = 400, 300, 0.9, 0.7
    inst = sample_srf((r, 1.0, gamma), p, d, rng)  # c = 1: W1 − W0 is exactly the spike
    m = measure_srf(inst.W0, inst.F, inst.beta)
    assert m.r == pytest.approx(r, abs=0.01) and m.gamma == pytest.approx(gamma, abs=1e-9)
    assert m.c == pytest.approx(1.0, abs=0.01) and m.spike_norm == pytest.approx(r * math.sqrt(p), rel=1e-9)
    none = measure_srf(inst.W0, inst.W0, inst.beta)
    assert none.r == 0.0 and none.gamma == 0.0 and none.c == pytest.approx(1.0)


def test_measured_spike_matches_formulas_check_a():
    """Spec §1.4 table (d = p = 1000: 1.133 / 0.972 / 1.020); here d = 400."""
    s = GIANT_STEP_CHECKS["A"]
    net = sample_giant_step(s, 400, np.random.default_rng(0))
    m, f = measure_srf(net.W0, net.W1, net.beta), srf_parameters(s)
    assert m.r == pytest.approx(f.r, rel=0.03) and m.gamma == pytest.approx(f.gamma, abs=0.02)
    assert m.c == pytest.approx(f.c, rel=0.02)


# ------------------------------------------------------------------ readout (docs/theory/spiked-rf.md §1.5, §3.6)


def test_readout_is_unnormalized_ridge_and_train_error_is_mse():
    s = B.replace(lam=0.3, noise=0.2)
    inst = model_for_seed(s, 24, 0, "srf")
    rngs = spawn_generators(9, ("network", "readout", "readout-noise", "test"))
    (test, train), = readout_curve(inst.W, inst.beta, s, [1.5], rngs, n_test=300)
    rngs = spawn_generators(9, ("network", "readout", "readout-noise", "test"))
    n, p = 36, 24
    X = rngs["readout"].standard_normal((n, 24))
    y = np.tanh(X @ inst.beta) + 0.2 * rngs["readout-noise"].standard_normal(n)
    Phi = np.tanh(X @ inst.F.T) / math.sqrt(p)
    w = np.linalg.solve(Phi.T @ Phi + 0.3 * np.eye(p), Phi.T @ y)  # argmin Σ(y − wᵀφ/√p)² + λ‖w‖²
    assert train == pytest.approx(float(np.mean((y - Phi @ w) ** 2)), rel=1e-9)
    Xt = rngs["test"].standard_normal((300, 24))
    assert test == pytest.approx(float(np.mean((np.tanh(Xt @ inst.F.T) / math.sqrt(p) @ w - np.tanh(Xt @ inst.beta)) ** 2)),
                                 rel=1e-9)


def test_estimate_risk_matrix_of_readouts():
    rng = np.random.default_rng(0)
    W, beta, C = rng.standard_normal((6, 5)), rng.standard_normal(6), rng.standard_normal((5, 3))
    act = get_activation("tanh")
    many = estimate_risk(W, C, beta, act, act, 200, np.random.default_rng(1), chunk_size=37)
    one = [estimate_risk(W, C[:, k], beta, act, act, 200, np.random.default_rng(1)) for k in range(3)]
    assert np.allclose(many, one, rtol=1e-12)


# ------------------------------------------------------------------ seeds


def test_seeds_reproducible_and_alpha_records_independent_of_the_alpha_list():
    s = B.replace(noise=0.1)
    a = simulate_giant_step_seed(s, 32, 4, alphas=[0.5, 2.0])
    b = simulate_giant_step_seed(s, 32, 4, alphas=[0.5, 2.0])
    c = simulate_giant_step_seed(s, 32, 4, alphas=[0.5])
    assert a == b  # bit-identical for the same call
    # same α, other α-list: same draws (BLAS rounding of a wider product may differ in the last bits)
    assert a[0].test_error == pytest.approx(c[0].test_error, rel=1e-12)
    assert a[0].train_error == pytest.approx(c[0].train_error, rel=1e-12)
    assert simulate_giant_step_seed(s, 32, 5, alphas=[0.5])[0].test_error != c[0].test_error


def test_simulate_checkpoint_resume(tmp_path):
    path = tmp_path / "ck.json"
    first = simulate_giant_step(B, 24, 2, alphas=(0.5, 1.0), model="srf", n_test=200, checkpoint=str(path))
    again = simulate_giant_step(B, 24, 2, alphas=(0.5, 1.0), model="srf", n_test=200, checkpoint=str(path))
    assert [m.to_dict() for m in first] == [m.to_dict() for m in again]
    assert len(json.loads(path.read_text())["records"]) == 2


# ------------------------------------------------------------------ sRF theory vs sRF Monte Carlo


@pytest.mark.parametrize("setting", [B, B.replace(student="erf", width_ratio=2.0, noise=0.3)])
def test_srf_simulation_matches_theory_small_d(setting):
    """The equations solve the sRF: d = 160, 12 pinned seeds, α ∈ {1.5, 3}.

    Tolerance: 4 SEM + 4% of the theory.  Measured with these seeds (0–11): SEM 2.6–4.1% of the
    value, gaps −4.0% … +1.8% (|z| ≤ 1.6); 4 SEM is the statistical part (a false alarm ≈ 6e-5 per
    check), the 4% the finite-size bias at this small d (results/giant_step has d = 1024, where the
    gaps are at the 1% level; slow test below).
    """
    alphas = (1.5, 3.0)
    sims = simulate_giant_step(setting, 160, seeds=12, alphas=alphas, model="srf", n_test=4000)
    theory = srf_curve(setting, "alpha", alphas)
    for sim, th in zip(sims, theory):
        assert sim.test_error_sem < 0.06 * th.test_error
        assert abs(sim.test_error_mean - th.test_error) <= 4 * sim.test_error_sem + 0.04 * th.test_error
        assert abs(sim.train_error_mean - th.train_error) <= 4 * sim.train_error_sem + 0.08 * th.train_error


@pytest.mark.slow
@pytest.mark.parametrize("student,width", [("tanh", 1.0), ("erf", 0.5), ("tanh", 2.0)])
def test_srf_simulation_matches_theory_d1024(student, width):
    s = B.replace(student=student, width_ratio=width)
    sims = simulate_giant_step(s, 1024, seeds=10, alphas=(0.5, 1.5, 3.0), model="srf")
    for sim, th in zip(sims, srf_curve(s, "alpha", (0.5, 1.5, 3.0))):
        assert abs(sim.test_error_mean - th.test_error) <= 3 * sim.test_error_sem + 0.02 * th.test_error


@pytest.mark.slow
def test_network_matches_srf_theory_check_b_d1024():
    """Regression guard, not a claim of agreement: the real network is not the sRF.

    Recorded (results/giant_step/compare_giant_step_network.md, 8 seeds): the network sits +5.5% and
    +7.1% above the sRF theory at α = 1.5, 3 for d = 1024, not shrinking from d = 512; the ablation
    (ablation_network.md) localises it to the trained bulk.  The 5% allowance encodes that known
    approximation error so the test fails if the gap grows beyond it.
    """
    sims = simulate_giant_step(B, 1024, seeds=6, alphas=(1.5, 3.0))
    for sim, th in zip(sims, srf_curve(B, "alpha", (1.5, 3.0))):
        assert abs(sim.test_error_mean - th.test_error) <= 3 * sim.test_error_sem + 0.05 * th.test_error


# ------------------------------------------------------------------ comparison table and figure files


def test_compare_giant_step_table_and_resume(tmp_path):
    ck = tmp_path / "ck.json"
    kw = dict(alphas=(0.5, 2.0), ds=(24,), seeds=2, n_test=300, checkpoint=str(ck))
    t1 = compare_giant_step([GIANT_STEP_CHECKS["B"]], model="network", **kw)
    t2 = compare_giant_step([GIANT_STEP_CHECKS["B"]], model="network", **kw)
    assert t1.to_dict()["rows"] == t2.to_dict()["rows"] and len(t1.rows) == 2
    row = t1.rows[1]
    assert row.test_error_theory == pytest.approx(srf_risk(B.replace(alpha=2.0)).test_error)
    assert math.isfinite(row.test_error_finite_d)  # theory at the measured (r, c, γ)
    assert row.finite_d_seeds == 2 and row.finite_d_dropped == 0
    assert t1.to_dict()["rows"][1]["finite_d_seeds"] == 2

    md = t1.to_markdown()
    assert "theory at measured" in md and "≤3SE+1%" in md
    assert t1.to_csv().count("\n") == 3 and "agrees" in json.dumps(t1.to_dict())
    srf_table = compare_giant_step([GIANT_STEP_CHECKS["B"]], model="srf", alphas=(1.0,), ds=(24,), seeds=2, n_test=300)
    assert "finite-d theory on W0" in srf_table.to_markdown()


def test_comparison_row_counts_seeds_left_out_of_the_instance_average():
    """A seed whose per-instance theory did not converge is counted, not silently averaged away."""
    from asymptotics.validation.comparison import ComparisonRow

    row = ComparisonRow(setting=B, d=24, seeds=(0, 1, 2), test_error_theory=0.3, train_error_theory=0.1,
                        test_error_finite_d=0.31, train_error_finite_d=0.1, test_error_mean=0.3,
                        test_error_sem=0.01, train_error_mean=0.1, train_error_sem=0.01, finite_d_seeds=2)
    assert row.finite_d_dropped == 1 and row.to_dict()["finite_d_dropped"] == 1


def test_giant_step_figure_files(tmp_path):
    data = giant_step_figure_data("giant-tanh", d=24, seeds=2, n_test=200)
    assert set(data.theory) == {1.0, 0.0} and len(data.simulation[1.0]) == 7
    paths = write_giant_step_figure(data, tmp_path)
    for key in ("png", "pdf", "csv", "json"):
        assert (tmp_path / paths[key].split("/")[-1]).stat().st_size > 0
    cfg = json.loads((tmp_path / "fig_giant_tanh.json").read_text())
    assert cfg["d"] == 24 and cfg["panel"]["name"] == "giant-tanh"


def test_ablations_are_paired_and_well_formed():
    from asymptotics.validation.giant_step.ablation import ABLATIONS, ablate_network, ablated_first_layers

    s = GIANT_STEP_CHECKS["A"]
    net = sample_giant_step(s, 64, np.random.default_rng(2))
    Ws = ablated_first_layers(net)
    m = measure_srf(net.W0, net.W1, net.beta)
    u = np.linalg.svd(net.W1 - net.W0)[2][0]
    spike = (Ws["uniform spike"] - net.W0) @ u
    assert np.allclose(spike, spike.mean())                       # the update's spike is equal across neurons
    assert np.allclose(Ws["sRF on W0"] - math.sqrt(m.c) * net.W0, np.outer(np.ones(64), u) * np.sign(u @ net.beta) * m.r)
    res = ablate_network(s, 32, 2, (1.0,), n_test=200)
    assert set(res) == set(ABLATIONS) and res["network"][1.0][2] == 0.0
