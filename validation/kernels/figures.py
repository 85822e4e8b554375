"""Kernel-regime figures: the KRR staircase, and escaping the kernel regime (docs/theory/kernels.md).

Each figure is data first (:func:`staircase_data`, :func:`escape_data`, resumable through a
:class:`asymptotics.validation.store.Checkpoint`), then drawn, then written as PNG + PDF + CSV + JSON config (+ a
Markdown table), each file atomically (:func:`asymptotics.validation.store.write_atomic`).

* Staircase (docs/theory/kernels.md §5.1 E1, §6.2–6.4, §6.7): KRR test error vs κ = log n / log d for several d,
  exact-kernel simulation (mean ± SEM over seeds) against the finite-d deterministic equivalent
  (:func:`asymptotics.kernels.theory.krr_risk`), the asymptotic transition formula at the nearest
  n ≈ B(d, ℓ) (:func:`asymptotics.kernels.theory.krr_transition`) and the staircase ‖P_{>⌊κ⌋} f*‖².
  Agreement criterion: |sim − theory| ≤ 5 % · theory + 3 SEM.
* Escape (docs/theory/kernels.md §5.1 E3, ours): test error vs n for NTK regression (exact kernel KRR), the QuadNTK
  model and the regularized network (:mod:`asymptotics.validation.kernels.beyond_kernel`) on the same dense-quadratic +
  sparse-cubic target, and the sample size each needs to reach a stated error, per d.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from asymptotics.gegenbauer import harmonic_dimension
from asymptotics.kernels.theory import (
    KernelRidge,
    TargetProfile,
    kernel_gegenbauer,
    krr_curve,
    krr_staircase,
    krr_transition,
)

from .beyond_kernel import TrainConfig, train_quadntk, train_regularized
from .simulation import kernel_gram, kernel_ridge_fit_predict, low_degree_plus_sparse, simulate_krr, sphere_inputs
from ..data import spawn_generators
from ..summary import RECORD_NAMES, mean_sem, normalize_seeds
from ..store import Checkpoint, package_versions, write_figure

__all__ = ["StaircaseData", "staircase_data", "write_staircase_figure", "EscapeData", "escape_data",
           "sample_size_to_reach", "write_escape_figure", "escape_diagnostics"]


def _csv(header, rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# staircase


@dataclass(frozen=True)
class StaircaseData:
    """Rows (d, n, κ, sim mean, sem, seeds, finite-d theory, asymptotic §6.3, staircase §6.2, agree)."""

    rows: tuple
    curves: dict = field(repr=False)   # d -> (n grid, finite-d theory, staircase)
    config: dict = field(repr=False)

    HEADER = ("d", "n", "kappa", "test_error_mean", "test_error_sem", "seeds", "test_error_finite_d",
              "test_error_asymptotic", "ell_asym", "staircase", "rel_gap", "agree")

    def to_csv(self) -> str:
        return _csv(self.HEADER, self.rows)

    def to_markdown(self) -> str:
        lines = ["| d | n | κ=log n/log d | simulation (mean ± SEM) | finite-d (§6.4) | asymptotic (§6.3, ℓ) | "
                 "staircase (§6.2) | rel. gap | within 5 % + 3 SEM |", "|" + "---|" * 9]
        for d, n, k, m, s, K, fd, asy, ell, st, gap, ok in self.rows:
            lines.append(f"| {d} | {n} | {k:.2f} | {m:.4f} ± {s:.4f} | {fd:.4f} | {asy:.4f} (ℓ={ell}) | {st:.3f} | "
                         f"{gap:+.3f} | {'yes' if ok else 'NO'} |")
        skipped = self.skipped()
        if skipped:
            lines += ["", f"Not simulated (n = d^κ outside [2, max_n = {self.config['max_n']}]): "
                      + "; ".join(f"d={d}: κ ∈ {{{', '.join(f'{k:g}' for k in ks)}}}" for d, ks in skipped.items())
                      + "."]
        return "\n".join(lines) + "\n"

    def skipped(self) -> dict:
        """{d: [κ, ...]} of the requested κ whose n = round(d^κ) was not simulated (outside [2, max_n])."""
        cfg = self.config
        out = {d: [k for k in cfg["kappas"] if not 2 <= d ** k <= cfg["max_n"]] for d in cfg["ds"]}
        return {d: ks for d, ks in out.items() if ks}


def _asymptotic(setting: KernelRidge, n: float) -> tuple[float, int]:
    """§6.3 at the level ℓ whose B(d, ℓ) is nearest to n in log scale (ℓ with ξ_ℓ > 0)."""
    g = kernel_gegenbauer(setting.kernel_fn, setting.d, 6)
    cands = [l for l in range(1, 6) if g.xi[l] > 1e-10]
    ell = min(cands, key=lambda l: abs(math.log(n / harmonic_dimension(setting.d, l))))
    # degrees below ℓ that the kernel cannot see (ξ_k = 0, e.g. odd k ≥ 3 for ReLU) are never learned
    # (§6.2): move their energy to the unresolved tail, where §6.3 counts it as floor and as noise.
    F2 = list(setting.target.F2)
    moved = sum(F2[k] for k in range(min(ell, len(F2))) if g.xi[k] <= 1e-10)
    for k in range(min(ell, len(F2))):
        if g.xi[k] <= 1e-10:
            F2[k] = 0.0
    prof = TargetProfile(tuple(F2), setting.target.tail + moved)
    t = krr_transition(g.xi[: ell + 1], setting.kernel_fn.h1, prof, ell,
                       n / harmonic_dimension(setting.d, ell), setting.lam, setting.noise)
    return t.test_error, ell


def staircase_data(ds=(20, 40), kappas=None, *, kernel="ntk", activation="relu",
                   target="1:1,2:1,3:0.25,4:0.25", noise=0.5, lam=0.0, seeds=4, n_test=2000,
                   max_n: int = 6000, checkpoint=None, progress: bool = False) -> StaircaseData:
    """KRR staircase data (docs/theory/kernels.md §5.1 E1; §6.7 setup by default): exact-kernel simulation at n = round(d^κ)."""
    seeds = normalize_seeds(seeds)
    kappas = tuple(kappas) if kappas is not None else tuple(np.round(np.arange(0.75, 3.01, 0.25), 2))
    config = {"kind": "krr_staircase", "ds": list(ds), "kappas": list(kappas), "kernel": kernel,
              "activation": str(activation), "target": target, "noise": noise, "lam": lam,
              "seeds": list(seeds), "n_test": n_test, "max_n": max_n, "versions": package_versions(),
              "criterion": "|sim - finite_d| <= 0.05 finite_d + 3 sem"}
    ck = Checkpoint(checkpoint, config)
    rows, curves = [], {}
    for d in ds:
        base = KernelRidge(kernel, activation, d=d, n=1, lam=lam, noise=noise, target=target)
        ns = sorted({int(round(d ** k)) for k in kappas if 2 <= d ** k <= max_n})
        grid = np.unique(np.geomspace(2, max_n, 120).round())
        if lam == 0:
            grid = grid[np.abs(grid - harmonic_dimension(d, 1)) > 0.5]
        th_grid = krr_curve(base, "n", grid)
        curves[d] = (grid, np.array([r.test_error for r in th_grid]),
                     np.asarray(krr_staircase(base.target, np.log(grid) / math.log(d),
                                              xi=kernel_gegenbauer(base.kernel_fn, d, 8).xi)))
        for n in ns:
            t0 = time.perf_counter()
            sim = simulate_krr(base.replace(n=n), seeds, n_test, checkpoint=ck)
            fd = sim.theory.test_error
            asy, ell = _asymptotic(base, n)
            gap = (sim.test_error_mean - fd) / fd
            ok = abs(sim.test_error_mean - fd) <= 0.05 * fd + 3 * sim.test_error_sem
            rows.append((d, n, math.log(n) / math.log(d), sim.test_error_mean, sim.test_error_sem, len(seeds), fd,
                         asy, ell, sim.theory.staircase, gap, bool(ok)))
            if progress:
                print(f"d={d} n={n} sim={sim.test_error_mean:.4f}±{sim.test_error_sem:.4f} th={fd:.4f} "
                      f"({time.perf_counter() - t0:.1f}s)", file=sys.stderr, flush=True)
    return StaircaseData(tuple(rows), curves, config)


def write_staircase_figure(data: StaircaseData, out_dir="results/kernels", stem="krr_staircase") -> dict:
    """Risk vs log n / log d, one colour per d: finite-d theory (line), asymptotic §6.3 (dashed),
    staircase (dotted), simulation (dots ± 2 SEM)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for i, (d, (grid, th, st)) in enumerate(sorted(data.curves.items())):
        c = f"C{i}"
        k = np.log(grid) / math.log(d)
        ax.plot(k, th, color=c, lw=1.5, label=f"d={d}: finite-d equivalent (§6.4)")
        ax.plot(k, st, color=c, lw=1, ls=":", label=f"d={d}: staircase (§6.2)")
        pts = [r for r in data.rows if r[0] == d]
        ax.plot([r[2] for r in pts], [r[7] for r in pts], color=c, ls="--", lw=0.8, marker="x", ms=4,
                label=f"d={d}: asymptotic (§6.3)")
        ax.errorbar([r[2] for r in pts], [r[3] for r in pts], yerr=[2 * r[4] for r in pts], fmt="o", ms=4,
                    color=c, mfc="white", label=f"d={d}: simulation (±2 SEM)")
    ax.set_xlabel(r"$\kappa = \log n / \log d$")
    ax.set_ylabel(r"test error $E(\hat f - f^*)^2$")
    cfg = data.config
    ax.set_title(f"KRR, {cfg['kernel']} kernel ({cfg['activation']}), target {cfg['target']}, "
                 f"σ_ε={cfg['noise']}, λ={cfg['lam']}", fontsize=8)
    ax.set_ylim(0, None)
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    return write_figure(fig, Path(out_dir), stem, data.to_csv(), data.config, data.to_markdown())


