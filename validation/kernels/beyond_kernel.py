"""Networks beyond the kernel regime: the QuadNTK model and a regularized two-layer network.

docs/theory/kernels.md §2.1 (Taylor decomposition, symmetric init, random signs), §3.2 (NTK feature
covariance and its degree blocks), §4 / §5.1 E3 (regularizer, experiment).  The paper's own
regularizer, constants and exponents are not known to us (docs/theory/kernels.md §0, §4: [R]); **everything below
the Taylor formalism is our construction**, to be judged by the simulations.

Common parametrization (docs/theory/kernels.md §2.1–2.2, [R]): width m (even), first-layer init w_{0,r} ~ N(0, I_d/d)
drawn for r < m/2 and duplicated, second layer a_r = +1 for r < m/2 and −1 for the copies
(frozen), x ~ Unif(S^{d−1}(√d)), movement W (m × d) trained:

    f_{W0+W}(x) = (1/√m) Σ_r a_r [σ((w_{0,r} + w_r)ᵀx) − σ(w_{0,r}ᵀx)].

The pairs make f^{(0)} = 0 exactly (outputs are summed pairwise, so the cancellation is exact in
floating point too).  Taylor terms: f_L(x; W) = (1/√m) Σ a_r σ'(w_{0,r}ᵀx) w_rᵀx (NTK term),
f_Q(x; W) = (1/(2√m)) Σ a_r σ''(w_{0,r}ᵀx)(w_rᵀx)² (QuadNTK term).

Models
------
* :func:`train_quadntk` — **QuadNTK with random-sign coupling** (Bai & Lee, docs/theory/kernels.md §2.1): the network's
  first two Taylor terms at the sign-randomized movement S W, trained on the exact sign average
  E_S L(W) = (1/2n) Σ_i [(f_Q(x_i) − y_i)² + E_S f_L(x_i; SW)²] + λ_Q ‖W‖_{2,4}^8, with
  E_S f_L(x; SW)² = (1/m) Σ_r σ'(w_{0,r}ᵀx)² (w_rᵀx)² (the signs are independent, so the cross terms
  vanish) — no sign sampling noise, fully reproducible.  Init W pairwise equal, small random, so
  f_Q = 0 exactly at init but the gradient is not zero (the pair members then separate).
* :func:`train_regularized` — **full network + "good-direction" regularizer (ours, [R])**: by docs/theory/kernels.md §3.2
  the NTK feature covariance Σ has the degree-≤ℓ blocks (eigenvalues d μ_k, multiplicity B(d,k)) and a
  bulk of ≈ md directions with eigenvalues ≈ r_{>ℓ}/m.  A movement W changes the NTK term by
  f_L(·; W), whose squared L² norm is vec(W)ᵀ Σ vec(W).  We penalize only its part outside the
  degree-≤ℓ polynomials,

      R_L(W) = (λ_L / 2) ‖P_{>ℓ} f_L(·; W)‖²  ≈ (λ_L / 2M) ‖(I − Π_ℓ) f_L(X_u; W)‖²,

  i.e. vec(W)ᵀ Σ_{bulk} vec(W): movement is free in the top eigenspaces (the NTK term may fit the
  dense degree-≤ℓ part) and costs in proportion to how much it changes the high-degree part of the
  NTK term, so large moves go to directions that barely change it (the "good directions").  Π_ℓ is
  the least-squares projection on polynomials of degree ≤ ℓ over M unlabeled points X_u (a Monte
  Carlo estimate of the population projection: the penalty depends on the init and the input law
  only, never on labels).  Plus the Bai–Lee term λ_Q ‖W‖_{2,4}^8 (docs/theory/kernels.md §2.1, recollection [R]).
  Loss: (1/2n) Σ (f − y)² + R_L + λ_Q ‖W‖_{2,4}^8, full-batch gradient descent with heavy-ball
  momentum, W = 0 at init.

Every function takes explicit seeds / generators.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import sympy

from asymptotics.activations import Activation, get_activation, z as _z
from asymptotics.errors import InvalidParameterError
from asymptotics.limits import array_bytes, check_memory
from asymptotics.settings import NOISE_MAX, check_finite, check_range

from ..data import check_n_test, check_all_finite, check_int, spawn_generators
from .simulation import SphereTarget, sphere_inputs

__all__ = [
    "PairedInit",
    "symmetric_init",
    "network_output",
    "ntk_term",
    "quad_term",
    "quadntk_loss_grad",
    "regularized_loss_grad",
    "polynomial_projector",
    "TrainConfig",
    "TrainResult",
    "train_quadntk",
    "train_regularized",
    "train_memory",
    "MAX_STEPS",
]


@lru_cache(maxsize=32)
def _second_derivative(act: Activation):
    """σ'' from the sympy expression (needed by f_Q; docs/theory/kernels.md §2.2: σ must be smooth)."""
    expr = sympy.diff(act.expr, _z, 2)
    if expr.has(sympy.DiracDelta) or expr.has(sympy.Heaviside):
        raise InvalidParameterError(f"the QuadNTK needs a smooth activation, {act.name!r} has σ'' = {expr}")
    return sympy.lambdify(_z, expr, "numpy")


@dataclass(frozen=True)
class PairedInit:
    """Symmetric initialization: rows r and r + m/2 of W0 equal, a_r = +1 / −1 (docs/theory/kernels.md §2.1)."""

    W0: np.ndarray = field(repr=False)
    activation: Activation

    @property
    def m(self) -> int:
        return int(self.W0.shape[0])

    @property
    def d(self) -> int:
        return int(self.W0.shape[1])

    def sigma(self, Z):
        return self.activation.fn(Z)

    def dsigma(self, Z):
        return self.activation.derivative(Z)

    def d2sigma(self, Z):
        return np.broadcast_to(np.asarray(_second_derivative(self.activation)(Z), dtype=float), np.shape(Z))


def symmetric_init(m: int, d: int, activation, rng: np.random.Generator) -> PairedInit:
    """w_{0,r} ~ N(0, I_d/d) for r < m/2, duplicated; m must be even (docs/theory/kernels.md §2.1–2.2)."""
    m = check_int("m", m, 2, "the width")
    if m % 2:
        raise InvalidParameterError(f"the symmetric init needs an even width, got m = {m}")
    d = check_int("d", d, 3, "the input dimension")
    half = rng.standard_normal((m // 2, d)) / math.sqrt(d)
    return PairedInit(np.vstack([half, half]), get_activation(activation))


def _pair_sum(V: np.ndarray) -> np.ndarray:
    """Σ_r a_r V[:, r] with a = (+1,…,+1, −1,…,−1), summed pairwise (exact zero for equal pairs)."""
    h = V.shape[1] // 2
    return (V[:, :h] - V[:, h:]).sum(axis=1)


def _signs(m: int) -> np.ndarray:
    return np.concatenate([np.ones(m // 2), -np.ones(m // 2)])


def network_output(init: PairedInit, W: np.ndarray, X: np.ndarray) -> np.ndarray:
    """f_{W0+W}(x) − f_{W0}(x) = (1/√m) Σ a_r [σ((w_0+w)_rᵀx) − σ(w_{0,r}ᵀx)]; f_{W0} = 0 (§2.1)."""
    Z0 = X @ init.W0.T
    sq = math.sqrt(init.m)
    return _pair_sum(init.sigma(Z0 + X @ W.T)) / sq - _pair_sum(init.sigma(Z0)) / sq


def ntk_term(init: PairedInit, W: np.ndarray, X: np.ndarray) -> np.ndarray:
    """f_L(x; W) = (1/√m) Σ a_r σ'(w_{0,r}ᵀx) w_rᵀx (docs/theory/kernels.md §2.1)."""
    return _pair_sum(init.dsigma(X @ init.W0.T) * (X @ W.T)) / math.sqrt(init.m)


