"""Theory against simulation: tables over settings and dimensions, showing the finite-size gap shrink.

For each setting, each d and each seed, three numbers are recorded:

* the Monte Carlo risk and train error of the real network (:func:`validation.simulate.simulate_seed`);
* the finite-d deterministic equivalent evaluated on that seed's trained W1
  (:func:`asymptotics.onestep.one_step_risk_on_weights`): the gap MC − DE(W1) isolates the
  Gaussian-equivalence and ridge-fluctuation error, DE(W1) − asymptotic the finite-d spectrum;
* the asymptotic risk and train error (:func:`asymptotics.onestep.one_step_risk`).

Sweeps checkpoint one record per (setting, d, seed) and resume (:class:`validation.store.Checkpoint`).

Giant step (docs/theory/spiked-rf.md §7, issue 3 §4), :func:`compare_giant_step`: the asymptotic sRF
theory (:func:`asymptotics.srf.srf_risk`, large-d back-end) against the Monte Carlo of either

* ``model="srf"``: the sRF itself at the theory's (r, c, γ) — tests that the equations solve the sRF;
  the per-instance column is the finite-d back-end on the very W0 of each seed;
* ``model="network"``: the real network after one giant step — tests the sRF approximation; the
  per-instance column is the asymptotic theory at the (r, c, γ) measured on that seed's W1, which
  separates the error of the (r, c, γ) formulas from that of the sRF model.
"""

from __future__ import annotations

import csv
import io
import math
import sys
import time
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from asymptotics.onestep import one_step_risk, one_step_risk_on_weights
from asymptotics.errors import InvalidParameterError
from asymptotics.settings import GiantStep, OneStep, check_range
from asymptotics.srf import finite_spectrum, srf_curve

from .data import check_n_test, check_int
from .giant_step import _check_alphas, _check_giant_memory
from .networks import one_step_sizes
from .simulate import _check_one_step_memory, mean_sem, network_for_seed, normalize_seeds, simulate_seed
from .store import Checkpoint, package_versions

__all__ = ["ComparisonRow", "Comparison", "compare_one_step", "SPEC_43_SETTINGS", "compare_giant_step",
           "GIANT_STEP_CHECKS", "SRF_CHECKS", "measured_srf_table"]

#: The configurations of docs/theory/one-step.md §4.3 (teachers centered unless named raw).
SPEC_43_SETTINGS: tuple[OneStep, ...] = tuple(
    OneStep(s, t, psi1=p1, psi2=p2, lam=lam, eta=eta, noise=noise)
    for s, t, p1, p2, lam, noise, eta in [
        ("tanh", "tanh", 2, 2, 1e-2, 0.1, 0),
        ("tanh", "tanh", 2, 2, 1e-2, 0.1, 1),
        ("tanh", "tanh", 2, 2, 1e-2, 0.1, 2),
        ("tanh", "tanh", 2, 2, 1e-2, 0.1, 4),
        ("tanh", "tanh", 4, 1, 1e-1, 0.25, 0),
        ("tanh", "tanh", 4, 1, 1e-1, 0.25, 4),
        ("tanh", "centered:softplus", 8, 2, 1e-4, 0.25, 0),
        ("tanh", "centered:softplus", 8, 2, 1e-4, 0.25, 4),
        ("tanh", "centered:relu", 5, 0.5, 1e-2, 0.1, 0),
        ("tanh", "centered:relu", 5, 0.5, 1e-2, 0.1, 4),
        ("tanh", "softplus", 8, 2, 1e-4, 0.25, 2),
        ("tanh", "relu", 5, 0.5, 1e-2, 0.1, 2),
    ]
)


def _label(s) -> str:
    if isinstance(s, GiantStep):
        return (
            f"{s.student.name}/{s.teacher.name} alpha0={s.alpha0:g} eta_tilde={s.eta_tilde:g} "
            f"p/d={s.width_ratio:g} lam={s.lam:g} noise={s.noise:g} alpha={s.alpha:g}"
        )
    return (
        f"{s.student.name}/{s.teacher.name} psi1={s.psi1:g} psi2={s.psi2:g} "
        f"lam={s.lam:g} noise={s.noise:g} eta={s.eta:g}"
    )


