"""Validated, immutable descriptions of a learning problem.

A setting is checked once, at construction, so that every function receiving one can trust it.
Names follow the symbols of the spec (``../shared/spec/README.md``, "Conventions").

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
from numbers import Integral

from .activations import Activation, get_activation
from .errors import InvalidParameterError

__all__ = [
    "check_int","OneStep", "GiantStep", "check_positive", "check_nonnegative", "check_finite"]


def _paren(meaning: str) -> str:
    return f" ({meaning})" if meaning else ""


def _as_float(name: str, value, meaning: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a number{_paren(meaning)}, got {value!r}") from None
    return x


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


def check_finite(name: str, value, meaning: str = "") -> float:
    """Return ``float(value)`` or raise :class:`InvalidParameterError` unless it is finite."""
    x = _as_float(name, value, meaning)
    if not math.isfinite(x):
        raise InvalidParameterError(f"{name} must be a finite number{_paren(meaning)}, got {x!r}")
    return x


@dataclass(frozen=True)
class OneStep:
    """One gradient step on the first layer, then ridge on the trained features (Ba et al. 2022).

    Spec ``one-step-ge.md`` §1: network f(x) = aᵀσ(Wᵀx)/√N, W0 ∈ R^{d×N} iid N(0, 1/d),
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
        set_(self, "psi1", check_positive("psi1", self.psi1, "n/d, the sample ratio"))
        set_(self, "psi2", check_positive("psi2", self.psi2, "N/d, the width ratio"))
        set_(self, "lam", check_nonnegative("lam", self.lam, "the ridge penalty"))
        set_(self, "eta", check_finite("eta", self.eta, "the learning rate"))
        set_(self, "noise", check_nonnegative("noise", self.noise, "the label-noise std"))

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

    Spec ``spiked-rf.md`` §1 and README "Conventions": W0 ∈ R^{p×d} with unit-norm rows, a = 1/√p
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
        set_(self, "alpha0", check_nonnegative("alpha0", self.alpha0, "n0/d, the first-step sample ratio"))
        set_(self, "eta_tilde", check_finite("eta_tilde", self.eta_tilde, "the normalized learning rate"))
        set_(self, "alpha", check_positive("alpha", self.alpha, "n/d, the readout sample ratio"))
        set_(self, "width_ratio", check_positive("width_ratio", self.width_ratio, "p/d, the width ratio"))
        set_(self, "lam", check_nonnegative("lam", self.lam, "the ridge penalty"))
        set_(self, "noise", check_nonnegative("noise", self.noise, "the label-noise std"))

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
