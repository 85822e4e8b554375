"""The ``asym`` command line.

    asym hermite NAME_OR_EXPR --order K [--digits D]
    asym risk one-step --student S --teacher T --psi1 X --psi2 X --lam X --eta X --noise X
    asym risk large-step --student S --teacher T
    asym risk giant-step --student S --teacher T --alpha0 X --eta-tilde X --alpha X --width-ratio X --lam X
                         [--noise X] [--backend asymptotic|finite --d D] [--r R --c C --gamma G]
    asym risk krr --kernel ntk|rf --activation A --d D --n N[,N...] --lam X --target "k:F2,..." --noise X
    asym simulate one-step ... --d D --seeds K
    asym simulate giant-step|srf ... --d D --seeds K [--n-test M]
    asym simulate krr ... --seeds K [--model exact|rf|ntk --m M]
    asym compare one-step [--d 256,512,1024] [--seeds K] [--checkpoint F] [--out DIR]
    asym compare giant-step [--model network|srf] [--d 256,512,1024] [--seeds K] [--checkpoint F] [--out DIR]
    asym figure 3a|3b|giant-tanh|giant-sin|giant-eta|staircase|escape [--quick] [--d D] [--seeds K] [--out DIR]
    asym demo [--out DIR]

Every command takes ``--json``.  In ``risk`` and ``simulate`` one numeric parameter may be a
comma-separated list, giving a list of results.  Invalid input prints one line
``asym: error: ...`` and exits with status 2.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from asymptotics.errors import AsymptoticsError
from asymptotics.hermite import DEFAULT_TIME_BUDGET, hermite_coefficients, hermite_constants, hermite_norm2
from asymptotics.onestep import large_step_limit, one_step_curve, one_step_risk
from asymptotics.settings import OneStep

from .store import dumps, write_atomic, write_json

__all__ = ["main", "build_parser"]

_SWEEPABLE = ("psi1", "psi2", "lam", "eta", "noise")


class CLIError(Exception):
    """A usage problem found after argparse (reported like any other input error)."""


def _floats(text: str, name: str) -> list[float]:
    try:
        vals = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise CLIError(f"--{name.replace('_', '-')} must be a number or comma-separated numbers, got {text!r}")
    if not vals:
        raise CLIError(f"--{name.replace('_', '-')} is empty")
    return vals


def _seeds(text: str) -> "int | list[int]":
    """``"K"`` → K (seeds 0..K−1); ``"3,7"`` → [3, 7]."""
    try:
        vals = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise CLIError(f"--seeds must be an integer K or a comma-separated list of seeds, got {text!r}")
    if not vals:
        raise CLIError("--seeds is empty")
    return vals if "," in text else vals[0]


def _setting_and_sweep(args) -> tuple[OneStep, str | None, list[float]]:
    """The base setting and, if one parameter holds a list, its name and values."""
    values = {name: _floats(getattr(args, name), name) for name in _SWEEPABLE}
    lists = [n for n, v in values.items() if len(v) > 1]
    if len(lists) > 1:
        raise CLIError(f"only one parameter may be a list, got lists in {', '.join(lists)}")
    base = OneStep(args.student, args.teacher, **{n: v[0] for n, v in values.items()})
    if lists:
        return base, lists[0], values[lists[0]]
    return base, None, []


def _add_one_step_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--student", default="tanh", help="student activation σ (registry name or expression in z)")
    p.add_argument("--teacher", default="tanh", help="teacher σ* (registry name, centered:NAME or expression)")
    p.add_argument("--psi1", default="2", help="n/d, sample ratio of each batch")
    p.add_argument("--psi2", default="2", help="N/d, width ratio")
    p.add_argument("--lam", default="0.01", help="ridge λ (≥ 0)")
    p.add_argument("--eta", default="1", help="learning rate η = Θ(1)")
    p.add_argument("--noise", default="0.1", help="label-noise std σ_ε")
    p.add_argument("--json", action="store_true", help="print JSON")


_GIANT_SWEEPABLE = ("alpha0", "eta_tilde", "alpha", "width_ratio", "lam", "noise")


def _giant_setting_and_sweep(args):
    """The base GiantStep and, if one parameter holds a list, its name and values."""
    from asymptotics.settings import GiantStep

    values = {name: _floats(getattr(args, name), name) for name in _GIANT_SWEEPABLE}
    lists = [n for n, v in values.items() if len(v) > 1]
    if len(lists) > 1:
        raise CLIError(f"only one parameter may be a list, got lists in {', '.join(lists)}")
    base = GiantStep(args.student, args.teacher, **{n: v[0] for n, v in values.items()})
    if lists:
        return base, lists[0], values[lists[0]]
    return base, None, []


def _given_srf(args):
    """(r, c, γ) from --r/--c/--gamma (all three or none)."""
    given = [getattr(args, k, None) for k in ("r", "c", "gamma")]
    if all(v is None for v in given):
        return None
    if any(v is None for v in given):
        raise CLIError("--r, --c and --gamma must be given together")
    from asymptotics.srf import SRFParameters

    return SRFParameters(*given)


def _add_giant_step_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--student", default="tanh", help="student activation σ (registry name or expression in z)")
    p.add_argument("--teacher", default="tanh", help="teacher σ* (registry name, centered:NAME or expression)")
    p.add_argument("--alpha0", default="0.5", help="n0/d, first-step sample ratio (0: no step)")
    p.add_argument("--eta-tilde", dest="eta_tilde", default="1", help="normalized learning rate η̃ = η/p")
    p.add_argument("--alpha", default="1", help="n/d, readout sample ratio")
    p.add_argument("--width-ratio", dest="width_ratio", default="1", help="p/d")
    p.add_argument("--lam", default="0.01", help="ridge λ of Σ(y − wᵀφ/√p)² + λ‖w‖²")
    p.add_argument("--noise", default="0", help="label-noise std σ_ε (every label)")
    p.add_argument("--r", type=float, default=None, help="sRF spike strength (with --c, --gamma: skip the formulas)")
    p.add_argument("--c", type=float, default=None, help="sRF bulk variance")
    p.add_argument("--gamma", type=float, default=None, help="sRF spike-teacher overlap")
    p.add_argument("--json", action="store_true", help="print JSON")


def _finite_or_none(obj):
    """Replace non-finite floats by None (JSON has no NaN; non-converged points say converged: false)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite_or_none(v) for v in obj]
    return obj


