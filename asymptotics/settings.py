"""Validated, immutable descriptions of a learning problem.

A setting is checked once, at construction, so that every function receiving one can trust it.
Names follow the symbols of docs/conventions.md.

Every setting (:class:`OneStep`, :class:`GiantStep`, :class:`KernelRidge`) is a validated frozen
dataclass with ``replace(**changes)`` (validated again), ``to_dict()`` and ``from_dict()``
(``S.from_dict(s.to_dict()) == s``).  Shared names and defaults: ``lam`` (ridge, default 0.01; each
family's own normalization, see the class), ``noise`` (label-noise std σ_ε, default 0).

>>> s = OneStep(student="tanh", teacher="tanh", psi1=2, psi2=2, lam=1e-2, eta=1, noise=0.1)
>>> s.replace(eta=0).eta
0.0
>>> OneStep.from_dict(s.to_dict()) == s
True
>>> OneStep(student="tanh", teacher="tanh", psi1=-1, psi2=2, lam=1e-2)
Traceback (most recent call last):
...
asymptotics.errors.InvalidParameterError: psi1 must be a finite number > 0 (n/d, the sample ratio), got -1.0
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np

from .activations import Activation, get_activation
from .errors import InvalidParameterError

__all__ = [
    "OneStep", "GiantStep", "KernelRidge", "TargetProfile", "KERNEL_KINDS", "DEFAULT_LAM", "check_int", "check_positive", "check_nonnegative", "check_finite", "check_range",
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
#: Default ridge λ of every setting (each in its family's normalization).
DEFAULT_LAM = 0.01
#: Kernel kinds of :class:`KernelRidge`: second layer only (RF / NNGP), first layer only (NTK), both.
KERNEL_KINDS = ("rf", "ntk", "both")


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


class _Setting:
    """``replace``, ``to_dict`` and ``from_dict`` shared by the settings (frozen dataclasses)."""

    def replace(self, **changes):
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """Every field as plain data: activations by name, nested objects by their ``to_dict()``."""
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = v.name if isinstance(v, Activation) else (v.to_dict() if hasattr(v, "to_dict") else v)
        return out

    @classmethod
    def from_dict(cls, d: dict):
        """The setting whose :meth:`to_dict` is ``d`` (validated like the constructor)."""
        if not isinstance(d, dict):
            raise InvalidParameterError(f"{cls.__name__}.from_dict needs a dict, got {type(d).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise InvalidParameterError(f"{cls.__name__} has no field(s) {', '.join(map(repr, unknown))}")
        return cls(**d)


@dataclass(frozen=True)
class OneStep(_Setting):
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
        Ridge λ ≥ 0 of (1/n)‖y − Φa‖² + (λ/N)‖a‖²; default 0.01 (λ = 0 is the ridgeless limit, defined
        where the solution is).
    eta : float
        Learning rate η = Θ(1) (the risk depends on η²); default 0, no step (the random-features baseline).
    noise : float
        Label-noise standard deviation σ_ε ≥ 0; default 0.

    Domains (checked here, see :data:`RATIO_RANGE` ...): ratios in [1e-6, 1e6], λ ∈ {0} ∪ [1e-12, 1e12],
    σ_ε ∈ [0, 1e6], |η| ≤ 1e6; outside them the double-precision formulas lose their meaning.
    """

    student: Activation
    teacher: Activation
    psi1: float
    psi2: float
    lam: float = DEFAULT_LAM
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



@dataclass(frozen=True)
class GiantStep(_Setting):
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
        Label-noise standard deviation σ_ε ≥ 0 (on every label: first-step batch and readout batch); default 0.

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
    lam: float = DEFAULT_LAM
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



@dataclass(frozen=True)
class TargetProfile:
    """Degree profile F_k² = ‖P_k f*‖²_{L²} of a target on the sphere (docs/theory/kernels.md §6.1).

    ``F2[k]`` for k = 0..order; ``tail`` = ‖f*‖² − Σ_k F_k² (degrees above ``order``, never resolved).

    >>> TargetProfile.from_dict(TargetProfile((0.0, 1.0), 0.5).to_dict()).norm2
    1.5
    """

    F2: tuple
    tail: float = 0.0
    source: str = ""

    @property
    def order(self) -> int:
        return len(self.F2) - 1

    @property
    def norm2(self) -> float:
        return float(sum(self.F2)) + self.tail

    def above(self, ell: int) -> float:
        """F²_{>ℓ} = Σ_{k>ℓ} F_k² + tail."""
        return float(sum(self.F2[ell + 1 :])) + self.tail

    def to_dict(self) -> dict:
        return {"F2": list(self.F2), "tail": self.tail, "norm2": self.norm2, "source": self.source}

    @classmethod
    def from_dict(cls, d: dict) -> "TargetProfile":
        """Inverse of :meth:`to_dict` (``norm2`` is derived and ignored)."""
        if not isinstance(d, dict) or "F2" not in d:
            raise InvalidParameterError(f"a target profile dict needs the key 'F2', got {d!r}")
        F2 = tuple(check_nonnegative("F2[k]", v, "squared norm of a degree part") for v in d["F2"])
        return cls(F2, check_nonnegative("tail", d.get("tail", 0.0), "unresolved norm"), str(d.get("source", "")))


