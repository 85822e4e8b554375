"""Monte Carlo of the one-step protocol of Ba et al. (docs/theory/one-step.md §1 and §7), exactly.

Per seed:

1. W0 ∈ R^{d×N} iid N(0, 1/d), a iid N(0, 1/N) frozen, β* uniform unit vector (N = round(ψ2 d)).
2. Batch 1: X (n×d, n = round(ψ1 d)), y = σ*(Xβ*) + σ_ε ξ.
3. Exact gradient step W1 = W0 − η√N ∇_W L (:func:`asymptotics.validation.one_step.network.one_step_gradient`).
4. Independent batch 2 (X̃, ỹ) of n2 samples (n2 = n, or round(psi1_readout·d)), noisy labels.
5. Ridge â = (ΦᵀΦ + (n2 λ/N) I)^{-1} Φᵀ ỹ, Φ = σ(X̃W1)/√N (:func:`asymptotics.validation.readout.fit_ridge`).
6. Risk E_x(f̂(x) − f*(x))² against the noise-free teacher on n_test fresh Gaussian points,
   evaluated in chunks; train error (1/n2)‖ỹ − Φâ‖²; the measured spike ‖W1 − W0‖_op and the
   alignment ⟨û, β*⟩² of its top left singular vector (docs/theory/one-step.md §2).

With ``features="gaussian-equivalent"`` step 5–6 use (μ0 + μ1 X̃W1 + μ* Z)/√N, Z iid N(0, 1) (a
fresh Z for every training and test point; docs/theory/one-step.md §7 last paragraph, §4.1), the μ's from
:func:`asymptotics.hermite.hermite_constants` of the student.

Random streams: each seed s gives ``SeedSequence(s).spawn(5)`` → independent generators for
(network + batch 1, batch 2, test inputs, GE noise of batch 2, GE noise of the test points).  So
the "network" and "gaussian-equivalent" runs of a seed share W0, a, β*, W1, X̃, ỹ and the test
inputs, and changing n_test or the chunk size changes nothing else.  No global random state.

>>> from asymptotics.settings import OneStep
>>> s = OneStep(student="tanh", teacher="tanh", psi1=2, psi2=1, lam=1e-2, eta=1, noise=0.1)
>>> sim = simulate_one_step(s, d=40, seeds=2, n_test=2000)
>>> len(sim.per_seed), sim.d, sim.seeds
(2, 40, (0, 1))
>>> sorted(sim.to_dict())[:4]
['chunk_size', 'd', 'dtype', 'features']
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from asymptotics.activations import Activation
from asymptotics.errors import InvalidParameterError
from asymptotics.limits import array_bytes, check_memory, ridge_fit_bytes
from asymptotics.settings import RATIO_RANGE, OneStep, check_positive, check_range

from ..summary import mean_sem, normalize_seeds, summarize
from ..data import (
    check_n_test,
    check_all_finite,
    check_int,
    gaussian_inputs,
    sample_batch,
    spawn_generators,
    teacher_labels,
)
from .network import OneStepNetwork, auto_chunk_rows, check_dtype, one_step_sizes, sample_one_step
from .exact_risk import exact_risk
from ..readout import fit_ridge

__all__ = [
    "FEATURES",
    "GEConstants",
    "OneStepSimulation",
    "SeedRecord",
    "features_matrix",
    "ge_constants",
    "mean_sem",
    "network_for_seed",
    "normalize_seeds",
    "one_step_memory",
    "simulate_one_step",
    "simulate_seed",
    "estimate_risk",
]

#: Feature maps of the readout: the real network, or its Gaussian equivalent (docs/theory/one-step.md §4.1, §7).
FEATURES = ("network", "gaussian-equivalent")

#: How the test risk is measured: fresh test points, or the exact Gaussian integral.
TEST_RISKS = ("monte-carlo", "exact")

# Order matters: a stream is the i-th child of SeedSequence(seed) (see data.spawn_generators).
_STREAMS = ("network", "readout", "test", "ge-readout", "ge-test")

#: Largest number of seeds one call may run (a guard against a runaway loop from a typo).


@dataclass(frozen=True)
class GEConstants:
    """Student constants used by the Gaussian-equivalent features: μ0, μ1, μ* (docs/conventions.md)."""

    mu0: float
    mu1: float
    mu_star: float


def ge_constants(student: Activation) -> GEConstants:
    """μ0, μ1, μ* of the student from :func:`asymptotics.hermite.hermite_constants`."""
    from asymptotics.hermite import hermite_constants  # imported lazily: only GE runs need it

    h = hermite_constants(student)
    return GEConstants(mu0=float(h.mu0), mu1=float(h.mu1), mu_star=float(h.mu_star))


def features_matrix(
    X: np.ndarray,
    W: np.ndarray,
    student: Activation,
    ge: GEConstants | None = None,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Readout features of the rows of X (docs/theory/one-step.md §1 and §7).

    ``ge is None``: Φ = σ(XW)/√N (the network).  Otherwise Φ = (μ0 + μ1 XW + μ* Z)/√N with
    Z ∈ R^{rows×N} iid N(0, 1) drawn from ``rng`` (the Gaussian-equivalent model).
    """
    N = W.shape[1]
    pre = X @ W
    if ge is None:
        out = np.asarray(student.fn(pre), dtype=pre.dtype)  # some activations return float64
    else:
        if rng is None:
            raise InvalidParameterError("Gaussian-equivalent features need an rng for Z")
        out = pre
        out *= ge.mu1
        out += ge.mu0
        out += ge.mu_star * rng.standard_normal(pre.shape)
    out /= math.sqrt(N)
    return out


