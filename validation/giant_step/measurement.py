"""Measuring the sRF parameters (r, c, γ) of a trained first layer (docs/theory/spiked-rf.md §1.5):
the spike direction is the top singular vector of W1 − W0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from asymptotics.spiked_rf.theory import SRFParameters

from ..one_step.network import spike_statistics

__all__ = ["MeasuredSRF", "measure_srf"]


@dataclass(frozen=True)
class MeasuredSRF:
    """(r, c, γ) read off a trained W1 (docs/theory/spiked-rf.md §1.4 "Check against real networks").

    With û the top right singular vector of W1 − W0 (sign chosen so that r ≥ 0): r = mean_i ⟨w1_i, û⟩,
    ``r_spread`` its standard deviation over neurons, γ = ⟨û, β⟩, c = mean_i ‖w1_i − ⟨w1_i, û⟩û‖² (the
    bulk row norm², = c for rows of √c W0), ``spike_norm`` = ‖W1 − W0‖_op.  For W1 = W0 (no step):
    r = γ = 0.
    """

    r: float
    c: float
    gamma: float
    r_spread: float
    spike_norm: float

    def srf(self) -> SRFParameters:
        return SRFParameters(self.r, self.c, max(-1.0, min(1.0, self.gamma)), formula="measured")

    def to_dict(self) -> dict:
        return {"r": self.r, "c": self.c, "gamma": self.gamma, "r_spread": self.r_spread,
                "spike_norm": self.spike_norm}


def measure_srf(W0: np.ndarray, W1: np.ndarray, beta: np.ndarray) -> MeasuredSRF:
    """Spike and bulk of a trained W1 ∈ R^{p×d} from the SVD of W1 − W0 (see :class:`MeasuredSRF`)."""
    sp = spike_statistics(W0.T, W1.T, beta)  # left singular vector of (W1 − W0)ᵀ ∈ R^d
    u = sp.direction
    if sp.norm == 0.0:
        return MeasuredSRF(0.0, float(np.mean(np.sum(W1 * W1, axis=1))), 0.0, 0.0, 0.0)
    proj = W1 @ u
    if proj.mean() < 0:
        u, proj = -u, -proj
    bulk2 = np.sum(W1 * W1, axis=1) - proj**2
    return MeasuredSRF(float(proj.mean()), float(bulk2.mean()), float(u @ beta), float(proj.std()), sp.norm)