def quad_term(init: PairedInit, W: np.ndarray, X: np.ndarray) -> np.ndarray:
    """f_Q(x; W) = (1/(2√m)) Σ a_r σ''(w_{0,r}ᵀx)(w_rᵀx)² (docs/theory/kernels.md §2.1)."""
    return _pair_sum(init.d2sigma(X @ init.W0.T) * (X @ W.T) ** 2) / (2.0 * math.sqrt(init.m))


def _norm24_8(W: np.ndarray) -> tuple[float, np.ndarray]:
    """‖W‖_{2,4}^8 = (Σ_r ‖w_r‖⁴)² and its gradient 8 (Σ‖w‖⁴) ‖w_r‖² w_r (Bai–Lee, docs/theory/kernels.md §2.1 [R])."""
    r2 = np.sum(W * W, axis=1)
    s = float(np.sum(r2 * r2))
    return s * s, 8.0 * s * r2[:, None] * W


@dataclass(frozen=True)
class _Batch:
    """Fixed quantities of one training problem (pre-activations at init are computed once)."""

    X: np.ndarray
    y: np.ndarray
    S1: np.ndarray   # σ'(X W0ᵀ)
    S2: np.ndarray   # σ''(X W0ᵀ)
    Z0: np.ndarray
    f0: np.ndarray   # (1/√m) Σ_r a_r σ(w_{0,r}ᵀx), subtracted so that f = 0 at W = 0 exactly


