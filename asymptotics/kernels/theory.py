"""Dot-product kernels of two-layer networks and kernel ridge regression (KRR) on the sphere.

docs/theory/kernels.md §6.  Inputs x ~ Unif(S^{d−1}(√d)), kernel K(x, x') = h(⟨x, x'⟩/d), predictor
f̂(x) = K(x, X)(K + λ I_n)^{-1} y with y = f*(x) + ε, Var ε = σ_ε² (``noise`` = σ_ε, the std, as in
:class:`asymptotics.settings.OneStep`).

Kernels (§6.6).  With orthonormal Hermite coefficients ĉ_k = E[σ(G) He_k(G)]/√(k!) (package convention,
docs/conventions.md) — some references write the raw c_k = E[σ He_k] = √(k!) ĉ_k — and w ~ N(0, I_d/d):

    RF / NNGP (second layer):  h_RF(ρ) = E[σ(u)σ(v)]   = Σ_k c_k²/k! ρ^k     = Σ_k ĉ_k² ρ^k,
    first-layer NTK:           h_NT(ρ) = ρ E[σ'(u)σ'(v)] = Σ_k c_k²/(k−1)! ρ^k = Σ_k k ĉ_k² ρ^k,
    both layers, equal steps:  h(ρ) = d·h_NT(ρ) + h_RF(ρ),

(u, v) standard Gaussians with correlation ρ.  Closed forms where they exist (ReLU arc-cosine
kernels, erf, abs, sign, linear, He_k); otherwise h(ρ) is a two-dimensional Gaussian expectation.

KRR theory:

* :func:`krr_risk` — finite-d deterministic equivalent (§6.4, [R] validated [S]), through the
  package's single effective-ridge solver :func:`asymptotics.ridge.solve_effective_ridge` and
  :func:`asymptotics.ridge.ridge_errors`;
* :func:`krr_transition` — the asymptotic closed form at n = ψ B(d, ℓ) (§6.3, [R]);
* :func:`krr_staircase` — the staircase ‖P_{>⌊log n / log d⌋} f*‖² (§6.2).

>>> s = KernelRidge(kernel="ntk", activation="relu", d=40, n=1600, lam=0.0, noise=0.5,
...                 target={1: 1.0, 2: 1.0, 3: 0.25, 4: 0.25})
>>> round(krr_risk(s).test_error, 2)        # docs/theory/kernels.md §6.7: simulation 0.91, deterministic equivalent 0.91
0.91
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Mapping, Sequence

import numpy as np
from scipy import special

from ..activations import Activation, get_activation
from ..errors import ActivationError, InvalidParameterError
from ..gaussian import bivariate_gaussian_expectation, gauss_hermite_rule, gaussian_expectation_panels
from ..gegenbauer import (
    GegenbauerCoefficients,
    gegenbauer_coefficients,
    gegenbauer_from_taylor,
    log_harmonic_dimension,
    sphere_marginal_rule,
    gegenbauer_polynomials,
)
from ..hermite import activation_breakpoints, activation_is_smooth, hermite_coefficients
from ..results import TheoryResult
from ..ridge import ridge_errors, solve_effective_ridge
from ..settings import (KERNEL_KINDS, KernelRidge, TargetProfile, check_float_array, check_nonnegative,
                        check_positive, check_range)
from ..spectra import mp_stieltjes, mp_stieltjes_derivative

__all__ = [
    "KERNEL_KINDS",
    "DotProductKernel",
    "dot_product_kernel",
    "kernel_gegenbauer",
    "TargetProfile",
    "parse_target",
    "target_profile",
    "KernelRidge",
    "KRRRisk",
    "krr_equivalent",
    "krr_risk",
    "krr_curve",
    "SWEEP_PARAMETERS",
    "KRRTransition",
    "krr_transition",
    "krr_staircase",
]

#: Extra Taylor terms beyond the requested Gegenbauer order in the series route: γ_{j,k} decays at
#: least like 2^{-(j−k)/2}, so 120 more terms put the truncation below 1e-18 · h(1).
_SERIES_EXTRA = 120
_TWO_PI = 2.0 * math.pi


# --------------------------------------------------------------------------------------------
# closed forms (docs/theory/kernels.md §6.6)


def _acos(r):
    return np.arccos(np.clip(r, -1.0, 1.0))


def _sqrt1m(r):
    return np.sqrt(np.clip(1.0 - r * r, 0.0, None))


# name -> (h_RF, E[σ'(u)σ'(v)])
_CLOSED = {
    "relu": (lambda r: (_sqrt1m(r) + (math.pi - _acos(r)) * r) / _TWO_PI,
             lambda r: (math.pi - _acos(r)) / _TWO_PI),
    "linear": (lambda r: r * 1.0, lambda r: np.ones_like(r)),
    "erf": (lambda r: 2 / math.pi * np.arcsin(np.clip(2 * r / 3, -1, 1)),
            lambda r: 4 / math.pi / np.sqrt(9 - 4 * r * r)),
    "abs": (lambda r: 2 / math.pi * (_sqrt1m(r) + r * np.arcsin(np.clip(r, -1, 1))),
            lambda r: 2 / math.pi * np.arcsin(np.clip(r, -1, 1))),
    "sign": (lambda r: 2 / math.pi * np.arcsin(np.clip(r, -1, 1)), None),
}
for _k in range(1, 7):
    _CLOSED[f"he{_k}"] = (lambda r, k=_k: r**k, lambda r, k=_k: k * r ** (k - 1))


def _relu_taylor(kind: str, order: int) -> np.ndarray:
    """Exact Taylor coefficients of the ReLU kernels (§6.6): c_{2i+2} = (−1)^i (2i−1)!!/√(2π)."""
    a = np.zeros(order + 1)
    if order >= 1:
        a[1] = 0.25
    if kind == "rf":
        a[0] = 1.0 / _TWO_PI
    i = np.arange(0, max(0, (order - 2) // 2 + 1))
    j = 2 * i + 2
    log_df = special.gammaln(2 * i + 1) - i * math.log(2.0) - special.gammaln(i + 1)   # (2i−1)!!
    log_a = 2 * log_df - math.log(_TWO_PI) - special.gammaln(j + 1)    # ĉ_j² = c_j²/j!
    if kind == "ntk":
        log_a += np.log(j)
    a[j] = np.exp(log_a)
    return a


def _jump_points(act: Activation) -> list:
    out = []
    for b in activation_breakpoints(act):
        eps = 1e-9 * max(1.0, abs(b))
        with np.errstate(all="ignore"):
            lo, hi = act.fn(np.array([b - eps, b + eps]))
        if not abs(hi - lo) < 1e-6:
            out.append(b)
    return out


# --------------------------------------------------------------------------------------------
# kernels


@dataclass(frozen=True)
class DotProductKernel:
    """h(ρ) for a two-layer network with activation σ (docs/theory/kernels.md §6.6).

    Attributes
    ----------
    kind : {"rf", "ntk", "both"}
        ``"rf"``: h_RF = Σ ĉ_k² ρ^k (second layer / NNGP); ``"ntk"``: h_NT = Σ k ĉ_k² ρ^k (first layer,
        normalized by d); ``"both"``: ``ntk_weight``·h_NT + h_RF (both layers with equal step sizes:
        ``ntk_weight`` = d).
    activation : Activation
    ntk_weight : float
        Weight of h_NT in the ``"both"`` kernel (ignored otherwise).

    >>> k = dot_product_kernel("relu", "ntk")
    >>> float(k(1.0)), float(k(0.0)), [round(float(a), 6) for a in k.taylor(3)]
    (0.5, 0.0, [0.0, 0.25, 0.159155, 0.0])
    """

    kind: str
    activation: Activation
    ntk_weight: float = 0.0

    def __post_init__(self):
        if not (isinstance(self.kind, str) and self.kind in KERNEL_KINDS):
            raise InvalidParameterError(f"kernel kind must be one of {', '.join(KERNEL_KINDS)}, got {self.kind!r}")
        object.__setattr__(self, "activation", get_activation(self.activation))
        if self.kind == "both":
            object.__setattr__(self, "ntk_weight", check_positive("ntk_weight", self.ntk_weight,
                                                                  "weight d of the first-layer NTK"))
        else:
            object.__setattr__(self, "ntk_weight", 0.0)
        if self.kind != "rf" and _jump_points(self.activation):
            raise ActivationError(
                f"the first-layer NTK of {self.activation.name!r} is infinite on the diagonal: σ jumps at "
                f"{_jump_points(self.activation)} so σ' contains a Dirac mass; use kind='rf'"
            )

    @property
    def name(self) -> str:
        w = f"(w={self.ntk_weight:g})" if self.kind == "both" else ""
        return f"{self.kind}{w}:{self.activation.name}"

    # -- evaluation -------------------------------------------------------------------------
    def _parts(self, rho: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        act = self.activation
        need_rf = self.kind in ("rf", "both")
        need_nt = self.kind in ("ntk", "both")
        closed = _CLOSED.get(act.name)
        rf = nt = None
        if closed is not None:
            if need_rf:
                rf = closed[0](rho)
            if need_nt:
                nt = rho * closed[1](rho)
            return rf, nt
        if rho.size > _DIRECT_MAX:
            # large arrays (Gram matrices): Chebyshev interpolant in θ = arccos ρ, built once
            return _interpolant(self)(rho)
        if activation_is_smooth(act):  # no kink / jump: tensor Gauss–Hermite is accurate
            # tensor Gauss–Hermite: entire / analytic integrands, vectorized over ρ in chunks
            x, w = gauss_hermite_rule(120)
            u = x[:, None, None]
            W = (w[:, None] * w[None, :])[..., None]
            flat = rho.ravel()
            rf_out, nt_out = np.empty(flat.size), np.empty(flat.size)
            fu, du = act.fn(u), act.derivative(u)
            for i in range(0, flat.size, 64):
                r = flat[i : i + 64][None, None, :]
                v = r * u + _sqrt1m(r) * x[None, :, None]
                if need_rf:
                    rf_out[i : i + 64] = np.sum(W * fu * act.fn(v), axis=(0, 1))
                if need_nt:
                    nt_out[i : i + 64] = np.sum(W * du * act.derivative(v), axis=(0, 1))
            if need_rf:
                rf = rf_out.reshape(rho.shape)
            if need_nt:
                nt = rho * nt_out.reshape(rho.shape)
            return rf, nt
        bps = activation_breakpoints(act)
        flat = rho.ravel()
        if need_rf:
            rf = np.array([bivariate_gaussian_expectation(act.fn, act.fn, r, f_breakpoints=bps, g_breakpoints=bps)
                           for r in flat]).reshape(rho.shape)
        if need_nt:
            e = np.array([bivariate_gaussian_expectation(act.derivative, act.derivative, r,
                                                         f_breakpoints=bps, g_breakpoints=bps)
                          for r in flat]).reshape(rho.shape)
            nt = rho * e
        return rf, nt

    def __call__(self, rho):
        """h(ρ) for ρ ∈ [−1, 1] (array or scalar): closed form, else 2-D Gaussian quadrature (§6.6)."""
        r = np.asarray(rho, dtype=float)
        if not np.all(np.isfinite(r)) or np.any(np.abs(r) > 1 + 1e-12):
            raise InvalidParameterError("the kernel is defined for correlations rho in [-1, 1]")
        r = np.clip(r, -1.0, 1.0)
        rf, nt = self._parts(r)
        if self.kind == "rf":
            out = rf
        elif self.kind == "ntk":
            out = nt
        else:
            out = self.ntk_weight * nt + rf
        out = np.asarray(out, dtype=float)
        return out[()] if out.ndim == 0 else out

    @property
    def h1(self) -> float:
        """h(1): E σ(G)² (RF), E σ'(G)² (NTK), Σ of both (trace of the kernel operator)."""
        return _h1(self)

    def taylor(self, order: int) -> np.ndarray:
        """Taylor coefficients a_0..a_order of h (= ξ_k(∞)): ĉ_k² (RF), k ĉ_k² (NTK) (docs/theory/kernels.md §6.6)."""
        if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 0:
            raise InvalidParameterError(f"order must be a non-negative integer, got {order!r}")
        return _taylor(self, int(order)).copy()

    def gegenbauer(self, d, order: int, method: str = "auto") -> GegenbauerCoefficients:
        """ξ_0..ξ_order at dimension d (``d = inf`` for the Taylor limit); see :func:`kernel_gegenbauer`."""
        return kernel_gegenbauer(self, d, order, method)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "activation": self.activation.name, "ntk_weight": self.ntk_weight,
                "h1": self.h1}


