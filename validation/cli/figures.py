"""``asym figure`` and ``asym demo``: paper figures with their CSV and configuration."""

from __future__ import annotations
import time
from pathlib import Path
from asymptotics.settings import OneStep
from ..store import write_atomic

from .common import add_progress_option, CLIError, _seeds, _int, check_output_dir, check_checkpoint, _fmt, Outcome, _write_json, _markdown


def _curve_label(curve) -> str:
    return f"eta_tilde={curve:g}" if isinstance(curve, (int, float)) else f"curve {curve}"


def _figure_problem(p: dict) -> str:
    return (f"{_curve_label(p['curve'])} {p['x']}={p['value']:g} (residual {_fmt(p.get('residual'))}, "
            f"nit {p.get('nit')})")


def _figure_outcome(paths: dict, data) -> Outcome:
    problems = [_figure_problem(p) for p in getattr(data, "not_converged", ())]
    return Outcome(paths, "\n".join(f"wrote {p}" for p in paths.values()),
                   points=getattr(data, "n_theory_points", len(problems) or 1), not_converged=problems)


def _cmd_figure(args) -> Outcome:
    """``asym figure PANEL`` through :func:`make_figure` (one place for the panels' default sizes), or
    ``asym figure --all`` through :func:`regenerate_all` (every panel, resumable per-panel checkpoints)."""
    from ..figures_all import PANELS, make_figure, regenerate_all

    if args.all == (args.panel is not None):
        raise CLIError("give one panel (" + ", ".join(PANELS) + ") or --all, not both" if args.all
                       else "give a panel (" + ", ".join(PANELS) + ") or --all")
    if args.seeds is not None:
        args.seeds = _seeds(args.seeds)
    check_output_dir(args.out)
    if args.all:
        given = [o for o, v in (("--d", args.d), ("--seeds", args.seeds), ("--n-test", args.n_test),
                                ("--checkpoint", args.checkpoint)) if v is not None]
        if given:
            raise CLIError(f"--all uses each panel's own sizes and checkpoint; drop {', '.join(given)}")
        runs = regenerate_all(args.out, args.quick, progress=args.progress, recompute=args.recompute)
        problems = [f"{r.panel}: " + _figure_problem(p) for r in runs for p in r.not_converged]
        points = sum(getattr(r.data, "n_theory_points", 1) for r in runs)
        paths = {r.panel: r.paths for r in runs}
        text = "\n".join(f"wrote {p}" for r in runs for p in r.paths.values())
        return Outcome(paths, text, points=points, not_converged=problems)
    check_checkpoint(args.checkpoint)  # make_figure's default checkpoints live in --out, checked above
    paths, data = make_figure(args.panel, args.out, quick=args.quick, d=args.d, seeds=args.seeds,
                              n_test=args.n_test, checkpoint=args.checkpoint, progress=args.progress,
                              centered=not args.raw_teacher, recompute=args.recompute)
    return _figure_outcome(paths, data)


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
    f.add_argument("panel", nargs="?", default=None,
                   choices=("3a", "3b", "giant-tanh", "giant-sin", "giant-eta", "staircase", "escape",
                            "escape-exponents"))
    f.add_argument("--all", action="store_true",
                   help="every panel in turn, each with its CSV, configuration and checkpoint in --out (resumable)")
    f.add_argument("--recompute", action="store_true",
                   help="escape-exponents: compute missing records instead of assembling the checkpoint's")
    f.add_argument("--quick", action="store_true",
                   help="CI sizes: one-step d = 256, 3 seeds, thinner grid; giant-step d = 256, 2 seeds; "
                        "kernels one small d, 2 seeds")
    f.add_argument("--d", type=_int("--d", 1), default=None)
    f.add_argument("--seeds", default=None, help="K (seeds 0..K-1) or an explicit list 3,7,11")
    f.add_argument("--n-test", type=_int("--n-test", 1), default=None,
                   help="test points per seed (default: 20000 one-step, 10000 giant-step, 2000 kernels)")
    f.add_argument("--raw-teacher", action="store_true", help="do not center the teacher")
    f.add_argument("--out", default="figures")
    f.add_argument("--checkpoint", default=None)
    add_progress_option(f)
    f.add_argument("--json", action="store_true")
    f.set_defaults(func=_cmd_figure)

    dm = sub.add_parser("demo", help="theory-vs-simulation table and Fig. 3(a), quick mode")
    dm.add_argument("--out", default="asym-demo")
    dm.add_argument("--json", action="store_true")
    dm.set_defaults(func=_cmd_demo)
