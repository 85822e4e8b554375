"""Seeds and Monte Carlo summaries shared by every family: seed lists, mean and standard error.

Every simulation summary names a quantity ``q`` measured per seed (``test_error``, ``train_error``)
``q_mean`` and ``q_sem`` (:func:`summarize`), the same in every family (docs/vocabulary.md).
"""

from __future__ import annotations

import math
from numbers import Integral
from typing import Sequence

import numpy as np

from asymptotics.errors import InvalidParameterError
from asymptotics.settings import check_int

__all__ = ["MAX_SEEDS", "QUANTITIES", "RECORD_NAMES", "mean_sem", "normalize_seeds", "summarize"]

#: Version of the names inside per-seed records (2: the shared vocabulary of issue 8).  It is part of the
#: configuration of every checkpoint whose records changed names, so a checkpoint written with the old
#: names is refused as "a different configuration" instead of being misread.
RECORD_NAMES = 2

#: The per-seed quantities every simulation summary averages.
QUANTITIES = ("test_error", "train_error")

#: The largest number of seeds one call accepts.
MAX_SEEDS = 100_000


def mean_sem(values: Sequence[float]) -> tuple[float, float]:
    """Mean and standard error std(ddof=1)/√K; the SEM is 0.0 for K = 1 (no spread measurable)."""
    v = np.asarray(values, dtype=float)
    if v.size == 1:
        return float(v[0]), 0.0
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size))


def normalize_seeds(seeds: Sequence[int] | int) -> tuple[int, ...]:
    """An int K means seeds 0..K−1; a sequence must hold distinct non-negative ints."""
    if isinstance(seeds, Integral) and not isinstance(seeds, bool):
        k = check_int("seeds", seeds, 1, "number of seeds")
        if k > MAX_SEEDS:
            raise InvalidParameterError(f"seeds must be <= {MAX_SEEDS} (number of seeds), got {k}")
        return tuple(range(k))
    if isinstance(seeds, (str, bytes, dict)):
        raise InvalidParameterError(f"seeds must be an int K (seeds 0..K-1) or a sequence of ints, got {seeds!r}")
    try:
        out = tuple(check_int("seed", s, 0, "a random seed") for s in seeds)
    except TypeError:
        raise InvalidParameterError(
            f"seeds must be an int K (seeds 0..K-1) or a sequence of ints, got {seeds!r}"
        ) from None
    if not out:
        raise InvalidParameterError("seeds must not be empty")
    if len(out) > MAX_SEEDS or max(out) >= 2**128:
        raise InvalidParameterError(f"at most {MAX_SEEDS} seeds, each < 2**128, are allowed")
    if len(set(out)) != len(out):
        raise InvalidParameterError(f"seeds must be distinct, got {out}")
    return out


def summarize(records, quantities: Sequence[str] = QUANTITIES) -> dict:
    """``{q + "_mean": mean, q + "_sem": SEM}`` over per-seed ``records`` (objects or dicts) for each q.

    >>> summarize([{"test_error": 1.0, "train_error": 0.5}, {"test_error": 3.0, "train_error": 0.5}])
    {'test_error_mean': 2.0, 'test_error_sem': 1.0, 'train_error_mean': 0.5, 'train_error_sem': 0.0}
    """
    out = {}
    for q in quantities:
        vals = [r[q] if isinstance(r, dict) else getattr(r, q) for r in records]
        out[f"{q}_mean"], out[f"{q}_sem"] = mean_sem(vals)
    return out
