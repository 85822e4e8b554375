"""``asym figure`` and ``asym demo``: paper figures with their CSV and configuration."""

from __future__ import annotations
import time
from pathlib import Path
from asymptotics.settings import OneStep
from ..store import write_atomic

from .common import _int, check_output_dir, check_checkpoint, _fmt, Outcome, _write_json, _markdown, _default


def _curve_label(curve) -> str:
    return f"eta_tilde={curve:g}" if isinstance(curve, (int, float)) else f"curve {curve}"


def _figure_outcome(paths: dict, data) -> Outcome:
    problems = [f"{_curve_label(p['curve'])} {p['x']}={p['value']:g} (residual {_fmt(p.get('residual'))}, "
                f"nit {p.get('nit')})" for p in getattr(data, "not_converged", ())]
    return Outcome(paths, "\n".join(f"wrote {p}" for p in paths.values()),
                   points=getattr(data, "n_theory_points", len(problems) or 1), not_converged=problems)


def _cmd_figure(args) -> Outcome:
    from ..giant_step.figures import GIANT_STEP_PANELS
    from ..one_step.figures import one_step_figure_data, panel, write_one_step_figure

    check_output_dir(args.out)
    check_checkpoint(args.checkpoint)
    if args.panel in GIANT_STEP_PANELS:
        from ..giant_step.figures import giant_step_figure_data, write_giant_step_figure

        data = giant_step_figure_data(args.panel, d=_default(args.d, 512), seeds=_default(args.seeds, 4),
                                      n_test=_default(args.n_test, 10000),
                                      checkpoint=args.checkpoint, progress=args.progress)
        return _figure_outcome(write_giant_step_figure(data, args.out), data)

    if args.panel in ("staircase", "escape"):
        return _figure_kernels(args)
    if args.panel == "escape-exponents":
        return _figure_escape_exponents(args)

    spec = panel(args.panel, centered=not args.raw_teacher, quick=args.quick)
    data = one_step_figure_data(spec, d=_default(args.d, 256 if args.quick else 512),
                                seeds=_default(args.seeds, 3 if args.quick else 20),
                                n_test=_default(args.n_test, 20000),
                                checkpoint=args.checkpoint, progress=args.progress)
    return _figure_outcome(write_one_step_figure(data, args.out), data)


def _figure_kernels(args) -> Outcome:
    """KRR staircase (docs/theory/kernels.md §6.7 setting) or the escaping-the-kernel comparison (§5.1 E3)."""
    from ..kernels.figures import escape_data, staircase_data, write_escape_figure, write_staircase_figure

    n_test = _default(args.n_test, 2000)
    if args.panel == "staircase":
        ds = (args.d,) if args.d is not None else ((20,) if args.quick else (20, 40))
        data = staircase_data(ds=ds, seeds=_default(args.seeds, 2 if args.quick else 4), n_test=n_test,
                              max_n=1000 if args.quick else 6000, checkpoint=args.checkpoint,
                              progress=args.progress)
        paths = write_staircase_figure(data, args.out)
    else:
        ds = (args.d,) if args.d is not None else ((8,) if args.quick else (8, 12, 16))
        data = escape_data(ds=ds, seeds=_default(args.seeds, 2 if args.quick else 3), n_test=n_test,
                           checkpoint=args.checkpoint, progress=args.progress)
        paths = write_escape_figure(data, args.out)
    return _figure_outcome(paths, data)


def _figure_escape_exponents(args) -> Outcome:
    """n*(d, ε) per method with fitted exponents.  ``--quick``: the CI size, computed (seconds).  Full:
    assembled from the per-seed records of the checkpoint (default ``OUT/escape_exponents.ckpt.json``,
    the recorded run's); missing records are computed only with ``--recompute`` (CPU-hours)."""
    from ..kernels.escape_exponents import escape_exponents_data, write_escape_exponents_figure

    if args.quick:
        data = escape_exponents_data(quick=True, checkpoint=args.checkpoint, progress=args.progress)
    else:
        ckpt = args.checkpoint or str(Path(args.out) / "escape_exponents.ckpt.json")
        check_checkpoint(ckpt)
        data = escape_exponents_data(checkpoint=ckpt, assemble_only=not args.recompute, progress=args.progress)
    return _figure_outcome(write_escape_exponents_figure(data, args.out), data)


def _cmd_demo(args) -> Outcome:
    """Theory vs simulation for the one-step setting, and Fig. 3(a) in quick mode."""
    from ..one_step.comparison import compare_one_step
    from ..one_step.figures import one_step_figure_data, panel, write_one_step_figure

    check_output_dir(args.out)
    t0 = time.perf_counter()
    out = Path(args.out)
    base = OneStep("tanh", "tanh", psi1=2, psi2=2, lam=1e-2, noise=0.1)
    settings = [base.replace(eta=e) for e in (0.0, 1.0, 2.0, 4.0)]
    table = compare_one_step(settings, ds=(256,), seeds=8, n_test=10000, finite_d=False)
    write_atomic(out / "demo_table.md", _markdown(table) + "\n")
    write_atomic(out / "demo_table.csv", table.to_csv())
    _write_json(out / "demo_table.json", table.to_dict())
    data = one_step_figure_data(panel("3a", quick=True), d=256, seeds=3, n_test=10000)
    paths = write_one_step_figure(data, out, stem="demo_fig3a")
    elapsed = time.perf_counter() - t0
    text = "\n".join(
        ["One gradient step (Ba et al. 2022): asymptotic GE theory vs Monte Carlo of the real network",
         _markdown(table), ""] + [f"wrote {p}" for p in paths.values()]
        + [f"wrote {out / 'demo_table.csv'}  ({elapsed:.0f} s)"])
    return Outcome({"table": table.to_dict(), "figure": paths, "seconds": elapsed}, text,
                   points=len(table.rows))


def add_parsers(sub) -> None:
    """Register ``asym figure`` and ``asym demo`` on the top-level subparsers."""
    f = sub.add_parser("figure", help="paper figures with their CSV and configuration")
    f.add_argument("panel", choices=("3a", "3b", "giant-tanh", "giant-sin", "giant-eta", "staircase", "escape",
                                     "escape-exponents"))
    f.add_argument("--recompute", action="store_true",
                   help="escape-exponents: compute missing records instead of assembling the checkpoint's")
    f.add_argument("--quick", action="store_true", help="d = 256, 3 seeds, thinner grid")
    f.add_argument("--d", type=_int("--d", 1), default=None)
    f.add_argument("--seeds", type=_int("--seeds", 1), default=None)
    f.add_argument("--n-test", type=_int("--n-test", 1), default=None,
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