def _batch(init: PairedInit, X: np.ndarray, y: np.ndarray) -> _Batch:
    Z0 = X @ init.W0.T
    return _Batch(X, y, init.dsigma(Z0), init.d2sigma(Z0), Z0, _pair_sum(init.sigma(Z0)) / math.sqrt(init.m))


def _quad_fast(init: PairedInit, W: np.ndarray, b: _Batch) -> np.ndarray:
    """f_Q on a batch with σ''(X W0ᵀ) precomputed (same as :func:`quad_term`)."""
    Z = b.X @ W.T
    return _pair_sum(b.S2 * Z * Z) / (2.0 * math.sqrt(init.m))


def _net_fast(init: PairedInit, W: np.ndarray, b: _Batch) -> np.ndarray:
    """f_{W0+W} − f_{W0} on a batch with X W0ᵀ precomputed (same as :func:`network_output`)."""
    return _pair_sum(init.sigma(b.Z0 + b.X @ W.T)) / math.sqrt(init.m) - b.f0


def _val_error(predict, y_val):
    return lambda W: float(np.mean((predict(W) - y_val) ** 2))


def quadntk_loss_grad(init: PairedInit, W: np.ndarray, b: _Batch, lam_q: float) -> tuple[float, np.ndarray]:
    """E_S L(W) of the sign-randomized QuadNTK model and its gradient (module docstring; docs/theory/kernels.md §2.1).

    L = (1/2n) Σ_i (f_Q(x_i) − y_i)² + (1/2n) Σ_i (1/m) Σ_r σ'(w_{0,r}ᵀx_i)² (w_rᵀx_i)² + λ_Q ‖W‖_{2,4}^8.
    """
    n, m = b.X.shape[0], init.m
    Z = b.X @ W.T
    e = _pair_sum(b.S2 * Z * Z) / (2.0 * math.sqrt(m)) - b.y
    lin = b.S1 * b.S1 * Z
    reg, greg = _norm24_8(W)
    loss = 0.5 * float(e @ e) / n + 0.5 * float(np.sum(lin * Z)) / (n * m) + lam_q * reg
    G = (_signs(m)[None, :] * b.S2 * Z * e[:, None]) / math.sqrt(m) + lin / m
    return loss, G.T @ b.X / n + lam_q * greg


def polynomial_projector(X_u: np.ndarray, ell: int) -> np.ndarray:
    """Orthonormal basis Q (M × p) of the polynomials of degree ≤ ℓ (ℓ ≤ 2) evaluated at X_u.

    Π_ℓ v = Q Qᵀ v is the least-squares projection used by the good-direction penalty (our
    construction, module docstring)."""
    if isinstance(ell, bool) or not isinstance(ell, (int, np.integer)) or ell not in (0, 1, 2):
        raise InvalidParameterError(f"ell must be 0, 1 or 2, got {ell!r}")
    cols = [np.ones(X_u.shape[0])]
    if ell >= 1:
        cols += list(X_u.T)
    if ell >= 2:
        d = X_u.shape[1]
        cols += [X_u[:, i] * X_u[:, j] for i in range(d) for j in range(i, d)]
    P = np.column_stack(cols)
    if P.shape[1] >= P.shape[0]:
        raise InvalidParameterError(f"need more unlabeled points ({P.shape[0]}) than polynomial features ({P.shape[1]})")
    Q, R = np.linalg.qr(P)
    keep = np.abs(np.diag(R)) > 1e-10 * np.abs(np.diag(R)).max()   # x_i² sum to d: one redundant column
    return Q[:, keep]


