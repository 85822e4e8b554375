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
import os
import sys
import warnings

from asymptotics.errors import AsymptoticsError

from . import figures, giant_step, hermite, kernels, one_step
from .common import (
    EXIT_ERROR,
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    CLIError,
    Outcome,
    _Parser,
    _error,
    _finish,
    check_checkpoint,
    check_output_dir,
    json_safe,
    parse_number_list,
    resolve_progress,
)

__all__ = ["main", "build_parser", "parse_number_list", "json_safe", "check_output_dir", "check_checkpoint",
           "CLIError", "Outcome", "EXIT_OK", "EXIT_ERROR", "EXIT_INCOMPLETE", "EXIT_INTERRUPTED"]



def _register_workflow(sub) -> None:
    """``asym sweep`` (declarative sweeps) and ``asym plot`` (figures from a sweep's table)."""
    from ..sweep.cli import add_sweep_parser
    from ..sweep.plot import add_plot_parser

    add_sweep_parser(sub)
    add_plot_parser(sub)


#: Registrations of top-level commands beyond the families' (each called with the subparsers).
_EXTENSIONS: tuple = (_register_workflow,)

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


def _version() -> str:
    from asymptotics import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    """The ``asym`` parser: each family module registers its own subcommands (table below)."""
    p = _Parser(prog="asym", description=__doc__.split("\n\n")[0], epilog=_EPILOG,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"asym {_version()}")
    sub = p.add_subparsers(dest="command", required=True)
    hermite.add_parsers(sub)
    risk = sub.add_parser("risk", help="asymptotic theory").add_subparsers(dest="model", required=True)
    simulate = sub.add_parser("simulate", help="Monte Carlo of the real network").add_subparsers(
        dest="model", required=True)
    compare = sub.add_parser("compare", help="theory vs simulation tables").add_subparsers(dest="model", required=True)
    for family in (one_step, giant_step, kernels):
        family.add_parsers(risk, simulate, compare)
    figures.add_parsers(sub)
    for register in _EXTENSIONS:
        register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run ``asym`` on ``argv`` (default ``sys.argv[1:]``) and return the exit status (module doc)."""
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:  # --help / --version print and exit 0
            return exc.code if isinstance(exc.code, int) else EXIT_ERROR
        if getattr(args, "command_main", None) is not None:  # asym sweep: prints and exits by itself
            return args.command_main(args)
        with warnings.catch_warnings(record=True) as caught:
            # floating-point RuntimeWarnings are not shown: non-finite results are flagged instead
            warnings.simplefilter("always")
            warnings.filterwarnings("ignore", category=RuntimeWarning)
            resolve_progress(args)
            outcome = args.func(args)
            if isinstance(outcome, int):  # asym plot: wrote its files and printed them
                return outcome
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