def _emit(obj, as_json: bool, text: str) -> None:
    print(dumps(obj) if as_json else text)


# ---------------------------------------------------------------------------------------------

def _cmd_hermite(args) -> int:
    res = hermite_coefficients(args.function, args.order, digits=args.digits,
                               time_budget=args.time_budget)
    out = res.to_dict()
    if args.digits is None:
        c = hermite_constants(args.function)
        out.update(mu0=c.mu0, mu1=c.mu1, mu_star=c.mu_star, norm2=c.norm2)
    else:
        norm2 = hermite_norm2(args.function, digits=args.digits)
        out.update(norm2.to_dict())
    if args.json:
        print(dumps(out))
    else:
        print(f"{res.activation}: method={res.method}, error estimate {out['error_estimate']}")
        for k, c in enumerate(out["coefficients"]):
            print(f"  c_{k} = {c}")
        for key in ("mu0", "mu1", "mu_star", "norm2"):
            print(f"  {key} = {out[key]}")
    return 0


def _cmd_risk_one_step(args) -> int:
    base, name, vals = _setting_and_sweep(args)
    results = one_step_curve(base, name, vals) if name else (one_step_risk(base),)
    dicts = [r.to_dict() for r in results]
    lines = [f"{'risk':>9} {'R0':>9} {'delta':>9} {'train':>9} {'bound':>8} {'gamma2':>7} {'kappa':>9}  setting"]
    for r in results:
        s = r.setting
        lines.append(
            f"{r.risk:9.5f} {r.risk_rf:9.5f} {r.improvement:9.2e} {r.train_error:9.5f} "
            f"{r.lower_bound:8.5f} {r.alignment:7.4f} {r.effective_ridge:9.3e}  "
            f"psi1={s.psi1:g} psi2={s.psi2:g} lam={s.lam:g} eta={s.eta:g} noise={s.noise:g}"
        )
    _emit(dicts if name else dicts[0], args.json, "\n".join(lines))
    return 0


