"""The two-layer network of Ba et al. and its exact one-step first-layer update.

docs/theory/one-step.md §1 (model, eq. 2.1) and §7 (Monte Carlo protocol, steps 1–3).

Network: f(x) = aᵀσ(Wᵀx)/√N with W ∈ R^{d×N} (columns are the neurons w_j) and a ∈ R^N.
Loss on a batch (X, y) of n samples: L(W) = (1/2n) Σ_i (f(x_i) − y_i)².  Exact gradient::

    ∇_W L = (1/n) Xᵀ [ ((f(X) − y)/√N) aᵀ ⊙ σ'(X W) ]          (= −G_0 of docs/theory/one-step.md §2, Ba et al. eq. 2.1)

and the one-step update is W1 = W0 − η√N ∇_W L (the √N compensates the 1/√N in f).

:func:`one_step_gradient` is written for any width normalization f = aᵀσ(Wᵀx)/√(width) with
W stored as d × width, so the giant-step protocol of Cui et al. (rows of W on the unit sphere,
a = 1/√p, f = aᵀσ(Wx)/√p, W1 = W0 − η̃ p ∇L) can reuse it by passing its p×d matrix transposed
(and transposing the result back); it is not implemented here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import scipy.sparse.linalg

from asymptotics.activations import Activation
from asymptotics.errors import InvalidParameterError
from asymptotics.settings import OneStep

from asymptotics.limits import array_bytes, check_memory

from ..data import Batch, as_generator, check_all_finite, check_int, sample_batch, sample_unit_vector

__all__ = [
    "OneStepNetwork",
    "Spike",
    "DTYPES",
    "auto_chunk_rows",
    "check_dtype",
    "network_output",
    "one_step_gradient",
    "one_step_loss",
    "one_step_sizes",
    "one_step_update",
    "sample_one_step",
    "spike_statistics",
]

#: Floating-point precisions of the simulations (``dtype=``); float64 is the default and the reference.
DTYPES = ("float64", "float32")


def check_dtype(dtype) -> np.dtype:
    """``dtype`` ("float64" or "float32", or the numpy type) as a :class:`numpy.dtype`, else
    :class:`InvalidParameterError`.

    In float32 the random numbers are still drawn in float64 and rounded, so a float32 run uses the
    very same draws as the float64 run of its seed and differs from it only by rounding.
    """
    try:
        dt = np.dtype(dtype) if dtype is not None and not isinstance(dtype, bool) else None
    except TypeError:
        dt = None
    if dt is None or dt.name not in DTYPES:
        raise InvalidParameterError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    return dt


#: Target number of float64 entries of one (rows × width) temporary when chunking (≈ 32 MB).
_CHUNK_ENTRIES = 1 << 22


def auto_chunk_rows(width: int, chunk_size: int | None = None) -> int:
    """Rows per chunk so that a (rows × width) float64 temporary stays near 32 MB.

    ``chunk_size`` (an int ≥ 1) overrides the automatic choice.
    """
    if chunk_size is not None:
        return check_int("chunk_size", chunk_size, 1, "rows evaluated at once")
    return max(256, _CHUNK_ENTRIES // max(int(width), 1))


def one_step_sizes(setting: OneStep, d: int) -> tuple[int, int]:
    """(N, n) = (round(ψ2 d), round(ψ1 d)) for the one-step protocol, docs/theory/one-step.md §1 / README "ratios".

    Python's ``round`` is used (ties to even).  Raises :class:`InvalidParameterError` when a size
    rounds to 0.
    """
    d = check_int("d", d, 2, "the input dimension")
    N = int(round(setting.psi2 * d))
    n = int(round(setting.psi1 * d))
    if N < 1:
        raise InvalidParameterError(f"width N = round(psi2*d) = {N} < 1 (psi2={setting.psi2}, d={d})")
    if n < 1:
        raise InvalidParameterError(f"batch n = round(psi1*d) = {n} < 1 (psi1={setting.psi1}, d={d})")
    return N, n


def _check_shapes(W: np.ndarray, a: np.ndarray, X: np.ndarray, y: np.ndarray | None = None) -> None:
    if W.ndim != 2 or a.ndim != 1 or X.ndim != 2:
        raise InvalidParameterError("expected W (d×N), a (N,), X (n×d)")
    if W.shape[1] != a.shape[0]:
        raise InvalidParameterError(f"W has {W.shape[1]} columns but a has {a.shape[0]} entries")
    if X.shape[1] != W.shape[0]:
        raise InvalidParameterError(f"X has {X.shape[1]} columns but W has {W.shape[0]} rows")
    if y is not None and (y.ndim != 1 or y.shape[0] != X.shape[0]):
        raise InvalidParameterError(f"y must have shape ({X.shape[0]},), got {y.shape}")


def network_output(
    W: np.ndarray, a: np.ndarray, X: np.ndarray, student: Activation, chunk_size: int | None = None
) -> np.ndarray:
    """f(X) = σ(X W) a / √N for the rows of X (docs/theory/one-step.md §1), evaluated in row chunks."""
    _check_shapes(W, a, X)
    N = W.shape[1]
    rows = auto_chunk_rows(N, chunk_size)
    out = np.empty(X.shape[0])
    for s in range(0, X.shape[0], rows):
        out[s : s + rows] = student.fn(X[s : s + rows] @ W) @ a
    return out / math.sqrt(N)


def one_step_loss(
    W: np.ndarray, a: np.ndarray, X: np.ndarray, y: np.ndarray, student: Activation
) -> float:
    """L(W) = (1/2n) Σ_i (f(x_i) − y_i)² (docs/theory/one-step.md §1, square loss)."""
    r = network_output(W, a, X, student) - y
    return 0.5 * float(r @ r) / X.shape[0]


def one_step_gradient(
    W: np.ndarray,
    a: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    student: Activation,
    chunk_size: int | None = None,
) -> np.ndarray:
    """Exact ∇_W L for f = aᵀσ(Wᵀx)/√N and L = (1/2n) Σ (f(x_i) − y_i)² (docs/theory/one-step.md §2).

    ∇_W L = (1/n) Xᵀ [ ((f(X) − y)/√N) aᵀ ⊙ σ'(X W) ], accumulated over chunks of rows of X so that
    only (chunk × N) temporaries are formed.  This is the full gradient, not the rank-one
    approximation of Prop. 2.  Pure: no input is modified.

    Parameters
    ----------
    W : (d, N) array
        First-layer weights, one neuron per column; N is the width used in the 1/√N.
    a : (N,) array
        Second-layer weights (frozen).
    X : (n, d) array
    y : (n,) array
        Labels (noisy).
    student : Activation
        σ, with derivative ``student.dfn``.
    chunk_size : int, optional
        Rows of X processed at once (default: about 32 MB per temporary).

    Returns
    -------
    (d, N) array
    """
    _check_shapes(W, a, X, y)
    n, N = X.shape[0], W.shape[1]
    sqrt_n_width = math.sqrt(N)
    rows = auto_chunk_rows(N, chunk_size)
    grad = np.zeros_like(W, dtype=np.result_type(W.dtype, np.float32))  # float32 stays float32
    for s in range(0, n, rows):
        Xc = X[s : s + rows]
        pre = Xc @ W
        resid = (student.fn(pre) @ a / sqrt_n_width - y[s : s + rows]) / sqrt_n_width
        G = np.asarray(student.dfn(pre), dtype=grad.dtype)
        del pre
        G *= resid[:, None]
        G *= a[None, :]
        grad += Xc.T @ G
    grad /= n
    return grad


def one_step_update(
    W0: np.ndarray,
    a: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    student: Activation,
    eta: float,
    chunk_size: int | None = None,
) -> np.ndarray:
    """W1 = W0 − η√N ∇_W L(W0) (docs/theory/one-step.md §1, eq. 2.1; §7 step 3).

    Raises
    ------
    NonFiniteError
        When W1 has NaN / inf entries (overflow at a huge η).
    """
    N = W0.shape[1]
    W1 = W0 - (eta * math.sqrt(N)) * one_step_gradient(W0, a, X, y, student, chunk_size)
    check_all_finite("W1 after the gradient step", W1, f"the learning rate eta={eta} may be too large")
    return W1


@dataclass(frozen=True)
class Spike:
    """Measured spike of the update Δ = W1 − W0 (docs/theory/one-step.md §2, "Explicit spike").

    Attributes
    ----------
    norm : float
        ‖W1 − W0‖_op, the top singular value (theory: ‖u‖‖a‖ → r = |η μ1| (μ1*² + E_y/ψ1)^{1/2}).
    alignment : float
        ⟨û, β*⟩² for the top left singular vector û ∈ R^d (theory: ``OneStepRisk.alignment`` = γ²).  NaN when Δ = 0 (η = 0),
        where the direction is undefined.
    direction : (d,) array
        û (sign arbitrary).
    """

    norm: float
    alignment: float
    direction: np.ndarray = field(repr=False, compare=False)


def spike_statistics(W0: np.ndarray, W1: np.ndarray, beta: np.ndarray) -> Spike:
    """Top singular value of W1 − W0 and the squared overlap of its left singular vector with β*.

    Uses ARPACK (``scipy.sparse.linalg.svds``, k = 1, deterministic start vector) for large
    matrices and a dense SVD for small ones.
    """
    delta = W1 - W0
    d = delta.shape[0]
    if not np.any(delta):
        return Spike(norm=0.0, alignment=float("nan"), direction=np.zeros(d))
    if min(delta.shape) <= 64:
        U, s, _ = np.linalg.svd(delta, full_matrices=False)
        u, sigma = U[:, 0], float(s[0])
    else:
        try:
            v0 = np.ones(min(delta.shape))
            U, s, _ = scipy.sparse.linalg.svds(delta, k=1, v0=v0, solver="arpack")
            u, sigma = U[:, 0], float(s[0])
        except (scipy.sparse.linalg.ArpackError, scipy.sparse.linalg.ArpackNoConvergence):
            U, s, _ = scipy.linalg.svd(delta, full_matrices=False)
            u, sigma = U[:, 0], float(s[0])
    return Spike(norm=sigma, alignment=float(u @ beta) ** 2, direction=u)


@dataclass(frozen=True)
class OneStepNetwork:
    """A sampled network after one step: everything the theory needs to evaluate a finite-d
    deterministic equivalent on the very same W1 (docs/theory/one-step.md §7 steps 1–3).

    Attributes
    ----------
    W0, W1 : (d, N) arrays
        Initial and trained first layer.
    a : (N,) array
        Frozen second layer at initialization, iid N(0, 1/N).
    beta : (d,) array
        Teacher direction β*, ‖β*‖ = 1.
    batch : Batch
        The first batch (X, y) used for the gradient step (n = round(ψ1 d) samples, noisy labels).
    setting : OneStep
    """

    W0: np.ndarray = field(repr=False)
    a: np.ndarray = field(repr=False)
    beta: np.ndarray = field(repr=False)
    W1: np.ndarray = field(repr=False)
    batch: Batch = field(repr=False)
    setting: OneStep

    @property
    def d(self) -> int:
        return int(self.W0.shape[0])

    @property
    def N(self) -> int:
        return int(self.W0.shape[1])

    @property
    def n(self) -> int:
        return self.batch.n

    def spike(self) -> Spike:
        """:func:`spike_statistics` of this network's update."""
        return spike_statistics(self.W0, self.W1, self.beta)


def sample_one_step(
    setting: OneStep, d: int, rng, chunk_size: int | None = None, dtype="float64"
) -> OneStepNetwork:
    """Sample W0, a, β*, batch 1 and take the exact gradient step (docs/theory/one-step.md §7 steps 1–3).

    Draw order from ``rng`` (fixed, so results are reproducible): W0 (d×N, N(0, 1/d)),
    a (N, N(0, 1/N)), β* (uniform unit vector), X (n×d), ξ (n).

    Parameters
    ----------
    setting : OneStep
    d : int
        Input dimension (≥ 2); N = round(ψ2 d), n = round(ψ1 d).
    rng : numpy.random.Generator, SeedSequence or int
    chunk_size : int, optional
        Rows per chunk in the gradient.
    dtype : {"float64", "float32"}
        Precision of the arrays and of the gradient step (see :func:`check_dtype`: the draws are the
        float64 ones, rounded).
    """
    if not isinstance(setting, OneStep):
        raise InvalidParameterError(f"setting must be a OneStep, got {type(setting).__name__}")
    dtype = check_dtype(dtype)
    N, n = one_step_sizes(setting, d)
    rows = min(auto_chunk_rows(N, chunk_size), n)
    check_memory(f"sample_one_step at d={d} (N={N}, n={n})", array_bytes((d, N), (d, N), (d, N), (n, d), (rows, 3 * N)))
    rng = as_generator(rng)
    W0 = (rng.standard_normal((d, N)) / math.sqrt(d)).astype(dtype, copy=False)
    a = (rng.standard_normal(N) / math.sqrt(N)).astype(dtype, copy=False)
    beta = sample_unit_vector(d, rng)
    batch = sample_batch(n, beta, setting.teacher, setting.noise, rng)
    check_all_finite("batch-1 labels", batch.y, "the teacher overflowed")
    if dtype != np.float64:
        beta, batch = beta.astype(dtype), Batch(batch.X.astype(dtype), batch.y.astype(dtype))
    W1 = one_step_update(W0, a, batch.X, batch.y, setting.student, setting.eta, chunk_size)
    return OneStepNetwork(W0=W0, a=a, beta=beta, W1=W1, batch=batch, setting=setting)
