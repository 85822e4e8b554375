"""Spiked random features (sRF) after one giant step: parameters, conditional GE, order parameters, errors.

Implements docs/theory/spiked-rf.md (Cui et al. 2024, "Result 3.3" as read from the authors' code):

1. the map network → sRF, (r, c, γ) from η̃, α0, σ, σ* (§1.4), with the corrected formulas for
   non-centered activations (ReLU; §1.4 caveat, our derivation [R, N]) — :func:`srf_parameters`;
2. the conditional-GE coefficients μ0(κ), μ1(κ), μ*(κ) and teacher moments h, h1, h2 (§2) on a
   fixed Gauss–Hermite rule over κ — :func:`conditional_coefficients`;
3. the order-parameter equations for a general width ratio p/d (§3.3–3.4, the 1/d normalization of
   the F and H sums), the unregularized mean channel m (§3.5), test and train error (§3.6), label
   noise — :func:`srf_risk`, :func:`srf_curve`, :func:`optimal_ridge`;
4. two spectral back-ends: the large-d Marchenko–Pastur closed forms of §3.7
   (:class:`MarchenkoPasturSpectrum`, the default and *the* theory, docs/theory/spiked-rf.md §9.1), and a finite-d one on a
   sampled or given W0 (:func:`finite_spectrum`), either spike-averaged (H_j → D_j, F sums by
   Sherman–Morrison on the spectrum of W Wᵀ, docs/theory/spiked-rf.md §9.1) or with the single draw of v and ζ the
   authors use (§3.1).

Solving (docs/theory/spiked-rf.md §4, §9.2).  (V1, V2) form a closed 2-d system: the hats V̂1, V̂2 depend on V1, V2
only, and V1, V2 on V̂1, V̂2 only.  That system is solved with the package's fixed-point engine
(:func:`asymptotics.fixed_point.solve_fixed_point`, Anderson by default); given (V1, V2), ψ is
explicit and (θ, m), (q1, q2) are 2×2 linear solves.  ``solver="full"`` instead iterates the
authors' 7-parameter map (q1, q2, V1, V2, θ, ψ, m) with the engine.  Either way the reported
``residual`` is that of the full undamped 7-parameter map at the returned order parameters.

Noise convention [R]: ``noise`` is the standard deviation σ_ε of label noise on *every* label, so
E y² = ‖σ*‖² + σ_ε² in (r, c, γ) (§1.4) and σ_ε² is added to the conditional error in the q̂ equations
and the train error; the test error is against the noise-free teacher (docs/conventions.md).

>>> from asymptotics.settings import GiantStep
>>> res = srf_risk(GiantStep("tanh", "sin", alpha0=20, eta_tilde=3, alpha=3.0, lam=0.1))
>>> round(res.test_error, 4), res.converged          # docs/theory/spiked-rf.md §9.1: large-d value 0.0325
(0.0325, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np
from scipy import optimize

from ..activations import Activation, get_activation
from ..errors import ConvergenceError, InvalidParameterError
from ..fixed_point import solve_fixed_point
from ..gaussian import gauss_hermite_rule
from ..hermite import hermite_constants, shifted_coefficients
from ..limits import array_bytes, check_memory
from ..results import TheoryResult
from ..settings import RIDGE_RANGE, GiantStep, check_finite, check_float_array, check_positive, check_range
from ..spectra import mp_stieltjes, mp_stieltjes_derivative

__all__ = [
    "SRFParameters",
    "ConditionalCoefficients",
    "SpectralSums",
    "MarchenkoPasturSpectrum",
    "EmpiricalSpectrum",
    "SpikeDrawSpectrum",
    "OrderParameters",
    "SRFRisk",
    "OptimalRidge",
    "srf_parameters",
    "conditional_coefficients",
    "finite_spectrum",
    "srf_risk",
    "srf_curve",
    "optimal_ridge",
    "SWEEP_PARAMETERS",
    "DEFAULT_KAPPA_NODES",
]

#: Domain of the sRF parameters: |r| ≤ SRF_MAX and c ∈ [1/SRF_MAX, SRF_MAX] (beyond, the preactivation
#: rκ + √c z overflows any activation's useful range and the κ quadrature loses all digits).
SRF_MAX = 1e6
#: κ nodes of the fixed Gauss–Hermite rule (docs/theory/spiked-rf.md §4: 121 agrees with adaptive quadrature).
DEFAULT_KAPPA_NODES = 121
#: Parameters of :class:`~asymptotics.settings.GiantStep` that :func:`srf_curve` may sweep.
SWEEP_PARAMETERS = ("alpha", "lam", "noise", "alpha0", "eta_tilde", "width_ratio")
_FORMULAS = ("corrected", "code")


# ------------------------------------------------------------------------------------------------
# 1. network -> sRF


@dataclass(frozen=True)
class SRFParameters:
    """Spike strength r, bulk variance c and spike–teacher overlap γ of the sRF (docs/theory/spiked-rf.md §1.4).

    The sRF preactivation is h_i(x) = √c⟨w_i⁰, x⟩ + rκ with κ = ⟨v, x⟩/√d, and the teacher direction
    is θ = γv + ρζ, ρ = √(1 − γ²).  ``formula`` records where the values came from.

    >>> SRFParameters(0.5, 1.1, 0.3).to_dict()
    {'r': 0.5, 'c': 1.1, 'gamma': 0.3}
    """

    r: float
    c: float
    gamma: float
    formula: str = field(default="given", compare=False)

    def __post_init__(self):
        object.__setattr__(self, "r", check_range("r", self.r, -SRF_MAX, SRF_MAX, "the spike strength"))
        object.__setattr__(self, "c", check_range("c", self.c, 1.0 / SRF_MAX, SRF_MAX, "the bulk variance"))
        g = check_finite("gamma", self.gamma, "the spike-teacher overlap")
        if not -1.0 <= g <= 1.0:
            raise InvalidParameterError(f"gamma must lie in [-1, 1] (a cosine overlap), got {g!r}")
        object.__setattr__(self, "gamma", g)

    @property
    def rho(self) -> float:
        """√(1 − γ²), the weight of the teacher direction orthogonal to the spike."""
        return math.sqrt(max(0.0, 1.0 - self.gamma * self.gamma))

    def to_dict(self) -> dict:
        return {"r": self.r, "c": self.c, "gamma": self.gamma}


def _as_srf(srf) -> SRFParameters:
    if isinstance(srf, SRFParameters):
        return srf
    if isinstance(srf, dict):
        try:
            return SRFParameters(srf["r"], srf["c"], srf["gamma"])
        except KeyError:
            raise InvalidParameterError(f"an srf dict needs keys 'r', 'c', 'gamma', got {sorted(srf)!r}") from None
    if isinstance(srf, (str, bytes)):
        raise InvalidParameterError(f"srf must be SRFParameters, a dict or (r, c, gamma), got {srf!r}")
    try:
        r, c, g = srf
    except (TypeError, ValueError):
        raise InvalidParameterError(f"srf must be SRFParameters, a dict or (r, c, gamma), got {srf!r}") from None
    return SRFParameters(r, c, g)


def srf_parameters(setting: GiantStep, formula: str = "corrected") -> SRFParameters:
    """(r, c, γ) of the sRF that models the network after one giant step (docs/theory/spiked-rf.md §1.4).

    With μ0, μ1 = E[zσ], Var σ', E[zσ'] of the student, μ0*, μ1*, ‖σ*‖² of the teacher and
    E_y = E[(y − μ0)²] = ‖σ*‖² − 2μ0μ0* + μ0² + σ_ε² (the gradient sees y − f0 ≈ y − μ0):

        r = η̃ μ1 √(μ1*² + E_y/α0),   γ = μ1*/√(μ1*² + E_y/α0),
        c = s_b² + (η̃²/α0) E_y Var σ',   s_b = 1 + η̃ (μ0* − μ0) E[zσ'(z)].

    ``formula="corrected"`` (default) is this, the corrected version (docs/theory/spiked-rf.md) for non-centered
    activations (§1.4 items 1–2, our derivation [R, N]); for odd σ and σ* it is identical to the
    authors' code.  ``formula="code"`` is the authors' (May 2024) code: E_y = ‖σ*‖² (+ σ_ε²) and
    s_b = 1.  α0 = 0 (no step) gives plain random features, (r, c, γ) = (0, 1, 0).

    >>> p = srf_parameters(GiantStep("tanh", "sin", alpha0=20, eta_tilde=3, alpha=1, lam=0.1))
    >>> round(p.r, 4), round(p.c, 4), round(p.gamma, 4)          # docs/theory/spiked-rf.md §7 Check A
    (1.1341, 1.019, 0.9719)
    >>> relu = GiantStep("relu", "tanh", alpha0=2, eta_tilde=2, alpha=1, lam=0.01)
    >>> round(srf_parameters(relu).c, 3), round(srf_parameters(relu, formula="code").c, 3)  # §1.4: 0.741, 1.197
    (0.741, 1.197)
    """
    if not isinstance(setting, GiantStep):
        raise InvalidParameterError(f"setting must be a GiantStep, got {type(setting).__name__}")
    if not (isinstance(formula, str) and formula in _FORMULAS):
        raise InvalidParameterError(f"formula must be one of {_FORMULAS}, got {formula!r}")
    if setting.alpha0 == 0:
        return SRFParameters(0.0, 1.0, 0.0, formula=formula)
    s = hermite_constants(setting.student)
    t = hermite_constants(setting.teacher)
    noise2 = setting.noise**2
    if formula == "corrected":
        e_y = t.norm2 - 2.0 * s.mu0 * t.mu0 + s.mu0**2 + noise2
        s_b = 1.0 + setting.eta_tilde * (t.mu0 - s.mu0) * s.mean_z_derivative
    else:
        e_y = t.norm2 + noise2
        s_b = 1.0
    e_y = max(e_y, 0.0)
    denom = math.sqrt(t.mu1**2 + e_y / setting.alpha0)
    r = setting.eta_tilde * s.mu1 * denom
    gamma = t.mu1 / denom if denom > 0 else 0.0
    c = s_b**2 + setting.eta_tilde**2 / setting.alpha0 * e_y * s.var_derivative
    if not c > 0:
        raise InvalidParameterError(
            f"the sRF bulk variance c = {c:.3g} is not positive for {setting.to_dict()} (the step "
            "shrinks the bulk to zero); pass (r, c, gamma) measured from the network instead"
        )
    if not (abs(r) <= SRF_MAX and c <= SRF_MAX):
        raise InvalidParameterError(
            f"the sRF parameters r = {r:.3g}, c = {c:.3g} of {setting.to_dict()} are outside the domain "
            f"|r|, c <= {SRF_MAX:g} (the step is too large for the sRF description)"
        )
    return SRFParameters(r, c, min(1.0, max(-1.0, gamma)), formula=formula)


# ------------------------------------------------------------------------------------------------
# 2. conditional Gaussian equivalence on a fixed κ rule


@dataclass(frozen=True, eq=False)
class ConditionalCoefficients:
    """Per-κ quantities of docs/theory/spiked-rf.md §2 on a fixed Gauss–Hermite rule (arrays over the κ nodes).

    ``mu0``, ``mu1``, ``mu_star``: shifted Hermite coefficients of σ at shift rκ and scale c;
    ``h`` = E_s σ*(γκ + ρs), ``h1`` = E_s[s σ*(γκ + ρs)], ``h2`` = E_s σ*(γκ + ρs)²; Σ ``weights``·g(``kappa``)
    ≈ E g(κ), κ ~ N(0, 1).
    """

    kappa: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    mu0: np.ndarray = field(repr=False)
    mu1: np.ndarray = field(repr=False)
    mu_star: np.ndarray = field(repr=False)
    h: np.ndarray = field(repr=False)
    h1: np.ndarray = field(repr=False)
    h2: np.ndarray = field(repr=False)
    srf: SRFParameters = None  # type: ignore[assignment]

    @property
    def nodes(self) -> int:
        return int(self.kappa.size)

    def expect(self, values) -> float:
        """E_κ of an array of per-node values."""
        return float(self.weights @ values)


@lru_cache(maxsize=128)
def _coefficients_cached(student: Activation, teacher: Activation, r: float, c: float, gamma: float,
                         nodes: int) -> ConditionalCoefficients:
    kappa, w = gauss_hermite_rule(nodes)
    sc = shifted_coefficients(student, r * kappa, c)
    rho = math.sqrt(max(0.0, 1.0 - gamma * gamma))
    if rho > 1e-8:
        tc = shifted_coefficients(teacher, gamma * kappa, rho * rho)
        h, h1, h2 = tc.mu0, rho * tc.mu1, tc.second_moment
    else:  # γ = ±1: no orthogonal teacher component
        h = np.asarray(teacher(gamma * kappa), dtype=float)
        h1, h2 = np.zeros_like(h), h * h
    arrays = [np.array(a, dtype=float) for a in (kappa, w, sc.mu0, sc.mu1, sc.mu_star, h, h1, h2)]
    for a in arrays:
        if not np.all(np.isfinite(a)):
            raise InvalidParameterError("conditional-GE coefficients are not finite (activation overflow?)")
        a.setflags(write=False)
    return ConditionalCoefficients(*arrays, srf=SRFParameters(r, c, gamma))


def conditional_coefficients(student, teacher, srf, nodes: int = DEFAULT_KAPPA_NODES) -> ConditionalCoefficients:
    """μ0(κ), μ1(κ), μ*(κ), h(κ), h1(κ), h2(κ) of docs/theory/spiked-rf.md §2 on a ``nodes``-point rule.

    μ0(κ) = E_z σ(rκ + √c z), μ1(κ) = E_z[z σ(rκ + √c z)]/√c, μ*(κ)² = E_z σ(rκ + √c z)² − μ0² − c μ1²
    come from the Hermite engine's shifted moments (:func:`asymptotics.hermite.shifted_coefficients`,
    kink-safe composite rule in z); the outer κ rule is a fixed, vectorized Gauss–Hermite rule —
    no nested adaptive quadrature.  Cached per (activations, r, c, γ, nodes).

    >>> cc = conditional_coefficients("tanh", "tanh", (0.0, 1.0, 0.0), nodes=5)
    >>> bool(np.allclose(cc.mu1, 0.6057055096, atol=1e-9)), bool(np.allclose(cc.h1, cc.mu1))
    (True, True)
    """
    if isinstance(nodes, bool) or not isinstance(nodes, (int, np.integer)) or nodes < 2:
        raise InvalidParameterError(f"nodes must be an integer >= 2, got {nodes!r}")
    p = _as_srf(srf)
    return _coefficients_cached(get_activation(student), get_activation(teacher), p.r, p.c, p.gamma, int(nodes))


# ------------------------------------------------------------------------------------------------
# 3. spectral back-ends


@dataclass(frozen=True)
class SpectralSums:
    """The spectral sums of docs/theory/spiked-rf.md §3.4 at S_j = s + a·D_j (s = λ + V̂2, a = V̂1).

    ``v1`` = (1/p)Σ D/S, ``v2`` = (1/p)Σ 1/S, ``dk`` = (1/p)Σ D^k/S² (k = 0, 1, 2);
    ``f1`` = (1/d)Σ F/S, ``f2`` = (1/d)Σ F/S², ``fd`` = (1/d)Σ D F/S²; ``h1``, ``h2``, ``hd`` likewise with H.
    """

    v1: float
    v2: float
    d0: float
    d1: float
    d2: float
    f1: float
    f2: float
    fd: float
    h1: float
    h2: float
    hd: float


def _sherman_morrison(a: float, t: float, t2: float, hd: float) -> tuple[float, float, float]:
    """F sums from the spike-free ones (docs/theory/spiked-rf.md §3.7): Ω = A − bbᵀ with b = Wv/√d, t = bᵀ(s + aA)⁻¹b.

    (1/d)ΣF/S = t/(1 − a t), (1/d)ΣF/S² = t2/(1 − a t)², (1/d)ΣDF/S² = (bᵀG A G b − t²)/(1 − a t)²,
    the last one written without the division by a = V̂1 of the S⁻¹ΩS⁻¹ identity (docs/theory/spiked-rf.md).
    """
    den = 1.0 - a * t
    if not den > 0:
        raise FloatingPointError("Sherman-Morrison denominator 1 - V1hat*t <= 0")
    return t / den, t2 / den**2, (hd - t * t) / den**2


def _narayana_moments(beta: float, kmax: int) -> np.ndarray:
    """Moments M_k = E X^k, k = 0..kmax, of the unit Marchenko–Pastur law with ratio β (atom included)."""
    out = np.ones(kmax + 1)
    for n in range(1, kmax + 1):
        out[n] = sum(math.comb(n, k) * math.comb(n, k - 1) / n * beta ** (k - 1) for k in range(1, n + 1))
    return out


@dataclass(frozen=True)
class MarchenkoPasturSpectrum:
    """Large-d back-end (docs/theory/spiked-rf.md §3.7): no sampled matrix, no sampling noise.

    Ω ≈ c W0W0ᵀ has the Marchenko–Pastur law with ratio β = p/d and scale c (atom 1 − 1/β at 0 when
    β > 1).  With R(x) = 1/(s + a x) and ⟨·⟩ the MP average: V1 = ⟨xR⟩, V2 = ⟨R⟩, the H sums are
    β⟨x^k R^j⟩, and the F sums follow by Sherman–Morrison (:func:`_sherman_morrison`).  All averages
    are closed forms in the MP Stieltjes transform m(z) at z = −s/(ac): with u = 1 + zm = m/(1 + βm),
    ⟨XR⟩ = u/(ac), ⟨XR²⟩ = u'/(ac)², ⟨X²R²⟩ = (u + z u')/(ac)²  (X the unit-MP variable); a moment
    series is used when ac ≪ s.
    """

    width_ratio: float
    name: str = field(default="asymptotic", init=False)

    def __post_init__(self):
        object.__setattr__(self, "width_ratio", check_positive("width_ratio", self.width_ratio, "p/d"))

    def sums(self, a: float, s: float, c: float) -> SpectralSums:
        beta = self.width_ratio
        ac = a * c
        lam_plus = (1.0 + math.sqrt(beta)) ** 2
        if ac * lam_plus <= 1e-3 * s:
            # R = (1/s) Σ_k (−εX)^k, ε = ac/s: geometric with ratio ≤ 1e-3
            eps = ac / s
            K = 8
            M = _narayana_moments(beta, K + 2)
            ks = np.arange(K + 1)
            coef1 = (-eps) ** ks / s
            coef2 = (ks + 1) * (-eps) ** ks / s**2
            R0, XR = coef1 @ M[:K + 1], coef1 @ M[1:K + 2]
            R2, XR2, X2R2 = coef2 @ M[:K + 1], coef2 @ M[1:K + 2], coef2 @ M[2:K + 3]
        else:
            z = -s / ac
            m = float(mp_stieltjes(z, beta))
            dm = float(mp_stieltjes_derivative(z, beta))
            u = m / (1.0 + beta * m)
            du = dm / (1.0 + beta * m) ** 2
            R0, XR = m / ac, u / ac
            R2, XR2, X2R2 = dm / ac**2, du / ac**2, (u + z * du) / ac**2
        v1, v2 = c * XR, R0
        d0, d1, d2 = R2, c * XR2, c * c * X2R2
        h1, h2, hd = beta * v1, beta * d1, beta * d2
        f1, f2, fd = _sherman_morrison(a, h1, h2, hd)
        return SpectralSums(v1, v2, d0, d1, d2, f1, f2, fd, h1, h2, hd)


@dataclass(frozen=True, eq=False)
class EmpiricalSpectrum:
    """Finite-d back-end, spike-averaged (docs/theory/spiked-rf.md §9.1): the spectrum of W0W0ᵀ for one sampled or given W0.

    The H_j are replaced by their average D_j and the F sums are obtained from the full spectrum by
    Sherman–Morrison, so the only randomness left is that of W0 (its spectral fluctuations are
    O(1/d)); the formulas are those of :class:`MarchenkoPasturSpectrum` with the MP law replaced by
    the p eigenvalues of W0W0ᵀ.
    """

    eigenvalues: np.ndarray = field(repr=False)
    p: int
    d: int
    name: str = field(default="finite", init=False)

    @property
    def width_ratio(self) -> float:
        return self.p / self.d

    def sums(self, a: float, s: float, c: float) -> SpectralSums:
        D = c * self.eigenvalues
        R = 1.0 / (s + a * D)
        R2 = R * R
        beta = self.p / self.d
        v1, v2 = float(np.mean(D * R)), float(np.mean(R))
        d0, d1, d2 = float(np.mean(R2)), float(np.mean(D * R2)), float(np.mean(D * D * R2))
        h1, h2, hd = beta * v1, beta * d1, beta * d2
        f1, f2, fd = _sherman_morrison(a, h1, h2, hd)
        return SpectralSums(v1, v2, d0, d1, d2, f1, f2, fd, h1, h2, hd)


@dataclass(frozen=True, eq=False)
class SpikeDrawSpectrum:
    """Finite-d back-end with one draw of the spike v and the orthogonal teacher direction ζ (docs/theory/spiked-rf.md §3.1).

    Exactly the authors' construction: Ω0 = W0ΠW0ᵀ = Σ D_j u_j u_jᵀ, F_j = ⟨u_j, W0v⟩², H_j = ⟨u_j, W0ζ⟩²
    (stored at c = 1; Ω, F and H scale with c).  Carries the single-draw noise of F and H
    (≈ √(2/d) relative, docs/theory/spiked-rf.md §9.1).
    """

    D: np.ndarray = field(repr=False)
    F: np.ndarray = field(repr=False)
    H: np.ndarray = field(repr=False)
    p: int
    d: int
    name: str = field(default="finite-draw", init=False)

    @property
    def width_ratio(self) -> float:
        return self.p / self.d

    def sums(self, a: float, s: float, c: float) -> SpectralSums:
        D = c * self.D
        F = c * self.F
        H = c * self.H
        R = 1.0 / (s + a * D)
        R2 = R * R
        inv_d = 1.0 / self.d
        return SpectralSums(
            float(np.mean(D * R)), float(np.mean(R)),
            float(np.mean(R2)), float(np.mean(D * R2)), float(np.mean(D * D * R2)),
            inv_d * float(F @ R), inv_d * float(F @ R2), inv_d * float((D * F) @ R2),
            inv_d * float(H @ R), inv_d * float(H @ R2), inv_d * float((D * H) @ R2),
        )


def _as_rng(rng):
    if rng is None:
        return np.random.default_rng(0)
    if isinstance(rng, (np.random.Generator, np.random.RandomState)):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        if not 0 <= rng < 2**128:
            raise InvalidParameterError(f"an int rng seed must lie in [0, 2**128), got {rng!r}")
        return np.random.default_rng(int(rng))
    raise InvalidParameterError(f"rng must be None, an int seed, a numpy Generator or RandomState; got {rng!r}")


def finite_spectrum(
    W0=None,
    *,
    p: int | None = None,
    d: int | None = None,
    rng=None,
    v=None,
    zeta=None,
    average_spike: bool = True,
):
    """Finite-d spectral back-end on a given W0 ∈ R^{p×d} or one sampled with ``rng`` (docs/theory/spiked-rf.md §3.1, §9.1).

    Sampling (when ``W0`` is None; ``p`` and ``d`` required): W0 = rows of ``rng.standard_normal((p, d))``
    normalized to unit norm; then, for ``average_spike=False``, v = ``rng.standard_normal(d)`` scaled to
    ‖v‖² = d and ζ = Π·``rng.standard_normal(d)`` scaled to ‖ζ‖² = d (Π = I − vvᵀ/d) — the order of the
    authors' notebook, so ``rng=np.random.RandomState(58)`` reproduces their d = p = 2000 instance.
    ``rng`` may be a Generator, a RandomState or an int seed (default seed 0).  A given ``W0`` has
    its rows normalized; ``v`` and ``zeta`` may be given too.

    ``average_spike=True`` (default) returns an :class:`EmpiricalSpectrum` (eigenvalues of W0W0ᵀ
    only); ``False`` a :class:`SpikeDrawSpectrum` (eigen-decomposition of W0ΠW0ᵀ and the F, H diagonals).

    >>> sp = finite_spectrum(p=60, d=120, rng=1)
    >>> sp.p, sp.d, round(float(sp.eigenvalues.mean()), 12)      # (1/p) tr W0W0ᵀ = 1 (unit rows)
    (60, 120, 1.0)
    """
    rng = _as_rng(rng)
    if W0 is None:
        if p is None or d is None:
            raise InvalidParameterError("finite_spectrum needs W0 or both p and d")
        for name, val in (("p", p), ("d", d)):
            if isinstance(val, bool) or not isinstance(val, (int, np.integer)) or val < 2:
                raise InvalidParameterError(f"{name} must be an integer >= 2, got {val!r}")
        check_memory(f"finite_spectrum at p={p}, d={d}", array_bytes((p, d), (p, d), (min(p, d), min(p, d)), (p, p)))
        W0 = rng.standard_normal((int(p), int(d))) / math.sqrt(d)
    W0 = check_float_array("W0", W0, "the first-layer matrix", finite=False)
    if W0.ndim != 2 or min(W0.shape) < 2 or not np.all(np.isfinite(W0)):
        raise InvalidParameterError(f"W0 must be a finite p×d matrix with p, d >= 2, got shape {W0.shape}")
    check_memory(f"finite_spectrum at p={W0.shape[0]}, d={W0.shape[1]}",
                 array_bytes(W0.shape, W0.shape, (W0.shape[0], W0.shape[0]), (W0.shape[0], W0.shape[0])))
    norms = np.linalg.norm(W0, axis=1)
    if np.any(norms == 0):
        raise InvalidParameterError("W0 has a zero row")
    W0 = W0 / norms[:, None]
    pp, dd = W0.shape
    if average_spike:
        if pp <= dd:
            ev = np.linalg.eigvalsh(W0 @ W0.T)
        else:
            ev = np.concatenate([np.linalg.eigvalsh(W0.T @ W0), np.zeros(pp - dd)])
        ev = np.clip(ev, 0.0, None)
        ev.setflags(write=False)
        return EmpiricalSpectrum(ev, pp, dd)
    v = rng.standard_normal(dd) if v is None else np.asarray(v, dtype=float).ravel()
    if v.shape != (dd,) or not np.linalg.norm(v) > 0:
        raise InvalidParameterError("v must be a nonzero vector of length d")
    v = v * math.sqrt(dd) / np.linalg.norm(v)
    if zeta is None:
        zeta = rng.standard_normal(dd)
    zeta = np.asarray(zeta, dtype=float).ravel()
    if zeta.shape != (dd,):
        raise InvalidParameterError("zeta must be a vector of length d")
    zeta = zeta - v * (v @ zeta) / dd
    if not np.linalg.norm(zeta) > 0:
        raise InvalidParameterError("zeta must not be parallel to v")
    zeta = zeta * math.sqrt(dd) / np.linalg.norm(zeta)
    Wv = W0 @ v
    omega = W0 @ W0.T - np.outer(Wv, Wv) / dd
    D, U = np.linalg.eigh(omega)
    F = (U.T @ Wv) ** 2
    H = (U.T @ (W0 @ zeta)) ** 2
    D = np.clip(D, 0.0, None)
    for a in (D, F, H):
        a.setflags(write=False)
    return SpikeDrawSpectrum(D, F, H, pp, dd)


# ------------------------------------------------------------------------------------------------
# 4. the order-parameter equations


@dataclass(frozen=True)
class OrderParameters:
    """Order parameters of docs/theory/spiked-rf.md §3.2 and their conjugates (§3.3) at the fixed point."""

    q1: float
    q2: float
    V1: float
    V2: float
    theta: float
    psi: float
    m: float
    q1_hat: float
    q2_hat: float
    V1_hat: float
    V2_hat: float
    theta_hat: float
    psi_hat: float

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def vector(self) -> np.ndarray:
        """(q1, q2, V1, V2, θ, ψ, m): the state of the full map."""
        return np.array([self.q1, self.q2, self.V1, self.V2, self.theta, self.psi, self.m])


class _Model:
    """Equations of docs/theory/spiked-rf.md §3.3–3.6 for one (coefficients, spectrum, α_p, λ, noise): pure functions of x."""

    def __init__(self, cc: ConditionalCoefficients, spectrum, alpha_p: float, lam: float, noise2: float):
        self.cc = cc
        self.spec = spectrum
        self.ap = alpha_p
        self.lam = lam
        self.noise2 = noise2
        self.c = cc.srf.c
        w = cc.weights
        self.w = w
        self.k = cc.kappa
        self.mu0, self.mu1, self.mus = cc.mu0, cc.mu1, cc.mu_star
        self.m1sq, self.mssq = cc.mu1**2, cc.mu_star**2
        self.has_mean = float(w @ cc.mu0**2) > 1e-14 * (1.0 + float(w @ (self.m1sq + self.mssq)))

    # -- hats that depend on (V1, V2) only
    def den(self, V1, V2):
        return 1.0 + self.m1sq * V1 + self.mssq * V2

    def v_hats(self, den):
        w = self.w / den
        return self.ap * float(w @ self.m1sq), self.ap * float(w @ self.mssq), self.ap * float(w @ (self.mu1 * self.cc.h1))

    def sums(self, V1h, V2h) -> SpectralSums:
        s = self.lam + V2h
        if not (s > 0 and V1h >= 0 and math.isfinite(s) and math.isfinite(V1h)):
            raise FloatingPointError(f"spectral sums undefined at lam + V2hat = {s!r}, V1hat = {V1h!r}")
        return self.spec.sums(V1h, s, self.c)

    def v_map(self, x):
        """(V1, V2) -> (V1, V2): the closed 2-d subsystem."""
        V1h, V2h, _ = self.v_hats(self.den(x[0], x[1]))
        ss = self.sums(V1h, V2h)
        return np.array([ss.v1, ss.v2])

    def log_v_map(self, u):
        """The 2-d subsystem in log coordinates u = log V.

        Same iterates as :meth:`v_map`, but G(V) − V is not monotone in V (near interpolation
        G(V) ≈ V + const for small V), while log G(e^u) − u is: secant/Anderson steps then point the
        right way, and the residual is relative.
        """
        return np.log(self.v_map(np.exp(u)))

    def mean_channel(self, den, theta):
        """m of docs/theory/spiked-rf.md §3.5 (0 when μ0 ≡ 0, where the channel is absent)."""
        if not self.has_mean:
            return 0.0
        w = self.w / den
        return float(w @ (self.mu0 * (self.cc.h - theta * self.k * self.mu1))) / float(w @ self.mu0**2)

    def cond_error(self, q1, q2, theta, psi, m):
        """ℰ(κ) of docs/theory/spiked-rf.md §3.2 (noise-free)."""
        cc = self.cc
        g = m * self.mu0 + theta * self.k * self.mu1
        return cc.h2 - 2 * g * cc.h + g * g - 2 * self.mu1 * psi * cc.h1 + self.m1sq * q1 + self.mssq * q2

    def hats(self, x):
        q1, q2, V1, V2, theta, psi, m = x
        den = self.den(V1, V2)
        V1h, V2h, psih = self.v_hats(den)
        E = self.cond_error(q1, q2, theta, psi, m) + self.noise2
        w2 = self.w * E / den**2
        g = m * self.mu0 + theta * self.k * self.mu1
        thetah = self.ap * float((self.w / den) @ (self.k * self.mu1 * (self.cc.h - g)))
        return (self.ap * float(w2 @ self.m1sq), self.ap * float(w2 @ self.mssq), V1h, V2h, thetah, psih), den

    def overlaps(self, hats) -> tuple:
        q1h, q2h, V1h, V2h, thh, psh = hats
        ss = self.sums(V1h, V2h)
        q1 = q1h * ss.d2 + q2h * ss.d1 + thh**2 * ss.fd + psh**2 * ss.hd
        q2 = q1h * ss.d1 + q2h * ss.d0 + thh**2 * ss.f2 + psh**2 * ss.h2
        return q1, q2, ss.v1, ss.v2, thh * ss.f1, psh * ss.h1

    def full_map(self, x):
        """The authors' 7-parameter map (docs/theory/spiked-rf.md §4): hats from x, overlaps from hats, m from the old x."""
        hats, den = self.hats(x)
        q1, q2, V1, V2, th, ps = self.overlaps(hats)
        return np.array([q1, q2, V1, V2, th, ps, self.mean_channel(den, x[4])])

    def complete(self, V1, V2) -> OrderParameters:
        """Given the (V1, V2) fixed point: ψ explicit, (θ, m) and (q1, q2) 2×2 linear solves (docs/theory/spiked-rf.md §9.2)."""
        den = self.den(V1, V2)
        V1h, V2h, psih = self.v_hats(den)
        ss = self.sums(V1h, V2h)
        psi = psih * ss.h1
        w = self.w / den
        k, mu0, mu1, h = self.k, self.mu0, self.mu1, self.cc.h
        A_h, A_0, A_1 = float(w @ (k * mu1 * h)), float(w @ (k * mu1 * mu0)), float(w @ (k * k * self.m1sq))
        af = self.ap * ss.f1
        if self.has_mean:
            B_h, B_0 = float(w @ (mu0 * h)), float(w @ (mu0 * mu0))
            M = np.array([[1.0 + af * A_1, af * A_0], [A_0, B_0]])
            theta, m = np.linalg.solve(M, np.array([af * A_h, B_h]))
        else:
            theta, m = af * A_h / (1.0 + af * A_1), 0.0
        theta_hat = self.ap * (A_h - m * A_0 - theta * A_1)
        # q-system: q̂ = e + C q,  q = Dm q̂ + b
        E0 = self.cond_error(0.0, 0.0, theta, psi, m) + self.noise2
        w2 = self.w / den**2
        e = self.ap * np.array([float(w2 @ (self.m1sq * E0)), float(w2 @ (self.mssq * E0))])
        C = self.ap * np.array([
            [float(w2 @ (self.m1sq * self.m1sq)), float(w2 @ (self.m1sq * self.mssq))],
            [float(w2 @ (self.mssq * self.m1sq)), float(w2 @ (self.mssq * self.mssq))],
        ])
        Dm = np.array([[ss.d2, ss.d1], [ss.d1, ss.d0]])
        b = np.array([theta_hat**2 * ss.fd + psih**2 * ss.hd, theta_hat**2 * ss.f2 + psih**2 * ss.h2])
        A = np.eye(2) - Dm @ C
        if not np.linalg.det(A) > 1e-14:
            raise FloatingPointError("the q-equations are unstable: det(I - D C) <= 0 (variance diverges)")
        q1, q2 = np.linalg.solve(A, Dm @ e + b)
        q1h, q2h = e + C @ np.array([q1, q2])
        return OrderParameters(float(q1), float(q2), float(V1), float(V2), float(theta), float(psi), float(m),
                               float(q1h), float(q2h), V1h, V2h, float(theta_hat), psih)

    def from_vector(self, x) -> OrderParameters:
        hats, _ = self.hats(x)
        return OrderParameters(*[float(v) for v in x], *[float(v) for v in hats])

    def errors(self, op: OrderParameters) -> tuple[float, float]:
        """Test error E_κ ℰ(κ) (§3.6, noise-free teacher) and train error E_κ[(ℰ + σ_ε²)/(1 + V)²]."""
        E = self.cond_error(op.q1, op.q2, op.theta, op.psi, op.m)
        den = self.den(op.V1, op.V2)
        return float(self.w @ E), float(self.w @ ((E + self.noise2) / den**2))