# --------------------------------------------------------------------------------------------
# escaping the kernel regime


def _ntk_regression(target, n: int, seed: int, activation, lam: float, n_test: int, residuals: bool = False):
    """Exact NTK kernel ridge regression on the same target (same data streams as the networks);
    the test error, and with ``residuals`` also the per-component residuals of the target."""
    from asymptotics.kernels.theory import dot_product_kernel

    rngs = spawn_generators(seed, ("init", "train", "test", "unlabeled", "movement"))
    X = sphere_inputs(n, target.d, rngs["train"])
    Xt = sphere_inputs(n_test, target.d, rngs["test"])
    k = dot_product_kernel(activation, "ntk")
    pred, _ = kernel_ridge_fit_predict(kernel_gram(k, X), kernel_gram(k, Xt, X), target(X), lam)
    err = float(np.mean((pred - target(Xt)) ** 2))
    return (err, target.component_residuals(pred, Xt)) if residuals else err


def escape_diagnostics(d: int, n: int, seed: int = 0, *, activation="tanh(z + 1/2)", dense=None, sparse=None,
                       krr_lam: float = 1e-3, cfg: TrainConfig = TrainConfig(), n_test: int = 2000) -> dict:
    """One (d, n, seed) of the escape experiment with, per method, the test error and the error energy
    left along each target component (dense quadratic / sparse cubic): which part each method learns."""
    target = low_degree_plus_sparse(d, np.random.default_rng([12345, d]), dense, sparse)
    out = {}
    err, res = _ntk_regression(target, n, seed, activation, krr_lam, n_test, residuals=True)
    out["ntk_krr"] = {"test_error": err, "residual": res}
    for meth, fn, c in (("quadntk", train_quadntk, cfg), ("regularized", train_regularized, cfg),
                        ("network_gd", train_regularized, dataclasses.replace(cfg, lam_l=0.0, lam_q=0.0))):
        r = fn(target, n, seed, c, activation=activation, n_test=n_test)
        out[meth] = {"test_error": r.test_error, "residual": r.component_residual, "train_error": r.train_error,
                     "weight_norm": r.weight_norm, "ntk_term_norm2": r.linear_part_norm2}
    return out


