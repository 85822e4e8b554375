"""Peak memory of one seed of the one-step simulation at d = 2048 and 4096 (issue 9 §3 c).

Run: ``OPENBLAS_NUM_THREADS=1 python3 benchmarks/bench_memory.py [--d 2048,4096] [--json FILE]``.

Each (d, dtype) runs in a fresh subprocess (so peaks do not carry over) on the reference setting
(tanh/tanh, ψ1 = ψ2 = 2, λ = 0.01, η = 1, σ_ε = 0.1: N = n = 2d, n_test = 20000).  Reported:

* ``arrays``: the tracemalloc peak during ``simulate_seed`` (numpy reports its array allocations to
  tracemalloc), i.e. the peak of live arrays;
* ``rss``: the process's peak resident size (``resource.getrusage(...).ru_maxrss``) minus its size
  after the imports, i.e. what the run adds to the interpreter;
* ``estimate``: :func:`asymptotics.validation.one_step.simulation.one_step_memory`, the float64 estimate the
  library checks against the memory limit before allocating (an upper bound by design).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

_CHILD = r"""
import json, resource, sys, time, tracemalloc
from asymptotics.settings import OneStep
from asymptotics.validation.one_step.network import one_step_sizes
from asymptotics.validation.one_step.simulation import one_step_memory, simulate_seed
d, dtype = int(sys.argv[1]), sys.argv[2]
s = OneStep("tanh", "tanh", psi1=2, psi2=2, lam=1e-2, eta=1, noise=0.1)
simulate_seed(s, 16, 0, n_test=100, dtype=dtype)          # imports and caches before the baseline
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
tracemalloc.start()
t0 = time.perf_counter()
rec = simulate_seed(s, d, 0, n_test=20000, dtype=dtype)
seconds = time.perf_counter() - t0
arrays = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
N, n = one_step_sizes(s, d)
print(json.dumps({"d": d, "dtype": dtype, "N": N, "n": n, "arrays_bytes": arrays, "rss_added_bytes": rss,
                  "estimate_bytes": one_step_memory(s, d, n, 20000), "seconds": seconds,
                  "test_error": rec.test_error}))
"""


def measure(d: int, dtype: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(d), dtype], capture_output=True, text=True,
                         check=True, env=dict(os.environ))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> list:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--d", default="2048,4096")
    p.add_argument("--dtype", default="float64,float32")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    rows = []
    gb = 1024.0 ** 3
    print(f"{'d':>5} {'dtype':>8} {'N':>6} {'arrays GiB':>10} {'RSS+ GiB':>9} {'estimate GiB':>12} "
          f"{'time s':>7} {'test error':>10}")
    for d in (int(x) for x in args.d.split(",")):
        for dtype in args.dtype.split(","):
            r = measure(d, dtype)
            rows.append(r)
            print(f"{d:>5} {dtype:>8} {r['N']:>6} {r['arrays_bytes'] / gb:>10.2f} {r['rss_added_bytes'] / gb:>9.2f} "
                  f"{r['estimate_bytes'] / gb:>12.2f} {r['seconds']:>7.1f} {r['test_error']:>10.5f}", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)
    return rows


if __name__ == "__main__":
    main()
