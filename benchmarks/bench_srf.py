"""Benchmarks of the sRF theory (run by hand: OPENBLAS_NUM_THREADS=1 python benchmarks/bench_srf.py).

Issue 3 §2 target: a 30-point curve in α at d = p (width_ratio 1), λ = 0.01 in under 3 s with the
large-d back-end (the authors' notebook takes ~2 s per point, measured on this machine).  Reports wall
times of one run and their ratios, so the numbers can be compared across machines.  Not a test.
"""

from __future__ import annotations

import json
import time

import numpy as np
from timing import best_of  # sibling module: run as python benchmarks/<script>.py

from asymptotics.settings import GiantStep
from asymptotics.spiked_rf.theory import (
    conditional_coefficients,
    finite_spectrum,
    srf_curve,
    srf_parameters,
    srf_risk,
)



def main():
    base = GiantStep("tanh", "tanh", alpha0=0.5, eta_tilde=1.0, alpha=0.1, lam=0.01, width_ratio=1.0)
    alphas = np.linspace(0.1, 3.0, 30)
    out = {}
    # cold: includes the (uncached) conditional-GE coefficients on the 121-node κ rule
    t0 = time.perf_counter()
    curve = srf_curve(base.replace(alpha0=0.5000001), "alpha", alphas)
    out["curve_30_alpha_cold_s"] = time.perf_counter() - t0
    out["curve_30_alpha_s"] = best_of(lambda: srf_curve(base, "alpha", alphas))
    out["curve_30_alpha_full_map_s"] = best_of(lambda: srf_curve(base, "alpha", alphas, solver="full"))
    out["curve_30_alpha_nit_total"] = int(sum(r.nit for r in curve))
    out["curve_converged"] = all(r.converged for r in curve)
    out["point_s"] = best_of(lambda: srf_risk(base.replace(alpha=1.5)), repeat=20)
    p = srf_parameters(base)
    out["coefficients_121_nodes_s"] = best_of(
        lambda: conditional_coefficients("tanh", "tanh", (p.r * (1 + 1e-9 * np.random.rand()), p.c, p.gamma)), repeat=5
    )
    for d in (500, 1000):
        t0 = time.perf_counter()
        sp = finite_spectrum(p=d, d=d, rng=0)
        out[f"finite_spectrum_d{d}_s"] = time.perf_counter() - t0
        out[f"curve_30_alpha_finite_d{d}_s"] = best_of(lambda: srf_curve(base, "alpha", alphas, spectrum=sp))
    out["target_s"] = 3.0
    out["ratio_target_over_curve"] = out["target_s"] / out["curve_30_alpha_s"]
    out["ratio_authors_notebook_over_curve"] = 30 * 2.0 / out["curve_30_alpha_s"]  # ~2 s per point
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