# ------------------------------------------------------------------------------------------------
# 5. results and public solvers


@dataclass(frozen=True)
class SRFRisk(TheoryResult):
    """Test and train error of the sRF ridge readout, with the order parameters (docs/theory/spiked-rf.md §3).

    ``residual`` is max |G(x) − x| of the full undamped 7-parameter map at the returned order parameters;
    ``nit`` / ``nfev`` count the engine's iterations / map evaluations; ``backend`` is
    ``"asymptotic"``, ``"finite"`` or ``"finite-draw"``.
    """

    test_error: float
    train_error: float
    order_parameters: OrderParameters
    srf: SRFParameters
    converged: bool
    nit: int
    nfev: int
    residual: float
    method: str
    backend: str
    setting: GiantStep

    _SETTING = staticmethod(lambda: GiantStep)
    _NESTED = {"order_parameters": lambda d: OrderParameters(**d), "srf": lambda d: SRFParameters(**d)}


@dataclass(frozen=True)
class OptimalRidge:
    """λ* minimizing the test error over ``lam_range`` (log scale) and the result there.

    ``at_boundary`` is True when the minimum sits at an end of the range (the infimum may lie outside).
    """

    lam: float
    test_error: float
    result: SRFRisk
    at_boundary: bool

    def to_dict(self) -> dict:
        return {"lam": self.lam, "test_error": self.test_error, "at_boundary": self.at_boundary,
                "result": self.result.to_dict()}


