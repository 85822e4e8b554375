"""``asym risk giant-step|hetero-srf``, ``asym simulate giant-step|srf``, ``asym compare giant-step``: the giant-step family (Cui et al. 2024)."""

from __future__ import annotations
import argparse
from pathlib import Path
from ..store import write_atomic

from asymptotics.settings import GiantStep

from .common import dimensions, add_progress_option, add_setting_options, _int, _scalar, CLIError, _opt, parse_number_list, _seeds, _sweep, check_output_dir, check_checkpoint, Outcome, _not_converged, _write_json, _markdown, _FLOAT


_GIANT_SWEEPABLE = ("alpha0", "eta_tilde", "alpha", "width_ratio", "lam", "noise")


def _giant_setting_and_sweep(args):
    first, name, vals = _sweep(args, _GIANT_SWEEPABLE)
    return GiantStep(args.student, args.teacher, **first), name, vals


def _given_srf(args):
    """(r, c, γ) from --r/--c/--gamma (all three or none)."""
    given = [getattr(args, k, None) for k in ("r", "c", "gamma")]
    if all(v is None for v in given):
        return None
    if any(v is None for v in given):
        raise CLIError("--r, --c and --gamma must be given together")
    from asymptotics.spiked_rf.theory import SRFParameters

    return SRFParameters(*given)


def _backend_options(args) -> dict:
    """``--backend asymptotic`` (large d) or ``--backend finite --d D [--seed S]`` (one sampled W0)."""
    if args.backend == "finite":
        if args.d is None:
            raise CLIError("--backend finite needs --d")
        return {"backend": "finite", "d": args.d, "rng": args.seed}
    if args.d is not None:
        raise CLIError("--d is only used with --backend finite")
    return {"backend": args.backend}


def _spike_law(text: str):
    """``--law``: homogeneous:r[,c] | two-point:r1,r2[,p1] | gaussian:r1[,r0,s0,s1,c2] |
    mixture:r1,r2,...;w1,w2,...  → :class:`asymptotics.spiked_rf.heterogeneous.SpikeLaw`."""
    from asymptotics.spiked_rf.heterogeneous import SpikeLaw

    kind, sep, rest = text.partition(":")
    kind = kind.strip()
    if not sep or not rest.strip():
        raise CLIError(f"--law must look like KIND:NUMBERS (homogeneous:r[,c], two-point:r1,r2[,p1], "
                       f"gaussian:r1[,r0,s0,s1,c2], mixture:r1,r2,..;w1,w2,..), got {text!r}")
    if kind == "mixture":
        parts = rest.split(";")
        if len(parts) != 2:
            raise CLIError(f"--law mixture: needs 'r1,r2,...;w1,w2,...', got {text!r}")
        r = parse_number_list(parts[0], "--law")
        w = parse_number_list(parts[1], "--law")
        return SpikeLaw.mixture(r, w)
    nums = parse_number_list(rest, "--law")
    arity = {"homogeneous": (1, 2), "two-point": (2, 3), "gaussian": (1, 5)}
    if kind not in arity:
        raise CLIError(f"--law: unknown kind {kind!r} (homogeneous, two-point, gaussian, mixture)")
    lo, hi = arity[kind]
    if not lo <= len(nums) <= hi:
        raise CLIError(f"--law {kind}: takes {lo} to {hi} numbers, got {len(nums)}")
    return {"homogeneous": SpikeLaw.homogeneous, "two-point": SpikeLaw.two_point,
            "gaussian": SpikeLaw.gaussian}[kind](*nums)


