"""One-step GE theory (docs/theory/one-step.md §4): reference values, limits, and the finite-d bridge."""

import math

import numpy as np
import pytest

from asymptotics.errors import DegenerateActivationError, InvalidParameterError
from asymptotics.hermite import hermite_constants
from asymptotics.one_step.theory import (
    kernel_lower_bound,
    large_step_limit,
    one_step_curve,
    one_step_risk,
    one_step_risk_on_weights,
    spike,
)
from asymptotics.settings import OneStep

# docs/theory/one-step.md §4.3, "theory 4.2" column (4 decimals).
SPEC_43 = [
    ("tanh", "tanh", 2, 2, 1e-2, 0.1, 0, 0.1285),
    ("tanh", "tanh", 2, 2, 1e-2, 0.1, 1, 0.1251),
    ("tanh", "tanh", 2, 2, 1e-2, 0.1, 2, 0.1178),
    ("tanh", "tanh", 2, 2, 1e-2, 0.1, 4, 0.1056),
    ("tanh", "tanh", 4, 1, 1e-1, 0.25, 0, 0.1755),
    ("tanh", "tanh", 4, 1, 1e-1, 0.25, 4, 0.1041),
    ("tanh", "centered:softplus", 8, 2, 1e-4, 0.25, 0, 0.0711),
    ("tanh", "centered:softplus", 8, 2, 1e-4, 0.25, 4, 0.0628),
    ("tanh", "softplus", 8, 2, 1e-4, 0.25, 2, 0.9330),
    ("tanh", "relu", 5, 0.5, 1e-2, 0.1, 2, 0.3961),
]


@pytest.mark.parametrize("student,teacher,psi1,psi2,lam,noise,eta,ref", SPEC_43)
def test_spec_reference_table(student, teacher, psi1, psi2, lam, noise, eta, ref):
    r = one_step_risk(OneStep(student, teacher, psi1, psi2, lam, eta, noise))
    assert r.test_error == pytest.approx(ref, abs=6e-5)


def test_spec_figure_tables_sample():
    # Reference values (3 decimals) of formula 4.2 in the Fig. 3(a) setting only: tanh student,
    # centered SoftPlus teacher, psi2 = 2, lam = 1e-4, noise = 0.25 (rows psi1 = 16 and psi1 = 2).
    # The Fig. 3(b) table (centered ReLU teacher) is not checked here: it lies 0.0015-0.002 above
    # our values in every entry, the same offset as the centered-ReLU column discussed in
    # results/one_step/centered_relu.md; the centered/raw identity in
    # test_centered_and_raw_teacher_are_consistent guards that setting instead.
    a = OneStep("tanh", "centered:softplus", psi1=1, psi2=2, lam=1e-4, noise=0.25)
    risks = [r.test_error for r in one_step_curve(a.replace(psi1=16), "eta", [0, 1, 2, 4])]
    np.testing.assert_allclose(risks, [0.052, 0.051, 0.050, 0.045], atol=6e-4)
    assert one_step_risk(a.replace(psi1=2, eta=4)).test_error == pytest.approx(1.103, abs=6e-4)



def test_lambda_to_infinity_gives_teacher_power():
    for teacher in ("tanh", "relu", "centered:softplus"):
        s = OneStep("tanh", teacher, psi1=3, psi2=1.5, lam=1e9, eta=2, noise=0.3)
        assert one_step_risk(s).test_error == pytest.approx(hermite_constants(teacher).norm2, rel=1e-6)


def test_eta_zero_is_rf_risk_and_improvement_nonnegative():
    base = OneStep("tanh", "tanh", psi1=1, psi2=1, lam=1e-2, noise=0.1)
    r0 = one_step_risk(base)
    assert r0.test_error == r0.test_error_rf and r0.improvement == 0.0
    for psi1 in (0.5, 2, 8):
        for psi2 in (0.5, 2):
            for eta in (0.5, 3):
                r = one_step_risk(base.replace(psi1=psi1, psi2=psi2, eta=eta))
                assert r.improvement > 0
                assert r.test_error >= r.lower_bound  # Fact 4


