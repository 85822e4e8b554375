"""Ridge regression of the second layer: primal / dual Cholesky, and one factorization for a λ path.

docs/theory/one-step.md §1 ("Second layer") and §7 step 5.  With features Φ ∈ R^{n×N} the readout is

    â = argmin_a (1/n)‖y − Φa‖² + (λ/N)‖a‖²  =  (ΦᵀΦ + ρ I_N)^{-1} Φᵀ y,     ρ := nλ/N,

equivalently (push-through identity) â = Φᵀ (ΦΦᵀ + ρ I_n)^{-1} y.  The primal (N×N) system is
used when N ≤ n, the dual (n×n) one otherwise.  λ = 0 is the ridgeless limit: the minimum-norm
least-squares solution (``lstsq``).  The training error reported everywhere is
(1/n)‖y − Φâ‖² on the labels that were fitted (noisy labels in the protocol).

>>> rng = np.random.default_rng(0)
>>> Phi, y = rng.standard_normal((30, 10)), rng.standard_normal(30)
>>> fit = fit_ridge(Phi, y, lam=0.1)
>>> fit.method
'primal-cholesky'
>>> bool(np.allclose(fit.coef, factor_ridge(Phi, y).fit(0.1).coef))
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import scipy.linalg

from asymptotics.errors import InvalidParameterError
from asymptotics.limits import check_memory, ridge_fit_bytes
from asymptotics.settings import check_float_array, check_nonnegative

from .data import check_all_finite

__all__ = [
    "RidgeEigen",
    "RidgeFit",
    "RidgePath",
    "factor_ridge",
    "fit_ridge",
    "ridge_path",
    "ridge_penalty",
    "train_error",
]

#: Above this bound on cond(Gram + ρI) ≤ (Tr Gram + ρ)/ρ, the Cholesky solve is replaced by a
#: thin SVD of Φ (which does not square the condition number).
_MAX_COND = 1e10

METHODS = ("auto", "primal", "dual", "svd")

_OVERFLOW_HINT = "the features are too large (overflow; e.g. a huge learning rate)"


def ridge_penalty(lam: float, n: int, N: int) -> float:
    """ρ = nλ/N, the ridge added to ΦᵀΦ for the (1/n, λ/N) normalization of docs/theory/one-step.md §1."""
    return n * float(lam) / N


def train_error(Phi: np.ndarray, y: np.ndarray, coef: np.ndarray) -> float:
    """(1/n)‖y − Φ coef‖²."""
    r = y - Phi @ coef
    return float(r @ r) / Phi.shape[0]


@dataclass(frozen=True)
class RidgeFit:
    """One ridge solution.

    Attributes
    ----------
    coef : (N,) array
        â.
    lam : float
        λ in the (1/n, λ/N) normalization.
    train_error : float
        (1/n)‖y − Φâ‖².
    method : str
        ``"primal-cholesky"``, ``"dual-cholesky"``, ``"svd"``, ``"lstsq"`` or ``"eigh"``.
    """

    coef: np.ndarray = field(repr=False)
    lam: float
    train_error: float
    method: str


def _check_problem(Phi: np.ndarray, y: np.ndarray, keep_float32: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Validated (Phi, y) as float64 arrays; with ``keep_float32`` a float32 Phi stays float32 (and y follows)."""
    if keep_float32 and isinstance(Phi, np.ndarray) and Phi.dtype == np.float32:
        y = check_float_array("y", y, "the labels", finite=False).astype(np.float32)
    else:
        Phi = check_float_array("Phi", Phi, "the feature matrix", finite=False)
        y = check_float_array("y", y, "the labels", finite=False)
    if Phi.ndim != 2 or y.ndim != 1 or y.shape[0] != Phi.shape[0] or Phi.size == 0:
        raise InvalidParameterError(
            f"expected Phi (n×N) and y (n,), got shapes {Phi.shape} and {y.shape}"
        )
    check_memory(f"a ridge fit on {Phi.shape[0]}×{Phi.shape[1]} features", ridge_fit_bytes(*Phi.shape))
    check_all_finite("ridge features Phi", Phi, "the features overflowed")
    check_all_finite("ridge labels y", y)
    return Phi, y


