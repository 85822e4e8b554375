"""Hermite coefficients of activations: exact (sympy), high precision (mpmath) and float64.

Conventions (docs/conventions.md): probabilists' Hermite polynomials He_k with
E[He_j(z) He_k(z)] = k! δ_jk for z ~ N(0, 1), and orthonormal coefficients

    c_k = E[f(z) He_k(z)] / √(k!),        so that  ‖f‖² = E f(z)² = Σ_k c_k².

Named constants (Ba et al. 2022 eq. 2.2; docs/theory/one-step.md): μ0 = c_0, μ1 = c_1 = E[z f(z)],
μ* = √(‖f‖² − μ0² − μ1²) (written μ2 in Ba et al.).  Shifted coefficients of the conditional
Gaussian equivalence (Cui et al. 2024; ``docs/theory/spiked-rf.md §2):

    μ0(s) = E f(s + √c z),   μ1(s) = E[z f(s + √c z)] / √c,   μ*(s)² = E f(s + √c z)² − μ0(s)² − c μ1(s)².

Three routes compute c_k (the one used is reported in ``HermiteCoefficients.method``):

``"float"``
    Composite Gauss–Legendre quadrature against φ on [-L, L] with the activation's breakpoints as
    panel edges (:func:`asymptotics.gaussian.gaussian_rule`), all k at once through the stable
    normalized recurrence.  ~1e-15 absolute for the registry, k ≤ 12; used by the numerics.
``"exact"``
    Closed forms, chosen by a fixed rule on the expression (:func:`symbolic_class`; no clock, no
    subprocess, so the route never depends on machine load): polynomials (direct Hermite projection
    of the monomials, z^m = Σ_k m!/(k! j! 2^j) He_k with m = k + 2j); piecewise polynomials in
    z > 0 / z < 0 (relu, abs, sign: half-line Gaussian moments); for other small expressions, the
    even / odd parts by expansion (zero parts give exact zeros, polynomial parts exact values), then
    for parts built from exp, sin, cos, sinh, cosh, erf, erfc and polynomials: sums of
    z^m·exp(a z + b z²) (Gaussian moments with a shifted mean) and Stein's identity
    E[h He_i] = E[h' He_{i−1}] for factors h whose derivative is of that form (erf, erfc, gelu).
    tanh, softplus, sigmoid, silu, log, rational functions ... are left to mpmath.  A symbolic
    result is accepted only if it is finite, real and agrees with the float path.
``"mpmath"``
    Composite Gauss–Legendre at ``digits + 10`` working digits, split at the breakpoints, all k in
    one pass; the error estimate is the difference between two panel refinements.  Used for the
    coefficients the exact route does not deliver (tanh, softplus, ...).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Sequence

import mpmath
import numpy as np

from .activations import Activation, get_activation
from .errors import ActivationError, InvalidParameterError
from .settings import check_int, check_positive
from .gaussian import (
    DEFAULT_CUTOFF,
    DEFAULT_PANEL_ORDER,
    gaussian_rule,
    normalized_hermite,
    shifted_gaussian_expectation,
)

__all__ = [
    "HermiteCoefficients",
    "HermiteConstants",
    "ShiftedCoefficients",
    "hermite_coefficients",
    "hermite_constants",
    "hermite_norm2",
    "PreciseConstants",
    "shifted_moments",
    "shifted_coefficients",
    "activation_breakpoints",
    "activation_is_smooth",
    "symbolic_class",
    "MAX_ORDER",
    "MAX_PRECISE_ORDER",
    "MAX_DIGITS",
]

#: Digits used by ``method="exact"`` / ``"mpmath"`` when ``digits`` is not given.
DEFAULT_DIGITS = 30
#: Largest Hermite order of the float path (He_k(L)·φ(L) stays in double range; ~0.1 s).
MAX_ORDER = 400
#: Largest Hermite order with ``digits`` (exact / mpmath routes; the worst case takes seconds).
MAX_PRECISE_ORDER = 40
#: Largest ``digits`` (mpmath working precision digits + 10; the worst case takes seconds).
MAX_DIGITS = 100
_GUARD_DIGITS = 10
_METHODS = ("auto", "exact", "mpmath", "float")


# --------------------------------------------------------------------------------------------
# validation helpers


def _check_digits(digits) -> int | None:
    if digits is None:
        return None
    if isinstance(digits, bool) or not isinstance(digits, (int, np.integer)) or digits < 1:
        raise InvalidParameterError(f"digits must be a positive integer (or None), got {digits!r}")
    if digits > MAX_DIGITS:
        raise InvalidParameterError(f"digits must be at most {MAX_DIGITS}, got {digits}")
    return int(digits)


def _check_order(order, precise: bool) -> int:
    order = check_int("order", order, 0, "the highest Hermite degree")
    limit = MAX_PRECISE_ORDER if precise else MAX_ORDER
    if order > limit:
        what = "with digits (exact / mpmath routes)" if precise else "on the float path"
        raise InvalidParameterError(f"order must be at most {limit} {what}, got {order}")
    return order



# --------------------------------------------------------------------------------------------
# breakpoints



def activation_is_smooth(f) -> bool:
    """True when f has no kink or jump: no Max/Min/Abs/sign/Heaviside/Piecewise in its expression.

    Registry activations (and ``centered:`` of them) know it without sympy.

    >>> activation_is_smooth("tanh"), activation_is_smooth("centered:relu"), activation_is_smooth("Max(z, 0)")
    (True, False, False)
    """
    act = get_activation(f)
    if act.smooth is not None:
        return act.smooth
    from ._hermite_exact import is_smooth_expr  # imports sympy: expressions only

    return is_smooth_expr(act.expr)


def activation_breakpoints(f) -> tuple[float, ...]:
    """Real points where f may fail to be smooth: zeros of the arguments of Max/Min/Abs/sign/
    Heaviside and Piecewise conditions (polynomial arguments only), always including 0.

    Quadrature panels are split there, so kinks and jumps never lie inside a panel.  Registry
    activations (and ``centered:`` of them) know theirs without sympy.

    >>> activation_breakpoints("relu"), activation_breakpoints("abs(z - 1) + tanh(z)")
    ((0.0,), (0.0, 1.0))
    """
    act = get_activation(f)
    if act.breakpoints is not None:
        return act.breakpoints
    from ._hermite_exact import breakpoints_of_expr  # imports sympy: expressions only

    return breakpoints_of_expr(act.expr)


# --------------------------------------------------------------------------------------------
# float path


def _cutoff_for(act: Activation, order: int) -> float:
    """Truncation L of the real line: tails of f·he_K·φ beyond L must be negligible in double."""
    base = max(DEFAULT_CUTOFF, 2.0 * math.sqrt(order) + 9.0)
    for L in (base, base + 5.0, base + 10.0, base + 20.0, base + 30.0):
        with np.errstate(all="ignore"):
            fv = np.abs(act.fn(np.array([-L, L])))
        he = np.abs(normalized_hermite(np.array([L]), order)[-1, 0]) if order else 1.0
        tail = float(np.max(fv)) * he * math.exp(-0.5 * L * L) * (L + 1.0)
        if math.isfinite(tail) and tail < 1e-18:
            return L
    return L


def _float_project(act: Activation, order: int, L: float, width: float, n: int) -> np.ndarray:
    x, w = gaussian_rule(activation_breakpoints(act), cutoff=L, panel_width=width, order=n)
    fv = np.asarray(act.fn(x), dtype=float)
    if not np.all(np.isfinite(fv)):
        raise ActivationError(
            f"activation {act.name!r} is not finite at some quadrature node in [-{L:g}, {L:g}]"
        )
    he = normalized_hermite(x, order)
    return he @ (w * fv)


@lru_cache(maxsize=512)
def _float_coefficients(act: Activation, order: int) -> tuple[np.ndarray, float]:
    L = _cutoff_for(act, order)
    fine = _float_project(act, order, L, 0.5, DEFAULT_PANEL_ORDER + 4)
    coarse = _float_project(act, order, L, 1.0, DEFAULT_PANEL_ORDER)
    if not np.all(np.isfinite(fine)):
        raise ActivationError(f"Hermite coefficients of {act.name!r} are not finite")
    scale = max(1.0, float(np.max(np.abs(fine))))
    err = float(np.max(np.abs(fine - coarse))) + 4e-16 * scale * math.sqrt(order + 1)
    fine.setflags(write=False)
    return fine, err


# --------------------------------------------------------------------------------------------
# mpmath path


@lru_cache(maxsize=32)
def _gl_nodes(degree: int, dps: int) -> tuple[tuple, ...]:
    """Gauss–Legendre nodes and weights on [-1, 1] at ``dps`` digits (3·2^(degree-1) nodes)."""
    with mpmath.workdps(dps):
        gl = mpmath.calculus.quadrature.GaussLegendre(mpmath.mp)
        return tuple(gl.calc_nodes(degree, mpmath.mp.prec))


def _mp_value(act: Activation, x) -> mpmath.mpf:
    v = mpmath.mpmathify(act.mp(x))
    if isinstance(v, mpmath.mpc):
        if abs(v.imag) > mpmath.eps * (1 + abs(v.real)) * 100:
            raise ActivationError(f"activation {act.name!r} is complex at z = {mpmath.nstr(x, 8)}")
        v = v.real
    return v


def _mp_rule_sum(act: Activation, order: int, edges: list, degree: int, dps: int, power: int = 1) -> list:
    nodes = _gl_nodes(degree, dps)
    # The recurrence he_k = a_k x he_{k-1} - b_k he_{k-2} (a_k = 1/√k, b_k = √((k-1)/k)) and the
    # accumulation run in binary fixed point on Python integers (P fractional bits, P well above
    # the working precision): ~10x faster than mpf arithmetic, with absolute error ~2^-P·|he_k|.
    # The weight φ(x)·f(x) is tiny where |he_k(x)| is huge (|x| near L), and its fixed-point
    # rounding 2^-P is multiplied by he_k(x): P carries log2 max|he_k| ≈ k log2(1+L) − ½ log2 k!
    # extra bits so that this product stays at 2^-(prec+64).
    L_max = float(max(abs(edges[0]), abs(edges[-1])))
    growth = order * math.log2(1.0 + L_max) - 0.5 * math.lgamma(order + 1) / math.log(2)
    P = mpmath.mp.prec + 64 + max(0, int(growth) + 1)
    to_fixed = mpmath.libmp.to_fixed
    one = 1 << P
    a_k = [0] + [to_fixed((1 / mpmath.sqrt(k))._mpf_, P) for k in range(1, order + 1)]
    b_k = [0] + [to_fixed(mpmath.sqrt(mpmath.mpf(k - 1) / k)._mpf_, P) for k in range(1, order + 1)]
    sums = [0] * (order + 1)
    inv_sqrt_2pi = 1 / mpmath.sqrt(2 * mpmath.pi)
    exp = mpmath.exp
    for a, b in zip(edges[:-1], edges[1:]):
        half = (b - a) / 2
        mid = (b + a) / 2
        scale = half * inv_sqrt_2pi
        for t, w in nodes:
            x = mid + half * t
            base = to_fixed((scale * w * exp(-x * x / 2) * _mp_value(act, x) ** power)._mpf_, P)
            X = to_fixed(x._mpf_, P)
            sums[0] += base
            hm, h = 0, one
            for k in range(1, order + 1):
                hm, h = h, (a_k[k] * ((X * h) >> P) - b_k[k] * hm) >> P
                sums[k] += (base * h) >> P
    return [mpmath.mpf((v, -P)) for v in sums]


def _mp_edges(breakpoints, L, width) -> list:
    n = int(math.ceil(2 * L / width))
    edges = {mpmath.mpf(-L) + i * mpmath.mpf(2 * L) / n for i in range(n + 1)}
    edges |= {mpmath.mpf(b) for b in breakpoints if -L < b < L}
    return sorted(edges)


@lru_cache(maxsize=256)
def _mp_coefficients(act: Activation, order: int, digits: int, power: int = 1) -> tuple[tuple, mpmath.mpf]:
    """c_0..c_order of f**power at ``digits`` significant digits (absolute), with an error estimate."""
    dps = digits + _GUARD_DIGITS
    with mpmath.workdps(dps):
        # truncation: φ(L)·|f(±L)|·|he_K(L)| below 10^-dps
        L = math.sqrt(2 * dps * math.log(10))
        for _ in range(200):
            tail = max(abs(_mp_value(act, mpmath.mpf(sg * L))) ** power for sg in (-1, 1))
            tail *= mpmath.npdf(L) * (1 + mpmath.mpf(L)) ** order / mpmath.sqrt(mpmath.factorial(order))
            if tail * (L + 1) < mpmath.mpf(10) ** (-dps):
                break
            L += 1.0
        degree = 4 if dps <= 30 else 5 if dps <= 60 else 6 if dps <= 120 else 7
        bps = activation_breakpoints(act)
        width = 2.0
        prev = _mp_rule_sum(act, order, _mp_edges(bps, L, width), degree, dps, power)
        tol = mpmath.mpf(10) ** (-(digits + 2))
        for _ in range(4):
            width /= 2
            cur = _mp_rule_sum(act, order, _mp_edges(bps, L, width), degree, dps, power)
            err = max(abs(a - b) for a, b in zip(cur, prev))
            scale = max([mpmath.mpf(1)] + [abs(v) for v in cur])
            prev = cur
            if err <= tol * scale:
                break
        if not all(mpmath.isfinite(v) for v in cur):
            raise ActivationError(f"Hermite coefficients of {act.name!r} are not finite")
        err = err + mpmath.mpf(10) ** (-dps) * scale
        return tuple(+v for v in cur), +err


# --------------------------------------------------------------------------------------------
# exact path: asymptotics._hermite_exact (sympy, imported on first use); its size limits are here
#
# The symbolic route is chosen by a rule on the expression, never by a clock (the result of a call
# does not depend on machine load); see :func:`symbolic_class` and the module docstring.

#: Largest ``sympy.count_ops`` of an expression (or parity part) the closed-form route works on.
SYMBOLIC_MAX_OPS = 40
#: Largest integer power of a z-dependent sum/function (other than z itself) in the closed-form
#: route (bounds the size of the expansions).
SYMBOLIC_MAX_POWER = 3
#: Largest number of terms c·z^m·exp(a z + b z²) of a closed form (beyond it: mpmath).
SYMBOLIC_MAX_TERMS = 16


def symbolic_class(f) -> str:
    """Which route :func:`hermite_coefficients` takes for f when ``digits`` is given (a pure rule).

    ``"polynomial"`` (a polynomial in z), ``"half-line"`` (polynomials on z > 0 and z < 0: relu,
    abs, sign, ...), ``"closed-form"`` (at most :data:`SYMBOLIC_MAX_OPS` operations, built from
    polynomials and exp, sin, cos, sinh, cosh, erf, erfc, with powers of z-dependent sums at most
    :data:`SYMBOLIC_MAX_POWER`: erf, gelu, sin, cos, ...) or ``"numeric"`` (everything else: tanh,
    softplus, sigmoid, silu, ...; mpmath quadrature except for parity zeros and polynomial parts).
    A "closed-form" expression whose expansion exceeds :data:`SYMBOLIC_MAX_TERMS` Gaussian-exp
    terms, or contains erf/erfc other than as a single factor z^m·erf(·), falls back to mpmath for
    the coefficients concerned: the decision again depends on the expression only.

    >>> [symbolic_class(n) for n in ("he3", "relu", "erf", "gelu", "tanh", "sigmoid")]
    ['polynomial', 'half-line', 'closed-form', 'closed-form', 'numeric', 'numeric']
    """
    from ._hermite_exact import symbolic_class_of  # imports sympy

    return symbolic_class_of(f if not isinstance(f, (str, Activation)) else get_activation(f).expr)


@lru_cache(maxsize=256)
def _exact_coefficients(act: Activation, order: int) -> tuple[tuple, tuple]:
    """(exact values or None, routes or None) for k = 0..order; deterministic (no clock).

    A closed form is kept only if it is finite, real and equal to the float coefficient.
    """
    from . import _hermite_exact as exact  # imports sympy: only the closed-form route needs it

    vals, routes = exact.closed_forms(act.expr, order)
    ref, err = _float_coefficients(act, order)
    for k in range(order + 1):
        if vals[k] is not None:
            if not exact.accept(vals[k], float(ref[k]), 1e-9 * max(1.0, abs(float(ref[k]))) + 10 * err):
                vals[k], routes[k] = None, None
    return tuple(vals), tuple(routes)


# --------------------------------------------------------------------------------------------
# public: coefficients


@dataclass(frozen=True)
class HermiteCoefficients:
    """Orthonormal Hermite coefficients c_k = E[f(z) He_k(z)]/√(k!), k = 0..order.

    Attributes
    ----------
    activation : str
        Name of the activation.
    order : int
        Highest k; ``coefficients`` has ``order + 1`` entries.
    coefficients : tuple of float
        c_0..c_order as floats (rounded from the precise values when those exist).
    method : str
        ``"float"``, ``"exact"`` (every c_k in closed form) or ``"mpmath"`` (at least one c_k by
        high-precision quadrature; see ``routes``).
    error_estimate : float
        Estimated max absolute error over k (0 for an all-exact result; float rounding aside).
    digits : int or None
        Requested significant digits (None for the float path).
    exact : tuple or None
        sympy closed forms (None entries where none was found); None on the float path.
    values : tuple or None
        mpmath values at ``digits + 10`` working digits; None on the float path.
    routes : tuple of str
        Per-k route: "float", "mpmath", "polynomial", "half-line", "parity", "gaussian-exp",
        "stein-derivative-j" or "sympy-integrate".
    seconds : float
        Wall-clock time of this call (small when served from the per-process cache).
    """

    activation: str
    order: int
    coefficients: tuple
    method: str
    error_estimate: float
    digits: int | None = None
    exact: tuple | None = field(default=None, repr=False)
    values: tuple | None = field(default=None, repr=False)
    routes: tuple = field(default=(), repr=False)
    seconds: float = field(default=0.0, repr=False, compare=False)

    def norm2_partial(self) -> float:
        """Σ_k c_k² (→ ‖f‖² as order → ∞, Parseval)."""
        return float(sum(c * c for c in self.coefficients))

    def to_dict(self) -> dict:
        """JSON-friendly dict; with ``digits`` the numbers are decimal strings of that many digits."""
        if self.digits is not None and self.values is not None:
            coeffs = [
                mpmath.nstr(v, self.digits, strip_zeros=False, min_fixed=-5, max_fixed=5) if v != 0 else "0"
                for v in self.values
            ]
            err = mpmath.nstr(mpmath.mpf(self.error_estimate), 3)
        elif self.digits is not None:
            coeffs = [f"{c:.{self.digits}g}" for c in self.coefficients]
            err = f"{self.error_estimate:.3g}"
        else:
            coeffs = [float(c) for c in self.coefficients]
            err = float(self.error_estimate)
        out = {
            "activation": self.activation,
            "order": self.order,
            "method": self.method,
            "digits": self.digits,
            "coefficients": coeffs,
            "error_estimate": err,
            "routes": list(self.routes),
        }
        if self.exact is not None:
            out["exact"] = [None if e is None else str(e) for e in self.exact]
        return out


def hermite_coefficients(
    f,
    order: int,
    digits: int | None = None,
    method: str = "auto",
) -> HermiteCoefficients:
    """Orthonormal Hermite coefficients c_k = E[f(z) He_k(z)]/√(k!), k = 0..order (docs/conventions.md).

    Parameters
    ----------
    f : Activation or str
        Registry name, ``centered:NAME`` or expression in z (see :func:`get_activation`).
    order : int
        Highest degree k, 0 ≤ k ≤ :data:`MAX_ORDER` (400) on the float path and
        ≤ :data:`MAX_PRECISE_ORDER` (40) with ``digits``.
    digits : int, optional
        Significant digits wanted, 1 ≤ digits ≤ :data:`MAX_DIGITS` (100).  None with
        ``method="auto"`` selects the float path.
    method : {"auto", "exact", "mpmath", "float"}
        ``"auto"``: float if ``digits`` is None, else exact-then-mpmath.  ``"exact"``: closed forms
        first, mpmath for the rest (reported in ``method`` / ``routes``).  ``"mpmath"``: quadrature
        only.  ``"float"``: float64 quadrature (``digits`` ≤ 15).

    Which coefficients have closed forms is decided by a rule on the expression
    (:func:`symbolic_class`), never by a time limit: the same call gives the same ``method``,
    ``routes`` and digits on any machine, busy or idle.  The worst allowed cases (order 40 at
    100 digits by mpmath, or order 40 by the closed-form route) take seconds.

    >>> hermite_coefficients("relu", 2, digits=20).exact[:2]
    (sqrt(2)/(2*sqrt(pi)), 1/2)
    >>> [round(c, 12) + 0.0 for c in hermite_coefficients("he2", 3).coefficients]
    [0.0, 0.0, 1.0, 0.0]
    """
    digits = _check_digits(digits)
    if method not in _METHODS:
        raise InvalidParameterError(f"method must be one of {', '.join(_METHODS)}, got {method!r}")
    float_path = method == "float" or (method == "auto" and digits is None)
    order = _check_order(order, precise=not float_path)
    act = get_activation(f)
    if method == "float" or (method == "auto" and digits is None):
        if digits is not None and digits > 15:
            raise InvalidParameterError(f"the float path gives at most 15 digits, {digits} requested")
        t0 = time.perf_counter()
        coeffs, err = _float_coefficients(act, order)
        return HermiteCoefficients(
            activation=act.name, order=order, coefficients=tuple(float(c) for c in coeffs),
            method="float", error_estimate=err, digits=digits,
            routes=("float",) * (order + 1), seconds=time.perf_counter() - t0,
        )
    digits = DEFAULT_DIGITS if digits is None else digits
    t0 = time.perf_counter()
    dps = digits + _GUARD_DIGITS
    if method == "mpmath":
        exact, routes = (None,) * (order + 1), (None,) * (order + 1)
    else:
        exact, routes = _exact_coefficients(act, order)
    routes = list(routes)
    values: list = [None] * (order + 1)
    err = mpmath.mpf(0)
    with mpmath.workdps(dps):
        for k, e in enumerate(exact):
            if e is not None:
                from ._hermite_exact import real_value  # sympy is loaded: e is a closed form

                values[k] = real_value(e, dps, act.name, k)
        if any(v is None for v in values):
            mp_vals, mp_err = _mp_coefficients(act, order, digits)
            for k in range(order + 1):
                if values[k] is None:
                    values[k] = mp_vals[k]
                    routes[k] = "mpmath"
            err = mp_err
        values = [+v for v in values]
    all_exact = all(e is not None for e in exact)
    return HermiteCoefficients(
        activation=act.name,
        order=order,
        coefficients=tuple(float(v) for v in values),
        method="exact" if all_exact else "mpmath",
        error_estimate=float(err),
        digits=digits,
        exact=None if method == "mpmath" else tuple(exact),
        values=tuple(values),
        routes=tuple(routes),
        seconds=time.perf_counter() - t0,
    )


# --------------------------------------------------------------------------------------------
# public: named constants


@dataclass(frozen=True)
class HermiteConstants:
    """Named Gaussian constants of an activation (docs/conventions.md; Ba et al. eq. 2.2).

    mu0 = E f(z); mu1 = E[z f(z)]; mu_star = √(‖f‖² − μ0² − μ1²) (μ2 in Ba et al.);
    norm2 = E f(z)²; norm2_nonlinear = ‖P_{>1} f‖² = mu_star²; mean_derivative = E f'(z);
    var_derivative = Var f'(z); mean_z_derivative = E[z f'(z)] (= E f'' when f' is a.c.).
    Derivatives are the numpy almost-everywhere derivatives of the activation.
    """

    activation: str
    mu0: float
    mu1: float
    mu_star: float
    norm2: float
    norm2_nonlinear: float
    mean_derivative: float
    var_derivative: float
    mean_z_derivative: float

    def to_dict(self) -> dict:
        return {k: (getattr(self, k)) for k in self.__dataclass_fields__}


@lru_cache(maxsize=256)
def _constants(act: Activation) -> HermiteConstants:
    bps = activation_breakpoints(act)
    L = _cutoff_for(act, 2)
    x, w = gaussian_rule(bps, cutoff=L)
    with np.errstate(all="ignore"):
        fv = np.asarray(act.fn(x), dtype=float)
        dv = np.asarray(act.dfn(x), dtype=float)
    if not (np.all(np.isfinite(fv)) and np.all(np.isfinite(dv))):
        raise ActivationError(f"activation {act.name!r} or its derivative is not finite on the quadrature nodes")
    mu0 = float(w @ fv)
    mu1 = float(w @ (x * fv))
    norm2 = float(w @ (fv * fv))
    nonlin = norm2 - mu0 * mu0 - mu1 * mu1
    if nonlin < -1e-12 * max(1.0, norm2):
        raise ActivationError(f"‖f‖² < μ0² + μ1² for {act.name!r}: quadrature failed")
    nonlin = max(nonlin, 0.0)
    md = float(w @ dv)
    vd = max(float(w @ (dv * dv)) - md * md, 0.0)
    mzd = float(w @ (x * dv))
    vals = (mu0, mu1, math.sqrt(nonlin), norm2, nonlin, md, vd, mzd)
    if not all(math.isfinite(v) for v in vals):
        raise ActivationError(f"Hermite constants of {act.name!r} are not finite")
    return HermiteConstants(act.name, *vals)


def hermite_constants(f) -> HermiteConstants:
    """μ0, μ1, μ*, ‖f‖², ‖P_{>1}f‖², E f', Var f', E[z f'] of an activation (float path, cached).

    Definitions: docs/conventions.md and Ba et al. eq. (2.2).  Stein's lemma gives
    E[z f(z)] = E f'(z) for continuous, a.e.-differentiable f of moderate growth (relu: both 1/2).
    For a *discontinuous* f (sign) the a.e. derivative (0 for sign) is used, so ``mean_derivative``
    = 0 ≠ μ1 = √(2/π): the distributional derivative 2δ would restore Stein's identity.

    >>> k = hermite_constants("relu")
    >>> round(k.mu0, 12), round(k.mu1, 12), round(k.norm2, 12), round(k.mean_derivative, 12)
    (0.398942280401, 0.5, 0.5, 0.5)
    """
    return _constants(get_activation(f))


@dataclass(frozen=True)
class PreciseConstants:
    """μ0, μ1, μ* and ‖f‖² = E f(z)² at ``digits`` digits (mpmath values at digits + 10 working digits).

    ``method`` is that of μ0, μ1 (see :class:`HermiteCoefficients`); ‖f‖² is always by mpmath
    quadrature, with ``error_estimate`` the larger of the two error estimates.
    """

    activation: str
    digits: int
    mu0: mpmath.mpf
    mu1: mpmath.mpf
    mu_star: mpmath.mpf
    norm2: mpmath.mpf
    method: str
    error_estimate: float

    def to_dict(self) -> dict:
        """Decimal strings with ``digits`` significant digits (keys mu0, mu1, mu_star, norm2, ...)."""
        fmt = lambda v: mpmath.nstr(v, self.digits, strip_zeros=False) if v != 0 else "0"  # noqa: E731
        return {
            "mu0": fmt(self.mu0),
            "mu1": fmt(self.mu1),
            "mu_star": fmt(self.mu_star),
            "norm2": fmt(self.norm2),
            "constants_method": self.method,
            "constants_error_estimate": mpmath.nstr(mpmath.mpf(self.error_estimate), 3),
        }


def hermite_norm2(f, digits: int | None = None) -> PreciseConstants:
    """‖f‖² = E f(z)² with μ0, μ1 and μ* = √(‖f‖² − μ0² − μ1²) at ``digits`` digits (default 30).

    High-precision companion of :func:`hermite_constants` (docs/conventions.md).

    >>> pc = hermite_norm2("relu", digits=20)
    >>> pc.to_dict()["norm2"], pc.to_dict()["mu1"]
    ('0.50000000000000000000', '0.50000000000000000000')
    """
    digits = DEFAULT_DIGITS if _check_digits(digits) is None else _check_digits(digits)
    act = get_activation(f)
    coeffs = hermite_coefficients(act, 1, digits=digits)
    (n2,), err = _mp_coefficients(act, 0, digits, 2)
    with mpmath.workdps(digits + _GUARD_DIGITS):
        mu0, mu1 = coeffs.values
        rest = n2 - mu0 * mu0 - mu1 * mu1
        if rest < -mpmath.mpf(10) ** (-digits) * max(1, abs(n2)):
            raise ActivationError(f"‖f‖² < μ0² + μ1² for {act.name!r}: quadrature failed")
        mu_star = mpmath.sqrt(max(rest, 0))
    return PreciseConstants(
        act.name, digits, mu0, mu1, mu_star, n2, coeffs.method, float(max(err, coeffs.error_estimate))
    )


# --------------------------------------------------------------------------------------------
# public: shifted moments (spiked random features, docs/theory/spiked-rf.md §2)


def shifted_moments(f, s, c: float = 1.0, orders: Sequence[int] = (0, 1, 2), *, normalized: bool = False):
    """M_k(s) = E_z[f(s + √c z) He_k(z)] for each shift in ``s`` (z ~ N(0,1), c > 0).

    Returns an array of shape (len(orders),) + shape(s).  He_k is the probabilists' polynomial
    (he_k = He_k/√k! if ``normalized``).  Fixed vectorized composite Gauss–Legendre rule with the
    moved breakpoints of f as panel edges (:func:`asymptotics.gaussian.shifted_gaussian_expectation`);
    ~1e-13 accurate for the registry.  docs/theory/spiked-rf.md §2 (μ0(κ), μ1(κ) with s = rκ).

    >>> import numpy as np
    >>> m = shifted_moments("erf", np.array([0.0, 1.0]), 0.5)
    >>> bool(np.allclose(m[0], [0.0, 0.6826894921370859], atol=1e-14))   # erf(s/sqrt(1+2c))
    True
    """
    c = check_positive("scale c", c, "the variance of the Gaussian argument")
    if isinstance(orders, (int, np.integer)):
        orders = (orders,)
    orders = tuple(orders)
    for k in orders:
        check_int("order", k, 0, "a Hermite degree")
    if not orders:
        raise InvalidParameterError("orders must not be empty")
    act = get_activation(f)
    s_arr = np.asarray(s, dtype=float)
    if not np.all(np.isfinite(s_arr)):
        raise InvalidParameterError("shifts s must be finite")
    return shifted_gaussian_expectation(
        act.fn, s_arr, c, breakpoints=activation_breakpoints(act),
        hermite_orders=orders, normalized=normalized,
    )


@dataclass(frozen=True, eq=False)
class ShiftedCoefficients:
    """Conditional-GE coefficients at shifts s (docs/theory/spiked-rf.md §2), arrays shaped like s.

    mu0 = E f(s + √c z); mu1 = E[z f(s + √c z)]/√c (= E f'(s + √c z));
    second_moment = E f(s + √c z)²; mu_star = √max(second_moment − mu0² − c mu1², 0).
    """

    s: np.ndarray = field(repr=False)
    c: float
    mu0: np.ndarray = field(repr=False)
    mu1: np.ndarray = field(repr=False)
    mu_star: np.ndarray = field(repr=False)
    second_moment: np.ndarray = field(repr=False)

    def to_dict(self) -> dict:
        return {
            "c": self.c,
            **{k: np.asarray(getattr(self, k)).tolist() for k in ("s", "mu0", "mu1", "mu_star", "second_moment")},
        }


def shifted_coefficients(f, s, c: float = 1.0) -> ShiftedCoefficients:
    """μ0(s), μ1(s), μ*(s) and E f(s+√c z)² of the conditional Gaussian equivalence.

    docs/theory/spiked-rf.md §2: μ0 = E f(s+√c z), μ1 = E[z f(s+√c z)]/√c,
    μ*² = E f(s+√c z)² − μ0² − c μ1² (clipped at 0), with s = rκ.  Vectorized over ``s``.

    >>> sc = shifted_coefficients("relu", np.array([0.0]), 1.0)
    >>> round(float(sc.mu0[0]), 12), round(float(sc.mu1[0]), 12)
    (0.398942280401, 0.5)
    """
    c = check_positive("scale c", c, "the variance of the Gaussian argument")
    act = get_activation(f)
    s_arr = np.asarray(s, dtype=float)
    if not np.all(np.isfinite(s_arr)):
        raise InvalidParameterError("shifts s must be finite")
    bps = activation_breakpoints(act)
    m = shifted_gaussian_expectation(act.fn, s_arr, c, breakpoints=bps, hermite_orders=(0, 1))
    sq = shifted_gaussian_expectation(lambda x: act.fn(x) ** 2, s_arr, c, breakpoints=bps)
    mu0 = m[0]
    mu1 = m[1] / math.sqrt(c)
    mu_star = np.sqrt(np.maximum(sq - mu0 * mu0 - c * mu1 * mu1, 0.0))
    arrays = [np.array(a, dtype=float) for a in (s_arr, mu0, mu1, mu_star, sq)]
    for a in arrays:
        a.setflags(write=False)
    return ShiftedCoefficients(arrays[0], c, arrays[1], arrays[2], arrays[3], arrays[4])
