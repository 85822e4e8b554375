"""Monte Carlo of kernel ridge regression on the sphere and of the finite-width lazy models.

docs/theory/kernels.md §6.1 (data model), §6.5 (finite-width NT / RF models), §5.1 E1/E2.

* Inputs x ~ Unif(S^{d−1}(√d)) (:func:`sphere_inputs`).
* Targets are sums of *normalized spherical harmonics*, one per degree, so the degree profile
  F_k² = ‖P_k f*‖² is known exactly (:class:`SphereTarget`): products of distinct coordinates
  (sparse, ``"product"``), zonal harmonics √B(d,k)·P_k(⟨β,x⟩/√d) along a direction (sparse if β is a
  coordinate vector), the dense linear form ⟨β, x⟩ and the dense traceless quadratic form xᵀAx.
  Harmonics of different degrees are orthogonal in L²(sphere), so any profile can be realized.
* :func:`simulate_krr` — KRR with the exact dot-product kernel h(⟨x,x'⟩/d) of
  :func:`asymptotics.kernels.theory.dot_product_kernel`; compares with :func:`asymptotics.kernels.theory.krr_risk`.
* :func:`simulate_lazy` — the same estimator with the empirical kernel of m random neurons:
  RF features σ(w_rᵀx)/√m, or NT features σ'(w_rᵀx) x/√(m d) (gradient of the first layer, §3.2),
  w_r ~ N(0, I_d/d), so that the Gram matrices are unbiased for h_RF and h_NT (§6.6) and converge
  to them as m → ∞ (ridge on the features = KRR with the feature Gram matrix).

All randomness comes from :func:`asymptotics.validation.data.spawn_generators` streams of an explicit seed.

>>> rng = np.random.default_rng(0)
>>> X = sphere_inputs(3, 5, rng)
>>> np.allclose((X * X).sum(1), 5.0)
True
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import scipy.linalg

from asymptotics.errors import InvalidParameterError
from asymptotics.gegenbauer import gegenbauer_polynomials, harmonic_dimension
from asymptotics.limits import array_bytes, check_memory
from asymptotics.kernels.theory import DotProductKernel, KernelRidge, KRRRisk, TargetProfile, krr_risk, parse_target

from ..data import check_n_test, check_all_finite, check_int, spawn_generators
from ..summary import normalize_seeds, summarize
from ..store import Checkpoint

__all__ = [
    "sphere_inputs",
    "HarmonicTerm",
    "SphereTarget",
    "harmonic_target",
    "low_degree_plus_sparse",
    "kernel_gram",
    "kernel_ridge_fit_predict",
    "LazyFeatures",
    "lazy_features",
    "KRRSeedRecord",
    "KRRSimulation",
    "simulate_krr_seed",
    "simulate_krr",
    "simulate_lazy",
    "krr_memory",
]

TERM_KINDS = ("constant", "linear", "quadratic", "product", "zonal")
#: Streams of one seed, in a fixed order (adding streams at the end never changes earlier ones).
STREAMS = ("target", "train", "test", "noise", "features")


def sphere_inputs(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """X ∈ R^{n×d}, rows iid uniform on the sphere of radius √d (docs/theory/kernels.md §6.1)."""
    n = check_int("n", n, 1, "number of points")
    d = check_int("d", d, 3, "the input dimension")
    check_memory(f"{n} inputs on the sphere at d={d}", array_bytes((n, d), (n, 2)))
    G = rng.standard_normal((n, d))
    return G * (math.sqrt(d) / np.linalg.norm(G, axis=1, keepdims=True))


# --------------------------------------------------------------------------------------------
# targets


def _product_norm2(d: int, k: int) -> float:
    """E[x_1² ⋯ x_k²] on S^{d−1}(√d) = d^k / ∏_{j<k} (d + 2j) (Dirichlet moments)."""
    return float(np.prod([d / (d + 2.0 * j) for j in range(k)]))


@dataclass(frozen=True)
class HarmonicTerm:
    """coef · g(x), g a degree-``degree`` spherical harmonic with E g² = 1 on S^{d−1}(√d).

    ``kind``: ``"constant"`` (g = 1), ``"linear"`` (⟨β, x⟩, ‖β‖ = 1), ``"quadratic"`` (xᵀAx / norm, A
    symmetric traceless, dense), ``"product"`` (∏_{i∈S} x_i / norm, distinct coordinates, sparse),
    ``"zonal"`` (√B(d,k) P_k(⟨β,x⟩/√d), P_k the Gegenbauer polynomial with P_k(1) = 1; sparse when
    β is a coordinate vector).
    """

    kind: str
    degree: int
    coef: float
    d: int
    coords: tuple = ()
    direction: tuple = ()
    matrix: tuple = ()

    def __post_init__(self):
        if not (isinstance(self.kind, str) and self.kind in TERM_KINDS):
            raise InvalidParameterError(f"term kind must be one of {TERM_KINDS}, got {self.kind!r}")
        expected = {"constant": 0, "linear": 1, "quadratic": 2, "product": len(self.coords)}.get(self.kind)
        if expected is not None and self.degree != expected:
            raise InvalidParameterError(f"a {self.kind} term has degree {expected}, got {self.degree}")
        if self.kind == "product" and len(set(self.coords)) != len(self.coords):
            raise InvalidParameterError("a product harmonic needs distinct coordinates")

    def __call__(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        d = self.d
        if self.kind == "constant":
            g = np.ones(X.shape[0])
        elif self.kind == "linear":
            g = X @ np.asarray(self.direction)
        elif self.kind == "quadratic":
            A = np.asarray(self.matrix)
            g = np.einsum("ni,ij,nj->n", X, A, X) / math.sqrt(2.0 * d * float(np.sum(A * A)) / (d + 2.0))
        elif self.kind == "product":
            g = np.prod(X[:, list(self.coords)], axis=1) / math.sqrt(_product_norm2(d, self.degree))
        else:
            t = np.clip((X @ np.asarray(self.direction)) / math.sqrt(d), -1.0, 1.0)
            g = math.sqrt(harmonic_dimension(d, self.degree)) * gegenbauer_polynomials(t, d, self.degree)[-1]
        return self.coef * g

    def to_dict(self) -> dict:
        return {"kind": self.kind, "degree": self.degree, "coef": self.coef, "coords": list(self.coords),
                "direction": list(self.direction), "matrix_fro": float(np.linalg.norm(np.asarray(self.matrix)))
                if self.matrix else None}


@dataclass(frozen=True)
class SphereTarget:
    """f* = Σ terms, at most one harmonic term per degree, so F_k² = coef_k² exactly (docs/theory/kernels.md §6.1)."""

    d: int
    terms: tuple

    def __post_init__(self):
        degs = [t.degree for t in self.terms]
        if len(set(degs)) != len(degs):
            raise InvalidParameterError(f"one harmonic term per degree (orthogonality), got degrees {degs}")
        if any(t.d != self.d for t in self.terms):
            raise InvalidParameterError("all terms must live in the same dimension d")

    def __call__(self, X: np.ndarray) -> np.ndarray:
        out = np.zeros(np.asarray(X).shape[0])
        for t in self.terms:
            out = out + t(X)
        return out

    @property
    def profile(self) -> TargetProfile:
        """Exact degree profile {k: coef_k²} as an :class:`asymptotics.kernels.theory.TargetProfile`."""
        return parse_target({t.degree: t.coef ** 2 for t in self.terms} or {0: 0.0})

    def component_residuals(self, pred: np.ndarray, X: np.ndarray) -> dict:
        """{degree: (E[(f̂ − f*) g_k])²}: the error energy along each unit harmonic g_k of the target,
        i.e. how much of that component is not learned (Monte Carlo over the points X)."""
        r = np.asarray(pred) - self(X)
        return {int(t.degree): float(np.mean(r * t(X) / t.coef) ** 2) for t in self.terms if t.coef != 0}

    def part(self, degrees) -> "SphereTarget":
        """The sub-target made of the given degrees (e.g. the sparse part)."""
        return SphereTarget(self.d, tuple(t for t in self.terms if t.degree in set(degrees)))

    def to_dict(self) -> dict:
        return {"d": self.d, "terms": [t.to_dict() for t in self.terms], "profile": self.profile.to_dict()}


def _unit(v: np.ndarray) -> tuple:
    return tuple(float(x) for x in v / np.linalg.norm(v))


def harmonic_target(profile, d: int, rng: np.random.Generator | None = None, style: str = "product") -> SphereTarget:
    """A target with degree profile ``profile`` ("k:F2,..." or {k: F2}) built from single harmonics.

    ``style="product"``: degree k ≥ 1 is the product of k coordinates, disjoint blocks for different
    degrees (docs/theory/kernels.md §6.7: x_1, x_2x_3, ...; needs Σ k ≤ d); deterministic.  ``style="dense"``: degree 1
    is ⟨β, x⟩, degree 2 a random traceless quadratic form, degree ≥ 3 a zonal harmonic along a random
    β (``rng`` required).  Nonnegative coefficients √F_k².

    >>> t = harmonic_target("1:1,2:0.25", 10)
    >>> [(u.kind, u.coords) for u in t.terms], t.profile.F2
    ([('product', (0,)), ('product', (1, 2))], (0.0, 1.0, 0.25))
    """
    prof = parse_target(profile)
    if prof.tail:
        raise InvalidParameterError("a profile with an unresolved tail cannot be realized by harmonics")
    d = check_int("d", d, 3, "the input dimension")
    if not (isinstance(style, str) and style in ("product", "dense")):
        raise InvalidParameterError(f"style must be 'product' or 'dense', got {style!r}")
    if style == "dense" and rng is None:
        raise InvalidParameterError("style='dense' needs an rng")
    # dense: a d×d quadratic form stored as tuples (~8 words per entry); product: index tuples only
    check_memory(f"harmonic_target at d={d}", array_bytes((d, d), (d, 8)) * (8 if style == "dense" else 0)
                 + array_bytes((d, 8)))
    terms, start = [], 0
    for k, F2 in enumerate(prof.F2):
        if F2 <= 0:
            continue
        c = math.sqrt(F2)
        if k == 0:
            terms.append(HarmonicTerm("constant", 0, c, d))
        elif style == "product":
            if start + k > d:
                raise InvalidParameterError(f"product harmonics need sum of degrees <= d = {d}")
            terms.append(HarmonicTerm("product", k, c, d, coords=tuple(range(start, start + k))))
            start += k
        elif k == 1:
            terms.append(HarmonicTerm("linear", 1, c, d, direction=_unit(rng.standard_normal(d))))
        elif k == 2:
            terms.append(dense_quadratic(d, rng, c))
        else:
            terms.append(HarmonicTerm("zonal", k, c, d, direction=_unit(rng.standard_normal(d))))
    return SphereTarget(d, tuple(terms))


def dense_quadratic(d: int, rng: np.random.Generator, coef: float = 1.0) -> HarmonicTerm:
    """coef · xᵀAx / norm with A = (G + Gᵀ)/2 minus its trace part: a dense degree-2 harmonic (§5.1 E3)."""
    G = rng.standard_normal((d, d))
    A = (G + G.T) / 2.0
    A -= np.trace(A) / d * np.eye(d)
    return HarmonicTerm("quadratic", 2, coef, d, matrix=tuple(map(tuple, A)))


def low_degree_plus_sparse(d: int, rng: np.random.Generator, dense=None, sparse=None) -> SphereTarget:
    """f* = dense low-degree part + sparse higher-degree part (docs/theory/kernels.md §2.3, §5.1 E3; our instance).

    ``dense`` {k: F_k²} for k ∈ {1, 2} (random linear form / dense traceless quadratic form);
    ``sparse`` {k: F_k²}: zonal harmonic √B(d,k)P_k(x_1/√d) of the first coordinate only (a rank-one,
    one-coordinate polynomial).  Defaults: dense {2: 1}, sparse {3: 1}.

    >>> t = low_degree_plus_sparse(8, np.random.default_rng(0))
    >>> [(u.kind, u.degree) for u in t.terms], t.profile.F2
    ([('quadratic', 2), ('zonal', 3)], (0.0, 0.0, 1.0, 1.0))
    """
    d = check_int("d", d, 3, "the input dimension")
    check_memory(f"low_degree_plus_sparse at d={d}", array_bytes((d, d), (d, 8)) * 8)
    dense = {2: 1.0} if dense is None else dict(dense)
    sparse = {3: 1.0} if sparse is None else dict(sparse)
    if set(dense) & set(sparse):
        raise InvalidParameterError("dense and sparse parts must use different degrees")
    terms = []
    for k, F2 in sorted(dense.items()):
        if k == 1:
            terms.append(HarmonicTerm("linear", 1, math.sqrt(F2), d, direction=_unit(rng.standard_normal(d))))
        elif k == 2:
            terms.append(dense_quadratic(d, rng, math.sqrt(F2)))
        else:
            raise InvalidParameterError("dense parts of degree 1 or 2 only")
    e1 = tuple(float(i == 0) for i in range(d))
    for k, F2 in sorted(sparse.items()):
        terms.append(HarmonicTerm("zonal", int(k), math.sqrt(F2), d, direction=e1))
    return SphereTarget(d, tuple(terms))


# --------------------------------------------------------------------------------------------
# kernel ridge regression (one solver for the exact and the empirical kernels)


def kernel_gram(kernel: DotProductKernel, X: np.ndarray, Y: np.ndarray | None = None) -> np.ndarray:
    """Exact Gram matrix h(XYᵀ/d) of a dot-product kernel (docs/theory/kernels.md §6.1)."""
    Y = X if Y is None else Y
    d = X.shape[1]
    return np.asarray(kernel(np.clip(X @ Y.T / d, -1.0, 1.0)), dtype=float)


def kernel_ridge_fit_predict(G: np.ndarray, G_test: np.ndarray, y: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """KRR f̂ = G_test (G + λI)^{-1} y (docs/theory/kernels.md §6.1; λ not divided by n); returns (test, train) predictions.

    Cholesky of G + λI; if it fails (λ = 0 and a singular Gram matrix) the minimum-norm solution by a
    symmetric eigendecomposition with the usual rank cut.

    >>> G = np.eye(2); kernel_ridge_fit_predict(G, G, np.array([1.0, 2.0]), 1.0)[0]
    array([0.5, 1. ])
    """
    n = G.shape[0]
    A = G + lam * np.eye(n)
    try:
        alpha = scipy.linalg.cho_solve(scipy.linalg.cho_factor(A, lower=False, check_finite=False), y,
                                       check_finite=False)
    except np.linalg.LinAlgError:
        s, U = np.linalg.eigh(A)
        keep = s > s.max() * n * np.finfo(float).eps
        alpha = U[:, keep] @ ((U[:, keep].T @ y) / s[keep])
    check_all_finite("KRR coefficients", alpha)
    return G_test @ alpha, G @ alpha


@dataclass(frozen=True)
class LazyFeatures:
    """m random neurons w_r ~ N(0, I_d/d) of a lazy two-layer model (docs/theory/kernels.md §6.5, §6.6).

    ``kind="rf"``: φ(x) = σ(Wx)/√m, Gram → h_RF(ρ).  ``kind="ntk"``: first-layer gradient features
    σ'(w_rᵀx) x/√(m d) (the sign a_r = ±1 squares away), Gram = ρ·(1/m)Σ_r σ'σ' → h_NT(ρ).
    """

    kind: str
    activation: object
    W: np.ndarray = field(repr=False)

    @property
    def m(self) -> int:
        return int(self.W.shape[0])

    def gram(self, X: np.ndarray, Y: np.ndarray | None = None) -> np.ndarray:
        """Empirical kernel ⟨φ(x), φ(y)⟩ (computed without forming the m·d NT features)."""
        Y = X if Y is None else Y
        act = self.activation
        if self.kind == "rf":
            return act.fn(X @ self.W.T) @ act.fn(Y @ self.W.T).T / self.m
        d = X.shape[1]
        return (X @ Y.T / d) * (act.derivative(X @ self.W.T) @ act.derivative(Y @ self.W.T).T / self.m)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "activation": self.activation.name, "m": self.m}


def lazy_features(kind: str, activation, m: int, d: int, rng: np.random.Generator) -> LazyFeatures:
    """Draw a lazy RF / NT model with m neurons (docs/theory/kernels.md §6.5)."""
    from asymptotics.activations import get_activation

    if not (isinstance(kind, str) and kind in ("rf", "ntk")):
        raise InvalidParameterError(f"lazy model kind must be 'rf' or 'ntk', got {kind!r}")
    m = check_int("m", m, 1, "the number of neurons")
    d = check_int("d", d, 3, "the input dimension")
    check_memory(f"lazy features with m={m}, d={d}", array_bytes((m, d)))
    return LazyFeatures(kind, get_activation(activation), rng.standard_normal((m, d)) / math.sqrt(d))


@dataclass(frozen=True)
class KRRSeedRecord:
    """One seed: test error E(f̂ − f*)² (against the noise-free target) and the training MSE."""

    seed: int
    n: int
    test_error: float
    train_error: float

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class KRRSimulation:
    """Monte Carlo of KRR over seeds, next to the deterministic equivalent (docs/theory/kernels.md §6.4).

    ``model`` is ``"exact"`` or ``"rf"`` / ``"ntk"`` with ``m`` neurons (lazy model).  SEMs are
    std(ddof=1)/√K over the K seeds (0.0 for K = 1).
    """

    setting: KernelRidge
    seeds: tuple
    n_test: int
    per_seed: tuple = field(repr=False)
    test_error_mean: float
    test_error_sem: float
    train_error_mean: float
    train_error_sem: float
    theory: KRRRisk | None
    style: str
    model: str = "exact"
    m: int | None = None

    @property
    def d(self) -> int:
        """The input dimension (``setting.d``), as in every simulation summary."""
        return self.setting.d

    def to_dict(self) -> dict:
        return {"setting": self.setting.to_dict(), "d": self.d, "seeds": list(self.seeds), "n_test": self.n_test,
                "per_seed": [r.to_dict() for r in self.per_seed], "test_error_mean": self.test_error_mean,
                "test_error_sem": self.test_error_sem, "train_error_mean": self.train_error_mean,
                "train_error_sem": self.train_error_sem,
                "theory": None if self.theory is None else self.theory.to_dict(), "style": self.style,
                "model": self.model, "m": self.m}


def _n_int(setting: KernelRidge) -> int:
    n = setting.n
    if not float(n).is_integer():
        raise InvalidParameterError(f"a simulation needs an integer n, got {n}")
    return int(n)


def _check_lazy(setting, m):
    if not isinstance(setting, KernelRidge):
        raise InvalidParameterError(f"setting must be a KernelRidge, got {type(setting).__name__}")
    if not (isinstance(setting.kernel, str) and setting.kernel in ("rf", "ntk")):
        raise InvalidParameterError(f"a lazy model needs setting.kernel 'rf' or 'ntk', got {setting.kernel!r}")
    return check_int("m", m, 1, "neurons")


_MODELS = ("exact", "rf", "ntk")


def krr_memory(n: int, d: int, n_test: int, m: int | None = None) -> float:
    """Estimated peak bytes of one KRR seed: inputs (n + n_test)×d, the Gram matrices n×n (twice, for the
    factorization and the eigen fallback) and n_test×n, and for a lazy model the m×d weights and the
    (n + n_test)×m activations (three of them in the NT Gram)."""
    lazy = 0 if m is None else m
    return array_bytes((n + n_test, d), (n, n), (n, n), (n, n), (n_test, n), (lazy, d), (n + n_test, 3 * lazy))


def _check_krr_args(setting, seed_or_seeds, n_test, model, m):
    if not isinstance(setting, KernelRidge):
        raise InvalidParameterError(f"setting must be a KernelRidge, got {type(setting).__name__}")
    if not (isinstance(model, str) and model in _MODELS):
        raise InvalidParameterError(f"model must be 'exact', 'rf' or 'ntk', got {model!r}")
    n_test = check_n_test(n_test)
    if model != "exact":
        m = check_int("m", m, 1, "neurons")
    n = _n_int(setting)
    check_memory(f"the KRR simulation at d={setting.d}, n={n}, n_test={n_test}" + (f", m={m}" if model != "exact" else ""),
                 krr_memory(n, setting.d, n_test, m if model != "exact" else None))
    return n_test, m


def simulate_krr_seed(setting: KernelRidge, seed: int, n_test: int = 2000, *, style: str = "product",
                      model: str = "exact", m: int | None = None) -> KRRSeedRecord:
    """One seed of KRR on the sphere (docs/theory/kernels.md §6.1): target from the setting's profile (:func:`harmonic_target`),
    n training points with noise σ_ε, n_test test points; exact kernel or a lazy model with m neurons."""
    n_test, m = _check_krr_args(setting, seed, n_test, model, m)
    seed = check_int("seed", seed, 0, "a random seed")
    n, d = _n_int(setting), setting.d
    rngs = spawn_generators(seed, STREAMS)
    target = harmonic_target(setting.target, d, rngs["target"], style=style)
    X = sphere_inputs(n, d, rngs["train"])
    Xt = sphere_inputs(n_test, d, rngs["test"])
    f, ft = target(X), target(Xt)
    y = f + setting.noise * rngs["noise"].standard_normal(n)
    if model == "exact":
        gram = lambda A, B=None: kernel_gram(setting.kernel_fn, A, B)   # noqa: E731
    elif model in ("rf", "ntk"):
        if setting.kernel != model:
            raise InvalidParameterError(f"lazy model {model!r} approximates kernel {model!r}, setting has {setting.kernel!r}")
        lf = lazy_features(model, setting.activation, check_int("m", m, 1, "neurons"), d, rngs["features"])
        gram = lf.gram
    else:
        raise InvalidParameterError(f"model must be 'exact', 'rf' or 'ntk', got {model!r}")
    pred_t, pred = kernel_ridge_fit_predict(gram(X), gram(Xt, X), y, setting.lam)
    return KRRSeedRecord(int(seed), n, float(np.mean((pred_t - ft) ** 2)), float(np.mean((pred - y) ** 2)))


def simulate_krr(setting: KernelRidge, seeds: "Sequence[int] | int" = 3, n_test: int = 2000, *,
                 style: str = "product", model: str = "exact", m: int | None = None,
                 checkpoint: Checkpoint | None = None, theory: bool = True) -> KRRSimulation:
    """KRR Monte Carlo over seeds with the exact kernel (or a lazy model), and the §6.4 theory.

    ``checkpoint`` (a :class:`asymptotics.validation.store.Checkpoint`) stores each finished seed.

    >>> s = KernelRidge("ntk", "relu", d=8, n=60, lam=0.01, noise=0.1, target="1:1,2:0.5")
    >>> r = simulate_krr(s, seeds=2, n_test=200)
    >>> r.test_error_mean < 1.5, round(r.theory.test_error, 3)
    (True, 0.128)
    """
    seeds = normalize_seeds(seeds)
    n_test, m = _check_krr_args(setting, seeds, n_test, model, m)
    recs = []
    for sd in seeds:
        # the whole setting is in the key: settings differing only in noise or target never share a record
        key = f"{model}:m={m}:style={style}:n_test={n_test}:{json.dumps(setting.to_dict(), sort_keys=True)}:seed={sd}"
        comp = lambda sd=sd: simulate_krr_seed(setting, sd, n_test, style=style, model=model, m=m).to_dict()  # noqa: E731
        rec = checkpoint.get_or_compute(key, comp) if checkpoint is not None else comp()
        recs.append(KRRSeedRecord(**rec))
    return KRRSimulation(setting, seeds, int(n_test), tuple(recs), **summarize(recs),
                         theory=krr_risk(setting) if theory else None, style=style, model=model, m=m)


def simulate_lazy(setting: KernelRidge, m: int, seeds: "Sequence[int] | int" = 3, n_test: int = 2000, *,
                  style: str = "product", checkpoint: Checkpoint | None = None) -> KRRSimulation:
    """Lazy RF / NT model with m neurons (``setting.kernel`` = "rf" or "ntk"): ridge on the features =
    KRR with their Gram matrix (docs/theory/kernels.md §6.5); tends to :func:`simulate_krr` as m → ∞ (Montanari–Zhong)."""
    m = _check_lazy(setting, m)
    return simulate_krr(setting, seeds, n_test, style=style, model=setting.kernel, m=m, checkpoint=checkpoint)