_BACKENDS = ("asymptotic", "finite")


def _resolve_spectrum(setting: GiantStep, backend: str, spectrum, d, rng, average_spike, W0):
    if not (isinstance(backend, str) and backend in _BACKENDS):
        raise InvalidParameterError(f"backend must be 'asymptotic' or 'finite', got {backend!r}")
    if spectrum is not None and not isinstance(spectrum, (MarchenkoPasturSpectrum, EmpiricalSpectrum, SpikeDrawSpectrum)):
        raise InvalidParameterError(f"spectrum must be a spectral back-end of asymptotics.spiked_rf.theory, got {type(spectrum).__name__}")
    if spectrum is not None:
        sp = spectrum
    elif backend == "asymptotic":
        if d is not None or W0 is not None:
            raise InvalidParameterError("d / W0 are only used by backend='finite'")
        return MarchenkoPasturSpectrum(setting.width_ratio)
    elif backend == "finite":
        if W0 is None:
            if d is None:
                raise InvalidParameterError("backend='finite' needs d (or W0, or a spectrum)")
            if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 2:
                raise InvalidParameterError(f"d must be an integer >= 2, got {d!r}")
            p = int(round(setting.width_ratio * d))
            sp = finite_spectrum(p=max(p, 2), d=int(d), rng=rng, average_spike=average_spike)
        else:
            sp = finite_spectrum(W0, rng=rng, average_spike=average_spike)
    else:
        raise InvalidParameterError(f"backend must be 'asymptotic' or 'finite', got {backend!r}")
    if not isinstance(sp, MarchenkoPasturSpectrum):
        if abs(sp.p - setting.width_ratio * sp.d) > 0.5 + 1e-9:
            raise InvalidParameterError(
                f"the spectrum has p/d = {sp.p}/{sp.d}, inconsistent with width_ratio = {setting.width_ratio}"
            )
    elif abs(sp.width_ratio - setting.width_ratio) > 1e-12 * setting.width_ratio:
        raise InvalidParameterError("the Marchenko-Pastur spectrum's width_ratio differs from the setting's")
    return sp


