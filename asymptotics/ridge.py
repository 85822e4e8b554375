"""Deterministic equivalent of ridge regression on Gaussian(-equivalent) features.

One implementation shared by every model in the package (random features, one-step GE, and any
given weight matrix).  Setting: features φ ∈ R^p with second-moment matrix S, a target y = g + ε'
where g is the part of the teacher correlated with the features through b = E[φ g], and ε' collects
everything the features cannot see (label noise and the teacher's non-linear part, variance
``noise_var``).  Ridge in the normalization min (1/n)‖y − Φa‖² + λ_eff ‖a‖² has the effective ridge κ
solving (docs/theory/one-step.md §4.2 step 3, in matrix form)

    κ = λ_eff + κ · df1(κ)/n,          df1(κ) = Tr S (S + κ)^{-1},

and, with df2(κ) = Tr S² (S + κ)^{-2} and q = bᵀ(S + 2κ)(S + κ)^{-2} b (docs/theory/one-step.md §4.2 step 5),

    E(f̂ − g)² = [E g² − q + noise_var · df2/n] / (1 − df2/n).

The training error on noisy labels is (docs/theory/one-step.md §4.2b) E_train = (1 − df1/n)² · E(f̂ − y)², because
λ_eff/κ = 1 − df1/n; this form also holds in the ridgeless limit.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np
from scipy import optimize

from .errors import InvalidParameterError, RootFindingError

__all__ = [
    "RidgeEquivalent",
    "solve_effective_ridge",
    "ridge_errors",
    "ridge_equivalent_from_spectrum",
]


#: Slack allowed on the identities 0 ≤ df2 ≤ df1 ≤ 1, 0 ≤ q ≤ E g² before declaring the precision lost.
_MOMENT_TOL = 1e-8


@dataclass(frozen=True)
class RidgeEquivalent:
    """Deterministic-equivalent quantities of one ridge problem.

    ``kappa`` is in the caller's normalization; ``df1``/``df2`` are divided by n; ``test_error`` is
    E(f̂ − g)² + ``unexplained`` and ``train_error`` is the mean squared training residual.
    """

    kappa: float
    df1: float
    df2: float
    q: float
    test_error: float
    train_error: float
    nfev: int

    def to_dict(self) -> dict:
        return asdict(self)


def solve_effective_ridge(
    lam: float,
    df1_over_n: Callable[[float], float],
    kappa0: float | None = None,
    scale: float = 1.0,
    rtol: float = 1e-13,
) -> tuple[float, int]:
    """Root κ ≥ 0 of κ·(1 − df1(κ)/n) = λ (docs/theory/one-step.md §4.2 step 3).

    ``df1_over_n`` must be non-increasing in κ with values in [0, 1] at the root; κ(1 − df1/n) is then
    increasing and the root is unique.  For λ = 0 (ridgeless) the root is 0 when df1(0⁺)/n < 1
    (under-parametrized) and otherwise the positive root of df1(κ)/n = 1.  ``kappa0`` (e.g. the root
    at a neighbouring sweep point) narrows the initial bracket; ``scale`` is the natural size of κ.

    Returns ``(kappa, nfev)``.  Raises :class:`RootFindingError` if no bracket is found.

    >>> k, _ = solve_effective_ridge(0.5, lambda k: 0.5 / (1 + k))   # k (1 - 0.5/(1+k)) = 0.5
    >>> round(k, 12)
    0.707106781187
    """
    if not (lam >= 0 and math.isfinite(lam)):
        raise InvalidParameterError(f"ridge must be finite and >= 0, got {lam!r}")
    if not (scale > 0 and math.isfinite(scale)):
        raise InvalidParameterError(f"scale must be finite and > 0, got {scale!r}")
    nfev = 0

    def count(f):
        def wrapped(k):
            nonlocal nfev
            nfev += 1
            v = f(k)
            if not math.isfinite(v):
                raise RootFindingError(f"effective-ridge equation is not finite at kappa={k:g}")
            return v

        return wrapped

    if lam == 0:
        tiny = 1e-13 * scale
        t0 = df1_over_n(tiny)
        nfev += 1
        if 1.0 - t0 > 1e-9:
            return 0.0, nfev
        if abs(1.0 - t0) <= 1e-9:
            raise InvalidParameterError(
                "ridgeless limit (lam = 0) at the interpolation threshold df1 = n: the risk diverges"
            )
        g = count(lambda k: 1.0 - df1_over_n(k))
        lo = tiny
    else:
        g = count(lambda k: k * (1.0 - df1_over_n(k)) - lam)
        lo = lam
    # Upper bracket: start near the hint (or the natural scale) and expand geometrically.
    hi = max(lo, kappa0 if kappa0 and kappa0 > 0 else scale + lam) * 2.0
    if kappa0 and kappa0 > lo and g(kappa0) > 0:
        hi = kappa0
        lo_try = max(lo, kappa0 / 4)
        if g(lo_try) < 0:
            lo = lo_try
    for _ in range(200):
        if g(hi) > 0:
            break
        lo, hi = hi, hi * 4.0
    else:
        raise RootFindingError(
            f"could not bracket the effective ridge for lam={lam:g} (last upper bound {hi:g})"
        )
    try:
        kappa, info = optimize.brentq(g, lo, hi, xtol=1e-300, rtol=rtol, maxiter=500, full_output=True,
                                      disp=False)
    except (RuntimeError, ValueError) as exc:  # scipy's own failures, e.g. a sign change lost to rounding
        raise RootFindingError(f"effective ridge for lam={lam:g} on [{lo:g}, {hi:g}]: {exc}") from None
    if not info.converged:
        raise RootFindingError(
            f"effective ridge for lam={lam:g} did not converge: {info.flag} after {info.iterations} iterations")
    return float(kappa), nfev


def ridge_errors(
    signal_power: float, q: float, df1: float, df2: float, noise_var: float, unexplained: float,
    label_noise_var: float,
) -> tuple[float, float]:
    """Test and train error from the deterministic-equivalent moments.

    ``signal_power`` = E g², ``q`` = bᵀ(S+2κ)(S+κ)^{-2}b, ``df1``/``df2`` divided by n, ``noise_var`` the
    variance of the part of y the features cannot see (it is learned as noise), ``unexplained`` the
    part of that which belongs to the noise-free teacher (it adds to the test error), and
    ``label_noise_var`` = σ_ε².  Returns ``(test, train)`` with test = E(f̂ − f*)² and
    train = (1 − df1)² · (test + σ_ε²)  (docs/theory/one-step.md §4.2 step 5 and §4.2b).
    """
    if not df2 < 1.0:
        raise InvalidParameterError(
            f"df2/n = {df2:.6g} >= 1: the ridge variance diverges (ridgeless interpolation peak)"
        )
    # Exact identities: 0 <= df2 <= df1 <= 1 and 0 <= q <= E g² (the learned signal cannot exceed it).
    # A violation beyond rounding means the inputs are so extreme that the traces lost their digits.
    tol = _MOMENT_TOL
    if not (-tol <= df2 and -tol <= df1 <= 1.0 + tol and -tol * max(1.0, signal_power) <= q
            <= signal_power + tol * max(1.0, signal_power)):
        raise InvalidParameterError(
            f"precision lost in the ridge equivalent (df1 = {df1:.3g}, df2 = {df2:.3g}, q = {q:.3g}, "
            f"E g^2 = {signal_power:.3g}): the parameters are outside the numerically reliable domain"
        )
    df1 = min(max(df1, 0.0), 1.0)
    df2 = max(df2, 0.0)
    q = min(max(q, 0.0), signal_power)
    test = unexplained + (signal_power - q + noise_var * df2) / (1.0 - df2)
    train = (1.0 - df1) ** 2 * (test + label_noise_var)
    return test, train


def ridge_equivalent_from_spectrum(
    eigenvalues: np.ndarray,
    b_coords: np.ndarray,
    n: float,
    lam_eff: float,
    signal_power: float,
    noise_var: float,
    unexplained: float,
    label_noise_var: float,
    kappa0: float | None = None,
) -> RidgeEquivalent:
    """Finite-size deterministic equivalent from the eigen-decomposition of S.

    ``eigenvalues`` of S (p of them, ≥ 0), ``b_coords`` = Vᵀb in the same eigenbasis, ``n`` the number
    of samples and ``lam_eff`` the ridge in the (1/n)-normalization.  Implements the formulas in the
    module docstring with traces computed exactly on the given spectrum.
    """
    s = np.asarray(eigenvalues, dtype=float)
    b2 = np.asarray(b_coords, dtype=float) ** 2
    if np.any(s < -1e-10 * max(1.0, s.max())):
        raise InvalidParameterError("second-moment matrix has negative eigenvalues")
    s = np.clip(s, 0.0, None)

    def df1(k):
        return float(np.sum(s / (s + k))) / n

    scale = float(s.mean()) if s.size else 1.0
    kappa, nfev = solve_effective_ridge(lam_eff, df1, kappa0=kappa0, scale=max(scale, 1e-300))
    with np.errstate(divide="ignore", invalid="ignore"):
        if kappa > 0:
            ratio = s / (s + kappa)
            qk = float(np.sum(b2 * (s + 2 * kappa) / (s + kappa) ** 2))
        else:  # ridgeless under-parametrized: projections onto the range of S only
            pos = s > 1e-12 * s.max()
            ratio = pos.astype(float)
            qk = float(np.sum(b2[pos] / s[pos]))
    d1 = float(np.sum(ratio)) / n
    d2 = float(np.sum(ratio**2)) / n
    test, train = ridge_errors(signal_power, qk, d1, d2, noise_var, unexplained, label_noise_var)
    return RidgeEquivalent(kappa, d1, d2, qk, test, train, nfev)