#: Above this many points, kernels without a closed form are evaluated through the interpolant.
_DIRECT_MAX = 256
#: Chebyshev nodes (in θ = arccos ρ) of that interpolant.
_INTERP_NODES = 129


@lru_cache(maxsize=64)
def _interpolant(kernel: DotProductKernel):
    """(h_RF, h_NT) parts as Chebyshev interpolants in θ = arccos ρ ∈ [0, π].

    Arc-cosine-type singularities √(1 − ρ²) are analytic in θ, so the interpolant converges
    geometrically; checked against direct evaluation at the interval midpoints (error ≲ 1e-12 for
    the registry)."""
    N = _INTERP_NODES
    theta = np.pi * (1 - np.cos(np.pi * np.arange(N) / (N - 1))) / 2      # Chebyshev–Lobatto in θ
    rf, nt = kernel._parts(np.cos(theta))
    weights = np.ones(N)
    weights[1::2] = -1.0
    weights[[0, -1]] *= 0.5

    def bary(vals, th):
        diff = th[..., None] - theta
        exact = np.isclose(diff, 0.0, atol=1e-15, rtol=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            c = weights / diff
            out = (c @ vals) / c.sum(axis=-1)
        hit = exact.any(axis=-1)
        if np.any(hit):
            out[hit] = vals[np.argmax(exact[hit], axis=-1)]
        return out

    def evaluate(rho):
        th = np.arccos(np.clip(rho, -1.0, 1.0)).ravel()
        out_rf = out_nt = None
        chunk = 1 << 14
        if rf is not None:
            out_rf = np.concatenate([bary(rf, th[i : i + chunk]) for i in range(0, th.size, chunk)]).reshape(rho.shape)
        if nt is not None:
            out_nt = np.concatenate([bary(nt, th[i : i + chunk]) for i in range(0, th.size, chunk)]).reshape(rho.shape)
        return out_rf, out_nt

    return evaluate


@lru_cache(maxsize=128)
def _taylor(kernel: DotProductKernel, order: int) -> np.ndarray:
    act = kernel.activation
    if act.name == "relu":
        rf, nt = _relu_taylor("rf", order), _relu_taylor("ntk", order)
    else:
        c = np.asarray(hermite_coefficients(act, order).coefficients)
        rf = c * c
        nt = np.arange(order + 1) * rf
    out = {"rf": rf, "ntk": nt}.get(kernel.kind)
    if out is None:
        out = kernel.ntk_weight * nt + rf
    out.setflags(write=False)
    return out


@lru_cache(maxsize=128)
def _h1(kernel: DotProductKernel) -> float:
    act = kernel.activation
    closed = _CLOSED.get(act.name)
    if closed is not None:
        rf = float(closed[0](np.array(1.0)))
        nt = float(closed[1](np.array(1.0))) if closed[1] is not None else math.inf
    else:
        bps = activation_breakpoints(act)
        rf = gaussian_expectation_panels(lambda x: act.fn(x) ** 2, bps)
        nt = gaussian_expectation_panels(lambda x: act.derivative(x) ** 2, bps) if kernel.kind != "rf" else math.inf
    return {"rf": rf, "ntk": nt}.get(kernel.kind, kernel.ntk_weight * nt + rf)


def dot_product_kernel(activation, kind: str = "ntk", d: float | None = None) -> DotProductKernel:
    """The kernel of a two-layer network with this activation (docs/theory/kernels.md §6.6).

    ``kind`` = ``"rf"`` | ``"ntk"`` | ``"both"``; ``"both"`` needs ``d`` (h = d·h_NT + h_RF).

    >>> round(float(dot_product_kernel("relu", "rf")(0.0)), 12)    # 1/(2π)
    0.159154943092
    >>> float(dot_product_kernel("relu", "both", d=10)(1.0))       # 10·1/2 + 1/2
    5.5
    """
    if isinstance(kind, str) and kind == "both":
        if d is None:
            raise InvalidParameterError("kind='both' needs the dimension d (h = d*h_NT + h_RF)")
        return DotProductKernel("both", activation, d)
    return DotProductKernel(kind, activation)


@lru_cache(maxsize=256)
def _kernel_gegenbauer(kernel: DotProductKernel, d: float, order: int, method: str) -> GegenbauerCoefficients:
    h1 = kernel.h1
    if method == "series" or d == math.inf:
        a = _taylor(kernel, order + _SERIES_EXTRA)
        return gegenbauer_from_taylor(a, d, order, h1=h1, kernel=kernel.name)
    return gegenbauer_coefficients(kernel, int(d), order, h1=h1, kernel=kernel.name)


def kernel_gegenbauer(kernel: DotProductKernel, d, order: int, method: str = "auto") -> GegenbauerCoefficients:
    """Gegenbauer coefficients ξ_k(d), k = 0..order, of an activation kernel (docs/theory/kernels.md §6.1, §6.6).

    ``method``: ``"series"`` (exact positive series on the Taylor coefficients, no cancellation at any
    d; the default ``"auto"``), or ``"quadrature"`` (direct projection of h(t), integer d only).
    ``d = math.inf`` gives the Taylor limit ξ_k(∞) = h^{(k)}(0)/k!.  Cached per (kernel, d, order).

    >>> g = kernel_gegenbauer(dot_product_kernel("relu", "ntk"), 40, 6)
    >>> [round(x, 5) + 0.0 for x in g.xi]       # docs/theory/kernels.md §6.6 (table), d = 40
    [0.00403, 0.25, 0.159, 0.0, 0.02686, 0.0, 0.01225]
    """
    if not isinstance(kernel, DotProductKernel):
        raise InvalidParameterError(f"kernel must be a DotProductKernel, got {type(kernel).__name__}")
    if not (isinstance(method, str) and method in ("auto", "series", "quadrature")):
        raise InvalidParameterError(f"method must be 'auto', 'series' or 'quadrature', got {method!r}")
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 0:
        raise InvalidParameterError(f"order must be a non-negative integer, got {order!r}")
    try:
        d = float(d)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"dimension d must be a number >= 3 or inf, got {d!r}") from None
    if not (d >= 3):
        raise InvalidParameterError(f"dimension d must be >= 3 (or inf), got {d!r}")
    if method == "quadrature" and not (math.isfinite(d) and d.is_integer()):
        raise InvalidParameterError(f"the quadrature route needs an integer d, got {d!r}")
    return _kernel_gegenbauer(kernel, d, int(order), "series" if method == "auto" else method)