def _cmd_risk_large_step(args) -> int:
    lim = large_step_limit(args.student, args.teacher)
    _emit(lim.to_dict(), args.json,
          f"tau* = {lim.tau_star:.6g} at kappa* = {lim.kappa_star:.6g} "
          f"({'attained' if lim.attained else 'not attained: infimum at the edge of the range'}); "
          f"kernel lower bound ||P>1 f*||^2 = {lim.lower_bound:.6g}")
    return 0


def _cmd_risk_krr(args) -> int:
    from asymptotics.kernels import KernelRidge, krr_risk_curve

    ns = _floats(args.n, "n")
    base = KernelRidge(kernel=args.kernel, activation=args.activation, d=args.d, n=ns[0],
                       lam=args.lam, noise=args.noise, target=args.target)
    results = krr_risk_curve(base, ns)
    dicts = [r.to_dict() for r in results]
    lines = [f"{'n':>10} {'log n/log d':>11} {'test':>9} {'train':>9} {'staircase':>9}"]
    for n, r in zip(ns, results):
        lines.append(f"{n:10.4g} {math.log(n) / math.log(args.d):11.3f} {r.test_error:9.5f} "
                     f"{r.train_error:9.5f} {r.staircase:9.5f}")
    _emit(dicts if len(ns) > 1 else dicts[0], args.json, "\n".join(lines))
    return 0


def _cmd_risk_giant_step(args) -> int:
    from asymptotics.srf import srf_curve, srf_risk

    base, name, vals = _giant_setting_and_sweep(args)
    opts = {"srf": _given_srf(args), "backend": args.backend}
    if args.backend == "finite":
        if args.d is None:
            raise CLIError("--backend finite needs --d")
        opts.update(d=args.d, rng=args.seed)
    elif args.d is not None:
        raise CLIError("--d is only used with --backend finite")
    if name:
        results = srf_curve(base, name, vals, raise_on_failure=False, **opts)
    else:
        results = (srf_risk(base, raise_on_failure=False, **opts),)
    dicts = [_finite_or_none(r.to_dict()) for r in results]
    lines = [f"{'test':>9} {'train':>9} {'r':>7} {'c':>7} {'gamma':>7} conv  setting"]
    for r in results:
        s = r.setting
        lines.append(
            f"{r.test_error:9.5f} {r.train_error:9.5f} {r.srf.r:7.4f} {r.srf.c:7.4f} {r.srf.gamma:7.4f} "
            f"{'yes ' if r.converged else 'NO  '} alpha0={s.alpha0:g} eta_tilde={s.eta_tilde:g} alpha={s.alpha:g} "
            f"p/d={s.width_ratio:g} lam={s.lam:g} noise={s.noise:g}"
        )
    _emit(dicts if name else dicts[0], args.json, "\n".join(lines))
    return 0


def _cmd_simulate_giant(args, model: str) -> int:
    from .giant_step import simulate_giant_step

    base, name, vals = _giant_setting_and_sweep(args)
    srf = _given_srf(args)
    if model == "network" and srf is not None:
        raise CLIError("--r/--c/--gamma are for 'simulate srf' (the network has no given sRF parameters)")
    kw = dict(model=model, srf=srf, n_test=args.n_test, progress=args.progress)
    seeds = _seeds(args.seeds)
    if name == "alpha":  # one model per seed serves every α
        sims = simulate_giant_step(base, args.d, seeds, alphas=vals, **kw)
    else:
        settings = [base.replace(**{name: v}) for v in vals] if name else [base]
        sims = [simulate_giant_step(s, args.d, seeds, **kw)[0] for s in settings]
    out = [sim.to_dict() for sim in sims]
    lines = [
        f"test {m.test_error_mean:.5f} ± {m.test_error_sem:.5f}   train {m.train_error_mean:.5f} ± "
        f"{m.train_error_sem:.5f}   {model} d={m.d} p={m.p} seeds={len(m.seeds)}  {m.setting.to_dict()}"
        for m in sims
    ]
    _emit(out if name else out[0], args.json, "\n".join(lines))
    return 0


