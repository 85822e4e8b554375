"""Validated, immutable descriptions of a learning problem.

A setting is checked once, at construction, so that every function receiving one can trust it.
Names follow the symbols of docs/conventions.md.

>>> s = OneStep(student="tanh", teacher="tanh", psi1=2, psi2=2, lam=1e-2, eta=1, noise=0.1)
>>> s.replace(eta=0).eta
0.0
>>> OneStep(student="tanh", teacher="tanh", psi1=-1, psi2=2, lam=1e-2)
Traceback (most recent call last):
...
asymptotics.errors.InvalidParameterError: psi1 must be a finite number > 0 (n/d, the sample ratio), got -1.0
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

from .activations import Activation, get_activation
from .errors import InvalidParameterError

__all__ = [
    "OneStep", "GiantStep", "check_int", "check_positive", "check_nonnegative", "check_finite", "check_range",
    "check_float_array",
    "check_choice",
    "RATIO_RANGE", "RIDGE_RANGE", "NOISE_MAX", "STEP_MAX",
]

#: Domain of the sample and width ratios (ψ1, ψ2, α, α0 > 0, p/d).  Outside it the asymptotic formulas
#: lose all precision in double arithmetic (e.g. MP traces at ψ ≈ 1e-300 or 1e300 under/overflow);
#: such ratios are also meaningless for a simulation (d ~ 1e6 · n).
RATIO_RANGE = (1e-6, 1e6)
#: Domain of a positive ridge λ (λ = 0, ridgeless, is allowed separately).  Below 1e-12 the effective
#: ridge is indistinguishable from the ridgeless one in double precision; above 1e12 the readout is 0 to all digits.
RIDGE_RANGE = (1e-12, 1e12)
#: Largest label-noise standard deviation σ_ε (its square enters every error).
NOISE_MAX = 1e6
#: Largest |η| (one-step learning rate) and |η̃| (giant-step normalized learning rate).
STEP_MAX = 1e6


def _paren(meaning: str) -> str:
    return f" ({meaning})" if meaning else ""


def _as_float(name: str, value, meaning: str) -> float:
    """``float(value)`` for real numbers and numeric strings (not bool, complex, containers); huge ints
    become ±inf (then rejected by the callers' finiteness checks)."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise InvalidParameterError(f"{name} must be a number{_paren(meaning)}, got {value!r}") from None
    if isinstance(value, (bool, np.bool_, bytes)) or not isinstance(value, (Real, np.ndarray)):
        raise InvalidParameterError(f"{name} must be a number{_paren(meaning)}, got {value!r}")
    if isinstance(value, np.ndarray):
        if value.ndim != 0 or value.dtype.kind not in "iuf":
            raise InvalidParameterError(f"{name} must be a number{_paren(meaning)}, got {value!r}")
        value = value.item()
    try:
        return float(value)
    except OverflowError:  # an int beyond the float range
        return math.inf if value > 0 else -math.inf
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a number{_paren(meaning)}, got {value!r}") from None


def check_int(name: str, value, minimum: int, meaning: str = "") -> int:
    """Return ``int(value)`` or raise :class:`InvalidParameterError` unless it is an integer ≥ minimum.

    Booleans and non-integral floats are rejected (``3.0`` is not accepted either: sizes are counts).
    """
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise InvalidParameterError(f"{name} must be an integer >= {minimum}{_paren(meaning)}, got {value!r}")
    v = int(value)
    if v < minimum:
        raise InvalidParameterError(f"{name} must be an integer >= {minimum}{_paren(meaning)}, got {v}")
    return v


def check_positive(name: str, value, meaning: str = "") -> float:
    """Return ``float(value)`` or raise :class:`InvalidParameterError` unless it is finite and > 0."""
    x = _as_float(name, value, meaning)
    if not (math.isfinite(x) and x > 0):
        raise InvalidParameterError(f"{name} must be a finite number > 0{_paren(meaning)}, got {x!r}")
    return x


def check_nonnegative(name: str, value, meaning: str = "") -> float:
    """Return ``float(value)`` or raise :class:`InvalidParameterError` unless it is finite and ≥ 0."""
    x = _as_float(name, value, meaning)
    if not (math.isfinite(x) and x >= 0):
        raise InvalidParameterError(f"{name} must be a finite number >= 0{_paren(meaning)}, got {x!r}")
    return x


def check_range(name: str, value, lo: float, hi: float, meaning: str = "", zero: bool = False) -> float:
    """Return ``float(value)`` or raise :class:`InvalidParameterError` unless lo ≤ value ≤ hi (or value = 0
    when ``zero``).  The message states the domain.

    >>> check_range("psi1", 1e300, *RATIO_RANGE)
    Traceback (most recent call last):
    ...
    asymptotics.errors.InvalidParameterError: psi1 must lie in [1e-06, 1e+06], got 1e+300
    """
    x = _as_float(name, value, meaning)
    if zero and x == 0:
        return 0.0
    if not (lo <= x <= hi):
        dom = f"{{0}} or [{lo:g}, {hi:g}]" if zero else f"[{lo:g}, {hi:g}]"
        raise InvalidParameterError(f"{name} must lie in {dom}{_paren(meaning)}, got {x!r}")
    return x


def check_float_array(name: str, value, meaning: str = "", finite: bool = True) -> np.ndarray:
    """``np.asarray(value, dtype=float)`` or :class:`InvalidParameterError` (strings, objects, ragged
    lists, complex numbers, huge ints and, when ``finite``, NaN / inf entries are refused)."""
    if isinstance(value, (str, bytes)):
        raise InvalidParameterError(f"{name} must be a number or an array of numbers{_paren(meaning)}, got {value!r}")
    try:
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise TypeError
        arr = arr.astype(float)
    except (TypeError, ValueError, OverflowError):
        raise InvalidParameterError(
            f"{name} must be a number or an array of numbers{_paren(meaning)}, got {value!r}") from None
    if finite and not np.all(np.isfinite(arr)):
        raise InvalidParameterError(f"{name} must hold finite numbers{_paren(meaning)}, got {value!r}")
    return arr


def check_choice(name: str, value, choices) -> str:
    """Return ``value`` or raise :class:`InvalidParameterError` unless it is one of the strings ``choices``
    (safe for arrays and unhashable values, where ``value in choices`` would itself fail)."""
    if not isinstance(value, str) or value not in choices:
        raise InvalidParameterError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def check_finite(name: str, value, meaning: str = "") -> float:
    """Return ``float(value)`` or raise :class:`InvalidParameterError` unless it is finite."""
    x = _as_float(name, value, meaning)
    if not math.isfinite(x):
        raise InvalidParameterError(f"{name} must be a finite number{_paren(meaning)}, got {x!r}")
    return x


def _ratio(name: str, value, meaning: str, zero: bool = False) -> float:
    x = _as_float(name, value, meaning)
    if not (x > 0 or (zero and x == 0)) or not math.isfinite(x):
        bound = ">= 0" if zero else "> 0"
        raise InvalidParameterError(f"{name} must be a finite number {bound}{_paren(meaning)}, got {x!r}")
    return check_range(name, x, *RATIO_RANGE, meaning, zero=zero)


def _ridge(value) -> float:
    x = check_nonnegative("lam", value, "the ridge penalty")
    return check_range("lam", x, *RIDGE_RANGE, "the ridge penalty", zero=True)


def _noise(value) -> float:
    x = check_nonnegative("noise", value, "the label-noise std")
    return check_range("noise", x, 0.0, NOISE_MAX, "the label-noise std")


@dataclass(frozen=True)
class OneStep:
    """One gradient step on the first layer, then ridge on the trained features (Ba et al. 2022).

    docs/theory/one-step.md §1: network f(x) = aᵀσ(Wᵀx)/√N, W0 ∈ R^{d×N} iid N(0, 1/d),
    a iid N(0, 1/N) frozen, teacher y = σ*(⟨β*, x⟩) + σ_ε ξ with ‖β*‖ = 1, one step
    W1 = W0 − η√N ∇_W L on a batch of n = ψ1 d samples, ridge
    min (1/n)‖y − Φa‖² + (λ/N)‖a‖² on a fresh batch of the same size.

    Parameters
    ----------
    student, teacher : str or Activation
        σ and σ*: registry name, ``centered:NAME`` or expression in ``z``.
    psi1 : float
        n/d, the sample ratio of each batch (> 0).
    psi2 : float
        N/d, the width ratio (> 0).
    lam : float
        Ridge λ ≥ 0 (λ = 0 is the ridgeless limit, defined where the solution is).
    eta : float
        Learning rate η = Θ(1) (the risk depends on η²).
    noise : float
        Label-noise standard deviation σ_ε ≥ 0.

    Domains (checked here, see :data:`RATIO_RANGE` ...): ratios in [1e-6, 1e6], λ ∈ {0} ∪ [1e-12, 1e12],
    σ_ε ∈ [0, 1e6], |η| ≤ 1e6; outside them the double-precision formulas lose their meaning.
    """

    student: Activation
    teacher: Activation
    psi1: float
    psi2: float
    lam: float
    eta: float = 0.0
    noise: float = 0.0

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "student", get_activation(self.student))
        set_(self, "teacher", get_activation(self.teacher))
        set_(self, "psi1", _ratio("psi1", self.psi1, "n/d, the sample ratio"))
        set_(self, "psi2", _ratio("psi2", self.psi2, "N/d, the width ratio"))
        set_(self, "lam", _ridge(self.lam))
        set_(self, "eta", check_range("eta", self.eta, -STEP_MAX, STEP_MAX, "the learning rate"))
        set_(self, "noise", _noise(self.noise))

    def replace(self, **changes) -> "OneStep":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return {
            "student": self.student.name,
            "teacher": self.teacher.name,
            "psi1": self.psi1,
            "psi2": self.psi2,
            "lam": self.lam,
            "eta": self.eta,
            "noise": self.noise,
        }


