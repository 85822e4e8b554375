"""Activations and teachers: one object giving a numpy callable, its derivative and a sympy expression.

An :class:`Activation` is built by :func:`get_activation` from

* a registry name (``"tanh"``, ``"relu"``, ``"he3"``, ... see :data:`REGISTRY_NAMES`),
* ``"centered:NAME"`` for the registry entry minus its Gaussian mean μ0 (e.g. the centered ReLU
  teacher of Ba et al. Fig. 3(b)), or
* any sympy expression string in the variable ``z`` (``"tanh(z) + 0.1*z**2"``); the registry names
  may be used as functions inside it (``"relu(z) - 1/sqrt(2*pi)"``).

Registry entries carry hand-written, overflow-safe numpy implementations; expressions are compiled
with :func:`sympy.lambdify`.  Every activation is checked to be square-integrable under N(0, 1)
(the Hermite expansion, and every formula in the package, needs ``E f(z)^2 < ∞``).

sympy is imported on first use only (it costs about as much as numpy and scipy together): a registry
name, or ``centered:`` of one, carries its numpy f and f', its breakpoints, its smoothness and the
float of its Gaussian mean, so that float Hermite constants and every theory built on them never
load sympy.  Its :attr:`Activation.expr` is built when first asked for (exact coefficients,
``to_dict``, ``mp``); expressions are parsed with sympy from the start.

A new registry entry needs three things: its numpy f and f' with its kinks (the points where f or
f' jumps; none for a smooth f) and the float of E f(z) in :func:`_build_registry`; its sympy expression in
:func:`_registry_exprs`; and, if E f(z) has a closed form, that form in :func:`_exact_means` (else
the float is the 30-digit quadrature of the expression).  ``tests/test_package.py`` checks the
kinks, smoothness and mean of every entry against its expression.

>>> act = get_activation("tanh")
>>> float(act(0.5)), float(act.derivative(0.0))
(0.46211715726000974, 1.0)
>>> get_activation("z**3 - 3*z").expr
z**3 - 3*z
"""

from __future__ import annotations

import dataclasses
import math
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Callable

import mpmath
import numpy as np
from scipy import special

from .errors import ActivationError, UnknownActivationError

if TYPE_CHECKING:  # sympy is imported lazily, on first use (module docstring)
    import sympy

__all__ = ["Activation", "get_activation", "REGISTRY_NAMES", "z"]  # noqa: F822 (z: module __getattr__)

ArrayFn = Callable[[np.ndarray], np.ndarray]


@lru_cache(maxsize=1)
def _symbol() -> "sympy.Symbol":
    """The variable ``z`` of every activation expression (imports sympy)."""
    import sympy

    return sympy.Symbol("z", real=True)


def __getattr__(name: str):
    # ``from asymptotics.activations import z`` still works; the symbol (and sympy) is made on demand
    if name == "z":
        return _symbol()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _he_fns(k: int) -> tuple[ArrayFn, ArrayFn]:
    """Normalized probabilists' Hermite polynomial He_k(z)/√k! and its derivative √k·he_{k-1}."""
    coef = np.zeros(k + 1)
    coef[k] = 1.0 / math.sqrt(math.factorial(k))
    dcoef = np.polynomial.hermite_e.hermeder(coef)
    return (
        lambda x, c=coef: np.polynomial.hermite_e.hermeval(x, c),
        lambda x, c=dcoef: np.polynomial.hermite_e.hermeval(x, c),
    )


