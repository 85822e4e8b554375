"""float32 option of the one-step simulation (issue 9 §3): same draws, only rounding differs.

Rounding model (first order, unit roundoff u = 2^-24 ≈ 6.0e-8 in float32).  A float32 inner product of
length k carries a relative error of order u√k (independent roundings add up like a random walk), so
the features Φ = σ(X̃W1)/√N move by ε_Φ ≈ u√d relative and the Gram matrix ΦᵀΦ by ε_G ≈ u√n.  The ridge
solution â = (G + ρI)⁻¹Φᵀỹ moves by at most κ(ε_G + 2ε_Φ) relative, κ = cond(G + ρI), and the test
risk R = ‖f̂ − f*‖² by at most 2‖δf̂‖/√R ≤ 2 κ (ε_G + 2ε_Φ) ‖f̂‖/√R relative.  The test computes κ,
‖f̂‖ and R on the seed itself and checks the measured change against this worst case; the issue's
target, 1e-3, is checked separately.  The worst case is pessimistic (rounding errors do not line up
with the worst eigenvector): measured changes are ~5e-7 on the reference setting.

The default (float64) path must be unchanged bit for bit: the default equals an explicit
``dtype="float64"`` run exactly, every array is float64, and the risk equals the value recorded by
the code before the option existed (commit 7a7501c) to 1e-9 relative — a float32 leak anywhere in the
default path moves it by ~1e-7, while different BLAS kernels on another machine move it by < 1e-12.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from asymptotics.errors import InvalidParameterError
from asymptotics.settings import OneStep
from asymptotics.validation.data import sample_batch, spawn_generators
from asymptotics.validation.one_step.network import check_dtype, sample_one_step
from asymptotics.validation.one_step.simulation import (
    _STREAMS,
    features_matrix,
    network_for_seed,
    simulate_one_step,
    simulate_seed,
)
from asymptotics.validation.readout import fit_ridge

#: The reference one-step setting (README demo, first rows of docs/theory/one-step.md §4.3 with a step),
#: d = 256, and the library / CLI defaults (η = 0, σ_ε = 0: random features).
DEFAULT = OneStep("tanh", "tanh", psi1=2, psi2=2, lam=1e-2, eta=1, noise=0.1)
LIBRARY_DEFAULT = OneStep("tanh", "tanh", psi1=2, psi2=2, lam=1e-2)
D = 256
U32 = 2.0 ** -24


def _worst_case_rel_change(setting: OneStep, d: int, seed: int, risk: float) -> float:
    """2 κ (ε_G + 2ε_Φ) ‖f̂‖/√R of the module docstring, from the seed's own float64 quantities."""
    net = network_for_seed(setting, d, seed)
    rngs = spawn_generators(seed, _STREAMS)
    batch = sample_batch(net.n, net.beta, setting.teacher, setting.noise, rngs["readout"])
    Phi = features_matrix(batch.X, net.W1, setting.student)
    n, N = Phi.shape
    rho = n * setting.lam / N
    ev = np.linalg.eigvalsh(Phi.T @ Phi)
    kappa = (ev.max() + rho) / (max(ev.min(), 0.0) + rho)
    fit = fit_ridge(Phi, batch.y, setting.lam)
    fhat_norm = float(np.linalg.norm(Phi @ fit.coef) / math.sqrt(n))  # ‖f̂‖ on the readout batch
    eps = U32 * (math.sqrt(n) + 2 * math.sqrt(d))
    return 2 * kappa * eps * fhat_norm / math.sqrt(risk)


@pytest.mark.parametrize("setting, seed", [(DEFAULT, 0), (DEFAULT, 1), (LIBRARY_DEFAULT, 0)])
def test_float32_changes_risk_by_less_than_1e3_relative(setting, seed):
    r64 = simulate_seed(setting, D, seed)
    r32 = simulate_seed(setting, D, seed, dtype="float32")
    rel = abs(r32.test_error - r64.test_error) / r64.test_error
    assert rel < 1e-3
    assert rel <= _worst_case_rel_change(setting, D, seed, r64.test_error)
    assert abs(r32.train_error - r64.train_error) / r64.train_error < 1e-3
    # the same draws: the spike statistics agree to float32 rounding, not to Monte Carlo noise
    assert r32.spike_norm == pytest.approx(r64.spike_norm, rel=1e-5)


def test_float32_really_runs_in_single_precision():
    net = sample_one_step(DEFAULT, 32, 0, dtype="float32")
    assert net.W0.dtype == net.W1.dtype == net.a.dtype == net.batch.X.dtype == np.float32
    net64 = sample_one_step(DEFAULT, 32, 0)
    assert net64.W1.dtype == np.float64
    # same draws, rounded: W0 agrees to float32 rounding
    np.testing.assert_allclose(net.W0, net64.W0, rtol=U32, atol=0)
    sim = simulate_one_step(DEFAULT, 32, 2, n_test=500, dtype="float32")
    assert sim.dtype == "float32" and sim.to_dict()["dtype"] == "float32"