def regularized_loss_grad(init: PairedInit, W: np.ndarray, b: _Batch, U: _Batch, Q: np.ndarray,
                          lam_l: float, lam_q: float) -> tuple[float, np.ndarray]:
    """Loss and gradient of the full network with the good-direction penalty (module docstring, [R]).

    L = (1/2n) Σ (f_{W0+W}(x_i) − y_i)² + (λ_L/2M) ‖(I − QQᵀ) f_L(X_u; W)‖² + λ_Q ‖W‖_{2,4}^8.
    """
    n, m, M = b.X.shape[0], init.m, U.X.shape[0]
    sq = math.sqrt(m)
    Z = b.Z0 + b.X @ W.T
    e = (_pair_sum(init.sigma(Z)) / sq - b.f0) - b.y
    a = _signs(m)[None, :]
    G = (a * init.dsigma(Z) * e[:, None]) / (sq * n)
    grad = G.T @ b.X
    loss = 0.5 * float(e @ e) / n
    if lam_l > 0:
        fl = _pair_sum(U.S1 * (U.X @ W.T)) / sq
        r = fl - Q @ (Q.T @ fl)
        loss += 0.5 * lam_l * float(r @ r) / M
        grad += (a * U.S1 * (lam_l * r / (M * sq))[:, None]).T @ U.X
    if lam_q > 0:
        reg, greg = _norm24_8(W)
        loss += lam_q * reg
        grad += lam_q * greg
    return loss, grad