def _sqrt2pi_density(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


@dataclasses.dataclass(frozen=True)
class _Entry:
    """A registry activation without sympy: f, f', its kinks (the points where f or f' jumps; none
    for a smooth f; the quadrature breakpoints are these and 0) and the float of E f(z) (used by
    ``centered:NAME``).  The sympy expression is :func:`_registry_expr`; ``tests/test_package.py``
    checks the kinks and the mean against it."""

    fn: ArrayFn
    dfn: ArrayFn
    kinks: tuple = ()
    mean: float = 0.0


def _build_registry() -> dict[str, _Entry]:
    reg: dict[str, _Entry] = {
        "linear": _Entry(lambda x: x * 1.0, lambda x: np.ones_like(x)),
        "tanh": _Entry(np.tanh, lambda x: 1.0 / np.cosh(x) ** 2),
        "erf": _Entry(special.erf, lambda x: 2.0 / math.sqrt(math.pi) * np.exp(-x * x)),
        # E relu = 1/√(2π), E|z| = √(2/π), E gelu = 1/(2√π), E cos = e^{-1/2}: float() of the exact values
        "relu": _Entry(lambda x: np.maximum(x, 0.0), lambda x: (x > 0).astype(float), (0.0,), 0.3989422804014327),
        # E softplus, E silu: 30-digit Gaussian quadrature of the expression, rounded to float
        "softplus": _Entry(lambda x: np.logaddexp(0.0, x), special.expit, (), 0.8060591833474398),
        "sigmoid": _Entry(special.expit, lambda x: special.expit(x) * special.expit(-x), (), 0.5),
        "gelu": _Entry(
            lambda x: x * special.ndtr(x),
            lambda x: special.ndtr(x) + x * _sqrt2pi_density(x),
            (),
            0.28209479177387814,
        ),
        "silu": _Entry(
            lambda x: x * special.expit(x),
            lambda x: special.expit(x) * (1.0 + x * special.expit(-x)),
            (),
            0.20662096414190703,
        ),
        "sin": _Entry(np.sin, np.cos),
        "cos": _Entry(np.cos, lambda x: -np.sin(x), (), 0.6065306597126334),
        "sign": _Entry(np.sign, lambda x: np.zeros_like(x), (0.0,)),
        "abs": _Entry(np.abs, np.sign, (0.0,), 0.7978845608028654),
    }
    for k in range(1, 7):
        reg[f"he{k}"] = _Entry(*_he_fns(k))
    return reg


_REGISTRY = MappingProxyType(_build_registry())

#: Names accepted by :func:`get_activation` (besides expressions and ``centered:`` names).
REGISTRY_NAMES: tuple[str, ...] = tuple(_REGISTRY)


@lru_cache(maxsize=None)
def _registry_exprs() -> MappingProxyType:
    """The sympy expression of every registry entry (imports sympy; built once)."""
    import sympy

    z = _symbol()
    exprs = {
        "linear": z,
        "tanh": sympy.tanh(z),
        "erf": sympy.erf(z),
        "relu": sympy.Max(z, 0),
        "softplus": sympy.log(1 + sympy.exp(z)),
        "sigmoid": 1 / (1 + sympy.exp(-z)),
        "gelu": z * (1 + sympy.erf(z / sympy.sqrt(2))) / 2,
        "silu": z / (1 + sympy.exp(-z)),
        "sin": sympy.sin(z),
        "cos": sympy.cos(z),
        "sign": sympy.sign(z),
        "abs": sympy.Abs(z),
    }
    for k in range(1, 7):
        exprs[f"he{k}"] = sympy.expand(sympy.hermite_prob(k, z) / sympy.sqrt(sympy.factorial(k)))
    return MappingProxyType(exprs)


def _registry_expr(name: str) -> "sympy.Expr":
    return _registry_exprs()[name]


@lru_cache(maxsize=None)
def _exact_means() -> MappingProxyType:
    """E f(z) in closed form for the registry entries that have one (imports sympy)."""
    import sympy

    means = {
        "relu": 1 / sympy.sqrt(2 * sympy.pi),
        "abs": sympy.sqrt(2 / sympy.pi),
        "gelu": 1 / (2 * sympy.sqrt(sympy.pi)),
        "cos": sympy.exp(-sympy.Rational(1, 2)),
        "sigmoid": sympy.Rational(1, 2),
        "linear": sympy.Integer(0),
        "tanh": sympy.Integer(0),
        "erf": sympy.Integer(0),
        "sin": sympy.Integer(0),
        "sign": sympy.Integer(0),
    }
    means.update({f"he{k}": sympy.Integer(0) for k in range(1, 7)})  # He_k ⟂ 1
    return MappingProxyType(means)


@dataclasses.dataclass(frozen=True)
class _LazyExpr:
    """The sympy expression of a registry-derived activation, built on first use.

    ``key`` identifies the function (``("registry", name)`` or ``("centered", name)``): two lazy
    expressions are equal when their keys are; against a sympy expression, the built one is compared.
    """

    key: tuple
    build: Callable = dataclasses.field(compare=False, repr=False)

    def __eq__(self, other):
        if isinstance(other, _LazyExpr):
            return self.key == other.key
        return NotImplemented

    def __hash__(self):
        return hash(self.key)


class Activation:
    """A scalar function of one Gaussian variable, in three forms.

    ``Activation(name, expr, fn, dfn)``; frozen (attributes cannot be set), equal when the names and
    the expressions are equal, hashable.

    Attributes
    ----------
    name : str
        Registry name, ``centered:NAME``, or the expression string as given.
    expr : sympy.Expr
        The function as a sympy expression in :data:`z` (built on first access for the registry:
        importing sympy is the cost).
    fn, dfn : callable
        Vectorized numpy implementations of f and f' (float64 arrays in and out).
    breakpoints : tuple of float or None
        Where f may fail to be smooth, 0 included, when known without sympy (registry entries);
        None: read from ``expr`` by :func:`asymptotics.hermite.activation_breakpoints`.
    smooth : bool or None
        No kink or jump, when known without sympy; None: read from ``expr``.
    """

    __slots__ = ("name", "fn", "dfn", "_expr", "breakpoints", "smooth", "_built")

    def __init__(self, name: str, expr, fn: ArrayFn, dfn: ArrayFn, *,
                 breakpoints: tuple | None = None, smooth: bool | None = None):
        for attr, value in (("name", name), ("_expr", expr), ("fn", fn), ("dfn", dfn),
                            ("breakpoints", None if breakpoints is None else tuple(breakpoints)),
                            ("smooth", smooth), ("_built", None)):
            object.__setattr__(self, attr, value)

    def __setattr__(self, attr, value):
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {attr!r}")

    __delattr__ = __setattr__

    @property
    def expr(self) -> "sympy.Expr":
        if not isinstance(self._expr, _LazyExpr):
            return self._expr
        if self._built is None:
            object.__setattr__(self, "_built", self._expr.build())
        return self._built

    def __eq__(self, other):
        if not isinstance(other, Activation):
            return NotImplemented
        if self.name != other.name:
            return False
        if isinstance(self._expr, _LazyExpr) and isinstance(other._expr, _LazyExpr):
            return self._expr == other._expr
        return bool(self.expr == other.expr)

    def __hash__(self):
        return hash(("Activation", self.name))

    def __repr__(self):
        return f"Activation(name={self.name!r})"

    def __reduce__(self):  # copy / deepcopy (attributes cannot be set one by one)
        return (_restore, (self.name, self._expr, self.fn, self.dfn, self.breakpoints, self.smooth))

    def __call__(self, x):
        """f(x), elementwise."""
        return self.fn(np.asarray(x, dtype=float))

    def derivative(self, x):
        """f'(x), elementwise (almost-everywhere derivative for kinks; 0 at jumps)."""
        return self.dfn(np.asarray(x, dtype=float))

    def mp(self, x):
        """f(x) at mpmath precision (used by high-precision Hermite quadrature)."""
        return _mp_eval(self.expr, x)

    def is_polynomial(self) -> bool:
        return bool(self.expr.is_polynomial(_symbol()))

    def to_dict(self) -> dict:
        return {"name": self.name, "expr": str(self.expr)}



def _restore(name, expr, fn, dfn, breakpoints, smooth) -> Activation:
    return Activation(name, expr, fn, dfn, breakpoints=breakpoints, smooth=smooth)
def _mp_eval(expr: "sympy.Expr", x):
    """Evaluate ``expr`` at ``x`` with mpmath at the current working precision."""
    fn = _mp_callable(expr)
    return fn(x)


#: Largest |argument| of exp / sinh / cosh in mpmath evaluations (exp(10^6) ≈ 10^434294 is far
#: beyond any float computation; larger arguments, e.g. from exp(exp(exp(z))), raise OverflowError
#: instead of building astronomically large integers).
MP_EXP_LIMIT = 10**6


def _guarded(name: str):
    fn = getattr(mpmath, name)

    def guarded(x):
        if abs(x) > MP_EXP_LIMIT:
            raise OverflowError(f"{name} of an argument larger than {MP_EXP_LIMIT}")
        return fn(x)

    return guarded


_MP_GUARDS = MappingProxyType({name: _guarded(name) for name in ("exp", "sinh", "cosh")})


@lru_cache(maxsize=256)
def _mp_callable(expr: "sympy.Expr"):
    """mpmath-evaluating lambdified ``expr`` (cached: lambdify is slow and expressions are few)."""
    import sympy

    return sympy.lambdify(_symbol(), expr, modules=["mpmath"])


@lru_cache(maxsize=256)
def _mp_callable_guarded(expr: "sympy.Expr"):
    """As :func:`_mp_callable`, but exp, sinh and cosh raise OverflowError for arguments beyond
    :data:`MP_EXP_LIMIT` (used by the input checks, which evaluate at |z| up to 160)."""
    import sympy

    return sympy.lambdify(_symbol(), expr, modules=[dict(_MP_GUARDS), "mpmath"])


def derivative_expr(expr: "sympy.Expr", name: str = "") -> "sympy.Expr":
    """The almost-everywhere derivative f' used by :meth:`Activation.derivative`.

    ``sympy.diff`` differentiates kinks into Heaviside / sign factors (Max(z, 0)' = Heaviside(z),
    |z|' = sign(z)); the Dirac masses of jumps (sign' = 2δ, Heaviside' = δ) are dropped, so f' is
    the pointwise derivative away from the finitely many breakpoints (as for the registry's
    ``sign``).  Raises :class:`ActivationError` if sympy leaves a derivative unevaluated.

    >>> import sympy
    >>> from asymptotics.activations import z
    >>> derivative_expr(sympy.Max(z, 0)), derivative_expr(sympy.sign(z) * z**2)
    (Heaviside(z), 2*z*sign(z))
    """
    import sympy

    d = sympy.diff(expr, _symbol()).replace(sympy.DiracDelta, lambda *args: sympy.Integer(0))
    if d.has(sympy.Derivative, sympy.Subs):
        raise ActivationError(f"activation {name or expr!r} has no closed-form derivative ({d})")
    return d


def _compile_numpy(expr: "sympy.Expr", name: str = "") -> tuple[ArrayFn, ArrayFn]:
    import sympy

    modules = [{"Heaviside": lambda x, h0=0.5: np.heaviside(x, h0)}, "scipy", "numpy"]
    f = sympy.lambdify(_symbol(), expr, modules=modules)
    df = sympy.lambdify(_symbol(), derivative_expr(expr, name), modules=modules)

    def fn(x, _f=f):
        x = np.asarray(x, dtype=float)
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(_f(x), dtype=float), x.shape).copy()

    def dfn(x, _df=df):
        x = np.asarray(x, dtype=float)
        with np.errstate(all="ignore"):
            out = np.asarray(_df(x), dtype=float)
        return np.broadcast_to(out, x.shape).copy()

    return fn, dfn


