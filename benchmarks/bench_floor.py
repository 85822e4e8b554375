"""One-step simulation time against its BLAS floor, float64 and float32 (issue 9 §3 b).

Run: ``OPENBLAS_NUM_THREADS=1 python3 benchmarks/bench_floor.py [--d 256,512,1024] [--json FILE]``.

The floor of one seed is its matrix-product flop count divided by the GEMM rate measured in the same
run (one thread, a large square product of the same dtype).  Flops of one seed of
:func:`asymptotics.validation.one_step.simulation.simulate_seed` (N width, n batch 1, n2 batch 2,
n_test test points; the reference setting has N = n = n2 = 2d, n_test = 20000):

* gradient step: X W and Xᵀ G,                      2·(2 n d N)
* readout features X̃ W1:                             2 n2 d N
* Gram ΦᵀΦ (symmetric product, primal side N ≤ n2):   n2 N²      (dual side: N n2²)
* Cholesky and solve:                                min(n2, N)³/3 + 2 n2 N
* test points: features, readout, teacher:           2 n_test d N + 2 n_test N + 2 n_test d

Times are CPU times of this process (``time.process_time``, best of ``--repeat``) with one BLAS
thread, for the GEMM rate and the simulation alike, so the ratio does not depend on what else runs on a
shared machine; the wall time of the same calls is printed next to them.

Everything else (random draws, the activation on every pre-activation, the spike's top singular
vector) is overhead above the floor; the script reports the ratio time / floor and a breakdown of
the main stages, each timed alone.  The network draws are float64 in both dtypes (see
``check_dtype``), so float32 cannot go below the float64 draw cost.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time

import numpy as np
from timing import best_of  # sibling module: run as python benchmarks/<script>.py

from asymptotics.settings import OneStep
from asymptotics.validation.one_step.network import one_step_sizes
from asymptotics.validation.one_step.simulation import simulate_seed

#: The reference one-step setting (the README demo's, with a step: η = 1, σ_ε = 0.1).
DEFAULT = OneStep("tanh", "tanh", psi1=2, psi2=2, lam=1e-2, eta=1, noise=0.1)
N_TEST = 20000
CLOCK = time.process_time  # CPU time: see the module docstring


def seed_flops(setting: OneStep, d: int, n_test: int = N_TEST) -> float:
    """Matrix-product flops of one seed (module docstring)."""
    N, n = one_step_sizes(setting, d)
    n2 = n
    gram = n2 * N * N if N <= n2 else N * n2 * n2
    m = min(n2, N)
    return 4.0 * n * d * N + 2.0 * n2 * d * N + gram + m ** 3 / 3 + 2.0 * n2 * N \
        + 2.0 * n_test * d * N + 2.0 * n_test * N + 2.0 * n_test * d


def gemm_rate(dtype, size: int = 2048) -> float:
    """Flops per second of a size³ matrix product (best of 3)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size)).astype(dtype)
    b = rng.standard_normal((size, size)).astype(dtype)
    a @ b
    return 2.0 * size ** 3 / best_of(lambda: a @ b, 3, clock=CLOCK)


def stage_times(d: int, dtype) -> dict:
    """Seconds of the non-BLAS stages at the size of one seed's test set (each alone, best of 3)."""
    N, _ = one_step_sizes(DEFAULT, d)
    rng = np.random.default_rng(1)
    rows = min(N_TEST, max(256, (1 << 22) // N))
    chunks = math.ceil(N_TEST / rows)
    pre = rng.standard_normal((rows, N)).astype(dtype)
    gen = np.random.default_rng(2)
    return {
        "test_draws_s": chunks * best_of(lambda: gen.standard_normal((rows, d)), 3, clock=CLOCK),
        "test_activation_s": chunks * best_of(lambda: np.tanh(pre), 3, clock=CLOCK),
    }


def machine() -> dict:
    info = {"python": platform.python_version(), "numpy": np.__version__, "platform": platform.platform(),
            "cpus": os.cpu_count(), "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS")}
    try:
        with open("/proc/cpuinfo") as fh:
            info["cpu"] = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [{k: p.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
                        for p in threadpool_info()]
    except ImportError:
        pass
    return info


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--d", default="256,512,1024")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--json", default=None, help="also write the results here")
    args = p.parse_args(argv)
    ds = [int(x) for x in args.d.split(",")]
    out = {"machine": machine(), "setting": DEFAULT.to_dict(), "n_test": N_TEST, "rows": []}
    rates = {name: gemm_rate(np.dtype(name)) for name in ("float64", "float32")}
    out["gemm_gflops"] = {k: v / 1e9 for k, v in rates.items()}
    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
        print("warning: set OPENBLAS_NUM_THREADS=1 (the floor and the CPU times assume one BLAS thread)")
    print(f"GEMM rate (2048^3, CPU time, this run): float64 {rates['float64'] / 1e9:.1f} GFLOP/s, "
          f"float32 {rates['float32'] / 1e9:.1f} GFLOP/s")
    print(f"{'d':>5} {'dtype':>8} {'GFLOP':>7} {'floor s':>8} {'CPU s':>8} {'CPU/floor':>10} "
          f"{'wall s':>8} {'draws s':>8} {'tanh s':>8}")
    for d in ds:
        flops = seed_flops(DEFAULT, d)
        for name in ("float64", "float32"):
            simulate_seed(DEFAULT, d, 0, n_test=N_TEST, dtype=name)  # warm-up
            t = best_of(lambda: simulate_seed(DEFAULT, d, 0, n_test=N_TEST, dtype=name), args.repeat, clock=CLOCK)
            wall = best_of(lambda: simulate_seed(DEFAULT, d, 0, n_test=N_TEST, dtype=name), 1)
            floor = flops / rates[name]
            st = stage_times(d, np.dtype(name))
            row = {"d": d, "dtype": name, "gflop": flops / 1e9, "floor_s": floor, "time_s": t, "wall_s": wall,
                   "ratio": t / floor, **st}
            out["rows"].append(row)
            print(f"{d:>5} {name:>8} {flops / 1e9:>7.2f} {floor:>8.3f} {t:>8.3f} {t / floor:>10.2f} "
                  f"{wall:>8.3f} {st['test_draws_s']:>8.3f} {st['test_activation_s']:>8.3f}", flush=True)
    for d in ds:
        r64, r32 = [r for r in out["rows"] if r["d"] == d]
        print(f"d={d}: float32 speed-up {r64['time_s'] / r32['time_s']:.2f}x")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)
    return out


if __name__ == "__main__":
    main()