# --------------------------------------------------------------------------------------------
# targets


def parse_target(spec) -> TargetProfile:
    """A degree profile from ``"k:F2,k:F2,..."``, a mapping {k: F2}, pairs, or a :class:`TargetProfile`.

    >>> parse_target("1:1, 2:1, 3:0.25").F2
    (0.0, 1.0, 1.0, 0.25)
    """
    if isinstance(spec, TargetProfile):
        return spec
    if isinstance(spec, str):
        items = []
        for part in filter(None, (p.strip() for p in spec.split(","))):
            m = re.fullmatch(r"(\d+)\s*:\s*(\S+)", part)
            if not m:
                raise InvalidParameterError(f"target must look like 'k:F2,k:F2,...', cannot read {part!r}")
            items.append((int(m.group(1)), m.group(2)))
        src = spec
    elif isinstance(spec, Mapping):
        items, src = list(spec.items()), ""
    else:
        try:
            items, src = [tuple(p) for p in spec], ""
        except TypeError:
            raise InvalidParameterError(f"cannot read a target profile from {spec!r}") from None
    if not items:
        raise InvalidParameterError("the target profile is empty")
    prof: dict[int, float] = {}
    for k, v in items:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise InvalidParameterError(f"target degrees must be non-negative integers, got {k!r}")
        if int(k) in prof:
            raise InvalidParameterError(f"degree {k} appears twice in the target profile")
        prof[int(k)] = check_nonnegative(f"F2[{k}]", v, "squared norm of the degree-k part")
    F2 = np.zeros(max(prof) + 1)
    for k, v in prof.items():
        F2[k] = v
    return TargetProfile(tuple(float(v) for v in F2), 0.0, src or ",".join(f"{k}:{v:g}" for k, v in sorted(prof.items())))