def _parse(text: str) -> "sympy.Expr":
    """The sympy expression of an expression string, by the whitelist parser (no code runs)."""
    from .expressions import parse_expression  # imports sympy: only expressions need it

    return parse_expression(text, _symbol())


#: Points where :func:`check_real_valued` evaluates an expression: every unit step on [-40, 40]
#: shifted by an irrational-looking offset (so that no breakpoint such as 0 or ±1 is hit).
_REAL_CHECK_POINTS = tuple(
    sorted([-40 + i + 0.3183098861837907 for i in range(80)] + [-0.0517, 0.0517], key=abs)
)


def check_real_valued(expr: "sympy.Expr", name: str) -> None:
    """Raise :class:`ActivationError` if f takes complex values on the real line.

    An activation is a map R → R.  ``sqrt(z)``, ``log(z)``, ``z**0.5`` or ``(-1)**z`` are complex
    for some real z, so they are refused (use ``sqrt(abs(z))``, ``log(abs(z))``) rather than having
    an imaginary part silently dropped somewhere downstream.  The test is structural when sympy can
    decide (``expr.is_extended_real``) and otherwise numeric: f is evaluated at 30 digits at the
    82 points of ``_REAL_CHECK_POINTS`` in [-40, 40] and any imaginary part > 1e-20·(1 + |f|) fails.

    >>> import sympy
    >>> from asymptotics.activations import z
    >>> check_real_valued(sympy.sqrt(z), "sqrt(z)")
    Traceback (most recent call last):
    ...
    asymptotics.errors.ActivationError: activation 'sqrt(z)' is complex-valued at z = -0.0517 (an activation must be real on the whole real line; e.g. use sqrt(abs(z)) or log(abs(z)))
    """
    import sympy

    hint = "an activation must be real on the whole real line; e.g. use sqrt(abs(z)) or log(abs(z))"
    if expr.has(sympy.I):
        raise ActivationError(f"activation {name!r} is complex-valued ({hint})")
    if expr.is_extended_real:
        return
    fn = _mp_callable_guarded(expr)
    with mpmath.workdps(30):
        for x in _REAL_CHECK_POINTS:
            try:
                val = mpmath.mpmathify(fn(mpmath.mpf(x)))
            except (ValueError, ZeroDivisionError, TypeError, OverflowError, MemoryError):
                continue  # poles and overflow are the square-integrability check's business
            if isinstance(val, mpmath.mpc) and abs(val.imag) > mpmath.mpf("1e-20") * (1 + abs(val.real)):
                raise ActivationError(f"activation {name!r} is complex-valued at z = {x:.4g} ({hint})")