def sample_size_to_reach(ns, errors, eps: float) -> float | None:
    """Smallest n at which the mean error curve crosses ``eps`` (log-linear interpolation between grid
    points; None if never reached; ns[0] if already below)."""
    ns, errors = np.asarray(ns, float), np.asarray(errors, float)
    if errors[0] <= eps:
        return float(ns[0])
    for i in range(1, len(ns)):
        if errors[i] <= eps:
            e0, e1 = errors[i - 1], errors[i]
            t = (e0 - eps) / (e0 - e1)
            return float(math.exp(math.log(ns[i - 1]) + t * (math.log(ns[i]) - math.log(ns[i - 1]))))
    return None


@dataclass(frozen=True)
class EscapeData:
    """Per (method, d, n): mean ± SEM test error over seeds; sample sizes to reach ``eps``."""

    rows: tuple          # (method, d, n, test_error_mean, test_error_sem, seeds, train_error_mean, weight_norm mean)
    eps: float
    config: dict = field(repr=False)

    HEADER = ("method", "d", "n", "test_error_mean", "test_error_sem", "seeds", "train_error_mean", "weight_norm")

    def curve(self, method: str, d: int):
        pts = sorted((r for r in self.rows if r[0] == method and r[1] == d), key=lambda r: r[2])
        return [r[2] for r in pts], [r[3] for r in pts], [r[4] for r in pts]

    def sample_sizes(self) -> dict:
        """{method: {d: n_eps or None}} and the fitted exponent of n_eps ∝ d^a (when ≥ 2 d reached)."""
        out = {}
        for meth in sorted({r[0] for r in self.rows}):
            per = {}
            for d in sorted({r[1] for r in self.rows}):
                ns, m, _ = self.curve(meth, d)
                per[d] = sample_size_to_reach(ns, m, self.eps) if ns else None
            reached = [(d, v) for d, v in per.items() if v is not None]
            slope = (float(np.polyfit(np.log([d for d, _ in reached]), np.log([v for _, v in reached]), 1)[0])
                     if len(reached) >= 2 else None)
            out[meth] = {"n_eps": per, "exponent": slope}
        return out

    def to_csv(self) -> str:
        return _csv(self.HEADER, self.rows)

    def to_markdown(self) -> str:
        lines = ["| method | d | n | test error (mean ± SEM) | seeds | train error | ‖W‖_F |", "|" + "---|" * 7]
        for meth, d, n, m, s, k, tr, wn in self.rows:
            lines.append(f"| {meth} | {d} | {n} | {m:.4f} ± {s:.4f} | {k} | {'' if tr is None else f'{tr:.4f}'} | "
                         f"{'' if wn is None else f'{wn:.2f}'} |")
        lines += ["", f"Sample size to reach test error ≤ {self.eps} (log-linear interpolation on the grid):", "",
                  "| method | " + " | ".join(f"d={d}" for d in self.config["ds"]) + " | exponent a in n ∝ d^a |",
                  "|" + "---|" * (len(self.config["ds"]) + 2)]
        for meth, v in self.sample_sizes().items():
            cells = [("not reached" if v["n_eps"].get(d) is None else f"{v['n_eps'][d]:.0f}") for d in self.config["ds"]]
            a = "n/a" if v["exponent"] is None else f"{v['exponent']:.2f}"
            lines.append(f"| {meth} | " + " | ".join(cells) + f" | {a} |")
        skipped = self.skipped()
        if skipped:
            lines += ["", "Not run (n above the method's cap: networks "
                      f"{self.config['net_max_n']}, NTK regression {self.config['krr_max_n']}): "
                      + "; ".join(f"{m} d={d}: n ∈ {{{', '.join(map(str, ns))}}}" for (m, d), ns in skipped.items())
                      + "."]
        return "\n".join(lines) + "\n"

    def skipped(self) -> dict:
        """{(method, d): [n, ...]} of the grid points n = round(d^κ) not run because n exceeds the cap."""
        cfg, out = self.config, {}
        for d in cfg["ds"]:
            ns = sorted({int(round(d ** k)) for k in cfg["kappas"]})
            for m in cfg["methods"]:
                cap = cfg["krr_max_n"] if m == "ntk_krr" else cfg["net_max_n"]
                if [n for n in ns if n > cap]:
                    out[(m, d)] = [n for n in ns if n > cap]
        return out


