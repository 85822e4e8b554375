"""``asym sweep SPEC.toml``: run (or dry-run) a declarative sweep into its result store.

    asym sweep SPEC.toml [--store DIR] [--dry-run] [--workers N | --serial]
                         [--scheduler tcp://HOST:PORT | --dask-local N] [--progress | --no-progress]
                         [--table FILE.csv|FILE.parquet] [--retry-failed] [--recompute-corrupt] [--json]

Re-running the same command skips every run already in the store; a sweep killed at any moment
resumes.  At the end the tidy table is written to ``<store>/table.csv`` (and to ``--table``).

Exit status (the rule of every ``asym`` command): 0 every run finished and every theory point
converged; 2 invalid spec or options (one line ``asym: error: ...`` on stderr, nothing on stdout);
3 complete, but some runs failed (their message is in the store; they are not retried unless
``--retry-failed``) or some theory points did not converge (one line ``asym: warning: ...``);
130 interrupted (the runs finished so far are kept).

:func:`add_sweep_parser` adds the subcommand to an ``asym`` parser; :func:`run_sweep_command` runs it
and returns the exit status, handling its own errors.  ``python -m asymptotics.validation.sweep`` is
the same command on its own.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from asymptotics.errors import AsymptoticsError

__all__ = ["add_sweep_parser", "run_sweep_command", "main"]

from ..cli.common import (  # one exit rule, one error line, one strict-JSON writer for every asym command
    EXIT_ERROR,
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    CLIError,
    _error,
    _int,
    _Parser,
    _one_line,
    json_safe,
)
_SCHEDULER = re.compile(r"(?:(?:tcp|tls|ucx|ws|wss)://)?[A-Za-z0-9_.\-\[\]:]+:\d{1,5}")


class SweepCLIError(CLIError):
    """A usage problem of ``asym sweep`` (reported as ``asym: error: ...``, exit status 2)."""




def add_sweep_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``sweep`` to the subparsers of an ``asym`` parser; the parsed namespace carries
    ``command_main = run_sweep_command`` (returns the exit status)."""
    p = subparsers.add_parser(
        "sweep", help="run a declarative sweep (TOML spec) into a resumable result store",
        description="Run the theory and simulation runs of a sweep spec (TOML) into a result store; "
                    "re-running resumes. See docs/howto/sweep.md.")
    p.add_argument("spec", metavar="SPEC.toml", help="the sweep specification")
    p.add_argument("--store", default=None, metavar="DIR", help="result store directory (default asym-sweeps/<spec name>)")
    p.add_argument("--dry-run", action="store_true", help="print the number of runs, estimated time and peak memory per run; run nothing")
    p.add_argument("--workers", type=_int("--workers", 1), default=None, metavar="N",
                   help="local worker processes (default: one per core)")
    p.add_argument("--serial", action="store_true", help="run in this process, one run after another")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT", help="run on a running Dask cluster")
    g.add_argument("--dask-local", type=_int("--dask-local", 1), default=None, metavar="N",
                   help="start a local Dask cluster of N worker processes for this sweep")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: on a terminal only)")
    p.add_argument("--table", default=None, metavar="FILE", help="also write the table to FILE (.csv or .parquet)")
    p.add_argument("--retry-failed", action="store_true", help="recompute runs recorded as failed")
    p.add_argument("--recompute-corrupt", action="store_true",
                   help="move corrupt records aside (.corrupt) and recompute them instead of stopping")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(command_main=run_sweep_command)
    return p


def _check_args(args) -> None:
    if args.serial and (args.workers or args.scheduler or args.dask_local):
        raise SweepCLIError("--serial runs in this process: do not combine it with --workers, --scheduler or --dask-local")
    if args.workers and (args.scheduler or args.dask_local):
        raise SweepCLIError("--workers sets local processes; a Dask cluster has its own workers (use --dask-local N)")
    if args.scheduler is not None and not _SCHEDULER.fullmatch(args.scheduler.strip()):
        raise SweepCLIError(f"--scheduler must look like tcp://HOST:PORT, got {args.scheduler!r}")
    if args.table is not None:
        t = Path(args.table)
        if t.suffix.lower() not in (".csv", ".parquet", ".pq"):
            raise SweepCLIError(f"--table must end in .csv or .parquet, got {args.table!r}")
        if t.is_dir():
            raise SweepCLIError(f"--table {args.table} is a directory")
        parent = t.absolute().parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir() or not os.access(parent, os.W_OK):
            raise SweepCLIError(f"--table {args.table}: cannot write in {parent}")
        if t.suffix.lower() != ".csv":
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise SweepCLIError("--table FILE.parquet needs pyarrow (pip install pyarrow); use .csv") from None


