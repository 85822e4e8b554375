"""Paper figures: theory curves, simulation dots with error bars, the kernel lower bound.

Each figure is computed as data first (:func:`one_step_figure_data`, no plotting), then drawn
(:func:`plot_one_step_figure`), and always written together with the CSV of its numbers and the
JSON configuration that produced it (:func:`write_one_step_figure`).

Panels (Ba et al. Fig. 3; docs/gallery.md):

* ``3a`` risk vs ψ1, tanh student / SoftPlus teacher, ψ2 = 2, λ = 1e-4, σ_ε = 0.25;
* ``3b`` risk vs ψ2, tanh student / ReLU teacher, ψ1 = 5, λ = 1e-2, σ_ε = 0.1;

for η ∈ {0, 1, 2, 4}.  The paper's teachers are centered (Assumption 1, μ0* = 0); ``centered=False``
draws the raw teachers.

Giant step (Cui et al. 2024; docs/gallery.md, docs/theory/spiked-rf.md §5), :func:`giant_step_figure_data`:

* ``giant-tanh``: test and train error vs α, tanh / tanh, α0 = 0.5, η̃ = 1, λ = 0.01;
* ``giant-sin``: the same for tanh / sin, α0 = 20, η̃ = 3, λ = 0.1;

sRF theory curves (:func:`asymptotics.spiked_rf.theory.srf_curve`, large-d back-end) with network Monte Carlo dots
(:func:`asymptotics.validation.giant_step.simulation.simulate_giant_step`), and random features (η̃ = 0) for contrast;

* ``giant-eta``: test error vs η̃ at fixed α (tanh / sin, α0 = 20, α = 2, λ = 0.1) with the kernel
  lower bound ‖P_{>1} f*‖² = μ*(σ*)² (the teacher σ*(⟨θ, x⟩/√d) has a unit-variance argument, so the
  bound of :func:`asymptotics.one_step.theory.kernel_lower_bound` applies unchanged): below it, feature
  learning beats every kernel method at n ∝ d.
"""

from __future__ import annotations

import csv
import io
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from asymptotics.one_step.theory import kernel_lower_bound, one_step_curve
from asymptotics.settings import GiantStep, OneStep

from ..summary import RECORD_NAMES, mean_sem, normalize_seeds
from .simulation import simulate_seed
from ..store import Checkpoint, package_versions, write_figure


@dataclass(frozen=True)
class PanelSpec:
    """What one panel shows: a base setting (:class:`OneStep` or :class:`GiantStep`), the swept
    parameter and its theory / simulation grids, and the step sizes drawn as separate curves."""

    name: str
    base: "OneStep | GiantStep"
    x: str
    theory_grid: tuple[float, ...]
    sim_grid: tuple[float, ...]
    etas: tuple[float, ...]
    xlabel: str

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "base": self.base.to_dict(),
            "x": self.x,
            "theory_grid": list(self.theory_grid),
            "sim_grid": list(self.sim_grid),
            "etas": list(self.etas),
        }


def _log_grid(lo: float, hi: float, n: int = 100) -> tuple[float, ...]:
    return tuple(float(v) for v in np.geomspace(lo, hi, n))


def panel(name: str, centered: bool = True, quick: bool = False) -> PanelSpec:
    """The spec of panel ``"3a"`` or ``"3b"``; ``quick`` thins the simulation grid."""
    pre = "centered:" if centered else ""
    if name == "3a":
        sim = (0.5, 1, 4, 8, 16) if quick else (0.5, 1, 2, 4, 8, 16, 32)
        return PanelSpec(
            "3a", OneStep("tanh", pre + "softplus", psi1=1, psi2=2, lam=1e-4, noise=0.25), "psi1",
            _log_grid(0.4, 40), tuple(float(v) for v in sim), (0.0, 1.0, 2.0, 4.0),
            r"sample ratio $\psi_1 = n/d$",
        )
    if name == "3b":
        # ψ2 = 16 (N = 16 d) is left out of the simulated grid: its cost is dominated by the
        # N-wide test evaluation; the theory curve covers it.
        sim = (0.25, 0.5, 1, 2, 4) if quick else (0.25, 0.5, 1, 2, 4, 8)
        return PanelSpec(
            "3b", OneStep("tanh", pre + "relu", psi1=5, psi2=1, lam=1e-2, noise=0.1), "psi2",
            _log_grid(0.2, 20), tuple(float(v) for v in sim), (0.0, 1.0, 2.0, 4.0),
            r"width ratio $\psi_2 = N/d$",
        )
    raise ValueError(f"unknown panel {name!r}; choose 3a or 3b")