def target_profile(g, d, order: int = 12) -> TargetProfile:
    """Degree profile of the single-index target f*(x) = g(⟨β, x⟩), ‖β‖ = 1, x ~ Unif(S^{d−1}(√d)).

    Funk–Hecke: P_k f* = B(d, k) E_t[g(√d t) P_k(t)] · P_k(⟨β, x⟩/√d), so
    F_k² = B(d, k) (E_t[g(√d t) P_k(t)])² (docs/theory/kernels.md §6.1, our application).  For ``d = inf``,
    ⟨β, x⟩ → N(0, 1) and F_k² = ĉ_k², the orthonormal Hermite coefficients of g.
    ``g``: activation name / expression (see :func:`asymptotics.activations.get_activation`).

    >>> p = target_profile("he2", 20, 4)   # (s² − 1)/√2, E s² = 1, E s⁴ = 3d/(d+2): F_2² = (d−1)/(d+2)
    >>> [round(v, 6) for v in p.F2]
    [0.0, 0.0, 0.863636, 0.0, 0.0]
    """
    act = get_activation(g)
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 0:
        raise InvalidParameterError(f"order must be a non-negative integer, got {order!r}")
    if d == math.inf:
        c = np.asarray(hermite_coefficients(act, order).coefficients)
        bps = activation_breakpoints(act)
        norm2 = gaussian_expectation_panels(lambda x: act.fn(x) ** 2, bps)
        F2 = c * c
        return TargetProfile(tuple(float(v) for v in F2), max(0.0, norm2 - float(F2.sum())), f"{act.name} (d=inf)")
    try:
        d_ok = float(d).is_integer() and d >= 3
    except (TypeError, ValueError):
        d_ok = False
    if not d_ok:
        raise InvalidParameterError(f"dimension d must be an integer >= 3 or inf, got {d!r}")
    d = int(d)
    t, w = sphere_marginal_rule(d, 64, 24)
    gv = np.asarray(act.fn(math.sqrt(d) * t), dtype=float)
    if not np.all(np.isfinite(gv)):
        raise ActivationError(f"target {act.name!r} is not finite on the sphere")
    P = gegenbauer_polynomials(t, d, order)
    proj = P @ (w * gv)
    B = np.exp(np.atleast_1d(log_harmonic_dimension(d, np.arange(order + 1))))
    F2 = B * proj * proj
    norm2 = float(w @ (gv * gv))
    return TargetProfile(tuple(float(v) for v in F2), max(0.0, norm2 - float(F2.sum())), f"{act.name} (d={d})")