@dataclass(frozen=True)
class KernelRidge(_Setting):
    """KRR on the sphere with a two-layer-network kernel (docs/theory/kernels.md §6.1).

    Parameters
    ----------
    kernel : {"ntk", "rf", "both"}
        Which kernel of the activation (§6.6); ``"both"`` is d·h_NT + h_RF.
    activation : str or Activation
        The network activation whose kernel is used (KRR has no student network and no teacher
        activation, hence not ``student`` / ``teacher``).
    d : int
        Input dimension (3 ≤ d ≤ 1e12); x ~ Unif(S^{d−1}(√d)).
    n : float
        Number of training samples (> 0; real values allowed for theory curves).
    lam : float
        Ridge λ ≥ 0 in f̂ = K(x, X)(K + λ I)^{-1} y (not divided by n); default 0.01.
    noise : float
        Label-noise standard deviation σ_ε ≥ 0; default 0.
    target : str, mapping, TargetProfile or activation
        Degree profile ``"k:F2,..."`` / {k: F2} / a :class:`TargetProfile` dict, or a single-index target
        g(⟨β, x⟩) given by an activation name or expression (prefix ``"fn:"`` to force this reading),
        decomposed at this d; default ``"1:1"`` (a linear target of unit norm).

    Domains (checked here): λ ∈ {0} ∪ [1e-12, 1e12], σ_ε ∈ [0, 1e6], n > 0, 3 ≤ d ≤ 1e12.

    >>> KernelRidge("ntk", "relu", d=20, n=100, lam=0.1, noise=0.0, target="1:1").target.F2
    (0.0, 1.0)
    >>> s = KernelRidge("ntk", "relu", d=20, n=100, target="1:1,2:0.5")
    >>> KernelRidge.from_dict(s.to_dict()) == s, s.replace(n=200).n
    (True, 200.0)
    >>> KernelRidge("ntk", "relu", d=20, n=-1, lam=0.1, noise=0.0, target="1:1")
    Traceback (most recent call last):
    ...
    asymptotics.errors.InvalidParameterError: n must be a finite number > 0 (number of training samples), got -1.0
    """

    kernel: str
    activation: Activation
    d: int
    n: float
    lam: float = DEFAULT_LAM
    noise: float = 0.0
    target: TargetProfile = field(default_factory=lambda: TargetProfile((0.0, 1.0)))

    def __post_init__(self):
        from .kernels.theory import dot_product_kernel   # lazy: the kernel module imports sympy
        set_ = object.__setattr__
        if not (isinstance(self.kernel, str) and self.kernel in KERNEL_KINDS):
            raise InvalidParameterError(f"kernel must be one of {', '.join(KERNEL_KINDS)}, got {self.kernel!r}")
        set_(self, "activation", get_activation(self.activation))
        d = self.d
        if isinstance(d, bool) or not (isinstance(d, (Integral, np.integer)) or (isinstance(d, float) and d.is_integer())):
            raise InvalidParameterError(f"d must be an integer >= 3 (the input dimension), got {d!r}")
        if not 3 <= d <= 10**12:
            raise InvalidParameterError(f"d must be an integer >= 3 and <= 1e12 (the input dimension), got {d!r}")
        set_(self, "d", int(d))
        set_(self, "n", check_positive("n", self.n, "number of training samples"))
        set_(self, "lam", _ridge(self.lam))
        set_(self, "noise", _noise(self.noise))
        set_(self, "target", _resolve_target(self.target, self.d))
        dot_product_kernel(self.activation, self.kernel, self.d)   # validates the kernel exists

    @property
    def kernel_fn(self):
        """The :class:`~asymptotics.kernels.theory.DotProductKernel` of this setting."""
        from .kernels.theory import dot_product_kernel
        return dot_product_kernel(self.activation, self.kernel, self.d)


def _resolve_target(target, d: int) -> TargetProfile:
    from .kernels.theory import parse_target, target_profile
    if isinstance(target, TargetProfile):
        return target
    if isinstance(target, Activation):
        return target_profile(target, d)
    if isinstance(target, dict) and "F2" in target:
        return TargetProfile.from_dict(target)
    if isinstance(target, str):
        if target.startswith("fn:"):
            return target_profile(target[3:], d)
        if re.match(r"\s*\d", target):
            return parse_target(target)
        return target_profile(target, d)
    return parse_target(target)
