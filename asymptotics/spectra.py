"""Marchenko–Pastur Stieltjes transforms and the spiked quadratic form of a sample covariance.

Conventions: the Marchenko–Pastur (MP) law with aspect ratio ``ratio`` = p/n and unit variance is the
limiting spectrum of (1/n) GᵀG for G ∈ R^{n×p} with iid N(0, 1) entries.  Its Stieltjes transform
m(z) = ∫ dμ(x) / (x − z) solves (docs/theory/one-step.md §4.2, step 2)

    ratio · z · m² + (z + ratio − 1) · m + 1 = 0,

and for z < 0 the relevant root is the positive one.  Everything here is evaluated on the negative
real axis (ridge regularization), where the transforms are real, positive and smooth.

>>> round(float(mp_stieltjes(-1.0, 1.0)), 12)           # (√5 − 1)/2
0.61803398875
>>> bool(abs(mp_stieltjes(-1e-3, 0.5) - 1 / (1 - 0.5)) < 1e-2)   # → 1/(1−ratio) as z → 0⁻
True
"""

from __future__ import annotations

import numpy as np

from .errors import InvalidParameterError
from .settings import check_float_array, check_positive

__all__ = [
    "mp_stieltjes",
    "mp_stieltjes_derivative",
    "spiked_companion_delta",
    "spiked_quadratic_form",
    "empirical_stieltjes",
]


def _check_negative(z):
    z = check_float_array("z", z, "the spectral argument", finite=False)
    if np.any(~(z < 0)) or not np.all(np.isfinite(z)):
        raise InvalidParameterError("the Stieltjes transforms here are defined for finite real z < 0 only")
    return z


def _check_ratio(ratio) -> float:
    return check_positive("ratio", ratio, "the aspect ratio of the Marchenko-Pastur law")


def mp_stieltjes(z, ratio: float):
    """Stieltjes transform m(z) of the MP law with aspect ratio ``ratio``, for real z < 0.

    The positive root of ratio·z·m² + (z + ratio − 1)·m + 1 = 0.  The two algebraically equal forms
    m = (A − s)/(2·ratio·z) and m = 2/(A + s), with A = −(z + ratio − 1) and
    s = √((z − 1 − ratio)² − 4·ratio) = √((z − λ₊)(z − λ₋)), are chosen by the sign of A so that no cancellation occurs
    (the naive form loses all digits as z → 0⁻ when ratio < 1).
    """
    z = _check_negative(z)
    ratio = _check_ratio(ratio)
    A = -(z + ratio - 1.0)
    # (z − 1 − ratio)² − 4·ratio = (z − λ₊)(z − λ₋), λ± = (1 ± √ratio)²: the product form has no
    # cancellation near z = 0 when ratio = 1.
    r = np.sqrt(ratio)
    s = np.sqrt((z - (1.0 + r) ** 2) * (z - (1.0 - r) ** 2))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = np.where(A >= 0, 2.0 / (A + s), (A - s) / (2.0 * ratio * z))
    if not np.all(np.isfinite(out)):
        raise InvalidParameterError(f"the Marchenko-Pastur transform overflows at ratio = {ratio:g} (z = {z!r})")
    return out[()] if out.ndim == 0 else out


def mp_stieltjes_derivative(z, ratio: float):
    """dm/dz for the MP law (implicit differentiation of the quadratic), z < 0.

    From ratio·z·m² + (z + ratio − 1)m + 1 = 0:  m' = −(ratio·m² + m) / (2·ratio·z·m + z + ratio − 1).
    Equals ∫ dμ(x)/(x − z)² > 0.
    """
    z = _check_negative(z)
    m = mp_stieltjes(z, ratio)
    ratio = float(ratio)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = -(ratio * m * m + m) / (2.0 * ratio * z * m + z + ratio - 1.0)
    if not np.all(np.isfinite(out)):
        raise InvalidParameterError(f"the Marchenko-Pastur transform's derivative overflows at ratio = {ratio:g}")
    return out


def spiked_companion_delta(w, psi2: float):
    """δ_w > 0 solving w·δ² + (w + 1 − 1/ψ2)·δ − 1/ψ2 = 0, for w > 0 (docs/theory/one-step.md §4.2 step 4).

    δ_w = (1/N) Tr (Ŝ + w)^{-1} for Ŝ = (1/N) Σ_i g_i g_iᵀ ∈ R^{d×d}, N samples, d/N = 1/ψ2; it is the
    fixed point δ = (1/ψ2) / (w + 1/(1 + δ)).  Returns (δ, dδ/dw).
    """
    w = check_float_array("w", w, "the spectral shift", finite=False)
    if np.any(~(w > 0)) or not np.all(np.isfinite(w)):
        raise InvalidParameterError("spiked_companion_delta needs finite w > 0")
    psi2 = check_positive("psi2", psi2, "the width ratio")
    b = w + 1.0 - 1.0 / psi2
    s = np.sqrt(b * b + 4.0 * w / psi2)
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.where(b >= 0, (2.0 / psi2) / (b + s), (s - b) / (2.0 * w))
    ddelta = -(delta * delta + delta) / (2.0 * w * delta + b)
    return delta, ddelta


def spiked_quadratic_form(w, psi2: float, theta: float, gamma2: float):
    """Deterministic equivalent of βᵀ(Ŝ + w)^{-1}β and its w-derivative, w > 0.

    Ŝ = (1/N) Σ_i g_i g_iᵀ is a d×d sample covariance of N = ψ2·d vectors with population covariance
    T = I + θ ûûᵀ, and γ² = ⟨û, β⟩² for a unit vector β.  With δ = δ_w from
    :func:`spiked_companion_delta`, the anisotropic equivalent (Ŝ + w)^{-1} ≈ (w + T/(1 + δ))^{-1}
    and Sherman–Morrison give (docs/theory/one-step.md §4.2 step 4)

        B = (1/a0) (1 − γ² a1 / (a0 + a1)),   a0 = w + 1/(1 + δ),   a1 = θ/(1 + δ).

    Returns ``(B, dB/dw)``.
    """
    delta, ddelta = spiked_companion_delta(w, psi2)
    inv = 1.0 / (1.0 + delta)
    dinv = -ddelta * inv * inv
    a0 = w + inv
    a1 = theta * inv
    da0 = 1.0 + dinv
    da1 = theta * dinv
    frac = a1 / (a0 + a1)
    dfrac = (da1 * (a0 + a1) - a1 * (da0 + da1)) / (a0 + a1) ** 2
    B = (1.0 - gamma2 * frac) / a0
    dB = -gamma2 * dfrac / a0 - (1.0 - gamma2 * frac) * da0 / (a0 * a0)
    return B, dB


def empirical_stieltjes(eigenvalues, z):
    """(1/p) Σ_i 1/(λ_i − z) of a sampled spectrum: the finite-size counterpart of :func:`mp_stieltjes`."""
    lam = check_float_array("eigenvalues", eigenvalues)
    z = check_float_array("z", z, "the spectral argument")
    if np.any(z >= lam.min(initial=np.inf)) and np.any((lam[..., None] if z.ndim else lam) == z):
        raise InvalidParameterError("z is an eigenvalue: the Stieltjes transform has a pole there")
    return np.mean(1.0 / (lam[..., None] - z[None, ...]) if z.ndim else 1.0 / (lam - z), axis=0)
