"""One gradient step on the first layer, then ridge: the Gaussian-equivalent risk (Ba et al. 2022).

All formulas are those of docs/theory/one-step.md; §4.2 and §4.2b are our derivation (the paper's
appendix formula (C.28) was not available), checked against Monte Carlo of the real network by
``asymptotics.validation.comparison``.

Pipeline for the proportional limit n/d → ψ1, N/d → ψ2, η = Θ(1):

1. spike (§2): r² = η²μ1²(μ1*² + E_y/ψ1), γ² = μ1*²/(μ1*² + E_y/ψ1), θ = r²/ψ2;
2. Marchenko–Pastur traces I1, I2 of W0ᵀW0 (§4.2 step 2);
3. effective ridge κ̄ (§4.2 step 3), one solver shared with every model (:mod:`asymptotics.ridge`);
4. the spiked quadratic form q (§4.2 step 4);
5. risk and train error (§4.2 step 5, §4.2b).

Non-centered students (μ0 ≠ 0, e.g. ReLU) are handled by our extension: the mean feature μ0·1/√N is a
strong spike (eigenvalue μ0² ≫ κ̄/N) of the feature second moment, so the readout fits the teacher's
constant μ0* exactly in the limit, and μ0* drops out of both the risk floor and the effective noise.
The finite-d equivalent (:func:`one_step_risk_on_weights`) keeps the mean direction explicitly.
The limit is not uniform in μ0: it needs μ0² ≫ κ̄/N, so for a nearly centered student at moderate N
prefer the finite-d equivalent.  Validated by Monte Carlo for ReLU students (tests/test_validation.py).

>>> r = one_step_risk(OneStep("tanh", "tanh", psi1=2, psi2=2, lam=1e-2, eta=4, noise=0.1))
>>> round(r.test_error, 4), round(r.test_error_rf, 4)      # docs/theory/one-step.md §4.3 table: 0.1056 and 0.1285
(0.1056, 0.1285)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import numpy as np
from scipy import optimize

from ..activations import Activation, get_activation
from ..errors import ConvergenceError, DegenerateActivationError, InvalidParameterError
from ..gaussian import gauss_hermite_rule
from ..hermite import hermite_constants
from ..results import TheoryResult
from ..ridge import RidgeEquivalent, ridge_equivalent_from_spectrum, ridge_errors, solve_effective_ridge
from ..limits import array_bytes, check_memory
from ..settings import OneStep, check_float_array, check_int, check_range
from ..spectra import mp_stieltjes, mp_stieltjes_derivative, spiked_quadratic_form

__all__ = [
    "Spike",
    "OneStepRisk",
    "LargeStepLimit",
    "spike",
    "one_step_risk",
    "rf_risk",
    "one_step_curve",
    "one_step_risk_on_weights",
    "kernel_lower_bound",
    "large_step_limit",
    "SWEEP_PARAMETERS",
]

#: Domain of ``kappa_max`` in :func:`large_step_limit` (beyond 1e3 the grid of 601 points cannot
#: resolve a minimizer of size O(1); below 1e-3 the interval is a point).
KAPPA_MAX_RANGE = (1e-3, 1e3)
#: Largest Gauss–Hermite rule of :func:`large_step_limit` (nodes² activation calls per κ).
MAX_LIMIT_NODES = 350

#: Parameters of :class:`OneStep` a curve may sweep.
SWEEP_PARAMETERS = ("psi1", "psi2", "lam", "eta", "noise")

# |μ0| below this counts as a centered student (the registry's odd functions give exactly 0 up to
# quadrature error ~1e-16).
_CENTERED_TOL = 1e-10


@dataclass(frozen=True)
class Spike:
    """Rank-one part W1 ≈ W0 + u aᵀ of the trained weights (docs/theory/one-step.md §2).

    ``r2`` = lim ‖u‖², ``gamma2`` = lim ⟨û, β*⟩², ``theta`` = r²/ψ2 the spike in the column covariance
    C_W = (I + θûûᵀ)/d.
    """

    r2: float
    gamma2: float
    theta: float

    @property
    def norm(self) -> float:
        return math.sqrt(self.r2)


@dataclass(frozen=True)
class OneStepRisk(TheoryResult):
    """Asymptotic quantities of one setting; ``test_error`` is R_1 (R_0 when η = 0), ``test_error_rf`` R_0.

    ``alignment`` is γ² = lim ⟨û, β*⟩², the squared overlap of the spike with the teacher direction,
    ``spike_norm`` lim ‖u‖ (docs/theory/one-step.md §2).
    """

    test_error: float
    train_error: float
    test_error_rf: float
    lower_bound: float
    alignment: float
    spike_norm: float
    effective_ridge: float
    df1: float
    df2: float
    setting: OneStep
    #: The effective-ridge root is bracketed and polished to rtol 1e-13, else RootFindingError is
    #: raised: a returned result is converged.  ``nit`` counts the evaluations of the trace equation
    #: (both roots, R_1 and R_0), ``residual`` is |κ̄(1 − df1) − λ| (|1 − df1| ridgeless) at the root.
    converged: bool = True
    nit: int = 0
    residual: float = 0.0

    _SETTING = staticmethod(lambda: OneStep)
    _DERIVED = ("improvement",)

    @property
    def improvement(self) -> float:
        """δ = R_0 − R_1 (Ba et al. Theorem 5)."""
        return self.test_error_rf - self.test_error


def _constants(setting: OneStep):
    if not isinstance(setting, OneStep):
        raise InvalidParameterError(f"setting must be a OneStep, got {type(setting).__name__}")
    s = hermite_constants(setting.student)
    t = hermite_constants(setting.teacher)
    if abs(s.mu1) < 1e-12:
        raise DegenerateActivationError(
            f"student {setting.student.name!r} has mu1 = E[z sigma(z)] = {s.mu1:.3g}: the one-step "
            "formula needs mu1 != 0 (the gradient spike and the linear features both vanish)"
        )
    return s, t


def _student_is_centered(mu0: float) -> bool:
    return abs(mu0) < _CENTERED_TOL


def spike(setting: OneStep) -> Spike:
    """Spike strength and alignment after one step (docs/theory/one-step.md §2, §4.2 step 1).

    E_y = μ0*² + μ1*² + μ2*² + σ_ε²,  r² = η²μ1²(μ1*² + E_y/ψ1),  γ² = μ1*²/(μ1*² + E_y/ψ1).

    >>> sp = spike(OneStep("erf", "erf", psi1=4, psi2=1, lam=0.1, eta=1))
    >>> round(sp.gamma2, 6)      # (4/3π) / (4/3π + E erf²/4), E erf² = (2/π) asin(2/3)
    0.785146
    """
    s, t = _constants(setting)
    e_y = t.norm2 + setting.noise**2
    denom = t.mu1**2 + e_y / setting.psi1
    r2 = setting.eta**2 * s.mu1**2 * denom
    gamma2 = t.mu1**2 / denom if denom > 0 else 0.0
    return Spike(r2=r2, gamma2=gamma2, theta=r2 / setting.psi2)


def kernel_lower_bound(teacher: "str | Activation") -> float:
    """‖P_{>1} f*‖² = μ2*²: no kernel, RF or one-small-step model beats it (Ba et al. Prop. 1, Fact 4)."""
    return hermite_constants(get_activation(teacher)).mu_star ** 2


def _asymptotic_point(setting: OneStep, kappa0: float | None = None) -> tuple:
    """(risk, train, κ̄, df1/n, df2/n, trace evaluations, root residual) of §4.2 for one setting."""
    s, t = _constants(setting)
    mu1sq, mustar2 = s.mu1**2, s.mu_star**2
    psi1, psi2 = setting.psi1, setting.psi2
    ratio = psi2 / psi1
    sp = spike(setting)

    def i1(c):  # (1/N) Tr (μ1² W0ᵀW0 + c)^{-1}
        return float(mp_stieltjes(-c / mu1sq, psi2)) / mu1sq

    def i2(c):  # (1/N) Tr (μ1² W0ᵀW0 + c)^{-2} = -dI1/dc
        return float(mp_stieltjes_derivative(-c / mu1sq, psi2)) / mu1sq**2

    def df1(kbar):
        c = mustar2 + kbar
        if c <= 0:  # linear student, κ̄ → 0: the fraction of nonzero eigenvalues of W0ᵀW0
            return ratio * min(1.0, 1.0 / psi2)
        return ratio * (1.0 - kbar * i1(c))

    kbar, nfev = solve_effective_ridge(setting.lam, df1, kappa0=kappa0, scale=mu1sq + mustar2)
    c = mustar2 + kbar
    if c <= 0:
        raise InvalidParameterError(
            "a linear student (mu_star = 0) with lam = 0 has no defined ridgeless one-step risk; use lam > 0"
        )
    d1 = df1(kbar)
    d2 = ratio * (1.0 - 2.0 * kbar * i1(c) + kbar**2 * i2(c))
    if setting.lam > 0:
        residual = abs(kbar * (1.0 - d1) - setting.lam)
    else:
        residual = abs(1.0 - d1) if kbar > 0 else 0.0

    # Spiked quadratic form Q(c') = βᵀM(μ1²M + c')^{-1}β, M = W1W1ᵀ, at c' = c, and its derivative.
    w = c / (mu1sq * psi2)
    B, dB = spiked_quadratic_form(w, psi2, sp.theta, sp.gamma2)
    Q = (1.0 - w * B) / mu1sq
    dQ = -(B + w * dB) / (mu1sq**2 * psi2)
    q = mu1sq * t.mu1**2 * (float(Q) - kbar * float(dQ))

    nonlinear = t.mu_star**2
    const = 0.0 if not _student_is_centered(s.mu0) else t.mu0**2
    unexplained = const + nonlinear
    risk, train = ridge_errors(
        signal_power=t.mu1**2,
        q=q,
        df1=d1,
        df2=d2,
        noise_var=unexplained + setting.noise**2,
        unexplained=unexplained,
        label_noise_var=setting.noise**2,
    )
    return risk, train, kbar, d1, d2, nfev, residual


def _check_finite(value: float, what: str, setting: OneStep) -> float:
    if not math.isfinite(value):
        raise InvalidParameterError(f"{what} is not finite for {setting.to_dict()}")
    return value


def one_step_risk(setting: OneStep) -> OneStepRisk:
    """Asymptotic test risk R_1 after one step of size η, with R_0, train error and derived quantities.

    Implements docs/theory/one-step.md §4.2 (risk) and §4.2b (train error):

        R = μ0*² + μ2*² + [μ1*² − q + (μ0*² + μ2*² + σ_ε²)·D2] / (1 − D2)

    (μ0* dropped for a non-centered student, see the module docstring).  η = 0 gives the RF ridge risk.
    """
    return _one_step_risk(setting, None)


def _one_step_risk(setting: OneStep, kappa0: float | None) -> OneStepRisk:
    """:func:`one_step_risk` with the effective-ridge root bracket started near ``kappa0``.

    κ̄ does not depend on η (the spike does not enter normalized traces), so R_0 and R_1 share it.
    """
    risk, train, kbar, d1, d2, nit, residual = _asymptotic_point(setting, kappa0=kappa0)
    if setting.eta == 0:
        test_rf = risk
    else:
        rf = _asymptotic_point(setting.replace(eta=0.0), kappa0=kbar)
        test_rf, nit = rf[0], nit + rf[5]
    sp = spike(setting)
    return OneStepRisk(
        test_error=_check_finite(risk, "test error", setting),
        train_error=_check_finite(train, "train error", setting),
        test_error_rf=_check_finite(test_rf, "RF test error", setting),
        lower_bound=kernel_lower_bound(setting.teacher),
        alignment=sp.gamma2,
        spike_norm=sp.norm,
        effective_ridge=kbar,
        df1=d1,
        df2=d2,
        setting=setting,
        converged=True,
        nit=int(nit),
        residual=float(residual),
    )


def rf_risk(setting: OneStep) -> OneStepRisk:
    """Random-features ridge risk R_0: :func:`one_step_risk` at η = 0."""
    _constants(setting)
    return one_step_risk(setting.replace(eta=0.0))


def one_step_curve(setting: OneStep, parameter: str, values: Iterable[float], **options) -> tuple[OneStepRisk, ...]:
    """:func:`one_step_risk` along a sweep of one parameter, warm-starting each effective-ridge root.

    ``parameter`` is one of :data:`SWEEP_PARAMETERS`; there are no ``options`` (the closed form has no
    solver settings; the argument exists so that every family's ``curve`` has one signature).  The effective ridge κ̄ does not depend on η or
    the noise, so those sweeps reuse it; ψ1, ψ2 and λ sweeps start the root bracket at the previous κ̄.

    >>> s = OneStep("tanh", "tanh", psi1=2, psi2=2, lam=1e-2, noise=0.1)
    >>> [round(r.test_error, 4) for r in one_step_curve(s, "eta", [0, 1, 2, 4])]   # docs/theory/one-step.md §4.3
    [0.1285, 0.1251, 0.1178, 0.1056]
    """
    if options:
        raise InvalidParameterError(f"one_step_curve takes no options, got {', '.join(sorted(options))}")
    if not (isinstance(parameter, str) and parameter in SWEEP_PARAMETERS):
        raise InvalidParameterError(
            f"cannot sweep {parameter!r}; choose one of {', '.join(SWEEP_PARAMETERS)}"
        )
    if not isinstance(setting, OneStep):
        raise InvalidParameterError(f"setting must be a OneStep, got {type(setting).__name__}")
    if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
        raise InvalidParameterError(f"values must be a sequence of {parameter} values, got {values!r}")
    out = []
    k_prev: float | None = None
    for v in values:
        r = _one_step_risk(setting.replace(**{parameter: v}), k_prev)
        k_prev = r.effective_ridge
        out.append(r)
    return tuple(out)


def one_step_risk_on_weights(
    setting: OneStep, W: np.ndarray, beta: np.ndarray, n: int | None = None
) -> RidgeEquivalent:
    """Finite-d deterministic equivalent of the ridge risk on the features σ(Wᵀx)/√N of a given W.

    W ∈ R^{d×N} is any first-layer matrix (e.g. the W1 of a simulated network), β the unit teacher
    direction, n the readout sample size (default round(ψ1 d)).  The features are replaced by their
    Gaussian equivalent φ = (μ0·1 + μ1 Wᵀx + μ* z)/√N, whose second moment is
    S = (μ0² 11ᵀ + μ1² WᵀW + μ*² I)/N and whose correlation with the teacher is
    b = (μ0 μ0* 1 + μ1 μ1* Wᵀβ)/√N; the ridge equivalent of :mod:`asymptotics.ridge` is then evaluated
    exactly on the spectrum of S (ridge λ/N in the (1/n)-normalization, docs/theory/one-step.md §1).  The Hermite
    constants are those of unit-norm neurons (columns of W have norm → 1).

    Returns a :class:`~asymptotics.ridge.RidgeEquivalent` whose ``test_error`` converges to
    :func:`one_step_risk`'s ``test_error`` as d grows when W is the one-step W1.
    """
    if not isinstance(setting, OneStep):
        raise InvalidParameterError(f"setting must be a OneStep, got {type(setting).__name__}")
    s, t = _constants(setting)
    W = check_float_array("W", W, "the d×N first-layer matrix")
    beta = check_float_array("beta", beta, "the teacher direction").ravel()
    if W.ndim != 2 or beta.shape[0] != W.shape[0] or W.size == 0:
        raise InvalidParameterError(f"W must be d×N and beta of length d; got {W.shape} and {beta.shape}")
    d, N = W.shape
    check_memory(f"one_step_risk_on_weights at d={d}, N={N}", array_bytes((N, N), (N, N), (N, N), (d, N)))
    nrm = np.linalg.norm(beta)
    if not (nrm > 0 and math.isfinite(nrm)):
        raise InvalidParameterError("beta must be a nonzero finite vector")
    if not math.isfinite(float(np.linalg.norm(W))):
        raise InvalidParameterError("W is too large (its norm overflows)")
    beta = beta / nrm
    n = round(setting.psi1 * d) if n is None else check_int("n", n, 1, "the readout sample size")
    if n < 1:
        raise InvalidParameterError(f"readout size round(psi1*d) = {n} < 1")
    ones = np.ones(N)
    S = (s.mu1**2 * (W.T @ W) + s.mu0**2 * np.outer(ones, ones)) / N
    S[np.diag_indices(N)] += s.mu_star**2 / N
    b = (s.mu0 * t.mu0 * ones + s.mu1 * t.mu1 * (W.T @ beta)) / math.sqrt(N)
    evals, evecs = np.linalg.eigh(S)
    nonlinear = t.mu_star**2
    return ridge_equivalent_from_spectrum(
        evals,
        evecs.T @ b,
        n=n,
        lam_eff=setting.lam / N,
        signal_power=t.mu0**2 + t.mu1**2,
        noise_var=nonlinear + setting.noise**2,
        unexplained=nonlinear,
        label_noise_var=setting.noise**2,
    )


@dataclass(frozen=True)
class LargeStepLimit:
    """τ* and its minimizer κ* (Ba et al. eq. 5.1); ``attained`` is False if the infimum is at |κ| → ∞."""

    tau_star: float
    kappa_star: float
    attained: bool
    lower_bound: float
    #: Brent's polish reached ``xatol`` (True for an edge minimum, where no polish is run); ``nit``
    #: counts τ evaluations (grid and Brent).
    converged: bool = True
    nit: int = 0

    def to_dict(self) -> dict:
        return {
            "tau_star": self.tau_star,
            "kappa_star": self.kappa_star,
            "attained": self.attained,
            "lower_bound": self.lower_bound,
            "converged": self.converged,
            "nit": self.nit,
        }


def large_step_limit(
    student: "str | Activation", teacher: "str | Activation", kappa_max: float = 30.0, nodes: int = 120
) -> LargeStepLimit:
    """τ* = inf_κ E_{ξ1}[(σ*(ξ1) − E_{ξ2} σ(κ ξ1 + ξ2))²] and κ* (docs/theory/one-step.md §5, eq. 5.1).

    Both expectations use a fixed ``nodes``-point Gauss–Hermite rule (the inner average is smooth in
    ξ1 even for kinked σ); the minimum over κ ∈ [−κ_max, κ_max] is located on a grid and polished by
    bounded Brent.  A minimizer at the edge of the range is reported with ``attained=False``.
    Domains: κ_max ∈ [1e-3, 1e3] (:data:`KAPPA_MAX_RANGE`), 2 ≤ nodes ≤ :data:`MAX_LIMIT_NODES`.

    >>> lim = large_step_limit("erf", "erf")              # Ba et al.: κ* = √3, τ* = 0
    >>> round(lim.kappa_star, 5), lim.tau_star < 1e-12
    (1.73205, True)
    """
    sig = get_activation(student)
    tea = get_activation(teacher)
    kappa_max = check_range("kappa_max", kappa_max, KAPPA_MAX_RANGE[0], KAPPA_MAX_RANGE[1],
                            "half-width of the searched kappa interval")
    nodes = check_int("nodes", nodes, 2, "Gauss-Hermite nodes per dimension")
    if nodes > MAX_LIMIT_NODES:
        raise InvalidParameterError(
            f"nodes must be <= {MAX_LIMIT_NODES} (a larger Gauss-Hermite rule adds nothing in double precision), "
            f"got {nodes}")
    check_memory(f"large_step_limit with {nodes} nodes", array_bytes((nodes, nodes)) * 4)
    x, w = gauss_hermite_rule(nodes)
    target = tea(x)

    def tau(k: float) -> float:
        inner = sig(k * x[:, None] + x[None, :]) @ w
        return float(w @ (target - inner) ** 2)

    grid = np.linspace(-kappa_max, kappa_max, 601)
    with np.errstate(all="ignore"):
        vals = np.array([tau(k) for k in grid])
    if not np.all(np.isfinite(vals)):
        raise InvalidParameterError(
            f"tau(kappa) is not finite on [-{kappa_max:g}, {kappa_max:g}] for student {sig.name!r}, teacher "
            f"{tea.name!r} (the activations overflow on the Gauss-Hermite nodes)")
    i = int(np.argmin(vals))
    if i in (0, len(grid) - 1):
        return LargeStepLimit(float(vals[i]), float(grid[i]), False, kernel_lower_bound(tea), True, len(grid))
    with np.errstate(all="ignore"):
        res = optimize.minimize_scalar(
            tau, bounds=(grid[i - 1], grid[i + 1]), method="bounded", options={"xatol": 1e-10}
        )
    if not (res.success and math.isfinite(res.fun)):
        raise ConvergenceError(f"large_step_limit: Brent's polish of kappa* failed ({res.message})", res)
    return LargeStepLimit(max(float(res.fun), 0.0), float(res.x), True, kernel_lower_bound(tea), True,
                          len(grid) + int(res.nfev))