ESCAPE_METHODS = ("ntk_krr", "quadntk", "regularized", "network_gd")


def escape_data(ds=(8, 12, 16), kappas=(1.5, 1.75, 2.0, 2.25, 2.5, 2.75, 3.0), *, seeds=3,
                activation="tanh(z + 1/2)", dense=None, sparse=None, eps: float = 0.5, krr_lam: float = 1e-3,
                cfg: TrainConfig = TrainConfig(), net_max_n: int = 2048, krr_max_n: int = 6000, n_test: int = 2000,
                methods=ESCAPE_METHODS, checkpoint=None, progress: bool = False) -> EscapeData:
    """Test error vs n = round(d^κ) of the three methods on f* = dense quadratic + sparse cubic (§5.1 E3).

    The target is drawn once per d from seed 12345 (stream independent of the training seeds); each
    seed draws the init, the training / test inputs and the unlabeled points.  Networks are run for
    n ≤ ``net_max_n`` only (time budget), NTK regression up to ``krr_max_n``."""
    seeds = normalize_seeds(seeds)
    dense = {2: 1.0} if dense is None else dense
    sparse = {3: 1.0} if sparse is None else sparse
    config = {"kind": "escape_kernel", "record_names": RECORD_NAMES, "ds": list(ds), "kappas": list(kappas), "seeds": list(seeds),
              "activation": activation, "dense": {str(k): v for k, v in dense.items()},
              "sparse": {str(k): v for k, v in sparse.items()}, "eps": eps, "krr_lam": krr_lam,
              "train": cfg.to_dict(), "net_max_n": net_max_n, "krr_max_n": krr_max_n, "n_test": n_test,
              "methods": list(methods), "target_seed": 12345, "versions": package_versions()}
    # the n caps only select which units run; a unit's record is determined by the rest of the
    # configuration, so raising a cap resumes the same checkpoint
    ck = Checkpoint(checkpoint, {k: v for k, v in config.items() if k not in ("net_max_n", "krr_max_n")})
    rows = []
    for d in ds:
        target = low_degree_plus_sparse(d, np.random.default_rng([12345, d]), dense, sparse)
        ns = sorted({int(round(d ** k)) for k in kappas})
        for meth in methods:
            for n in ns:
                if n > (krr_max_n if meth == "ntk_krr" else net_max_n):
                    continue
                recs = []
                for sd in seeds:
                    def run(sd=sd, meth=meth, n=n):
                        t0 = time.perf_counter()
                        if meth == "ntk_krr":
                            out = {"test_error": _ntk_regression(target, n, sd, activation, krr_lam, n_test),
                                   "train_error": None, "wn": None}
                        else:
                            fn = train_quadntk if meth == "quadntk" else train_regularized
                            c = cfg if meth != "network_gd" else dataclasses.replace(cfg, lam_l=0.0, lam_q=0.0)
                            r = fn(target, n, sd, c, activation=activation, n_test=n_test)
                            out = {"test_error": r.test_error, "train_error": r.train_error, "wn": r.weight_norm}
                        if progress:
                            print(f"{meth} d={d} n={n} seed={sd}: {out['test_error']:.4f} "
                                  f"({time.perf_counter() - t0:.1f}s)", file=sys.stderr, flush=True)
                        return out
                    recs.append(ck.get_or_compute(f"{meth}|d={d}|n={n}|seed={sd}", run))
                m, s = mean_sem([r["test_error"] for r in recs])
                tr = [r["train_error"] for r in recs if r["train_error"] is not None]
                wn = [r["wn"] for r in recs if r["wn"] is not None]
                rows.append((meth, d, n, m, s, len(seeds), float(np.mean(tr)) if tr else None,
                             float(np.mean(wn)) if wn else None))
    return EscapeData(tuple(rows), eps, config)


