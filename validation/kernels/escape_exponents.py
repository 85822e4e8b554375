"""Escaping the kernel regime as a question about exponents: n*(d, ε) for kernels, QuadNTK and the network.

docs/theory/kernels.md §2.4 (sample complexities: a kernel needs n ≍ d^p for a degree-p component;
QuadNTK-type learning of a low-rank degree-p component about d^{p−1}), §5.1 E3, §6.2–6.4.

For each method, target and error level ε, the *sample complexity* n*(d, ε) is the smallest n whose
test error E(f̂ − f*)² is ≤ ε, and its growth exponent a in n* ∝ d^a is fitted over d.

* Kernel side (``ntk_de``, ``rf_de``): first-layer NTK / RF kernel ridge regression, n* from the finite-d
  deterministic equivalent (:func:`asymptotics.kernels.sample_complexity.krr_sample_complexity`), d up to 256
  and n up to 10⁷; rotation invariance makes it depend on the degree profile only, so the sparse and a
  dense cubic give the same n*.  Checked against exact-kernel KRR simulations (``ntk_sim``: per-seed
  bisection on n, nested data) at small d.
* Networks (simulated, per seed, by bisection on n): ``quadntk`` — the sign-randomized QuadNTK model
  (Bai & Lee), ``network`` — the full two-layer network with the good-direction regularizer
  (:mod:`asymptotics.validation.kernels.beyond_kernel`), both with early stopping on a validation split (n counts the
  held-out samples too), each step O(m·n·d).

Targets (x ~ Unif(S^{d−1}(√d)), each component with ‖·‖² = 1, no label noise): ``sparse_cubic`` — the
zonal cubic harmonic of x₁ only; ``dense_quadratic`` — a random dense traceless quadratic form;
``sum`` — both (‖f*‖² = 2).  Drawn once per d from seed [12345, d].

Per seed, :func:`first_crossing` brackets the crossing geometrically from a warm start (n* at the
previous d times (d/d_prev)^2.5), then bisects in log n until hi/lo ≤ ``ratio``; n* is the log-linear
interpolation of the error between lo and hi.  The fitted exponent is the OLS slope of log n* on
log d over all (d, seed) points with its standard error, and a bootstrap interval over seeds
(:func:`fit_exponent`).

Run: ``python3 -m asymptotics.validation.kernels.escape_exponents --out results/kernels`` (``--quick`` for the CI size).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from functools import lru_cache

from scipy import interpolate, stats

from asymptotics.errors import InvalidParameterError
from asymptotics.gegenbauer import harmonic_dimension
from asymptotics.kernels.theory import dot_product_kernel
from asymptotics.kernels.sample_complexity import krr_sample_complexity, krr_sample_complexity_curve, transition_psi

from .beyond_kernel import TrainConfig, train_quadntk, train_regularized
from ..data import spawn_generators
from .simulation import kernel_gram, kernel_ridge_fit_predict, low_degree_plus_sparse, sphere_inputs
from ..summary import normalize_seeds
from ..store import Checkpoint, package_versions, write_figure

__all__ = ["TARGETS", "escape_target", "Crossing", "first_crossing", "tabulated_kernel", "krr_sim_error", "network_error",
           "NotComputed", "ExponentFit", "fit_exponent", "EscapeExponentsData", "escape_exponents_data",
           "write_escape_exponents_figure", "main"]

#: name -> (dense {k: F²}, sparse {k: F²}, leading degree ℓ of the kernel transition)
TARGETS = {
    "sparse_cubic": ({}, {3: 1.0}, 3),
    "dense_quadratic": ({2: 1.0}, {}, 2),
    "sum": ({2: 1.0}, {3: 1.0}, 3),
}
TARGET_LABELS = {"sparse_cubic": "sparse cubic (x₁ only)", "dense_quadratic": "dense quadratic",
                 "sum": "dense quadratic + sparse cubic"}
METHOD_LABELS = {"ntk_de": "NTK regression (det. equivalent)", "rf_de": "RF regression (det. equivalent)",
                 "ntk_sim": "NTK regression (exact-kernel simulation)", "quadntk": "QuadNTK (random signs)",
                 "network": "network + good-direction reg."}
_STREAMS = ("init", "train", "test", "unlabeled", "movement")   # the streams of asymptotics.validation.kernels.beyond_kernel
TARGET_SEED = 12345
WARM_EXPONENT = 2.5


def escape_target(name: str, d: int):
    """The target ``name`` (see :data:`TARGETS`) at dimension d, drawn from seed [12345, d]."""
    if name not in TARGETS:
        raise InvalidParameterError(f"target must be one of {', '.join(TARGETS)}, got {name!r}")
    dense, sparse, _ = TARGETS[name]
    return low_degree_plus_sparse(d, np.random.default_rng([TARGET_SEED, d]), dense, sparse)


def _profile(name: str) -> dict:
    dense, sparse, _ = TARGETS[name]
    return {**dense, **sparse}


# --------------------------------------------------------------------------------------------
# one seed: first crossing by bracketing + bisection


@dataclass(frozen=True)
class Crossing:
    """First crossing of ε by a (noisy) error curve n ↦ e(n) of one seed.

    ``n_star``: log-linear interpolation at ε between (lo, e(lo) > ε) and (hi, e(hi) ≤ ε) (``inf`` if
    e(n_max) > ε; n_min if e(n_min) ≤ ε); ``evaluations``: {n: e(n)} of every call."""

    n_star: float
    lo: int
    hi: int
    reached: bool
    evaluations: dict

    def to_dict(self) -> dict:
        return {"n_star": self.n_star, "lo": self.lo, "hi": self.hi, "reached": self.reached,
                "evaluations": {str(k): v for k, v in sorted(self.evaluations.items())}}


def first_crossing(error_at, eps: float, n_start: int, *, n_min: int = 8, n_max: int = 10**6,
                   ratio: float = 1.15, grow: float = 2.0) -> Crossing:
    """Smallest n with error_at(n) ≤ ε, to a factor ``ratio`` (module docstring).

    Walk from ``n_start`` by factors ``grow`` (up while e > ε, down while e ≤ ε) to a bracket, then
    bisect in log n.  Integer n; ``error_at`` is called once per distinct n.

    >>> c = first_crossing(lambda n: 100.0 / n, 0.5, 50, ratio=1.01)
    >>> c.reached, c.lo < 200 <= c.hi, round(c.n_star)
    (True, True, 200)
    """
    if not (ratio > 1 and grow > 1):
        raise InvalidParameterError(f"need ratio > 1 and grow > 1, got {ratio}, {grow}")
    ev: dict = {}

    def e(n):
        n = int(n)
        if n not in ev:
            ev[n] = float(error_at(n))
        return ev[n]

    n = int(min(max(n_min, round(n_start)), n_max))
    if e(n) <= eps:
        hi = n
        while True:
            if hi <= n_min:
                return Crossing(float(hi), 0, hi, True, ev)
            lo = max(n_min, int(hi / grow))
            if e(lo) > eps:
                break
            hi = lo
    else:
        lo = n
        while True:
            if lo >= n_max:
                return Crossing(math.inf, lo, n_max, False, ev)
            hi = min(n_max, int(math.ceil(lo * grow)))
            if e(hi) <= eps:
                break
            lo = hi
    while hi / lo > ratio and hi - lo > 1:
        mid = int(round(math.sqrt(lo * hi)))
        mid = min(max(mid, lo + 1), hi - 1)
        if e(mid) <= eps:
            hi = mid
        else:
            lo = mid
    e_lo, e_hi = ev[lo], ev[hi]
    t = (math.log(e_lo) - math.log(eps)) / (math.log(e_lo) - math.log(e_hi)) if e_lo > e_hi > 0 else 1.0
    return Crossing(float(math.exp(math.log(lo) + min(max(t, 0.0), 1.0) * math.log(hi / lo))), lo, hi, True, ev)


# --------------------------------------------------------------------------------------------
# error of one (method, target, d, n, seed)


def _data(target, n: int, n_test: int, seed: int):
    """Training / test inputs from the beyond_kernel streams of ``seed`` (nested in n: the first n
    rows do not depend on n)."""
    rngs = spawn_generators(seed, _STREAMS)
    return sphere_inputs(n, target.d, rngs["train"]), sphere_inputs(n_test, target.d, rngs["test"])


@lru_cache(maxsize=16)
def tabulated_kernel(kernel: str, activation, points: int = 4001):
    """h(ρ) of the ``kernel`` of ``activation`` as a cubic spline on ``points`` equispaced ρ ∈ [−1, 1].

    The direct evaluation of a kernel without a closed form (two-dimensional Gaussian quadrature /
    barycentric interpolant) costs microseconds per entry; the spline costs nanoseconds and its error
    is O(h⁴ max|h⁗|) (< 1e-10 · h(1) here, checked in the tests), far below the ridge λ = 1e-3 that sets
    the conditioning of KRR.  A callable ρ ↦ h(ρ)."""
    k = dot_product_kernel(activation, kernel)
    r = np.linspace(-1.0, 1.0, points)
    return interpolate.CubicSpline(r, np.asarray(k(r), dtype=float))


def krr_sim_error(kernel: str, activation, target, n: int, seed: int, *, lam: float = 1e-3,
                  n_test: int = 2000) -> float:
    """Test error of exact-kernel KRR (``kernel`` = "ntk" | "rf") with n noise-free samples of ``target``
    (kernel through :func:`tabulated_kernel`)."""
    X, Xt = _data(target, n, n_test, seed)
    k = tabulated_kernel(kernel, activation)
    pred, _ = kernel_ridge_fit_predict(kernel_gram(k, X), kernel_gram(k, Xt, X), target(X), lam)
    return float(np.mean((pred - target(Xt)) ** 2))


def network_config(d: int, base: TrainConfig) -> TrainConfig:
    """``base`` with enough unlabeled points for the degree-≤2 projector (M ≥ 2 × #features)."""
    p = 1 + d + d * (d + 1) // 2
    return dataclasses.replace(base, n_unlabeled=max(base.n_unlabeled, 2 * p))


def network_error(method: str, target, n: int, seed: int, cfg: TrainConfig, *, activation="tanh(z + 1/2)",
                  n_test: int = 2000) -> dict:
    """Train ``method`` ("quadntk" | "network") on n samples; test error and training diagnostics."""
    if method == "quadntk":
        r = train_quadntk(target, n, seed, cfg, activation=activation, n_test=n_test)
    elif method == "network":
        r = train_regularized(target, n, seed, network_config(target.d, cfg), activation=activation, n_test=n_test)
    else:
        raise InvalidParameterError(f"network method must be 'quadntk' or 'network', got {method!r}")
    return {"test_error": r.test_error, "train_error": r.train_error, "weight_norm": r.weight_norm, "norm24": r.norm24,
            "ntk_term_norm2": r.linear_part_norm2, "residual": {str(k): v for k, v in r.component_residual.items()}}


def _recorded_test_error(rec: dict) -> float:
    """The test error of a :func:`network_error` record.  The recorded run behind the escape-exponents
    figure (``results/kernels/escape_exponents.ckpt.json``, CPU-days) was checkpointed before the
    vocabulary of issue 8 and names it ``"test"``; it is read as recorded, never rewritten."""
    return rec["test_error"] if "test_error" in rec else rec["test"]


# --------------------------------------------------------------------------------------------
# exponent fits


@dataclass(frozen=True)
class ExponentFit:
    """n* ∝ d^a: OLS slope ``a`` of log n* on log d over all (d, seed) points, its standard error
    ``se`` (OLS formula; for a deterministic curve it measures curvature, not noise), and a bootstrap
    95 % interval over seeds (seeds resampled within each d; equal to ``a`` for one seed)."""

    slope: float
    se: float
    ci_low: float
    ci_high: float
    ds: tuple
    n_points: int

    def to_dict(self) -> dict:
        return dataclasses.asdict(self) | {"ds": list(self.ds)}


def fit_exponent(per_d: dict, *, n_boot: int = 2000, seed: int = 0) -> ExponentFit | None:
    """Fit from {d: [n*_seed, ...]} (finite values only; d with any unreached seed are dropped).

    >>> f = fit_exponent({8: [64.0], 16: [256.0], 32: [1024.0]})
    >>> round(f.slope, 6), round(f.se, 6)
    (2.0, 0.0)
    """
    pts = {d: np.log(np.asarray(v, float)) for d, v in sorted(per_d.items())
           if len(v) and np.all(np.isfinite(v))}
    if len(pts) < 2:
        return None
    x = np.concatenate([np.full(v.size, math.log(d)) for d, v in pts.items()])
    y = np.concatenate(list(pts.values()))
    res = stats.linregress(x, y) if np.ptp(y) > 0 or len(y) > 2 else None
    slope = float(res.slope) if res is not None else float(np.polyfit(x, y, 1)[0])
    se = float(res.stderr) if res is not None and len(y) > 2 else 0.0
    rng = np.random.default_rng(seed)
    lx = np.log(list(pts))
    boots = []
    for _ in range(n_boot):
        means = [rng.choice(v, v.size).mean() for v in pts.values()]
        boots.append(np.polyfit(lx, means, 1)[0])
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return ExponentFit(slope, se, float(lo), float(hi), tuple(int(d) for d in pts), int(len(y)))


def _gmean_ci(v) -> tuple[float, float, float]:
    """Geometric mean of n* over seeds and a t-interval (95 %) on log n*; (x, x, x) for one seed."""
    v = np.log(np.asarray(v, float))
    m = float(v.mean())
    if v.size < 2:
        return math.exp(m), math.exp(m), math.exp(m)
    h = float(stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return math.exp(m), math.exp(m - h), math.exp(m + h)


# --------------------------------------------------------------------------------------------
# the experiment


@dataclass(frozen=True)
class EscapeExponentsData:
    """n* per (method, target, ε, d): per-seed values, geometric mean and 95 % interval; fitted exponents."""

    rows: tuple            # (method, target, eps, d, n_star_gmean, ci_low, ci_high, seeds, reached, per_seed)
    fits: dict             # "method|target|eps" -> ExponentFit dict (over the network d range) or None
    config: dict = field(repr=False)
    extra: dict = field(default_factory=dict, repr=False)

    HEADER = ("method", "target", "eps", "d", "n_star", "ci_low", "ci_high", "seeds", "reached", "per_seed")

    def series(self, method: str, target: str, eps: float):
        pts = sorted((r for r in self.rows if r[0] == method and r[1] == target and r[2] == eps), key=lambda r: r[3])
        return pts

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(self.HEADER)
        for r in self.rows:
            w.writerow(list(r[:9]) + [" ".join(f"{x:.6g}" for x in r[9])])
        return buf.getvalue()

    def to_markdown(self) -> str:
        ds = sorted({r[3] for r in self.rows})
        lines = [f"n*(d, ε): smallest n with test error ≤ ε (geometric mean over seeds, [95 % t-interval]); "
                 f"'>' = not reached by some seed.", ""]
        lines += ["| method | target | ε | " + " | ".join(f"d={d}" for d in ds) + " | exponent a (± SE) [bootstrap 95 %] |",
                  "|" + "---|" * (len(ds) + 4)]
        keys = sorted({(r[0], r[1], r[2]) for r in self.rows}, key=lambda k: (k[1], k[2], k[0]))
        for meth, tgt, eps in keys:
            cells = {}
            for r in self.series(meth, tgt, eps):
                if r[8] < r[7]:
                    cells[r[3]] = f"> {max([x for x in r[9] if math.isfinite(x)] or [0]):.0f}" if r[8] else "not reached"
                elif r[7] == 1 or r[5] == r[6]:
                    cells[r[3]] = f"{r[4]:.0f}"
                else:
                    cells[r[3]] = f"{r[4]:.0f} [{r[5]:.0f}, {r[6]:.0f}]"
                planned = self.config["sim_seeds"] if meth == "ntk_sim" else self.config["seeds"].get(tgt, [])
                if not meth.endswith("_de") and r[7] < len(planned):
                    cells[r[3]] += f" ({r[7]} of {len(planned)} seeds)"
            f = self.fits.get(f"{meth}|{tgt}|{eps:g}")
            a = "n/a" if f is None else f"{f['slope']:.2f} ± {f['se']:.2f} [{f['ci_low']:.2f}, {f['ci_high']:.2f}] (d {f['ds'][0]}–{f['ds'][-1]})"
            lines.append(f"| {meth} | {tgt} | {eps:g} | " + " | ".join(cells.get(d, "") for d in ds) + f" | {a} |")
        if self.extra.get("large_d_fits"):
            lines += ["", "Kernel exponents at large d (deterministic equivalent), and the d → ∞ prediction ℓ:", "",
                      "| method | target | ε | a over d ∈ [64, 256] | local a (128→256) | n*/B(d,ℓ) at d=256 | ψ_ε (d=∞) |",
                      "|---|---|---|---|---|---|---|"]
            for k, v in self.extra["large_d_fits"].items():
                meth, tgt, eps = k.split("|")
                lines.append(f"| {meth} | {tgt} | {eps} | {v['slope']:.3f} | {v['local']:.3f} | {v['ratio']:.3f} | {v['psi_inf']:.3f} |")
        return "\n".join(lines) + "\n"


def _kernel_rows(methods, targets, eps_list, ds, activation, lam):
    rows, large = [], {}
    for meth in methods:
        kind = meth.split("_")[0]
        for tgt in targets:
            for eps in eps_list:
                curve = krr_sample_complexity_curve(kind, activation, ds, _profile(tgt), eps, lam=lam, n_max=1e9)
                for c in curve:
                    if not c.converged:
                        raise RuntimeError(f"n* bisection did not converge: {c}")
                    ok = c.reached
                    rows.append((meth, tgt, eps, c.d, c.n_star, c.n_star, c.n_star, 1, int(ok), (c.n_star,)))
                big = [c for c in curve if c.d >= 64 and c.reached]
                if len(big) >= 2:
                    ell = TARGETS[tgt][2]
                    sl = np.polyfit(np.log([c.d for c in big]), np.log([c.n_star for c in big]), 1)[0]
                    loc = math.log(big[-1].n_star / big[-2].n_star) / math.log(big[-1].d / big[-2].d)
                    large[f"{meth}|{tgt}|{eps:g}"] = {
                        "slope": float(sl), "local": float(loc), "ds": [c.d for c in big],
                        "ratio": float(big[-1].n_star / harmonic_dimension(big[-1].d, ell)),
                        "psi_inf": transition_psi(kind, activation, _profile(tgt), ell, eps, lam=lam),
                        "B_local": math.log(harmonic_dimension(big[-1].d, ell) / harmonic_dimension(big[-2].d, ell))
                        / math.log(big[-1].d / big[-2].d)}
    return rows, large


class NotComputed(LookupError):
    """An evaluation is missing from the checkpoint in assemble-only mode."""


def _seeded_rows(meth, tgt, eps_list, ds, seeds, err_of, n_start_of, ratio, n_max, progress, eps_max_d=None):
    """Per-seed first crossings over d (warm-started), for each ε (evaluations shared through err_of);
    ``eps_max_d`` {ε: largest d} skips the costly (d, ε) pairs; a seed whose evaluations are missing
    (:class:`NotComputed`, assemble-only mode) is left out of that (d, ε) and of its later warm starts."""
    rows = []
    prev = {}
    for d in ds:
        for eps in eps_list:
            if eps_max_d and d > eps_max_d.get(eps, math.inf):
                continue
            per = []
            for sd in seeds:
                if (eps, sd, "stop") in prev:
                    continue
                if (eps, sd) in prev:
                    dp, ns = prev[(eps, sd)]
                    start = ns * (d / dp) ** WARM_EXPONENT
                else:
                    start = n_start_of(d, eps)
                t0 = time.perf_counter()
                try:
                    c = first_crossing(lambda n: err_of(d, n, sd), eps, start, ratio=ratio, n_max=n_max)
                except NotComputed:
                    prev.pop((eps, sd), None)
                    prev[(eps, sd, "stop")] = True
                    continue
                if progress:
                    print(f"{meth} {tgt} eps={eps:g} d={d} seed={sd}: n* = {c.n_star:.0f} "
                          f"[{c.lo}, {c.hi}] ({time.perf_counter() - t0:.0f}s)", flush=True)
                per.append(c.n_star)
                if c.reached:
                    prev[(eps, sd)] = (d, c.n_star)
            if not per:
                continue
            fin = [x for x in per if math.isfinite(x)]
            g = _gmean_ci(fin) if len(fin) == len(per) else (math.inf, math.inf, math.inf)
            rows.append((meth, tgt, eps, d, g[0], g[1], g[2], len(per), len(fin), tuple(per)))
    return rows


def escape_exponents_data(quick: bool = False, *, targets=None, eps=(0.5, 0.25), kernel_ds=None, net_ds=None,
                          seeds=None, sim_ds=None, sim_seeds=None, methods=None, activation="tanh(z + 1/2)",
                          krr_lam: float = 1e-3, cfg: TrainConfig | None = None, n_test: int = 2000,
                          ratio: float = 1.25, net_n_max: int = 40000, net_eps_max_d=None, checkpoint=None,
                          assemble_only: bool = False, progress: bool = False) -> EscapeExponentsData:
    """n*(d, ε) of every method, the fitted exponents, and the simulation check of the kernel side.

    Full run (defaults): kernels (deterministic equivalent) at d = 8 … 256; the exact-kernel KRR check
    at d = 8, 12, 16 (10 seeds); QuadNTK and the regularized network at d = 8 … 48 (sparse cubic) / 8 … 32 (the other targets),
    2 seeds, m = 512.
    ``net_eps_max_d`` {ε: largest d} limits the networks' costliest runs (full run: ε = 0.25 up to d = 32).
    ``assemble_only``: use the checkpoint's records only (seeds / d whose bisection needs a missing
    evaluation are left out and the rows say how many seeds were used).
    ``quick``: the CI size (d ≤ 16 for the networks, m = 64, one seed; ≈ 20 s).
    """
    if quick:
        targets = targets or ("sparse_cubic",)
        kernel_ds = kernel_ds or (8, 12, 16, 24, 32, 48, 64, 128, 256)
        net_ds = net_ds or (8, 12)
        seeds = normalize_seeds(seeds if seeds is not None else 1)
        sim_ds = sim_ds or (8,)
        sim_seeds = normalize_seeds(sim_seeds if sim_seeds is not None else 6)
        cfg = cfg or TrainConfig(m=64, steps=150, lr=2.0, momentum=0.9, lam_l=1.0, lam_q=0.0, n_unlabeled=300,
                                 val_fraction=0.2, patience=5, eval_every=10)
        eps = eps if eps != (0.5, 0.25) else (0.5,)
        methods = methods or ("ntk_de", "rf_de", "ntk_sim", "quadntk")
        n_test = min(n_test, 500)
    else:
        targets = targets or tuple(TARGETS)
        kernel_ds = kernel_ds or (8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256)
        net_ds = net_ds or {"sparse_cubic": (8, 12, 16, 24, 32, 48), "dense_quadratic": (8, 12, 16, 24, 32),
                            "sum": (8, 12, 16, 24, 32)}
        seeds = seeds if seeds is not None else 2
        sim_ds = sim_ds or {"sparse_cubic": (8, 12, 16), "dense_quadratic": (8, 12, 16), "sum": (8, 12)}
        sim_seeds = normalize_seeds(sim_seeds if sim_seeds is not None else 10)
        cfg = cfg or TrainConfig(m=512, steps=400, lr=2.0, momentum=0.9, lam_l=1.0, lam_q=0.0, n_unlabeled=2000,
                                 val_fraction=0.2, patience=10, eval_every=10)
        n_test = min(n_test, 1000)
        methods = methods or ("ntk_de", "rf_de", "ntk_sim", "quadntk", "network")
        net_eps_max_d = {0.25: 32} if net_eps_max_d is None else net_eps_max_d
    bad = [t for t in targets if t not in TARGETS] + [m for m in methods if m not in METHOD_LABELS]
    if bad:
        raise InvalidParameterError(f"unknown target(s)/method(s) {bad}; targets: {', '.join(TARGETS)}, "
                                    f"methods: {', '.join(METHOD_LABELS)}")
    try:
        eps = tuple(float(e) for e in eps)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"eps must be a sequence of numbers, got {eps!r}") from None
    if not eps or not all(0 < e < math.inf for e in eps):
        raise InvalidParameterError(f"eps must be positive finite error levels, got {eps!r}")
    net_ds = {t: tuple(net_ds[t] if isinstance(net_ds, dict) else net_ds) for t in targets}
    seeds = {t: normalize_seeds(seeds[t] if isinstance(seeds, dict) else seeds) for t in targets}
    sim_ds = {t: tuple(sim_ds[t] if isinstance(sim_ds, dict) else sim_ds) for t in targets}
    config = {"kind": "escape_exponents", "quick": bool(quick), "targets": list(targets), "eps": list(eps),
              "kernel_ds": list(kernel_ds), "net_ds": {t: list(v) for t, v in net_ds.items()},
              "seeds": {t: list(v) for t, v in seeds.items()}, "sim_ds": {t: list(v) for t, v in sim_ds.items()},
              "sim_seeds": list(sim_seeds), "methods": list(methods), "activation": activation, "krr_lam": krr_lam,
              "train": cfg.to_dict(), "n_unlabeled_rule": "max(n_unlabeled, 2 * (1 + d + d(d+1)/2))",
              "n_test": n_test, "bisection_ratio": ratio, "warm_exponent": WARM_EXPONENT, "net_n_max": net_n_max,
              "net_eps_max_d": {f"{k:g}": v for k, v in (net_eps_max_d or {}).items()},
              "target_seed": TARGET_SEED, "assemble_only": bool(assemble_only), "versions": package_versions()}
    # records depend on (method, target, d, n, seed) and on these settings only
    ck = Checkpoint(checkpoint, {k: config[k] for k in ("activation", "krr_lam", "train", "n_test", "target_seed",
                                                        "n_unlabeled_rule")})
    rows = []
    kmeth = [m for m in methods if m.endswith("_de")]
    krows, large = _kernel_rows(kmeth, targets, eps, kernel_ds, activation, krr_lam)
    rows += krows
    de = {(r[0], r[1], r[2], r[3]): r[4] for r in krows}
    tcache: dict = {}

    def cached(key, compute):
        if assemble_only and key not in ck:
            raise NotComputed(key)
        return ck.get_or_compute(key, compute)

    def target_of(tgt, d):
        if (tgt, d) not in tcache:
            tcache[(tgt, d)] = escape_target(tgt, d)
        return tcache[(tgt, d)]

    def start_of(tgt):
        def f(d, e):   # first warm start: the NTK's n* from the deterministic equivalent
            v = de.get(("ntk_de", tgt, e, d))
            return v if v is not None else krr_sample_complexity("ntk", activation, d, _profile(tgt), e,
                                                                 lam=krr_lam, n_max=1e9).n_star
        return f

    for tgt in targets:
        if "ntk_sim" in methods:
            def err(d, n, sd, tgt=tgt):
                return cached(f"ntk_sim|{tgt}|d={d}|n={n}|seed={sd}",
                                         lambda: krr_sim_error("ntk", activation, target_of(tgt, d), n, sd,
                                                               lam=krr_lam, n_test=n_test))
            rows += _seeded_rows("ntk_sim", tgt, eps, sim_ds[tgt], sim_seeds, err, start_of(tgt), 1.02, 10**5, progress)
        for meth in ("quadntk", "network"):
            if meth not in methods:
                continue

            def err(d, n, sd, tgt=tgt, meth=meth):
                return _recorded_test_error(cached(f"{meth}|{tgt}|d={d}|n={n}|seed={sd}",
                                                   lambda: network_error(meth, target_of(tgt, d), n, sd, cfg,
                                                                         activation=activation, n_test=n_test)))
            rows += _seeded_rows(meth, tgt, eps, net_ds[tgt], seeds[tgt], err, start_of(tgt), ratio, net_n_max,
                                 progress, net_eps_max_d)
    fits = {}
    for meth, tgt, e in {(r[0], r[1], r[2]) for r in rows}:
        # kernels are fitted over the d where the networks have n* (same range), else over net_ds
        net_d = {r[3] for r in rows if r[0] in ("quadntk", "network") and (r[1], r[2]) == (tgt, e)}
        rng_ds = {"ntk_sim": sim_ds[tgt]}.get(meth, net_d or net_ds[tgt])
        per = {r[3]: list(r[9]) for r in rows if (r[0], r[1], r[2]) == (meth, tgt, e) and r[3] in rng_ds}
        f = fit_exponent(per)
        fits[f"{meth}|{tgt}|{e:g}"] = None if f is None else f.to_dict()
    rows.sort(key=lambda r: (r[1], r[2], r[0], r[3]))
    return EscapeExponentsData(tuple(rows), fits, config, {"large_d_fits": large,
                                                           "records": ck.records if checkpoint is None else None})


def write_escape_exponents_figure(data: EscapeExponentsData, out_dir="results/kernels",
                                  stem="escape_exponents") -> dict:
    """Log–log n*(d) per method (one panel per target × ε) with the fitted exponents in the legend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    targets, eps_list = data.config["targets"], data.config["eps"]
    fig, axes = plt.subplots(len(eps_list), len(targets), figsize=(max(7.0, 4.6 * len(targets)), 3.8 * len(eps_list) + 0.4),
                             squeeze=False)
    style = {"ntk_de": ("C0", "-", ""), "rf_de": ("C7", "--", ""), "ntk_sim": ("C0", "", "s"),
             "quadntk": ("C1", "-", "o"), "network": ("C2", "-", "^")}
    for i, e in enumerate(eps_list):
        for j, tgt in enumerate(targets):
            ax = axes[i][j]
            for meth in data.config["methods"]:
                pts = [r for r in data.series(meth, tgt, e) if math.isfinite(r[4])]
                if not pts:
                    continue
                c, ls, mk = style.get(meth, ("k", "-", "x"))
                f = data.fits.get(f"{meth}|{tgt}|{e:g}")
                lab = METHOD_LABELS.get(meth, meth) + ("" if f is None else f": a = {f['slope']:.2f} ± {f['se']:.2f}")
                d = np.array([r[3] for r in pts], float)
                y = np.array([r[4] for r in pts])
                se = [float(np.std(np.log(r[9]), ddof=1) / math.sqrt(len(r[9]))) if len(r[9]) > 1 else 0.0
                      for r in pts]      # ±1 SE of log n* over seeds (the table has the 95 % t-intervals)
                yerr = np.array([y - y * np.exp(-np.array(se)), y * np.exp(np.array(se)) - y])
                ax.errorbar(d, y, yerr=yerr, color=c, ls=ls or "none", marker=mk or None, ms=4, lw=1.2, label=lab)
            ell = TARGETS[tgt][2]
            ref = [r for r in data.series("ntk_de", tgt, e) if math.isfinite(r[4])]
            if ref:   # B(d, ℓ) scaled through the NTK's n* at the largest d: the kernel exponent ℓ
                dd = np.unique(np.round(np.geomspace(8, ref[-1][3], 40)).astype(int))
                scale = ref[-1][4] / harmonic_dimension(ref[-1][3], ell)
                ax.plot(dd, [scale * harmonic_dimension(int(x), ell) for x in dd], color="0.5", lw=0.8, ls=":",
                        label=f"∝ B(d, {ell}) ≈ d^{ell}/{math.factorial(ell)} (kernel, d → ∞)")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("d")
            ax.set_ylabel(f"n*(d, ε = {e:g})")
            ax.set_title(f"{TARGET_LABELS[tgt]}, ε = {e:g}", fontsize=9)
            ax.legend(fontsize=6)
    fig.suptitle(f"n*(d, ε) = samples to reach test error ε; σ = {data.config['activation']}; networks m = "
                 f"{data.config['train']['m']}\nerror bars ±1 SE of log n* over seeds (table: 95 % t-intervals); "
                 f"a = OLS slope ± SE over the d where the networks were run", fontsize=8)
    fig.tight_layout()
    cfg = dict(data.config) | {"fits": data.fits, "large_d_fits": data.extra.get("large_d_fits", {})}
    return write_figure(fig, Path(out_dir), stem, data.to_csv(), cfg, data.to_markdown())


def main(argv=None) -> int:
    """``python3 -m asymptotics.validation.kernels.escape_exponents [--quick] [--out DIR] [--targets ...] [--seeds K]``."""
    ap = argparse.ArgumentParser(prog="python3 -m asymptotics.validation.kernels.escape_exponents", description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="results/kernels")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--targets", nargs="+", choices=list(TARGETS))
    ap.add_argument("--methods", nargs="+", choices=list(METHOD_LABELS))
    ap.add_argument("--net-ds", nargs="+", type=int)
    ap.add_argument("--eps", nargs="+", type=float, help="error levels (default 0.5 0.25; quick: 0.5)")
    ap.add_argument("--no-figure", action="store_true", help="compute (fill the checkpoint) without writing the figure")
    ap.add_argument("--seeds", type=int, help="seeds 0..K-1")
    ap.add_argument("--seed-list", nargs="+", type=int, help="explicit seeds (instead of --seeds)")
    ap.add_argument("--assemble-only", action="store_true", help="use the checkpoint's records only")
    ap.add_argument("--ratio", type=float, default=1.25, help="bisection stops at hi/lo <= ratio")
    ap.add_argument("--checkpoint", default=None, help="resumable record file (default: <out>/escape_exponents.ckpt.json)")
    args = ap.parse_args(argv)
    try:
        ck = args.checkpoint or (None if args.quick else str(Path(args.out) / "escape_exponents.ckpt.json"))
        eps = tuple(args.eps) if args.eps else (0.5, 0.25)
        data = escape_exponents_data(args.quick, eps=eps, targets=args.targets, methods=args.methods, net_ds=args.net_ds,
                                     seeds=args.seed_list or args.seeds, checkpoint=ck, progress=True,
                                     ratio=args.ratio, assemble_only=args.assemble_only)
        paths = {} if args.no_figure else write_escape_exponents_figure(data, args.out)
    except InvalidParameterError as exc:
        print(f"escape_exponents: error: {exc}", file=sys.stderr)
        return 2
    print(data.to_markdown())
    print("\n".join(paths.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
