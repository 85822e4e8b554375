"""Theory against simulation for the one-step family (docs/theory/one-step.md §4.3)."""

from __future__ import annotations

import math
import sys
import time
from typing import Iterable, Sequence

import numpy as np

from asymptotics.one_step.theory import one_step_risk, one_step_risk_on_weights
from asymptotics.settings import OneStep

from ..data import check_n_test
from .network import one_step_sizes
from .simulation import _check_one_step_memory, network_for_seed, simulate_seed
from ..summary import RECORD_NAMES, normalize_seeds, summarize
from ..comparison import Comparison, ComparisonRow, _ds_tuple, _label, _settings_tuple
from ..store import Checkpoint, package_versions

#: The configurations of docs/theory/one-step.md §4.3 (teachers centered unless named raw).
SPEC_43_SETTINGS: tuple[OneStep, ...] = tuple(
    OneStep(s, t, psi1=p1, psi2=p2, lam=lam, eta=eta, noise=noise)
    for s, t, p1, p2, lam, noise, eta in [
        ("tanh", "tanh", 2, 2, 1e-2, 0.1, 0),
        ("tanh", "tanh", 2, 2, 1e-2, 0.1, 1),
        ("tanh", "tanh", 2, 2, 1e-2, 0.1, 2),
        ("tanh", "tanh", 2, 2, 1e-2, 0.1, 4),
        ("tanh", "tanh", 4, 1, 1e-1, 0.25, 0),
        ("tanh", "tanh", 4, 1, 1e-1, 0.25, 4),
        ("tanh", "centered:softplus", 8, 2, 1e-4, 0.25, 0),
        ("tanh", "centered:softplus", 8, 2, 1e-4, 0.25, 4),
        ("tanh", "centered:relu", 5, 0.5, 1e-2, 0.1, 0),
        ("tanh", "centered:relu", 5, 0.5, 1e-2, 0.1, 4),
        ("tanh", "softplus", 8, 2, 1e-4, 0.25, 2),
        ("tanh", "relu", 5, 0.5, 1e-2, 0.1, 2),
    ]
)


def _seed_record(setting: OneStep, d: int, seed: int, n_test: int, finite_d: bool) -> dict:
    net = network_for_seed(setting, d, seed)
    rec = simulate_seed(setting, d, seed, n_test=n_test, network=net).to_dict()
    if finite_d:
        de = one_step_risk_on_weights(setting, net.W1, net.beta, n=rec["n_readout"])
        rec["test_error_finite_d"] = de.test_error
        rec["train_error_finite_d"] = de.train_error
    return rec


def compare_one_step(
    settings: Iterable[OneStep],
    ds: Sequence[int] = (256, 512, 1024),
    seeds: "Sequence[int] | int" = 5,
    n_test: int = 20000,
    finite_d: bool = True,
    checkpoint: "str | None" = None,
    progress: bool = False,
) -> Comparison:
    """Asymptotic theory vs Monte Carlo of the real network for each setting and each d.

    ``checkpoint`` names a JSON file: finished (setting, d, seed) records are saved after each one
    and reused on a re-run with the same configuration.
    """
    settings = _settings_tuple(settings, OneStep)
    seeds = normalize_seeds(seeds)
    ds = _ds_tuple(ds)
    n_test = check_n_test(n_test)
    for s in settings:
        for d in ds:
            _check_one_step_memory(s, d, one_step_sizes(s, d)[1], n_test, None, "monte-carlo")
    config = {
        "kind": "compare_one_step",
        "record_names": RECORD_NAMES,
        "settings": [s.to_dict() for s in settings],
        "ds": list(ds),
        "seeds": list(seeds),
        "n_test": n_test,
        "finite_d": finite_d,
        "versions": package_versions(),
    }
    ck = Checkpoint(checkpoint, config)
    rows = []
    for s in settings:
        th = one_step_risk(s)
        for d in ds:
            recs = []
            for seed in seeds:
                t0 = time.perf_counter()
                rec = ck.get_or_compute(
                    f"{_label(s)}|d={d}|seed={seed}",
                    lambda: _seed_record(s, d, seed, n_test, finite_d),
                )
                recs.append(rec)
                if progress:
                    print(
                        f"[compare] {_label(s)} d={d} seed={seed}: test_error={rec['test_error']:.5f} "
                        f"({time.perf_counter() - t0:.1f}s)",
                        file=sys.stderr,
                        flush=True,
                    )
            fd = float(np.mean([r["test_error_finite_d"] for r in recs])) if finite_d else math.nan
            fdt = float(np.mean([r["train_error_finite_d"] for r in recs])) if finite_d else math.nan
            rows.append(
                ComparisonRow(
                    setting=s, d=d, seeds=seeds, test_error_theory=th.test_error,
                    train_error_theory=th.train_error, test_error_finite_d=fd, train_error_finite_d=fdt,
                    **summarize(recs), per_seed=tuple(recs),
                )
            )
    return Comparison(rows=tuple(rows), config=config)


# ------------------------------------------------------------------------------------------------
# giant step (Cui et al. 2024): sRF theory vs sRF Monte Carlo and vs the real network