# --------------------------------------------------------------------------------------------
# finite-d deterministic equivalent (§6.4)


@dataclass(frozen=True)
class KRRRisk(TheoryResult):
    """Deterministic equivalent of KRR test / train error at one n (docs/theory/kernels.md §6.4).

    Attributes
    ----------
    n, d, lam, noise : float
        The point computed (noise is σ_ε).
    kappa : float
        Effective regularization κ solving Σ_k B_k μ_k/(μ_k + κ) + r_lump/κ + λ/κ = n.
    test_error : float
        E(f̂ − f*)² (against the noise-free target).
    train_error : float
        Mean squared training residual on the noisy labels, (1 − df1)²(test + σ_ε²).
    bias, variance : float
        E0 Σ_k F_k²(κ/(μ_k+κ))² and σ_ε²(E0 − 1): test = bias + variance.
    df1, df2 : float
        Σ B μ/(μ+κ)/n (with the lump) and Σ B μ²/(μ+κ)²/n; E0 = 1/(1 − df2).
    retained : tuple of float
        κ/(μ_k + κ) per degree k = 0..degree_cutoff: the fraction of degree k not learned.
    degree_cutoff : int
        Degrees > cutoff are lumped into the self-induced ridge r_lump/κ (their μ_k ≪ κ).
    lump : float
        r_lump = h(1) − Σ_{k≤cutoff} ξ_k.
    staircase : float
        ‖P_{>⌊log n/log d⌋} f*‖² (§6.2) at this n, for reference.
    converged, nit, residual :
        The effective-ridge root is bracketed and polished (else :class:`~asymptotics.errors.RootFindingError`
        is raised): a returned result is converged; ``nit`` counts the evaluations of the trace equation
        (= ``nfev``), ``residual`` is |κ(1 − df1) − λ/n| at the root.
    setting : KernelRidge or None
        The setting (:func:`krr_risk`, :func:`krr_curve`); None from :func:`krr_equivalent` (raw coefficients).
    """

    n: float
    d: int
    lam: float
    noise: float
    kappa: float
    test_error: float
    train_error: float
    bias: float
    variance: float
    df1: float
    df2: float
    retained: tuple
    degree_cutoff: int
    lump: float
    staircase: float
    nfev: int = field(default=0, compare=False)
    converged: bool = True
    nit: int = 0
    residual: float = 0.0
    setting: KernelRidge | None = None

    _SETTING = staticmethod(lambda: KernelRidge)


def krr_equivalent(
    xi: Sequence[float], d, n: float, lam: float, target, noise: float = 0.0, *, lump: float = 0.0,
    kappa0: float | None = None,
) -> KRRRisk:
    """Finite-d deterministic equivalent of KRR from explicit Gegenbauer coefficients (docs/theory/kernels.md §6.4, [R]).

    With μ_k = ξ_k / B(d, k) (multiplicity B(d, k)) for k = 0..K = len(xi) − 1 and the remaining
    degrees lumped (μ ≪ κ: they contribute r/κ to the degrees of freedom, nothing to df2, and are not
    learned), solve for κ ≥ 0

        Σ_k B_k μ_k/(μ_k + κ) + lump/κ + λ/κ = n,

    i.e. κ(1 − df1(κ)) = λ/n via :func:`asymptotics.ridge.solve_effective_ridge`, and return

        E0 = 1/(1 − df2),  df2 = Σ_k B_k μ_k²/(μ_k + κ)²/n,
        R  = E0 [Σ_k F_k² (κ/(μ_k+κ))² + σ_ε²] − σ_ε²

    (via :func:`asymptotics.ridge.ridge_errors`, which is the same formula).  Target degrees above K
    and the target's ``tail`` count as not learned.  Ridgeless (λ = 0) with a finite-rank kernel
    (lump = 0) and n above the rank gives κ = 0 (interpolation of the kernel's span).
    ``d = inf`` is not allowed here (use :func:`krr_transition`).

    >>> r = krr_equivalent([0.0, 1.0], 10, n=1e6, lam=0.0, target="1:1")   # linear kernel, n ≫ d
    >>> round(r.test_error, 12) + 0.0
    0.0
    """
    xi = check_float_array("xi", xi, "Gegenbauer coefficients")
    if xi.ndim != 1 or xi.size == 0 or not np.all(np.isfinite(xi)) or np.any(xi < 0):
        raise InvalidParameterError("Gegenbauer coefficients xi must be a non-empty array of finite numbers >= 0")
    try:
        dd = float(d)
    except (TypeError, ValueError, OverflowError):
        raise InvalidParameterError(f"d must be a number >= 3, got {d!r}") from None
    if not (math.isfinite(dd) and dd >= 3):
        raise InvalidParameterError(f"d must be a finite number >= 3, got {d!r}")
    n = check_positive("n", n, "number of training samples")
    lam = check_nonnegative("lam", lam, "the ridge penalty")
    noise = check_nonnegative("noise", noise, "the label-noise std")
    lump = check_nonnegative("lump", lump, "trace of the lumped high degrees")
    prof = parse_target(target)
    K = xi.size - 1
    logB = np.atleast_1d(log_harmonic_dimension(dd, np.arange(K + 1)))
    B = np.exp(logB)
    mu = xi * np.exp(-logB)
    nv = noise * noise

    def df1_over_n(k):
        return (float(np.sum(xi / (mu + k))) + lump / k) / n

    scale = max(float(xi.sum() + lump), 1e-300) / n
    if lump == 0 and lam == 0:
        rank = float(np.sum(B[mu > 0]))
        if abs(rank - n) <= 1e-9 * n:
            raise InvalidParameterError(
                f"ridgeless KRR with n = rank of the kernel ({rank:g}): the risk diverges (interpolation peak)"
            )
    kappa, nfev = solve_effective_ridge(lam / n, df1_over_n, kappa0=kappa0, scale=scale)
    F2 = np.zeros(K + 1)
    m = min(K, prof.order)
    F2[: m + 1] = prof.F2[: m + 1]
    unresolved = prof.tail + float(sum(prof.F2[K + 1 :]))
    if kappa > 0:
        ret = kappa / (mu + kappa)
        d1 = df1_over_n(kappa)
        d2 = float(np.sum(B * (mu / (mu + kappa)) ** 2)) / n
    else:
        pos = xi > 1e-12 * xi.max()
        ret = np.where(pos, 0.0, 1.0)
        d1 = d2 = float(np.sum(B[pos])) / n
    signal = float(F2.sum()) + unresolved
    residual = float(np.sum(F2 * ret**2)) + unresolved
    q = signal - residual
    test, train = ridge_errors(signal, q, d1, d2, nv, 0.0, nv)
    e0 = 1.0 / (1.0 - d2)
    bias = e0 * residual
    if not (math.isfinite(test) and math.isfinite(train)):
        raise InvalidParameterError(f"the deterministic equivalent is not finite at n={n:g}, lam={lam:g}")
    return KRRRisk(
        n=n, d=int(dd) if dd.is_integer() else dd, lam=lam, noise=noise, kappa=kappa, test_error=test,
        train_error=train, bias=bias, variance=test - bias, df1=d1, df2=d2,
        retained=tuple(float(v) for v in ret), degree_cutoff=K, lump=lump,
        staircase=float(krr_staircase(prof, math.log(n) / math.log(dd), xi=xi)) if n >= 1 else prof.norm2,
        nfev=nfev, converged=True, nit=int(nfev),
        residual=float(abs(kappa * (1.0 - df1_over_n(kappa)) - lam / n)) if kappa > 0 else 0.0,
    )


