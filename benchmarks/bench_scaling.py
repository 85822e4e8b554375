"""Time of one seed of the one-step simulation against d, and its fitted exponent (issue 9 §3 d).

Run: ``OPENBLAS_NUM_THREADS=1 python3 benchmarks/bench_scaling.py [--d 256,...,2048] [--json FILE]``.

Times are CPU times (``time.process_time``, one BLAS thread), so that other processes on a shared
machine disturb them little.  Reference setting (tanh/tanh, ψ1 = ψ2 = 2: N = n = 2d, λ = 0.01, η = 1, σ_ε = 0.1), n_test = 20000, float64 and float32.  The exponent
is the least-squares slope of log(time) against log(d) over d = 256 … 2048 (± its standard error).
Expected between 2 and 3: the test points cost 2·n_test·d·N ∝ d² at fixed n_test, the gradient
step, features and Gram matrix ∝ d³; the d³ part takes over as d grows, so the local slope rises with d.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from timing import best_of  # sibling module: run as python benchmarks/<script>.py

from asymptotics.settings import OneStep
from asymptotics.validation.one_step.simulation import simulate_seed

DEFAULT = OneStep("tanh", "tanh", psi1=2, psi2=2, lam=1e-2, eta=1, noise=0.1)
DS = (256, 362, 512, 724, 1024, 1448, 2048)  # geometric, ratio √2


def fit_exponent(ds, times) -> tuple[float, float]:
    """OLS slope of log t on log d and its standard error."""
    x, y = np.log(np.asarray(ds, float)), np.log(np.asarray(times, float))
    A = np.column_stack([x, np.ones_like(x)])
    coef, res, *_ = np.linalg.lstsq(A, y, rcond=None)
    resid = y - A @ coef
    dof = max(len(x) - 2, 1)
    cov = (resid @ resid / dof) * np.linalg.inv(A.T @ A)
    return float(coef[0]), float(np.sqrt(cov[0, 0]))


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--d", default=",".join(map(str, DS)))
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    ds = [int(x) for x in args.d.split(",")]
    simulate_seed(DEFAULT, 64, 0, n_test=1000)  # warm-up (imports)
    out = {"setting": DEFAULT.to_dict(), "n_test": 20000, "d": ds, "times": {}, "exponent": {}}
    print(f"{'d':>5} {'float64 CPU s':>14} {'float32 CPU s':>14}")
    for d in ds:
        repeat = 3 if d <= 512 else 1
        row = []
        for dtype in ("float64", "float32"):
            t = best_of(lambda: simulate_seed(DEFAULT, d, 0, n_test=20000, dtype=dtype), repeat, clock=time.process_time)
            out["times"].setdefault(dtype, []).append(t)
            row.append(t)
        print(f"{d:>5} {row[0]:>14.3f} {row[1]:>14.3f}", flush=True)
    for dtype, times in out["times"].items():
        k, se = fit_exponent(ds, times)
        k_hi, _ = fit_exponent(ds[-3:], times[-3:])
        out["exponent"][dtype] = {"slope": k, "se": se, "slope_last3": k_hi}
        print(f"{dtype}: time ∝ d^{k:.2f} ± {se:.2f} over d = {ds[0]}…{ds[-1]} "
              f"(local slope over the last three d: {k_hi:.2f})")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)
    return out


if __name__ == "__main__":
    main()