def _cmd_simulate_giant_step(args) -> int:
    return _cmd_simulate_giant(args, "network")


def _cmd_simulate_srf(args) -> int:
    return _cmd_simulate_giant(args, "srf")


def _cmd_compare_giant_step(args) -> int:
    from .compare import GIANT_STEP_CHECKS, SRF_CHECKS, compare_giant_step

    ds = [int(v) for v in _floats(args.d, "d")]
    alphas = _floats(args.alphas, "alphas")
    suite = SRF_CHECKS if args.model == "srf" else GIANT_STEP_CHECKS
    names = list(suite) if args.settings is None else [n.strip() for n in args.settings.split(";")]
    unknown = [n for n in names if n not in suite]
    if unknown:
        raise CLIError(f"unknown settings {unknown}; choose from {'; '.join(suite)}")
    table = compare_giant_step([suite[n] for n in names], alphas=alphas, ds=ds, seeds=_seeds(args.seeds),
                               model=args.model, n_test=args.n_test, checkpoint=args.checkpoint,
                               progress=args.progress, allowance=args.allowance)
    if args.out:
        out = Path(args.out)
        stem = f"compare_giant_step_{args.model}"
        write_atomic(out / f"{stem}.md", table.to_markdown() + "\n")
        write_atomic(out / f"{stem}.csv", table.to_csv())
        write_json(out / f"{stem}.json", table.to_dict())
        if args.model == "network":
            from .compare import measured_srf_table

            write_atomic(out / "srf_parameters_network.md", measured_srf_table(table) + "\n")
    _emit(table.to_dict(), args.json, table.to_markdown())
    return 0


def _cmd_simulate_one_step(args) -> int:
    from .simulate import simulate_one_step

    base, name, vals = _setting_and_sweep(args)
    settings = [base.replace(**{name: v}) for v in vals] if name else [base]
    out, lines = [], []
    for s in settings:
        sim = simulate_one_step(s, args.d, _seeds(args.seeds), n_test=args.n_test, features=args.features,
                                psi1_readout=args.psi1_readout, progress=args.progress,
                                test_risk="exact" if args.exact_risk else "monte-carlo")
        out.append(sim.to_dict())
        lines.append(
            f"risk {sim.risk_mean:.5f} ± {sim.risk_sem:.5f}   train {sim.train_error_mean:.5f} ± "
            f"{sim.train_error_sem:.5f}   d={sim.d} seeds={len(sim.seeds)}  {s.to_dict()}"
        )
    _emit(out if name else out[0], args.json, "\n".join(lines))
    return 0


def _cmd_compare_one_step(args) -> int:
    from .compare import SPEC_43_SETTINGS, compare_one_step

    ds = [int(v) for v in _floats(args.d, "d")]
    table = compare_one_step(SPEC_43_SETTINGS, ds=ds, seeds=args.seeds, n_test=args.n_test,
                             finite_d=not args.no_finite_d, checkpoint=args.checkpoint,
                             progress=args.progress)
    if args.out:
        out = Path(args.out)
        write_atomic(out / "compare_one_step.md", table.to_markdown() + "\n")
        write_atomic(out / "compare_one_step.csv", table.to_csv())
        write_json(out / "compare_one_step.json", table.to_dict())
    _emit(table.to_dict(), args.json, table.to_markdown())
    return 0


def _cmd_figure(args) -> int:
    from .figures import GIANT_STEP_PANELS, one_step_figure_data, panel, write_one_step_figure

    if args.panel in GIANT_STEP_PANELS:
        from .figures import giant_step_figure_data, write_giant_step_figure

        data = giant_step_figure_data(args.panel, d=args.d or 512, seeds=args.seeds or 4,
                                      n_test=args.n_test or 10000,
                                      checkpoint=args.checkpoint, progress=args.progress)
        paths = write_giant_step_figure(data, args.out)
        _emit(paths, args.json, "\n".join(f"wrote {p}" for p in paths.values()))
        return 0

    if args.panel in ("staircase", "escape"):
        return _figure_kernels(args)

    spec = panel(args.panel, centered=not args.raw_teacher, quick=args.quick)
    d = args.d or (256 if args.quick else 512)
    seeds = args.seeds or (3 if args.quick else 20)
    data = one_step_figure_data(spec, d=d, seeds=seeds, n_test=args.n_test or 20000,
                                checkpoint=args.checkpoint, progress=args.progress)
    paths = write_one_step_figure(data, args.out)
    _emit(paths, args.json, "\n".join(f"wrote {p}" for p in paths.values()))
    return 0