@dataclass(frozen=True)
class ComparisonRow:
    """Theory and simulation for one setting at one d (means ± SEM over the seeds)."""

    setting: OneStep
    d: int
    seeds: tuple[int, ...]
    theory: float
    theory_train: float
    finite_d: float
    finite_d_train: float
    risk_mean: float
    risk_sem: float
    train_mean: float
    train_sem: float
    per_seed: tuple = field(default=(), repr=False)
    #: seeds whose per-instance theory converged and enter ``finite_d`` (None: every seed)
    finite_d_seeds: int | None = None

    @property
    def finite_d_dropped(self) -> int:
        """Seeds left out of the per-instance average because their theory did not converge."""
        return 0 if self.finite_d_seeds is None else len(self.seeds) - self.finite_d_seeds

    @property
    def rel_gap(self) -> float:
        """(MC − asymptotic) / asymptotic."""
        return (self.risk_mean - self.theory) / self.theory

    def agrees(self, rel: float, k: float = 3.0) -> bool:
        """|MC − asymptotic| ≤ k·SEM + rel·asymptotic (docs/conventions.md, "What validated means")."""
        return abs(self.risk_mean - self.theory) <= k * self.risk_sem + rel * abs(self.theory)

    @property
    def z_score(self) -> float:
        """(MC − asymptotic) / SEM (inf when the SEM is 0)."""
        diff = self.risk_mean - self.theory
        return diff / self.risk_sem if self.risk_sem > 0 else math.copysign(math.inf, diff)

    def to_dict(self) -> dict:
        return {
            "setting": self.setting.to_dict(),
            "label": _label(self.setting),
            "d": self.d,
            "seeds": list(self.seeds),
            "theory": self.theory,
            "theory_train": self.theory_train,
            "finite_d": None if math.isnan(self.finite_d) else self.finite_d,
            "finite_d_train": None if math.isnan(self.finite_d_train) else self.finite_d_train,
            "risk_mean": self.risk_mean,
            "risk_sem": self.risk_sem,
            "train_mean": self.train_mean,
            "train_sem": self.train_sem,
            "rel_gap": self.rel_gap,
            "z_score": self.z_score if math.isfinite(self.z_score) else None,
            "finite_d_seeds": len(self.seeds) if self.finite_d_seeds is None else self.finite_d_seeds,
            "finite_d_dropped": self.finite_d_dropped,
            "per_seed": list(self.per_seed),
        }


_COLUMNS = (
    "label", "d", "seeds", "theory", "finite_d", "risk_mean", "risk_sem", "rel_gap", "z_score",
    "theory_train", "finite_d_train", "train_mean", "train_sem",
)


@dataclass(frozen=True)
class Comparison:
    """A theory-vs-simulation table; ``config`` is everything needed to reproduce it."""

    rows: tuple[ComparisonRow, ...]
    config: dict
    #: header of the per-instance theory column (``finite_d``)
    instance_label: str = "DE on W1"
    #: when set, the markdown gets a column "|gap| ≤ 3 SEM + allowance·theory"
    allowance: float | None = None

    def to_dict(self) -> dict:
        out = {"config": self.config, "rows": [r.to_dict() for r in self.rows]}
        if self.allowance is not None:
            out["allowance"] = self.allowance
            for dct, r in zip(out["rows"], self.rows):
                dct["agrees"] = r.agrees(self.allowance)
        return out

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(_COLUMNS)
        for r in self.rows:
            dct = r.to_dict()
            w.writerow([len(r.seeds) if c == "seeds" else dct[c] for c in _COLUMNS])
        return buf.getvalue()

    def to_markdown(self) -> str:
        """Table with mean ± SEM, the relative gap to the asymptotic theory and the z-score."""
        extra = self.allowance is not None
        head = f"| setting | d | seeds | theory | {self.instance_label} | MC risk | gap | z | theory train | MC train |"
        lines = [
            head + (f" ≤3SE+{100 * self.allowance:g}% |" if extra else ""),
            "|---|---|---|---|---|---|---|---|---|---|" + ("---|" if extra else ""),
        ]
        for r in self.rows:
            lines.append(
                f"| {_label(r.setting)} | {r.d} | {len(r.seeds)} | {r.theory:.4f} | "
                f"{'—' if math.isnan(r.finite_d) else f'{r.finite_d:.4f}'} "
                f"| {r.risk_mean:.4f} ± {r.risk_sem:.4f} | {100 * r.rel_gap:+.2f}% | {r.z_score:+.1f} "
                f"| {r.theory_train:.4f} | {r.train_mean:.4f} ± {r.train_sem:.4f} |"
                + ((" yes |" if r.agrees(self.allowance) else " no |") if extra else "")
            )
        return "\n".join(lines)

    def gap_by_d(self) -> dict:
        """{label: [(d, |relative gap|), ...]} to read the finite-size trend."""
        out: dict = {}
        for r in self.rows:
            out.setdefault(_label(r.setting), []).append((r.d, abs(r.rel_gap)))
        return out