_SOLVERS = ("reduced", "full")


def _solve(setting: GiantStep, model: _Model, srf: SRFParameters, *, solver, method, tol, maxiter,
           initial, raise_on_failure, solver_options) -> SRFRisk:
    opts = {"damping": 0.5}
    if solver_options is not None and not isinstance(solver_options, dict):
        raise InvalidParameterError(f"solver_options must be a dict, got {solver_options!r}")
    opts.update(solver_options or {})
    if initial is not None:
        initial = check_float_array("initial", initial, "warm start (q1, q2, V1, V2, theta, psi, m)")
        if initial.shape != (7,):
            raise InvalidParameterError(f"initial must hold the 7 order parameters, got shape {initial.shape}")
    for bad in ("positive", "raise_on_failure", "method", "tol", "maxiter"):
        if bad in opts:
            raise InvalidParameterError(f"solver_options may not set {bad!r}")
    backend = model.spec.name

    def fail(msg, fp=None, op=None):
        nan_op = op or OrderParameters(*([math.nan] * 13))
        res = SRFRisk(math.nan, math.nan, nan_op, srf, False, fp.nit if fp else 0, fp.nfev if fp else 0,
                      fp.residual if fp else math.inf, fp.method if fp else method, backend, setting)
        if raise_on_failure:
            raise ConvergenceError(f"sRF order parameters for {setting.to_dict()}: {msg}", res)
        return res

    fp = None
    try:
        if solver == "reduced":
            x0 = np.asarray(initial, dtype=float)[2:4] if initial is not None else model.v_map(np.zeros(2))
            if not np.all(x0 > 0):
                x0 = model.v_map(np.zeros(2))
            fp = solve_fixed_point(model.log_v_map, np.log(x0), method=method, tol=tol, maxiter=maxiter,
                                   raise_on_failure=False, **opts)
            if not fp.converged:
                return fail(fp.message, fp)
            op = model.complete(*np.exp(fp.x))
        else:
            if initial is not None:
                x0 = np.asarray(initial, dtype=float)
            else:
                V = model.v_map(np.zeros(2))
                x0 = np.array([0.1, 0.2, V[0], V[1], 0.5, 0.5, 1.5 if model.has_mean else 0.0])
            fp = solve_fixed_point(model.full_map, x0, method=method, tol=tol, maxiter=maxiter,
                                   positive=[False, False, True, True, False, False, False],
                                   raise_on_failure=False, **opts)
            if not fp.converged:
                return fail(fp.message, fp)
            op = model.from_vector(fp.x)
        x = op.vector()
        full_res = float(np.max(np.abs(model.full_map(x) - x)))
        test, train = model.errors(op)
    except (FloatingPointError, OverflowError, ZeroDivisionError, np.linalg.LinAlgError) as exc:
        return fail(f"{type(exc).__name__}: {exc}", fp)
    values = np.concatenate([x, [test, train]])
    if not np.all(np.isfinite(values)):
        return fail("non-finite order parameters or errors", fp, op)
    ok = full_res <= max(1e3 * tol, 1e-7) * max(1.0, float(np.max(np.abs(x))))
    if not ok:
        return fail(f"the full map residual {full_res:.3e} is not small at the solution", fp, op)
    return SRFRisk(test, train, op, srf, True, fp.nit, fp.nfev, full_res, fp.method, backend, setting)