def _sweep(args) -> int:
    from .run import dry_run, run_sweep
    from .spec import load_spec
    from .table import export_table, load_table

    _check_args(args)
    spec = load_spec(args.spec)
    if args.dry_run:
        dr = dry_run(spec, store=args.store, workers=args.dask_local or args.workers)
        print(json.dumps(json_safe(dr.to_dict()), indent=2) if args.json else dr.text(), flush=True)
        return EXIT_OK
    executor = "serial" if args.serial else ("dask" if (args.scheduler or args.dask_local) else "processes")
    report = run_sweep(spec, store=args.store, executor=executor, workers=args.workers, scheduler=args.scheduler,
                       dask_local=args.dask_local, progress=args.progress,
                       on_corrupt="recompute" if args.recompute_corrupt else "raise", retry_failed=args.retry_failed)
    df = load_table(spec, store=report.store)
    table_path = export_table(df, Path(report.store) / "table.csv")
    paths = [str(table_path)]
    if args.table:
        paths.append(str(export_table(df, args.table)))
    not_conv = int((df["theory_converged"] == False).sum()) if len(df) else 0  # noqa: E712
    with_theory = int(df["theory_converged"].notna().sum()) if len(df) else 0
    text = (f"sweep {spec.name}: {report.total} runs: {report.skipped} already done, {report.computed} computed, "
            f"{report.failed} failed ({report.seconds:.1f} s, {report.executor}, {report.workers} worker(s))\n"
            f"store: {report.store}\ntable: {', '.join(paths)} ({len(df)} rows)")
    if args.json:
        print(json.dumps(json_safe({**report.to_dict(), "tables": paths, "rows": len(df),
                                     "theory_not_converged": not_conv}), indent=2), flush=True)
    else:
        print(text, flush=True)
    status = EXIT_OK
    if report.failed:
        first = next(iter(report.failures.values()))
        print(_one_line(f"asym: warning: {report.failed} of {report.total} runs failed (left out of the table's "
                        f"means; --retry-failed recomputes them); first: {first}"), file=sys.stderr)
        status = EXIT_INCOMPLETE
    if not_conv:
        print(_one_line(f"asym: warning: {not_conv} of {with_theory} table rows have a theory point that did not "
                        "converge (theory_converged = false)"), file=sys.stderr)
        status = EXIT_INCOMPLETE
    return status


def run_sweep_command(args) -> int:
    """Run ``asym sweep`` for parsed ``args`` (from :func:`add_sweep_parser`); returns the exit status
    (module docstring) and never raises for bad input or interruption."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=RuntimeWarning)
            return _sweep(args)
    except (AsymptoticsError, SweepCLIError) as exc:
        return _error(str(exc) or type(exc).__name__)
    except MemoryError:
        return _error("out of memory: reduce d or the number of workers")
    except KeyboardInterrupt:
        print("asym: interrupted (finished runs are kept in the store; re-run to resume)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:
        where = f" {exc.filename!r}" if exc.filename else ""
        return _error(f"cannot write{where}: {exc.strerror or exc}")




def main(argv=None) -> int:
    """``python -m asymptotics.validation.sweep SPEC.toml [options]``: the ``asym sweep`` command alone."""
    parser = _Parser(prog="asym", description="declarative sweeps")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add_sweep_parser(sub)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] != "sweep":
        argv = ["sweep", *argv]
    try:
        args = parser.parse_args(argv)
    except CLIError as exc:
        return _error(str(exc))
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    return run_sweep_command(args)
