"""``asym risk krr``, ``asym simulate krr``: the kernel-regime family (Nichani, Bai & Lee 2022)."""

from __future__ import annotations
import math

from .common import _FLOAT, _int, parse_number_list, _seeds, Outcome, _not_converged


def _cmd_risk_krr(args) -> Outcome:
    from asymptotics.kernels.theory import KernelRidge, krr_risk_curve

    ns = parse_number_list(args.n, "--n", strict=True, minimum=0)
    base = KernelRidge(kernel=args.kernel, activation=args.activation, d=args.d, n=ns[0],
                       lam=args.lam, noise=args.noise, target=args.target)
    results = krr_risk_curve(base, ns)
    dicts = [r.to_dict() for r in results]
    lines = [f"{'n':>10} {'log n/log d':>11} {'test':>9} {'train':>9} {'staircase':>9}"]
    for n, r in zip(ns, results):
        lines.append(f"{n:10.4g} {math.log(n) / math.log(args.d):11.3f} {r.test_error:9.5f} "
                     f"{r.train_error:9.5f} {r.staircase:9.5f}")
    return Outcome(dicts if len(ns) > 1 else dicts[0], "\n".join(lines), points=len(ns),
                   not_converged=_not_converged(results, "n" if len(ns) > 1 else None, ns))


def _cmd_simulate_krr(args) -> Outcome:
    from asymptotics.kernels.theory import KernelRidge

    from ..kernels.simulation import simulate_krr

    ns = parse_number_list(args.n, "--n", strict=True, minimum=0)
    seeds = _seeds(args.seeds)
    out, lines = [], []
    for n in ns:
        s = KernelRidge(kernel=args.kernel, activation=args.activation, d=args.d, n=n, lam=args.lam,
                        noise=args.noise, target=args.target)
        sim = simulate_krr(s, seeds=seeds, n_test=args.n_test, model=args.model, m=args.m)
        out.append(sim.to_dict())
        lines.append(f"n={n:g}: test {sim.test_error_mean:.5f} ± {sim.test_error_sem:.5f} "
                     f"(theory {sim.theory.test_error:.5f})   train {sim.train_error_mean:.5f}")
    return Outcome(out if len(ns) > 1 else out[0], "\n".join(lines), points=len(ns))


def add_parsers(risk, simulate, compare) -> None:
    """Register this family's subcommands under ``asym risk``, ``asym simulate`` and ``asym compare``."""
    r3 = risk.add_parser("krr", help="kernel ridge regression on the sphere, finite-d equivalent (docs/theory/kernels.md §6.4)")
    r3.add_argument("--kernel", choices=("ntk", "rf", "both"), default="ntk")
    r3.add_argument("--activation", default="relu")
    r3.add_argument("--d", type=_int("--d", 1), default=20)
    r3.add_argument("--n", default="100", help="sample size(s), comma-separated for a curve")
    r3.add_argument("--lam", type=_FLOAT, default=0.0, help="ridge λ in K(K + λI)^{-1}y")
    r3.add_argument("--target", default="1:1", help='degree profile "k:F2,..." or a single-index function')
    r3.add_argument("--noise", type=_FLOAT, default=0.0, help="label-noise std σ_ε")
    r3.add_argument("--json", action="store_true")
    r3.set_defaults(func=_cmd_risk_krr)

    sk = simulate.add_parser("krr", help="kernel ridge regression on the sphere (exact kernel or lazy m-neuron model)")
    sk.add_argument("--kernel", choices=("ntk", "rf", "both"), default="ntk")
    sk.add_argument("--activation", default="relu")
    sk.add_argument("--d", type=_int("--d", 1), default=20)
    sk.add_argument("--n", default="100", help="sample size(s), comma-separated")
    sk.add_argument("--lam", type=_FLOAT, default=0.0)
    sk.add_argument("--target", default="1:1", help='degree profile "k:F2,..."')
    sk.add_argument("--noise", type=_FLOAT, default=0.0)
    sk.add_argument("--model", choices=("exact", "rf", "ntk"), default="exact",
                    help="exact kernel, or the lazy RF / NT model with --m neurons")
    sk.add_argument("--m", type=_int("--m", 1), default=None)
    sk.add_argument("--seeds", default="3", help="K (seeds 0..K-1) or an explicit list")
    sk.add_argument("--n-test", type=_int("--n-test", 1), default=2000)
    sk.add_argument("--json", action="store_true")
    sk.set_defaults(func=_cmd_simulate_krr)
