"""The spiked random-features model itself (docs/theory/spiked-rf.md §1.4, §2): F = √c W0 + (r/√d) 1 vᵀ,
θ = γv + ρζ, drawn for given (r, c, γ).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from asymptotics.limits import array_bytes, check_memory
from asymptotics.spiked_rf.theory import SRFParameters, _as_srf

from ..data import (
    as_generator,
    check_int,
    sample_unit_vector,
)
from .network import FirstLayerShape, sample_unit_rows

__all__ = ["SpikedFeatures", "sample_spike_geometry", "sample_srf"]


@dataclass(frozen=True)
class SpikedFeatures(FirstLayerShape):
    """A sampled sRF first layer F = √c W0 + (r/√d) 1 vᵀ and its teacher (docs/theory/spiked-rf.md §1.4).

    ``v`` has ‖v‖² = d; ``beta`` = θ/√d with θ = γv + ρζ, ζ ⊥ v, ‖ζ‖² = d.
    """

    W0: np.ndarray = field(repr=False)
    v: np.ndarray = field(repr=False)
    beta: np.ndarray = field(repr=False)
    F: np.ndarray = field(repr=False)
    srf: SRFParameters

    @property
    def W(self) -> np.ndarray:
        return self.F


def sample_spike_geometry(p: int, d: int, gamma: float, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The random geometry shared by every sRF sampler, in this draw order: W0 ∈ R^{p×d} with unit rows, the
    spike direction v (‖v‖² = d), then ζ ⊥ v (‖ζ‖² = d); returns (W0, v, θ) with θ = γv + √(1 − γ²) ζ."""
    W0 = sample_unit_rows(p, d, rng)
    v = sample_unit_vector(d, rng) * math.sqrt(d)
    z = rng.standard_normal(d)
    z -= v * (v @ z) / d
    zeta = z * (math.sqrt(d) / np.linalg.norm(z))
    return W0, v, gamma * v + math.sqrt(max(0.0, 1.0 - gamma * gamma)) * zeta


def sample_srf(srf, p: int, d: int, rng) -> SpikedFeatures:
    """Sample the sRF of docs/theory/spiked-rf.md §1.4 for given (r, c, γ) (:func:`sample_spike_geometry`)."""
    srf = _as_srf(srf)
    p = check_int("p", p, 1, "the width")
    d = check_int("d", d, 2, "the input dimension")
    check_memory(f"sample_srf at p={p}, d={d}", array_bytes((p, d), (p, d), (p, d)))
    W0, v, theta = sample_spike_geometry(p, d, srf.gamma, as_generator(rng))
    F = math.sqrt(srf.c) * W0 + (srf.r / math.sqrt(d)) * np.outer(np.ones(p), v)
    return SpikedFeatures(W0=W0, v=v, beta=theta / math.sqrt(d), F=F, srf=srf)
