"""Gaussian expectations: quadrature rules for E g(z), z ~ N(0, 1), in float64.

Conventions follow docs/conventions.md ("Conventions"): expectations are over the standard normal
density φ(z) = exp(-z²/2)/√(2π); Hermite polynomials are the probabilists' He_k.

Three rules are offered.

* :func:`gauss_hermite_rule` — classical Gauss–Hermite for the weight φ.  Exact for polynomials of
  degree < 2n and spectrally accurate for entire functions, but only O(n^{-1}) – O(n^{-3/2})
  accurate for kinked functions (relu, abs, sign), because the kink lies *inside* the single
  "panel" ℝ.
* :func:`gaussian_rule` — the package's default float rule.  φ(z) dz is integrated on the truncated
  line [-L, L] (default L = 13: the neglected mass 2Φ(-13) ≈ 1.2e-38 is far below double
  precision, even against polynomial growth of moderate degree) with composite Gauss–Legendre
  panels of width ≤ 1 and 20 nodes each.  The panel edges include the *breakpoints* of the
  integrand (0 for relu / abs / sign), so every panel sees a function that is analytic on it, and
  Gauss–Legendre converges geometrically on every panel.  Panels of width 1 keep the Bernstein
  ellipse ratio large for integrands with complex singularities at distance ≈ 1 from ℝ (tanh:
  ±iπ/2), giving ~1e-16 relative accuracy for all registry activations times He_k, k ≲ 40
  (the test-suite checks 1e-12 absolute against 50-digit mpmath for k ≤ 12).
* :func:`shifted_gaussian_rule` — the same composite rule for E g(s + √c z) over an *array* of
  shifts s: the panel edges of each row additionally include the moving breakpoints
  z = (b - s)/√c, so kinks of g are never inside a panel.  The node count is fixed, so the rule
  is fully vectorized (no per-point adaptivity), as needed by the conditional Gaussian
  equivalence of spiked random features (``docs/theory/spiked-rf.md §2).

All rules are cached (:func:`functools.lru_cache`) and returned as read-only arrays.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Callable, Iterable, Sequence

import numpy as np

from .errors import ActivationError, InvalidParameterError
from .settings import check_int, check_positive

__all__ = [
    "DEFAULT_CUTOFF",
    "DEFAULT_PANEL_ORDER",
    "DEFAULT_PANEL_WIDTH",
    "DEFAULT_HERMITE_NODES",
    "gauss_hermite_rule",
    "gauss_legendre_rule",
    "gaussian_rule",
    "gaussian_expectation",
    "gaussian_expectation_panels",
    "shifted_gaussian_rule",
    "shifted_gaussian_expectation",
    "bivariate_gaussian_expectation",
    "normalized_hermite",
]

#: Truncation of the real line: [-L, L] carries all but 2Φ(-13) ≈ 1.2e-38 of the Gaussian mass.
DEFAULT_CUTOFF = 13.0
#: Width of the composite Gauss–Legendre panels (before adding breakpoints).
DEFAULT_PANEL_WIDTH = 1.0
#: Gauss–Legendre nodes per panel.
DEFAULT_PANEL_ORDER = 20
#: Default number of Gauss–Hermite nodes in :func:`gaussian_expectation`.
DEFAULT_HERMITE_NODES = 100

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

ArrayFn = Callable[[np.ndarray], np.ndarray]


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=float)
    a.setflags(write=False)
    return a


def _check_finite(values: np.ndarray, what: str) -> np.ndarray:
    if not np.all(np.isfinite(values)):
        raise ActivationError(
            f"{what} is not finite (the integrand overflows or is undefined at some quadrature node)"
        )
    return values


def _normalize_breakpoints(breakpoints: Iterable[float] | None) -> tuple[float, ...]:
    if breakpoints is None:
        return ()
    out = []
    for b in np.atleast_1d(np.asarray(tuple(breakpoints), dtype=float)):
        if not math.isfinite(b):
            raise InvalidParameterError(f"breakpoints must be finite, got {b!r}")
        out.append(float(b))
    return tuple(sorted(set(out)))


#: Largest Gauss–Hermite rule: numpy's weights overflow / underflow to NaN from about 370 nodes.
MAX_HERMITE_NODES = 350
#: Largest Gauss–Legendre rule (numpy's eigenvalue construction is O(n³): ~2 s at 1000 nodes).
MAX_LEGENDRE_NODES = 500


@lru_cache(maxsize=64)
def gauss_hermite_rule(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Hermite rule for the standard normal weight: Σ_i w_i g(x_i) ≈ E g(z), z ~ N(0, 1).

    Nodes are the zeros of He_n; the weights sum to 1 and the rule is exact for polynomials of
    degree ≤ 2n - 1.  Cached; the arrays are read-only.

    >>> x, w = gauss_hermite_rule(3)
    >>> round(float(w.sum()), 15), round(float(w @ x**2), 15), round(float(w @ x**4), 14)
    (1.0, 1.0, 3.0)
    """
    n = check_int("number of Gauss-Hermite nodes", n, 1)
    if n > MAX_HERMITE_NODES:
        raise InvalidParameterError(
            f"number of Gauss-Hermite nodes must be <= {MAX_HERMITE_NODES} (the weights of larger rules "
            f"underflow in double precision), got {n}")
    x, w = np.polynomial.hermite_e.hermegauss(n)
    w = w / w.sum()  # analytically Σ w = √(2π); renormalizing removes the rounding
    return _readonly(x), _readonly(w)


