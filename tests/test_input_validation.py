"""Bad input to the public Python API -> a specific library exception (issue 7, API side).

Deterministic companions of the property-based tests in ``test_fuzz_api.py``: each case found there
(or listed in the issue) is pinned here with the exception class and the message it must carry.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import asymptotics as A
from asymptotics import limits
from asymptotics.errors import ConvergenceError, InvalidParameterError, ResourceError, RootFindingError
from asymptotics.ridge import ridge_errors, solve_effective_ridge
from asymptotics.settings import RATIO_RANGE, RIDGE_RANGE
from asymptotics.validation.kernels import beyond_kernel as bk
from asymptotics.validation.kernels import simulation as kernel_sim
from asymptotics.validation.giant_step.simulation import simulate_giant_step
from asymptotics.validation.one_step.simulation import simulate_one_step

ONE = dict(student="tanh", teacher="tanh", psi1=2.0, psi2=2.0, lam=0.01, eta=1.0, noise=0.1)
GIANT = dict(student="tanh", teacher="tanh", alpha0=0.5, eta_tilde=1.0, alpha=1.0, lam=0.01)


# ------------------------------------------------------------------------------------------------
# settings: documented domains, extreme finite values, wrong types


@pytest.mark.parametrize("field", ["psi1", "psi2"])
@pytest.mark.parametrize("value", [1e300, 5e-324, 1e-300, 1.7976931348623157e308, 10**400, RATIO_RANGE[1] * 1.01])
def test_onestep_ratio_outside_domain(field, value):
    with pytest.raises(InvalidParameterError, match=field):
        A.OneStep(**{**ONE, field: value})


@pytest.mark.parametrize("field", ["alpha", "width_ratio", "alpha0"])
@pytest.mark.parametrize("value", [1e300, 5e-324, -(10**400), math.nan])
def test_giantstep_ratio_outside_domain(field, value):
    with pytest.raises(InvalidParameterError, match=field):
        A.GiantStep(**{**GIANT, field: value})


@pytest.mark.parametrize("value", [5e-324, 1e-300, RIDGE_RANGE[0] / 2, 1e300, math.inf, -1.0])
def test_ridge_outside_domain(value):
    with pytest.raises(InvalidParameterError, match="lam"):
        A.OneStep(**{**ONE, "lam": value})


@pytest.mark.parametrize("field,value", [("noise", 1e300), ("eta", 1e300), ("eta", -math.inf), ("noise", 10**400)])
def test_noise_and_step_outside_domain(field, value):
    with pytest.raises(InvalidParameterError, match=field):
        A.OneStep(**{**ONE, field: value})


@pytest.mark.parametrize("value", [None, [1.0], {"a": 1}, complex(1, 1), True, "abc", np.array([1.0, 2.0]), object()])
def test_wrong_types_are_library_errors(value):
    with pytest.raises(InvalidParameterError, match="psi1 must be a number"):
        A.OneStep(**{**ONE, "psi1": value})


def test_domain_edges_give_finite_results():
    """The corners of the documented domain are computed (or refused for precision), never NaN."""
    for p1 in RATIO_RANGE:
        for p2 in RATIO_RANGE:
            for lam in (0.0, *RIDGE_RANGE):
                try:
                    r = A.one_step_risk(A.OneStep(**{**ONE, "psi1": p1, "psi2": p2, "lam": lam}))
                except InvalidParameterError:
                    continue
                assert all(math.isfinite(v) and v >= 0 for v in (r.test_error, r.train_error, r.test_error_rf))


def test_precision_loss_is_refused_not_returned():
    """noise 1e6 at ψ2/ψ1 = 1e12: the traces lose their digits; a negative 'risk' used to come out."""
    s = A.OneStep("tanh", "tanh", psi1=1e-6, psi2=1e6, lam=0.0, eta=0.0, noise=1e6)
    with pytest.raises(InvalidParameterError, match="precision lost"):
        A.one_step_risk(s)
    with pytest.raises(InvalidParameterError, match="precision lost"):
        ridge_errors(1.0, q=1.5, df1=0.5, df2=0.2, noise_var=0.0, unexplained=0.0, label_noise_var=0.0)


def test_effective_ridge_scipy_failure_becomes_root_finding_error(monkeypatch):
    from asymptotics import ridge

    def broken(*args, **kwargs):
        raise RuntimeError("Failed to converge after 500 iterations")

    monkeypatch.setattr(ridge.optimize, "brentq", broken)
    with pytest.raises(RootFindingError, match="effective ridge"):
        solve_effective_ridge(0.5, lambda k: 0.5 / (1 + k))


def test_large_step_limit_validates_kappa_max_and_nodes():
    for bad in (math.nan, math.inf, 0.0, -1.0, 1e300, "x", None):
        with pytest.raises(InvalidParameterError, match="kappa_max"):
            A.large_step_limit("erf", "erf", kappa_max=bad)
    for bad in (10**9, 0, 2.5, None):
        with pytest.raises(InvalidParameterError, match="nodes"):
            A.large_step_limit("erf", "erf", nodes=bad)


def test_gauss_hermite_rule_refuses_nodes_whose_weights_underflow():
    from asymptotics.gaussian import MAX_HERMITE_NODES, gauss_hermite_rule

    x, w = gauss_hermite_rule(MAX_HERMITE_NODES)
    assert np.all(np.isfinite(w)) and abs(w.sum() - 1) < 1e-12
    with pytest.raises(InvalidParameterError, match="Gauss-Hermite"):
        gauss_hermite_rule(MAX_HERMITE_NODES + 1)


def test_choices_reject_arrays_and_unhashables():
    s = A.GiantStep(**GIANT)
    for bad in (np.array([1.0, 2.0]), ["reduced"], {"a": 1}):
        with pytest.raises(InvalidParameterError, match="solver"):
            A.srf_risk(s, solver=bad)
        with pytest.raises(InvalidParameterError, match="backend"):
            A.srf_risk(s, backend=bad)


def test_fixed_point_argument_validation():
    for kw in ({"fmap": None}, {"x0": "abc"}, {"x0": []}, {"tol": 10**400}, {"maxiter": 2.5},
               {"damping": "x"}, {"bound": -1.0}, {"positive": ["a"]}):
        args = {"fmap": lambda x: 0.5 * x, "x0": [1.0], **kw}
        with pytest.raises(InvalidParameterError):
            A.solve_fixed_point(args.pop("fmap"), args.pop("x0"), **args)
    res = A.solve_fixed_point(lambda x: x * math.nan, [1.0], raise_on_failure=False)
    assert res.converged is False
    with pytest.raises(ConvergenceError):
        A.solve_fixed_point(lambda x: x * math.nan, [1.0])


def test_harmonic_dimension_bounds():
    with pytest.raises(InvalidParameterError, match="exact up to"):
        A.harmonic_dimension(2**62, 2**62)


# ------------------------------------------------------------------------------------------------
# simulations: counts and seeds


@pytest.mark.parametrize("kw", [{"seeds": 0}, {"n_test": 0}, {"seeds": []}, {"seeds": [0, 0]}, {"seeds": 10**400},
                                {"d": 1}, {"d": 10.0}, {"n_test": -5}])
def test_simulate_one_step_counts(kw):
    args = {"d": 8, "seeds": 1, "n_test": 10, **kw}
    with pytest.raises(InvalidParameterError):
        simulate_one_step(A.OneStep(**ONE), **args)


@pytest.mark.parametrize("kw", [{"seeds": 0}, {"n_test": 0}, {"alphas": []}, {"alphas": [1e300]}, {"alphas": "1"}])
def test_simulate_giant_step_counts(kw):
    args = {"d": 8, "seeds": 1, "n_test": 10, **kw}
    with pytest.raises(InvalidParameterError):
        simulate_giant_step(A.GiantStep(**GIANT), **args)


def test_simulate_krr_counts():
    s = A.KernelRidge("rf", "tanh", d=5, n=10, lam=0.1, target="1:1")
    for kw in ({"seeds": 0}, {"n_test": 0}, {"model": np.array([1])}, {"model": "rf", "m": 0}):
        with pytest.raises(InvalidParameterError):
            kernel_sim.simulate_krr(s, **{"seeds": 1, "n_test": 5, **kw})
    with pytest.raises(InvalidParameterError):
        kernel_sim.simulate_lazy(s.replace(kernel="both"), m=4, seeds=1, n_test=5)


@pytest.mark.parametrize("kw", [{"m": 3}, {"m": 0}, {"steps": -1}, {"steps": 10**9}, {"lr": math.nan}, {"lr": 0.0},
                                {"momentum": 1.0}, {"ell": 3}, {"n_unlabeled": 0}, {"lam_q": -1.0},
                                {"init_scale": math.inf}])
def test_train_config_validation(kw):
    with pytest.raises(InvalidParameterError):
        bk.TrainConfig(**kw)


def test_training_arguments():
    target = kernel_sim.harmonic_target("1:1", 4, np.random.default_rng(0))
    cfg = bk.TrainConfig(m=4, steps=2, n_unlabeled=40)
    for kw in ({"n": 0}, {"seed": -1}, {"n_test": 0}, {"noise": math.nan}):
        args = {"n": 5, "seed": 0, "n_test": 5, "noise": 0.0, **kw}
        with pytest.raises(InvalidParameterError):
            bk.train_quadntk(target, args.pop("n"), args.pop("seed"), cfg, **args)
    with pytest.raises(InvalidParameterError, match="TrainConfig"):
        bk.train_quadntk(target, 5, 0, {"m": 4})


# ------------------------------------------------------------------------------------------------
# memory: estimated before allocating, refused with the estimate and the limit


def test_memory_is_refused_before_allocating():
    s = A.GiantStep(**{**GIANT, "width_ratio": RATIO_RANGE[1]})       # p = 1e6 d
    with pytest.raises(ResourceError, match=r"needs about .* over the limit of"):
        simulate_giant_step(s, d=1000, seeds=1, n_test=10)
    with pytest.raises(ResourceError, match="width_ratio|p="):
        A.srf_risk(s, backend="finite", d=1000)
    with pytest.raises(ResourceError):
        simulate_one_step(A.OneStep(**{**ONE, "psi2": 1e6}), d=1000, seeds=1, n_test=10)


def test_memory_limit_override_and_env(monkeypatch):
    s = A.OneStep(**ONE)
    previous = limits.set_memory_limit("1K")
    try:
        with pytest.raises(ResourceError, match="limit of 1 KiB"):
            simulate_one_step(s, d=8, seeds=1, n_test=10)
    finally:
        limits.set_memory_limit(previous)
    monkeypatch.setenv(limits.ENV_VAR, "2M")
    assert limits.memory_limit() == 2 * 2**20
    monkeypatch.setenv(limits.ENV_VAR, "lots")
    with pytest.raises(InvalidParameterError, match=limits.ENV_VAR):
        limits.memory_limit()
    monkeypatch.delenv(limits.ENV_VAR)
    phys = limits.physical_memory()
    assert phys is None or limits.memory_limit() == int(limits.DEFAULT_FRACTION * phys)
    for bad in (0, -1, math.nan, True, "x"):
        with pytest.raises(InvalidParameterError):
            limits.set_memory_limit(bad)


def test_memory_estimate_is_not_an_underestimate():
    """The one-step estimate covers W0, W1 and the readout features at least (3 d×N + n×N floats)."""
    from asymptotics.validation.one_step.simulation import one_step_memory

    s = A.OneStep(**ONE)
    d = 100
    N = n = 200
    assert one_step_memory(s, d, n, 1000) >= 8 * (3 * d * N + n * N)


# ------------------------------------------------------------------------------------------------
# solver diagnostics on theory results


def test_theory_results_carry_solver_diagnostics():
    r = A.one_step_risk(A.OneStep(**{**ONE, "eta": 4.0}))
    assert r.converged is True and r.nit > 0
    # the root of κ(1 − df1) = λ is polished to rtol 1e-13: residual at rounding level of λ = 0.01
    assert r.residual < 1e-12
    assert {"converged", "nit", "residual"} <= set(r.to_dict())
    lim = A.large_step_limit("erf", "erf")
    assert lim.converged is True and lim.nit > 601 and lim.to_dict()["converged"] is True


def test_srf_failure_is_flagged_with_diagnostics():
    s = A.GiantStep(**GIANT)
    r = A.srf_risk(s, maxiter=1, raise_on_failure=False)
    assert r.converged is False and math.isnan(r.test_error) and r.nit >= 0
    with pytest.raises(ConvergenceError) as info:
        A.srf_risk(s, maxiter=1)
    assert info.value.result.converged is False