def _cmd_risk_hetero_srf(args) -> Outcome:
    """``risk hetero-srf``: the sRF with per-neuron spikes drawn from a law (asymptotics.spiked_rf.heterogeneous)."""
    from asymptotics.spiked_rf.heterogeneous import hetero_srf_curve, hetero_srf_risk

    law = _spike_law(args.law)
    base, name, vals = _giant_setting_and_sweep(args)
    opts = _backend_options(args)
    if name in ("alpha0", "eta_tilde"):
        raise CLIError(f"{_opt(name)} does not enter the heterogeneous sRF (the law and --gamma do); "
                       "sweep --alpha, --lam, --noise or --width-ratio")
    if name == "width_ratio":
        results = tuple(hetero_srf_risk(base.replace(width_ratio=v), law, args.gamma, raise_on_failure=False,
                                        **opts) for v in vals)
    elif name:
        results = hetero_srf_curve(base, law, args.gamma, name, vals, **opts)
    else:
        results = (hetero_srf_risk(base, law, args.gamma, raise_on_failure=False, **opts),)
    lines = [f"{'test':>9} {'train':>9} conv  setting"]
    for r in results:
        s = r.setting
        lines.append(f"{r.test_error:9.5f} {r.train_error:9.5f} {'yes ' if r.converged else 'NO  '} "
                     f"alpha={s.alpha:g} p/d={s.width_ratio:g} lam={s.lam:g} noise={s.noise:g} "
                     f"law={args.law} gamma={args.gamma:g}")
    dicts = [r.to_dict() for r in results]
    return Outcome(dicts if name else dicts[0], "\n".join(lines), points=len(dicts),
                   not_converged=_not_converged(results, name, vals))


def _cmd_risk_giant_step(args) -> Outcome:
    from asymptotics.spiked_rf.theory import srf_curve, srf_risk

    base, name, vals = _giant_setting_and_sweep(args)
    opts = {"srf": _given_srf(args), **_backend_options(args)}
    if name:
        results = srf_curve(base, name, vals, raise_on_failure=False, **opts)
    else:
        results = (srf_risk(base, raise_on_failure=False, **opts),)
    from asymptotics.spiked_rf.validity import srf_validity

    given = opts["srf"] is not None  # at given (r, c, γ) the sRF is the model, not a network's stand-in
    dicts = [{**r.to_dict(),
              **({} if given else {"validity": srf_validity(r.setting).to_dict()})} for r in results]
    problems = _not_converged(results, name, vals)
    lines = [f"{'test':>9} {'train':>9} {'r':>7} {'c':>7} {'gamma':>7} conv  setting"]
    for r in results:
        s = r.setting
        lines.append(
            f"{r.test_error:9.5f} {r.train_error:9.5f} {r.srf.r:7.4f} {r.srf.c:7.4f} {r.srf.gamma:7.4f} "
            f"{'yes ' if r.converged else 'NO  '} alpha0={s.alpha0:g} eta_tilde={s.eta_tilde:g} alpha={s.alpha:g} "
            f"p/d={s.width_ratio:g} lam={s.lam:g} noise={s.noise:g}"
        )
    if not given:
        notes = sorted({(d["validity"]["status"], d["validity"]["note"]) for d in dicts})
        lines += [f"validity ({status}): {note}" for status, note in notes]
    return Outcome(dicts if name else dicts[0], "\n".join(lines), points=len(dicts), not_converged=problems)


def _cmd_simulate_giant(args, model: str) -> Outcome:
    from ..giant_step.simulation import simulate_giant_step

    base, name, vals = _giant_setting_and_sweep(args)
    srf = _given_srf(args)
    if model == "network" and srf is not None:
        raise CLIError("--r/--c/--gamma are for 'simulate srf' (the network has no given sRF parameters)")
    kw = dict(model=model, srf=srf, n_test=args.n_test, progress=args.progress, dtype=args.dtype)
    seeds = _seeds(args.seeds)
    ds = dimensions(args, name)
    if name == "alpha":  # one model per seed serves every α
        sims = simulate_giant_step(base, ds[0], seeds, alphas=vals, **kw)
    else:
        runs = [(base.replace(**{name: v}), ds[0]) for v in vals] if name else [(base, d) for d in ds]
        sims = [simulate_giant_step(s, d, seeds, **kw)[0] for s, d in runs]
    out = [sim.to_dict() for sim in sims]
    lines = [
        f"test {m.test_error_mean:.5f} ± {m.test_error_sem:.5f}   train {m.train_error_mean:.5f} ± "
        f"{m.train_error_sem:.5f}   {model} d={m.d} p={m.p} seeds={len(m.seeds)}  {m.setting.to_dict()}"
        for m in sims
    ]
    return Outcome(out if len(out) > 1 or name else out[0], "\n".join(lines), points=len(out))


