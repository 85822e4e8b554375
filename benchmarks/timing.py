"""Shared timing helper of the benchmark scripts (run them as ``python benchmarks/bench_*.py``)."""

import time


def best_of(fn, repeat: int = 3) -> float:
    """Minimum wall time of ``repeat`` calls of ``fn()`` (the least disturbed run)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)
