"""``asym hermite``: Hermite coefficients and named constants of an activation."""

from __future__ import annotations
from asymptotics.hermite import hermite_coefficients, hermite_constants, hermite_norm2

from .common import _int, Outcome


def _cmd_hermite(args) -> Outcome:
    res = hermite_coefficients(args.function, args.order, digits=args.digits)
    out = res.to_dict()
    if args.digits is None:
        c = hermite_constants(args.function)
        out.update(mu0=c.mu0, mu1=c.mu1, mu_star=c.mu_star, norm2=c.norm2)
    else:
        norm2 = hermite_norm2(args.function, digits=args.digits)
        out.update(norm2.to_dict())
    lines = [f"{res.activation}: method={res.method}, error estimate {out['error_estimate']}"]
    lines += [f"  c_{k} = {c}" for k, c in enumerate(out["coefficients"])]
    lines += [f"  {key} = {out[key]}" for key in ("mu0", "mu1", "mu_star", "norm2")]
    return Outcome(out, "\n".join(lines))


def add_parsers(sub) -> None:
    """Register ``asym hermite`` on the top-level subparsers."""
    h = sub.add_parser("hermite", help="Hermite coefficients and named constants of an activation")
    h.add_argument("function", help="registry name, centered:NAME, or sympy expression in z")
    h.add_argument("--order", type=_int("--order", 0), default=6)
    h.add_argument("--digits", type=_int("--digits", 1), default=None,
                   help="exact / high-precision route, decimal strings")
    h.add_argument("--json", action="store_true")
    h.set_defaults(func=_cmd_hermite)