def _settings_tuple(settings, kind) -> tuple:
    if isinstance(settings, kind):
        settings = (settings,)
    try:
        out = tuple(settings)
    except TypeError:
        raise InvalidParameterError(f"settings must be an iterable of {kind.__name__}, got {settings!r}") from None
    if not out:
        raise InvalidParameterError("settings must not be empty")
    for s in out:
        if not isinstance(s, kind):
            raise InvalidParameterError(f"settings must hold {kind.__name__} objects, got {type(s).__name__}")
    return out


def _ds_tuple(ds) -> tuple:
    if isinstance(ds, (str, bytes)) or not hasattr(ds, "__iter__"):
        raise InvalidParameterError(f"ds must be a sequence of input dimensions, got {ds!r}")
    out = tuple(check_int("d", d, 2, "the input dimension") for d in ds)
    if not out:
        raise InvalidParameterError("ds must not be empty")
    return out


def _seed_record(setting: OneStep, d: int, seed: int, n_test: int, finite_d: bool) -> dict:
    net = network_for_seed(setting, d, seed)
    rec = simulate_seed(setting, d, seed, n_test=n_test, network=net).to_dict()
    if finite_d:
        de = one_step_risk_on_weights(setting, net.W1, net.beta, n=rec["n_readout"])
        rec["finite_d"] = de.test_error
        rec["finite_d_train"] = de.train_error
    return rec


def compare_one_step(
    settings: Iterable[OneStep],
    ds: Sequence[int] = (256, 512, 1024),
    seeds: "Sequence[int] | int" = 5,
    n_test: int = 20000,
    finite_d: bool = True,
    checkpoint: "str | None" = None,
    progress: bool = False,
) -> Comparison:
    """Asymptotic theory vs Monte Carlo of the real network for each setting and each d.

    ``checkpoint`` names a JSON file: finished (setting, d, seed) records are saved after each one
    and reused on a re-run with the same configuration.
    """
    settings = _settings_tuple(settings, OneStep)
    seeds = normalize_seeds(seeds)
    ds = _ds_tuple(ds)
    n_test = check_n_test(n_test)
    for s in settings:
        for d in ds:
            _check_one_step_memory(s, d, one_step_sizes(s, d)[1], n_test, None, "monte-carlo")
    config = {
        "kind": "compare_one_step",
        "settings": [s.to_dict() for s in settings],
        "ds": list(ds),
        "seeds": list(seeds),
        "n_test": n_test,
        "finite_d": finite_d,
        "versions": package_versions(),
    }
    ck = Checkpoint(checkpoint, config)
    rows = []
    for s in settings:
        th = one_step_risk(s)
        for d in ds:
            recs = []
            for seed in seeds:
                t0 = time.perf_counter()
                rec = ck.get_or_compute(
                    f"{_label(s)}|d={d}|seed={seed}",
                    lambda: _seed_record(s, d, seed, n_test, finite_d),
                )
                recs.append(rec)
                if progress:
                    print(
                        f"[compare] {_label(s)} d={d} seed={seed}: risk={rec['risk']:.5f} "
                        f"({time.perf_counter() - t0:.1f}s)",
                        file=sys.stderr,
                        flush=True,
                    )
            risk_mean, risk_sem = mean_sem([r["risk"] for r in recs])
            tr_mean, tr_sem = mean_sem([r["train_error"] for r in recs])
            fd = float(np.mean([r["finite_d"] for r in recs])) if finite_d else math.nan
            fdt = float(np.mean([r["finite_d_train"] for r in recs])) if finite_d else math.nan
            rows.append(
                ComparisonRow(
                    setting=s, d=d, seeds=seeds, theory=th.risk, theory_train=th.train_error,
                    finite_d=fd, finite_d_train=fdt, risk_mean=risk_mean, risk_sem=risk_sem,
                    train_mean=tr_mean, train_sem=tr_sem, per_seed=tuple(recs),
                )
            )
    return Comparison(rows=tuple(rows), config=config)