@lru_cache(maxsize=64)
def gauss_legendre_rule(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre rule on [-1, 1] (weights sum to 2).  Cached, read-only.

    >>> x, w = gauss_legendre_rule(2)
    >>> round(float(w.sum()), 15), round(float(x[1]), 12)
    (2.0, 0.57735026919)
    """
    n = check_int("number of Gauss-Legendre nodes", n, 1)
    if n > MAX_LEGENDRE_NODES:
        raise InvalidParameterError(
            f"number of Gauss-Legendre nodes must be <= {MAX_LEGENDRE_NODES} (use more panels instead), got {n}")
    x, w = np.polynomial.legendre.leggauss(n)
    return _readonly(x), _readonly(w)


def _uniform_edges(cutoff: float, panel_width: float) -> np.ndarray:
    n_panels = max(2, int(math.ceil(2.0 * cutoff / panel_width - 1e-9)))
    return np.linspace(-cutoff, cutoff, n_panels + 1)


@lru_cache(maxsize=256)
def _gaussian_rule_cached(
    breakpoints: tuple[float, ...], cutoff: float, panel_width: float, order: int
) -> tuple[np.ndarray, np.ndarray]:
    edges = _uniform_edges(cutoff, panel_width)
    inside = [b for b in breakpoints if -cutoff < b < cutoff]
    edges = np.unique(np.concatenate([edges, inside]))
    # merge edges closer than 1e-12 (a breakpoint on a uniform edge)
    keep = np.concatenate([[True], np.diff(edges) > 1e-12])
    edges = edges[keep]
    x, w = gauss_legendre_rule(order)
    mid = 0.5 * (edges[1:] + edges[:-1])
    half = 0.5 * (edges[1:] - edges[:-1])
    nodes = (mid[:, None] + half[:, None] * x[None, :]).ravel()
    weights = (half[:, None] * w[None, :]).ravel() * np.exp(-0.5 * nodes * nodes) * _INV_SQRT_2PI
    return _readonly(nodes), _readonly(weights)


def gaussian_rule(
    breakpoints: Iterable[float] = (0.0,),
    *,
    cutoff: float = DEFAULT_CUTOFF,
    panel_width: float = DEFAULT_PANEL_WIDTH,
    order: int = DEFAULT_PANEL_ORDER,
) -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss–Legendre rule for E g(z), z ~ N(0, 1), with panel edges at ``breakpoints``.

    Σ_i w_i g(x_i) ≈ ∫_{-L}^{L} g(z) φ(z) dz with L = ``cutoff``; the weights include the density
    φ and sum to 1 - 2Φ(-L).  Panels have width ≤ ``panel_width`` and ``order`` nodes each; every
    breakpoint in (-L, L) is a panel edge, so a function smooth away from its breakpoints
    (relu, abs, sign: breakpoint 0) is integrated to near machine precision.  Cached, read-only.

    >>> x, w = gaussian_rule((0.0,))
    >>> round(float(w.sum()), 14), round(float(w @ np.maximum(x, 0)), 15)   # 1/sqrt(2 pi)
    (1.0, 0.398942280401433)
    """
    cutoff = check_positive("cutoff", cutoff)
    panel_width = check_positive("panel_width", panel_width)
    order = check_int("panel order", order, 1)
    return _gaussian_rule_cached(_normalize_breakpoints(breakpoints), cutoff, panel_width, order)


def gaussian_expectation(fn: ArrayFn, n: int = DEFAULT_HERMITE_NODES) -> float:
    """E fn(z), z ~ N(0, 1), by the n-node Gauss–Hermite rule (:func:`gauss_hermite_rule`).

    ``fn`` must be vectorized.  Accurate for smooth (ideally entire) integrands; for kinked ones
    use :func:`gaussian_expectation_panels`.

    >>> round(gaussian_expectation(lambda x: x**4, n=5), 12)
    3.0
    >>> round(gaussian_expectation(np.cos), 15)   # exp(-1/2)
    0.606530659712633
    """
    x, w = gauss_hermite_rule(n)
    vals = _check_finite(np.asarray(fn(x), dtype=float), "the integrand")
    return float(w @ vals)


def gaussian_expectation_panels(
    fn: ArrayFn,
    breakpoints: Iterable[float] = (0.0,),
    *,
    cutoff: float = DEFAULT_CUTOFF,
    panel_width: float = DEFAULT_PANEL_WIDTH,
    order: int = DEFAULT_PANEL_ORDER,
) -> float:
    """E fn(z), z ~ N(0, 1), with the composite rule :func:`gaussian_rule` (kink-safe float path).

    >>> round(gaussian_expectation_panels(np.abs), 14)   # sqrt(2/pi)
    0.79788456080287
    >>> round(gaussian_expectation_panels(lambda x: np.maximum(x - 1, 0), breakpoints=(1.0,)), 14)
    0.08331547058769
    """
    x, w = gaussian_rule(breakpoints, cutoff=cutoff, panel_width=panel_width, order=order)
    vals = _check_finite(np.asarray(fn(x), dtype=float), "the integrand")
    return float(w @ vals)


def normalized_hermite(x: np.ndarray, order: int) -> np.ndarray:
    """he_k(x) = He_k(x)/√(k!) for k = 0..order, stacked along a new first axis.

    Stable three-term recurrence he_{k+1} = (x he_k - √k he_{k-1}) / √(k+1), so that
    E[he_j(z) he_k(z)] = δ_jk (docs/conventions.md).

    >>> normalized_hermite(np.array([2.0]), 3)[:, 0] * np.sqrt([1, 1, 2, 6])   # He_k(2)
    array([1., 2., 3., 2.])
    """
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 0:
        raise InvalidParameterError(f"order must be a non-negative integer, got {order!r}")
    x = np.asarray(x, dtype=float)
    out = np.empty((int(order) + 1,) + x.shape)
    out[0] = 1.0
    if order >= 1:
        out[1] = x
    for k in range(1, int(order)):
        out[k + 1] = (x * out[k] - math.sqrt(k) * out[k - 1]) / math.sqrt(k + 1)
    return out


def _hermite_stack(x: np.ndarray, orders: Sequence[int], normalized: bool) -> np.ndarray:
    kmax = max(orders)
    he = normalized_hermite(x, kmax)
    if not normalized:
        scale = np.sqrt([math.factorial(k) for k in range(kmax + 1)], dtype=float)
        he = he * scale.reshape((-1,) + (1,) * x.ndim)
    return he[list(orders)]


def shifted_gaussian_rule(
    s,
    c: float = 1.0,
    breakpoints: Iterable[float] = (0.0,),
    *,
    cutoff: float = DEFAULT_CUTOFF,
    order: int = DEFAULT_PANEL_ORDER,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-shift composite rule for E_z g(s + √c z): nodes z and weights, both of shape (len(s), M).

    Row i integrates φ(z) on [-L, L] with Gauss–Legendre panels of width ≤ min(1, 1/√c) (so that
    g(s + √c z) is resolved on the scale of g, not only of φ) whose edges include the moved
    breakpoints (b - s_i)/√c clipped to [-L, L].  A clipped breakpoint gives an empty panel with
    zero weight, so M is the same for every row: the rule is a fixed, vectorized one.

    >>> z, w = shifted_gaussian_rule(np.array([0.3, -2.0]), 0.5)
    >>> z.shape == w.shape, np.allclose(w.sum(axis=1), 1.0)
    (True, True)
    """
    s = np.atleast_1d(np.asarray(s, dtype=float))
    if s.ndim != 1:
        raise InvalidParameterError("shifts s must be a scalar or a 1-D array")
    _check_finite_param(s, "shift s")
    c = check_positive("scale c", c)
    cutoff = check_positive("cutoff", cutoff)
    order = check_int("panel order", order, 1)
    rc = math.sqrt(c)
    width = min(1.0, 1.0 / rc)
    base = _uniform_edges(cutoff, width)
    bps = np.asarray(_normalize_breakpoints(breakpoints), dtype=float)
    moved = np.clip((bps[None, :] - s[:, None]) / rc, -cutoff, cutoff)
    edges = np.sort(np.concatenate([np.broadcast_to(base, (s.size, base.size)), moved], axis=1), axis=1)
    x, w = gauss_legendre_rule(order)
    mid = 0.5 * (edges[:, 1:] + edges[:, :-1])
    half = 0.5 * (edges[:, 1:] - edges[:, :-1])
    nodes = (mid[:, :, None] + half[:, :, None] * x).reshape(s.size, -1)
    weights = (half[:, :, None] * w).reshape(s.size, -1) * np.exp(-0.5 * nodes * nodes) * _INV_SQRT_2PI
    return nodes, weights


def _check_finite_param(a: np.ndarray, what: str) -> None:
    if not np.all(np.isfinite(a)):
        raise InvalidParameterError(f"{what} must be finite")


def shifted_gaussian_expectation(
    fn: ArrayFn,
    s,
    c: float = 1.0,
    *,
    breakpoints: Iterable[float] = (0.0,),
    hermite_orders: Sequence[int] | None = None,
    normalized: bool = False,
    cutoff: float = DEFAULT_CUTOFF,
    order: int = DEFAULT_PANEL_ORDER,
    chunk_nodes: int = 2_000_000,
) -> np.ndarray:
    """E_z[fn(s + √c z) He_k(z)] for every shift in the array ``s`` (z ~ N(0, 1), c > 0).

    ``breakpoints`` are the kinks of ``fn`` (in its own argument).  With ``hermite_orders=None``
    returns E fn(s + √c z) with the shape of ``s``; otherwise an array of shape
    (len(hermite_orders),) + s.shape, with He_k (or he_k = He_k/√k! if ``normalized``).
    This is the building block of the shifted Hermite coefficients of ``docs/theory/spiked-rf.md §2.
    Work is chunked so that at most ``chunk_nodes`` function values are held at once.

    >>> from scipy.special import erf
    >>> s = np.array([0.0, 0.7])
    >>> bool(np.allclose(shifted_gaussian_expectation(erf, s, 2.0), erf(s / np.sqrt(5.0)), atol=1e-14))
    True
    """
    s_arr = np.asarray(s, dtype=float)
    flat = np.atleast_1d(s_arr).ravel()
    orders = None
    if hermite_orders is not None:
        raw = (
            [hermite_orders]
            if isinstance(hermite_orders, (int, np.integer))
            else list(hermite_orders)
        )
        orders = []
        for k in raw:
            if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
                raise InvalidParameterError(f"Hermite orders must be non-negative integers, got {k!r}")
            orders.append(int(k))
        if not orders:
            raise InvalidParameterError("hermite_orders must not be empty")
    c = check_positive("scale c", c)
    rc = math.sqrt(c)
    n_out = 1 if orders is None else len(orders)
    out = np.empty((n_out, flat.size))
    # node count per row (same for all rows): probe with one shift
    probe_z, _ = shifted_gaussian_rule(flat[:1] if flat.size else np.zeros(1), c, breakpoints, cutoff=cutoff, order=order)
    per_row = probe_z.shape[1]
    step = max(1, chunk_nodes // per_row)
    for start in range(0, flat.size, step):
        sl = flat[start : start + step]
        zn, wn = shifted_gaussian_rule(sl, c, breakpoints, cutoff=cutoff, order=order)
        vals = _check_finite(np.asarray(fn(sl[:, None] + rc * zn), dtype=float), "the integrand")
        wv = wn * vals
        if orders is None:
            out[0, start : start + step] = wv.sum(axis=1)
        else:
            he = _hermite_stack(zn, orders, normalized)
            out[:, start : start + step] = np.einsum("kij,ij->ki", he, wv)
    _check_finite(out, "the shifted expectation")
    if orders is None:
        return out[0].reshape(s_arr.shape) if s_arr.ndim else out[0, 0]
    return out.reshape((n_out,) + s_arr.shape)


def bivariate_gaussian_expectation(
    f: ArrayFn,
    g: ArrayFn,
    rho: float,
    *,
    f_breakpoints: Iterable[float] = (0.0,),
    g_breakpoints: Iterable[float] = (0.0,),
    cutoff: float = DEFAULT_CUTOFF,
    order: int = DEFAULT_PANEL_ORDER,
) -> float:
    """E[f(u) g(v)] for standard normals u, v with correlation ``rho`` ∈ [-1, 1].

    Written as E_u[f(u) G(u)] with G(u) = E_w g(ρu + √(1-ρ²) w) (the inner expectation by
    :func:`shifted_gaussian_expectation`, kink-safe); the outer rule has edges at the breakpoints
    of f and at b/ρ for the breakpoints b of g (where G varies fastest when ρ → ±1).

    >>> relu = lambda x: np.maximum(x, 0.0)
    >>> rho = 0.3   # arc-cosine kernel: (sqrt(1-rho^2) + rho (pi - arccos rho)) / (2 pi)
    >>> exact = (np.sqrt(1 - rho**2) + rho * (np.pi - np.arccos(rho))) / (2 * np.pi)
    >>> bool(abs(bivariate_gaussian_expectation(relu, relu, rho) - exact) < 1e-13)
    True
    """
    try:
        rho = float(rho)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"correlation rho must be a number, got {rho!r}") from None
    if not (-1.0 <= rho <= 1.0):
        raise InvalidParameterError(f"correlation rho must lie in [-1, 1], got {rho!r}")
    fb = _normalize_breakpoints(f_breakpoints)
    gb = _normalize_breakpoints(g_breakpoints)
    c = 1.0 - rho * rho
    if c <= 1e-14:
        sgn = 1.0 if rho > 0 else -1.0
        outer = fb + tuple(b * sgn for b in gb)
        return gaussian_expectation_panels(
            lambda u: f(u) * g(sgn * u), outer, cutoff=cutoff, order=order
        )
    outer = list(fb)
    if rho != 0.0:
        # G(u) has a transition layer of width δ = √(1-ρ²)/|ρ| at u = b/ρ: grade the panels there
        delta = math.sqrt(c) / abs(rho)
        steps = [delta * 2.0**j for j in range(-1, int(math.ceil(math.log2(1.0 / delta))) + 1)] if delta < 1 else []
        for b in gb:
            t = b / rho
            outer += [t] + [t + sg * d for d in steps for sg in (-1.0, 1.0)]
    x, w = gaussian_rule(outer, cutoff=cutoff, order=order)
    inner = shifted_gaussian_expectation(g, rho * np.asarray(x), c, breakpoints=gb, cutoff=cutoff, order=order)
    fv = _check_finite(np.asarray(f(x), dtype=float), "the integrand")
    return float(w @ (fv * inner))
