"""The correlated spike of the giant-step network (issue 10 §1, Check D): measure, model, compare.

Measurement (:func:`measure_bulk_spike`): with v̂ the top right singular vector of W1 − W0 (as
:func:`asymptotics.validation.giant_step.measurement.measure_srf`), regress each neuron's trained spike coordinate on its own initial
one, ⟨w1_i, v̂⟩ = r + s·√d⟨w0_i, v̂⟩ + e_i.  The sRF assumes s√d = √c (the bulk √c W0 is isotropic, the spike
is the same r for all neurons).  The fitted slope gives the bulk scale *along the spike*, √c_v = s√d; the
residual spread std(e_i) is the part of the spike variation that is not explained by the neuron's own weight.

Why it matters although it is O(1/√d) per neuron: the vector (√d⟨w1_i − r v̂, v̂⟩)_i is the column of the
trained bulk along the spike, i.e. the θ channel of the sRF (W v/√d).  In the isotropic sRF it is √c W0 v̂√d:
variance c per neuron, independent of the rest of the bulk W0Π (Gaussian W0).  For tanh the measured spread
std_i⟨w1_i, v̂⟩ is √(c/d) (spec: 0.03 at d = 1000); for ReLU it is smaller (E[zσ'(z)] ≠ 0 and the
first-batch self-interaction make the spike coordinate anti-correlated with the neuron's own ⟨w0_i, v̂⟩).

Model: the sRF whose bulk column along the spike has variance c_v instead of c, ``bulk_spike_ratio`` = c_v/c
in :func:`asymptotics.spiked_rf.heterogeneous.hetero_srf_risk` (:class:`asymptotics.spiked_rf.heterogeneous.SpikeBulkScaled`, F → (c_v/c)F),
with c_v = d·Var_i⟨w1_i, v̂⟩ (``omega2_total``; the column taken independent of the rest of the bulk, as for
Gaussian W0); ``omega2`` = slope²·d/c keeps only the part explained by ⟨w0_i, v̂⟩ (shown for comparison).

Run (recorded in ``results/giant_step/hetero/``)::

    OPENBLAS_NUM_THREADS=1 nice -n 5 python3 -m asymptotics.validation.giant_step.correlated --d 512,1024 --seeds 4 \\
        --out results/giant_step/hetero
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from asymptotics.settings import GiantStep
from asymptotics.spiked_rf.theory import srf_parameters, srf_risk
from asymptotics.spiked_rf.heterogeneous import SpikeLaw, hetero_srf_risk

from .simulation import _STREAMS, model_for_seed, readout_curve
from .measurement import measure_srf
from ..data import spawn_generators
from ..one_step.network import spike_statistics
from ..summary import mean_sem
from ..store import Checkpoint

__all__ = ["measure_bulk_spike", "correlated_study", "CHECK_D", "main"]

#: Spec Check D: ReLU student, tanh teacher, α0 = 2, η̃ = 2, λ = 0.01, p = d.
CHECK_D = GiantStep("relu", "tanh", alpha0=2, eta_tilde=2, alpha=1.5, lam=0.01)
ALPHAS = (0.5, 1.5, 3.0)


def measure_bulk_spike(W0: np.ndarray, W1: np.ndarray, beta: np.ndarray) -> dict:
    """(r, c, γ) of :func:`measure_srf`, plus the regression of ⟨w1_i, v̂⟩ on √d⟨w0_i, v̂⟩ (module docstring):
    ``sqrt_cv`` = slope·√d, ``c_v`` = its square, ``omega2`` = c_v/c, ``corr``, ``resid_spread``."""
    m = measure_srf(W0, W1, beta)
    u = spike_statistics(W0.T, W1.T, beta).direction
    if (W1 @ u).mean() < 0:
        u = -u
    d = W0.shape[1]
    a = math.sqrt(d) * (W0 @ u)
    proj = W1 @ u
    X = np.column_stack([np.ones_like(a), a])
    coef, *_ = np.linalg.lstsq(X, proj, rcond=None)
    resid = proj - X @ coef
    sqrt_cv = float(coef[1] * math.sqrt(d))
    return {**m.to_dict(), "sqrt_cv": sqrt_cv, "c_v": sqrt_cv**2, "omega2": sqrt_cv**2 / m.c,
            "corr": float(np.corrcoef(a, proj)[0, 1]), "resid_spread": float(resid.std())}


#: Paired first layers (same seed, readout data and test points): the trained W1; W1 with its spike
#: coordinate made isotropic, ⟨w_i, v̂⟩ → r + √c⟨w0_i, v̂⟩ (c_v = c, removes only the correlated spike); W1
#: with the spike part of the update equal for all neurons (√c_v = 1, ``asymptotics.validation.giant_step.simulation``); the sRF
#: √c W0 + r 1 v̂ᵀ on the seed's own W0 (isotropic bulk everywhere).
ABLATION_LAYERS = ("network", "isotropic along spike", "uniform spike", "sRF on W0")


def ablation_layers(net) -> dict:
    """{name: p×d first layer} for :data:`ABLATION_LAYERS`."""
    from .ablation import ablated_first_layers
    base = ablated_first_layers(net)
    m = measure_srf(net.W0, net.W1, net.beta)
    u = spike_statistics(net.W0.T, net.W1.T, net.beta).direction
    if (net.W1 @ u).mean() < 0:
        u = -u
    proj = net.W1 @ u
    target = proj.mean() + math.sqrt(m.c) * (net.W0 @ u)
    return {"network": net.W1, "isotropic along spike": net.W1 + np.outer(target - proj, u),
            "uniform spike": base["uniform spike"], "sRF on W0": base["sRF on W0"]}


def correlated_study(setting: GiantStep = CHECK_D, ds=(512, 1024), seeds=4, alphas=ALPHAS, n_test=10000,
                     checkpoint: Checkpoint | None = None, progress=False) -> list[dict]:
    """Per (d, α): the network's test error (mean ± SEM over seeds), the measured bulk-spike statistics, and
    the theory (i) sRF with the formula (r, c, γ), (ii) sRF with the measured (r, c, γ), (iii) the correlated
    model: measured (r, c, γ) and c_v/c (seed-averaged), large-d back-end."""
    seeds = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    rows = []
    for d in ds:
        per = []
        for seed in seeds:
            t0 = time.perf_counter()

            def compute():
                net = model_for_seed(setting, d, seed)
                meas = measure_bulk_spike(net.W0, net.W1, net.beta)
                out = {"measured": meas}
                for name, W in ablation_layers(net).items():
                    errs = readout_curve(W, net.beta, setting, alphas, spawn_generators(seed, _STREAMS), n_test)
                    out[name] = [t for t, _ in errs]
                return out

            key = f"correlated|{setting.to_dict()}|d={d}|seed={seed}|alphas={alphas}|n_test={n_test}"
            rec = checkpoint.get_or_compute(key, compute) if checkpoint is not None else compute()
            per.append(rec)
            if progress:
                print(f"[correlated d={d}] seed {seed}: omega2={rec['measured']['omega2']:.3f} "
                      + " ".join(f"{t:.4f}" for t in rec["network"]) + f" ({time.perf_counter() - t0:.1f}s)",
                      file=sys.stderr, flush=True)
        for p in per:   # total variance of the bulk's spike column, d·Var_i⟨w1_i, v̂⟩, over c
            p["measured"]["omega2_total"] = d * p["measured"]["r_spread"] ** 2 / p["measured"]["c"]
        meas = {k: float(np.mean([p["measured"][k] for p in per])) for k in per[0]["measured"]}
        for i, a in enumerate(alphas):
            s = setting.replace(alpha=a)
            m, se = mean_sem([p["network"][i] for p in per])
            formula = srf_risk(s).test_error
            law = SpikeLaw.homogeneous(meas["r"], meas["c"])
            measured = hetero_srf_risk(s, law, meas["gamma"]).test_error
            corr = hetero_srf_risk(s, law, meas["gamma"], bulk_spike_ratio=meas["omega2_total"]).test_error
            slope_only = hetero_srf_risk(s, law, meas["gamma"], bulk_spike_ratio=meas["omega2"]).test_error
            abl = {}
            for name in ABLATION_LAYERS[1:]:
                diff = [p[name][i] - p["network"][i] for p in per]
                abl[name] = {"mean": float(np.mean([p[name][i] for p in per])), "diff": mean_sem(diff)}
            th_iso = hetero_srf_risk(s, law, meas["gamma"]).test_error
            th_uni = hetero_srf_risk(s, law, meas["gamma"], bulk_spike_ratio=1.0 / meas["c"]).test_error
            # (uniform spike: ⟨w_i, v̂⟩ = ⟨w0_i, v̂⟩ + const, a column of variance 1, i.e. c_v/c = 1/c)
            rows.append({"d": d, "alpha": a, "seeds": seeds, "test_error_mean": m, "test_error_sem": se, "ablation": abl,
                         "theory_diff_isotropic": th_iso - corr, "theory_diff_uniform": th_uni - corr,
                         "theory_formula": formula, "theory_measured": measured, "theory_correlated": corr,
                         "theory_slope_only": slope_only,
                         "measured": meas, "gap_formula": (m - formula) / formula,
                         "gap_measured": (m - measured) / measured, "gap_correlated": (m - corr) / corr})
    return rows


def _md(rows, setting) -> str:
    p = srf_parameters(setting)
    out = [f"Setting {setting.student.name}/{setting.teacher.name}, α0 = {setting.alpha0:g}, η̃ = {setting.eta_tilde:g}, "
           f"λ = {setting.lam:g}, p = d; formula (r, c, γ) = ({p.r:.4f}, {p.c:.4f}, {p.gamma:.4f}).", "",
           "| d | α | network (mean ± SEM) | sRF, formula | sRF, measured (r,c,γ) | correlated (measured + c_v/c) | "
           "slope-only c_v | gap formula | gap measured | gap correlated |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['d']} | {r['alpha']:g} | {r['test_error_mean']:.4f} ± {r['test_error_sem']:.4f} | "
                   f"{r['theory_formula']:.4f} | {r['theory_measured']:.4f} | {r['theory_correlated']:.4f} | "
                   f"{r['theory_slope_only']:.4f} | "
                   f"{100 * r['gap_formula']:+.1f} % | {100 * r['gap_measured']:+.1f} % | {100 * r['gap_correlated']:+.1f} % |")
    out += ["", "Paired ablation (difference to the network, same seed/data; mean ± SEM) vs the correlated "
            "model's prediction for the same change of c_v/c:", "",
            "| d | α | isotropic along spike − network | model (c_v/c: measured → 1) | uniform spike − network | "
            "model (→ 1/c) | sRF on W0 − network |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        ab = r["ablation"]
        f = lambda k: f"{ab[k]['diff'][0]:+.4f} ± {ab[k]['diff'][1]:.4f}"
        out.append(f"| {r['d']} | {r['alpha']:g} | {f('isotropic along spike')} | {r['theory_diff_isotropic']:+.4f} | "
                   f"{f('uniform spike')} | {r['theory_diff_uniform']:+.4f} | {f('sRF on W0')} |")
    out += ["", "Measured (seed means):", "", "| d | r | c | γ | slope·√d | slope²d/c | corr | residual spread | "
            "r_spread | c_v/c = d·r_spread²/c |", "|---|---|---|---|---|---|---|---|---|---|"]
    seen = set()
    for r in rows:
        if r["d"] in seen:
            continue
        seen.add(r["d"])
        m = r["measured"]
        out.append(f"| {r['d']} | {m['r']:.4f} | {m['c']:.4f} | {m['gamma']:.4f} | {m['sqrt_cv']:+.4f} | "
                   f"{m['omega2']:.4f} | {m['corr']:+.3f} | {m['resid_spread']:.4f} | {m['r_spread']:.4f} | "
                   f"{m['omega2_total']:.4f} |")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m asymptotics.validation.giant_step.correlated")
    ap.add_argument("--d", default="512,1024")
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--student", default="relu")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    setting = CHECK_D.replace(student=args.student)
    ck = None
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        ck = Checkpoint(Path(args.out) / "checkpoint_correlated.json", {"kind": "correlated"})
    t0 = time.perf_counter()
    rows = correlated_study(setting, [int(x) for x in args.d.split(",")], args.seeds, checkpoint=ck, progress=True)
    md = _md(rows, setting)
    print(md)
    if args.out:
        out = Path(args.out)
        cmd = "OPENBLAS_NUM_THREADS=1 nice -n 5 python3 -m asymptotics.validation.giant_step.correlated " + " ".join(argv or sys.argv[1:])
        name = f"correlated_{setting.student.name}"
        (out / f"{name}.json").write_text(json.dumps({"config": {"command": cmd, "setting": setting.to_dict(),
                                                                 "alphas": list(ALPHAS), "seeds": args.seeds,
                                                                 "wall_seconds": time.perf_counter() - t0},
                                                      "rows": rows}, indent=1))
        (out / f"{name}.md").write_text(f"# Correlated spike ({setting.student.name}): network vs sRF models\n\n"
                                        f"Command: `{cmd}`\n\n" + md + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