def estimate_risk(
    W1: np.ndarray,
    coef: np.ndarray,
    beta: np.ndarray,
    student: Activation,
    teacher: Activation,
    n_test: int,
    rng: np.random.Generator,
    chunk_size: int | None = None,
    ge: GEConstants | None = None,
    ge_rng: np.random.Generator | None = None,
) -> float:
    """Monte Carlo E_x (f̂(x) − σ*(⟨β*, x⟩))² over n_test fresh x ~ N(0, I_d) (docs/theory/one-step.md §7 step 6).

    f̂(x) = φ(x)ᵀ â with φ from :func:`features_matrix`; the target is noise-free.  The points are
    drawn and evaluated ``chunk_size`` rows at a time; since consecutive draws from one generator
    concatenate, the result does not depend on the chunk size (up to summation rounding).

    ``coef`` may also be an (N, K) matrix of K readouts (e.g. one per sample size, as in
    :mod:`asymptotics.validation.giant_step.simulation`): all are evaluated on the same test points and an array of K risks
    is returned.
    """
    n_test = check_n_test(n_test)
    d, N = W1.shape
    coef = np.asarray(coef, dtype=np.result_type(W1.dtype, np.float32))  # float32 network: float32 readout
    rows = auto_chunk_rows(N, chunk_size)
    total = np.zeros(coef.shape[1:])
    for s in range(0, n_test, rows):
        m = min(rows, n_test - s)
        Xt = gaussian_inputs(m, d, rng)
        target = teacher_labels(Xt, beta, teacher)
        # float32: the draws are the float64 ones rounded; errors are summed in float64
        err = np.asarray(features_matrix(Xt.astype(W1.dtype, copy=False), W1, student, ge, ge_rng) @ coef,
                         dtype=float)
        err -= target if coef.ndim == 1 else target[:, None]
        total += np.einsum("i...,i...->...", err, err)
    risk = total / n_test
    check_all_finite("test risk", risk, "the predictor or the teacher overflowed")
    return float(risk) if coef.ndim == 1 else risk


