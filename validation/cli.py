"""The ``asym`` command line.

    asym hermite NAME_OR_EXPR --order K [--digits D]
    asym risk one-step --student S --teacher T --psi1 X --psi2 X --lam X (--eta X | --eta-tilde X) --noise X
    asym risk large-step --student S --teacher T
    asym risk hetero-srf --law LAW --gamma G [giant-step options]
    asym risk giant-step --student S --teacher T --alpha0 X --eta-tilde X --alpha X --width-ratio X --lam X
                         [--noise X] [--backend asymptotic|finite --d D] [--r R --c C --gamma G]
    asym risk krr --kernel ntk|rf --activation A --d D --n N[,N...] --lam X --target "k:F2,..." --noise X
    asym simulate one-step ... --d D --seeds K
    asym simulate giant-step|srf ... --d D --seeds K [--n-test M]
    asym simulate krr ... --seeds K [--model exact|rf|ntk --m M]
    asym compare one-step [--d 256,512,1024] [--seeds K] [--checkpoint F] [--out DIR]
    asym compare giant-step [--model network|srf] [--d 256,512,1024] [--seeds K] [--checkpoint F] [--out DIR]
    asym figure 3a|3b|giant-tanh|giant-sin|giant-eta|staircase|escape [--quick] [--d D] [--seeds K] [--out DIR]
    asym figure escape-exponents [--quick] [--out DIR] [--checkpoint F]
    asym demo [--out DIR]

Every command takes ``--json``.  In ``risk`` and ``simulate`` one numeric parameter may be a
comma-separated list, giving a list of results.  Every numeric option is checked before any work:
lists go through :func:`parse_number_list` (no empty items, no NaN / infinity, integers where a count
is meant), ``--out`` and ``--checkpoint`` must be writable before a sweep starts.

Exit status (one rule for every command):

* **0** — every result is a finite number from a converged computation.
* **2** — invalid input, or a computation the library refused or could not carry out (including a
  solver that failed where no partial result is possible): exactly one line ``asym: error: ...`` on
  stderr, nothing on stdout.  Out of memory and unwritable files are reported the same way.
* **3** — the output is complete, but some points have no trustworthy number: a fixed point that
  did not converge (the point is printed with ``converged: false`` and ``null`` in JSON, ``nan`` in
  tables), a per-instance theory averaged over fewer seeds than requested, or a non-finite value
  (JSON ``null``, listed under the key ``"non_finite"`` of the object holding it).  stderr then
  carries ``asym: warning: N of M points did not converge: <which> (residual ..., nit ...)`` and/or
  ``asym: warning: ...non-finite...``; written tables and figures state what was dropped.
* **130** — interrupted (Ctrl-C): one line ``asym: interrupted``.

JSON output is always strict JSON (no NaN).  An unexpected exception that is not one of the above is
a bug and is shown with its traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from asymptotics.errors import AsymptoticsError
from asymptotics.hermite import hermite_coefficients, hermite_constants, hermite_norm2
from asymptotics.one_step.theory import large_step_limit, one_step_curve, one_step_risk
from asymptotics.settings import OneStep

from .store import dumps, write_atomic, write_json

__all__ = ["main", "build_parser", "parse_number_list", "json_safe", "EXIT_OK", "EXIT_ERROR",
           "EXIT_INCOMPLETE", "EXIT_INTERRUPTED"]

EXIT_OK, EXIT_ERROR, EXIT_INCOMPLETE, EXIT_INTERRUPTED = 0, 2, 3, 130

_EPILOG = """\
exit status:
  0    every result is a finite number from a converged computation
  2    invalid input or a computation that could not be carried out:
       one line 'asym: error: ...' on stderr, nothing on stdout
  3    complete output, but some points did not converge or are not finite:
       'asym: warning: N of M points did not converge: ...' on stderr; those points are
       converged: false / null in JSON (non-finite keys listed under "non_finite"),
       and written tables and figures state how many points or seeds were dropped
  130  interrupted
