"""Monte Carlo of the giant-step protocol (Cui et al. 2024) and of its spiked random-features model.

docs/conventions.md (giant-step column) and docs/theory/spiked-rf.md §1.2–1.5.  Two models,
simulated exactly and separately, so that "the equations solve the sRF" and "the sRF approximates
the network" are checked one at a time:

``model="network"`` (docs/theory/spiked-rf.md §1.2–1.3, §1.5)
    1. W0 ∈ R^{p×d}, rows uniform on the unit sphere (normalized Gaussian rows); a = 1/√p (all equal,
       frozen); teacher direction θ = √d β with β uniform on the unit sphere, so ‖θ‖² = d and
       y = σ*(⟨θ, x⟩/√d) + σ_ε ξ = σ*(⟨β, x⟩) + σ_ε ξ.
    2. Batch 0 of n0 = round(α0 d) samples (noisy labels).
    3. One exact step W1 = W0 − η∇_W L, L = (1/2n0) Σ (f(x) − y)², f(x) = aᵀσ(Wx)/√p, η = η̃ p
       (:func:`giant_step_update`, which reuses :func:`asymptotics.validation.one_step.network.one_step_gradient` on Wᵀ).
       Per neuron: w_i ← w_i + η̃ (1/n0) Σ_μ (y_μ − f0(x_μ)) σ'(⟨w_i, x_μ⟩) x_μ.
``model="srf"`` (docs/theory/spiked-rf.md §1.4, §2)
    First layer F = √c W0 + (r/√d) 1_p vᵀ with W0 as above, v = √d·(uniform unit vector) drawn
    independently of W0, and θ = γv + ρζ with ζ ⊥ v, ‖ζ‖² = d, ρ = √(1 − γ²)
    (:func:`sample_srf`), for given (r, c, γ).

Then, for both (step 4–5): a fresh readout batch of n = round(α d) samples with noisy labels, features
φ(x) = σ(Wx) (W = W1 or F), ridge ŵ = argmin Σ_μ (y_μ − wᵀφ(x_μ)/√p)² + λ‖w‖² (no 1/n; solved by
:func:`asymptotics.validation.readout.fit_ridge` at its λ_f = λp/n, which makes its ρ = nλ_f/p equal to λ); train
error (1/n) Σ_μ (y_μ − ŵᵀφ(x_μ)/√p)² on the noisy labels that were fitted (the convention of
:func:`asymptotics.spiked_rf.theory.srf_risk`, docs/theory/spiked-rf.md §1.5, §3.6); test error E_x(ŵᵀφ(x)/√p − σ*(⟨β, x⟩))² against
the noise-free teacher on ``n_test`` fresh points, evaluated in chunks
(:func:`asymptotics.validation.one_step.simulation.estimate_risk`).

Label-noise convention (as :mod:`asymptotics.spiked_rf.theory`): σ_ε is the std of the noise on *every* label, the
first-step batch and the readout batch; the test target is noise-free.

Sharing across α.  The first step does not depend on α, so one seed trains one network and fits the
readout for every requested α on the prefixes of one readout sample: the readout inputs and the label
noise come from two separate streams, so the first n rows (and their noise) are the same whatever the
largest α is — the record of (seed, α) does not depend on which other α were requested.  The test
points are shared by all α of a seed.

Random streams: seed s → ``SeedSequence(s).spawn(4)`` → (network, readout inputs, readout noise, test
inputs) (:func:`asymptotics.validation.data.spawn_generators`).  Draw order in the network stream: W0, β, X0, ξ0
(``model="network"``); W0, v, ζ (``model="srf"``).  No global random state.

>>> from asymptotics.settings import GiantStep
>>> s = GiantStep("tanh", "tanh", alpha0=0.5, eta_tilde=1.0, alpha=1.0, lam=0.01)
>>> sims = simulate_giant_step(s, d=32, seeds=2, n_test=500)
>>> len(sims), sims[0].seeds, sorted(sims[0].to_dict())[:3]
(1, (0, 1), ['alpha', 'd', 'measured_srf'])
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from asymptotics.errors import InvalidParameterError
from asymptotics.limits import array_bytes, check_memory, ridge_fit_bytes
from asymptotics.settings import RATIO_RANGE, GiantStep, check_range
from asymptotics.spiked_rf.theory import SRFParameters, _as_srf, srf_parameters

from ..data import (
    check_n_test,
    check_all_finite,
    check_int,
    gaussian_inputs,
    spawn_generators,
    teacher_labels,
)
from ..one_step.network import auto_chunk_rows, check_dtype
from ..readout import fit_ridge
from ..one_step.network import check_dtype
from ..one_step.simulation import estimate_risk, features_matrix
from ..summary import normalize_seeds, summarize
from ..store import Checkpoint
from .network import giant_step_sizes, GiantStepNetwork, sample_giant_step
from .srf_sampler import sample_srf
from .measurement import MeasuredSRF, measure_srf

__all__ = ["MODELS", "readout_size", "model_for_seed", "readout_curve", "giant_step_memory", "GiantStepRecord", "simulate_giant_step_seed", "GiantStepSimulation", "simulate_giant_step"]

#: The two simulated models: the real network after one giant step, and the sRF of docs/theory/spiked-rf.md §1.4.
MODELS = ("network", "srf")

# Order matters: a stream is the i-th child of SeedSequence(seed) (see data.spawn_generators).
_STREAMS = ("network", "readout", "readout-noise", "test")


def _check_alphas(setting: GiantStep, alphas, d: int) -> tuple:
    if alphas is None:
        alphas = (setting.alpha,)
    if isinstance(alphas, (str, bytes)) or not hasattr(alphas, "__iter__"):
        raise InvalidParameterError(f"alphas must be a sequence of readout ratios, got {alphas!r}")
    alphas = tuple(check_range("alpha", a, *RATIO_RANGE, "n/d, the readout sample ratio") for a in alphas)
    if not alphas:
        raise InvalidParameterError("alphas must not be empty")
    for a in alphas:
        readout_size(a, d)
    return alphas


def readout_size(alpha: float, d: int) -> int:
    """n = round(α d) ≥ 1, the readout batch (docs/theory/spiked-rf.md §1.5)."""
    n = int(round(check_range("alpha", alpha, *RATIO_RANGE, "n/d, the readout sample ratio") * d))
    if n < 1:
        raise InvalidParameterError(f"readout batch n = round(alpha*d) = 0 (alpha={alpha}, d={d})")
    return n


def model_for_seed(setting: GiantStep, d: int, seed: int, model: str = "network", srf=None,
                   chunk_size: int | None = None):
    """The network (:func:`sample_giant_step`) or sRF (:func:`sample_srf`) that ``seed`` uses.

    For ``model="srf"`` the parameters are ``srf`` (SRFParameters, dict or (r, c, γ)) or, by default,
    :func:`asymptotics.spiked_rf.theory.srf_parameters` of the setting.
    """
    if not (isinstance(model, str) and model in MODELS):
        raise InvalidParameterError(f"model must be one of {MODELS}, got {model!r}")
    rng = spawn_generators(seed, _STREAMS)["network"]
    if model == "network":
        if srf is not None:
            raise InvalidParameterError("srf parameters are only used with model='srf'")
        return sample_giant_step(setting, d, rng, chunk_size)
    srf = srf_parameters(setting) if srf is None else _as_srf(srf)
    p, _ = giant_step_sizes(setting, d)
    return sample_srf(srf, p, d, rng)


def readout_curve(
    W: np.ndarray, beta: np.ndarray, setting: GiantStep, alphas: Sequence[float], rngs: dict,
    n_test: int, chunk_size: int | None = None, dtype="float64",
) -> list[tuple[float, float]]:
    """(test error, train error) of the ridge readout on σ(Wx) for each α (docs/theory/spiked-rf.md §1.5; module docstring).

    One readout sample of n_max = max round(αd) rows is drawn (inputs from ``rngs["readout"]``, label
    noise from ``rngs["readout-noise"]``); α uses its first round(αd) rows.  The test error of all
    α is estimated on the same ``n_test`` points from ``rngs["test"]``.  ``dtype="float32"``: features,
    Gram matrices and test points in single precision (same draws, rounded; see
    :func:`asymptotics.validation.one_step.network.check_dtype`).
    """
    dtype = check_dtype(dtype)
    p, d = W.shape
    student, teacher = setting.student, setting.teacher
    sizes = [readout_size(a, d) for a in _check_alphas(setting, alphas, d)]
    check_memory(f"readout_curve at p={p}, d={d}, n_max={max(sizes)}", array_bytes((max(sizes), d)) + ridge_fit_bytes(max(sizes), p))
    n_max = max(sizes)
    X = gaussian_inputs(n_max, d, rngs["readout"])
    y = teacher_labels(X, beta, teacher)
    if setting.noise > 0:
        y = y + setting.noise * rngs["readout-noise"].standard_normal(n_max)
    check_all_finite("readout labels", y, "the teacher overflowed")
    Wt = W.T.astype(dtype, copy=False)
    Phi = features_matrix(X.astype(dtype, copy=False), Wt, student)
    del X
    check_all_finite("readout features", Phi, "the first layer is too large (overflow)")
    coefs, trains = [], []
    for n in sizes:
        fit = fit_ridge(Phi[:n], y[:n], setting.lam * p / n)  # ρ = nλ_f/p = λ (no 1/n)
        coefs.append(fit.coef)
        trains.append(fit.train_error)
    del Phi
    tests = estimate_risk(Wt, np.column_stack(coefs), beta, student, teacher, n_test, rngs["test"], chunk_size)
    return [(float(t), float(tr)) for t, tr in zip(np.atleast_1d(tests), trains)]


def giant_step_memory(setting: GiantStep, d: int, alphas: Sequence[float], n_test: int,
                      chunk_size: int | None = None) -> float:
    """Estimated peak bytes of one seed of :func:`simulate_giant_step_seed`: W0, W1 and the measurement
    SVD (p×d each), batch 0, the readout inputs and features (n_max × d, n_max × p), the ridge fits
    and the chunked gradient / test temporaries."""
    p, n0 = giant_step_sizes(setting, d)
    n_max = max(readout_size(a, d) for a in alphas)
    rows = max(1, min(auto_chunk_rows(p, chunk_size), max(n0, n_test)))
    return (array_bytes((p, d), (p, d), (p, d), (p, d), (n0, d), (n_max, d), (rows, d + 3 * p),
                        (p, len(alphas))) + ridge_fit_bytes(n_max, p))


def _check_giant_memory(setting, d, alphas, n_test, chunk_size) -> None:
    p, n0 = giant_step_sizes(setting, d)
    check_memory(f"the giant-step simulation at d={d} (p={p}, n0={n0}, n_max={max(readout_size(a, d) for a in alphas)}, "
                 f"n_test={n_test})", giant_step_memory(setting, d, alphas, n_test, chunk_size))


@dataclass(frozen=True)
class GiantStepRecord:
    """One seed at one α: test and train error, sizes, and (network) the measured (r, c, γ)."""

    seed: int
    alpha: float
    test_error: float
    train_error: float
    d: int
    p: int
    n0: int
    n: int
    measured: MeasuredSRF | None = None

    def to_dict(self) -> dict:
        return {"seed": self.seed, "alpha": self.alpha, "test_error": self.test_error,
                "train_error": self.train_error, "d": self.d, "p": self.p, "n0": self.n0, "n": self.n,
                "measured": None if self.measured is None else self.measured.to_dict()}


def simulate_giant_step_seed(
    setting: GiantStep, d: int, seed: int, alphas: Sequence[float] | None = None, model: str = "network",
    srf=None, n_test: int = 10000, chunk_size: int | None = None, instance=None, dtype="float64",
) -> tuple[GiantStepRecord, ...]:
    """One seed of the protocol for every α in ``alphas`` (default: the setting's α); see module doc.

    ``instance`` may pass the already sampled :func:`model_for_seed` result of this seed.  ``dtype``:
    precision of the readout and the test points (:func:`readout_curve`); the step itself is float64.
    """
    if not isinstance(setting, GiantStep):
        raise InvalidParameterError(f"setting must be a GiantStep, got {type(setting).__name__}")
    d = check_int("d", d, 2, "the input dimension")
    seed = check_int("seed", seed, 0, "a random seed")
    n_test = check_n_test(n_test)
    alphas = _check_alphas(setting, alphas, d)
    _check_giant_memory(setting, d, alphas, n_test, chunk_size)
    inst = instance if instance is not None else model_for_seed(setting, d, seed, model, srf, chunk_size)
    rngs = spawn_generators(seed, _STREAMS)
    errs = readout_curve(inst.W, inst.beta, setting, alphas, rngs, n_test, chunk_size, dtype=dtype)
    measured = measure_srf(inst.W0, inst.W1, inst.beta) if isinstance(inst, GiantStepNetwork) else None
    n0 = inst.n0 if isinstance(inst, GiantStepNetwork) else 0
    return tuple(
        GiantStepRecord(int(seed), a, t, tr, inst.d, inst.p, n0, readout_size(a, inst.d), measured)
        for a, (t, tr) in zip(alphas, errs)
    )


@dataclass(frozen=True)
class GiantStepSimulation:
    """Monte Carlo of one giant-step setting (one α) over seeds: mean ± SEM of test and train error.

    ``srf`` is the (r, c, γ) simulated (model ``"srf"``) or predicted by :func:`srf_parameters`
    (model ``"network"``); ``measured_srf`` the seed-averaged (r, c, γ, ...) measured on W1 (network
    only).  SEMs are std(ddof=1)/√K, 0.0 for K = 1.
    """

    setting: GiantStep
    model: str
    d: int
    p: int
    seeds: tuple[int, ...]
    test_error_mean: float
    test_error_sem: float
    train_error_mean: float
    train_error_sem: float
    n_test: int
    srf: SRFParameters | None
    measured_srf: dict | None
    per_seed: tuple[GiantStepRecord, ...] = field(repr=False)

    @property
    def alpha(self) -> float:
        return self.setting.alpha

    def to_dict(self) -> dict:
        return {
            "test_error_mean": self.test_error_mean,
            "test_error_sem": self.test_error_sem,
            "train_error_mean": self.train_error_mean,
            "train_error_sem": self.train_error_sem,
            "alpha": self.alpha,
            "model": self.model,
            "d": self.d,
            "p": self.p,
            "seeds": list(self.seeds),
            "n_test": self.n_test,
            "setting": self.setting.to_dict(),
            "srf": None if self.srf is None else self.srf.to_dict(),
            "measured_srf": self.measured_srf,
            "per_seed": [r.to_dict() for r in self.per_seed],
        }


def _srf_label(setting: GiantStep, model: str, srf) -> str:
    s = setting
    base = (f"{model}|{s.student.name}/{s.teacher.name}|alpha0={s.alpha0:g}|eta_tilde={s.eta_tilde:g}"
            f"|p/d={s.width_ratio:g}|lam={s.lam:g}|noise={s.noise:g}")
    if srf is not None:
        base += f"|srf={srf.r:.12g},{srf.c:.12g},{srf.gamma:.12g}"
    return base


def simulate_giant_step(
    setting: GiantStep,
    d: int,
    seeds: Sequence[int] | int,
    alphas: Sequence[float] | None = None,
    model: str = "network",
    srf=None,
    n_test: int = 10000,
    chunk_size: int | None = None,
    checkpoint: "Checkpoint | str | None" = None,
    progress: bool = False,
    dtype: str = "float64",
) -> tuple[GiantStepSimulation, ...]:
    """Monte Carlo of the giant-step network or its sRF (module docstring), one result per α.

    Parameters
    ----------
    setting : GiantStep
        Activations, α0, η̃, p/d, λ, σ_ε (and α when ``alphas`` is None).
    d : int
        Input dimension; p = round(p/d · d), n0 = round(α0 d), n = round(α d).
    seeds : int or sequence of int
        K → seeds 0..K−1, or explicit distinct seeds.
    alphas : sequence of float, optional
        Readout ratios; one network per seed serves them all.  Default ``(setting.alpha,)``.
    model : {"network", "srf"}
    srf : SRFParameters, dict or (r, c, γ), optional
        sRF parameters for ``model="srf"`` (default :func:`asymptotics.spiked_rf.theory.srf_parameters`).
    n_test : int
        Fresh test points per seed (shared by all α).
    checkpoint : Checkpoint or str, optional
        A :class:`asymptotics.validation.store.Checkpoint` (or a path for one) storing each finished seed.
    progress : bool
        One line per seed on stderr.
    dtype : {"float64", "float32"}
        Precision of the readout and the test points (:func:`simulate_giant_step_seed`); the step and
        every random draw stay float64, so both precisions see the same numbers.

    Returns
    -------
    tuple of GiantStepSimulation, in the order of ``alphas``.
    """
    if not isinstance(setting, GiantStep):
        raise InvalidParameterError(f"setting must be a GiantStep, got {type(setting).__name__}")
    if not (isinstance(model, str) and model in MODELS):
        raise InvalidParameterError(f"model must be one of {MODELS}, got {model!r}")
    d = check_int("d", d, 2, "the input dimension")
    seeds = normalize_seeds(seeds)
    n_test = check_n_test(n_test)
    alphas = _check_alphas(setting, alphas, d)
    dtype = check_dtype(dtype)
    p, _ = giant_step_sizes(setting, d)
    if chunk_size is not None:
        chunk_size = check_int("chunk_size", chunk_size, 1, "rows evaluated at once")
    _check_giant_memory(setting, d, alphas, n_test, chunk_size)
    if model == "srf":
        srf = srf_parameters(setting) if srf is None else _as_srf(srf)
    elif srf is not None:
        raise InvalidParameterError("srf parameters are only used with model='srf'")
    ck = checkpoint if isinstance(checkpoint, Checkpoint) or checkpoint is None else Checkpoint(
        checkpoint, {"kind": "simulate_giant_step", "label": _srf_label(setting, model, srf), "d": d,
                     "alphas": list(alphas), "n_test": n_test, **({"dtype": dtype} if dtype != "float64" else {})})
    per_seed = []
    for seed in seeds:
        t0 = time.perf_counter()

        def compute():
            return [r.to_dict() for r in simulate_giant_step_seed(setting, d, seed, alphas, model, srf, n_test,
                                                                  chunk_size, dtype=dtype)]

        key = (f"{_srf_label(setting, model, srf)}|d={d}|seed={seed}|alphas={','.join(f'{a:g}' for a in alphas)}"
               f"|n_test={n_test}" + (f"|dtype={dtype}" if dtype != "float64" else ""))  # float64 keys unchanged
        recs = ck.get_or_compute(key, compute) if ck is not None else compute()
        per_seed.append([_record_from_dict(r) for r in recs])
        if progress:
            print(f"[simulate {model} d={d}] seed {seed}: "
                  + " ".join(f"a={r.alpha:g}:{r.test_error:.4f}" for r in per_seed[-1])
                  + f" ({time.perf_counter() - t0:.1f}s)", file=sys.stderr, flush=True)
    out = []
    for i, a in enumerate(alphas):
        recs = tuple(ps[i] for ps in per_seed)
        measured = None
        if model == "network":
            measured = {k: float(np.mean([getattr(r.measured, k) for r in recs]))
                        for k in ("r", "c", "gamma", "r_spread", "spike_norm")}
        theory_srf = srf if model == "srf" else _predicted_srf(setting)
        out.append(GiantStepSimulation(setting.replace(alpha=a), model, d, p, seeds, **summarize(recs),
                                       n_test=n_test, srf=theory_srf, measured_srf=measured, per_seed=recs))
    return tuple(out)


def _predicted_srf(setting: GiantStep) -> SRFParameters | None:
    try:
        return srf_parameters(setting)
    except InvalidParameterError:
        return None


def _record_from_dict(r: dict) -> GiantStepRecord:
    m = r.get("measured")
    return GiantStepRecord(r["seed"], r["alpha"], r["test_error"], r["train_error"], r["d"], r["p"], r["n0"],
                           r["n"], None if m is None else MeasuredSRF(**m))


# ------------------------------------------------------------------------------------------------
# where does the network differ from its sRF?  (issue 3 §4: "say where the sRF breaks down")