def _model(setting: GiantStep, srf: SRFParameters, spectrum, nodes: int) -> _Model:
    cc = conditional_coefficients(setting.student, setting.teacher, srf, nodes)
    if setting.lam == 0 and float(np.max(cc.mu_star)) ** 2 < 1e-12 * max(1.0, float(np.max(cc.mu1)) ** 2):
        raise InvalidParameterError(
            "lam = 0 with a linear student (mu_star = 0): the ridgeless sRF equations are singular; use lam > 0"
        )
    if setting.lam == 0 and setting.alpha <= setting.width_ratio:
        raise InvalidParameterError(
            f"lam = 0 with n <= p (alpha = {setting.alpha} <= width_ratio = {setting.width_ratio}): the ridgeless "
            "readout interpolates and the variances V1, V2 diverge; use a small lam > 0"
        )
    return _Model(cc, spectrum, setting.alpha / setting.width_ratio, setting.lam, setting.noise**2)


def srf_risk(
    setting: GiantStep,
    *,
    srf=None,
    formula: str = "corrected",
    backend: str = "asymptotic",
    d: int | None = None,
    rng=None,
    W0=None,
    spectrum=None,
    average_spike: bool = True,
    nodes: int = DEFAULT_KAPPA_NODES,
    solver: str = "reduced",
    method: str = "anderson",
    tol: float = 1e-10,
    maxiter: int = 2000,
    initial=None,
    raise_on_failure: bool = True,
    solver_options: dict | None = None,
) -> SRFRisk:
    """Asymptotic test and train error of ridge on the sRF features (docs/theory/spiked-rf.md §3).

    Parameters
    ----------
    setting : GiantStep
        Activations, α0, η̃, α = n/d, p/d, λ, noise.
    srf : SRFParameters, dict or (r, c, γ), optional
        Use these sRF parameters instead of :func:`srf_parameters` (e.g. measured from a network).
    formula : {"corrected", "code"}
        Passed to :func:`srf_parameters` when ``srf`` is not given.
    backend : {"asymptotic", "finite"}
        Large-d Marchenko–Pastur closed forms (§3.7) or a finite-d spectrum (§3.1) sampled with
        ``rng`` at dimension ``d`` (p = round(width_ratio·d)) or computed from a given ``W0``;
        ``average_spike`` selects spike-averaged (default) or single-draw F, H (see :func:`finite_spectrum`).
    spectrum : optional
        A ready spectral back-end (:class:`MarchenkoPasturSpectrum`, :class:`EmpiricalSpectrum`,
        :class:`SpikeDrawSpectrum`), e.g. to reuse one sampled W0 across calls.
    nodes : int
        κ nodes of the Gauss–Hermite rule.
    solver : {"reduced", "full"}
        Closed (V1, V2) system + linear solves (default), or the authors' 7-parameter map.
    method, tol, maxiter : see :func:`asymptotics.fixed_point.solve_fixed_point`.
    initial : array_like, optional
        Warm start (q1, q2, V1, V2, θ, ψ, m), e.g. ``previous.order_parameters.vector()``.
    raise_on_failure : bool
        Raise :class:`~asymptotics.errors.ConvergenceError` (carrying a non-converged :class:`SRFRisk`)
        instead of returning it.
    solver_options : dict, optional
        Further options of :func:`~asymptotics.fixed_point.solve_fixed_point` (``damping``, default
        0.5; ``adaptive``; ``memory``; ``fallback``), e.g. ``{"damping": 0.5, "adaptive": False}`` with
        ``solver="full", method="damped"`` is the authors' scheme (docs/theory/spiked-rf.md §4).

    Returns
    -------
    SRFRisk

    >>> s = GiantStep("tanh", "tanh", alpha0=0.5, eta_tilde=1, alpha=0.5, lam=0.01)
    >>> round(srf_risk(s).test_error, 4)          # docs/theory/spiked-rf.md §9.1: large-d limit 0.2994
    0.2994
    """
    if not (isinstance(solver, str) and solver in _SOLVERS):
        raise InvalidParameterError(f"solver must be one of {_SOLVERS}, got {solver!r}")
    if not isinstance(setting, GiantStep):
        raise InvalidParameterError(f"setting must be a GiantStep, got {type(setting).__name__}")
    p = srf_parameters(setting, formula) if srf is None else _as_srf(srf)
    sp = _resolve_spectrum(setting, backend, spectrum, d, rng, average_spike, W0)
    model = _model(setting, p, sp, nodes)
    return _solve(setting, model, p, solver=solver, method=method, tol=tol, maxiter=maxiter,
                  initial=initial, raise_on_failure=raise_on_failure, solver_options=solver_options)


