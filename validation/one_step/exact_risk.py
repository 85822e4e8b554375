"""Exact Gaussian test risk of a trained two-layer network (no test points).

For f̂(x) = Σ_i â_i σ(w_iᵀx)/√N and f*(x) = σ*(βᵀx) with x ~ N(0, I_d) and ‖β‖ = 1, write
s_i = ‖w_i‖, ŵ_i = w_i/s_i, ρ_ij = ŵ_iᵀŵ_j and ρ_i* = ŵ_iᵀβ.  With c_k(s) the orthonormal Hermite
coefficients of z ↦ σ(s z) and c*_k those of σ*, Mehler's formula gives

    E σ(w_iᵀx) σ(w_jᵀx) = Σ_k c_k(s_i) c_k(s_j) ρ_ij^k         (i ≠ j),   E σ(s_i z)²  (i = j),
    E σ(w_iᵀx) σ*(βᵀx)  = Σ_k c_k(s_i) c*_k ρ_i*^k,

so that R = E(f̂ − f*)² = âᵀKâ/N − 2 âᵀh/√N + E σ*(z)², exactly up to the series truncation, which
is chosen from the largest off-diagonal |ρ| so that the neglected tail is below ``tol`` (|c_k| ≤ ‖σ‖).
The diagonal uses E σ(s_i z)² directly, so kinked activations (ReLU) converge as fast as smooth
ones.  Cost O(N² d) for the Gram matrix instead of O(n_test N d) for Monte Carlo test points.
"""

from __future__ import annotations

import math

import numpy as np

from asymptotics.activations import Activation, get_activation
from asymptotics.errors import InvalidParameterError
from asymptotics.gaussian import gaussian_rule, normalized_hermite
from asymptotics.hermite import activation_breakpoints, hermite_constants
from asymptotics.limits import array_bytes, check_memory
from asymptotics.settings import check_float_array, check_range

from ..data import check_all_finite, check_int

__all__ = ["exact_risk", "scaled_hermite_coefficients"]


def scaled_hermite_coefficients(f: "str | Activation", scales: np.ndarray, order: int) -> np.ndarray:
    """c_k(s) = E[f(s z) he_k(z)] for each scale s (rows) and k = 0..order (columns).

    One fixed panel rule with the kinks of f as panel edges: a kink at 0 (relu, abs, sign) stays at 0
    for every scale, so the rule stays exact to rounding; a kink b ≠ 0 moves to b/s and is then only
    resolved by the panels' width (slower, still convergent).
    """
    act = get_activation(f)
    scales = np.asarray(scales, dtype=float)
    if np.any(~(scales > 0)):
        raise InvalidParameterError("every neuron must have a nonzero weight vector")
    bps = tuple(float(b) for b in activation_breakpoints(act))
    x, w = gaussian_rule(bps if bps else (0.0,))
    he = normalized_hermite(x, order)  # (order+1, nodes)
    vals = act(scales[:, None] * x[None, :]) * w[None, :]  # (N, nodes)
    return vals @ he.T


def _order_for(rho_max: float, norm2: float, tol: float, max_order: int) -> int:
    if rho_max <= 0:
        return 1
    if rho_max >= 1:
        return max_order + 1
    k = math.ceil(math.log(tol / max(norm2, 1e-300)) / math.log(rho_max))
    return max(k, 2)


def exact_risk(
    W: np.ndarray,
    coef: np.ndarray,
    beta: np.ndarray,
    student: "str | Activation",
    teacher: "str | Activation",
    tol: float = 1e-12,
    max_order: int = 200,
) -> float:
    """E_x(f̂(x) − f*(x))² for f̂ = âᵀσ(Wᵀx)/√N, exactly (module docstring), W ∈ R^{d×N}.

    Raises :class:`InvalidParameterError` when two neurons are so aligned (|ρ| close to 1) that the
    Mehler series would need more than ``max_order`` terms; use Monte Carlo test points then.

    >>> rng = np.random.default_rng(0)
    >>> W = rng.standard_normal((50, 20)) / np.sqrt(50); beta = np.eye(50)[0]
    >>> a = rng.standard_normal(20)
    >>> r = exact_risk(W, a, beta, "tanh", "tanh")
    >>> X = rng.standard_normal((400000, 50))
    >>> mc = np.mean((np.tanh(X @ W) @ a / np.sqrt(20) - np.tanh(X @ beta)) ** 2)
    >>> bool(abs(r - mc) < 0.01 * r)
    True
    """
    student, teacher = get_activation(student), get_activation(teacher)
    W = check_float_array("W", W, "the d×N first layer")
    coef = check_float_array("coef", coef, "the readout")
    beta = check_float_array("beta", beta, "the teacher direction")
    tol = check_range("tol", tol, 1e-300, 1.0, "the truncation tolerance of the Mehler series")
    max_order = check_int("max_order", max_order, 1, "the largest Mehler order")
    if W.ndim != 2:
        raise InvalidParameterError(f"W must be a d×N matrix, got shape {W.shape}")
    d, N = W.shape
    if coef.shape != (N,) or beta.shape != (d,):
        raise InvalidParameterError(f"shapes: W {W.shape}, coef {coef.shape}, beta {beta.shape}")
    check_memory(f"exact_risk at d={d}, N={N}", array_bytes((N, N), (N, N), (N, N), (d, N), (N, max_order + 1)))
    nb = float(np.linalg.norm(beta))
    s = np.linalg.norm(W, axis=0)
    if not (nb > 0 and math.isfinite(nb)) or not (np.all(s > 0) and np.all(np.isfinite(s))):
        raise InvalidParameterError("beta and every neuron (column of W) must be nonzero with a finite norm")
    beta = beta / nb
    What = W / s
    R = What.T @ What
    np.fill_diagonal(R, 0.0)
    rho_t = What.T @ beta
    sc, tc = hermite_constants(student), hermite_constants(teacher)
    rho_max = float(max(np.abs(R).max(initial=0.0), np.abs(rho_t).max()))
    order = _order_for(rho_max, max(sc.norm2 * (1 + s.max() ** 2), tc.norm2), tol, max_order)
    if order > max_order:
        raise InvalidParameterError(
            f"two neurons have |correlation| {rho_max:.4f}: the Mehler series needs more than "
            f"{max_order} terms; use Monte Carlo test points"
        )
    C = scaled_hermite_coefficients(student, s, order)  # (N, order+1)
    ct = scaled_hermite_coefficients(teacher, np.ones(1), order)[0]
    # Off-diagonal Gram by Horner in ρ: K = Σ_k (C_k C_kᵀ) ∘ R^k
    K = np.zeros((N, N))
    for k in range(order, -1, -1):
        K *= R
        K += np.outer(C[:, k], C[:, k])
    x, w = gaussian_rule(tuple(float(b) for b in activation_breakpoints(student)) or (0.0,))
    diag = (student(s[:, None] * x[None, :]) ** 2) @ w
    np.fill_diagonal(K, diag)
    h = np.zeros(N)
    for k in range(order, -1, -1):
        h *= rho_t
        h += C[:, k] * ct[k]
    risk = float(coef @ K @ coef / N - 2.0 * coef @ h / math.sqrt(N) + tc.norm2)
    check_all_finite("exact test risk", risk, "the readout or the weights overflowed")
    return max(risk, 0.0)
