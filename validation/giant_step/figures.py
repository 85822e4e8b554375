"""Giant-step figures (Cui et al. 2024; docs/gallery.md, docs/theory/spiked-rf.md §5)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from asymptotics.one_step.theory import kernel_lower_bound
from asymptotics.settings import GiantStep
from asymptotics.spiked_rf.theory import srf_curve

from ..summary import normalize_seeds
from ..store import Checkpoint, package_versions, write_figure

from ..one_step.figures import PanelSpec

#: A giant-step panel is a :class:`PanelSpec` whose base is a :class:`GiantStep`, x is ``"alpha"`` or
#: ``"eta_tilde"`` and whose "etas" are the η̃ values drawn as separate curves (η̃ = 0: random features).
GiantStepPanel = PanelSpec


def _lin(lo: float, hi: float, n: int) -> tuple[float, ...]:
    return tuple(float(v) for v in np.linspace(lo, hi, n))


GIANT_STEP_PANELS: dict = {
    "giant-tanh": GiantStepPanel(
        "giant-tanh", GiantStep("tanh", "tanh", alpha0=0.5, eta_tilde=1, alpha=1.0, lam=0.01), "alpha",
        _lin(0.1, 3.0, 59), (0.2, 0.667, 1.133, 1.6, 2.067, 2.533, 3.0), (1.0, 0.0), r"$\alpha = n/d$"),
    "giant-sin": GiantStepPanel(
        "giant-sin", GiantStep("tanh", "sin", alpha0=20, eta_tilde=3, alpha=1.0, lam=0.1), "alpha",
        _lin(0.1, 3.0, 59), (0.2, 0.9, 1.6, 2.3, 3.0), (3.0, 0.0), r"$\alpha = n/d$"),
    "giant-eta": GiantStepPanel(
        "giant-eta", GiantStep("tanh", "sin", alpha0=20, eta_tilde=0.0, alpha=2.0, lam=0.1), "eta_tilde",
        (0.0,) + _lin(0.05, 6.0, 120), (0.0, 0.25, 0.5, 1.0, 2.0, 3.0, 4.5, 6.0), (),
        r"$\tilde\eta$ (normalized learning rate)"),
}


@dataclass(frozen=True)
class GiantStepFigureData:
    """Numbers of a giant-step figure.

    ``theory``: {η̃ or "sRF": (x, test, train) arrays}; ``simulation``: {key: [(x, test mean, test SEM,
    train mean, train SEM, seeds), ...]}; ``lower_bound``: ‖P_{>1} f*‖²; ``config``: reproduces it.
    ``not_converged``: one dict {curve, x, value, residual, nit} per theory point whose fixed point did
    not converge — NaN in ``theory``, not drawn, ``converged = False`` in the CSV, counted in the
    figure's title and listed in the written JSON.
    """

    spec: GiantStepPanel
    theory: dict
    simulation: dict
    lower_bound: float
    config: dict = field(repr=False)
    not_converged: tuple = ()

    @property
    def n_theory_points(self) -> int:
        return sum(len(v[0]) for v in self.theory.values())

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["kind", "curve", self.spec.x, "test_error", "test_error_sem", "train_error", "train_error_sem", "seeds", "d",
                    "lower_bound", "converged"])
        for key, (xs, te, tr) in self.theory.items():
            for x, a, b in zip(xs, te, tr):
                w.writerow(["theory", key, x, a, "", b, "", "", "", self.lower_bound, bool(np.isfinite(a))])
        for key, pts in self.simulation.items():
            for x, m, s, tm, ts, k in pts:
                w.writerow(["simulation", key, x, m, s, tm, ts, k, self.config["d"], self.lower_bound, ""])
        return buf.getvalue()


def _theory_arrays(curve, key, x: str, failed: list) -> tuple:
    """(test, train) arrays of a theory curve, NaN where the fixed point did not converge; each such
    point is appended to ``failed``."""
    for r in curve:
        if not r.converged:
            failed.append({"curve": key, "x": x, "value": float(getattr(r.setting, x)),
                           "residual": float(r.residual), "nit": int(r.nit)})
    te = np.array([r.test_error if r.converged else np.nan for r in curve])
    tr = np.array([r.train_error if r.converged else np.nan for r in curve])
    return te, tr


def giant_step_figure_data(
    spec: "GiantStepPanel | str",
    d: int = 512,
    seeds: "int | list[int]" = 4,
    n_test: int = 10000,
    checkpoint: "str | Path | None" = None,
    progress: bool = False,
) -> GiantStepFigureData:
    """sRF theory curves and network simulation dots of a giant-step panel (module docstring).

    For an α panel one network per (η̃, seed) serves all simulated α; for the η̃ panel every η̃ is its
    own network.  Each finished seed is checkpointed.
    """
    from .simulation import simulate_giant_step

    if isinstance(spec, str):
        if spec not in GIANT_STEP_PANELS:
            raise ValueError(f"unknown giant-step panel {spec!r}; choose one of {', '.join(GIANT_STEP_PANELS)}")
        spec = GIANT_STEP_PANELS[spec]
    seeds = normalize_seeds(seeds)
    config = {"kind": "giant_step_figure", "panel": spec.to_dict(), "d": int(d), "seeds": list(seeds),
              "n_test": int(n_test), "theory": "asymptotics.spiked_rf.theory.srf_curve, backend=asymptotic, formula=corrected",
              "versions": package_versions()}
    ck = Checkpoint(checkpoint, config)
    theory, simulation, failed = {}, {}, []
    if spec.x == "alpha":
        for eta in spec.etas:
            s = spec.base.replace(eta_tilde=eta)
            theory[eta] = (np.array(spec.theory_grid), *_theory_arrays(
                srf_curve(s, "alpha", spec.theory_grid, raise_on_failure=False), eta, "alpha", failed))
            sims = simulate_giant_step(s, d, seeds, alphas=spec.sim_grid, n_test=n_test, checkpoint=ck,
                                       progress=progress)
            simulation[eta] = [(m.alpha, m.test_error_mean, m.test_error_sem, m.train_error_mean,
                                m.train_error_sem, len(m.seeds)) for m in sims]
    else:
        theory["sRF"] = (np.array(spec.theory_grid), *_theory_arrays(
            srf_curve(spec.base, spec.x, spec.theory_grid, raise_on_failure=False), "sRF", spec.x, failed))
        pts = []
        for x in spec.sim_grid:
            (m,) = simulate_giant_step(spec.base.replace(**{spec.x: x}), d, seeds, n_test=n_test, checkpoint=ck,
                                       progress=progress)
            pts.append((x, m.test_error_mean, m.test_error_sem, m.train_error_mean, m.train_error_sem, len(m.seeds)))
        simulation["network"] = pts
    return GiantStepFigureData(spec, theory, simulation, kernel_lower_bound(spec.base.teacher), config,
                               tuple(failed))


def plot_giant_step_figure(data: GiantStepFigureData):
    """α panels: test (left) and train (right) error, theory lines + network dots, RF dashed.
    η̃ panel: test error vs η̃ with the kernel lower bound (dashed) and the region below it shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    b = data.spec.base
    title = (f"{b.student.name} / {b.teacher.name}, $\\alpha_0$ = {b.alpha0:g}, $\\lambda$ = {b.lam:g}, "
             f"p/d = {b.width_ratio:g}; dots: network, d = {data.config['d']}, {len(data.config['seeds'])} seeds")
    if data.not_converged:
        title += (f"\n{len(data.not_converged)} of {data.n_theory_points} theory points did not converge "
                  "(not drawn; see CSV column 'converged')")
    if data.spec.x == "alpha":
        fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.4), constrained_layout=True)
        for key, color in zip(data.theory, ("C0", "C3")):
            xs, te, tr = data.theory[key]
            lab = "random features ($\\tilde\\eta$ = 0)" if key == 0 else f"one giant step, $\\tilde\\eta$ = {key:g}"
            ls = "--" if key == 0 else "-"
            pts = np.array([p[:5] for p in data.simulation.get(key, [])])
            for ax, ys, col in ((axes[0], te, 1), (axes[1], tr, 3)):
                ax.plot(xs, ys, ls=ls, color=color, lw=1.6, label=lab + " (sRF theory)")
                if len(pts):
                    ax.errorbar(pts[:, 0], pts[:, col], yerr=pts[:, col + 1], fmt="o", ms=4, color=color, capsize=2,
                                mfc="white" if key == 0 else color, lw=1)
        axes[0].axhline(data.lower_bound, color="k", ls=":", lw=1, label=r"kernel bound $\|P_{>1}f^*\|^2$")
        axes[0].set_ylabel("test error")
        axes[1].set_ylabel("train error")
        axes[1].set_yscale("log")
        for ax in axes:
            ax.set_xlabel(data.spec.xlabel)
        axes[0].legend(fontsize=7, frameon=False)
    else:
        fig, ax = plt.subplots(figsize=(4.8, 3.5), constrained_layout=True)
        xs, te, _ = data.theory["sRF"]
        # η̃ = 0 is plain RF; for any η̃ > 0 the large-d theory learns the spike's linear part through
        # the unregularized mean channel (docs/theory/spiked-rf.md §3.5), so the limit curve jumps at 0+: draw RF apart.
        pos = xs > 0
        ax.plot(xs[pos], te[pos], color="C0", lw=1.6, label="sRF theory ($\\tilde\\eta > 0$)")
        if np.any(~pos):
            ax.plot(xs[~pos], te[~pos], "*", color="C3", ms=9, label="RF theory ($\\tilde\\eta = 0$)")
        pts = np.array([p[:3] for p in data.simulation.get("network", [])])
        if len(pts):
            ax.errorbar(pts[:, 0], pts[:, 1], yerr=pts[:, 2], fmt="o", ms=4, color="C0", capsize=2, label="network")
        ax.axhline(data.lower_bound, color="k", ls="--", lw=1, label=r"every kernel: $\geq \|P_{>1}f^*\|^2$")
        ax.fill_between(xs, 0, data.lower_bound, where=np.nan_to_num(te, nan=np.inf) < data.lower_bound,
                        color="C2", alpha=0.15, label="feature learning beats kernels")
        ax.set_xlabel(data.spec.xlabel)
        ax.set_ylabel(f"test error at $\\alpha$ = {b.alpha:g}")
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=7, frameon=False)
    fig.suptitle(title, fontsize=8)
    return fig


def write_giant_step_figure(data: GiantStepFigureData, out_dir: "str | Path", stem: str | None = None) -> dict:
    """Write PNG, PDF, CSV and JSON configuration of a giant-step figure, each atomically."""
    stem = stem or f"fig_{data.spec.name.replace('-', '_')}"
    config = dict(data.config, not_converged=list(data.not_converged)) if data.not_converged else data.config
    return write_figure(plot_giant_step_figure(data), out_dir, stem, data.to_csv(), config)
