"""Benchmarks of the one-step theory and simulation (run by hand: python benchmarks/bench_onestep.py).

Reports wall times measured in one run and their ratios, so the numbers can be compared across
machines.  Not part of the test suite.
"""

from __future__ import annotations

import json

import numpy as np
from timing import best_of  # sibling module: run as python benchmarks/<script>.py

from asymptotics import OneStep, hermite_constants, one_step_curve, one_step_risk
from asymptotics.validation.one_step.simulation import simulate_seed



def main():
    base = OneStep("tanh", "centered:softplus", psi1=1, psi2=2, lam=1e-4, eta=2, noise=0.25)
    hermite_constants(base.student), hermite_constants(base.teacher)  # warm the caches
    one_step_risk(base)
    grids = {
        "psi1": np.geomspace(0.4, 40, 100),
        "psi2": np.geomspace(0.2, 20, 100),
        "lam": np.geomspace(1e-5, 10, 100),
        "eta": np.linspace(0, 8, 100),
    }
    out = {}
    for name, grid in grids.items():
        out[f"curve_100_{name}_s"] = best_of(lambda: one_step_curve(base, name, grid))
    out["point_s"] = best_of(lambda: one_step_risk(base), repeat=20)
    sim = OneStep("tanh", "tanh", psi1=2, psi2=2, lam=1e-2, eta=2, noise=0.1)
    for d in (256, 512, 1024):
        out[f"simulation_seed_d{d}_s"] = best_of(lambda: simulate_seed(sim, d, 0, n_test=20000), repeat=1)
    out["simulation_seed_d1024_exact_risk_s"] = best_of(
        lambda: simulate_seed(sim, 1024, 0, test_risk="exact"), repeat=1)
    out["ratio_sim_d1024_mc_over_exact_risk"] = (
        out["simulation_seed_d1024_s"] / out["simulation_seed_d1024_exact_risk_s"])
    out["ratio_sim_d1024_over_curve_100"] = out["simulation_seed_d1024_s"] / out["curve_100_psi1_s"]
    out["ratio_sim_d1024_over_d512"] = out["simulation_seed_d1024_s"] / out["simulation_seed_d512_s"]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
