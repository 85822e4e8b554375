"""Spherical harmonics bookkeeping: harmonic dimensions B(d, k), normalized Gegenbauer polynomials
and the Gegenbauer coefficients ξ_k(d) of a dot-product kernel on the sphere of radius √d.

Conventions (``docs/theory/kernels.md §6.1): x, x' uniform on S^{d-1}(√d), t = ⟨x, x'⟩/d has density
∝ (1 − t²)^{(d−3)/2} on [−1, 1];  Q_k^{(d)}(d t) = P_k(t) = C_k^{(α)}(t)/C_k^{(α)}(1) with α = (d−2)/2,
so P_k(1) = 1 and E_t[P_j P_k] = δ_jk / B(d, k).  A kernel h(t) has

    h(t) = Σ_k ξ_k P_k(t),    ξ_k = B(d, k) E_t[h(t) P_k(t)],    Σ_k ξ_k = h(1),

and the integral operator on L²(S^{d−1}(√d)) has eigenvalue μ_k = ξ_k / B(d, k) with multiplicity
B(d, k).  As d → ∞, ξ_k → h^{(k)}(0)/k! (the Taylor coefficient).

Two routes give ξ_k:

``"series"`` (default for kernels given by their Taylor coefficients a_j ≥ 0)
    ξ_k(d) = Σ_{m ≥ 0} a_{k+2m} γ_{k+2m, k}(d), with the exact monomial weights (our derivation
    from Rodrigues' formula, checked numerically in the tests)

        γ_{j,k}(d) = B(d, k) E_t[t^j P_k(t)] = B(d, k) · j! Γ(d/2) / (2^j m! Γ(d/2 + k + m)),  j = k + 2m,

    all positive and computed in logs, so nothing cancels at any d (d = 10^6 included).  Since
    Σ_k γ_{j,k} = 1 and γ_{j+2,k}/γ_{j,k} ≤ (j+2)(j+1)/(2(j−k+2)(d+j+k)) → 1/2, the series converges
    geometrically; the omitted tail is bounded by (tail mass Σ_{j>J} a_j) × γ_{J+1,k}.
``"quadrature"`` (any callable h)
    Composite Gauss–Legendre in θ = arccos t, weight sin^{d−2}θ in logs, on the part of [0, π] that
    carries all but 1e-32 of the mass.  Kernels with √(1 − t²) singularities at t = ±1 (arc-cosine)
    are analytic in θ.  The relative rounding error grows like ε·√B(d, k) (the integral is of size
    1/B while the integrand is of size 1/√B), so prefer the series at large d and k.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import numpy as np
from scipy import special

from .errors import InvalidParameterError
from .limits import array_bytes, check_memory

__all__ = [
    "harmonic_dimension",
    "log_harmonic_dimension",
    "gegenbauer_polynomials",
    "sphere_marginal_rule",
    "monomial_gegenbauer_weights",
    "GegenbauerCoefficients",
    "gegenbauer_coefficients",
    "gegenbauer_from_taylor",
]


#: Bounds of the exact integer :func:`harmonic_dimension` (beyond, the binomial has ~10^5+ digits).
MAX_EXACT_DIM = 10**12
MAX_EXACT_DEGREE = 10_000
#: Bounds of :func:`sphere_marginal_rule`: Gauss–Legendre nodes per panel, and total points.
MAX_RULE_NODES = 200
MAX_RULE_POINTS = 200_000


def _check_dim(d, minimum: int = 3, integer: bool = True):
    if isinstance(d, bool):
        raise InvalidParameterError(f"dimension d must be an integer >= {minimum}, got {d!r}")
    if integer:
        if not isinstance(d, (int, np.integer)) and not (isinstance(d, float) and d.is_integer()):
            raise InvalidParameterError(f"dimension d must be an integer >= {minimum}, got {d!r}")
        d = int(d)
    else:
        try:
            d = float(d)
        except (TypeError, ValueError):
            raise InvalidParameterError(f"dimension d must be a number >= {minimum}, got {d!r}") from None
        if not math.isfinite(d):
            raise InvalidParameterError(f"dimension d must be finite, got {d!r}")
    if d < minimum:
        raise InvalidParameterError(f"dimension d must be >= {minimum}, got {d!r}")
    return d


def _check_degree(k, what: str = "degree k") -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
        raise InvalidParameterError(f"{what} must be a non-negative integer, got {k!r}")
    return int(k)


def harmonic_dimension(d: int, k: int) -> int:
    """Exact dimension B(d, k) of degree-k spherical harmonics on S^{d−1} (docs/theory/kernels.md §6.1).

    B(d, 0) = 1 and B(d, k) = (2k + d − 2)/k · C(k + d − 3, k − 1) for k ≥ 1 (d ≥ 2), so
    B(d, 1) = d, B(d, 2) = (d + 2)(d − 1)/2 and B(d, k) ~ d^k/k!.  Python integers: exact at any size.

    >>> harmonic_dimension(40, 2), harmonic_dimension(3, 5), harmonic_dimension(10**6, 3) > 10**17
    (819, 11, True)
    """
    d = _check_dim(d, minimum=2)
    k = _check_degree(k)
    if d > MAX_EXACT_DIM or k > MAX_EXACT_DEGREE:
        raise InvalidParameterError(
            f"harmonic_dimension is exact up to d = {MAX_EXACT_DIM:g}, k = {MAX_EXACT_DEGREE} (got d = {d}, k = {k}); "
            "use log_harmonic_dimension for larger values")
    if k == 0:
        return 1
    return (2 * k + d - 2) * math.comb(k + d - 3, k - 1) // k


def log_harmonic_dimension(d, k):
    """Natural log of B(d, k) in floating point, vectorized over k (d may be a real number ≥ 2).

    log B = log(2k + d − 2) − log k + lnΓ(k + d − 2) − lnΓ(k) − lnΓ(d − 1) for k ≥ 1, and 0 for k = 0.

    >>> round(float(np.exp(log_harmonic_dimension(40, 2))), 9)
    819.0
    """
    d = _check_dim(d, minimum=2, integer=False)
    k = np.asarray(k)
    if np.any(k < 0) or np.any(k != np.floor(k)):
        raise InvalidParameterError(f"degrees k must be non-negative integers, got {k!r}")
    kf = np.maximum(k.astype(float), 1.0)
    kmax = int(kf.max()) if kf.size else 1
    if kmax <= 10_000:
        # log C(k + d − 3, k − 1) = Σ_{i<k} log((d − 2 + i)/i): no cancellation of large lnΓ at large d
        i = np.arange(1, kmax, dtype=float)
        csum = np.concatenate(([0.0], np.cumsum(np.log1p((d - 2) / i))))
        logc = csum[kf.astype(int) - 1]
    else:
        logc = special.gammaln(kf + d - 2) - special.gammaln(kf) - special.gammaln(d - 1)
    with np.errstate(divide="ignore"):
        val = np.log(2 * kf + d - 2) - np.log(kf) + logc
    if d == 2:  # Γ(0) poles: B(2, k) = 2 for k ≥ 1
        val = np.full_like(kf, math.log(2.0))
    out = np.where(k == 0, 0.0, val)
    return float(out) if out.ndim == 0 else out


def gegenbauer_polynomials(t, d, order: int) -> np.ndarray:
    """P_0..P_order at the points t: P_k(t) = Q_k^{(d)}(d t) = C_k^{((d−2)/2)}(t)/C_k^{((d−2)/2)}(1) (§6.1).

    Three-term recurrence P_{k+1} = [(2k + d − 2) t P_k − k P_{k−1}] / (k + d − 2), stable on
    [−1, 1] (|P_k| ≤ 1).  ``d`` may be real (> 2).  Returns an array of shape (order + 1,) + t.shape.

    >>> P = gegenbauer_polynomials(np.array([0.3]), 3, 2)     # Legendre: 1, t, (3t² − 1)/2
    >>> [round(float(v), 12) for v in P[:, 0]]
    [1.0, 0.3, -0.365]
    """
    d = _check_dim(d, minimum=2, integer=False)
    order = _check_degree(order, "order")
    t = np.asarray(t, dtype=float)
    out = np.empty((order + 1,) + t.shape)
    out[0] = 1.0
    if order >= 1:
        out[1] = t
    for k in range(1, order):
        out[k + 1] = ((2 * k + d - 2) * t * out[k] - k * out[k - 1]) / (k + d - 2)
    return out


@lru_cache(maxsize=64)
def _marginal_rule(d: int, panels: int, nodes: int) -> tuple[np.ndarray, np.ndarray]:
    alpha = (d - 3) / 2.0
    # keep θ where sin^{d-3}θ ≥ 1e-32 (relative to its maximum 1 at θ = π/2)
    if alpha > 0:
        smin = math.exp(-32 * math.log(10) / alpha) if alpha > 0 else 0.0
        th0 = math.asin(min(1.0, smin))
    else:
        th0 = 0.0
    x, w = special.roots_legendre(nodes)
    edges = np.linspace(th0, math.pi - th0, panels + 1)
    half = np.diff(edges) / 2
    mid = (edges[:-1] + edges[1:]) / 2
    theta = (mid[:, None] + half[:, None] * x[None, :]).ravel()
    wt = (half[:, None] * w[None, :]).ravel()
    # density of t = cos θ: ∝ (1 − t²)^{(d−3)/2} dt = sin^{d−2}θ dθ
    logw = np.log(wt) + (d - 2) * np.log(np.sin(theta))
    logw -= logw.max()
    weights = np.exp(logw)
    weights /= weights.sum()
    t = np.cos(theta)
    t.setflags(write=False)
    weights.setflags(write=False)
    return t, weights


def sphere_marginal_rule(d: int, panels: int = 24, nodes: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """Nodes t_i and weights w_i with Σ w_i g(t_i) ≈ E_t g(t), t = ⟨x, x'⟩/d for x, x' ~ Unif(S^{d−1}(√d)).

    Composite Gauss–Legendre in θ = arccos t (``panels`` × ``nodes`` points) with the density
    sin^{d−2}θ evaluated in logs and normalized to total weight 1 (§6.1).  Cached, read-only.

    >>> t, w = sphere_marginal_rule(40)
    >>> round(float(w @ t**2), 14)      # E t² = 1/d
    0.025
    """
    d = _check_dim(d)
    if isinstance(panels, bool) or not isinstance(panels, (int, np.integer)) or panels < 1:
        raise InvalidParameterError(f"panels must be a positive integer, got {panels!r}")
    if isinstance(nodes, bool) or not isinstance(nodes, (int, np.integer)) or not 2 <= nodes <= MAX_RULE_NODES:
        raise InvalidParameterError(f"nodes must be an integer in [2, {MAX_RULE_NODES}], got {nodes!r}")
    if panels * nodes > MAX_RULE_POINTS:
        raise InvalidParameterError(
            f"panels * nodes must be <= {MAX_RULE_POINTS:g} (a finer rule adds nothing in double precision), "
            f"got {panels} * {nodes}")
    with np.errstate(divide="ignore", invalid="ignore"):
        t, w = _marginal_rule(d, int(panels), int(nodes))
    if not (np.all(np.isfinite(w)) and np.all(np.isfinite(t))):
        raise InvalidParameterError(
            f"the sphere-marginal quadrature cannot resolve d = {d:g} (the density of t is narrower than double "
            "precision); use the series route")
    return t, w


def _log_gamma_weights(d: float, order: int, jmax: int) -> np.ndarray:
    """log γ_{j,k}(d) for k = 0..order, j = 0..jmax (−inf where j < k or j − k is odd)."""
    out = np.full((order + 1, jmax + 1), -np.inf)
    j = np.arange(jmax + 1, dtype=float)
    logB = np.atleast_1d(log_harmonic_dimension(d, np.arange(order + 1)))
    for k in range(order + 1):
        jj = j[k::2]
        m = (jj - k) / 2
        out[k, k::2] = (logB[k] + special.gammaln(jj + 1) + special.gammaln(d / 2) - jj * math.log(2.0)
                        - special.gammaln(m + 1) - special.gammaln(d / 2 + k + m))
    return out


def monomial_gegenbauer_weights(d, order: int, jmax: int) -> np.ndarray:
    """γ_{j,k}(d) = B(d, k) E_t[t^j P_k(t)] for k = 0..order, j = 0..jmax (our derivation, [R]).

    t^j = Σ_k γ_{j,k} P_k(t) with γ ≥ 0, Σ_k γ_{j,k} = 1, and γ_{j,k}(d) → δ_jk as d → ∞.
    Closed form γ_{j,k} = B(d, k) j! Γ(d/2) / (2^j m! Γ(d/2 + k + m)) for j = k + 2m (zero otherwise),
    from k integrations by parts of Rodrigues' formula; evaluated in logs.  d may be real (≥ 3).

    >>> g = monomial_gegenbauer_weights(10, 4, 4)
    >>> [round(float(v), 12) for v in g[:, 2]]      # t² = 1/d + (1 − 1/d) P_2(t)
    [0.1, 0.0, 0.9, 0.0, 0.0]
    """
    d = _check_dim(d, integer=False)
    order = _check_degree(order, "order")
    jmax = _check_degree(jmax, "jmax")
    return np.exp(_log_gamma_weights(d, order, jmax))


@dataclass(frozen=True)
class GegenbauerCoefficients:
    """Gegenbauer coefficients ξ_0..ξ_order of a dot-product kernel at dimension d (docs/theory/kernels.md §6.1).

    Attributes
    ----------
    d : float
        Dimension (``inf`` for the Taylor limit).
    xi : tuple of float
        ξ_k, k = 0..order.
    eigenvalues : tuple of float
        μ_k = ξ_k / B(d, k) (0 for d = ∞).
    log_multiplicities : tuple of float
        log B(d, k).
    h1 : float or None
        h(1) = Σ_k ξ_k over all k, when known.
    error_estimate : float
        Estimated max absolute error of the ξ_k.
    method : str
        ``"series"``, ``"quadrature"`` or ``"taylor"`` (d = ∞).
    """

    d: float
    xi: tuple
    eigenvalues: tuple
    log_multiplicities: tuple
    h1: float | None
    error_estimate: float
    method: str
    kernel: str = field(default="")

    @property
    def order(self) -> int:
        return len(self.xi) - 1

    def tail(self, ell: int) -> float:
        """r_{>ℓ} = h(1) − Σ_{k≤ℓ} ξ_k, the self-induced ridge of §6.3 (needs ``h1``)."""
        if self.h1 is None:
            raise InvalidParameterError("h(1) is unknown for this kernel: the tail r_{>l} needs it")
        ell = _check_degree(ell, "ell")
        if ell > self.order:
            raise InvalidParameterError(f"ell = {ell} exceeds the computed order {self.order}")
        return max(0.0, self.h1 - float(np.sum(self.xi[: ell + 1])))

    def to_dict(self) -> dict:
        return {
            "kernel": self.kernel,
            "d": self.d if math.isfinite(self.d) else "inf",
            "xi": list(self.xi),
            "eigenvalues": list(self.eigenvalues),
            "log_multiplicities": list(self.log_multiplicities),
            "h1": self.h1,
            "error_estimate": self.error_estimate,
            "method": self.method,
        }


def _finish(d, xi, h1, err, method, kernel="") -> GegenbauerCoefficients:
    order = len(xi) - 1
    if math.isfinite(d):
        logB = np.atleast_1d(log_harmonic_dimension(d, np.arange(order + 1)))
        mu = np.asarray(xi) * np.exp(-logB)
    else:
        logB = np.full(order + 1, np.inf)
        mu = np.zeros(order + 1)
    return GegenbauerCoefficients(
        d=float(d), xi=tuple(float(v) for v in xi), eigenvalues=tuple(float(v) for v in mu),
        log_multiplicities=tuple(float(v) for v in logB), h1=None if h1 is None else float(h1),
        error_estimate=float(err), method=method, kernel=kernel,
    )


def gegenbauer_from_taylor(a, d, order: int, h1: float | None = None, kernel: str = "") -> GegenbauerCoefficients:
    """ξ_k(d) = Σ_j a_j γ_{j,k}(d) from Taylor coefficients a_0..a_J ≥ 0 of h (series route, [R]).

    ``h1`` = h(1) = Σ_j a_j over *all* j, if known, bounds the omitted tail: the error estimate is
    (h1 − Σ_{j≤J} a_j)·max_k γ_{J+1,k} + rounding.  ``d = inf`` returns the Taylor limit ξ_k = a_k.

    >>> g = gegenbauer_from_taylor([0.0, 0.25, 0.5], 10, 2)   # h(t) = t/4 + t²/2
    >>> [round(x, 12) for x in g.xi]
    [0.05, 0.25, 0.45]
    """
    a = np.asarray(a, dtype=float)
    if a.ndim != 1 or a.size == 0 or not np.all(np.isfinite(a)):
        raise InvalidParameterError("Taylor coefficients must be a non-empty finite 1-D array")
    if np.any(a < -1e-15 * max(1.0, float(np.abs(a).max()))):
        raise InvalidParameterError("the series route needs non-negative Taylor coefficients a_j")
    a = np.clip(a, 0.0, None)
    order = _check_degree(order, "order")
    if d == math.inf:
        xi = np.zeros(order + 1)
        xi[: min(order + 1, a.size)] = a[: order + 1]
        return _finish(math.inf, xi, h1, 0.0, "taylor", kernel)
    d = _check_dim(d, integer=False)
    J = a.size - 1
    G = np.exp(_log_gamma_weights(d, order, J + 2))
    xi = G[:, : J + 1] @ a
    tail = 0.0 if h1 is None else max(0.0, float(h1) - float(a.sum()))
    err = tail * float(G[:, J + 1 :].max()) + 1e-15 * max(1.0, float(a.sum()))
    return _finish(d, xi, h1, err, "series", kernel)


def gegenbauer_coefficients(
    h: Callable[[np.ndarray], np.ndarray], d: int, order: int, *, h1: float | None = None,
    panels: int = 24, nodes: int = 24, kernel: str = "",
) -> GegenbauerCoefficients:
    """ξ_k(d) = B(d, k) E_t[h(t) P_k(t)], k = 0..order, by quadrature for any vectorized h (docs/theory/kernels.md §6.1).

    Uses :func:`sphere_marginal_rule`; the error estimate compares the rule with one of half as many
    panels and adds the cancellation floor 1e-16·√B(d, k)·max|h|.  ``h1`` defaults to h(1.0).

    >>> relu_nt = lambda t: t * (np.pi - np.arccos(np.clip(t, -1, 1))) / (2 * np.pi)
    >>> g = gegenbauer_coefficients(relu_nt, 10, 4)
    >>> round(g.xi[1], 13), round(g.xi[3], 13) + 0.0, round(g.xi[2], 5)     # docs/theory/kernels.md §6.6 (table)
    (0.25, 0.0, 0.15679)
    """
    if not callable(h):
        raise InvalidParameterError(f"h must be a vectorized callable on [-1, 1], got {h!r}")
    d = _check_dim(d)
    order = _check_degree(order, "order")

    def project(p):
        t, w = sphere_marginal_rule(d, p, nodes)
        hv = np.asarray(h(t), dtype=float)
        if hv.shape != t.shape or not np.all(np.isfinite(hv)):
            raise InvalidParameterError("the kernel h must be a finite vectorized function on [-1, 1]")
        P = gegenbauer_polynomials(t, d, order)
        return P @ (w * hv), float(np.abs(hv).max())

    if order > MAX_EXACT_DEGREE:
        raise InvalidParameterError(f"order must be <= {MAX_EXACT_DEGREE}, got {order}")
    sphere_marginal_rule(d, panels, nodes)   # validates panels and nodes before any work
    check_memory(f"gegenbauer_coefficients with {panels}x{nodes} points and order {order}",
                 array_bytes((panels * nodes, order + 4)))
    logB = np.atleast_1d(log_harmonic_dimension(d, np.arange(order + 1)))
    B = np.exp(logB)
    fine, hmax = project(panels)
    coarse, _ = project(max(1, panels // 2))
    xi = B * fine
    err = float(np.max(B * np.abs(fine - coarse) + 1e-16 * np.sqrt(B) * hmax * 10))
    if not (np.all(np.isfinite(xi)) and math.isfinite(err)):
        raise InvalidParameterError(f"the quadrature route loses all precision at d = {d}, order {order}; "
                                    "use the series route")
    if h1 is None:
        h1 = float(np.asarray(h(np.array([1.0])), dtype=float)[0])
    return _finish(d, xi, h1, err, "quadrature", kernel)