@dataclass(frozen=True)
class SeedRecord:
    """Result of one seed of :func:`simulate_one_step`.

    Attributes
    ----------
    seed : int
    test_error : float
        E_x(f̂ − f*)² on the test points (noise-free target).
    train_error : float
        (1/n_readout)‖ỹ − Φâ‖² on the noisy batch-2 labels.
    spike_norm : float
        ‖W1 − W0‖_op.
    alignment : float
        ⟨û, β*⟩², the squared spike–teacher overlap (theory: ``OneStepRisk.alignment``; NaN when η = 0: no spike direction; ``to_dict`` writes it as ``None``).
    d, N, n, n_readout : int
        Input dimension, width, batch-1 size, batch-2 size.
    """

    seed: int
    test_error: float
    train_error: float
    spike_norm: float
    alignment: float
    d: int
    N: int
    n: int
    n_readout: int

    def to_dict(self) -> dict:
        return {
            "seed": self.seed,
            "test_error": self.test_error,
            "train_error": self.train_error,
            "spike_norm": self.spike_norm,
            "alignment": None if math.isnan(self.alignment) else self.alignment,
            "d": self.d,
            "N": self.N,
            "n": self.n,
            "n_readout": self.n_readout,
        }



@dataclass(frozen=True)
class OneStepSimulation:
    """Monte Carlo of the one-step protocol over several seeds (docs/theory/one-step.md §7).

    ``test_error_sem`` / ``train_error_sem`` are std(ddof=1)/√K over the K seeds, and 0.0 when K = 1
    (a single seed measures no spread; do not read 0.0 as "exact").
    """

    setting: OneStep
    d: int
    seeds: tuple[int, ...]
    per_seed: tuple[SeedRecord, ...] = field(repr=False)
    test_error_mean: float
    test_error_sem: float
    train_error_mean: float
    train_error_sem: float
    n_test: int
    psi1_readout: float | None
    features: str
    chunk_size: int | None = None
    test_risk: str = "monte-carlo"
    dtype: str = "float64"

    def to_dict(self) -> dict:
        """JSON-friendly summary (plain floats, ints, lists, dicts; NaN alignment → None)."""
        return {
            "test_error_mean": self.test_error_mean,
            "test_error_sem": self.test_error_sem,
            "train_error_mean": self.train_error_mean,
            "train_error_sem": self.train_error_sem,
            "d": self.d,
            "seeds": list(self.seeds),
            "per_seed": [r.to_dict() for r in self.per_seed],
            "setting": self.setting.to_dict(),
            "n_test": self.n_test,
            "psi1_readout": self.psi1_readout,
            "features": self.features,
            "chunk_size": self.chunk_size,
            "test_risk": self.test_risk,
            "dtype": self.dtype,
        }



def _readout_size(setting: OneStep, d: int, psi1_readout: float | None) -> int:
    if psi1_readout is None:
        return one_step_sizes(setting, d)[1]
    psi1_readout = check_range("psi1_readout", psi1_readout, *RATIO_RANGE, "the readout sample ratio")
    n2 = int(round(psi1_readout * d))
    if n2 < 1:
        raise InvalidParameterError(f"readout batch round(psi1_readout*d) = {n2} < 1")
    return n2


def one_step_memory(setting: OneStep, d: int, n_readout: int, n_test: int, chunk_size: int | None = None,
                    test_risk: str = "monte-carlo") -> float:
    """Estimated peak bytes of one seed of :func:`simulate_seed` (W0, W1, both batches, the readout
    features and ridge fit, and the chunked gradient / test temporaries)."""
    N, n = one_step_sizes(setting, d)
    rows = max(1, min(auto_chunk_rows(N, chunk_size), max(n, n_test)))
    test = (rows, d + 3 * N) if test_risk != "exact" else (N, N)
    return array_bytes((d, N), (d, N), (d, N), (n, d), (n_readout, d), (rows, 3 * N), test) + \
        ridge_fit_bytes(n_readout, N)


def _check_one_step_memory(setting, d, n2, n_test, chunk_size, test_risk) -> None:
    N, n = one_step_sizes(setting, d)
    check_memory(f"the one-step simulation at d={d} (N={N}, n={n}, readout n={n2}, n_test={n_test})",
                 one_step_memory(setting, d, n2, n_test, chunk_size, test_risk))