@dataclass(frozen=True)
class GiantStep:
    """One giant gradient step on the first layer, then ridge on fresh data (Cui et al. 2024).

    docs/theory/spiked-rf.md §1 and docs/conventions.md: W0 ∈ R^{p×d} with unit-norm rows, a = 1/√p
    frozen, network f(x) = aᵀσ(Wx)/√p, teacher y = σ*(⟨θ, x⟩/√d) (+ noise) with ‖θ‖² = d, one step
    W1 = W0 − η∇_W L with η = η̃·p on a batch of n0 = α0·d samples, then ridge
    min Σ(y − wᵀφ/√p)² + λ‖w‖² (no 1/n) on a fresh batch of n = α·d samples.

    Parameters
    ----------
    student, teacher : str or Activation
        σ and σ*: registry name, ``centered:NAME`` or expression in ``z``.
    alpha0 : float
        n0/d, the first-step sample ratio (≥ 0; 0 means no step, i.e. plain random features).
    eta_tilde : float
        The normalized learning rate η̃ = η/p (finite).
    alpha : float
        n/d, the readout sample ratio (> 0).
    width_ratio : float
        p/d (> 0); default 1 (p = d, as in the authors' notebooks).
    lam : float
        Ridge λ ≥ 0 of the un-normalized objective; default 0.01 (the authors' Simulations notebook).
    noise : float
        Label-noise standard deviation σ_ε ≥ 0 (on every label: first-step batch and readout batch).

    Domains (checked here, see :data:`RATIO_RANGE` ...): ratios in [1e-6, 1e6], λ ∈ {0} ∪ [1e-12, 1e12],
    σ_ε ∈ [0, 1e6], |η̃| ≤ 1e6; outside them the double-precision formulas lose their meaning.

    >>> GiantStep("tanh", "sin", alpha0=20, eta_tilde=3, alpha=0.9, lam=0.1).width_ratio
    1.0
    >>> GiantStep("tanh", "tanh", alpha0=0.5, eta_tilde=1, alpha=0, lam=0.01)
    Traceback (most recent call last):
    ...
    asymptotics.errors.InvalidParameterError: alpha must be a finite number > 0 (n/d, the readout sample ratio), got 0.0
    """

    student: Activation
    teacher: Activation
    alpha0: float
    eta_tilde: float
    alpha: float
    width_ratio: float = 1.0
    lam: float = 0.01
    noise: float = 0.0

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "student", get_activation(self.student))
        set_(self, "teacher", get_activation(self.teacher))
        set_(self, "alpha0", _ratio("alpha0", self.alpha0, "n0/d, the first-step sample ratio", zero=True))
        set_(self, "eta_tilde", check_range("eta_tilde", self.eta_tilde, -STEP_MAX, STEP_MAX,
                                            "the normalized learning rate"))
        set_(self, "alpha", _ratio("alpha", self.alpha, "n/d, the readout sample ratio"))
        set_(self, "width_ratio", _ratio("width_ratio", self.width_ratio, "p/d, the width ratio"))
        set_(self, "lam", _ridge(self.lam))
        set_(self, "noise", _noise(self.noise))

    def replace(self, **changes) -> "GiantStep":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return {
            "student": self.student.name,
            "teacher": self.teacher.name,
            "alpha0": self.alpha0,
            "eta_tilde": self.eta_tilde,
            "alpha": self.alpha,
            "width_ratio": self.width_ratio,
            "lam": self.lam,
            "noise": self.noise,
        }