def _figure_kernels(args) -> int:
    """KRR staircase (spec kernels-ntk §6.7 setting) or the escaping-the-kernel comparison (§5.1 E3)."""
    from .kernel_figures import escape_data, staircase_data, write_escape_figure, write_staircase_figure

    n_test = args.n_test or 2000
    if args.panel == "staircase":
        ds = (args.d,) if args.d else ((20,) if args.quick else (20, 40))
        data = staircase_data(ds=ds, seeds=args.seeds or (2 if args.quick else 4), n_test=n_test,
                              max_n=1000 if args.quick else 6000, checkpoint=args.checkpoint,
                              progress=args.progress)
        paths = write_staircase_figure(data, args.out)
    else:
        ds = (args.d,) if args.d else ((8,) if args.quick else (8, 12, 16))
        data = escape_data(ds=ds, seeds=args.seeds or (2 if args.quick else 3), n_test=n_test,
                           checkpoint=args.checkpoint, progress=args.progress)
        paths = write_escape_figure(data, args.out)
    _emit(paths, args.json, "\n".join(f"wrote {p}" for p in paths.values()))
    return 0


def _cmd_simulate_krr(args) -> int:
    from asymptotics.kernels import KernelRidge

    from .kernel_sim import simulate_krr

    ns = _floats(args.n, "n")
    out, lines = [], []
    for n in ns:
        s = KernelRidge(kernel=args.kernel, activation=args.activation, d=args.d, n=n, lam=args.lam,
                        noise=args.noise, target=args.target)
        sim = simulate_krr(s, seeds=_seeds(args.seeds), n_test=args.n_test, model=args.model, m=args.m)
        out.append(sim.to_dict())
        lines.append(f"n={n:g}: test {sim.test_error_mean:.5f} ± {sim.test_error_sem:.5f} "
                     f"(theory {sim.theory.test_error:.5f})   train {sim.train_error_mean:.5f}")
    _emit(out if len(ns) > 1 else out[0], args.json, "\n".join(lines))
    return 0


def _cmd_demo(args) -> int:
    """Theory vs simulation for the one-step setting, and Fig. 3(a) in quick mode."""
    from .compare import compare_one_step
    from .figures import one_step_figure_data, panel, write_one_step_figure

    t0 = time.perf_counter()
    out = Path(args.out)
    base = OneStep("tanh", "tanh", psi1=2, psi2=2, lam=1e-2, noise=0.1)
    settings = [base.replace(eta=e) for e in (0.0, 1.0, 2.0, 4.0)]
    table = compare_one_step(settings, ds=(256,), seeds=8, n_test=10000, finite_d=False)
    write_atomic(out / "demo_table.md", table.to_markdown() + "\n")
    write_atomic(out / "demo_table.csv", table.to_csv())
    write_json(out / "demo_table.json", table.to_dict())
    data = one_step_figure_data(panel("3a", quick=True), d=256, seeds=3, n_test=10000)
    paths = write_one_step_figure(data, out, stem="demo_fig3a")
    elapsed = time.perf_counter() - t0
    if args.json:
        print(dumps({"table": table.to_dict(), "figure": paths, "seconds": elapsed}))
    else:
        print("One gradient step (Ba et al. 2022): asymptotic GE theory vs Monte Carlo of the real network")
        print(table.to_markdown())
        print()
        for p in paths.values():
            print(f"wrote {p}")
        print(f"wrote {out / 'demo_table.csv'}  ({elapsed:.0f} s)")
    return 0