def _degree_cutoff(d: int, n: float, target_order: int, tail_factor: float, max_degree: int) -> int:
    """Smallest K ≥ max(2, target order) with B(d, K+1) ≥ tail_factor·n (capped at max_degree)."""
    tail_factor = check_range("tail_factor", tail_factor, 1.0, 1e12, "B(d, K+1) >= tail_factor * n")
    if isinstance(max_degree, bool) or not isinstance(max_degree, (int, np.integer)) or not 1 <= max_degree <= 1000:
        raise InvalidParameterError(f"max_degree must be an integer in [1, 1000], got {max_degree!r}")
    K = max(2, target_order)
    logn = math.log(tail_factor * max(n, 1.0))
    while K < max_degree and log_harmonic_dimension(d, K + 1) < logn:
        K += 1
    return K


def krr_risk(setting: KernelRidge, *, max_degree: int = 64, tail_factor: float = 1e3,
             kappa0: float | None = None, degree_cutoff: int | None = None) -> KRRRisk:
    """Finite-d deterministic equivalent of the KRR test error for a :class:`KernelRidge` (docs/theory/kernels.md §6.4).

    The Gegenbauer coefficients of the kernel are computed (series route) up to the degree K where
    B(d, K+1) ≥ ``tail_factor``·n (at most ``max_degree``), the higher degrees are lumped into the
    self-induced ridge h(1) − Σ_{k≤K} ξ_k, and :func:`krr_equivalent` does the rest.

    >>> s = KernelRidge("ntk", "relu", d=40, n=400, lam=0.0, noise=0.5, target="1:1,2:1,3:0.25,4:0.25")
    >>> round(krr_risk(s).test_error, 2)       # docs/theory/kernels.md §6.7: 1.43
    1.43
    """
    if not isinstance(setting, KernelRidge):
        raise InvalidParameterError(f"krr_risk needs a KernelRidge setting, got {type(setting).__name__}")
    K = degree_cutoff if degree_cutoff is not None else _degree_cutoff(
        setting.d, setting.n, setting.target.order, tail_factor, max_degree)
    g = kernel_gegenbauer(setting.kernel_fn, setting.d, K)
    return _risk_from(g, setting, kappa0)


def _risk_from(g: GegenbauerCoefficients, s: KernelRidge, kappa0) -> KRRRisk:
    xi = np.asarray(g.xi)
    xi = np.where(xi > g.error_estimate, xi, 0.0)      # below the error estimate: exactly zero
    lump = max(0.0, g.h1 - float(xi.sum()))
    if lump <= 10 * g.error_estimate:    # finite-rank kernels (polynomial activations)
        lump = 0.0
    r = krr_equivalent(xi, s.d, s.n, s.lam, s.target, s.noise, lump=lump, kappa0=kappa0)
    return dataclasses.replace(r, setting=s)


#: Parameters of :class:`KernelRidge` a curve may sweep.
SWEEP_PARAMETERS = ("n", "d", "lam", "noise")