def _svd_solve(Phi: np.ndarray, y: np.ndarray, rho: float) -> np.ndarray:
    """â = V diag(s/(s² + ρ)) Uᵀ y from the thin SVD Φ = U diag(s) Vᵀ (ρ = 0: pseudo-inverse).

    Singular values ≤ max(s)·max(n, N)·eps are dropped (treated as exact zeros).
    """
    U, s, Vt = scipy.linalg.svd(Phi, full_matrices=False, lapack_driver="gesdd")
    with np.errstate(over="ignore"):
        check_all_finite("squared singular values of Phi", s * s, _OVERFLOW_HINT)
    c = U.T @ y
    # Singular values below the rounding level are numerical zeros (exact zeros give w = 0 for
    # any ρ ≥ 0); keeping them would amplify rounding noise by up to 1/(2√ρ) for a tiny ρ.
    tol = s.max(initial=0.0) * max(Phi.shape) * np.finfo(float).eps
    keep = s > tol
    s_kept = np.where(keep, s, 1.0)
    w = np.where(keep, s_kept / (s_kept * s_kept + rho), 0.0)
    return Vt.T @ (w * c)


def fit_ridge(Phi: np.ndarray, y: np.ndarray, lam: float, method: str = "auto") -> RidgeFit:
    """Ridge readout â = (ΦᵀΦ + (nλ/N) I)^{-1} Φᵀ y (docs/theory/one-step.md §1, §7 step 5).

    Parameters
    ----------
    Phi : (n, N) array
        Features (already divided by √N in the protocol).
    y : (n,) array
        Labels.
    lam : float
        λ ≥ 0.  λ = 0 gives the minimum-norm least-squares solution.
    method : {"auto", "primal", "dual", "svd"}
        ``"auto"`` uses the primal N×N Cholesky when N ≤ n and the dual n×n Cholesky otherwise.
        Whatever the choice, an ill-conditioned system (cond bound > 1e10) or a failed Cholesky
        falls back to a thin SVD of Φ, and λ = 0 uses ``lstsq``.

    A float32 Φ keeps the Gram matrix ΦᵀΦ (or ΦΦᵀ), the costly n·min(n, N)² part, in float32; the
    factorization, the fall-backs and the coefficients are float64.

    Returns
    -------
    RidgeFit
    """
    Phi, y = _check_problem(Phi, y, keep_float32=True)
    lam = check_nonnegative("lam", lam, "the ridge penalty")
    if not (isinstance(method, str) and method in METHODS):
        raise InvalidParameterError(f"method must be one of {METHODS}, got {method!r}")
    n, N = Phi.shape
    rho = ridge_penalty(lam, n, N)

    if Phi.dtype != np.float64 and (rho == 0.0 or method == "svd"):
        Phi, y = Phi.astype(float), y.astype(float)
    if rho == 0.0:
        coef = scipy.linalg.lstsq(Phi, y, lapack_driver="gelsd")[0]
        used = "lstsq"
    elif method == "svd":
        coef, used = _svd_solve(Phi, y, rho), "svd"
    else:
        side = method if method != "auto" else ("primal" if N <= n else "dual")
        with np.errstate(over="ignore", invalid="ignore"):
            gram = Phi.T @ Phi if side == "primal" else Phi @ Phi.T
        check_all_finite("ridge Gram matrix", gram, _OVERFLOW_HINT)
        gram = gram.astype(float, copy=False)  # a float32 Gram is factorized in float64
        cond_bound = (np.trace(gram) + rho) / rho
        coef = None
        if cond_bound <= _MAX_COND:
            gram[np.diag_indices_from(gram)] += rho
            try:
                factor = scipy.linalg.cho_factor(gram, lower=False, overwrite_a=True, check_finite=False)
            except np.linalg.LinAlgError:
                factor = None
            if factor is not None:
                if side == "primal":
                    coef = scipy.linalg.cho_solve(factor, (Phi.T @ y).astype(float, copy=False), check_finite=False)
                else:
                    coef = Phi.T @ scipy.linalg.cho_solve(factor, y, check_finite=False).astype(Phi.dtype, copy=False)
                    coef = coef.astype(float, copy=False)
                used = f"{side}-cholesky"
        if coef is None:
            coef, used = _svd_solve(Phi.astype(float, copy=False), y.astype(float, copy=False), rho), "svd"
    check_all_finite("ridge coefficients", coef)
    with np.errstate(over="ignore", invalid="ignore"):
        err = train_error(Phi, y, coef.astype(Phi.dtype, copy=False))
    check_all_finite("ridge training error", err, "the labels or the features are too large (overflow)")
    return RidgeFit(coef=coef, lam=lam, train_error=err, method=used)


