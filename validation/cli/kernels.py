"""``asym risk krr``, ``asym simulate krr``: the kernel-regime family (Nichani, Bai & Lee 2022)."""

from __future__ import annotations
import math

from .common import add_progress_option, _markdown, check_checkpoint, check_output_dir, write_table, _sweep, add_setting_options, _int, _seeds, Outcome, _not_converged


_KRR_SWEEPABLE = ("d", "n", "lam", "noise")


def _krr_setting_and_sweep(args):
    """The KernelRidge of the options and, if one of --d/--n/--lam/--noise is a list, its name and values."""
    from asymptotics.settings import KernelRidge

    first, name, vals = _sweep(args, _KRR_SWEEPABLE)
    base = KernelRidge(kernel=args.kernel, activation=args.activation, target=args.target, **first)
    return base, name, vals


def _cmd_risk_krr(args) -> Outcome:
    from asymptotics.kernels.theory import krr_curve, krr_risk

    base, name, vals = _krr_setting_and_sweep(args)
    results = krr_curve(base, name, vals) if name else (krr_risk(base),)
    dicts = [r.to_dict() for r in results]
    lines = [f"{'d':>6} {'n':>10} {'log n/log d':>11} {'lam':>9} {'noise':>7} {'test':>9} {'train':>9} {'staircase':>9}"]
    for r in results:
        s = r.setting
        lines.append(f"{s.d:6d} {s.n:10.4g} {math.log(s.n) / math.log(s.d) if s.n > 0 else float('nan'):11.3f} {s.lam:9.3g} "
                     f"{s.noise:7.3g} {r.test_error:9.5f} {r.train_error:9.5f} {r.staircase:9.5f}")
    return Outcome(dicts if name else dicts[0], "\n".join(lines), points=len(dicts),
                   not_converged=_not_converged(results, name, vals))


def _cmd_simulate_krr(args) -> Outcome:
    from ..kernels.simulation import simulate_krr

    base, name, vals = _krr_setting_and_sweep(args)
    settings = [base.replace(**{name: v}) for v in vals] if name else [base]
    seeds = _seeds(args.seeds)
    out, lines = [], []
    for s in settings:
        sim = simulate_krr(s, seeds=seeds, n_test=args.n_test, model=args.model, m=args.m)
        out.append(sim.to_dict())
        lines.append(f"d={s.d} n={s.n:g} lam={s.lam:g} noise={s.noise:g}: test {sim.test_error_mean:.5f} ± "
                     f"{sim.test_error_sem:.5f} (theory {sim.theory.test_error:.5f})   train {sim.train_error_mean:.5f}")
    return Outcome(out if name else out[0], "\n".join(lines), points=len(out))


def _cmd_compare_krr(args) -> Outcome:
    from ..kernels.comparison import compare_krr

    base, name, vals = _krr_setting_and_sweep(args)
    settings = [base.replace(**{name: v}) for v in vals] if name else [base]
    check_output_dir(args.out)
    check_checkpoint(args.checkpoint)
    table = compare_krr(settings, seeds=_seeds(args.seeds), n_test=args.n_test, checkpoint=args.checkpoint,
                        progress=args.progress)
    write_table(args.out, "compare_krr", table)
    return Outcome(table.to_dict(), _markdown(table), points=len(table.rows))


def _add_krr_args(p) -> None:
    from asymptotics.settings import KernelRidge

    p.add_argument("--kernel", choices=("ntk", "rf", "both"), default="ntk")
    p.add_argument("--activation", default="relu")
    add_setting_options(p, KernelRidge, {
        "d": ("input dimension (integer ≥ 3)", "20"),
        "n": ("sample size", "100"),
        "lam": ("ridge λ in K(K + λI)^{-1}y", None),
        "noise": ("label-noise std σ_ε", None),
    })
    p.add_argument("--target", default="1:1", help='degree profile "k:F2,..." or a single-index function')
    p.add_argument("--json", action="store_true")


def add_parsers(risk, simulate, compare) -> None:
    """Register this family's subcommands under ``asym risk``, ``asym simulate`` and ``asym compare``."""
    r3 = risk.add_parser("krr", help="kernel ridge regression on the sphere, finite-d equivalent (docs/theory/kernels.md §6.4)")
    _add_krr_args(r3)
    r3.set_defaults(func=_cmd_risk_krr)

    sk = simulate.add_parser("krr", help="kernel ridge regression on the sphere (exact kernel or lazy m-neuron model)")
    _add_krr_args(sk)
    sk.add_argument("--model", choices=("exact", "rf", "ntk"), default="exact",
                    help="exact kernel, or the lazy RF / NT model with --m neurons")
    sk.add_argument("--m", type=_int("--m", 1), default=None)
    sk.add_argument("--seeds", default="3", help="K (seeds 0..K-1) or an explicit list")
    sk.add_argument("--n-test", type=_int("--n-test", 1), default=2000)
    sk.set_defaults(func=_cmd_simulate_krr)

    ck = compare.add_parser("krr", help="KRR deterministic equivalent vs exact-kernel Monte Carlo "
                                        "(one of --d/--n/--lam/--noise may be a list: one row each)")
    _add_krr_args(ck)
    ck.add_argument("--seeds", default="5", help="K (seeds 0..K-1) or an explicit list")
    ck.add_argument("--n-test", type=_int("--n-test", 1), default=2000)
    ck.add_argument("--checkpoint", default=None, help="JSON file to resume from")
    ck.add_argument("--out", default=None, help="directory for .md/.csv/.json")
    add_progress_option(ck)
    ck.set_defaults(func=_cmd_compare_krr)