def krr_curve(setting: KernelRidge, parameter: str, values: Iterable[float], *, max_degree: int = 64,
              tail_factor: float = 1e3) -> tuple[KRRRisk, ...]:
    """:func:`krr_risk` along a sweep of one numeric parameter of the setting (results in the given order).

    ``parameter`` is one of :data:`SWEEP_PARAMETERS`.  Sweeps of n, λ or the noise share one Gegenbauer
    computation (degree cutoff of the largest n) and warm-start the effective ridge (n in increasing
    order: κ of the previous n brackets the next); a sweep of d recomputes the kernel's coefficients at
    each d and keeps the target's degree profile (for a single-index target, whose profile depends on d,
    build one setting per d instead).

    >>> s = KernelRidge("ntk", "relu", d=40, n=1, lam=0.0, noise=0.5, target="1:1,2:1,3:0.25,4:0.25")
    >>> [round(r.test_error, 2) for r in krr_curve(s, "n", [200, 820, 3000])]   # docs/theory/kernels.md §6.7
    [1.69, 1.16, 0.72]
    >>> [round(r.test_error, 3) for r in krr_curve(s.replace(n=820), "lam", [0.0, 1.0, 10.0])]
    [1.158, 1.404, 1.931]
    """
    if not (isinstance(parameter, str) and parameter in SWEEP_PARAMETERS):
        raise InvalidParameterError(f"cannot sweep {parameter!r}; choose one of {', '.join(SWEEP_PARAMETERS)}")
    if not isinstance(setting, KernelRidge):
        raise InvalidParameterError(f"krr_curve needs a KernelRidge setting, got {type(setting).__name__}")
    if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
        raise InvalidParameterError(f"values must be a sequence of {parameter} values, got {values!r}")
    settings = [setting.replace(**{parameter: v}) for v in values]
    if not settings:
        raise InvalidParameterError(f"the list of {parameter} values is empty")
    if parameter == "d":
        return tuple(krr_risk(s, max_degree=max_degree, tail_factor=tail_factor) for s in settings)
    K = _degree_cutoff(setting.d, max(s.n for s in settings), setting.target.order, tail_factor, max_degree)
    g = kernel_gegenbauer(setting.kernel_fn, setting.d, K)
    out: dict[int, KRRRisk] = {}
    kappa = None
    order = sorted(range(len(settings)), key=lambda i: settings[i].n) if parameter == "n" else range(len(settings))
    for i in order:
        r = _risk_from(g, settings[i], kappa)
        kappa = r.kappa if r.kappa > 0 else None
        out[i] = r
    return tuple(out[i] for i in range(len(settings)))


# --------------------------------------------------------------------------------------------
# asymptotic transition (§6.3) and staircase (§6.2)


@dataclass(frozen=True)
class KRRTransition(TheoryResult):
    """Asymptotic KRR errors at n = ψ B(d, ℓ) (docs/theory/kernels.md §6.3, [R] validated [S]).

    ``test_error`` = floor + bias + variance; ``train_error`` = (1 − df1)²(test_error + σ_ε²) with
    1 − df1 = λ/(ψ ξ_ℓ t), t = κ/μ_ℓ the root of 1/(1+t) + ψλ̃/t = ψ (see :func:`krr_transition`).
    A closed form: ``converged`` True, ``nit`` 0, ``residual`` 0.0; ``setting`` None (no
    :class:`KernelRidge`: the limit d → ∞ along n = ψ B(d, ℓ)).
    """

    ell: int
    psi: float
    lam: float
    noise: float
    lam_tilde: float
    self_ridge: float
    test_error: float
    train_error: float
    floor: float
    bias: float
    variance: float
    converged: bool = True
    nit: int = 0
    residual: float = 0.0
    setting: KernelRidge | None = None

    _SETTING = staticmethod(lambda: KernelRidge)


def _transition_slack(psi: float, lam_tilde: float, lam: float, xi_ell: float) -> float:
    """1 − df1 at the transition: λ/(n κ) = λ/(ψ ξ_ℓ t), with t = κ/μ_ℓ > 0 the root of
    1/(1+t) + ψλ̃/t = ψ, i.e. ψt² + (ψ − 1 − ψλ̃)t − ψλ̃ = 0.  Ridgeless: 0 (interpolation) unless the
    kernel has finite rank below n (λ̃ = 0, ψ > 1), where df1 = 1/ψ."""
    if lam == 0.0:
        return max(0.0, 1.0 - 1.0 / psi) if lam_tilde == 0.0 else 0.0
    b = psi - 1.0 - psi * lam_tilde
    root = math.sqrt(b * b + 4.0 * psi * psi * lam_tilde)
    t = (root - b) / (2.0 * psi) if b <= 0 else 2.0 * psi * lam_tilde / (b + root)
    return min(1.0, lam / (psi * xi_ell * t))