# ---------------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asym", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    h = sub.add_parser("hermite", help="Hermite coefficients and named constants of an activation")
    h.add_argument("function", help="registry name, centered:NAME, or sympy expression in z")
    h.add_argument("--order", type=int, default=6)
    h.add_argument("--digits", type=int, default=None, help="exact / high-precision route, decimal strings")
    h.add_argument("--time-budget", type=float, default=DEFAULT_TIME_BUDGET,
                   help="seconds for the symbolic route (0 skips it)")
    h.add_argument("--json", action="store_true")
    h.set_defaults(func=_cmd_hermite)

    r = sub.add_parser("risk", help="asymptotic theory")
    rs = r.add_subparsers(dest="model", required=True)
    r1 = rs.add_parser("one-step", help="GE risk after one step of size η = Θ(1) (Ba et al.)")
    _add_one_step_args(r1)
    r1.set_defaults(func=_cmd_risk_one_step)
    r2 = rs.add_parser("large-step", help="τ* and κ* of the η = Θ(√N) regime (Ba et al. eq. 5.1)")
    r2.add_argument("--student", default="tanh")
    r2.add_argument("--teacher", default="tanh")
    r2.add_argument("--json", action="store_true")
    r2.set_defaults(func=_cmd_risk_large_step)

    r3 = rs.add_parser("krr", help="kernel ridge regression on the sphere, finite-d equivalent (spec §6.4)")
    r3.add_argument("--kernel", choices=("ntk", "rf", "both"), default="ntk")
    r3.add_argument("--activation", default="relu")
    r3.add_argument("--d", type=int, default=20)
    r3.add_argument("--n", default="100", help="sample size(s), comma-separated for a curve")
    r3.add_argument("--lam", type=float, default=0.0, help="ridge λ in K(K + λI)^{-1}y")
    r3.add_argument("--target", default="1:1", help='degree profile "k:F2,..." or a single-index function')
    r3.add_argument("--noise", type=float, default=0.0, help="label-noise std σ_ε")
    r3.add_argument("--json", action="store_true")
    r3.set_defaults(func=_cmd_risk_krr)

    r4 = rs.add_parser("giant-step", help="sRF theory after one giant step (Cui et al. 2024)")
    _add_giant_step_args(r4)
    r4.add_argument("--backend", choices=("asymptotic", "finite"), default="asymptotic",
                    help="large-d Marchenko-Pastur closed forms, or a finite-d W0 sampled at --d")
    r4.add_argument("--d", type=int, default=None, help="dimension of the sampled W0 (finite back-end)")
    r4.add_argument("--seed", type=int, default=0, help="seed of the sampled W0 (finite back-end)")
    r4.set_defaults(func=_cmd_risk_giant_step)

    s = sub.add_parser("simulate", help="Monte Carlo of the real network")
    ss = s.add_subparsers(dest="model", required=True)
    s1 = ss.add_parser("one-step", help="one exact gradient step, then ridge (Ba et al. protocol)")
    _add_one_step_args(s1)
    s1.add_argument("--d", type=int, default=256)
    s1.add_argument("--seeds", default="5", help="K (seeds 0..K-1) or an explicit list 3,7,11")
    s1.add_argument("--n-test", type=int, default=20000)
    s1.add_argument("--psi1-readout", type=float, default=None, help="separate ratio for the ridge batch")
    s1.add_argument("--features", choices=("network", "gaussian-equivalent"), default="network")
    s1.add_argument("--exact-risk", action="store_true",
                    help="exact Gaussian test risk (Mehler series) instead of --n-test test points")
    s1.add_argument("--progress", action="store_true")
    s1.set_defaults(func=_cmd_simulate_one_step)
    for name, func, hlp in (("giant-step", _cmd_simulate_giant_step, "one exact giant step, then ridge (Cui et al.)"),
                            ("srf", _cmd_simulate_srf, "the spiked random-features model itself")):
        sg = ss.add_parser(name, help=hlp)
        _add_giant_step_args(sg)
        sg.add_argument("--d", type=int, default=256)
        sg.add_argument("--seeds", default="5", help="K (seeds 0..K-1) or an explicit list 3,7,11")
        sg.add_argument("--n-test", type=int, default=10000)
        sg.add_argument("--progress", action="store_true")
        sg.set_defaults(func=func)

    sk = ss.add_parser("krr", help="kernel ridge regression on the sphere (exact kernel or lazy m-neuron model)")
    sk.add_argument("--kernel", choices=("ntk", "rf", "both"), default="ntk")
    sk.add_argument("--activation", default="relu")
    sk.add_argument("--d", type=int, default=20)
    sk.add_argument("--n", default="100", help="sample size(s), comma-separated")
    sk.add_argument("--lam", type=float, default=0.0)
    sk.add_argument("--target", default="1:1", help='degree profile "k:F2,..."')
    sk.add_argument("--noise", type=float, default=0.0)
    sk.add_argument("--model", choices=("exact", "rf", "ntk"), default="exact",
                    help="exact kernel, or the lazy RF / NT model with --m neurons")
    sk.add_argument("--m", type=int, default=None)
    sk.add_argument("--seeds", default="3", help="K (seeds 0..K-1) or an explicit list")
    sk.add_argument("--n-test", type=int, default=2000)
    sk.add_argument("--json", action="store_true")
    sk.set_defaults(func=_cmd_simulate_krr)

    c = sub.add_parser("compare", help="theory vs simulation tables")
    cs = c.add_subparsers(dest="model", required=True)
    c1 = cs.add_parser("one-step", help="spec §4.3 configurations at several d")
    c1.add_argument("--d", default="256,512,1024")
    c1.add_argument("--seeds", type=int, default=5)
    c1.add_argument("--n-test", type=int, default=20000)
    c1.add_argument("--no-finite-d", action="store_true", help="skip the finite-d equivalent on W1")
    c1.add_argument("--checkpoint", default=None, help="JSON file to resume from")
    c1.add_argument("--out", default=None, help="directory for .md/.csv/.json")
    c1.add_argument("--progress", action="store_true")
    c1.add_argument("--json", action="store_true")
    c1.set_defaults(func=_cmd_compare_one_step)

    c2 = cs.add_parser("giant-step", help="sRF theory vs the network (spec §7 Checks A-D + new) or vs the sRF")
    c2.add_argument("--model", choices=("network", "srf"), default="network")
    c2.add_argument("--settings", default=None, help="';'-separated names of the suite (default: all)")
    c2.add_argument("--alphas", default="0.5,1.5,3")
    c2.add_argument("--d", default="256,512,1024")
    c2.add_argument("--seeds", default="4")
    c2.add_argument("--n-test", type=int, default=10000)
    c2.add_argument("--allowance", type=float, default=0.01, help="relative allowance in |gap| <= 3 SEM + x")
    c2.add_argument("--checkpoint", default=None, help="JSON file to resume from")
    c2.add_argument("--out", default=None, help="directory for .md/.csv/.json")
    c2.add_argument("--progress", action="store_true")
    c2.add_argument("--json", action="store_true")
    c2.set_defaults(func=_cmd_compare_giant_step)

    f = sub.add_parser("figure", help="paper figures with their CSV and configuration")
    f.add_argument("panel", choices=("3a", "3b", "giant-tanh", "giant-sin", "giant-eta", "staircase", "escape"))
    f.add_argument("--quick", action="store_true", help="d = 256, 3 seeds, thinner grid")
    f.add_argument("--d", type=int, default=None)
    f.add_argument("--seeds", type=int, default=None)
    f.add_argument("--n-test", type=int, default=None,
                   help="test points per seed (default: 20000 one-step, 10000 giant-step, 2000 kernels)")
    f.add_argument("--raw-teacher", action="store_true", help="do not center the teacher")
    f.add_argument("--out", default="figures")
    f.add_argument("--checkpoint", default=None)
    f.add_argument("--progress", action="store_true")
    f.add_argument("--json", action="store_true")
    f.set_defaults(func=_cmd_figure)

    dm = sub.add_parser("demo", help="theory-vs-simulation table and Fig. 3(a), quick mode")
    dm.add_argument("--out", default="asym-demo")
    dm.add_argument("--json", action="store_true")
    dm.set_defaults(func=_cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (AsymptoticsError, CLIError) as exc:
        print(f"asym: error: {exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print("asym: error: out of memory: reduce d, the ratios or the number of test points",
              file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`: not an error of ours
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