def _cmd_simulate_giant_step(args) -> Outcome:
    return _cmd_simulate_giant(args, "network")


def _cmd_simulate_srf(args) -> Outcome:
    return _cmd_simulate_giant(args, "srf")


def _dropped_instance_seeds(table) -> list[tuple[int, int, int]]:
    """[(row index, seeds dropped, seeds)] where the per-instance theory did not converge on some seeds
    (:func:`asymptotics.validation.giant_step.comparison.compare_giant_step` averages the finite-d column over the others)."""
    out = []
    for i, row in enumerate(table.rows):
        miss = sum(1 for rec in row.per_seed if rec.get("test_error_finite_d") is None)
        if miss:
            out.append((i, miss, len(row.per_seed)))
    return out


def _with_dropped_column(csv_text: str, dropped: dict) -> str:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(csv_text)))
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(rows[0] + ["instance_seeds_dropped"])
    for i, row in enumerate(rows[1:]):
        w.writerow(row + [dropped.get(i, 0)])
    return buf.getvalue()


def _cmd_compare_giant_step(args) -> Outcome:
    from ..giant_step.comparison import GIANT_STEP_CHECKS, SRF_CHECKS, compare_giant_step

    ds = parse_number_list(args.d, "--d", integer=True, minimum=1)
    alphas = parse_number_list(args.alpha, "--alpha", strict=True, minimum=0)
    seeds = _seeds(args.seeds)
    suite = SRF_CHECKS if args.model == "srf" else GIANT_STEP_CHECKS
    names = list(suite) if args.settings is None else [n.strip() for n in args.settings.split(";")]
    unknown = [n for n in names if n not in suite]
    if unknown:
        raise CLIError(f"unknown settings {unknown}; choose from {'; '.join(suite)}")
    check_output_dir(args.out)
    check_checkpoint(args.checkpoint)
    table = compare_giant_step([suite[n] for n in names], alphas=alphas, ds=ds, seeds=seeds,
                               model=args.model, n_test=args.n_test, checkpoint=args.checkpoint,
                               progress=args.progress, allowance=args.allowance)
    dropped = _dropped_instance_seeds(table)
    obj = table.to_dict()
    for i, miss, _ in dropped:
        obj["rows"][i]["instance_seeds_dropped"] = miss
    md = _markdown(table)
    notes = []
    if dropped:
        which = "; ".join(f"{obj['rows'][i]['label']} d={table.rows[i].d}: {m} of {k}" for i, m, k in dropped)
        note = (f"the '{table.instance_label}' column averages only the seeds whose per-instance theory "
                f"converged; dropped seeds in {len(dropped)} of {len(table.rows)} rows: {which}")
        md += f"\n\nNote: {note}."
        notes.append(note)
    if args.out:
        out = Path(args.out)
        stem = f"compare_giant_step_{args.model}"
        write_atomic(out / f"{stem}.md", md + "\n")
        write_atomic(out / f"{stem}.csv", _with_dropped_column(table.to_csv(), {i: m for i, m, _ in dropped}))
        _write_json(out / f"{stem}.json", obj)
        if args.model == "network":
            from ..giant_step.comparison import measured_srf_table

            write_atomic(out / "srf_parameters_network.md", measured_srf_table(table) + "\n")
    return Outcome(obj, md, points=len(table.rows), notes=notes)


def _add_giant_step_args(p: argparse.ArgumentParser, srf_options: bool = True) -> None:
    p.add_argument("--student", default="tanh", help="student activation σ (registry name or expression in z)")
    p.add_argument("--teacher", default="tanh", help="teacher σ* (registry name, centered:NAME or expression)")
    add_setting_options(p, GiantStep, {
        "alpha0": ("n0/d, first-step sample ratio (0: no step)", "0.5"),
        "eta_tilde": ("normalized learning rate η̃ = η/p", "1"),
        "alpha": ("n/d, readout sample ratio", "1"),
        "width_ratio": ("p/d", None),
        "lam": ("ridge λ of Σ(y − wᵀφ/√p)² + λ‖w‖²", None),
        "noise": ("label-noise std σ_ε (every label)", None),
    })
    if srf_options:
        p.add_argument("--r", type=_FLOAT, default=None,
                       help="sRF spike strength (with --c, --gamma: skip the formulas)")
        p.add_argument("--c", type=_FLOAT, default=None, help="sRF bulk variance")
        p.add_argument("--gamma", type=_FLOAT, default=None, help="sRF spike-teacher overlap")
    p.add_argument("--json", action="store_true", help="print JSON")