def check_square_integrable(expr: "sympy.Expr", name: str) -> None:
    """Raise :class:`ActivationError` unless E f(z)² < ∞ for z ~ N(0, 1).

    Two ways to fail are checked: Gaussian tails (f(z)² e^{-z²/2} must vanish as |z| → ∞, tested at
    mpmath precision so that overflow is not mistaken for growth), and non-integrable poles at the
    real points where sympy reports the function discontinuous (the integral of f² over a shrinking
    neighbourhood must converge).
    """
    fn = _mp_callable_guarded(expr)
    with mpmath.workdps(30):
        # Tails: log(f² φ z²) must decrease to below -50 over the last three radii (a polynomial
        # always passes, whatever its degree, and is not tested).
        radii = (10, 20, 40, 80, 160)
        for sgn in (1, -1) if not expr.is_polynomial(_symbol()) else ():
            logs = []
            for r in radii:
                try:
                    val = abs(mpmath.mpmathify(fn(mpmath.mpf(sgn * r))))
                except (ValueError, ZeroDivisionError, TypeError, OverflowError, MemoryError) as exc:
                    raise ActivationError(
                        f"activation {name!r} is not square-integrable under N(0,1): it cannot be "
                        f"evaluated at z = {sgn * r} ({exc.__class__.__name__}: it overflows or is "
                        f"undefined there)"
                    ) from None
                if not mpmath.isfinite(val):
                    raise ActivationError(
                        f"activation {name!r} is not square-integrable under N(0,1): "
                        f"it overflows at z = {sgn * r}"
                    )
                logs.append(
                    2 * mpmath.log(val) - r * r / 2 + 2 * mpmath.log(r) if val > 0 else -mpmath.inf
                )
            if not (logs[-1] < logs[-2] < logs[-3] or logs[-1] == -mpmath.inf) or logs[-1] > -50:
                raise ActivationError(
                    f"activation {name!r} is not square-integrable under N(0,1): "
                    f"f(z)^2 exp(-z^2/2) does not vanish as z -> {'+' if sgn > 0 else '-'}inf"
                )
        # Poles: points where f is not continuous.
        for s in _real_singularities(expr):
            for side in (1, -1):
                near = [
                    mpmath.quad(lambda t: abs(complex(fn(s + side * t))) ** 2, [eps, 1])
                    for eps in (mpmath.mpf("1e-4"), mpmath.mpf("1e-8"))
                ]
                if not all(mpmath.isfinite(v) for v in near) or near[1] - near[0] > 1e-2 * (
                    1 + abs(near[0])
                ):
                    raise ActivationError(
                        f"activation {name!r} is not square-integrable under N(0,1): "
                        f"f(z)^2 is not integrable near z = {float(s):g}"
                    )