def test_improvement_vanishes_with_width_and_grows_with_eta():
    # docs/theory/one-step.md §4.2 behaviour checks
    s = OneStep("tanh", "tanh", psi1=4, psi2=1, lam=1e-2, eta=4, noise=0.1)
    deltas = [one_step_risk(s.replace(psi2=p)).improvement for p in (1, 10, 100)]
    assert deltas[0] == pytest.approx(0.060, abs=1e-3)
    assert deltas[1] == pytest.approx(9.4e-4, rel=0.05)
    assert deltas[2] == pytest.approx(2e-5, rel=0.1)
    s = OneStep("tanh", "tanh", psi1=1000, psi2=2, lam=1e-2, noise=0.1)
    deltas = [r.improvement for r in one_step_curve(s, "eta", [1, 2, 4, 8])]
    np.testing.assert_allclose(deltas, [0.0015, 0.0049, 0.0123, 0.0195], atol=1e-4)
    assert one_step_risk(s.replace(eta=8)).test_error == pytest.approx(0.0323, abs=1e-4)


def test_no_improvement_without_linear_teacher_component():
    s = OneStep("tanh", "he2", psi1=2, psi2=2, lam=1e-2, eta=3, noise=0.1)
    r = one_step_risk(s)
    assert spike(s).gamma2 == pytest.approx(0.0, abs=1e-20)
    assert r.improvement == pytest.approx(0.0, abs=1e-14)


def test_curve_equals_pointwise():
    s = OneStep("tanh", "centered:relu", psi1=5, psi2=1, lam=1e-2, eta=2, noise=0.1)
    for param, vals in (("psi2", [0.25, 1, 4]), ("lam", [1e-3, 1e-1, 1]), ("psi1", [0.5, 3, 20])):
        curve = one_step_curve(s, param, vals)
        for v, r in zip(vals, curve):
            assert r.test_error == pytest.approx(one_step_risk(s.replace(**{param: v})).test_error, rel=1e-10)


def test_ridgeless_limit_is_continuous():
    s = OneStep("tanh", "tanh", psi1=3, psi2=1, lam=0.0, eta=1, noise=0.1)
    assert one_step_risk(s).test_error == pytest.approx(one_step_risk(s.replace(lam=1e-9)).test_error, rel=1e-6)
    s = s.replace(psi1=0.5)
    assert one_step_risk(s).test_error == pytest.approx(one_step_risk(s.replace(lam=1e-9)).test_error, rel=1e-5)
    with pytest.raises(InvalidParameterError, match="interpolation"):
        one_step_risk(s.replace(psi1=1, psi2=1))


def test_spike_formulas():
    s = OneStep("tanh", "tanh", psi1=2, psi2=4, lam=1e-2, eta=3, noise=0.2)
    sc, tc = hermite_constants("tanh"), hermite_constants("tanh")
    e_y = tc.norm2 + 0.04
    sp = spike(s)
    assert sp.r2 == pytest.approx(9 * sc.mu1**2 * (tc.mu1**2 + e_y / 2))
    assert sp.gamma2 == pytest.approx(tc.mu1**2 / (tc.mu1**2 + e_y / 2))
    assert sp.theta == pytest.approx(sp.r2 / 4)


def _spiked_weights(rng, d, s: OneStep):
    """W1 = W0 + u aᵀ with ‖u‖² = r², ⟨û, β⟩² = γ² (the rank-one model of docs/theory/one-step.md §2)."""
    sp = spike(s)
    N = round(s.psi2 * d)
    W0 = rng.standard_normal((d, N)) / math.sqrt(d)
    a = rng.standard_normal(N) / math.sqrt(N)
    beta = np.zeros(d)
    beta[0] = 1.0
    v = np.zeros(d)
    v[1] = 1.0
    uhat = math.sqrt(sp.gamma2) * beta + math.sqrt(1 - sp.gamma2) * v
    return W0 + sp.norm * np.outer(uhat, a), beta


