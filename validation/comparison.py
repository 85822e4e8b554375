"""Theory against simulation: tables over settings and dimensions, showing the finite-size gap shrink.

For each setting, each d and each seed, three numbers are recorded:

* the Monte Carlo risk and train error of the real network (:func:`asymptotics.validation.one_step.simulation.simulate_seed`);
* the finite-d deterministic equivalent evaluated on that seed's trained W1
  (:func:`asymptotics.one_step.theory.one_step_risk_on_weights`): the gap MC − DE(W1) isolates the
  Gaussian-equivalence and ridge-fluctuation error, DE(W1) − asymptotic the finite-d spectrum;
* the asymptotic risk and train error (:func:`asymptotics.one_step.theory.one_step_risk`).

Sweeps checkpoint one record per (setting, d, seed) and resume (:class:`asymptotics.validation.store.Checkpoint`).

Giant step (docs/theory/spiked-rf.md §7, issue 3 §4), :func:`compare_giant_step`: the asymptotic sRF
theory (:func:`asymptotics.spiked_rf.theory.srf_risk`, large-d back-end) against the Monte Carlo of either

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
from dataclasses import dataclass, field

import numpy as np

from asymptotics.errors import InvalidParameterError
from asymptotics.settings import GiantStep, OneStep

from .data import check_int

def _label(s) -> str:
    if hasattr(s, "kernel"):  # KernelRidge
        return (f"{s.kernel} {s.activation.name} d={s.d} n={s.n:g} lam={s.lam:g} noise={s.noise:g} "
                f"target={s.target.source or ','.join(f'{k}:{v:g}' for k, v in enumerate(s.target.F2) if v)}")
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
    """Theory and simulation for one setting at one d (means ± SEM over the seeds).

    ``test_error_theory`` / ``train_error_theory``: the asymptotic theory; ``test_error_finite_d`` /
    ``train_error_finite_d``: the per-instance theory averaged over the seeds (NaN when not computed);
    ``test_error_mean`` ± ``test_error_sem``, ``train_error_mean`` ± ``train_error_sem``: the Monte Carlo.
    """

    setting: OneStep
    d: int
    seeds: tuple[int, ...]
    test_error_theory: float
    train_error_theory: float
    test_error_finite_d: float
    train_error_finite_d: float
    test_error_mean: float
    test_error_sem: float
    train_error_mean: float
    train_error_sem: float
    per_seed: tuple = field(default=(), repr=False)
    #: seeds whose per-instance theory converged and enter ``test_error_finite_d`` (None: every seed)
    finite_d_seeds: int | None = None

    @property
    def finite_d_dropped(self) -> int:
        """Seeds left out of the per-instance average because their theory did not converge."""
        return 0 if self.finite_d_seeds is None else len(self.seeds) - self.finite_d_seeds

    @property
    def rel_gap(self) -> float:
        """(MC − asymptotic) / asymptotic."""
        return (self.test_error_mean - self.test_error_theory) / self.test_error_theory

    def agrees(self, rel: float, k: float = 3.0) -> bool:
        """|MC − asymptotic| ≤ k·SEM + rel·asymptotic (docs/conventions.md, "What validated means")."""
        return (abs(self.test_error_mean - self.test_error_theory)
                <= k * self.test_error_sem + rel * abs(self.test_error_theory))

    @property
    def z_score(self) -> float:
        """(MC − asymptotic) / SEM (inf when the SEM is 0)."""
        diff = self.test_error_mean - self.test_error_theory
        return diff / self.test_error_sem if self.test_error_sem > 0 else math.copysign(math.inf, diff)

    def to_dict(self) -> dict:
        return {
            "setting": self.setting.to_dict(),
            "label": _label(self.setting),
            "d": self.d,
            "seeds": list(self.seeds),
            "test_error_theory": self.test_error_theory,
            "train_error_theory": self.train_error_theory,
            "test_error_finite_d": None if math.isnan(self.test_error_finite_d) else self.test_error_finite_d,
            "train_error_finite_d": None if math.isnan(self.train_error_finite_d) else self.train_error_finite_d,
            "test_error_mean": self.test_error_mean,
            "test_error_sem": self.test_error_sem,
            "train_error_mean": self.train_error_mean,
            "train_error_sem": self.train_error_sem,
            "rel_gap": self.rel_gap,
            "z_score": self.z_score if math.isfinite(self.z_score) else None,
            "finite_d_seeds": len(self.seeds) if self.finite_d_seeds is None else self.finite_d_seeds,
            "finite_d_dropped": self.finite_d_dropped,
            "per_seed": list(self.per_seed),
        }


#: CSV columns of a :class:`Comparison` (the keys of :meth:`ComparisonRow.to_dict`; ``seeds`` is the count).
COLUMNS = (
    "label", "d", "seeds", "test_error_theory", "test_error_finite_d", "test_error_mean", "test_error_sem",
    "rel_gap", "z_score", "train_error_theory", "train_error_finite_d", "train_error_mean", "train_error_sem",
)


@dataclass(frozen=True)
class Comparison:
    """A theory-vs-simulation table; ``config`` is everything needed to reproduce it."""

    rows: tuple[ComparisonRow, ...]
    config: dict
    #: header of the per-instance theory column (``test_error_finite_d``)
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
        w.writerow(COLUMNS)
        for r in self.rows:
            dct = r.to_dict()
            w.writerow([len(r.seeds) if c == "seeds" else dct[c] for c in COLUMNS])
        return buf.getvalue()

    def to_markdown(self) -> str:
        """Table with mean ± SEM, the relative gap to the asymptotic theory and the z-score."""
        extra = self.allowance is not None
        head = (f"| setting | d | seeds | theory test error | {self.instance_label} | MC test error | gap | z "
                f"| theory train error | MC train error |")
        lines = [
            head + (f" ≤3SE+{100 * self.allowance:g}% |" if extra else ""),
            "|---|---|---|---|---|---|---|---|---|---|" + ("---|" if extra else ""),
        ]
        for r in self.rows:
            lines.append(
                f"| {_label(r.setting)} | {r.d} | {len(r.seeds)} | {r.test_error_theory:.4f} | "
                f"{'—' if math.isnan(r.test_error_finite_d) else f'{r.test_error_finite_d:.4f}'} "
                f"| {r.test_error_mean:.4f} ± {r.test_error_sem:.4f} | {100 * r.rel_gap:+.2f}% | {r.z_score:+.1f} "
                f"| {r.train_error_theory:.4f} | {r.train_error_mean:.4f} ± {r.train_error_sem:.4f} |"
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


def _nanmean(values) -> float:
    vals = [v for v in values if v is not None]
    return float(np.mean(vals)) if vals else math.nan