def _real_singularities(expr: "sympy.Expr", limit: int = 20) -> list:
    """Finite real points where ``expr`` is not continuous (empty when sympy cannot tell)."""
    import sympy
    import sympy.calculus.util

    try:
        dom = sympy.calculus.util.continuous_domain(expr, _symbol(), sympy.S.Reals)
    except (NotImplementedError, ValueError, TypeError):
        return []
    complement = sympy.S.Reals - dom
    if isinstance(complement, sympy.FiniteSet) and len(complement) <= limit:
        return [mpmath.mpf(float(p)) for p in complement if p.is_real]
    if complement.has(sympy.ImageSet) or isinstance(complement, sympy.FiniteSet):
        raise ActivationError(
            f"activation {str(expr)!r} has infinitely (or more than {limit}) many real singular "
            f"points ({complement}); such functions (1/cos(z), ...) are not supported"
        )
    return []


def get_activation(spec: "str | Activation") -> Activation:
    """Resolve a registry name, ``centered:NAME`` or an expression string to an :class:`Activation`.

    Raises
    ------
    UnknownActivationError
        ``spec`` is neither a registry name nor a parsable expression in ``z``.
    ActivationError
        The function is not square-integrable under N(0, 1).

    >>> get_activation("relu")(np.array([-1.0, 2.0]))
    array([0., 2.])
    >>> round(float(get_activation("centered:relu")(0.0)), 6)   # -1/sqrt(2 pi)
    -0.398942
    """
    if isinstance(spec, Activation):
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise UnknownActivationError(f"activation must be a non-empty string, got {spec!r}")
    text = spec.strip()
    return _resolve(text)


