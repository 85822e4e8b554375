"""Monte Carlo of the heterogeneous-spike sRF, and its comparison with :mod:`asymptotics.spiked_rf.heterogeneous`.

The model simulated exactly (no network, no approximation): W0 ∈ R^{p×d} with unit rows, v uniform with
‖v‖² = d, ζ ⊥ v with ‖ζ‖² = d, θ = γv + ρζ (the draw order of :func:`asymptotics.validation.giant_step.srf_sampler.sample_srf`),
then (r_i, c_i) iid from the :class:`~asymptotics.spiked_rf.heterogeneous.SpikeLaw` (``law.sample``, same stream), and
the first layer F = diag(√c_i) W0 + (1/√d) r vᵀ.  The readout (fresh batch of n = αd samples, ridge with
the un-normalized λ, test error against the noise-free teacher) is :func:`asymptotics.validation.giant_step.simulation.readout_curve`,
with the random streams of :mod:`asymptotics.validation.giant_step.simulation` (seed → network, readout, readout-noise, test).
A continuous law is sampled exactly here (r_i = r(a_i) with a_i ~ N(0, 1)); the theory uses quadrature classes.

Run the recorded comparison (``results/giant_step/hetero/``)::

    OPENBLAS_NUM_THREADS=1 nice -n 5 python3 -m asymptotics.validation.giant_step.heterogeneous --d 256,512,1024 --seeds 8 \\
        --out results/giant_step/hetero

>>> from asymptotics.settings import GiantStep
>>> from asymptotics.spiked_rf.heterogeneous import SpikeLaw
>>> s = GiantStep("tanh", "tanh", alpha0=0.5, eta_tilde=1, alpha=1.0, lam=0.01)
>>> sim = simulate_hetero_srf(s, SpikeLaw.two_point(0.3, 1.2), 0.56, d=32, seeds=2, n_test=500)
>>> len(sim), sorted(sim[0])[:3]
(1, ['alpha', 'd', 'n_test'])
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from asymptotics.errors import InvalidParameterError
from asymptotics.settings import GiantStep
from asymptotics.spiked_rf.heterogeneous import SpikeLaw, hetero_srf_risk

from ..data import as_generator, check_int, spawn_generators
from .simulation import _STREAMS, readout_curve, readout_size
from .network import giant_step_sizes
from .srf_sampler import sample_spike_geometry
from ..summary import mean_sem, normalize_seeds
from ..store import Checkpoint

__all__ = ["HeteroSpikedFeatures", "sample_hetero_srf", "simulate_hetero_srf", "compare_hetero", "DEFAULT_GRID",
           "main"]


@dataclass(frozen=True)
class HeteroSpikedFeatures:
    """A sampled heterogeneous sRF first layer F = diag(√c) W0 + r vᵀ/√d and its teacher direction β = θ/√d."""

    W0: np.ndarray = field(repr=False)
    v: np.ndarray = field(repr=False)
    beta: np.ndarray = field(repr=False)
    r: np.ndarray = field(repr=False)
    c: np.ndarray = field(repr=False)
    F: np.ndarray = field(repr=False)

    @property
    def W(self) -> np.ndarray:
        return self.F


def sample_hetero_srf(law: SpikeLaw, gamma: float, p: int, d: int, rng) -> HeteroSpikedFeatures:
    """Draw order: W0 (unit rows), v, ζ, then (r_i, c_i) = ``law.sample(p, rng)``."""
    p = check_int("p", p, 1, "the width")
    d = check_int("d", d, 2, "the input dimension")
    if not -1 <= gamma <= 1:
        raise InvalidParameterError(f"gamma must lie in [-1, 1], got {gamma}")
    rng = as_generator(rng)
    W0, v, theta = sample_spike_geometry(p, d, gamma, rng)
    r, c = law.sample(p, rng)
    F = np.sqrt(c)[:, None] * W0 + np.outer(r, v) / math.sqrt(d)
    return HeteroSpikedFeatures(W0, v, theta / math.sqrt(d), r, c, F)


def _label(setting: GiantStep, law: SpikeLaw, gamma: float) -> str:
    s = setting
    return (f"hetero-srf|{s.student.name}/{s.teacher.name}|p/d={s.width_ratio:g}|lam={s.lam:g}|noise={s.noise:g}"
            f"|gamma={gamma:.12g}|law={json.dumps(law.to_dict(), sort_keys=True)}")


def simulate_hetero_srf(setting: GiantStep, law: SpikeLaw, gamma: float, d: int, seeds, alphas=None,
                        n_test: int = 10000, checkpoint: "Checkpoint | None" = None, progress: bool = False):
    """Mean ± SEM over seeds of the test/train error of the heterogeneous sRF, one dict per α."""
    d = check_int("d", d, 2, "the input dimension")
    seeds = normalize_seeds(seeds)
    alphas = (setting.alpha,) if alphas is None else tuple(float(a) for a in alphas)
    for a in alphas:
        readout_size(a, d)
    p, _ = giant_step_sizes(setting, d)
    per = []
    for seed in seeds:
        t0 = time.perf_counter()

        def compute():
            rngs = spawn_generators(seed, _STREAMS)
            inst = sample_hetero_srf(law, gamma, p, d, rngs["network"])
            return readout_curve(inst.F, inst.beta, setting, alphas, spawn_generators(seed, _STREAMS), n_test)

        key = f"{_label(setting, law, gamma)}|d={d}|seed={seed}|alphas={','.join(f'{a:g}' for a in alphas)}|n_test={n_test}"
        rec = checkpoint.get_or_compute(key, compute) if checkpoint is not None else compute()
        per.append([tuple(x) for x in rec])
        if progress:
            print(f"[hetero-srf d={d}] seed {seed}: " + " ".join(f"{t:.4f}" for t, _ in per[-1])
                  + f" ({time.perf_counter() - t0:.1f}s)", file=sys.stderr, flush=True)
    out = []
    for i, a in enumerate(alphas):
        tm, ts = mean_sem([x[i][0] for x in per])
        rm, rs = mean_sem([x[i][1] for x in per])
        out.append({"alpha": a, "d": d, "p": p, "seeds": list(seeds), "test_error_mean": tm, "test_error_sem": ts,
                    "train_error_mean": rm, "train_error_sem": rs, "n_test": n_test,
                    "per_seed_test": [x[i][0] for x in per]})
    return out


#: The recorded grid: (student, law, γ).  Laws: a two-point law (r ∈ {0.3, 1.2}) and a Gaussian law
#: r_i = 0.9 a_i (Ba et al.'s readout), both with c = 1.08; teacher tanh, λ = 0.01, p = d.
DEFAULT_GRID = tuple(
    (student, name, law)
    for student in ("tanh", "erf", "relu")
    for name, law in (("two-point 0.3/1.2", SpikeLaw.two_point(0.3, 1.2, c=1.08)),
                      ("gaussian 0.9a", SpikeLaw.gaussian(r1=0.9, s0=math.sqrt(1.08))))
)
DEFAULT_GAMMA = 0.56
DEFAULT_ALPHAS = (0.5, 1.5, 3.0)


def compare_hetero(ds: Sequence[int], seeds, alphas=DEFAULT_ALPHAS, grid=DEFAULT_GRID, gamma=DEFAULT_GAMMA,
                   teacher="tanh", lam=0.01, n_test=10000, checkpoint=None, progress=False) -> list[dict]:
    """Theory (large-d) vs Monte Carlo of the heterogeneous sRF over ``grid`` × ``alphas`` × ``ds``."""
    rows = []
    for student, name, law in grid:
        s0 = GiantStep(student, teacher, alpha0=1.0, eta_tilde=1.0, alpha=alphas[0], lam=lam)
        theory = {a: hetero_srf_risk(s0.replace(alpha=a), law, gamma) for a in alphas}
        for d in ds:
            sims = simulate_hetero_srf(s0, law, gamma, d, seeds, alphas, n_test, checkpoint, progress)
            for a, sim in zip(alphas, sims):
                t = theory[a].test_error
                rows.append({"student": student, "teacher": teacher, "law": name, "law_spec": law.to_dict(),
                             "gamma": gamma, "lam": lam, "alpha": a, "d": d, "test_error_theory": t,
                             "train_error_theory": theory[a].train_error, **{k: sim[k] for k in (
                                 "test_error_mean", "test_error_sem", "train_error_mean", "train_error_sem",
                                 "seeds", "per_seed_test")},
                             "gap": (sim["test_error_mean"] - t) / t,
                             "within": abs(sim["test_error_mean"] - t) <= 3 * sim["test_error_sem"] + 0.01 * t})
    return rows


def _table(rows) -> str:
    lines = ["| student | law | α | d | theory | MC (mean ± SEM) | gap | z | within 3 SEM + 1 % |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        z = (r["test_error_mean"] - r["test_error_theory"]) / r["test_error_sem"] if r["test_error_sem"] > 0 else float("nan")
        lines.append(f"| {r['student']}/{r['teacher']} | {r['law']} | {r['alpha']:g} | {r['d']} | {r['test_error_theory']:.4f} | "
                     f"{r['test_error_mean']:.4f} ± {r['test_error_sem']:.4f} | {100 * r['gap']:+.2f} % | {z:+.1f} | "
                     f"{'yes' if r['within'] else 'NO'} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m asymptotics.validation.giant_step.heterogeneous",
                                 description="heterogeneous-spike sRF: theory vs Monte Carlo")
    ap.add_argument("--d", default="256,512")
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--n-test", type=int, default=10000)
    ap.add_argument("--students", default="tanh,erf,relu")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    try:
        ds = [int(x) for x in args.d.split(",")]
        students = set(args.students.split(","))
        grid = tuple(g for g in DEFAULT_GRID if g[0] in students)
        ck = None
        if args.out:
            Path(args.out).mkdir(parents=True, exist_ok=True)
            ck = Checkpoint(Path(args.out) / "checkpoint_hetero_srf.json", {"kind": "compare_hetero"})
        t0 = time.perf_counter()
        rows = compare_hetero(ds, args.seeds, grid=grid, n_test=args.n_test, checkpoint=ck, progress=True)
    except (InvalidParameterError, ValueError) as exc:
        print(f"srf_hetero_sim: error: {exc}", file=sys.stderr)
        return 2
    table = _table(rows)
    print(table)
    if args.out:
        cmd = "OPENBLAS_NUM_THREADS=1 nice -n 5 python3 -m asymptotics.validation.giant_step.heterogeneous " + " ".join(argv or sys.argv[1:])
        cfg = {"command": cmd, "ds": ds, "seeds": args.seeds, "n_test": args.n_test, "alphas": list(DEFAULT_ALPHAS),
               "gamma": DEFAULT_GAMMA, "teacher": "tanh", "lam": 0.01, "width_ratio": 1.0,
               "grid": [{"student": g[0], "law": g[1], "law_spec": g[2].to_dict()} for g in grid],
               "wall_seconds": time.perf_counter() - t0}
        out = Path(args.out)
        (out / "compare_hetero_srf.json").write_text(json.dumps({"config": cfg, "rows": rows}, indent=1))
        (out / "compare_hetero_srf.md").write_text(
            "# Heterogeneous-spike sRF: large-d theory vs Monte Carlo of the model\n\n"
            f"Command: `{cmd}`\n\n" + table + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
