"""``asym risk|simulate|compare one-step`` and ``asym risk large-step``: the one-step family (Ba et al. 2022)."""

from __future__ import annotations
import argparse
from asymptotics.one_step.theory import large_step_limit, one_step_curve, one_step_risk
from asymptotics.settings import OneStep

from .common import dimensions, add_progress_option, write_table, add_setting_options, library_default, _FLOAT, _int, CLIError, parse_number_list, _seeds, _sweep, check_output_dir, check_checkpoint, Outcome, _not_converged, _markdown


_SWEEPABLE = ("psi1", "psi2", "lam", "eta", "noise")


def _setting_and_sweep(args) -> tuple[OneStep, str | None, list[float]]:
    if getattr(args, "eta", None) is None:
        args.eta = library_default(OneStep, "eta")
    first, name, vals = _sweep(args, _SWEEPABLE)
    return OneStep(args.student, args.teacher, **first), name, vals


def _cmd_risk_one_step(args) -> Outcome:
    if args.eta_tilde is not None:
        return _risk_one_step_large(args)
    base, name, vals = _setting_and_sweep(args)
    results = one_step_curve(base, name, vals) if name else (one_step_risk(base),)
    dicts = [r.to_dict() for r in results]
    lines = [f"{'test':>9} {'test_rf':>9} {'delta':>9} {'train':>9} {'bound':>8} {'align':>7} {'kappa':>9}  setting"]
    for r in results:
        s = r.setting
        lines.append(
            f"{r.test_error:9.5f} {r.test_error_rf:9.5f} {r.improvement:9.2e} {r.train_error:9.5f} "
            f"{r.lower_bound:8.5f} {r.alignment:7.4f} {r.effective_ridge:9.3e}  "
            f"psi1={s.psi1:g} psi2={s.psi2:g} lam={s.lam:g} eta={s.eta:g} noise={s.noise:g}"
        )
    lines.append(f"regime: {_SMALL_STEP}")
    dicts = [{**d, "regime": _SMALL_STEP} for d in dicts]
    return Outcome(dicts if name else dicts[0], "\n".join(lines), points=len(dicts),
                   not_converged=_not_converged(results, name, vals))


_SMALL_STEP = "small step eta = Theta(1): Gaussian-equivalent risk (Ba et al. 2022)"


_LARGE_STEP = ("large step eta = eta_tilde * sqrt(N): heterogeneous spiked random features with "
               "Gaussian spike law (asymptotics.spiked_rf.heterogeneous.large_step_risk)")


def _risk_one_step_large(args) -> Outcome:
    """``risk one-step --eta-tilde``: Ba et al.'s network at η = η̃√N through the heterogeneous sRF."""
    from asymptotics.spiked_rf.heterogeneous import large_step_risk

    if args.eta is not None:
        raise CLIError("give the step size on one scale: --eta (eta = Theta(1)) or --eta-tilde "
                       "(eta = eta_tilde * sqrt(N)), not both")
    first, name, vals = _sweep(args, ("psi1", "psi2", "lam", "noise", "eta_tilde"))
    eta_tilde = first.pop("eta_tilde")
    base = OneStep(args.student, args.teacher, eta=float(library_default(OneStep, "eta")), **first)  # η unused by the map
    if name == "eta_tilde":
        settings, eta_tildes = [base] * len(vals), list(vals)
    elif name:
        settings, eta_tildes = [base.replace(**{name: v}) for v in vals], [eta_tilde] * len(vals)
    else:
        settings, eta_tildes = [base], [eta_tilde]
    results = [large_step_risk(s, e, raise_on_failure=False) for s, e in zip(settings, eta_tildes)]
    lines = [f"{'test':>9} {'train':>9} conv  setting"]
    dicts = []
    for s, e, r in zip(settings, eta_tildes, results):
        lines.append(f"{r.test_error:9.5f} {r.train_error:9.5f} {'yes ' if r.converged else 'NO  '} "
                     f"psi1={s.psi1:g} psi2={s.psi2:g} lam={s.lam:g} eta_tilde={e:g} noise={s.noise:g}")
        dicts.append({**r.to_dict(), "eta_tilde": e, "regime": _LARGE_STEP,
                      "one_step_setting": {k: v for k, v in s.to_dict().items() if k != "eta"}})
    lines.append(f"regime: {_LARGE_STEP}")
    multi = len(dicts) > 1
    return Outcome(dicts if multi else dicts[0], "\n".join(lines), points=len(dicts),
                   not_converged=_not_converged(results, name if multi else None, vals))


def _cmd_risk_large_step(args) -> Outcome:
    lim = large_step_limit(args.student, args.teacher)
    text = (f"tau* = {lim.tau_star:.6g} at kappa* = {lim.kappa_star:.6g} "
            f"({'attained' if lim.attained else 'not attained: infimum at the edge of the range'}); "
            f"kernel lower bound ||P>1 f*||^2 = {lim.lower_bound:.6g}")
    return Outcome(lim.to_dict(), text, not_converged=_not_converged([lim], None, []))


