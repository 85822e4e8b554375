"""Sample complexity n*(d, ε) of kernel ridge regression from the finite-d deterministic equivalent.

docs/theory/kernels.md §6.2–6.4 (KRR on the sphere), §2.4 (the kernel side of the escape question).
For a dot-product kernel (RF or first-layer NTK of an activation) and a target with degree profile
F_k², let R(n) be the deterministic-equivalent test error of KRR with n samples
(:func:`asymptotics.kernels.theory.krr_risk`).  The sample complexity at level ε is the *first crossing*

    n*(d, ε) = inf { n ≥ n_start : R(n) ≤ ε },

found by a geometric scan (``per_decade`` points per factor 10) that brackets the first grid point
below ε, then bisection in log n to relative width ``rtol``.  R(n) need not be monotone (multiple
descent near n ≈ B(d, k) for small λ), hence the scan rather than a plain bisection on [n_min, n_max].

Asymptotically (d → ∞ with n = ψ B(d, ℓ), docs/theory/kernels.md §6.3) the learning of degree ℓ
depends on ψ only, so for a target whose error above ε sits in degree ℓ, n*(d, ε) ≈ ψ_ε B(d, ℓ) ∝ d^ℓ / ℓ!, with ψ_ε the root of
the closed-form transition risk :func:`asymptotics.kernels.theory.krr_transition` (:func:`transition_psi`).
The exponent of a kernel method is therefore ℓ (3 for a cubic, sparse or not: the kernel is rotation
invariant and sees only the degree profile).  At finite d two O(1/d) effects compete: the local slope
of log B(d, ℓ) is ℓ + O(ℓ²/d) (above ℓ), while n*/B(d, ℓ) decreases towards ψ_ε (the lower degrees
and the finite-d coefficients ξ_k(d) help less as d grows), which pulls the local slope below ℓ.

>>> r = krr_sample_complexity("ntk", "tanh(z + 1/2)", 16, {3: 1.0}, 0.5)
>>> r.converged, r.reached, round(r.n_star / harmonic_dimension(16, 3), 1)
(True, True, 1.1)
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import optimize

from ..errors import InvalidParameterError
from ..gegenbauer import harmonic_dimension
from .theory import KernelRidge, dot_product_kernel, kernel_gegenbauer, krr_risk, krr_transition, parse_target
from ..settings import check_positive

__all__ = ["SampleComplexity", "krr_sample_complexity", "krr_sample_complexity_curve", "transition_psi"]


@dataclass(frozen=True)
class SampleComplexity:
    """Result of :func:`krr_sample_complexity` (scipy-style).

    Attributes
    ----------
    n_star : float
        Smallest n (to relative ``rtol``) with deterministic-equivalent risk ≤ ε; ``inf`` if not reached
        by ``n_max``.
    reached : bool
        Whether R(n) ≤ ε for some scanned n ≤ n_max.
    converged : bool
        Bracket [lo, hi] shrunk to hi/lo − 1 ≤ rtol (or n* = n_start with R(n_start) ≤ ε at n_min).
    nit, nfev : int
        Bisection iterations and risk evaluations.
    bracket : tuple
        (lo, hi): R(lo) > ε ≥ R(hi) (lo = 0 when R(n_min) ≤ ε already).
    test_error : float
        The deterministic-equivalent test error R(n_star) (nan if not reached).
    """

    kernel: str
    activation: str
    d: int
    eps: float
    lam: float
    noise: float
    n_star: float
    reached: bool
    converged: bool
    nit: int
    nfev: int
    bracket: tuple
    test_error: float

    def to_dict(self) -> dict:
        return dataclasses.asdict(self) | {"bracket": list(self.bracket)}


def krr_sample_complexity(kernel: str, activation, d: int, target, eps: float, *, lam: float = 1e-3,
                          noise: float = 0.0, n_min: float = 1.0, n_max: float = 1e9, n_start: float | None = None,
                          per_decade: int = 12, rtol: float = 1e-4, max_iter: int = 200) -> SampleComplexity:
    """n*(d, ε) = first n ≥ n_start with deterministic-equivalent KRR risk ≤ ε (module docstring).

    ``n_start`` (default ``n_min``) warm-starts the scan, e.g. from n* at a smaller d (n* grows with
    d); if R(n_start) ≤ ε already, the scan walks *down* (to ``n_min`` at most) to find the crossing.
    """
    eps = check_positive("eps", eps, "the target test error")
    n_min = check_positive("n_min", n_min, "smallest n scanned")
    n_max = check_positive("n_max", n_max, "largest n scanned")
    if n_max <= n_min:
        raise InvalidParameterError(f"need n_max > n_min, got n_min = {n_min}, n_max = {n_max}")
    if isinstance(per_decade, bool) or not isinstance(per_decade, (int, np.integer)) or per_decade < 1:
        raise InvalidParameterError(f"per_decade must be a positive integer, got {per_decade!r}")
    rtol = check_positive("rtol", rtol, "relative width of the final bracket")
    base = KernelRidge(kernel, activation, d=d, n=n_min, lam=lam, noise=noise, target=target)
    nfev = 0

    def risk(n: float) -> float:
        nonlocal nfev
        nfev += 1
        return krr_risk(base.replace(n=float(n))).test_error

    def result(n_star, reached, converged, nit, bracket, r):
        return SampleComplexity(base.kernel, base.activation.name, base.d, eps, base.lam, base.noise,
                                float(n_star), bool(reached), bool(converged), int(nit), nfev,
                                tuple(float(b) for b in bracket), float(r))

    step = 10.0 ** (1.0 / per_decade)
    n = min(max(n_min, n_min if n_start is None else float(n_start)), n_max)
    r = risk(n)
    if r <= eps:                                   # warm start already past the crossing: walk down
        hi, r_hi = n, r
        while True:
            if hi <= n_min:
                return result(hi, True, True, 0, (0.0, hi), r_hi)
            lo = max(n_min, hi / step)
            r_lo = risk(lo)
            if r_lo > eps:
                break
            hi, r_hi = lo, r_lo
    else:
        lo = n
        while True:
            if lo >= n_max:
                return result(math.inf, False, True, 0, (lo, math.inf), math.nan)
            hi = min(n_max, lo * step)
            r_hi = risk(hi)
            if r_hi <= eps:
                break
            lo = hi
    nit = 0
    while hi / lo - 1.0 > rtol and nit < max_iter:
        mid = math.sqrt(lo * hi)
        r_mid = risk(mid)
        if r_mid <= eps:
            hi, r_hi = mid, r_mid
        else:
            lo = mid
        nit += 1
    return result(hi, True, hi / lo - 1.0 <= rtol, nit, (lo, hi), r_hi)


def krr_sample_complexity_curve(kernel: str, activation, ds: Sequence[int], target, eps: float,
                                **kw) -> tuple[SampleComplexity, ...]:
    """:func:`krr_sample_complexity` over increasing d, each scan warm-started at n* of the previous d.

    >>> c = krr_sample_complexity_curve("ntk", "tanh(z + 1/2)", [32, 64], {3: 1.0}, 0.5)
    >>> round(math.log(c[1].n_star / c[0].n_star, 2), 2)        # local exponent, → 3 as d → ∞
    2.86
    """
    ds = list(ds)
    if any(b <= a for a, b in zip(ds, ds[1:])):
        raise InvalidParameterError(f"ds must be strictly increasing, got {ds}")
    out, start = [], kw.pop("n_start", None)
    for d in ds:
        r = krr_sample_complexity(kernel, activation, d, target, eps, n_start=start, **kw)
        out.append(r)
        start = r.n_star if r.reached else None
    return tuple(out)


def transition_psi(kernel: str, activation, target, ell: int, eps: float, *, lam: float = 0.0,
                   noise: float = 0.0, psi_max: float = 1e6) -> float:
    """ψ_ε: root of R_∞(ψ) = ε for the d → ∞ transition at n = ψ B(d, ℓ) (docs/theory/kernels.md §6.3), so
    that n*(d, ε) / B(d, ℓ) → ψ_ε.  Uses the d = ∞ Gegenbauer coefficients ξ_k(∞) = h^{(k)}(0)/k! and h(1).
    The ridge λ is not divided by n (f̂ = K(x, X)(K + λI)^{-1}y), so it stays comparable to the
    self-induced ridge r_{>ℓ} and enters λ̃ = (λ + r_{>ℓ})/(ψ ξ_ℓ) at every d: pass the λ of the
    finite-d problem.  ``inf`` if ε is below the floor F²_{>ℓ}.

    >>> round(transition_psi("ntk", "tanh(z + 1/2)", {3: 1.0}, 3, 0.5, lam=1e-3), 3)
    0.848
    """
    eps = check_positive("eps", eps, "the target test error")
    k = dot_product_kernel(activation, kernel, None if kernel != "both" else 1.0)
    xi = kernel_gegenbauer(k, math.inf, ell).xi
    prof = parse_target(target)

    def f(psi):
        return krr_transition(xi, k.h1, prof, ell, psi, lam=lam, noise=noise).test_error - eps

    lo, hi = 1e-6, 1.0
    if f(lo) <= 0:
        return lo
    while f(hi) > 0:
        hi *= 2.0
        if hi > psi_max:
            return math.inf
    return float(optimize.brentq(f, lo, hi, xtol=1e-12, rtol=1e-10))
