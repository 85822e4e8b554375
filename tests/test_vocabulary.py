"""One vocabulary for the three families (issue 8 §1, docs/vocabulary.md).

The same assertions run over one step (Ba et al.), giant step / sRF (Cui et al.; homogeneous and
heterogeneous spikes) and kernel ridge regression (Nichani et al.): shared core fields of the theory
results, ``to_dict()`` with the setting, ``from_dict(to_dict())`` round trips (also through JSON),
``curve(setting, parameter, values)`` over at least two numeric parameters, settings with ``replace`` /
``to_dict`` / ``from_dict`` and the same defaults, and simulation summaries with the same mean / SEM
fields.  Tiny sizes: the whole file runs in a few seconds.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math

import numpy as np
import pytest

import asymptotics.kernels as kernels
import asymptotics.one_step as one_step
import asymptotics.spiked_rf as spiked_rf
from asymptotics.errors import InvalidParameterError
from asymptotics.results import CORE_FIELDS
from asymptotics.settings import DEFAULT_LAM, GiantStep, KernelRidge, OneStep
from asymptotics.spiked_rf.heterogeneous import SpikeLaw, hetero_srf_curve, hetero_srf_risk

ONE = OneStep("tanh", "tanh", psi1=2, psi2=2, lam=0.01, eta=1, noise=0.1)
GIANT = GiantStep("tanh", "tanh", alpha0=0.5, eta_tilde=1, alpha=1.0, lam=0.01, noise=0.1)
KRR = KernelRidge("ntk", "relu", d=20, n=100, lam=0.01, noise=0.1, target="1:1,2:0.5")
LAW, GAMMA = SpikeLaw.two_point(0.3, 1.0), 0.56

# family -> (setting, theory call, curve, [(parameter, values), ...])
FAMILIES = {
    "one_step": (ONE, one_step.one_step_risk, one_step.curve,
                 [("eta", (0.5, 2.0)), ("psi1", (1.0, 3.0)), ("lam", (0.01, 0.1))]),
    "spiked_rf": (GIANT, spiked_rf.srf_risk, spiked_rf.curve,
                  [("alpha", (0.5, 2.0)), ("lam", (0.01, 0.1)), ("eta_tilde", (0.5, 1.5))]),
    "hetero_srf": (GIANT, functools.partial(hetero_srf_risk, law=LAW, gamma=GAMMA),
                   lambda s, p, v, **o: hetero_srf_curve(s, LAW, GAMMA, p, v, **o),
                   [("alpha", (0.5, 2.0)), ("lam", (0.01, 0.1))]),
    "kernels": (KRR, kernels.krr_risk, kernels.curve, [("n", (50, 400)), ("lam", (0.0, 1.0)), ("d", (10, 20))]),
}


@pytest.fixture(scope="module", params=sorted(FAMILIES))
def family(request):
    setting, risk, curve, params = FAMILIES[request.param]
    return request.param, setting, risk(setting), risk, curve, params


def test_core_fields_and_setting_in_to_dict(family):
    name, setting, r, *_ = family
    for f in CORE_FIELDS:
        assert hasattr(r, f), f"{name}: {type(r).__name__} has no {f}"
    d = r.to_dict()
    assert set(CORE_FIELDS) <= set(d), f"{name}: to_dict lacks {set(CORE_FIELDS) - set(d)}"
    assert d["setting"] == setting.to_dict() and r.setting == setting
    assert isinstance(r.converged, bool) and r.converged
    assert isinstance(r.nit, int) and isinstance(r.residual, float) and r.residual >= 0
    assert math.isfinite(r.test_error) and math.isfinite(r.train_error)


def test_from_dict_round_trip(family):
    name, _, r, *_ = family
    cls = type(r)
    assert cls.from_dict(r.to_dict()) == r
    through_json = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    back = cls.from_dict(through_json)
    assert back == r and back.to_dict() == r.to_dict()
    with pytest.raises(InvalidParameterError):
        cls.from_dict({"test_error": 0.1})    # missing fields are named, not a TypeError


def test_curve_over_numeric_parameters(family):
    name, setting, _, risk, curve, params = family
    assert len(params) >= 2
    for parameter, values in params:
        out = curve(setting, parameter, list(values))
        assert isinstance(out, tuple) and len(out) == len(values)
        for v, r in zip(values, out):
            assert getattr(r.setting, parameter) == pytest.approx(v)
            # 1e-5: a KRR curve shares the degree cutoff of its largest n (the lumped tail moves the
            # error by 5e-7 relative at n = 50 vs 400 here); the other families agree to 1e-9
            assert r.test_error == pytest.approx(risk(setting.replace(**{parameter: v})).test_error, rel=1e-5)
    with pytest.raises(InvalidParameterError):
        curve(setting, "no_such_parameter", [1.0])


def test_each_family_package_exports_curve():
    assert one_step.curve is one_step.one_step_curve and "curve" in one_step.__all__
    assert spiked_rf.curve is spiked_rf.srf_curve and "curve" in spiked_rf.__all__
    assert kernels.curve is kernels.krr_curve and "curve" in kernels.__all__
    import asymptotics
    assert asymptotics.KernelRidge is KernelRidge and asymptotics.kernels.KernelRidge is KernelRidge
    assert not hasattr(asymptotics, "krr_risk_curve") and not hasattr(kernels, "krr_risk_curve")


@pytest.mark.parametrize("setting", [ONE, GIANT, KRR], ids=["one_step", "giant_step", "kernels"])
def test_settings_share_replace_to_dict_from_dict(setting):
    cls = type(setting)
    assert cls.from_dict(setting.to_dict()) == setting
    assert cls.from_dict(json.loads(json.dumps(setting.to_dict()))) == setting
    assert setting.replace(lam=0.5).lam == 0.5 and setting.replace(noise=0.0).noise == 0.0
    with pytest.raises(InvalidParameterError):
        setting.replace(lam=-1.0)          # validated again
    with pytest.raises(InvalidParameterError, match="no field"):
        cls.from_dict({**setting.to_dict(), "risk": 1.0})
    fields = {f.name: f for f in dataclasses.fields(cls)}
    assert fields["lam"].default == DEFAULT_LAM == 0.01 and fields["noise"].default == 0.0


def test_krr_transition_result_and_its_train_error():
    """KRRTransition has the core fields (setting None: the d → ∞ limit has no KernelRidge) and a
    closed-form train error (1 − df1)²(R + σ²) that the finite-d equivalent at d = 4000 reproduces.

    Window: the finite-d equivalent differs from the transition limit by the degrees below ℓ and the
    O(1/d) curvature of B(d, ℓ); measured at d = 4000 the train errors agree to ≤ 9e-4 relative
    (λ ∈ {0.5, 2}, ψ ∈ {0.5, 2}); 5e-3 keeps 5× margin and catches a 2 % error in the formula."""
    from asymptotics.gegenbauer import log_harmonic_dimension
    from asymptotics.kernels.theory import krr_equivalent, krr_transition

    xi, h1, target, d = [0.0, 1.0, 1.0], 3.0, "1:1,2:1", 4000
    t = krr_transition(xi, h1, target, ell=2, psi=2.0, lam=0.5, noise=0.3)
    assert set(CORE_FIELDS) <= set(t.to_dict()) and t.setting is None and (t.nit, t.residual) == (0, 0.0)
    assert type(t).from_dict(json.loads(json.dumps(t.to_dict()))) == t
    for lam in (0.5, 2.0):
        for psi in (0.5, 2.0):
            t = krr_transition(xi, h1, target, ell=2, psi=psi, lam=lam, noise=0.3)
            fin = krr_equivalent(xi, d, psi * math.exp(log_harmonic_dimension(d, 2)), lam, target, 0.3, lump=1.0)
            assert t.train_error == pytest.approx(fin.train_error, rel=5e-3)
    # ridgeless: interpolation (train 0) with a self-induced ridge; a finite-rank kernel below n keeps 1 − 1/ψ
    assert krr_transition(xi, h1, target, ell=2, psi=2.0).train_error == 0.0
    lin = krr_transition([0.0, 0.0, 1.0], 1.0, "2:1", ell=2, psi=4.0, noise=0.5)
    assert lin.train_error == pytest.approx((1 - 1 / 4) ** 2 * (lin.test_error + 0.25))


# ------------------------------------------------------------------------------------------------
# simulations


SUMMARY_FIELDS = ("setting", "d", "seeds", "per_seed", "test_error_mean", "test_error_sem",
                  "train_error_mean", "train_error_sem")


def _simulations():
    from asymptotics.validation.giant_step.simulation import simulate_giant_step
    from asymptotics.validation.kernels.simulation import simulate_krr
    from asymptotics.validation.one_step.simulation import simulate_one_step

    return {
        "one_step": lambda: simulate_one_step(ONE, 16, 2, n_test=200),
        "giant_step": lambda: simulate_giant_step(GIANT, 16, 2, n_test=200)[0],
        "kernels": lambda: simulate_krr(KRR.replace(d=6, n=30), 2, n_test=200),
    }


@pytest.mark.parametrize("kind", ["one_step", "giant_step", "kernels"])
def test_simulation_summaries_share_mean_sem_fields(kind):
    sim = _simulations()[kind]()
    for f in SUMMARY_FIELDS:
        assert hasattr(sim, f), f"{type(sim).__name__} has no {f}"
    d = sim.to_dict()
    assert set(SUMMARY_FIELDS) <= set(d) and d["setting"] == sim.setting.to_dict()
    assert len(sim.per_seed) == len(sim.seeds) == 2
    for q in ("test_error", "train_error"):
        vals = np.array([getattr(r, q) for r in sim.per_seed])
        assert getattr(sim, f"{q}_mean") == pytest.approx(vals.mean(), rel=1e-12)
        assert getattr(sim, f"{q}_sem") == pytest.approx(vals.std(ddof=1) / math.sqrt(2), rel=1e-12)
    for r in sim.per_seed:
        assert {"seed", "test_error", "train_error"} <= set(r.to_dict())


def test_comparison_rows_and_columns_use_the_vocabulary():
    from asymptotics.validation.comparison import COLUMNS, Comparison, ComparisonRow

    row = ComparisonRow(setting=ONE, d=16, seeds=(0, 1), test_error_theory=0.2, train_error_theory=0.1,
                        test_error_finite_d=0.21, train_error_finite_d=0.1, test_error_mean=0.22,
                        test_error_sem=0.01, train_error_mean=0.1, train_error_sem=0.01)
    want = {"test_error_theory", "train_error_theory", "test_error_finite_d", "train_error_finite_d",
            "test_error_mean", "test_error_sem", "train_error_mean", "train_error_sem", "rel_gap", "z_score",
            "d", "seeds", "setting"}
    assert want <= set(row.to_dict())
    assert row.rel_gap == pytest.approx(0.1) and row.z_score == pytest.approx(2.0)
    header = Comparison(rows=(row,), config={}).to_csv().splitlines()[0].split(",")
    assert tuple(header) == COLUMNS and set(COLUMNS) - {"label"} <= want
