"""Theory against simulation for the kernel-regime family: the KRR deterministic equivalent vs Monte Carlo.

For each :class:`~asymptotics.settings.KernelRidge` setting (its own d and n), the finite-d
deterministic equivalent of KRR on the sphere (:func:`asymptotics.kernels.theory.krr_risk`,
docs/theory/kernels.md §6.4) next to the Monte Carlo of the exact kernel over seeds
(:func:`asymptotics.validation.kernels.simulation.simulate_krr_seed`), in the shared
:class:`~asymptotics.validation.comparison.Comparison` table.  The KRR theory is itself a
finite-d formula, so there is no separate per-instance column (``test_error_finite_d`` is NaN).
Finished seeds are checkpointed one record per (setting, seed).

>>> from asymptotics.settings import KernelRidge
>>> s = KernelRidge("ntk", "relu", d=8, n=60, lam=0.01, noise=0.1, target="1:1,2:0.5")
>>> table = compare_krr([s], seeds=2, n_test=200)
>>> row = table.rows[0]
>>> row.d, len(row.seeds), round(row.test_error_theory, 3)
(8, 2, 0.128)
"""

from __future__ import annotations

import math
import sys
from typing import Iterable, Sequence

from asymptotics.settings import KernelRidge

from ..comparison import Comparison, ComparisonRow, _label, _settings_tuple
from ..data import check_n_test
from ..store import Checkpoint, package_versions
from ..summary import normalize_seeds
from .simulation import simulate_krr

__all__ = ["compare_krr"]


def compare_krr(
    settings: "Iterable[KernelRidge] | KernelRidge",
    seeds: "Sequence[int] | int" = 5,
    n_test: int = 2000,
    checkpoint: "str | None" = None,
    progress: bool = False,
) -> Comparison:
    """KRR theory vs exact-kernel Monte Carlo, one row per setting (module docstring)."""
    settings = _settings_tuple(settings, KernelRidge)
    seeds = normalize_seeds(seeds)
    n_test = check_n_test(n_test)
    config = {"kind": "compare_krr", "settings": [s.to_dict() for s in settings], "seeds": list(seeds),
              "n_test": n_test, "versions": package_versions()}
    ckpt = Checkpoint(checkpoint, {k: v for k, v in config.items() if k != "versions"}) if checkpoint else None
    rows = []
    for s in settings:
        sim = simulate_krr(s, seeds, n_test, checkpoint=ckpt)
        rows.append(ComparisonRow(setting=s, d=s.d, seeds=seeds, test_error_theory=sim.theory.test_error,
                                  train_error_theory=sim.theory.train_error, test_error_finite_d=math.nan,
                                  train_error_finite_d=math.nan, test_error_mean=sim.test_error_mean,
                                  test_error_sem=sim.test_error_sem, train_error_mean=sim.train_error_mean,
                                  train_error_sem=sim.train_error_sem,
                                  per_seed=tuple(r.to_dict() for r in sim.per_seed)))
        if progress:
            print(f"  {_label(s)}: {len(seeds)} seeds done", file=sys.stderr)
    return Comparison(tuple(rows), config, instance_label="—")
