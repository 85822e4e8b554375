"""The giant-step network (docs/theory/spiked-rf.md §1.2–1.3): W0 with unit rows, a = 1/√p, one exact
full-batch step of size η = η̃p on n0 = α0·d samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from asymptotics.activations import Activation
from asymptotics.errors import InvalidParameterError
from asymptotics.limits import array_bytes, check_memory
from asymptotics.settings import GiantStep

from ..data import (
    Batch,
    as_generator,
    check_all_finite,
    check_int,
    sample_batch,
    sample_unit_vector,
)
from ..one_step.network import auto_chunk_rows, one_step_gradient

__all__ = ["giant_step_sizes", "sample_unit_rows", "giant_step_update", "FirstLayerShape", "GiantStepNetwork",
           "sample_giant_step"]



def giant_step_sizes(setting: GiantStep, d: int) -> tuple[int, int]:
    """(p, n0) = (round(p/d · d), round(α0 d)) (README "ratios"); n0 = 0 means no step (α0 = 0)."""
    d = check_int("d", d, 2, "the input dimension")
    p = int(round(setting.width_ratio * d))
    if p < 1:
        raise InvalidParameterError(f"width p = round(width_ratio*d) = {p} < 1 (width_ratio={setting.width_ratio}, d={d})")
    n0 = int(round(setting.alpha0 * d))
    if setting.alpha0 > 0 and n0 < 1:
        raise InvalidParameterError(f"batch n0 = round(alpha0*d) = 0 (alpha0={setting.alpha0}, d={d})")
    return p, n0


def sample_unit_rows(p: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """W0 ∈ R^{p×d} with iid rows uniform on the unit sphere S^{d−1} (normalized Gaussian rows), docs/theory/spiked-rf.md §1.2."""
    W = rng.standard_normal((p, d))
    W /= np.linalg.norm(W, axis=1, keepdims=True)
    return W


def giant_step_update(
    W0: np.ndarray, a: np.ndarray, X: np.ndarray, y: np.ndarray, student: Activation, eta_tilde: float,
    chunk_size: int | None = None,
) -> np.ndarray:
    """W1 = W0 − η∇_W L(W0) with η = η̃ p, f(x) = aᵀσ(Wx)/√p, L = (1/2n0) Σ (f − y)² (docs/theory/spiked-rf.md §1.3).

    The gradient is :func:`asymptotics.validation.one_step.network.one_step_gradient` of the transposed network
    f = aᵀσ((Wᵀ)ᵀx)/√p, transposed back.  With a = 1/√p this is
    w_i ← w_i + η̃ (1/n0) Σ_μ (y_μ − f0(x_μ)) σ'(⟨w_i, x_μ⟩) x_μ.
    """
    p = W0.shape[0]
    grad = one_step_gradient(W0.T, a, X, y, student, chunk_size).T
    W1 = W0 - (eta_tilde * p) * grad
    check_all_finite("W1 after the giant step", W1, f"the learning rate eta_tilde={eta_tilde} may be too large")
    return W1


class FirstLayerShape:
    """Width p and input dimension d of a first layer built on ``W0`` ∈ R^{p×d} (network or sRF)."""

    @property
    def p(self) -> int:
        return int(self.W0.shape[0])

    @property
    def d(self) -> int:
        return int(self.W0.shape[1])


@dataclass(frozen=True)
class GiantStepNetwork(FirstLayerShape):
    """A sampled network after one giant step (docs/theory/spiked-rf.md §1.2–1.3).

    ``W0``, ``W1`` are p×d (rows are neurons); ``a`` = 1/√p; ``beta`` = θ/√d (unit vector);
    ``batch`` the first-step batch (None when α0 = 0 or η̃ = 0: no step).  ``W`` is the first layer
    the readout uses (W1).
    """

    W0: np.ndarray = field(repr=False)
    a: np.ndarray = field(repr=False)
    beta: np.ndarray = field(repr=False)
    W1: np.ndarray = field(repr=False)
    batch: Batch | None = field(repr=False)
    setting: GiantStep

    @property
    def W(self) -> np.ndarray:
        return self.W1

    @property
    def n0(self) -> int:
        return 0 if self.batch is None else self.batch.n


def sample_giant_step(setting: GiantStep, d: int, rng, chunk_size: int | None = None) -> GiantStepNetwork:
    """Sample W0, β, batch 0 and take the exact giant step (docs/theory/spiked-rf.md §1.2–1.3; draw order W0, β, X0, ξ0)."""
    if not isinstance(setting, GiantStep):
        raise InvalidParameterError(f"setting must be a GiantStep, got {type(setting).__name__}")
    p, n0 = giant_step_sizes(setting, d)
    rows = min(auto_chunk_rows(p, chunk_size), max(n0, 1))
    check_memory(f"sample_giant_step at d={d} (p={p}, n0={n0})", array_bytes((p, d), (p, d), (p, d), (n0, d), (rows, 3 * p)))
    rng = as_generator(rng)
    W0 = sample_unit_rows(p, d, rng)
    a = np.full(p, 1.0 / math.sqrt(p))
    beta = sample_unit_vector(d, rng)
    if n0 == 0 or setting.eta_tilde == 0:
        return GiantStepNetwork(W0=W0, a=a, beta=beta, W1=W0, batch=None, setting=setting)
    batch = sample_batch(n0, beta, setting.teacher, setting.noise, rng)
    check_all_finite("batch-0 labels", batch.y, "the teacher overflowed")
    W1 = giant_step_update(W0, a, batch.X, batch.y, setting.student, setting.eta_tilde, chunk_size)
    return GiantStepNetwork(W0=W0, a=a, beta=beta, W1=W1, batch=batch, setting=setting)