@lru_cache(maxsize=256)
def _resolve(text: str) -> Activation:
    key = text.lower()
    if key.startswith("centered:"):
        base = _resolve(text.split(":", 1)[1].strip())
        if base.name in _REGISTRY:  # the float mean is known: no sympy until expr is asked for
            mu0f = _REGISTRY[base.name].mean
            expr = _LazyExpr(("centered", base.name), lambda b=base: b.expr - _gaussian_mean_exact_or_float(b))
        else:
            mu0 = _gaussian_mean_exact_or_float(base)
            expr = base.expr - mu0
            mu0f = float(mu0)
        return Activation(
            f"centered:{base.name}",
            expr,
            fn=lambda x, f=base.fn, m=mu0f: f(x) - m,
            dfn=base.dfn,
            breakpoints=base.breakpoints,
            smooth=base.smooth,
        )
    if key in _REGISTRY:
        entry = _REGISTRY[key]
        return Activation(
            key, _LazyExpr(("registry", key), lambda k=key: _registry_expr(k)), entry.fn, entry.dfn,
            breakpoints=tuple(sorted({0.0, *entry.kinks})), smooth=not entry.kinks,
        )
    expr = _parse(text)
    check_real_valued(expr, text)
    check_square_integrable(expr, text)
    fn, dfn = _compile_numpy(expr, text)
    return Activation(name=text, expr=expr, fn=fn, dfn=dfn)



def _gaussian_mean_exact_or_float(act: Activation) -> "sympy.Expr":
    """E f(z): exact for the registry entries that have a closed form, else 30 digits by mpmath."""
    import sympy

    exact = _exact_means().get(act.name)
    if exact is not None:
        return exact
    with mpmath.workdps(30):
        val = mpmath.quad(
            lambda t: act.mp(t) * mpmath.npdf(t), [-mpmath.inf, -5, 0, 5, mpmath.inf]
        )
    return sympy.Float(val, 30)