@dataclass(frozen=True)
class RidgePath:
    """Ridge solutions along a path of λ values (one factorization).

    Attributes
    ----------
    lams : (K,) array
    coefs : (K, N) array
        Row k is â(λ_k).
    train_errors : (K,) array
        (1/n)‖y − Φâ(λ_k)‖².
    """

    lams: np.ndarray
    coefs: np.ndarray = field(repr=False)
    train_errors: np.ndarray


@dataclass(frozen=True)
class RidgeEigen:
    """Eigendecomposition of the smaller Gram matrix of Φ, reusable for any λ.

    ``side == "primal"`` (N ≤ n): ΦᵀΦ = V diag(s) Vᵀ, proj = Vᵀ Φᵀ y and â = V (proj / (s + ρ)).
    ``side == "dual"`` (N > n): ΦΦᵀ = U diag(s) Uᵀ, proj = Uᵀ y and â = Φᵀ U (proj / (s + ρ)).
    Eigenvalues below ``max(s)·max(n, N)·eps`` are treated as exact zeros, so λ = 0 gives the
    minimum-norm least-squares solution.  Build with :func:`factor_ridge`.
    """

    Phi: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    side: str
    evals: np.ndarray = field(repr=False)
    evecs: np.ndarray = field(repr=False)
    proj: np.ndarray = field(repr=False)

    @property
    def n(self) -> int:
        return int(self.Phi.shape[0])

    @property
    def N(self) -> int:
        return int(self.Phi.shape[1])

    def _weights(self, lams: np.ndarray) -> np.ndarray:
        """(m, K) matrix proj_i / (s_i + ρ_k), 0 where s_i + ρ_k = 0 (null space, λ = 0)."""
        rho = self.n * lams / self.N
        denom = self.evals[:, None] + rho[None, :]
        safe = np.where(denom > 0, denom, 1.0)
        return np.where(denom > 0, self.proj[:, None] / safe, 0.0)

    def path(self, lams: Sequence[float]) -> RidgePath:
        """Solutions and training errors for every λ in ``lams`` (each ≥ 0)."""
        lams = np.atleast_1d(np.asarray(lams, dtype=float))
        if lams.ndim != 1 or lams.size == 0:
            raise InvalidParameterError("lams must be a non-empty 1-d sequence")
        for lam in lams:
            check_nonnegative("lam", lam, "the ridge penalty")
        coeffs = self.evecs @ self._weights(lams)  # (m, K)
        coefs = (coeffs if self.side == "primal" else self.Phi.T @ coeffs).T
        resid = self.y[:, None] - self.Phi @ coefs.T
        errs = np.einsum("ik,ik->k", resid, resid) / self.n
        check_all_finite("ridge path coefficients", coefs)
        return RidgePath(lams=lams, coefs=np.ascontiguousarray(coefs), train_errors=errs)

    def fit(self, lam: float) -> RidgeFit:
        """The single solution at λ (same as :func:`fit_ridge` up to rounding)."""
        p = self.path([lam])
        return RidgeFit(
            coef=p.coefs[0], lam=float(p.lams[0]), train_error=float(p.train_errors[0]), method="eigh"
        )


def factor_ridge(Phi: np.ndarray, y: np.ndarray) -> RidgeEigen:
    """Factor the smaller of ΦᵀΦ (N×N) and ΦΦᵀ (n×n) once by ``scipy.linalg.eigh``."""
    Phi, y = _check_problem(Phi, y)
    n, N = Phi.shape
    side = "primal" if N <= n else "dual"
    with np.errstate(over="ignore", invalid="ignore"):
        gram = Phi.T @ Phi if side == "primal" else Phi @ Phi.T
    check_all_finite("ridge Gram matrix", gram, _OVERFLOW_HINT)
    s, V = scipy.linalg.eigh(gram, overwrite_a=True, check_finite=False)
    tol = max(s.max(initial=0.0), 0.0) * max(n, N) * np.finfo(float).eps
    s = np.where(s > tol, s, 0.0)
    proj = V.T @ (Phi.T @ y) if side == "primal" else V.T @ y
    return RidgeEigen(Phi=Phi, y=y, side=side, evals=s, evecs=V, proj=proj)


def ridge_path(Phi: np.ndarray, y: np.ndarray, lams: Sequence[float]) -> RidgePath:
    """Ridge solutions for a whole path of λ from one eigendecomposition (docs/theory/one-step.md §1 normalization)."""
    return factor_ridge(Phi, y).path(lams)
