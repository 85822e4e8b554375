"""Shared timing helper of the benchmark scripts (run them as ``python benchmarks/bench_*.py``)."""

import time


def best_of(fn, repeat: int = 3, clock=time.perf_counter) -> float:
    """Minimum time of ``repeat`` calls of ``fn()`` (the least disturbed run).

    ``clock`` is the wall clock by default; ``time.process_time`` measures the CPU time of this
    process instead, which other processes on a shared machine disturb much less (single-threaded
    BLAS: CPU time ≈ the wall time the run would take alone).
    """
    times = []
    for _ in range(repeat):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return min(times)
