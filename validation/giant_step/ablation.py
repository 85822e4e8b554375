"""Ablations of the giant-step network (docs/theory/spiked-rf.md §7, Check D): the same readout on the
network's W1, on W0 plus a uniform spike, and on the sRF drawn on W0.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from asymptotics.errors import InvalidParameterError
from asymptotics.settings import GiantStep

from ..data import (
    check_n_test,
    check_int,
    spawn_generators,
)
from ..one_step.network import spike_statistics
from ..summary import mean_sem, normalize_seeds
from ..store import Checkpoint
from .network import GiantStepNetwork
from .measurement import measure_srf
from .simulation import _STREAMS, _check_alphas, model_for_seed, readout_curve, _check_giant_memory, _srf_label

__all__ = ["ABLATIONS", "ablated_first_layers", "ablate_network"]


#: First layers compared on the same seed, same readout data and test points (paired):
#: the trained W1; W1 with the spike part of the update made equal for all neurons (tests u ≡ 1);
#: the sRF built on the seed's own W0 with the (r, c) measured on W1 and the measured spike direction
#: (tests "bulk of W1 ≈ √c W0").
ABLATIONS = ("network", "uniform spike", "sRF on W0")


def ablated_first_layers(net: GiantStepNetwork) -> dict:
    """{name: p×d first layer} for :data:`ABLATIONS` (see there), from one trained network."""
    m = measure_srf(net.W0, net.W1, net.beta)
    u = spike_statistics(net.W0.T, net.W1.T, net.beta).direction
    if (net.W1 @ u).mean() < 0:  # same sign convention as measure_srf (r ≥ 0)
        u = -u
    dproj = (net.W1 - net.W0) @ u
    ones = np.ones(net.p)
    return {
        "network": net.W1,
        "uniform spike": net.W1 + np.outer(dproj.mean() - dproj, u),
        "sRF on W0": math.sqrt(m.c) * net.W0 + m.r * np.outer(ones, u),
    }


def ablate_network(setting: GiantStep, d: int, seeds, alphas: Sequence[float], n_test: int = 10000,
                   checkpoint: "Checkpoint | None" = None) -> dict:
    """Paired test errors of the :data:`ABLATIONS` first layers: {name: {α: (mean, SEM, paired diff
    to the network mean, its SEM)}} over the seeds (each seed: same readout data and test points)."""
    if not isinstance(setting, GiantStep):
        raise InvalidParameterError(f"setting must be a GiantStep, got {type(setting).__name__}")
    d = check_int("d", d, 2, "the input dimension")
    seeds = normalize_seeds(seeds)
    n_test = check_n_test(n_test)
    alphas = _check_alphas(setting, alphas, d)
    _check_giant_memory(setting, d, alphas, n_test, None)
    per = {k: [] for k in ABLATIONS}
    for seed in seeds:
        def compute():
            net = model_for_seed(setting, d, seed)
            out = {}
            for name, W in ablated_first_layers(net).items():
                out[name] = [t for t, _ in readout_curve(W, net.beta, setting, alphas,
                                                        spawn_generators(seed, _STREAMS), n_test)]
            return out
        key = f"ablate|{_srf_label(setting, 'network', None)}|d={d}|seed={seed}|alphas={alphas}|n_test={n_test}"
        rec = checkpoint.get_or_compute(key, compute) if checkpoint is not None else compute()
        for k in ABLATIONS:
            per[k].append(rec[k])
    net_arr = np.array(per["network"])
    out = {}
    for k in ABLATIONS:
        arr = np.array(per[k])
        out[k] = {a: (*mean_sem(arr[:, i]), *mean_sem(arr[:, i] - net_arr[:, i])) for i, a in enumerate(alphas)}
    return out