def srf_curve(
    setting: GiantStep,
    parameter: str,
    values: Iterable[float],
    **options,
) -> tuple[SRFRisk, ...]:
    """:func:`srf_risk` along a sweep of one parameter with continuation (warm start, docs/theory/spiked-rf.md §4).

    ``parameter`` is one of :data:`SWEEP_PARAMETERS`.  The conditional-GE coefficients are computed
    once when (r, c, γ) does not change (α, λ sweeps) and a finite-d spectrum is sampled once unless
    the width ratio is swept.  Each point starts from the previous solution; if that fails, it is
    retried from the default start.  Options are those of :func:`srf_risk`.

    >>> s = GiantStep("tanh", "sin", alpha0=20, eta_tilde=3, alpha=0.2, lam=0.1)
    >>> [round(r.test_error, 3) for r in srf_curve(s, "alpha", [0.2, 1.6, 3.0])]
    [0.048, 0.037, 0.033]
    """
    if not (isinstance(parameter, str) and parameter in SWEEP_PARAMETERS):
        raise InvalidParameterError(f"cannot sweep {parameter!r}; choose one of {', '.join(SWEEP_PARAMETERS)}")
    if options.get("srf") is not None and parameter in ("alpha0", "eta_tilde"):
        raise InvalidParameterError(f"sweeping {parameter} has no effect when srf is given explicitly")
    if not isinstance(setting, GiantStep):
        raise InvalidParameterError(f"setting must be a GiantStep, got {type(setting).__name__}")
    if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
        raise InvalidParameterError(f"values must be a sequence of {parameter} values, got {values!r}")
    raise_on_failure = options.pop("raise_on_failure", True)
    initial = options.pop("initial", None)
    if parameter != "width_ratio" and options.get("spectrum") is None:
        options["spectrum"] = _resolve_spectrum(
            setting, options.get("backend", "asymptotic"), None, options.pop("d", None), options.pop("rng", None),
            options.get("average_spike", True), options.pop("W0", None),
        )
    out = []
    for v in values:
        s = setting.replace(**{parameter: v})
        r = srf_risk(s, initial=initial, raise_on_failure=False, **options)
        if not r.converged and initial is not None:
            r = srf_risk(s, raise_on_failure=False, **options)
        if not r.converged and raise_on_failure:
            raise ConvergenceError(f"sRF curve failed at {parameter} = {v!r}", r)
        if r.converged:
            initial = r.order_parameters.vector()
        out.append(r)
    return tuple(out)