def network_for_seed(setting: OneStep, d: int, seed: int, chunk_size: int | None = None,
                     dtype="float64") -> OneStepNetwork:
    """The trained network :func:`simulate_seed` uses for ``seed`` (its ``"network"`` stream).

    Lets a caller evaluate theory on the very same W1 (e.g. the finite-d deterministic equivalent)
    and then pass the network on to :func:`simulate_seed` without sampling it twice.
    """
    return sample_one_step(setting, d, spawn_generators(seed, _STREAMS)["network"], chunk_size=chunk_size,
                           dtype=dtype)


def simulate_seed(
    setting: OneStep,
    d: int,
    seed: int,
    n_test: int = 20000,
    psi1_readout: float | None = None,
    features: str = "network",
    chunk_size: int | None = None,
    network: OneStepNetwork | None = None,
    test_risk: str = "monte-carlo",
    dtype="float64",
) -> SeedRecord:
    """One seed of the protocol (docs/theory/one-step.md §7 steps 1–6); see the module docstring for the streams.

    ``test_risk="exact"`` replaces the ``n_test`` test points by the exact Gaussian integral of
    :func:`asymptotics.validation.one_step.exact_risk.exact_risk` (network features only).

    ``network`` may pass an already sampled :func:`sample_one_step` result for this seed (it must
    come from the seed's ``"network"`` stream for the record to be reproducible).

    ``dtype="float32"`` runs the gradient step, the features, the ridge Gram matrix and the test
    points in single precision (the random draws are the float64 ones, rounded); the default
    float64 is the reference.
    """
    if not isinstance(setting, OneStep):
        raise InvalidParameterError(f"setting must be a OneStep, got {type(setting).__name__}")
    d = check_int("d", d, 2, "the input dimension")
    seed = check_int("seed", seed, 0, "a random seed")
    n_test = check_n_test(n_test)
    if not (isinstance(features, str) and features in FEATURES):
        raise InvalidParameterError(f"features must be one of {FEATURES}, got {features!r}")
    if not (isinstance(test_risk, str) and test_risk in TEST_RISKS):
        raise InvalidParameterError(f"test_risk must be one of {TEST_RISKS}, got {test_risk!r}")
    if psi1_readout is not None:
        psi1_readout = check_positive("psi1_readout", psi1_readout, "the readout sample ratio")
    n2 = _readout_size(setting, d, psi1_readout)
    dtype = check_dtype(dtype)
    _check_one_step_memory(setting, d, n2, n_test, chunk_size, test_risk)
    rngs = spawn_generators(seed, _STREAMS)
    if network is None:
        network = sample_one_step(setting, d, rngs["network"], chunk_size=chunk_size, dtype=dtype)
    ge = ge_constants(setting.student) if features == "gaussian-equivalent" else None

    batch2 = sample_batch(n2, network.beta, setting.teacher, setting.noise, rngs["readout"])
    Phi = features_matrix(batch2.X.astype(network.W1.dtype, copy=False), network.W1, setting.student, ge,
                          rngs["ge-readout"])
    check_all_finite("readout features", Phi, f"the learning rate eta={setting.eta} may be too large")
    fit = fit_ridge(Phi, batch2.y.astype(Phi.dtype, copy=False), setting.lam)
    del Phi
    if test_risk == "exact":
        risk = exact_risk(network.W1.astype(float), fit.coef.astype(float), network.beta.astype(float),
                          setting.student, setting.teacher)
    else:
        risk = estimate_risk(
            network.W1, fit.coef, network.beta, setting.student, setting.teacher,
            n_test, rngs["test"], chunk_size, ge, rngs["ge-test"],
        )
    spike = network.spike()
    return SeedRecord(
        seed=int(seed),
        test_error=risk,
        train_error=fit.train_error,
        spike_norm=spike.norm,
        alignment=spike.alignment,
        d=network.d,
        N=network.N,
        n=network.n,
        n_readout=n2,
    )