#: Largest number of gradient steps of one run (a guard against runaway loops, ~minutes at small m).
MAX_STEPS = 100_000


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of one training run (our choices; docs/theory/kernels.md §4 gives none).

    ``lr`` step size, ``steps`` full-batch GD steps with heavy-ball ``momentum``; ``lam_l`` the
    good-direction penalty λ_L, ``ell`` its degree cutoff, ``n_unlabeled`` M; ``lam_q`` the Bai–Lee
    ‖W‖_{2,4}^8 weight; ``init_scale`` the std of the pairwise-equal QuadNTK init of W (per entry,
    times 1/√d).

    Early stopping (off by default): with ``val_fraction`` > 0 the last ⌈val_fraction · n⌉ of the n
    samples are held out, the validation MSE of the predictor is computed every ``eval_every`` steps,
    training stops after ``patience`` evaluations without improvement (0: never stops early) and the
    weights with the best validation MSE are returned.  The test error is then that of n − n_val
    training samples (n counts both).  Each step costs O(m·n·d) (two n × d × m products).
    """

    m: int = 256
    steps: int = 800
    lr: float = 2.0
    momentum: float = 0.9
    lam_l: float = 1.0
    ell: int = 2
    n_unlabeled: int = 2000
    lam_q: float = 1e-4
    init_scale: float = 0.1
    val_fraction: float = 0.0
    patience: int = 0
    eval_every: int = 10

    def __post_init__(self):
        set_ = object.__setattr__
        m = check_int("m", self.m, 2, "the width")
        if m % 2:
            raise InvalidParameterError(f"the symmetric init needs an even width, got m = {m}")
        steps = check_int("steps", self.steps, 0, "gradient steps")
        if steps > MAX_STEPS:
            raise InvalidParameterError(f"steps must be <= {MAX_STEPS}, got {steps}")
        if isinstance(self.ell, bool) or not isinstance(self.ell, (int, np.integer)) or self.ell not in (0, 1, 2):
            raise InvalidParameterError(f"ell must be 0, 1 or 2, got {self.ell!r}")
        set_(self, "m", m)
        set_(self, "steps", steps)
        set_(self, "ell", int(self.ell))
        set_(self, "n_unlabeled", check_int("n_unlabeled", self.n_unlabeled, 1, "unlabeled points M"))
        set_(self, "lr", check_range("lr", self.lr, 1e-12, 1e6, "the step size"))
        mom = check_finite("momentum", self.momentum, "heavy-ball momentum")
        if not 0.0 <= mom < 1.0:
            raise InvalidParameterError(f"momentum must lie in [0, 1), got {mom!r}")
        set_(self, "momentum", mom)
        set_(self, "lam_l", check_range("lam_l", self.lam_l, 0.0, 1e12, "the good-direction penalty"))
        set_(self, "lam_q", check_range("lam_q", self.lam_q, 0.0, 1e12, "the ||W||_{2,4}^8 penalty"))
        set_(self, "init_scale", check_range("init_scale", self.init_scale, 0.0, 1e6, "the init std of W"))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def train_memory(d: int, n: int, n_test: int, cfg: "TrainConfig", regularized: bool) -> float:
    """Estimated peak bytes of one training run: W and its momentum (m×d), the per-batch m-wide arrays
    (pre-activations, σ', σ'' and gradient temporaries) for the n training, n_test test and (with the
    regularizer) M unlabeled points, and the M × p polynomial basis (p = 1 + d + d(d+1)/2 at ℓ = 2)."""
    m = cfg.m
    M = cfg.n_unlabeled if regularized else 0
    p = 1 + (d if cfg.ell >= 1 else 0) + (d * (d + 1) // 2 if cfg.ell >= 2 else 0)
    return array_bytes((4 * m, d), (n + M, 8 * m), (n_test, 4 * m), (n + n_test + M, d),
                       (M, 3 * p if regularized else 0))


def _check_training(target, n, seed, cfg, n_test, noise, regularized):
    if not isinstance(target, SphereTarget):
        raise InvalidParameterError(f"target must be a SphereTarget (see harmonic_target), got {type(target).__name__}")
    if not isinstance(cfg, TrainConfig):
        raise InvalidParameterError(f"cfg must be a TrainConfig, got {type(cfg).__name__}")
    n = check_int("n", n, 1, "number of samples")
    seed = check_int("seed", seed, 0, "a random seed")
    n_test = check_n_test(n_test)
    noise = check_range("noise", noise, 0.0, NOISE_MAX, "the label-noise std")
    check_memory(f"training at d={target.d}, n={n}, m={cfg.m}, n_test={n_test}"
                 + (f", M={cfg.n_unlabeled}" if regularized else ""),
                 train_memory(target.d, n, n_test, cfg, regularized))
    return n, seed, n_test, noise


@dataclass(frozen=True)
class TrainResult:
    """Outcome of one run: test error E(f̂ − f*)² on n_test fresh points, train error (mean squared
    residual on the training labels) and final loss, ‖W‖_F, ‖W‖_{2,4},
    the test error of the NTK term f_L alone and of the remainder f − f_L (where the fit came from)."""

    model: str
    seed: int
    d: int
    n: int
    test_error: float
    train_error: float
    final_loss: float
    weight_norm: float
    norm24: float
    linear_part_norm2: float
    losses: tuple
    config: TrainConfig
    component_residual: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self) | {"losses": list(self.losses), "config": self.config.to_dict()}


_STREAMS = ("init", "train", "test", "unlabeled", "movement")


def _gd(loss_grad, W: np.ndarray, cfg: TrainConfig, val_error=None) -> tuple[np.ndarray, tuple, float]:
    """Full-batch heavy-ball gradient descent; records the loss at ~20 points.  With ``val_error``
    (W -> validation MSE) and ``cfg.val_fraction`` > 0: early stopping, returns the best-validation W."""
    v = np.zeros_like(W)
    losses = []
    every = max(1, cfg.steps // 20)
    loss = math.nan
    early = val_error is not None and cfg.val_fraction > 0
    best, best_W, since = math.inf, W, 0
    for t in range(cfg.steps):
        if early and t % cfg.eval_every == 0:
            ve = float(val_error(W))
            if ve < best:
                best, best_W, since = ve, W, 0
            else:
                since += 1
                if cfg.patience and since >= cfg.patience:
                    break
        loss, g = loss_grad(W)
        if t % every == 0:
            losses.append(float(loss))
        v = cfg.momentum * v - cfg.lr * g
        W = W + v
    if early and np.all(np.isfinite(W)) and float(val_error(W)) < best:
        best_W = W
    W = best_W if early else W
    check_all_finite("trained weights", W, "lower the learning rate")
    loss, _ = loss_grad(W)
    losses.append(float(loss))
    check_all_finite("training loss", np.array(losses), "gradient descent diverged: lower the learning rate")
    return W, tuple(losses), float(loss)


def _problem(target: SphereTarget, n: int, n_test: int, seed: int, noise: float):
    rngs = spawn_generators(seed, _STREAMS)
    X = sphere_inputs(n, target.d, rngs["train"])
    Xt = sphere_inputs(n_test, target.d, rngs["test"])
    y = target(X) + (noise * rngs["train"].standard_normal(n) if noise > 0 else 0.0)
    return rngs, X, y, Xt, target(Xt)


def _split(X: np.ndarray, y, cfg: TrainConfig):
    """(X_train, y_train, X_val, y_val): the last ⌈val_fraction · n⌉ samples held out (TrainConfig)."""
    y = np.broadcast_to(np.asarray(y, dtype=float), (X.shape[0],))
    n_val = math.ceil(cfg.val_fraction * X.shape[0]) if cfg.val_fraction > 0 else 0
    if n_val == 0:
        return X, y, None, None
    if n_val >= X.shape[0]:
        raise InvalidParameterError(f"val_fraction = {cfg.val_fraction} leaves no training sample out of n = {X.shape[0]}")
    return X[:-n_val], y[:-n_val], X[-n_val:], y[-n_val:]


def train_quadntk(target: SphereTarget, n: int, seed: int, cfg: TrainConfig = TrainConfig(), *,
                  activation="tanh(z + 1/2)", n_test: int = 2000, noise: float = 0.0) -> TrainResult:
    """Train the sign-randomized QuadNTK model (docs/theory/kernels.md §2.1) on n samples of ``target``; predict with f_Q."""
    n, seed, n_test, noise = _check_training(target, n, seed, cfg, n_test, noise, regularized=False)
    rngs, X, y, Xt, ft = _problem(target, n, n_test, seed, noise)
    init = symmetric_init(cfg.m, target.d, activation, rngs["init"])
    half = rngs["movement"].standard_normal((cfg.m // 2, target.d)) * (cfg.init_scale / math.sqrt(target.d))
    W0 = np.vstack([half, half])
    X, y, Xv, yv = _split(X, y, cfg)
    b = _batch(init, X, y)
    val = None if Xv is None else _val_error(lambda W, V=_batch(init, Xv, yv): _quad_fast(init, W, V), yv)
    W, losses, final = _gd(lambda W: quadntk_loss_grad(init, W, b, cfg.lam_q), W0, cfg, val)
    pred, pred_tr = quad_term(init, W, Xt), quad_term(init, W, X)
    _, r24 = _norm24_8(W)
    return TrainResult("quadntk", int(seed), target.d, n, float(np.mean((pred - ft) ** 2)),
                       float(np.mean((pred_tr - y) ** 2)), final, float(np.linalg.norm(W)),
                       float(np.sum(np.sum(W * W, 1) ** 2)) ** 0.25,
                       float(np.mean(ntk_term(init, W, Xt) ** 2)), losses, cfg,
                       target.component_residuals(pred, Xt))


def train_regularized(target: SphereTarget, n: int, seed: int, cfg: TrainConfig = TrainConfig(), *,
                      activation="tanh(z + 1/2)", n_test: int = 2000, noise: float = 0.0) -> TrainResult:
    """Train the full two-layer network with the good-direction regularizer (module docstring, ours [R]).
    ``cfg.lam_l = 0`` and ``cfg.lam_q = 0`` give plain GD on the network (no regularizer)."""
    n, seed, n_test, noise = _check_training(target, n, seed, cfg, n_test, noise, regularized=True)
    rngs, X, y, Xt, ft = _problem(target, n, n_test, seed, noise)
    init = symmetric_init(cfg.m, target.d, activation, rngs["init"])
    Xu = sphere_inputs(cfg.n_unlabeled, target.d, rngs["unlabeled"])
    Q = polynomial_projector(Xu, cfg.ell)
    X, y, Xv, yv = _split(X, y, cfg)
    b, U = _batch(init, X, y), _batch(init, Xu, np.zeros(len(Xu)))
    val = None if Xv is None else _val_error(lambda W, V=_batch(init, Xv, yv): _net_fast(init, W, V), yv)
    W, losses, final = _gd(lambda W: regularized_loss_grad(init, W, b, U, Q, cfg.lam_l, cfg.lam_q),
                           np.zeros((cfg.m, target.d)), cfg, val)
    pred, pred_tr = network_output(init, W, Xt), network_output(init, W, X)
    return TrainResult("regularized", int(seed), target.d, n, float(np.mean((pred - ft) ** 2)),
                       float(np.mean((pred_tr - y) ** 2)), final, float(np.linalg.norm(W)),
                       float(np.sum(np.sum(W * W, 1) ** 2)) ** 0.25,
                       float(np.mean(ntk_term(init, W, Xt) ** 2)), losses, cfg,
                       target.component_residuals(pred, Xt))