def write_escape_figure(data: EscapeData, out_dir="results/kernels", stem="escape_kernel") -> dict:
    """Test error vs n (log) per d, one panel per d, the three methods, ε as a horizontal line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    ds = data.config["ds"]
    fig, axes = plt.subplots(1, len(ds), figsize=(4.2 * len(ds), 3.6), squeeze=False)
    labels = {"ntk_krr": "NTK regression (exact kernel)", "quadntk": "QuadNTK (random signs)",
              "regularized": "network + good-direction reg.", "network_gd": "network, plain GD (no reg.)"}
    for ax, d in zip(axes[0], ds):
        for i, meth in enumerate(data.config["methods"]):
            ns, m, s = data.curve(meth, d)
            if ns:
                ax.errorbar(ns, m, yerr=2 * np.asarray(s), marker="o", ms=3, color=f"C{i}", label=labels.get(meth, meth))
        ax.axhline(data.eps, color="k", lw=0.6, ls=":")
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel("n")
        ax.set_title(f"d = {d}", fontsize=9)
        ax.set_ylim(0, None)
    axes[0][0].set_ylabel(r"test error $E(\hat f - f^*)^2$")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"f* = dense quadratic + sparse cubic (‖·‖² = 1 each), σ = {data.config['activation']}; "
                 f"dotted: ε = {data.eps}", fontsize=8)
    fig.tight_layout()
    cfg = dict(data.config) | {"sample_sizes": data.sample_sizes()}
    return write_figure(fig, Path(out_dir), stem, data.to_csv(), cfg, data.to_markdown())
