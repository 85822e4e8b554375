"""Ba et al.'s one-step network from η = Θ(1) to η = Θ(√N): theory curve vs Monte Carlo.

For each width ratio ψ2 and step η = η̃√N the table/figure shows

* the heterogeneous-sRF theory (:func:`asymptotics.spiked_rf.heterogeneous.large_step_risk`), large-p limit and at the
  simulated width N (finite-width mean channel, ``width=N``);
* the Gaussian-equivalent one-step formula of Ba et al. (:func:`asymptotics.one_step.theory.one_step_risk`) at
  η = η̃√N — exact for η = Θ(1), i.e. η̃ → 0 at fixed N;
* the kernel lower bound ‖P_{>1}f*‖² and τ* (:func:`asymptotics.one_step.theory.large_step_limit`);
* the Monte Carlo of the real network (:func:`asymptotics.validation.one_step.simulation.simulate_one_step`, Gaussian a, W0 iid
  N(0, 1/d), exact gradient, fresh ridge batch, test risk on 20 000 fresh points — the exact Gaussian
  test risk (Mehler series) does not converge once a large step makes neurons strongly correlated).

Run (recorded in ``results/one_step/large_step/``)::

    OPENBLAS_NUM_THREADS=1 nice -n 5 python3 -m asymptotics.validation.one_step.large_step --d 512,1024 --seeds 3 \\
        --out results/one_step/large_step
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from asymptotics.errors import InvalidParameterError
from asymptotics.one_step.theory import kernel_lower_bound, large_step_limit, one_step_risk
from asymptotics.settings import OneStep
from asymptotics.spiked_rf.heterogeneous import large_step_risk

from ..summary import mean_sem
from .simulation import simulate_one_step
from ..store import Checkpoint

__all__ = ["DEFAULT_SETTING", "DEFAULT_ETA_TILDES", "DEFAULT_PSI2", "large_step_table", "large_step_figure", "main"]

#: erf/erf (τ* = 0, κ* = √3), ψ1 = 8 (the regime where Ba et al.'s sanity run beats the kernel bound),
#: λ = 1e-3, σ_ε = 0.1.
DEFAULT_SETTING = OneStep("erf", "erf", psi1=8, psi2=1, lam=1e-3, eta=1, noise=0.1)
DEFAULT_ETA_TILDES = (0.5, 1.0, 2.0, 4.0)
DEFAULT_PSI2 = (0.5, 1.0, 2.0)


def large_step_table(setting: OneStep = DEFAULT_SETTING, psi2s=DEFAULT_PSI2, eta_tildes=DEFAULT_ETA_TILDES,
                     ds=(512, 1024), seeds=3, checkpoint: Checkpoint | None = None, progress=False,
                     n_test: int = 20000) -> list[dict]:
    """One row per (ψ2, η̃, d): theory (large-p and width N), GE formula at η = η̃√N, MC mean ± SEM."""
    seeds = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    rows = []
    for psi2 in psi2s:
        s = setting.replace(psi2=psi2)
        for et in eta_tildes:
            inf = large_step_risk(s, et)
            for d in ds:
                N = int(round(psi2 * d))
                eta = et * math.sqrt(N)
                fin = large_step_risk(s, et, width=N)
                ge = one_step_risk(s.replace(eta=eta)).test_error
                risks = []
                for seed in seeds:
                    t0 = time.perf_counter()

                    def compute():
                        sim = simulate_one_step(s.replace(eta=eta), d, [seed], n_test=n_test)
                        return [sim.test_error_mean, sim.train_error_mean]

                    key = f"{s.to_dict()}|eta_tilde={et:g}|d={d}|seed={seed}|n_test={n_test}"
                    rec = checkpoint.get_or_compute(key, compute) if checkpoint is not None else compute()
                    risks.append(rec[0])
                    if progress:
                        print(f"[large-step psi2={psi2:g} eta~={et:g} d={d}] seed {seed}: {rec[0]:.4f} "
                              f"({time.perf_counter() - t0:.1f}s)", file=sys.stderr, flush=True)
                m, se = mean_sem(risks)
                rows.append({"psi2": psi2, "eta_tilde": et, "d": d, "N": N, "eta": eta,
                             "theory_srf": inf.test_error, "theory_srf_width_N": fin.test_error,
                             "ge_formula": ge, "test_error_mean": m, "test_error_sem": se, "seeds": seeds, "per_seed": risks,
                             "gap_width_N": (m - fin.test_error) / fin.test_error,
                             "gap_limit": (m - inf.test_error) / inf.test_error})
    return rows


def _md(rows, setting, lb, lim) -> str:
    out = [f"Setting: {setting.student.name}/{setting.teacher.name}, ψ1 = {setting.psi1:g}, λ = {setting.lam:g}, "
           f"σ_ε = {setting.noise:g}; kernel lower bound ‖P>1 f*‖² = {lb:.4f}; τ* = {lim.tau_star:.2e} "
           f"(κ* = {lim.kappa_star:.4f}).", "",
           "| ψ2 | η̃ = η/√N | d | N | hetero sRF (p → ∞) | hetero sRF (width N) | GE formula at η = η̃√N | "
           "network MC (mean ± SEM) | gap vs width-N theory | gap vs limit |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['psi2']:g} | {r['eta_tilde']:g} | {r['d']} | {r['N']} | {r['theory_srf']:.4f} | "
                   f"{r['theory_srf_width_N']:.4f} | {r['ge_formula']:.4f} | {r['test_error_mean']:.4f} ± {r['test_error_sem']:.4f} | "
                   f"{100 * r['gap_width_N']:+.1f} % | {100 * r['gap_limit']:+.1f} % |")
    return "\n".join(out)


def large_step_figure(setting: OneStep, psi2s, path, rows=None, grid=None):
    """Test risk vs η̃ = η/√N: hetero-sRF curves (one per ψ2), GE formula (dotted, N at the largest d),
    kernel lower bound (dashed), 10τ* (dash-dot), MC dots (d = 512 hollow, 1024 filled)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = np.geomspace(0.2, 6, 25) if grid is None else grid
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    lb = kernel_lower_bound(setting.teacher)
    lim = large_step_limit(setting.student, setting.teacher)
    curves = {}
    dmax = max(r["d"] for r in rows) if rows else 1024
    for i, psi2 in enumerate(psi2s):
        s = setting.replace(psi2=psi2)
        col = f"C{i}"
        N = int(round(psi2 * dmax))
        th = [large_step_risk(s, e, raise_on_failure=False).test_error for e in grid]
        thN = [large_step_risk(s, e, width=N, raise_on_failure=False).test_error for e in grid]
        ge = [one_step_risk(s.replace(eta=e * math.sqrt(N))).test_error for e in grid]
        curves[psi2] = {"eta_tilde": list(map(float, grid)), "srf": th, "srf_width_N": thN, "ge": ge, "N": N}
        ax.plot(grid, th, "-", color=col, label=f"ψ2 = {psi2:g}: hetero sRF")
        ax.plot(grid, thN, "--", color=col, lw=0.8, alpha=0.7)
        ax.plot(grid, ge, ":", color=col, lw=1.0)
        for r in rows or []:
            if r["psi2"] == psi2:
                ax.errorbar(r["eta_tilde"], r["test_error_mean"], yerr=r["test_error_sem"], fmt="o", color=col,
                            mfc=col if r["d"] == dmax else "white", ms=5, capsize=2)
    ax.axhline(lb, color="k", ls="--", lw=1, label="kernel lower bound ‖P>1 f*‖²")
    ax.axhline(10 * lim.tau_star, color="gray", ls="-.", lw=1,
               label=f"10τ* (τ* = {lim.tau_star:.1e}, κ* = {lim.kappa_star:.3f})")
    ax.plot([], [], "k--", lw=0.8, alpha=0.7, label=f"hetero sRF at width N (d = {dmax})")
    ax.plot([], [], "k:", lw=1.0, label=f"GE formula at η = η̃√N (d = {dmax})")
    ax.plot([], [], "ko", mfc="white", label="network, d = 512 (hollow) / 1024 (filled)")
    ax.set_xscale("log")
    from matplotlib.ticker import FixedLocator, NullFormatter, ScalarFormatter
    ax.xaxis.set_major_locator(FixedLocator([0.25, 0.5, 1, 2, 4]))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("η̃ = η/√N")
    ax.set_ylabel("test risk")
    ax.set_title(f"{setting.student.name}/{setting.teacher.name}, ψ1 = {setting.psi1:g}: one step, η = η̃√N")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path.with_suffix(".png"), dpi=130)
    plt.close(fig)
    return curves


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m asymptotics.validation.one_step.large_step")
    ap.add_argument("--d", default="512,1024")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--psi2", default=",".join(f"{x:g}" for x in DEFAULT_PSI2))
    ap.add_argument("--eta-tilde", default=",".join(f"{x:g}" for x in DEFAULT_ETA_TILDES))
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    try:
        ds = [int(x) for x in args.d.split(",")]
        psi2s = [float(x) for x in args.psi2.split(",")]
        ets = [float(x) for x in args.eta_tilde.split(",")]
        ck = None
        if args.out:
            Path(args.out).mkdir(parents=True, exist_ok=True)
            ck = Checkpoint(Path(args.out) / "checkpoint_large_step.json", {"kind": "large_step"})
        t0 = time.perf_counter()
        rows = large_step_table(DEFAULT_SETTING, psi2s, ets, ds, args.seeds, ck, progress=True)
    except (InvalidParameterError, ValueError) as exc:
        print(f"large_step: error: {exc}", file=sys.stderr)
        return 2
    lb = kernel_lower_bound(DEFAULT_SETTING.teacher)
    lim = large_step_limit(DEFAULT_SETTING.student, DEFAULT_SETTING.teacher)
    md = _md(rows, DEFAULT_SETTING, lb, lim)
    print(md)
    if args.out:
        out = Path(args.out)
        cmd = "OPENBLAS_NUM_THREADS=1 nice -n 5 python3 -m asymptotics.validation.one_step.large_step " + " ".join(argv or sys.argv[1:])
        curves = large_step_figure(DEFAULT_SETTING, psi2s, out / "large_step_curve", rows)
        cfg = {"command": cmd, "setting": DEFAULT_SETTING.to_dict(), "psi2": psi2s, "eta_tilde": ets, "ds": ds,
               "seeds": args.seeds, "n_test": 20000, "kernel_lower_bound": lb, "tau_star": lim.tau_star,
               "kappa_star": lim.kappa_star, "wall_seconds": time.perf_counter() - t0}
        (out / "large_step_curve.json").write_text(json.dumps({"config": cfg, "rows": rows, "curves": curves}, indent=1))
        with open(out / "large_step_curve.csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=[k for k in rows[0] if k not in ("seeds", "per_seed")])
            w.writeheader()
            for r in rows:
                w.writerow({k: v for k, v in r.items() if k not in ("seeds", "per_seed")})
        (out / "large_step_curve.md").write_text("# Ba et al.'s one-step network from η = Θ(1) to η = Θ(√N)\n\n"
                                                 f"Command: `{cmd}`\n\n" + md + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