def krr_transition(xi: Sequence[float], h1: float, target, ell: int, psi, lam: float = 0.0,
                   noise: float = 0.0) -> KRRTransition | tuple[KRRTransition, ...]:
    """Closed-form KRR risk across the transition n ≈ ψ B(d, ℓ) (docs/theory/kernels.md §6.3, our reconstruction [R]).

    r_{>ℓ} = h(1) − Σ_{k≤ℓ} ξ_k (self-induced ridge), λ̃ = (λ + r_{>ℓ})/(ψ ξ_ℓ), γ = 1/ψ, m the
    Marchenko–Pastur Stieltjes transform (ratio γ) at −λ̃ (:func:`asymptotics.spectra.mp_stieltjes`):

        R = F²_{>ℓ} + F_ℓ² λ̃² m'(−λ̃) + (σ_ε² + F²_{>ℓ}) γ [m(−λ̃) − λ̃ m'(−λ̃)],
        train error = (1 − df1)² (R + σ_ε²),   1 − df1 = λ/(ψ ξ_ℓ t),   1/(1+t) + ψλ̃/t = ψ

    Degrees < ℓ count as learned.  λ̃ = 0 uses the ridgeless limits (ψ > 1: F²_{>ℓ} + (σ_ε² + F²_{>ℓ})/(ψ−1);
    ψ < 1: F²_{>ℓ} + F_ℓ²(1−ψ) + (σ_ε² + F²_{>ℓ})ψ/(1−ψ)).  ``psi`` may be an array (tuple returned).
    ``xi`` must contain ξ_0..ξ_ℓ (e.g. ``kernel_gegenbauer(...).xi``); ``noise`` is σ_ε.

    >>> t = krr_transition([0.0, 1.0, 1.0], 3.0, "2:1", ell=2, psi=2.0)   # r = 1, λ̃ = 1/2
    >>> round(t.lam_tilde, 12), round(t.test_error, 12)                  # (√2 − 1)/2
    (0.5, 0.207106781187)
    """
    xi = check_float_array("xi", xi, "Gegenbauer coefficients")
    if isinstance(ell, bool) or not isinstance(ell, (int, np.integer)) or not 0 <= ell < 10**6:
        raise InvalidParameterError(f"ell must be a non-negative integer, got {ell!r}")
    if xi.ndim != 1 or xi.size <= ell or not np.all(np.isfinite(xi)) or np.any(xi < 0):
        raise InvalidParameterError(f"xi must hold finite coefficients xi_0..xi_ell >= 0 (ell = {ell})")
    if not xi[ell] > 0:
        raise InvalidParameterError(f"xi_{ell} = 0: the kernel never learns degree {ell} (no transition)")
    h1 = check_nonnegative("h1", h1, "h(1), the trace of the kernel")
    lam = check_nonnegative("lam", lam, "the ridge penalty")
    noise = check_nonnegative("noise", noise, "the label-noise std")
    prof = parse_target(target)
    r = max(0.0, h1 - float(xi[: ell + 1].sum()))
    if r < 1e-14 * max(h1, 1.0):
        r = 0.0
    F_ell = prof.F2[ell] if ell <= prof.order else 0.0
    F_gt = prof.above(ell)
    s2 = noise * noise
    scalar = np.ndim(psi) == 0
    out = []
    for p in np.atleast_1d(check_float_array("psi", psi, "n / B(d, ell)", finite=False)).ravel():
        p = check_positive("psi", p, "n / B(d, ell)")
        gamma = 1.0 / p
        lt = (lam + r) / (p * xi[ell])
        if lt == 0.0:
            if p == 1.0:
                raise InvalidParameterError("ridgeless transition at psi = 1: the risk diverges")
            if p > 1:
                bias, var = 0.0, (s2 + F_gt) / (p - 1)
            else:
                bias, var = F_ell * (1 - p), (s2 + F_gt) * p / (1 - p)
        elif gamma > 1:
            # MP(γ) = (1 − 1/γ) δ_0 + continuous part; the atom cancels in m − λ̃m' exactly, so use the
            # continuous part m_c(z) = m_{1/γ}(z/γ)/γ² (companion law) to avoid O(1/λ̃) cancellations.
            m = float(mp_stieltjes(-lt / gamma, 1 / gamma)) / gamma**2
            dm = float(mp_stieltjes_derivative(-lt / gamma, 1 / gamma)) / gamma**3
            bias = F_ell * (lt * lt * dm + 1.0 - 1.0 / gamma)
            var = (s2 + F_gt) * gamma * (m - lt * dm)
        else:
            m = float(mp_stieltjes(-lt, gamma))
            dm = float(mp_stieltjes_derivative(-lt, gamma))
            bias = F_ell * lt * lt * dm
            var = (s2 + F_gt) * gamma * (m - lt * dm)
        if not all(math.isfinite(v) for v in (lt, bias, var)):
            raise InvalidParameterError(f"the transition risk is not finite at psi={p:g}, lam_tilde={lt:g} "
                                        "(xi_ell too small for this ridge)")
        test = float(F_gt + bias + var)
        out.append(KRRTransition(ell=int(ell), psi=p, lam=lam, noise=noise, lam_tilde=float(lt), self_ridge=r,
                                 test_error=test, train_error=_transition_slack(p, lt, lam, xi[ell]) ** 2 * (test + s2),
                                 floor=float(F_gt), bias=float(bias), variance=float(var)))
    return out[0] if scalar else tuple(out)


def krr_staircase(target, kappa, xi: Sequence[float] | None = None, *, zero_tol: float = 1e-12):
    """The staircase R(κ) = ‖P_{>⌊κ⌋} f*‖², κ = log n / log d (docs/theory/kernels.md §6.2, [V-sec]).

    With ``xi`` (Gegenbauer coefficients of the kernel) degrees with ξ_k ≤ ``zero_tol`` are never
    learned and stay in the floor (ReLU NTK: odd k ≥ 3).  Vectorized over ``kappa``.

    >>> krr_staircase("1:1,2:1,3:0.25,4:0.25", [0.5, 1.5, 2.5, 4.5])
    array([2.5, 1.5, 0.5, 0. ])
    >>> float(krr_staircase("1:1,2:1,3:0.25,4:0.25", 4.5, xi=[0, .25, .16, 0, .03]))   # odd 3 never learned
    0.25
    """
    prof = parse_target(target)
    k = check_float_array("kappa", kappa, "log n / log d")
    F2 = np.asarray(prof.F2)
    deg = np.arange(F2.size)
    learnable = np.ones(F2.size, dtype=bool)
    if xi is not None:
        xa = check_float_array("xi", xi, "Gegenbauer coefficients", finite=False).ravel()
        m = min(xa.size, F2.size)
        learnable[:m] = xa[:m] > zero_tol
        learnable[m:] = True
    fl = np.floor(k)[..., None]
    learned = (deg <= fl) & learnable
    out = prof.tail + np.sum(np.where(learned, 0.0, F2), axis=-1)
    return out[()] if out.ndim == 0 else out