def optimal_ridge(
    setting: GiantStep,
    *,
    lam_range: Sequence[float] = (1e-5, 1e2),
    grid: int = 15,
    xtol: float = 1e-3,
    **options,
) -> OptimalRidge:
    """λ* = argmin_λ test error over ``lam_range`` and the error there (docs/theory/spiked-rf.md §3.6, issue 3 §2).

    A log-spaced grid of ``grid`` values (solved with continuation) brackets the minimum, which bounded
    Brent then polishes in log10 λ to ``xtol``.  Options are those of :func:`srf_risk`.

    >>> opt = optimal_ridge(GiantStep("tanh", "tanh", alpha0=0.5, eta_tilde=1, alpha=1.0, lam=0.01))
    >>> opt.test_error <= srf_risk(opt.result.setting.replace(lam=0.01)).test_error
    True
    """
    if not isinstance(setting, GiantStep):
        raise InvalidParameterError(f"setting must be a GiantStep, got {type(setting).__name__}")
    try:
        lo_raw, hi_raw = lam_range
    except (TypeError, ValueError):
        raise InvalidParameterError(f"lam_range must be a pair (lo, hi), got {lam_range!r}") from None
    lo = check_range("lam_range[0]", lo_raw, *RIDGE_RANGE, "the smallest ridge")
    hi = check_range("lam_range[1]", hi_raw, *RIDGE_RANGE, "the largest ridge")
    xtol = check_range("xtol", xtol, 1e-12, 10.0, "the tolerance in log10(lam)")
    if not lo < hi:
        raise InvalidParameterError(f"lam_range must be increasing, got {lam_range!r}")
    if isinstance(grid, bool) or not isinstance(grid, (int, np.integer)) or not 3 <= grid <= 1000:
        raise InvalidParameterError(f"grid must be an integer in [3, 1000], got {grid!r}")
    if options.get("spectrum") is None:
        options["spectrum"] = _resolve_spectrum(
            setting, options.pop("backend", "asymptotic"), None, options.pop("d", None), options.pop("rng", None),
            options.get("average_spike", True), options.pop("W0", None),
        )
    lams = np.logspace(math.log10(lo), math.log10(hi), int(grid))
    curve = srf_curve(setting, "lam", lams, **options)
    errs = np.array([r.test_error for r in curve])
    i = int(np.argmin(errs))
    best = curve[i]
    if 0 < i < len(lams) - 1:
        cache = {}

        def f(t):
            r = srf_risk(setting.replace(lam=10.0**t), initial=best.order_parameters.vector(), **options)
            cache[t] = r
            return r.test_error

        res = optimize.minimize_scalar(f, bounds=(math.log10(lams[i - 1]), math.log10(lams[i + 1])),
                                       method="bounded", options={"xatol": xtol})
        cand = cache.get(res.x) or srf_risk(setting.replace(lam=10.0**res.x), **options)
        if cand.test_error <= best.test_error:
            best = cand
    return OptimalRidge(best.setting.lam, best.test_error, best, at_boundary=i in (0, len(lams) - 1))