def test_float32_gaussian_equivalent_and_exact_risk_run():
    ge = simulate_seed(DEFAULT, 32, 0, n_test=500, features="gaussian-equivalent", dtype="float32")
    ge64 = simulate_seed(DEFAULT, 32, 0, n_test=500, features="gaussian-equivalent")
    assert abs(ge.test_error - ge64.test_error) / ge64.test_error < 1e-3
    ex = simulate_seed(DEFAULT, 16, 0, test_risk="exact", dtype=np.float32)
    ex64 = simulate_seed(DEFAULT, 16, 0, test_risk="exact")
    assert abs(ex.test_error - ex64.test_error) / ex64.test_error < 1e-3


def test_default_is_float64_bit_identical():
    base = simulate_one_step(DEFAULT, 48, 2, n_test=1000)
    explicit = simulate_one_step(DEFAULT, 48, 2, n_test=1000, dtype="float64")
    assert base.per_seed == explicit.per_seed
    assert base.dtype == "float64"
    assert network_for_seed(DEFAULT, 48, 0).W1.dtype == np.float64


def test_default_matches_the_value_before_the_dtype_option():
    # simulate_seed(DEFAULT, 256, 0) at commit 7a7501c (before the option), 1 BLAS thread, this machine.
    assert simulate_seed(DEFAULT, D, 0).test_error == pytest.approx(0.12657878699862643, rel=1e-9, abs=0)


@pytest.mark.parametrize("bad", ["float16", "int64", "double precision", True, None, 3])
def test_bad_dtype_is_a_specific_error(bad):
    with pytest.raises(InvalidParameterError, match="dtype"):
        check_dtype(bad)
    with pytest.raises(InvalidParameterError, match="dtype"):
        simulate_one_step(DEFAULT, 16, 1, n_test=10, dtype=bad)


def test_fit_ridge_float32_gram_matches_float64():
    rng = np.random.default_rng(3)
    Phi, y = rng.standard_normal((80, 40)), rng.standard_normal(80)
    f64 = fit_ridge(Phi, y, 0.1)
    f32 = fit_ridge(Phi.astype(np.float32), y, 0.1)
    assert f32.coef.dtype == np.float64 and f32.method == f64.method
    np.testing.assert_allclose(f32.coef, f64.coef, rtol=1e-4, atol=1e-5)
    # λ = 0 and the SVD route go through float64
    assert fit_ridge(Phi.astype(np.float32), y, 0.0).method == "lstsq"
    np.testing.assert_allclose(fit_ridge(Phi.astype(np.float32), y, 0.1, method="svd").coef, f64.coef,
                               rtol=1e-4, atol=1e-5)


def test_giant_step_readout_float32_changes_errors_by_less_than_1e3_relative():
    from asymptotics.settings import GiantStep
    from asymptotics.validation.giant_step.simulation import simulate_giant_step_seed

    # the CLI default giant-step setting (asym simulate giant-step without options), α list as one run
    g = GiantStep("tanh", "tanh", alpha0=0.5, eta_tilde=1, alpha=1, width_ratio=1, lam=0.01, noise=0.0)
    r64 = simulate_giant_step_seed(g, 128, 0, alphas=[0.5, 1, 2], n_test=2000)
    r32 = simulate_giant_step_seed(g, 128, 0, alphas=[0.5, 1, 2], n_test=2000, dtype="float32")
    assert simulate_giant_step_seed(g, 128, 0, alphas=[0.5, 1, 2], n_test=2000, dtype="float64") == r64
    for a, b in zip(r64, r32):
        assert abs(b.test_error - a.test_error) / a.test_error < 1e-3
        assert abs(b.train_error - a.train_error) / a.train_error < 1e-3
    with pytest.raises(InvalidParameterError, match="dtype"):
        simulate_giant_step_seed(g, 16, 0, n_test=10, dtype="float16")


def test_giant_step_multi_seed_dtype_and_checkpoint_keep_precisions_apart(tmp_path):
    """simulate_giant_step passes dtype to every seed; a float32 record is never served for float64
    (the checkpoint key and configuration carry the dtype; float64 keys are unchanged)."""
    from asymptotics.settings import GiantStep
    from asymptotics.validation.giant_step.simulation import simulate_giant_step, simulate_giant_step_seed
    from asymptotics.validation.store import Checkpoint

    g = GiantStep("tanh", "tanh", alpha0=0.5, eta_tilde=1.0, alpha=1.0)
    (s32,) = simulate_giant_step(g, 48, [0, 1], n_test=400, dtype="float32")
    assert [r.test_error for r in s32.per_seed] == [
        simulate_giant_step_seed(g, 48, k, n_test=400, dtype="float32")[0].test_error for k in (0, 1)]
    ck = Checkpoint(tmp_path / "ck.json", {"kind": "t"})
    a32 = simulate_giant_step(g, 48, [0], n_test=400, dtype="float32", checkpoint=ck)[0].per_seed[0].test_error
    a64 = simulate_giant_step(g, 48, [0], n_test=400, checkpoint=ck)[0].per_seed[0].test_error
    assert a64 == simulate_giant_step_seed(g, 48, 0, n_test=400)[0].test_error
    assert a32 != a64 and abs(a32 - a64) < 1e-3 * a64