# ------------------------------------------------------------------------------------------------
# giant step (Cui et al. 2024): sRF theory vs sRF Monte Carlo and vs the real network

#: docs/theory/spiked-rf.md §7 Checks A–D (A: tanh/sin, B: the authors' defaults, C: width ratios,
#: D: ReLU, the caveat case) and one new setting (larger α0·η̃ = 16 with label noise 0.2).
GIANT_STEP_CHECKS: dict = {
    "A": GiantStep("tanh", "sin", alpha0=20, eta_tilde=3, alpha=1.0, lam=0.1),
    "B": GiantStep("tanh", "tanh", alpha0=0.5, eta_tilde=1, alpha=1.0, lam=0.01),
    "C p/d=0.5": GiantStep("tanh", "tanh", alpha0=0.5, eta_tilde=1, alpha=1.0, width_ratio=0.5, lam=0.01),
    "C p/d=2": GiantStep("tanh", "tanh", alpha0=0.5, eta_tilde=1, alpha=1.0, width_ratio=2.0, lam=0.01),
    "D relu": GiantStep("relu", "tanh", alpha0=2, eta_tilde=2, alpha=1.0, lam=0.01),
    "new": GiantStep("tanh", "tanh", alpha0=4, eta_tilde=4, alpha=1.0, lam=0.01, noise=0.2),
}

#: Issue 3 §4 sRF checks: tanh and erf students (tanh teacher, α0 = 0.5, η̃ = 1, λ = 0.01), p/d ∈ {0.5, 1, 2}.
SRF_CHECKS: dict = {
    f"{st} p/d={w:g}": GiantStep(st, "tanh", alpha0=0.5, eta_tilde=1, alpha=1.0, width_ratio=w, lam=0.01)
    for st in ("tanh", "erf") for w in (0.5, 1.0, 2.0)
}


def _giant_seed_records(setting: GiantStep, d: int, seed: int, alphas, model: str, n_test: int) -> list:
    from .giant_step import model_for_seed, simulate_giant_step_seed

    inst = model_for_seed(setting, d, seed, model)
    recs = simulate_giant_step_seed(setting, d, seed, alphas, model, n_test=n_test, instance=inst)
    if model == "srf":
        theory = srf_curve(setting, "alpha", alphas, srf=inst.srf, spectrum=finite_spectrum(inst.W0),
                           raise_on_failure=False)
    else:
        theory = srf_curve(setting, "alpha", alphas, srf=recs[0].measured.srf(), raise_on_failure=False)
    out = []
    for rec, th in zip(recs, theory):
        dct = rec.to_dict()
        dct["instance_theory"] = th.test_error if th.converged else None
        dct["instance_theory_train"] = th.train_error if th.converged else None
        out.append(dct)
    return out


def _nanmean(values) -> float:
    vals = [v for v in values if v is not None]
    return float(np.mean(vals)) if vals else math.nan