def _cmd_simulate_one_step(args) -> Outcome:
    from ..one_step.simulation import simulate_one_step

    base, name, vals = _setting_and_sweep(args)
    seeds = _seeds(args.seeds)
    ds = dimensions(args, name)
    runs = [(base.replace(**{name: v}), ds[0]) for v in vals] if name else [(base, d) for d in ds]
    out, lines = [], []
    for s, d in runs:
        sim = simulate_one_step(s, d, seeds, n_test=args.n_test, features=args.features,
                                psi1_readout=args.psi1_readout, progress=args.progress,
                                test_risk="exact" if args.exact_risk else "monte-carlo", dtype=args.dtype)
        out.append(sim.to_dict())
        lines.append(
            f"test {sim.test_error_mean:.5f} ± {sim.test_error_sem:.5f}   train {sim.train_error_mean:.5f} ± "
            f"{sim.train_error_sem:.5f}   d={sim.d} seeds={len(sim.seeds)}  {s.to_dict()}"
        )
    return Outcome(out if len(out) > 1 or name else out[0], "\n".join(lines), points=len(out))


def _cmd_compare_one_step(args) -> Outcome:
    from ..one_step.comparison import SPEC_43_SETTINGS, compare_one_step

    ds = parse_number_list(args.d, "--d", integer=True, minimum=1)
    check_output_dir(args.out)
    check_checkpoint(args.checkpoint)
    table = compare_one_step(SPEC_43_SETTINGS, ds=ds, seeds=_seeds(args.seeds), n_test=args.n_test,
                             finite_d=not args.no_finite_d, checkpoint=args.checkpoint,
                             progress=args.progress)
    write_table(args.out, "compare_one_step", table)
    return Outcome(table.to_dict(), _markdown(table), points=len(table.rows))


def _add_one_step_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--student", default="tanh", help="student activation σ (registry name or expression in z)")
    p.add_argument("--teacher", default="tanh", help="teacher σ* (registry name, centered:NAME or expression)")
    add_setting_options(p, OneStep, {
        "psi1": ("n/d, sample ratio of each batch", "2"),
        "psi2": ("N/d, width ratio", "2"),
        "lam": ("ridge λ ≥ 0", None),
        "noise": ("label-noise std σ_ε", None),
    })
    p.add_argument("--eta", default=None,
                   help=f"learning rate η = Θ(1) (default {library_default(OneStep, 'eta')}, the library's)")
    p.add_argument("--json", action="store_true", help="print JSON")


def add_parsers(risk, simulate, compare) -> None:
    """Register this family's subcommands under ``asym risk``, ``asym simulate`` and ``asym compare``."""
    r1 = risk.add_parser("one-step", help="risk after one step: GE formula for η = Θ(1) (--eta), heterogeneous "
                                        "sRF for η = η̃√N (--eta-tilde); the output names the regime")
    _add_one_step_args(r1)
    r1.add_argument("--eta-tilde", dest="eta_tilde", default=None,
                    help="large step η = η̃√N (Ba et al. §5): risk from the heterogeneous sRF; excludes --eta")
    r1.set_defaults(func=_cmd_risk_one_step)
    r2 = risk.add_parser("large-step", help="τ* and κ* of the η = Θ(√N) regime (Ba et al. eq. 5.1)")
    r2.add_argument("--student", default="tanh")
    r2.add_argument("--teacher", default="tanh")
    r2.add_argument("--json", action="store_true")
    r2.set_defaults(func=_cmd_risk_large_step)

    s1 = simulate.add_parser("one-step", help="one exact gradient step, then ridge (Ba et al. protocol)")
    _add_one_step_args(s1)
    s1.add_argument("--d", default="256", help="input dimension, or a comma list (one result per d)")
    s1.add_argument("--seeds", default="5", help="K (seeds 0..K-1) or an explicit list 3,7,11")
    s1.add_argument("--n-test", type=_int("--n-test", 1), default=20000)
    s1.add_argument("--psi1-readout", type=_FLOAT, default=None, help="separate ratio for the ridge batch")
    s1.add_argument("--features", choices=("network", "gaussian-equivalent"), default="network")
    s1.add_argument("--exact-risk", action="store_true",
                    help="exact Gaussian test risk (Mehler series) instead of --n-test test points")
    s1.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                    help="arithmetic precision of the simulation (float32: same draws, rounded; faster)")
    add_progress_option(s1)
    s1.set_defaults(func=_cmd_simulate_one_step)
    c1 = compare.add_parser("one-step", help="the docs/theory/one-step.md §4.3 configurations at several d")
    c1.add_argument("--d", default="256,512,1024")
    c1.add_argument("--seeds", default="5", help="K (seeds 0..K-1) or an explicit list 3,7,11")
    c1.add_argument("--n-test", type=_int("--n-test", 1), default=20000)
    c1.add_argument("--no-finite-d", action="store_true", help="skip the finite-d equivalent on W1")
    c1.add_argument("--checkpoint", default=None, help="JSON file to resume from")
    c1.add_argument("--out", default=None, help="directory for .md/.csv/.json")
    add_progress_option(c1)
    c1.add_argument("--json", action="store_true")
    c1.set_defaults(func=_cmd_compare_one_step)