"""


class CLIError(Exception):
    """A usage problem found by the command line itself (reported like any other input error)."""


# ---------------------------------------------------------------------------------------------
# parsing numbers

def _opt(name: str) -> str:
    return "--" + name.replace("_", "-")


_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:nan|inf|infinity)", re.IGNORECASE | re.ASCII)


def parse_number_list(text: str, option: str, *, integer: bool = False, minimum: float | None = None,
                      strict: bool = False) -> list:
    """Parse ``"1,2.5,4"`` given to ``option``: every item a finite number (an integer if ``integer``),
    ≥ ``minimum`` (> with ``strict``); no empty items.  Raises :class:`CLIError` naming the option.

    >>> parse_number_list("8, 16", "--d", integer=True, minimum=1)
    [8, 16]
    >>> parse_number_list("1,nan", "--eta")
    Traceback (most recent call last):
    ...
    asymptotics.validation.cli.CLIError: --eta: 'nan' is not a finite number
    """
    what = "an integer" if integer else "a number"
    if not isinstance(text, str) or not text.strip():
        raise CLIError(f"{option} is empty: give {what} or a comma-separated list")
    out = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            raise CLIError(f"{option}: empty item in {text!r}")
        try:
            if not _NUMBER.fullmatch(item):  # plain ASCII decimal: no "1_000", no other scripts' digits
                raise ValueError(item)
            v = float(item)
        except (ValueError, OverflowError):
            raise CLIError(f"{option} must be {what} or comma-separated numbers, got {item!r}") from None
        if not math.isfinite(v):
            raise CLIError(f"{option}: {item!r} is not a finite number")
        if integer:
            if v != math.floor(v):
                raise CLIError(f"{option} must be an integer, got {item!r}")
            try:
                v = int(item)
            except ValueError:  # "1e3": integral but written as a float
                v = int(v)
        if minimum is not None and (v <= minimum if strict else v < minimum):
            raise CLIError(f"{option} must be {'>' if strict else '>='} {minimum:g}, got {item!r}")
        out.append(v)
    return out


def _scalar(option: str, **kw):
    """argparse ``type=`` for one finite number (see :func:`parse_number_list`)."""

    def conv(text: str):
        try:
            vals = parse_number_list(text, option, **kw)
        except CLIError as exc:
            raise argparse.ArgumentTypeError(str(exc).removeprefix(option + ": ").removeprefix(option + " "))
        if len(vals) != 1:
            raise argparse.ArgumentTypeError(f"takes one value, got {text!r}")
        return vals[0]

    conv.__name__ = "integer" if kw.get("integer") else "number"
    return conv


def _seeds(text: str, option: str = "--seeds") -> "int | list[int]":
    """``"K"`` → K (seeds 0..K−1, K ≥ 1); ``"3,7"`` → [3, 7] (distinct seeds ≥ 0)."""
    vals = parse_number_list(text, option, integer=True, minimum=0)
    if "," not in text:
        if vals[0] < 1:
            raise CLIError(f"{option}: the number of seeds must be >= 1, got {text.strip()!r}")
        return vals[0]
    if len(set(vals)) != len(vals):
        raise CLIError(f"{option}: seeds must be distinct, got {text!r}")
    return vals


def _sweep(args, names: tuple[str, ...]) -> tuple[dict, str | None, list[float]]:
    """The first value of each parameter and, if one parameter holds a list, its name and values."""
    values = {n: parse_number_list(getattr(args, n), _opt(n)) for n in names}
    lists = [n for n, v in values.items() if len(v) > 1]
    if len(lists) > 1:
        raise CLIError(f"only one parameter may be a list, got lists in {', '.join(_opt(n) for n in lists)}")
    first = {n: v[0] for n, v in values.items()}
    return (first, lists[0], values[lists[0]]) if lists else (first, None, [])


_SWEEPABLE = ("psi1", "psi2", "lam", "eta", "noise")
_GIANT_SWEEPABLE = ("alpha0", "eta_tilde", "alpha", "width_ratio", "lam", "noise")


def _setting_and_sweep(args) -> tuple[OneStep, str | None, list[float]]:
    if getattr(args, "eta", None) is None:
        args.eta = _ETA_DEFAULT
    first, name, vals = _sweep(args, _SWEEPABLE)
    return OneStep(args.student, args.teacher, **first), name, vals


def _giant_setting_and_sweep(args):
    from asymptotics.settings import GiantStep

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


# ---------------------------------------------------------------------------------------------
# output files: checked before any work

def _nearest_existing(path: Path) -> Path:
    p = path
    while not p.exists() and not p.is_symlink():
        if p.parent == p:
            break
        p = p.parent
    return p


def _probe_directory(directory: Path, option: str, target: Path) -> None:
    """``directory`` exists: it must be a directory in which a file can be created."""
    if not directory.is_dir():
        raise CLIError(f"{option} {str(target)!r}: {str(directory)!r} is not a directory")
    try:
        with tempfile.TemporaryFile(dir=directory, prefix=".asym-probe-"):
            pass
    except OSError as exc:
        raise CLIError(f"{option} {str(target)!r}: cannot write in {str(directory)!r} "
                       f"({exc.strerror or exc})") from None


def check_output_dir(path: "str | None", option: str = "--out") -> None:
    """Fail now (not after the sweep) if results cannot be written into directory ``path``.

    Nothing is created: the nearest existing ancestor must be a writable directory."""
    if path is None:
        return
    if not str(path).strip() or "\0" in str(path):
        raise CLIError(f"{option}: not a usable path: {path!r}")
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise CLIError(f"{option} {path!r} exists and is not a directory")
    _probe_directory(_nearest_existing(p), option, p)


def check_checkpoint(path: "str | None", option: str = "--checkpoint") -> None:
    """Fail now if checkpoint file ``path`` cannot be written (its contents are checked by
    :class:`asymptotics.validation.store.Checkpoint` when the sweep opens it, before any work)."""
    if path is None:
        return
    if not str(path).strip() or "\0" in str(path):
        raise CLIError(f"{option}: not a usable path: {path!r}")
    p = Path(path)
    if p.is_dir():
        raise CLIError(f"{option} {path!r} is a directory, not a file")
    if p.exists() and not p.is_file():
        raise CLIError(f"{option} {path!r} is not a regular file")
    _probe_directory(_nearest_existing(p.parent), option, p)


# ---------------------------------------------------------------------------------------------
# honest results

def json_safe(obj):
    """A strict-JSON copy of ``obj``: numpy → Python, ``to_dict`` objects → dicts, and every
    non-finite float → ``None``, the dict holding it getting ``"non_finite": [keys]``.

    >>> json_safe({"risk": float("nan"), "d": 8})
    {'risk': None, 'd': 8, 'non_finite': ['risk']}
    """
    return _safe(obj)[0]


def _safe(obj):
    """(copy, found) where ``found`` says a non-finite value was replaced inside ``obj``."""
    if hasattr(obj, "to_dict") and not isinstance(obj, type):
        obj = obj.to_dict()
    if isinstance(obj, bool) or obj is None or isinstance(obj, (str, int)):
        return obj, False
    if isinstance(obj, float):
        return (obj, False) if math.isfinite(obj) else (None, True)
    if hasattr(obj, "tolist"):  # numpy scalars and arrays
        return _safe(obj.tolist())
    if isinstance(obj, dict):
        out, bad = {}, []
        for k, v in obj.items():
            out[k], found = _safe(v)
            if found:
                bad.append(k)
        if bad and "non_finite" not in out:
            out["non_finite"] = [str(k) for k in bad]
        return out, bool(bad)
    if isinstance(obj, (list, tuple)):
        pairs = [_safe(v) for v in obj]
        return [p[0] for p in pairs], any(p[1] for p in pairs)
    return obj, False


def _count_non_finite(obj) -> int:
    """Number of dicts in a :func:`json_safe` result that carry a ``non_finite`` flag."""
    if isinstance(obj, dict):
        return int("non_finite" in obj) + sum(_count_non_finite(v) for v in obj.values())
    if isinstance(obj, list):
        return sum(_count_non_finite(v) for v in obj)
    return 0


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.3g}"


@dataclass
class Outcome:
    """What a command produced: the JSON object, its text form, and what is not trustworthy.

    ``not_converged`` lists one description per point whose solver did not converge (out of
    ``points``); ``notes`` are further reasons for exit status 3 (e.g. seeds dropped from an
    average); ``warnings`` are shown but leave the status alone (e.g. a repaired checkpoint)."""

    obj: object
    text: str
    points: int = 1
    not_converged: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


def _problem(label: str, r) -> str:
    return f"{label} (residual {_fmt(getattr(r, 'residual', None))}, nit {getattr(r, 'nit', 'n/a')})"


def _not_converged(results, name: "str | None", values) -> list[str]:
    """One description per result whose ``converged`` attribute is False (any command's results)."""
    return [_problem(f"{_opt(name)} {values[i]:g}" if name else "the setting", r)
            for i, r in enumerate(results) if getattr(r, "converged", True) is False]


def _write_json(path: Path, obj) -> Path:
    return write_json(path, json_safe(obj))


def _finish(out: Outcome, as_json: bool) -> int:
    """Print the result (strict JSON or text), the warnings, and return the exit status."""
    safe = json_safe(out.obj)
    print(dumps(safe) if as_json else out.text, flush=True)
    status = EXIT_OK
    for note in out.warnings:
        print(_one_line(f"asym: warning: {note}"), file=sys.stderr)
    if out.not_converged:
        shown = "; ".join(out.not_converged[:5]) + ("; ..." if len(out.not_converged) > 5 else "")
        print(_one_line(f"asym: warning: {len(out.not_converged)} of {out.points} points did not converge: "
                        f"{shown}"), file=sys.stderr)
        status = EXIT_INCOMPLETE
    for note in out.notes:
        print(_one_line(f"asym: warning: {note}"), file=sys.stderr)
        status = EXIT_INCOMPLETE
    bad = _count_non_finite(safe)
    if bad and not out.not_converged:
        print(f"asym: warning: {bad} result(s) hold non-finite values, reported as null "
              "(see their \"non_finite\" keys)", file=sys.stderr)
        status = EXIT_INCOMPLETE
    return status


# ---------------------------------------------------------------------------------------------
# commands

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


def _cmd_risk_one_step(args) -> Outcome:
    if args.eta_tilde is not None:
        return _risk_one_step_large(args)
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
    lines.append(f"regime: {_SMALL_STEP}")
    dicts = [{**d, "regime": _SMALL_STEP} for d in dicts]
    return Outcome(dicts if name else dicts[0], "\n".join(lines), points=len(dicts),
                   not_converged=_not_converged(results, name, vals))


_ETA_DEFAULT = "1"
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
    base = OneStep(args.student, args.teacher, eta=float(_ETA_DEFAULT), **first)  # η unused by the map
    if name == "eta_tilde":
        settings, eta_tildes = [base] * len(vals), list(vals)
    elif name:
        settings, eta_tildes = [base.replace(**{name: v}) for v in vals], [eta_tilde] * len(vals)
    else:
        settings, eta_tildes = [base], [eta_tilde]
    results = [large_step_risk(s, e, raise_on_failure=False) for s, e in zip(settings, eta_tildes)]
    lines = [f"{'risk':>9} {'train':>9} conv  setting"]
    dicts = []
    for s, e, r in zip(settings, eta_tildes, results):
        lines.append(f"{r.test_error:9.5f} {r.train_error:9.5f} {'yes ' if r.converged else 'NO  '} "
                     f"psi1={s.psi1:g} psi2={s.psi2:g} lam={s.lam:g} eta_tilde={e:g} noise={s.noise:g}")
        dicts.append({**r.to_dict(), "risk": r.test_error, "eta_tilde": e, "regime": _LARGE_STEP,
                      "one_step_setting": {k: v for k, v in s.to_dict().items() if k != "eta"}})
    lines.append(f"regime: {_LARGE_STEP}")
    multi = len(dicts) > 1
    return Outcome(dicts if multi else dicts[0], "\n".join(lines), points=len(dicts),
                   not_converged=_not_converged(results, name if multi else None, vals))


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
    dicts = [{**r.to_dict(), "setting": r.setting.to_dict()} for r in results]
    return Outcome(dicts if name else dicts[0], "\n".join(lines), points=len(dicts),
                   not_converged=_not_converged(results, name, vals))


def _cmd_risk_large_step(args) -> Outcome:
    lim = large_step_limit(args.student, args.teacher)
    text = (f"tau* = {lim.tau_star:.6g} at kappa* = {lim.kappa_star:.6g} "
            f"({'attained' if lim.attained else 'not attained: infimum at the edge of the range'}); "
            f"kernel lower bound ||P>1 f*||^2 = {lim.lower_bound:.6g}")
    return Outcome(lim.to_dict(), text, not_converged=_not_converged([lim], None, []))


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
    dicts = [{**r.to_dict(), "residual": r.residual,
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
    from .giant_step.simulation import simulate_giant_step

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
    return Outcome(out if name else out[0], "\n".join(lines), points=len(out))


def _cmd_simulate_giant_step(args) -> Outcome:
    return _cmd_simulate_giant(args, "network")


def _cmd_simulate_srf(args) -> Outcome:
    return _cmd_simulate_giant(args, "srf")


_UNDEFINED_CELL = re.compile(r"\|\s*[+-]?(?:inf|nan)\s*(?=\|)", re.IGNORECASE)


def _markdown(table) -> str:
    """A comparison table's Markdown with undefined cells (the z-score of a single seed, whose SEM
    is 0; JSON has null there) written ``n/a`` instead of ``inf`` / ``nan``."""
    return _UNDEFINED_CELL.sub("| n/a ", table.to_markdown())


def _dropped_instance_seeds(table) -> list[tuple[int, int, int]]:
    """[(row index, seeds dropped, seeds)] where the per-instance theory did not converge on some seeds
    (:func:`asymptotics.validation.giant_step.comparison.compare_giant_step` averages the finite-d column over the others)."""
    out = []
    for i, row in enumerate(table.rows):
        miss = sum(1 for rec in row.per_seed if rec.get("instance_theory") is None)
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
    from .giant_step.comparison import GIANT_STEP_CHECKS, SRF_CHECKS, compare_giant_step

    ds = parse_number_list(args.d, "--d", integer=True, minimum=1)
    alphas = parse_number_list(args.alphas, "--alphas", strict=True, minimum=0)
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
            from .giant_step.comparison import measured_srf_table

            write_atomic(out / "srf_parameters_network.md", measured_srf_table(table) + "\n")
    return Outcome(obj, md, points=len(table.rows), notes=notes)


def _cmd_simulate_one_step(args) -> Outcome:
    from .one_step.simulation import simulate_one_step

    base, name, vals = _setting_and_sweep(args)
    seeds = _seeds(args.seeds)
    settings = [base.replace(**{name: v}) for v in vals] if name else [base]
    out, lines = [], []
    for s in settings:
        sim = simulate_one_step(s, args.d, seeds, n_test=args.n_test, features=args.features,
                                psi1_readout=args.psi1_readout, progress=args.progress,
                                test_risk="exact" if args.exact_risk else "monte-carlo")
        out.append(sim.to_dict())
        lines.append(
            f"risk {sim.risk_mean:.5f} ± {sim.risk_sem:.5f}   train {sim.train_error_mean:.5f} ± "
            f"{sim.train_error_sem:.5f}   d={sim.d} seeds={len(sim.seeds)}  {s.to_dict()}"
        )
    return Outcome(out if name else out[0], "\n".join(lines), points=len(out))


def _cmd_compare_one_step(args) -> Outcome:
    from .one_step.comparison import SPEC_43_SETTINGS, compare_one_step

    ds = parse_number_list(args.d, "--d", integer=True, minimum=1)
    check_output_dir(args.out)
    check_checkpoint(args.checkpoint)
    table = compare_one_step(SPEC_43_SETTINGS, ds=ds, seeds=args.seeds, n_test=args.n_test,
                             finite_d=not args.no_finite_d, checkpoint=args.checkpoint,
                             progress=args.progress)
    if args.out:
        out = Path(args.out)
        write_atomic(out / "compare_one_step.md", _markdown(table) + "\n")
        write_atomic(out / "compare_one_step.csv", table.to_csv())
        _write_json(out / "compare_one_step.json", table.to_dict())
    return Outcome(table.to_dict(), _markdown(table), points=len(table.rows))


def _default(value, fallback):
    """An option's value, or ``fallback`` when it was not given (0 is a value, not "unset")."""
    return fallback if value is None else value


def _curve_label(curve) -> str:
    return f"eta_tilde={curve:g}" if isinstance(curve, (int, float)) else f"curve {curve}"


def _figure_outcome(paths: dict, data) -> Outcome:
    problems = [f"{_curve_label(p['curve'])} {p['x']}={p['value']:g} (residual {_fmt(p.get('residual'))}, "
                f"nit {p.get('nit')})" for p in getattr(data, "not_converged", ())]
    return Outcome(paths, "\n".join(f"wrote {p}" for p in paths.values()),
                   points=getattr(data, "n_theory_points", len(problems) or 1), not_converged=problems)


def _cmd_figure(args) -> Outcome:
    from .giant_step.figures import GIANT_STEP_PANELS
    from .one_step.figures import one_step_figure_data, panel, write_one_step_figure

    check_output_dir(args.out)
    check_checkpoint(args.checkpoint)
    if args.panel in GIANT_STEP_PANELS:
        from .giant_step.figures import giant_step_figure_data, write_giant_step_figure

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
    from .kernels.figures import escape_data, staircase_data, write_escape_figure, write_staircase_figure

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
    from .kernels.escape_exponents import escape_exponents_data, write_escape_exponents_figure

    if args.quick:
        data = escape_exponents_data(quick=True, checkpoint=args.checkpoint, progress=args.progress)
    else:
        ckpt = args.checkpoint or str(Path(args.out) / "escape_exponents.ckpt.json")
        check_checkpoint(ckpt)
        data = escape_exponents_data(checkpoint=ckpt, assemble_only=not args.recompute, progress=args.progress)
    return _figure_outcome(write_escape_exponents_figure(data, args.out), data)


def _cmd_simulate_krr(args) -> Outcome:
    from asymptotics.kernels.theory import KernelRidge

    from .kernels.simulation import simulate_krr

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


def _cmd_demo(args) -> Outcome:
    """Theory vs simulation for the one-step setting, and Fig. 3(a) in quick mode."""
    from .one_step.comparison import compare_one_step
    from .one_step.figures import one_step_figure_data, panel, write_one_step_figure

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


# ---------------------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: a usage error raises :class:`CLIError` (exit status 2)."""

    def error(self, message: str):
        raise CLIError(f"{self.prog.removeprefix('asym').strip() or 'usage'}: {message}"
                       if self.prog != "asym" else message)


_FLOAT = _scalar("value")


def _int(option: str, minimum: int):
    return _scalar(option, integer=True, minimum=minimum)


def _add_one_step_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--student", default="tanh", help="student activation σ (registry name or expression in z)")
    p.add_argument("--teacher", default="tanh", help="teacher σ* (registry name, centered:NAME or expression)")
    p.add_argument("--psi1", default="2", help="n/d, sample ratio of each batch")
    p.add_argument("--psi2", default="2", help="N/d, width ratio")
    p.add_argument("--lam", default="0.01", help="ridge λ (≥ 0)")
    p.add_argument("--eta", default=None, help="learning rate η = Θ(1) (default 1)")
    p.add_argument("--noise", default="0.1", help="label-noise std σ_ε")
    p.add_argument("--json", action="store_true", help="print JSON")


def _add_giant_step_args(p: argparse.ArgumentParser, srf_options: bool = True) -> None:
    p.add_argument("--student", default="tanh", help="student activation σ (registry name or expression in z)")
    p.add_argument("--teacher", default="tanh", help="teacher σ* (registry name, centered:NAME or expression)")
    p.add_argument("--alpha0", default="0.5", help="n0/d, first-step sample ratio (0: no step)")
    p.add_argument("--eta-tilde", dest="eta_tilde", default="1", help="normalized learning rate η̃ = η/p")
    p.add_argument("--alpha", default="1", help="n/d, readout sample ratio")
    p.add_argument("--width-ratio", dest="width_ratio", default="1", help="p/d")
    p.add_argument("--lam", default="0.01", help="ridge λ of Σ(y − wᵀφ/√p)² + λ‖w‖²")
    p.add_argument("--noise", default="0", help="label-noise std σ_ε (every label)")
    if srf_options:
        p.add_argument("--r", type=_FLOAT, default=None,
                       help="sRF spike strength (with --c, --gamma: skip the formulas)")
        p.add_argument("--c", type=_FLOAT, default=None, help="sRF bulk variance")
        p.add_argument("--gamma", type=_FLOAT, default=None, help="sRF spike-teacher overlap")
    p.add_argument("--json", action="store_true", help="print JSON")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="asym", description=__doc__.split("\n\n")[0], epilog=_EPILOG,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    h = sub.add_parser("hermite", help="Hermite coefficients and named constants of an activation")
    h.add_argument("function", help="registry name, centered:NAME, or sympy expression in z")
    h.add_argument("--order", type=_int("--order", 0), default=6)
    h.add_argument("--digits", type=_int("--digits", 1), default=None,
                   help="exact / high-precision route, decimal strings")
    h.add_argument("--json", action="store_true")
    h.set_defaults(func=_cmd_hermite)

    r = sub.add_parser("risk", help="asymptotic theory")
    rs = r.add_subparsers(dest="model", required=True)
    r1 = rs.add_parser("one-step", help="risk after one step: GE formula for η = Θ(1) (--eta), heterogeneous "
                                        "sRF for η = η̃√N (--eta-tilde); the output names the regime")
    _add_one_step_args(r1)
    r1.add_argument("--eta-tilde", dest="eta_tilde", default=None,
                    help="large step η = η̃√N (Ba et al. §5): risk from the heterogeneous sRF; excludes --eta")
    r1.set_defaults(func=_cmd_risk_one_step)
    r2 = rs.add_parser("large-step", help="τ* and κ* of the η = Θ(√N) regime (Ba et al. eq. 5.1)")
    r2.add_argument("--student", default="tanh")
    r2.add_argument("--teacher", default="tanh")
    r2.add_argument("--json", action="store_true")
    r2.set_defaults(func=_cmd_risk_large_step)

    r3 = rs.add_parser("krr", help="kernel ridge regression on the sphere, finite-d equivalent (docs/theory/kernels.md §6.4)")
    r3.add_argument("--kernel", choices=("ntk", "rf", "both"), default="ntk")
    r3.add_argument("--activation", default="relu")
    r3.add_argument("--d", type=_int("--d", 1), default=20)
    r3.add_argument("--n", default="100", help="sample size(s), comma-separated for a curve")
    r3.add_argument("--lam", type=_FLOAT, default=0.0, help="ridge λ in K(K + λI)^{-1}y")
    r3.add_argument("--target", default="1:1", help='degree profile "k:F2,..." or a single-index function')
    r3.add_argument("--noise", type=_FLOAT, default=0.0, help="label-noise std σ_ε")
    r3.add_argument("--json", action="store_true")
    r3.set_defaults(func=_cmd_risk_krr)

    r4 = rs.add_parser("giant-step", help="sRF theory after one giant step (Cui et al. 2024)")
    _add_giant_step_args(r4)
    r4.add_argument("--backend", choices=("asymptotic", "finite"), default="asymptotic",
                    help="large-d Marchenko-Pastur closed forms, or a finite-d W0 sampled at --d")
    r4.add_argument("--d", type=_int("--d", 1), default=None, help="dimension of the sampled W0 (finite back-end)")
    r4.add_argument("--seed", type=_int("--seed", 0), default=0, help="seed of the sampled W0 (finite back-end)")
    r4.set_defaults(func=_cmd_risk_giant_step)
    r5 = rs.add_parser("hetero-srf", help="sRF with heterogeneous per-neuron spikes (asymptotics.spiked_rf.heterogeneous)")
    _add_giant_step_args(r5, srf_options=False)
    r5.add_argument("--law", required=True,
                    help="spike law: homogeneous:r[,c] | two-point:r1,r2[,p1] | gaussian:r1[,r0,s0,s1,c2] | "
                         "mixture:r1,r2,..;w1,w2,..")
    r5.add_argument("--gamma", type=_FLOAT, required=True, help="spike-teacher overlap γ")
    r5.add_argument("--backend", choices=("asymptotic", "finite"), default="asymptotic")
    r5.add_argument("--d", type=_int("--d", 1), default=None, help="input dimension (finite back-end)")
    r5.add_argument("--seed", type=_int("--seed", 0), default=0, help="seed of the finite back-end's W0")
    r5.set_defaults(func=_cmd_risk_hetero_srf)

    s = sub.add_parser("simulate", help="Monte Carlo of the real network")
    ss = s.add_subparsers(dest="model", required=True)
    s1 = ss.add_parser("one-step", help="one exact gradient step, then ridge (Ba et al. protocol)")
    _add_one_step_args(s1)
    s1.add_argument("--d", type=_int("--d", 1), default=256)
    s1.add_argument("--seeds", default="5", help="K (seeds 0..K-1) or an explicit list 3,7,11")
    s1.add_argument("--n-test", type=_int("--n-test", 1), default=20000)
    s1.add_argument("--psi1-readout", type=_FLOAT, default=None, help="separate ratio for the ridge batch")
    s1.add_argument("--features", choices=("network", "gaussian-equivalent"), default="network")
    s1.add_argument("--exact-risk", action="store_true",
                    help="exact Gaussian test risk (Mehler series) instead of --n-test test points")
    s1.add_argument("--progress", action="store_true")
    s1.set_defaults(func=_cmd_simulate_one_step)
    for name, func, hlp in (("giant-step", _cmd_simulate_giant_step, "one exact giant step, then ridge (Cui et al.)"),
                            ("srf", _cmd_simulate_srf, "the spiked random-features model itself")):
        sg = ss.add_parser(name, help=hlp)
        _add_giant_step_args(sg)
        sg.add_argument("--d", type=_int("--d", 1), default=256)
        sg.add_argument("--seeds", default="5", help="K (seeds 0..K-1) or an explicit list 3,7,11")
        sg.add_argument("--n-test", type=_int("--n-test", 1), default=10000)
        sg.add_argument("--progress", action="store_true")
        sg.set_defaults(func=func)

    sk = ss.add_parser("krr", help="kernel ridge regression on the sphere (exact kernel or lazy m-neuron model)")
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

    c = sub.add_parser("compare", help="theory vs simulation tables")
    cs = c.add_subparsers(dest="model", required=True)
    c1 = cs.add_parser("one-step", help="the docs/theory/one-step.md §4.3 configurations at several d")
    c1.add_argument("--d", default="256,512,1024")
    c1.add_argument("--seeds", type=_int("--seeds", 1), default=5)
    c1.add_argument("--n-test", type=_int("--n-test", 1), default=20000)
    c1.add_argument("--no-finite-d", action="store_true", help="skip the finite-d equivalent on W1")
    c1.add_argument("--checkpoint", default=None, help="JSON file to resume from")
    c1.add_argument("--out", default=None, help="directory for .md/.csv/.json")
    c1.add_argument("--progress", action="store_true")
    c1.add_argument("--json", action="store_true")
    c1.set_defaults(func=_cmd_compare_one_step)

    c2 = cs.add_parser("giant-step", help="sRF theory vs the network (docs/theory/spiked-rf.md §7 Checks A-D + new) or vs the sRF")
    c2.add_argument("--model", choices=("network", "srf"), default="network")
    c2.add_argument("--settings", default=None, help="';'-separated names of the suite (default: all)")
    c2.add_argument("--alphas", default="0.5,1.5,3")
    c2.add_argument("--d", default="256,512,1024")
    c2.add_argument("--seeds", default="4")
    c2.add_argument("--n-test", type=_int("--n-test", 1), default=10000)
    c2.add_argument("--allowance", type=_scalar("--allowance", minimum=0), default=0.01,
                    help="relative allowance in |gap| <= 3 SEM + x")
    c2.add_argument("--checkpoint", default=None, help="JSON file to resume from")
    c2.add_argument("--out", default=None, help="directory for .md/.csv/.json")
    c2.add_argument("--progress", action="store_true")
    c2.add_argument("--json", action="store_true")
    c2.set_defaults(func=_cmd_compare_giant_step)

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
    return p


def _error(message: str) -> int:
    print(_one_line(f"asym: error: {message}") or "asym: error", file=sys.stderr)
    return EXIT_ERROR


def main(argv: list[str] | None = None) -> int:
    """Run ``asym`` on ``argv`` (default ``sys.argv[1:]``) and return the exit status (module doc)."""
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:  # --help / --version print and exit 0
            return exc.code if isinstance(exc.code, int) else EXIT_ERROR
        with warnings.catch_warnings(record=True) as caught:
            # floating-point RuntimeWarnings are not shown: non-finite results are flagged instead
            warnings.simplefilter("always")
            warnings.filterwarnings("ignore", category=RuntimeWarning)
            outcome = args.func(args)
        outcome.warnings += [f"{w.category.__name__}: {w.message}" for w in caught
                             if not issubclass(w.category, RuntimeWarning)]
        return _finish(outcome, args.json)
    except (AsymptoticsError, CLIError) as exc:
        return _error(str(exc) or type(exc).__name__)
    except MemoryError:
        return _error("out of memory: reduce d, the ratios or the number of test points")
    except RecursionError:
        return _error("input too deeply nested (recursion limit reached)")
    except OverflowError as exc:
        return _error(f"a value is outside the floating-point range ({exc})")
    except BrokenPipeError:  # output piped into e.g. `head`: not an error of ours
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_OK
    except OSError as exc:  # a result file that cannot be written after all (disk full, ...)
        where = f" {exc.filename!r}" if exc.filename else ""
        return _error(f"cannot write{where}: {exc.strerror or exc}")
    except KeyboardInterrupt:
        print("asym: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
