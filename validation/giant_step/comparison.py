"""Theory against simulation for the giant-step family (docs/theory/spiked-rf.md §7)."""

from __future__ import annotations

import sys
import time
from typing import Iterable, Sequence


from asymptotics.errors import InvalidParameterError
from asymptotics.settings import GiantStep, check_range
from asymptotics.spiked_rf.theory import finite_spectrum, srf_curve

from ..data import check_n_test
from .simulation import _check_alphas, _check_giant_memory
from ..summary import RECORD_NAMES, mean_sem, normalize_seeds, summarize
from ..comparison import Comparison, ComparisonRow, _ds_tuple, _label, _nanmean, _settings_tuple
from ..store import Checkpoint, package_versions

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
    from .simulation import model_for_seed, simulate_giant_step_seed

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
        dct["test_error_finite_d"] = th.test_error if th.converged else None
        dct["train_error_finite_d"] = th.train_error if th.converged else None
        out.append(dct)
    return out


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
    (:func:`asymptotics.validation.giant_step.simulation.simulate_giant_step_seed`); that record, with the per-instance
    theory (see the module docstring), is checkpointed.  The sRF parameters simulated with
    ``model="srf"`` are :func:`asymptotics.spiked_rf.theory.srf_parameters` of the setting.  ``allowance`` is the
    relative finite-size allowance of the agreement column (|gap| ≤ 3 SEM + allowance·theory).
    """
    from .simulation import MODELS

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
        "record_names": RECORD_NAMES,
        "model": model,
        "settings": [s.to_dict() for s in settings],
        "alphas": list(alphas),
        "ds": list(ds),
        "seeds": list(seeds),
        "n_test": n_test,
        "theory": "asymptotics.spiked_rf.theory.srf_risk, backend=asymptotic (Marchenko-Pastur), formula=corrected",
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
                rows.append(ComparisonRow(
                    setting=s.replace(alpha=a), d=d, seeds=seeds, test_error_theory=th.test_error,
                    train_error_theory=th.train_error,
                    test_error_finite_d=_nanmean(r["test_error_finite_d"] for r in recs),
                    train_error_finite_d=_nanmean(r["train_error_finite_d"] for r in recs),
                    **summarize(recs), per_seed=tuple(recs),
                    finite_d_seeds=sum(r["test_error_finite_d"] is not None for r in recs),
                ))
    label = "finite-d theory on W0" if model == "srf" else "theory at measured (r,c,γ)"
    return Comparison(rows=tuple(rows), config=config, instance_label=label, allowance=allowance)


def measured_srf_table(table: Comparison) -> str:
    """Markdown: (r, c, γ) of :func:`asymptotics.spiked_rf.theory.srf_parameters` next to those measured on each
    seed's W1 (mean ± SEM over seeds; spread = std of r over neurons), per setting and d (docs/theory/spiked-rf.md §1.4).

    Uses the per-seed records of a ``model="network"`` :func:`compare_giant_step` table.
    """
    from asymptotics.spiked_rf.theory import srf_parameters

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