PANELS = ("3a", "3b")


@dataclass(frozen=True)
class FigureData:
    """Numbers of one panel: theory curves per η, simulation mean ± SEM per (η, x), lower bound."""

    spec: PanelSpec
    theory: dict  # eta -> (x array, test-error array)
    simulation: dict  # eta -> list of (x, mean, sem, n_seeds)
    lower_bound: float
    config: dict = field(repr=False)

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["kind", self.spec.x, "eta", "test_error", "test_error_sem", "seeds", "d", "lower_bound"])
        for eta, (xs, rs) in self.theory.items():
            for x, r in zip(xs, rs):
                w.writerow(["theory", x, eta, r, "", "", "", self.lower_bound])
        for eta, pts in self.simulation.items():
            for x, m, s, k in pts:
                w.writerow(["simulation", x, eta, m, s, k, self.config["d"], self.lower_bound])
        return buf.getvalue()


def one_step_figure_data(
    spec: PanelSpec,
    d: int = 512,
    seeds: "int | list[int]" = 20,
    n_test: int = 20000,
    checkpoint: "str | Path | None" = None,
    progress: bool = False,
) -> FigureData:
    """Theory curves (100 points per η) and simulation dots (all seeds at each grid point)."""
    seeds = normalize_seeds(seeds)
    config = {
        "kind": "one_step_figure",
        "record_names": RECORD_NAMES,
        "panel": spec.to_dict(),
        "d": int(d),
        "seeds": list(seeds),
        "n_test": int(n_test),
        "versions": package_versions(),
    }
    theory = {}
    for eta in spec.etas:
        curve = one_step_curve(spec.base.replace(eta=eta), spec.x, spec.theory_grid)
        theory[eta] = (np.array(spec.theory_grid), np.array([r.test_error for r in curve]))
    ck = Checkpoint(checkpoint, config)
    simulation = {}
    for eta in spec.etas:
        pts = []
        for x in spec.sim_grid:
            s = spec.base.replace(eta=eta, **{spec.x: x})
            risks = []
            for seed in seeds:
                t0 = time.perf_counter()
                rec = ck.get_or_compute(
                    f"eta={eta}|{spec.x}={x}|seed={seed}",
                    lambda: simulate_seed(s, d, seed, n_test=n_test).to_dict(),
                )
                risks.append(rec["test_error"])
                if progress:
                    print(f"[figure {spec.name}] eta={eta:g} {spec.x}={x:g} seed={seed}: "
                          f"{rec['test_error']:.4f} ({time.perf_counter() - t0:.1f}s)", file=sys.stderr, flush=True)
            m, sem = mean_sem(risks)
            pts.append((x, m, sem, len(risks)))
        simulation[eta] = pts
    return FigureData(spec, theory, simulation, kernel_lower_bound(spec.base.teacher), config)


def plot_one_step_figure(data: FigureData):
    """A matplotlib Figure: solid theory curves, dots with error bars, dashed lower bound."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.6, 3.4), constrained_layout=True)
    cmap = plt.get_cmap("viridis")
    etas = list(data.theory)
    for i, eta in enumerate(etas):
        color = cmap(0.1 + 0.75 * i / max(1, len(etas) - 1))
        xs, rs = data.theory[eta]
        ax.plot(xs, rs, color=color, lw=1.6, label=rf"$\eta = {eta:g}$")
        pts = np.array([(x, m, s) for x, m, s, _ in data.simulation.get(eta, [])])
        if len(pts):
            ax.errorbar(pts[:, 0], pts[:, 1], yerr=pts[:, 2], fmt="o", ms=3.5, color=color,
                        capsize=2, lw=1)
    ax.axhline(data.lower_bound, color="k", ls="--", lw=1, label=r"$\|P_{>1} f^*\|^2$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(data.spec.xlabel)
    ax.set_ylabel("prediction risk")
    b = data.spec.base
    ax.set_title(
        f"{b.student.name} / {b.teacher.name}, d = {data.config['d']}, "
        f"{len(data.config['seeds'])} seeds", fontsize=9,
    )
    ax.legend(fontsize=7, frameon=False)
    return fig


def write_one_step_figure(data: FigureData, out_dir: "str | Path", stem: str | None = None) -> dict:
    """Write PNG, PDF, CSV and JSON configuration, each atomically; returns the paths."""
    stem = stem or f"fig{data.spec.name}"
    return write_figure(plot_one_step_figure(data), out_dir, stem, data.to_csv(), data.config)


# ------------------------------------------------------------------------------------------------
# giant step (Cui et al. 2024)