def compare_giant_step(
    settings: Iterable[GiantStep],
    alphas: Sequence[float] = (0.5, 1.5, 3.0),
    ds: Sequence[int] = (256, 512, 1024),
    seeds: "Sequence[int] | int" = 4,
    model: str = "network",
    n_test: int = 10000,
    checkpoint: "str | None" = None,
    progress: bool = False,
    allowance: float = 0.01,
) -> Comparison:
    """Asymptotic sRF theory vs Monte Carlo of the sRF (``model="srf"``) or the network, per α and d.

    Each (setting, d, seed) trains one model and fits the readout for all ``alphas``
    (:func:`validation.giant_step.simulate_giant_step_seed`); that record, with the per-instance
    theory (see the module docstring), is checkpointed.  The sRF parameters simulated with
    ``model="srf"`` are :func:`asymptotics.srf.srf_parameters` of the setting.  ``allowance`` is the
    relative finite-size allowance of the agreement column (|gap| ≤ 3 SEM + allowance·theory).
    """
    from .giant_step import MODELS

    if not (isinstance(model, str) and model in MODELS):
        raise InvalidParameterError(f"model must be one of {MODELS}, got {model!r}")
    settings = _settings_tuple(settings, GiantStep)
    seeds = normalize_seeds(seeds)
    ds = _ds_tuple(ds)
    n_test = check_n_test(n_test)
    allowance = check_range("allowance", allowance, 0.0, 1e6, "relative finite-size allowance")
    for s in settings:
        for d in ds:
            alphas = _check_alphas(s, alphas, d)
            _check_giant_memory(s, d, alphas, n_test, None)
    config = {
        "kind": "compare_giant_step",
        "model": model,
        "settings": [s.to_dict() for s in settings],
        "alphas": list(alphas),
        "ds": list(ds),
        "seeds": list(seeds),
        "n_test": n_test,
        "theory": "asymptotics.srf.srf_risk, backend=asymptotic (Marchenko-Pastur), formula=corrected",
        "versions": package_versions(),
    }
    ck = Checkpoint(checkpoint, config)
    rows = []
    for s in settings:
        theory = srf_curve(s, "alpha", alphas)
        for d in ds:
            per_seed = []
            for seed in seeds:
                t0 = time.perf_counter()
                key = f"{model}|{_label(s)}|d={d}|seed={seed}"
                per_seed.append(ck.get_or_compute(key, lambda: _giant_seed_records(s, d, seed, alphas, model, n_test)))
                if progress:
                    print(f"[compare giant-step {model}] {_label(s).rsplit(' alpha=', 1)[0]} d={d} seed={seed} "
                          f"({time.perf_counter() - t0:.1f}s)", file=sys.stderr, flush=True)
            for i, (a, th) in enumerate(zip(alphas, theory)):
                recs = [ps[i] for ps in per_seed]
                tm, ts = mean_sem([r["test_error"] for r in recs])
                rm, rs = mean_sem([r["train_error"] for r in recs])
                rows.append(ComparisonRow(
                    setting=s.replace(alpha=a), d=d, seeds=seeds, theory=th.test_error,
                    theory_train=th.train_error, finite_d=_nanmean(r["instance_theory"] for r in recs),
                    finite_d_train=_nanmean(r["instance_theory_train"] for r in recs),
                    risk_mean=tm, risk_sem=ts, train_mean=rm, train_sem=rs, per_seed=tuple(recs),
                    finite_d_seeds=sum(r["instance_theory"] is not None for r in recs),
                ))
    label = "finite-d theory on W0" if model == "srf" else "theory at measured (r,c,γ)"
    return Comparison(rows=tuple(rows), config=config, instance_label=label, allowance=allowance)


def measured_srf_table(table: Comparison) -> str:
    """Markdown: (r, c, γ) of :func:`asymptotics.srf.srf_parameters` next to those measured on each
    seed's W1 (mean ± SEM over seeds; spread = std of r over neurons), per setting and d (docs/theory/spiked-rf.md §1.4).

    Uses the per-seed records of a ``model="network"`` :func:`compare_giant_step` table.
    """
    from asymptotics.srf import srf_parameters

    lines = ["| setting | d | seeds | r formula | r measured | spread of r | c formula | c measured "
             "| γ formula | γ measured |", "|---|---|---|---|---|---|---|---|---|---|"]
    seen = set()
    for row in table.rows:
        label = _label(row.setting).rsplit(" alpha=", 1)[0]
        if (label, row.d) in seen or not row.per_seed or row.per_seed[0].get("measured") is None:
            continue
        seen.add((label, row.d))
        f = srf_parameters(row.setting)
        ms = [r["measured"] for r in row.per_seed]
        cells = {k: mean_sem([m[k] for m in ms]) for k in ("r", "c", "gamma", "r_spread")}
        lines.append(
            f"| {label} | {row.d} | {len(ms)} | {f.r:.4f} | {cells['r'][0]:.4f} ± {cells['r'][1]:.4f} "
            f"| {cells['r_spread'][0]:.3f} | {f.c:.4f} | {cells['c'][0]:.4f} ± {cells['c'][1]:.4f} "
            f"| {f.gamma:.4f} | {cells['gamma'][0]:.4f} ± {cells['gamma'][1]:.4f} |"
        )
    return "\n".join(lines)