@pytest.mark.parametrize("student,teacher", [("tanh", "tanh"), ("relu", "relu"), ("tanh", "centered:relu")])
def test_finite_d_equivalent_converges_to_asymptotic(student, teacher):
    s = OneStep(student, teacher, psi1=2, psi2=1.5, lam=1e-2, eta=2, noise=0.1)
    asym = one_step_risk(s)
    rng = np.random.default_rng(11)
    vals = [one_step_risk_on_weights(s, *_spiked_weights(rng, 800, s)) for _ in range(6)]
    for got, want in (([v.test_error for v in vals], asym.test_error), ([v.train_error for v in vals], asym.train_error)):
        mean, sem = np.mean(got), np.std(got, ddof=1) / np.sqrt(len(got))
        # The quadratic form along β fluctuates by O(1/sqrt(d)) per draw (measured: relative SEM
        # ~0.7% at d = 800 with 8 draws); the mean has an O(1/d) bias (0.3-0.5% at d = 1600).
        assert abs(mean - want) < 3 * sem + 0.005 * want, (mean, sem, want)


def test_degenerate_and_invalid_inputs():
    with pytest.raises(DegenerateActivationError, match="mu1"):
        one_step_risk(OneStep("cos", "tanh", psi1=1, psi2=1, lam=0.1, eta=1))
    for bad in (dict(psi1=0), dict(psi2=-1), dict(lam=-0.1), dict(noise=-1), dict(psi1=float("nan"))):
        kw = dict(student="tanh", teacher="tanh", psi1=1, psi2=1, lam=0.1)
        kw.update(bad)
        with pytest.raises(InvalidParameterError):
            OneStep(**kw)
    with pytest.raises(InvalidParameterError):
        one_step_curve(OneStep("tanh", "tanh", 1, 1, 0.1), "width", [1, 2])


def test_lower_bound_and_large_step_limit():
    assert kernel_lower_bound("tanh") == pytest.approx(0.02742, abs=1e-5)
    assert kernel_lower_bound("relu") == pytest.approx(0.25 - 1 / (2 * math.pi), rel=1e-10)
    erf = large_step_limit("erf", "erf")
    assert erf.kappa_star == pytest.approx(math.sqrt(3), abs=1e-5) and erf.tau_star < 1e-12
    tanh = large_step_limit("tanh", "tanh")
    assert tanh.attained
    assert tanh.kappa_star == pytest.approx(1.588, abs=2e-3)
    assert tanh.tau_star == pytest.approx(9.45e-5, rel=0.01)
    assert 10 * tanh.tau_star < tanh.lower_bound  # Corollary 8


def test_centered_and_raw_teacher_are_consistent():
    """A centered student cannot fit μ0*: at η = 0 it adds exactly μ0*²/(1 − D2) to the risk.

    Our centered-ReLU values (0.2551 at η = 0, 0.1801 at η = 4) are 0.0015 below docs/theory/one-step.md §4.3
    theory column (0.2566, 0.1815), while the raw-ReLU value matches the reference table (0.3961).  This
    identity ties the two together; Monte Carlo at d = 1024 (results/one_step/centered_relu.md,
    40 seeds) gives 0.2543 ± 0.0014 at η = 0, closer to ours.
    """
    c = OneStep("tanh", "centered:relu", psi1=5, psi2=0.5, lam=1e-2, eta=0, noise=0.1)
    raw, cen = one_step_risk(c.replace(teacher="relu")), one_step_risk(c)
    mu0 = hermite_constants("relu").mu0
    assert raw.test_error - cen.test_error == pytest.approx(mu0**2 / (1 - cen.df2), rel=1e-10)
    assert cen.test_error == pytest.approx(0.2551, abs=6e-5)
