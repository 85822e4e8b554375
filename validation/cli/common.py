"""Shared machinery of the ``asym`` command line: number-list parsing, output checks, JSON, the exit rule."""

from __future__ import annotations
import argparse
import dataclasses
import math
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from ..store import dumps, write_atomic, write_json


EXIT_OK, EXIT_ERROR, EXIT_INCOMPLETE, EXIT_INTERRUPTED = 0, 2, 3, 130


class CLIError(Exception):
    """A usage problem found by the command line itself (reported like any other input error)."""


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
    asymptotics.validation.cli.common.CLIError: --eta: 'nan' is not a finite number
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


def json_safe(obj):
    """A strict-JSON copy of ``obj``: numpy → Python, ``to_dict`` objects → dicts, and every
    non-finite float → ``None``, the dict holding it getting ``"non_finite": [keys]``.

    >>> json_safe({"test_error": float("nan"), "d": 8})
    {'test_error': None, 'd': 8, 'non_finite': ['test_error']}
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


_UNDEFINED_CELL = re.compile(r"\|\s*[+-]?(?:inf|nan)\s*(?=\|)", re.IGNORECASE)


def _markdown(table) -> str:
    """A comparison table's Markdown with undefined cells (the z-score of a single seed, whose SEM
    is 0; JSON has null there) written ``n/a`` instead of ``inf`` / ``nan``."""
    return _UNDEFINED_CELL.sub("| n/a ", table.to_markdown())


def _default(value, fallback):
    """An option's value, or ``fallback`` when it was not given (0 is a value, not "unset")."""
    return fallback if value is None else value


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: a usage error raises :class:`CLIError` (exit status 2)."""

    def error(self, message: str):
        raise CLIError(f"{self.prog.removeprefix('asym').strip() or 'usage'}: {message}"
                       if self.prog != "asym" else message)


_FLOAT = _scalar("value")


def _int(option: str, minimum: int):
    return _scalar(option, integer=True, minimum=minimum)


def _error(message: str) -> int:
    print(_one_line(f"asym: error: {message}") or "asym: error", file=sys.stderr)
    return EXIT_ERROR


def library_default(cls, name: str, fallback: "str | None" = None) -> "str | None":
    """The default of the setting field ``cls.name`` as CLI text, or ``fallback`` if it has none.

    The CLI reads its defaults from the settings (:mod:`asymptotics.settings`), so that a command
    and the library compute the same thing when an option is left out.

    >>> from asymptotics.settings import GiantStep
    >>> library_default(GiantStep, "width_ratio")
    '1.0'
    """
    for f in dataclasses.fields(cls):
        if f.name == name:
            return fallback if f.default is dataclasses.MISSING else str(f.default)
    raise KeyError(f"{cls.__name__} has no field {name!r}")


def add_setting_options(p: argparse.ArgumentParser, cls, options: dict) -> None:
    """``--field`` options of a setting class: ``{field: (help, fallback)}``; each takes a comma list.

    The default is the library's (:func:`library_default`); ``fallback`` is used only for a field
    the library requires (the help says so).  One of the numeric options may hold a list (a curve).
    """
    for name, (text, fallback) in options.items():
        default = library_default(cls, name, fallback)
        origin = "" if library_default(cls, name) is not None else "; the library requires it"
        p.add_argument("--" + name.replace("_", "-"), dest=name, default=default,
                       help=f"{text} (default {default}{origin})")


def write_table(out_dir: "str | None", stem: str, table, csv_text: "str | None" = None) -> None:
    """Write a comparison table as ``OUT/STEM.{md,csv,json}`` (atomically); nothing when ``out_dir`` is None."""
    if not out_dir:
        return
    out = Path(out_dir)
    write_atomic(out / f"{stem}.md", _markdown(table) + "\n")
    write_atomic(out / f"{stem}.csv", table.to_csv() if csv_text is None else csv_text)
    _write_json(out / f"{stem}.json", table.to_dict())


def add_progress_option(p: argparse.ArgumentParser) -> None:
    """``--progress`` / ``--no-progress``; the default is on exactly when stderr is a terminal."""
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="per-seed progress on stderr (default: on when stderr is a terminal)")


def resolve_progress(args) -> None:
    """Replace an unset ``--progress`` by "stderr is a terminal" (called once, before the command runs)."""
    if getattr(args, "progress", False) is None:
        try:
            args.progress = sys.stderr.isatty()
        except (AttributeError, ValueError):  # closed or replaced stderr
            args.progress = False


def dimensions(args, swept: "str | None") -> list:
    """``--d`` of a simulation: one dimension or a comma list (one result per d).

    Like every numeric option, only one may hold a list: ``swept`` names the setting parameter that
    already does (None when none does).
    """
    ds = parse_number_list(str(args.d), "--d", integer=True, minimum=1)
    if len(ds) > 1 and swept is not None:
        raise CLIError(f"only one parameter may be a list, got lists in --d and {_opt(swept)}")
    return ds
