"""Spiked random features with heterogeneous per-neuron spikes: σ(√c_i⟨w_i, x⟩ + r_i κ).

The sRF of :mod:`asymptotics.spiked_rf.theory` gives every neuron the same spike amplitude r (u ≡ 1, Cui et al.'s
constant readout).  Here neuron i carries its own amplitude r_i and bulk variance c_i, drawn iid from
a :class:`SpikeLaw` independently of W0 and of the spike direction v:

    φ_i(x) = σ(√c_i ⟨w_i, x⟩ + r_i κ),   κ = ⟨v, x⟩/√d,   ‖w_i‖ = 1,   θ = γv + ρζ,

and ridge min Σ_μ (y_μ − wᵀφ(x_μ)/√p)² + λ‖w‖² on n = αd samples (conventions of ``GiantStep``).
A law is a finite mixture of K classes (r_k, c_k) with fractions π_k; a continuous law (e.g.
r_i = r·a_i with Gaussian a_i, Ba et al.'s readout) is handled by Gauss–Hermite quadrature over classes.

Derivation (our own; the homogeneous case is docs/theory/spiked-rf.md §2–3).  Conditionally on κ, the
conditional Gaussian equivalence applies neuron by neuron:

    φ_i | κ ≃ μ0_k(κ) + μ̃1_k(κ) ⟨w_i, x⟩ + μ*_k(κ) ξ_i       (i in class k),

with μ0_k(κ) = E σ(r_kκ + √c_k z), μ̃1_k(κ) = E[z σ(r_kκ + √c_k z)] = √c_k μ1_k(κ) and
μ*_k² = E σ² − μ0_k² − μ̃1_k² (the homogeneous coefficients at (r_k, c_k), :func:`conditional_coefficients`).
Write P_k for the projector on the neurons of class k, Ω = W0ΠW0ᵀ (unit rows, c absorbed in μ̃1).  The
replica computation of docs/theory/spiked-rf.md §3 goes through with every scalar that multiplies Ω or I becoming class
resolved.  Order parameters: V1, Q1 (K×K, symmetric), V2, q2, θ, ψ, m (K-vectors); per κ

    V(κ) = Σ_kl μ̃1_k μ̃1_l V1_kl + Σ_k μ*_k² V2_k,    g(κ) = Σ_k m_k μ0_k + κ Σ_k θ_k μ̃1_k,
    ℰ(κ) = h2 − 2gh + g² − 2h1 Σ_k μ̃1_k ψ_k + Σ_kl μ̃1_k μ̃1_l Q1_kl + Σ_k μ*_k² q2_k,

hats (α_p = n/p, E = E_κ):

    B_kl = α_p E[μ̃1_k μ̃1_l/(1+V)],  b_k = α_p E[μ*_k²/(1+V)],   θ̂_k = α_p E[κ μ̃1_k (h − g)/(1+V)],
    Q̂1_kl = α_p E[μ̃1_k μ̃1_l (ℰ+σ_ε²)/(1+V)²],  q̂2_k = α_p E[μ*_k² (ℰ+σ_ε²)/(1+V)²],  ψ̂_k = α_p E[μ̃1_k h1/(1+V)],

and with the p×p matrix A = Σ_k (λ + b_k) P_k + Σ_kl B_kl P_k Ω P_l (the class-resolved S of §3.4):

    V1_kl = tr(P_k Ω P_l A⁻¹)/p,   V2_k = tr(P_k A⁻¹)/p,   θ = F θ̂,   ψ = H ψ̂,
    F_kl = (P_k W0v)ᵀA⁻¹(P_l W0v)/d,   H_kl = (P_k W0ζ)ᵀA⁻¹(P_l W0ζ)/d,
    Q1_kl = tr(P_kΩP_l A⁻¹ Q̂ A⁻¹)/p + Σ_mn θ̂_mθ̂_n (P_mW0v)ᵀA⁻¹P_kΩP_lA⁻¹(P_nW0v)/d + (same with ψ̂, ζ),
    q2_k  = the same with P_k in place of P_kΩP_l,          Q̂ = Σ_kl Q̂1_kl P_kΩP_l + Σ_k q̂2_k P_k.

Every second-order quantity is minus a directional derivative of V1, V2, F, H with respect to (B, λ + b)
(∂A⁻¹ = −A⁻¹ ∂A A⁻¹), so a spectral back-end only has to give V1, V2, F, H as analytic functions of
(B, Λ = λ + b); the derivatives are taken by complex step (exact to rounding) — :meth:`SpectralBackend.derivatives`.
The mean channel m is unregularized as in docs/theory/spiked-rf.md §3.5 (its eigenvalues are O(p)): m solves the K normal
equations E[μ0_k (h − g)/(1+V)] = 0, by least squares with minimum norm when the μ0_k are linearly
dependent (e.g. r and −r for odd σ; eigen-directions of the Gram matrix below a relative 1e-9 are
dropped).  This limit is not uniform in p: the direction 1_k is a generic direction of A, so at finite
width it responds like the θ channel, m_k = p V2_k · α_p E[μ0_k (h − g)/(1+V)] (the field of the class mean
1_k, whose norm² is pπ_k, times 1_kᵀA⁻¹1_k ≈ pV2_k), i.e. the normal equations acquire a ridge
m_k/(α_p p V2_k) that vanishes as p → ∞.  With a continuous law the mean functions μ0_k are nearly
dependent and eigen-directions of E[μ0 μ0ᵀ/(1+V)] of size ≲ 1/(α_p p V2) are learned only in the limit;
``width=p`` keeps this finite-p ridge (it is the only finite-p term kept).  The (V1, V2) system is closed; given it, ψ is explicit, (θ, m)
is a 2K linear solve and (Q1, q2) a linear solve — the structure of :mod:`asymptotics.spiked_rf.theory`.

Spectral back-ends.  Large d (:class:`ClassMarchenkoPastur`): A is a Gram matrix with a class-wise
variance profile; its deterministic equivalent is diagonal, A⁻¹ ≈ Σ_k δ_k P_k, with

    1/δ_k = Λ_k + [B (I + β D B)⁻¹]_kk,   D = diag(π_k δ_k),   β = p/d,

which gives V2_k = π_k δ_k, V1 = (I + βDB)⁻¹D, H = βV1 (ζ is a free direction of Ω) and, because Ω has
v projected out (a rank-K Woodbury correction, the class version of docs/theory/spiked-rf.md §3.7's Sherman–Morrison),
F = t(I − Bt)⁻¹ with t = βV1.  For K = 1 these are exactly the Marchenko–Pastur forms of
:class:`asymptotics.spiked_rf.theory.MarchenkoPasturSpectrum`.  Finite d (:class:`ClassEmpiricalSpectrum`): the same
quantities computed with explicit matrices on a given W0 and class labels (spike-averaged like
:class:`asymptotics.spiked_rf.theory.EmpiricalSpectrum`).

u ≡ 1 (one class, r_k = r, c_k = c) reduces to :func:`asymptotics.spiked_rf.theory.srf_risk` (tested to 1e-10).

>>> from asymptotics.settings import GiantStep
>>> s = GiantStep("tanh", "tanh", alpha0=0.5, eta_tilde=1, alpha=0.5, lam=0.01)
>>> law = SpikeLaw.homogeneous(0.6511, 1.0769)
>>> round(hetero_srf_risk(s, law, gamma=0.5635).test_error, 4)       # = srf_risk at (r, c, γ)
0.2994
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..activations import get_activation
from ..errors import ConvergenceError, InvalidParameterError
from ..fixed_point import solve_fixed_point
from ..gaussian import gauss_hermite_rule
from ..hermite import hermite_constants
from ..results import TheoryResult
from ..settings import GiantStep, OneStep, check_finite, check_positive
from .theory import DEFAULT_KAPPA_NODES, conditional_coefficients

__all__ = [
    "SpikeLaw",
    "ClassMarchenkoPastur",
    "ClassEmpiricalSpectrum",
    "SpikeBulkScaled",
    "HeteroOrderParameters",
    "HeteroSRFRisk",
    "hetero_srf_risk",
    "hetero_srf_curve",
    "BaLargeStep",
    "ba_large_step",
    "large_step_risk",
    "DEFAULT_LAW_NODES",
]

#: Gauss–Hermite classes used for a Gaussian spike law (the curves move < 1e-4 beyond it, see tests).
DEFAULT_LAW_NODES = 16
_CSTEP = 1e-30  # complex step
_RCOND = 1e-9  # relative cut of the mean-channel Gram matrix (minimum-norm solve; see _HModel.theta_m)


# ------------------------------------------------------------------------------------------------
# 1. the law of (r_i, c_i)


@dataclass(frozen=True)
class SpikeLaw:
    """Law of the per-neuron spike amplitude r_i and bulk variance c_i (iid over neurons, independent of W0).

    ``kind="classes"``: a finite mixture, (r_i, c_i) = (``r[k]``, ``c[k]``) with probability ``weights[k]``.
    ``kind="gaussian"``: a continuous law in a Gaussian variable a ~ N(0, 1),

        r(a) = r0 + r1·a,    c(a) = (s0 + s1·a)² + c2·a²,

    the form a one-step update with a Gaussian readout a_i gives (r ∝ a_i, bulk shrink s_b = 1 + s1 a_i,
    bulk noise ∝ a_i²); the theory uses the ``nodes``-point Gauss–Hermite rule in a as classes.

    >>> SpikeLaw.two_point(0.5, 1.5).classes()[0].tolist()
    [0.5, 1.5]
    >>> law = SpikeLaw.gaussian(r1=1.0, s0=1.0, nodes=4)
    >>> r, c, w = law.classes(); round(float(w @ r**2), 12), float(c.min())     # E r² = 1
    (1.0, 1.0)
    """

    kind: str
    r: tuple = ()
    c: tuple = ()
    weights: tuple = ()
    params: tuple = ()          # (r0, r1, s0, s1, c2) for kind="gaussian"
    nodes: int = DEFAULT_LAW_NODES

    def __post_init__(self):
        if self.kind == "classes":
            r = tuple(check_finite("r", float(x), "a spike amplitude") for x in self.r)
            c = tuple(check_positive("c", float(x), "a bulk variance") for x in self.c)
            w = tuple(float(x) for x in self.weights)
            if not (len(r) == len(c) == len(w) >= 1):
                raise InvalidParameterError("r, c and weights must have the same length >= 1")
            if any(not (x > 0 and math.isfinite(x)) for x in w):
                raise InvalidParameterError(f"class weights must be finite and > 0, got {w}")
            s = sum(w)
            object.__setattr__(self, "r", r)
            object.__setattr__(self, "c", c)
            object.__setattr__(self, "weights", tuple(x / s for x in w))
        elif self.kind == "gaussian":
            if len(self.params) != 5:
                raise InvalidParameterError("a Gaussian spike law needs params (r0, r1, s0, s1, c2)")
            pr = tuple(check_finite(n, float(x), "a spike-law parameter")
                       for n, x in zip(("r0", "r1", "s0", "s1", "c2"), self.params))
            if pr[4] < 0:
                raise InvalidParameterError(f"c2 must be >= 0, got {pr[4]}")
            if pr[3] != 0 and pr[4] == 0:
                raise InvalidParameterError("c(a) = (s0 + s1 a)^2 vanishes at a = -s0/s1: give c2 > 0 or s1 = 0")
            if pr[3] == 0 and pr[2] == 0:
                raise InvalidParameterError("c(a) = c2 a^2 vanishes at a = 0: give s0 != 0")
            object.__setattr__(self, "params", pr)
            if isinstance(self.nodes, bool) or not isinstance(self.nodes, (int, np.integer)) or self.nodes < 1:
                raise InvalidParameterError(f"nodes must be an integer >= 1, got {self.nodes!r}")
        else:
            raise InvalidParameterError(f"kind must be 'classes' or 'gaussian', got {self.kind!r}")

    # constructors
    @classmethod
    def homogeneous(cls, r: float, c: float = 1.0) -> "SpikeLaw":
        """u ≡ 1: every neuron has spike r and bulk variance c (the sRF of :mod:`asymptotics.spiked_rf.theory`)."""
        return cls("classes", (r,), (c,), (1.0,))

    @classmethod
    def mixture(cls, r: Sequence[float], weights: Sequence[float], c=1.0) -> "SpikeLaw":
        """Finite mixture; ``c`` a scalar (common) or one value per class."""
        r = tuple(r)
        cs = tuple(c) if np.ndim(c) else (float(c),) * len(r)
        return cls("classes", r, cs, tuple(weights))

    @classmethod
    def two_point(cls, r1: float, r2: float, p1: float = 0.5, c: float = 1.0) -> "SpikeLaw":
        """r_i = r1 with probability p1, r2 otherwise."""
        if not 0 < p1 < 1:
            raise InvalidParameterError(f"p1 must lie in (0, 1), got {p1!r}")
        return cls.mixture((r1, r2), (p1, 1.0 - p1), c)

    @classmethod
    def gaussian(cls, r1: float, r0: float = 0.0, s0: float = 1.0, s1: float = 0.0, c2: float = 0.0,
                 nodes: int = DEFAULT_LAW_NODES) -> "SpikeLaw":
        """r(a) = r0 + r1 a, c(a) = (s0 + s1 a)² + c2 a², a ~ N(0, 1) (see the class docstring)."""
        return cls("gaussian", params=(r0, r1, s0, s1, c2), nodes=nodes)

    # evaluation
    def r_of(self, a):
        r0, r1, _, _, _ = self.params
        return r0 + r1 * np.asarray(a, dtype=float)

    def c_of(self, a):
        _, _, s0, s1, c2 = self.params
        a = np.asarray(a, dtype=float)
        return (s0 + s1 * a) ** 2 + c2 * a * a

    def classes(self, nodes: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(r_k, c_k, π_k) of the classes the theory uses (Gauss–Hermite nodes for a Gaussian law)."""
        if self.kind == "classes":
            return np.array(self.r), np.array(self.c), np.array(self.weights)
        a, w = gauss_hermite_rule(int(nodes or self.nodes))
        return self.r_of(a), self.c_of(a), np.array(w)

    def sample(self, p: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(r_i, c_i), i = 1..p, iid from the law (one ``rng`` draw per neuron)."""
        if self.kind == "classes":
            k = rng.choice(len(self.r), size=p, p=np.array(self.weights))
            return np.array(self.r)[k], np.array(self.c)[k]
        a = rng.standard_normal(p)
        return self.r_of(a), self.c_of(a)

    def to_dict(self) -> dict:
        if self.kind == "classes":
            return {"kind": "classes", "r": list(self.r), "c": list(self.c), "weights": list(self.weights)}
        return {"kind": "gaussian", "r0": self.params[0], "r1": self.params[1], "s0": self.params[2],
                "s1": self.params[3], "c2": self.params[4], "nodes": int(self.nodes)}

    @classmethod
    def from_dict(cls, d: dict) -> "SpikeLaw":
        if d.get("kind") == "gaussian":
            return cls.gaussian(d["r1"], d.get("r0", 0.0), d.get("s0", 1.0), d.get("s1", 0.0), d.get("c2", 0.0),
                                d.get("nodes", DEFAULT_LAW_NODES))
        return cls.mixture(d["r"], d["weights"], d.get("c", 1.0))


# ------------------------------------------------------------------------------------------------
# 2. spectral back-ends: V1, V2, F, H as analytic functions of (B, Λ)


@dataclass(frozen=True)
class ClassSums:
    """V1, F, H (K×K) and V2 (K) at one (B, Λ) (module docstring); complex under a complex step."""

    V1: np.ndarray
    V2: np.ndarray
    F: np.ndarray
    H: np.ndarray


class SpectralBackend:
    """Base class: ``sums(B, Lam)`` must be analytic in (B, Λ) (it is evaluated at complex arguments)."""

    weights: np.ndarray
    width_ratio: float

    def sums(self, B, Lam) -> ClassSums:  # pragma: no cover - interface
        raise NotImplementedError

    def spike_sums(self, V1, B):
        """F = t(I − Bt)⁻¹, t = βV1 (rank-K Woodbury: Ω = W0W0ᵀ with v projected out), H = βV1."""
        t = self.width_ratio * V1
        K = t.shape[0]
        M = np.eye(K) - B @ t
        if not np.isfinite(M).all():
            raise FloatingPointError("non-finite spike sums")
        F = np.linalg.solve(M.T, t.T).T  # t M⁻¹
        return F, t

    def derivatives(self, B, Lam, directions):
        """Directional derivatives (dV1, dV2, dF, dH) along each (dB, dΛ) in ``directions`` (complex step)."""
        out = []
        for dB, dL in directions:
            s = self.sums(B + 1j * _CSTEP * dB, Lam + 1j * _CSTEP * dL)
            out.append(ClassSums(s.V1.imag / _CSTEP, s.V2.imag / _CSTEP, s.F.imag / _CSTEP, s.H.imag / _CSTEP))
        return out


class ClassMarchenkoPastur(SpectralBackend):
    """Large-d back-end: the deterministic equivalent of A⁻¹ with a class-wise variance profile.

    1/δ_k = Λ_k + [B(I + βDB)⁻¹]_kk, D = diag(π δ); V2 = πδ, V1 = (I + βDB)⁻¹D, H = βV1, F = t(I − Bt)⁻¹.
    δ is solved by Newton's method in log δ; its derivatives follow by the implicit-function theorem.

    >>> sp = ClassMarchenkoPastur(1.0, [1.0])
    >>> s = sp.sums(np.array([[1.0]]), np.array([1.0]))
    >>> round(float(s.V2[0]), 12)        # MP: m(−1) at β = 1 (golden ratio)
    0.61803398875
    """

    def __init__(self, width_ratio: float, weights):
        self.width_ratio = check_positive("width_ratio", width_ratio, "p/d")
        self.weights = np.asarray(weights, dtype=float)
        self.name = "asymptotic"
        self._cache = None

    def _gmap(self, delta, B, Lam):
        """1/δ_new(δ): the right-hand side of the δ equation."""
        K = len(self.weights)
        D = np.diag(self.weights * delta)
        T = np.linalg.solve(np.eye(K) + self.width_ratio * D @ B, np.eye(K))
        return Lam + np.diag(B @ T)

    def solve_delta(self, B, Lam):
        B = np.real(B)
        Lam = np.real(Lam)
        key = (B.tobytes(), Lam.tobytes())
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        delta = self._solve_delta(B, Lam)
        self._cache = (key, delta, None)
        return delta

    def _delta_jacobian(self, delta, B, Lam):
        """∂G/∂δ of G(δ) = 1/δ − gmap(δ), cached with δ."""
        if self._cache is not None and self._cache[1] is delta and self._cache[2] is not None:
            return self._cache[2]
        K = len(delta)
        Gd = np.empty((K, K))
        for j in range(K):
            dd = delta.astype(complex)
            dd[j] += 1j * _CSTEP
            Gd[:, j] = -(1.0 / delta[j] ** 2) * (np.arange(K) == j) - self._gmap(dd, B, Lam).imag / _CSTEP
        if self._cache is not None and self._cache[1] is delta:
            self._cache = (self._cache[0], delta, Gd)
        return Gd

    def _solve_delta(self, B, Lam):
        if not np.all(Lam > 0):
            raise FloatingPointError(f"Lambda = lam + b must be > 0, got {Lam}")
        delta = 1.0 / (Lam + np.clip(np.diag(B), 0, None))
        for _ in range(200):
            g = 1.0 / delta - self._gmap(delta, B, Lam)
            if np.max(np.abs(g * delta)) < 1e-14:   # relative residual at rounding level (Newton: quadratic)
                break
            # Newton in u = log δ on G(u) = 1/δ − gmap(δ)
            self._cache = None
            J = self._delta_jacobian(delta, B, Lam) * delta[None, :]     # d/d log δ
            step = np.linalg.solve(J, -g)
            step = np.clip(step, -1.0, 1.0)
            delta = delta * np.exp(step)
        else:
            raise FloatingPointError("the deterministic-equivalent delta equation did not converge")
        return delta

    def sums(self, B, Lam) -> ClassSums:
        cplx = np.iscomplexobj(B) or np.iscomplexobj(Lam)
        delta = self.solve_delta(B, Lam)
        if cplx:
            # implicit differentiation: G(δ, B, Λ) = 1/δ − gmap = 0
            Gd = self._delta_jacobian(delta, np.real(B), np.real(Lam))
            Gp = -self._gmap(delta.astype(complex), B, Lam).imag  # ∂G/∂(params)·(imag part direction)
            ddelta = np.linalg.solve(Gd, -Gp)
            delta = delta + 1j * ddelta
        K = len(self.weights)
        D = np.diag(self.weights * delta)
        V1 = np.linalg.solve(np.eye(K) + self.width_ratio * D @ B, D)
        V2 = self.weights * delta
        F, t = self.spike_sums(V1, B)
        return ClassSums(V1, V2, F, t)


class ClassEmpiricalSpectrum(SpectralBackend):
    """Finite-d back-end on a given W0 (rows normalized) and class labels: explicit p×p matrices.

    A₀ = diag(Λ_label) + (W0W0ᵀ)∘B[label, label]; V1_kl = Σ_{i∈k, j∈l} (W0W0ᵀ)_ij (A₀⁻¹)_ji / p,
    V2_k = Σ_{i∈k} (A₀⁻¹)_ii / p; F, H spike-averaged as in :class:`ClassMarchenkoPastur`
    (the finite-d analogue of :class:`asymptotics.spiked_rf.theory.EmpiricalSpectrum`).  ``weights`` are the
    population fractions (the equations' π_k); the empirical fractions enter through the traces.
    """

    def __init__(self, W0, labels, n_classes: int, weights):
        W0 = np.asarray(W0, dtype=float)
        if W0.ndim != 2 or not np.all(np.isfinite(W0)):
            raise InvalidParameterError("W0 must be a finite p×d matrix")
        W0 = W0 / np.linalg.norm(W0, axis=1, keepdims=True)
        self.G = W0 @ W0.T
        self.labels = np.asarray(labels, dtype=int)
        if self.labels.shape != (W0.shape[0],) or self.labels.min() < 0 or self.labels.max() >= n_classes:
            raise InvalidParameterError("labels must give a class in 0..K-1 for every row of W0")
        self.p, self.d = W0.shape
        self.width_ratio = self.p / self.d
        self.K = int(n_classes)
        self.onehot = np.zeros((self.p, self.K))
        self.onehot[np.arange(self.p), self.labels] = 1.0
        self.weights = np.asarray(weights, dtype=float)
        self.name = "finite"

    def sums(self, B, Lam) -> ClassSums:
        lab = self.labels
        A = self.G * B[np.ix_(lab, lab)] + np.diag(Lam[lab])
        Ainv = np.linalg.inv(A)
        P = self.onehot
        V1 = P.T @ (self.G * Ainv.T) @ P / self.p
        V2 = P.T @ np.diag(Ainv) / self.p
        F, t = self.spike_sums(V1, B)
        return ClassSums(V1, V2, F, t)


class SpikeBulkScaled(SpectralBackend):
    """A back-end whose bulk is anisotropic along the spike: W = √c W0Π + √c_v W0 v̂v̂ᵀ (``omega2`` = c_v/c).

    This is the correlated case: ⟨w1_i, v̂⟩ = r + √c_v ⟨w0_i, v̂⟩, a per-neuron spike deviation of size O(1/√d)
    that is proportional to the neuron's own initial overlap with the spike direction.  Per neuron it is
    negligible, but together the deviations rescale the vector W v/√d, i.e. the θ channel: Ω = WΠWᵀ and the
    ζ channel are unchanged and F → (c_v/c) F.  ``omega2 = 1`` is the isotropic sRF.
    """

    def __init__(self, base: SpectralBackend, omega2: float):
        self.base = base
        self.omega2 = check_finite("omega2", omega2, "c_v/c")
        if self.omega2 < 0:
            raise InvalidParameterError(f"omega2 = c_v/c must be >= 0, got {omega2}")
        self.weights = base.weights
        self.width_ratio = base.width_ratio
        self.name = base.name

    def sums(self, B, Lam) -> ClassSums:
        s = self.base.sums(B, Lam)
        return ClassSums(s.V1, s.V2, self.omega2 * s.F, s.H)


# ------------------------------------------------------------------------------------------------
# 3. the equations


@dataclass(frozen=True)
class HeteroOrderParameters:
    """Class-resolved order parameters (module docstring) and their conjugates at the fixed point."""

    V1: np.ndarray
    V2: np.ndarray
    Q1: np.ndarray
    q2: np.ndarray
    theta: np.ndarray
    psi: np.ndarray
    m: np.ndarray
    B: np.ndarray
    b: np.ndarray
    Q1_hat: np.ndarray
    q2_hat: np.ndarray
    theta_hat: np.ndarray
    psi_hat: np.ndarray

    def to_dict(self) -> dict:
        return {k: np.asarray(getattr(self, k)).tolist() for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, d: dict) -> "HeteroOrderParameters":
        return cls(**{k: np.asarray(d[k], dtype=float) for k in cls.__dataclass_fields__})

    def __eq__(self, other) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(np.array_equal(getattr(self, k), getattr(other, k)) for k in self.__dataclass_fields__)

    __hash__ = None


class _HModel:
    """Equations of the module docstring for one (classes, back-end, α_p, λ, noise)."""

    def __init__(self, setting: GiantStep, law: SpikeLaw, gamma: float, spectrum: SpectralBackend, nodes: int,
                 law_nodes: int | None, width: int | None = None):
        self.width = width
        r, c, pi = law.classes(law_nodes)
        self.K = K = len(r)
        self.pi = pi
        mu0, mu1t, mus = [], [], []
        cc = None
        for k in range(K):
            cc = conditional_coefficients(setting.student, setting.teacher, (float(r[k]), float(c[k]), gamma), nodes)
            mu0.append(cc.mu0)
            mu1t.append(math.sqrt(c[k]) * cc.mu1)
            mus.append(cc.mu_star)
        self.mu0, self.mu1, self.mus = np.array(mu0), np.array(mu1t), np.array(mus)
        self.h, self.h1, self.h2 = cc.h, cc.h1, cc.h2
        self.w, self.k = cc.weights, cc.kappa
        self.ap = setting.alpha / setting.width_ratio
        self.lam = setting.lam
        self.noise2 = setting.noise**2
        self.spec = spectrum
        self.iu = np.triu_indices(K)
        self.nu = len(self.iu[0])
        self.has_mean = float(self.w @ np.sum(self.mu0**2, axis=0)) > 1e-14
        # basis functions of ℰ in (Q1 upper, q2) coordinates and the matching hat weights
        mult = np.where(self.iu[0] == self.iu[1], 1.0, 2.0)
        pair = self.mu1[self.iu[0]] * self.mu1[self.iu[1]]                     # (nu, nκ)
        self.phi = np.vstack([pair * mult[:, None], self.mus**2])             # ℰ = ℰ0 + Σ_j y_j φ_j
        self.psi_w = np.vstack([pair, self.mus**2])                          # hat_j = α_p E[ψ_j ℰ/(1+V)²]
        # directions (dB, dΛ) of the coordinates
        dirs = []
        for a, b_ in zip(*self.iu):
            dB = np.zeros((K, K))
            dB[a, b_] = dB[b_, a] = 1.0
            dirs.append((dB, np.zeros(K)))
        for a in range(K):
            dL = np.zeros(K)
            dL[a] = 1.0
            dirs.append((np.zeros((K, K)), dL))
        self.dirs = dirs
        self.half = np.concatenate([np.where(self.iu[0] == self.iu[1], 1.0, 0.5), np.ones(K)])

    # -- (V1, V2) subsystem
    def V_of(self, V1, V2):
        return np.einsum("kn,kl,ln->n", self.mu1, V1, self.mu1) + (self.mus**2).T @ V2

    def den(self, V1, V2):
        return 1.0 + self.V_of(V1, V2)

    def v_hats(self, den):
        w = self.w / den
        B = self.ap * (self.mu1 * w) @ self.mu1.T
        b = self.ap * (self.mus**2) @ w
        return B, b

    def unpack(self, x):
        V1 = np.zeros((self.K, self.K))
        V1[self.iu] = x[: self.nu]
        V1 = V1 + np.triu(V1, 1).T
        return V1, x[self.nu:]

    def pack(self, V1, V2):
        return np.concatenate([np.real(V1)[self.iu], np.real(V2)])

    def sums(self, B, b):
        Lam = self.lam + b
        if not (np.all(Lam > 0) and np.all(np.isfinite(B))):
            raise FloatingPointError("spectral sums undefined (lam + b <= 0)")
        return self.spec.sums(B, Lam)

    def v_map(self, x):
        V1, V2 = self.unpack(x)
        B, b = self.v_hats(self.den(V1, V2))
        s = self.sums(B, b)
        return self.pack(s.V1, s.V2)

    # the (V1, V2) system in coordinates u = (log V1_kk, V1_kl/√(V1_kk V1_ll) for k < l, log V2_k): as the
    # log coordinates of srf's reduced solver, they keep the variances positive and make the residual relative
    def to_u(self, x):
        V1, V2 = self.unpack(x)
        dg = np.diag(V1)
        C = V1 / np.sqrt(np.outer(dg, dg))
        u1 = np.where(self.iu[0] == self.iu[1], np.log(dg[self.iu[0]]), C[self.iu])
        return np.concatenate([u1, np.log(V2)])

    def from_u(self, u):
        dg = np.exp(u[: self.nu][self.iu[0] == self.iu[1]])
        C = np.eye(self.K)
        C[self.iu] = np.where(self.iu[0] == self.iu[1], 1.0, u[: self.nu])
        C = C + np.triu(C, 1).T
        return self.pack(C * np.sqrt(np.outer(dg, dg)), np.exp(u[self.nu:]))

    def u_map(self, u):
        return self.to_u(self.v_map(self.from_u(u)))

    # -- given (V1, V2): ψ, (θ, m), (Q1, q2)
    def g_of(self, theta, m):
        return m @ self.mu0 + self.k * (theta @ self.mu1)

    def cond_error(self, Q1, q2, theta, psi, m):
        g = self.g_of(theta, m)
        return (self.h2 - 2 * g * self.h + g * g - 2 * self.h1 * (psi @ self.mu1)
                + np.einsum("kn,kl,ln->n", self.mu1, Q1, self.mu1) + q2 @ self.mus**2)

    def mean_ridge(self, V2):
        """R = diag(1/(α_p p V2_k)) of the finite-width mean channel (0 in the large-p limit; module docstring)."""
        if self.width is None:
            return None
        return np.diag(1.0 / (self.ap * self.width * np.real(V2)))

    def theta_m(self, den, F, V2=None):
        w = self.w / den
        k, mu0, mu1, h = self.k, self.mu0, self.mu1, self.h
        A_h = (mu1 * (w * k)) @ h
        A0 = (mu1 * (w * k)) @ mu0.T
        A1 = (mu1 * (w * k * k)) @ mu1.T
        K = self.K
        R = self.mean_ridge(V2) if V2 is not None else None
        if self.has_mean and R is not None:
            B0 = (mu0 * w) @ mu0.T
            B_h = (mu0 * w) @ h
            M = np.block([[np.eye(K) + self.ap * F @ A1, self.ap * F @ A0], [A0.T, B0 + R]])
            sol = np.linalg.solve(M, np.concatenate([self.ap * F @ A_h, B_h]))
            theta, m = sol[:K], sol[K:]
        elif self.has_mean:
            B0 = (mu0 * w) @ mu0.T
            B_h = (mu0 * w) @ h
            # eliminate m = B0⁺(B_h − A0ᵀθ) (minimum norm: dependent mean functions)
            B0p = np.linalg.pinv(B0, rcond=_RCOND, hermitian=True)
            Mth = np.eye(K) + self.ap * F @ (A1 - A0 @ B0p @ A0.T)
            rhs = self.ap * F @ (A_h - A0 @ B0p @ B_h)
            theta = np.linalg.solve(Mth, rhs)
            m = B0p @ (B_h - A0.T @ theta)
        else:
            theta = np.linalg.solve(np.eye(K) + self.ap * F @ A1, self.ap * F @ A_h)
            m = np.zeros(K)
        theta_hat = self.ap * (A_h - A0 @ m - A1 @ theta)
        return theta, m, theta_hat

    def complete(self, V1, V2, with_residual=True):
        den = self.den(V1, V2)
        B, b = self.v_hats(den)
        s = self.sums(B, b)
        w = self.w / den
        psi_hat = self.ap * (self.mu1 * w) @ self.h1
        psi = s.H @ psi_hat
        theta, m, theta_hat = self.theta_m(den, s.F, s.V2)
        # q-system: Q̂ = e + C y,  y = L Q̂ + bvec
        E0 = self.cond_error(np.zeros((self.K, self.K)), np.zeros(self.K), theta, psi, m) + self.noise2
        w2 = self.w / den**2
        e = self.ap * (self.psi_w * w2) @ E0
        C = self.ap * (self.psi_w * w2) @ self.phi.T
        ders = self.spec.derivatives(B, self.lam + b, self.dirs)
        L = -np.array([self.pack(dd.V1, dd.V2) for dd in ders]).T           # L[i, j] = −∂_j (V1u, V2)_i
        bvec = -self.half * np.array([theta_hat @ dd.F @ theta_hat + psi_hat @ dd.H @ psi_hat for dd in ders])
        Amat = np.eye(len(e)) - L @ C
        y = np.linalg.solve(Amat, L @ e + bvec)
        if not np.all(np.isfinite(y)):
            raise FloatingPointError("the q-equations are singular")
        qhat = e + C @ y
        Q1, q2 = self.unpack(y)
        Q1h, q2h = self.unpack(qhat)
        op = HeteroOrderParameters(np.real(s.V1), np.real(s.V2), Q1, q2, theta, psi, m, B, b, Q1h, q2h,
                                   theta_hat, psi_hat)
        return op

    def errors(self, op):
        E = self.cond_error(op.Q1, op.q2, op.theta, op.psi, op.m)
        den = self.den(op.V1, op.V2)
        return float(self.w @ E), float(self.w @ ((E + self.noise2) / den**2))

    def full_residual(self, op) -> float:
        """max |G(x) − x| of the full undamped map (V1, V2, θ, ψ, m, Q1, q2) at the returned point."""
        den = self.den(op.V1, op.V2)
        B, b = self.v_hats(den)
        s = self.sums(B, b)
        w = self.w / den
        g = self.g_of(op.theta, op.m)
        theta_hat = self.ap * (self.mu1 * (w * self.k)) @ (self.h - g)
        psi_hat = self.ap * (self.mu1 * w) @ self.h1
        E = self.cond_error(op.Q1, op.q2, op.theta, op.psi, op.m) + self.noise2
        qhat = self.ap * (self.psi_w * (self.w / den**2)) @ E
        ders = self.spec.derivatives(B, self.lam + b, self.dirs)
        L = -np.array([self.pack(dd.V1, dd.V2) for dd in ders]).T
        bvec = -self.half * np.array([theta_hat @ dd.F @ theta_hat + psi_hat @ dd.H @ psi_hat for dd in ders])
        y = L @ qhat + bvec
        Q1, q2 = self.unpack(y)
        res = [s.V1 - op.V1, s.V2 - op.V2, s.F @ theta_hat - op.theta, s.H @ psi_hat - op.psi, Q1 - op.Q1, q2 - op.q2]
        R = self.mean_ridge(s.V2)
        if self.has_mean and R is not None:
            res.append((self.mu0 * w) @ (self.h - g) - R @ op.m)
        elif self.has_mean:
            # mean channel: the normal equations E[μ0_k (h − g)/(1+V)] = 0 (not rescaled by B0⁺: the
            # mean functions may be nearly dependent, and then m is defined up to directions that do not move g)
            # (residual measured in the eigen-directions that the minimum-norm solve keeps)
            B0 = (self.mu0 * w) @ self.mu0.T
            ev, U = np.linalg.eigh(B0)
            keep = U[:, ev > _RCOND * ev.max()]
            res.append(keep.T @ ((self.mu0 * w) @ (self.h - g)))
        return float(max(np.max(np.abs(np.real(r))) for r in res))


# ------------------------------------------------------------------------------------------------
# 4. results and solvers


@dataclass(frozen=True)
class HeteroSRFRisk(TheoryResult):
    """Test and train error of ridge on the heterogeneous sRF, with the order parameters.

    ``residual`` = max |G(x) − x| of the full undamped map at the returned point; ``nit``/``nfev`` of
    the (V1, V2) fixed point; ``backend`` "asymptotic" or "finite"; ``classes`` = K.
    """

    test_error: float
    train_error: float
    order_parameters: HeteroOrderParameters | None
    converged: bool
    nit: int
    nfev: int
    residual: float
    backend: str
    classes: int
    law: SpikeLaw
    gamma: float
    setting: GiantStep

    _SETTING = staticmethod(lambda: GiantStep)
    _NESTED = {"order_parameters": HeteroOrderParameters.from_dict, "law": SpikeLaw.from_dict}


def class_labels(law: SpikeLaw, p: int, rng=None, law_nodes: int | None = None) -> np.ndarray:
    """Class label of each of p neurons for the finite-d back-end: proportional allocation to π_k
    (largest remainders), in a random order drawn from ``rng`` (default seed 0)."""
    _, _, pi = law.classes(law_nodes)
    counts = np.floor(pi * p).astype(int)
    rem = pi * p - counts
    counts[np.argsort(-rem)[: p - counts.sum()]] += 1
    labels = np.repeat(np.arange(len(pi)), counts)
    rng = np.random.default_rng(0) if rng is None else (np.random.default_rng(rng) if isinstance(rng, int) else rng)
    return rng.permutation(labels)


def hetero_srf_risk(
    setting: GiantStep,
    law: SpikeLaw,
    gamma: float,
    *,
    backend: str = "asymptotic",
    W0=None,
    labels=None,
    d: int | None = None,
    rng=None,
    spectrum: SpectralBackend | None = None,
    nodes: int = DEFAULT_KAPPA_NODES,
    law_nodes: int | None = None,
    width: int | None = None,
    bulk_spike_ratio: float = 1.0,
    method: str = "anderson",
    tol: float = 1e-10,
    maxiter: int = 500,
    initial=None,
    raise_on_failure: bool = True,
) -> HeteroSRFRisk:
    """Test and train error of ridge on the heterogeneous-spike sRF (module docstring).

    Parameters
    ----------
    setting : GiantStep
        Activations, α = n/d, p/d, λ, noise (α0 and η̃ are not used: the law and γ replace them).
    law : SpikeLaw
        Law of (r_i, c_i); :meth:`SpikeLaw.homogeneous` gives :func:`asymptotics.spiked_rf.theory.srf_risk`.
    gamma : float
        Spike–teacher overlap γ ∈ [−1, 1].
    backend : {"asymptotic", "finite"}
        Large-d deterministic equivalent, or explicit matrices on ``W0`` (or one sampled at ``d`` with
        ``rng``) with class ``labels`` (default :func:`class_labels`).
    nodes, law_nodes : κ nodes; Gauss–Hermite classes of a Gaussian law (default ``law.nodes``).
    width : int, optional
        p, for the finite-width mean channel: E[μ0_k(h − g)/(1+V)] = m_k/(α_p p V2_k) (module docstring).
        Default None: the large-p limit (unregularized, minimum-norm mean channel).
    bulk_spike_ratio : float
        c_v/c, the bulk variance along the spike over the isotropic one (:class:`SpikeBulkScaled`, the
        correlated case); 1 (default) is the isotropic sRF.

    >>> s = GiantStep("tanh", "tanh", alpha0=0.5, eta_tilde=1, alpha=1.5, lam=0.01)
    >>> two = hetero_srf_risk(s, SpikeLaw.two_point(0.3, 1.0), gamma=0.56)
    >>> two.converged, two.classes
    (True, 2)
    """
    if not isinstance(setting, GiantStep):
        raise InvalidParameterError(f"setting must be a GiantStep, got {type(setting).__name__}")
    if not isinstance(law, SpikeLaw):
        raise InvalidParameterError(f"law must be a SpikeLaw, got {type(law).__name__}")
    gamma = check_finite("gamma", gamma, "the spike-teacher overlap")
    if not -1 <= gamma <= 1:
        raise InvalidParameterError(f"gamma must lie in [-1, 1], got {gamma}")
    if setting.lam <= 0:
        raise InvalidParameterError("the heterogeneous sRF needs lam > 0")
    _, _, pi = law.classes(law_nodes)
    if spectrum is not None:
        sp = spectrum
    elif backend == "asymptotic":
        sp = ClassMarchenkoPastur(setting.width_ratio, pi)
    elif backend == "finite":
        if W0 is None:
            if d is None:
                raise InvalidParameterError("backend='finite' needs W0 or d")
            p = max(2, int(round(setting.width_ratio * d)))
            g = np.random.default_rng(rng if rng is not None else 0) if not isinstance(rng, np.random.Generator) else rng
            W0 = g.standard_normal((p, int(d)))
            labels = class_labels(law, p, g, law_nodes) if labels is None else labels
        elif labels is None:
            labels = class_labels(law, np.asarray(W0).shape[0], rng, law_nodes)
        labels = np.asarray(labels)
        counts = np.bincount(labels, minlength=len(pi))
        if np.any(counts == 0):
            # p neurons cannot populate every class (e.g. the tail nodes of a Gaussian law): the finite
            # model is the mixture of the classes present, with their empirical fractions
            r_k, c_k, _ = law.classes(law_nodes)
            keep = np.flatnonzero(counts)
            law = SpikeLaw.mixture(r_k[keep], counts[keep] / counts.sum(), c=c_k[keep])
            labels = np.searchsorted(keep, labels)
            law_nodes, (_, _, pi) = None, law.classes(None)
        sp = ClassEmpiricalSpectrum(W0, labels, len(pi), pi)
    else:
        raise InvalidParameterError(f"backend must be 'asymptotic' or 'finite', got {backend!r}")
    if bulk_spike_ratio != 1.0:
        sp = SpikeBulkScaled(sp, bulk_spike_ratio)
    if width is not None:
        if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
            raise InvalidParameterError(f"width must be a positive integer (the number of neurons p), got {width!r}")
        width = int(width)
    model = _HModel(setting, law, gamma, sp, nodes, law_nodes, width)
    K = model.K

    def fail(msg, fp=None):
        res = HeteroSRFRisk(math.nan, math.nan, None, False, fp.nit if fp else 0, fp.nfev if fp else 0,
                            fp.residual if fp else math.inf, sp.name, K, law, gamma, setting)
        if raise_on_failure:
            raise ConvergenceError(f"heterogeneous sRF for {setting.to_dict()}: {msg}", res)
        return res

    try:
        if initial is not None:
            x0 = np.asarray(initial, dtype=float)
        else:
            x0 = model.v_map(model.pack(np.zeros((K, K)), np.zeros(K)))
        fp = solve_fixed_point(model.u_map, model.to_u(x0), method=method, tol=tol, maxiter=maxiter,
                               raise_on_failure=False, damping=0.5)
        if not fp.converged and method != "damped":
            fp = solve_fixed_point(model.u_map, model.to_u(x0), method="damped", tol=tol, maxiter=maxiter,
                                   raise_on_failure=False, damping=0.5)
        if not fp.converged:
            return fail(fp.message, fp)
        op = model.complete(*model.unpack(model.from_u(fp.x)))
        test, train = model.errors(op)
        res = model.full_residual(op)
    except (FloatingPointError, np.linalg.LinAlgError) as exc:
        return fail(str(exc))
    if not (math.isfinite(test) and math.isfinite(train)):
        return fail("non-finite errors", fp)
    if not res <= max(1e3 * tol, 1e-7):
        return fail(f"the full map residual {res:.3e} is not small at the solution", fp)
    return HeteroSRFRisk(test, train, op, True, fp.nit, fp.nfev, res, sp.name, K, law, gamma, setting)


def hetero_srf_curve(setting: GiantStep, law: SpikeLaw, gamma: float, parameter: str, values, **options):
    """:func:`hetero_srf_risk` along a sweep of ``alpha``, ``lam`` or ``noise`` with warm starts."""
    if parameter not in ("alpha", "lam", "noise"):
        raise InvalidParameterError(f"cannot sweep {parameter!r}; choose alpha, lam or noise")
    out, init = [], None
    for v in values:
        s = setting.replace(**{parameter: v})
        r = hetero_srf_risk(s, law, gamma, initial=init, raise_on_failure=False, **options)
        if not r.converged and init is not None:
            r = hetero_srf_risk(s, law, gamma, raise_on_failure=False, **options)
        if not r.converged:
            raise ConvergenceError(f"heterogeneous sRF curve failed at {parameter} = {v!r}", r)
        op = r.order_parameters
        init = np.concatenate([op.V1[np.triu_indices(r.classes)], op.V2])
        out.append(r)
    return tuple(out)


# ------------------------------------------------------------------------------------------------
# 5. Ba et al.'s network at η = Θ(√N): the heterogeneous sRF with a Gaussian law


@dataclass(frozen=True)
class BaLargeStep:
    """The heterogeneous sRF that models Ba et al.'s one-step network at η = η̃√N.

    ``setting`` is the equivalent :class:`GiantStep` (α = ψ1, p/d = ψ2, λ_sRF = λψ1/ψ2, same noise; α0 and
    η̃ are recorded but unused by :func:`hetero_srf_risk`), ``law`` the Gaussian law of (r_i, c_i), ``gamma`` γ.
    """

    setting: GiantStep
    law: SpikeLaw
    gamma: float
    eta_tilde: float

    def to_dict(self) -> dict:
        return {"setting": self.setting.to_dict(), "law": self.law.to_dict(), "gamma": self.gamma,
                "eta_tilde": self.eta_tilde}


def ba_large_step(setting: OneStep, eta_tilde: float, law_nodes: int = DEFAULT_LAW_NODES) -> BaLargeStep:
    """Map Ba et al.'s protocol at η = η̃√N to the heterogeneous sRF (Gaussian readout a ⇒ Gaussian law).

    Ba et al.: f(x) = aᵀσ(Wᵀx)/√N, W0 iid N(0, 1/d), a iid N(0, 1/N) frozen, W1 = W0 − η√N∇L with
    L = (1/2n)Σ(f − y)² on n = ψ1 d samples, then ridge (1/n)‖y − Φa‖² + (λ/N)‖a‖² on a fresh batch of n.
    Per neuron, with a_i = ã_i/√N: w_i ← w_i + η̃ ã_i (1/n) Σ_μ (y_μ − f0(x_μ)) σ'(⟨w_i, x_μ⟩) x_μ, i.e. neuron
    i takes a giant step (η̃ of :mod:`asymptotics.spiked_rf.theory`) of its own size η̃ ã_i, and f0 = O(1/√N) → 0 (random
    a, unlike Cui et al.'s constant a where f0 ≈ μ0).  The giant-step map of docs/theory/spiked-rf.md §1.4 (the
    corrected formulas with f0 = 0 in place of μ0) then gives, with E_y = ‖σ*‖² + σ_ε² and ã ~ N(0, 1):

        r_i = η̃ μ1 √(μ1*² + E_y/ψ1) · ã_i,        γ = μ1*/√(μ1*² + E_y/ψ1),
        c_i = (1 + η̃ μ0* E[zσ'(z)] ã_i)² + (η̃²/ψ1) E_y Var σ' · ã_i²,

    a :meth:`SpikeLaw.gaussian` law (r1, s1, c2) with r0 = 0, s0 = 1.  The readout objective equals
    Σ(y − aᵀφ/√N)² + (nλ/N)‖a‖², so λ_sRF = λψ1/ψ2, α = ψ1, p/d = ψ2.

    >>> b = ba_large_step(OneStep("erf", "erf", psi1=4, psi2=2, lam=1e-3, eta=1, noise=0.1), 1.0)
    >>> round(b.setting.lam, 6), b.law.kind, round(b.gamma, 3)
    (0.002, 'gaussian', 0.884)
    """
    if not isinstance(setting, OneStep):
        raise InvalidParameterError(f"setting must be a OneStep, got {type(setting).__name__}")
    eta_tilde = check_finite("eta_tilde", eta_tilde, "η/√N")
    s = hermite_constants(setting.student)
    t = hermite_constants(setting.teacher)
    e_y = t.norm2 + setting.noise**2
    denom = math.sqrt(t.mu1**2 + e_y / setting.psi1)
    r1 = eta_tilde * s.mu1 * denom
    gamma = t.mu1 / denom if denom > 0 else 0.0
    s1 = eta_tilde * (t.mu0 if abs(t.mu0) > 1e-14 else 0.0) * s.mean_z_derivative
    c2 = eta_tilde**2 / setting.psi1 * e_y * s.var_derivative
    if s1 != 0 and c2 == 0:
        c2 = 0.0  # pragma: no cover - degenerate (Var σ' = 0: linear student) handled by SpikeLaw's check
    law = SpikeLaw.gaussian(r1=r1, s0=1.0, s1=s1, c2=c2, nodes=law_nodes)
    gs = GiantStep(setting.student, setting.teacher, alpha0=setting.psi1, eta_tilde=eta_tilde, alpha=setting.psi1,
                   width_ratio=setting.psi2, lam=setting.lam * setting.psi1 / setting.psi2, noise=setting.noise)
    return BaLargeStep(gs, law, min(1.0, max(-1.0, gamma)), eta_tilde)


def large_step_risk(setting: OneStep, eta_tilde: float, **options) -> HeteroSRFRisk:
    """Test risk of Ba et al.'s network at η = η̃√N: :func:`hetero_srf_risk` of :func:`ba_large_step`.

    The test error is against the noise-free teacher, as Ba et al.'s prediction risk.  ``options`` go to
    :func:`hetero_srf_risk` (``law_nodes`` to :func:`ba_large_step` through the law).
    """
    b = ba_large_step(setting, eta_tilde, options.pop("law_nodes", DEFAULT_LAW_NODES))
    return hetero_srf_risk(b.setting, b.law, b.gamma, **options)