def add_parsers(risk, simulate, compare) -> None:
    """Register this family's subcommands under ``asym risk``, ``asym simulate`` and ``asym compare``."""
    r4 = risk.add_parser("giant-step", help="sRF theory after one giant step (Cui et al. 2024)")
    _add_giant_step_args(r4)
    r4.add_argument("--backend", choices=("asymptotic", "finite"), default="asymptotic",
                    help="large-d Marchenko-Pastur closed forms, or a finite-d W0 sampled at --d")
    r4.add_argument("--d", type=_int("--d", 1), default=None, help="dimension of the sampled W0 (finite back-end)")
    r4.add_argument("--seed", type=_int("--seed", 0), default=0, help="seed of the sampled W0 (finite back-end)")
    r4.set_defaults(func=_cmd_risk_giant_step)
    r5 = risk.add_parser("hetero-srf", help="sRF with heterogeneous per-neuron spikes (asymptotics.spiked_rf.heterogeneous)")
    _add_giant_step_args(r5, srf_options=False)
    r5.add_argument("--law", required=True,
                    help="spike law: homogeneous:r[,c] | two-point:r1,r2[,p1] | gaussian:r1[,r0,s0,s1,c2] | "
                         "mixture:r1,r2,..;w1,w2,..")
    r5.add_argument("--gamma", type=_FLOAT, required=True, help="spike-teacher overlap γ")
    r5.add_argument("--backend", choices=("asymptotic", "finite"), default="asymptotic")
    r5.add_argument("--d", type=_int("--d", 1), default=None, help="input dimension (finite back-end)")
    r5.add_argument("--seed", type=_int("--seed", 0), default=0, help="seed of the finite back-end's W0")
    r5.set_defaults(func=_cmd_risk_hetero_srf)

    for name, func, hlp in (("giant-step", _cmd_simulate_giant_step, "one exact giant step, then ridge (Cui et al.)"),
                            ("srf", _cmd_simulate_srf, "the spiked random-features model itself")):
        sg = simulate.add_parser(name, help=hlp)
        _add_giant_step_args(sg)
        sg.add_argument("--d", default="256", help="input dimension, or a comma list (one result per d)")
        sg.add_argument("--seeds", default="5", help="K (seeds 0..K-1) or an explicit list 3,7,11")
        sg.add_argument("--n-test", type=_int("--n-test", 1), default=10000)
        sg.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                        help="precision of the readout and test points (the step and the draws stay float64)")
        add_progress_option(sg)
        sg.set_defaults(func=func)

    c2 = compare.add_parser("giant-step", help="sRF theory vs the network (docs/theory/spiked-rf.md §7 Checks A-D + new) or vs the sRF")
    c2.add_argument("--model", choices=("network", "srf"), default="network")
    c2.add_argument("--settings", default=None, help="';'-separated names of the suite (default: all)")
    c2.add_argument("--alpha", default="0.5,1.5,3", help="readout ratios n/d (comma list)")
    c2.add_argument("--d", default="256,512,1024")
    c2.add_argument("--seeds", default="4")
    c2.add_argument("--n-test", type=_int("--n-test", 1), default=10000)
    c2.add_argument("--allowance", type=_scalar("--allowance", minimum=0), default=0.01,
                    help="relative allowance in |gap| <= 3 SEM + x")
    c2.add_argument("--checkpoint", default=None, help="JSON file to resume from")
    c2.add_argument("--out", default=None, help="directory for .md/.csv/.json")
    add_progress_option(c2)
    c2.add_argument("--json", action="store_true")
    c2.set_defaults(func=_cmd_compare_giant_step)