def simulate_one_step(
    setting: OneStep,
    d: int,
    seeds: Sequence[int] | int,
    n_test: int = 20000,
    psi1_readout: float | None = None,
    features: str = "network",
    chunk_size: int | None = None,
    progress: bool = False,
    test_risk: str = "monte-carlo",
    dtype="float64",
) -> OneStepSimulation:
    """Monte Carlo of the one-step protocol (docs/theory/one-step.md §7), mean ± SEM over seeds.

    Parameters
    ----------
    setting : OneStep
        Student, teacher, ψ1, ψ2, λ, η, σ_ε.
    d : int
        Input dimension ≥ 2; N = round(ψ2 d), n = round(ψ1 d).
    seeds : int or sequence of int
        K → seeds 0..K−1; or explicit distinct non-negative seeds.
    n_test : int
        Fresh Gaussian test points per seed (> 0).
    psi1_readout : float, optional
        Batch-2 ratio n2/d; default ψ1 (n2 = n, as in the paper).
    features : {"network", "gaussian-equivalent"}
        Readout features: σ(X̃W1)/√N, or (μ0 + μ1 X̃W1 + μ* Z)/√N.
    chunk_size : int, optional
        Rows evaluated at once in the gradient and the test risk (default: ~32 MB temporaries).
    progress : bool
        Print one line per seed to stderr.
    test_risk : {"monte-carlo", "exact"}
        Test risk from ``n_test`` fresh points, or the exact Gaussian integral
        (:func:`asymptotics.validation.one_step.exact_risk.exact_risk`; network features only, no test-point noise).
    dtype : {"float64", "float32"}
        Arithmetic precision (default float64, the reference).  float32 uses the same random draws,
        rounded, and roughly halves the time and the memory of the matrix products; on the default
        setting it changes the risk by less than 1e-3 relative (tests/test_dtype.py).  An
        ill-conditioned ridge (tiny λ) loses more digits in float32: keep float64 there.

    Returns
    -------
    OneStepSimulation

    Raises
    ------
    InvalidParameterError
        Bad d, seeds, n_test, psi1_readout, features or chunk_size.
    NonFiniteError
        A NaN / inf appeared (e.g. overflow at a huge η); never returns NaN risks.
    """
    if not isinstance(setting, OneStep):
        raise InvalidParameterError(f"setting must be a OneStep, got {type(setting).__name__}")
    d = check_int("d", d, 2, "the input dimension")
    seeds = normalize_seeds(seeds)
    n_test = check_n_test(n_test)
    if psi1_readout is not None:
        psi1_readout = check_positive("psi1_readout", psi1_readout, "the readout sample ratio")
    if not (isinstance(features, str) and features in FEATURES):
        raise InvalidParameterError(f"features must be one of {FEATURES}, got {features!r}")
    if chunk_size is not None:
        chunk_size = check_int("chunk_size", chunk_size, 1, "rows evaluated at once")
    if not (isinstance(test_risk, str) and test_risk in TEST_RISKS):
        raise InvalidParameterError(f"test_risk must be one of {TEST_RISKS}, got {test_risk!r}")
    if test_risk == "exact" and features != "network":
        raise InvalidParameterError("test_risk='exact' integrates the network's own features only")
    one_step_sizes(setting, d)
    dtype = check_dtype(dtype)
    _check_one_step_memory(setting, d, _readout_size(setting, d, psi1_readout), n_test, chunk_size, test_risk)

    records = []
    for seed in seeds:
        t0 = time.perf_counter()
        rec = simulate_seed(setting, d, seed, n_test, psi1_readout, features, chunk_size,
                            test_risk=test_risk, dtype=dtype)
        records.append(rec)
        if progress:
            print(
                f"[simulate_one_step d={d}] seed {seed}: test_error={rec.test_error:.5g} "
                f"train={rec.train_error:.5g} spike={rec.spike_norm:.4g} "
                f"alignment={rec.alignment:.4g} ({time.perf_counter() - t0:.2f}s)",
                file=sys.stderr,
                flush=True,
            )
    return OneStepSimulation(
        setting=setting,
        d=d,
        seeds=seeds,
        per_seed=tuple(records),
        **summarize(records),
        n_test=n_test,
        psi1_readout=psi1_readout,
        features=features,
        chunk_size=chunk_size,
        test_risk=test_risk,
        dtype=dtype.name,
    )
