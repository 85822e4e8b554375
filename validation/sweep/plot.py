"""``asym plot``: theory lines and simulation dots (mean ± SEM) from a sweep's tidy table.

The table is :func:`asymptotics.validation.sweep.load_table`'s: one row per (study, configuration, d)
with ``<y>_theory`` (the theory at that configuration), ``<y>_mean`` and ``<y>_sem`` (the Monte
Carlo over seeds at that d) for ``y`` = ``test_error`` or ``train_error``.  :func:`plot_table` draws,
against any column ``x``:

* a line per value of the ``hue`` column (one colour each) through the theory values;
* a dot with a 1-SEM error bar per (hue, d, x) through the simulation values, one marker per d.

Every other column must be constant among the rows drawn, or the picture would silently mix
configurations: :func:`plot_table` names the columns that vary so that they can be fixed with
``where={"col": value}`` or used as the hue.  :func:`write_plot` writes PNG + PDF, the plotted rows as
CSV, and a JSON file with the plot options and the sweep's spec (so the figure can be regenerated).

>>> import pandas as pd
>>> df = pd.DataFrame({"eta": [0.0, 1.0, 2.0], "d": [64, 64, 64], "test_error_theory": [0.5, 0.4, 0.3],
...                    "test_error_mean": [0.51, 0.41, 0.29], "test_error_sem": [0.01, 0.01, 0.01]})
>>> p = plot_table(df, "eta")
>>> [len(p.lines), len(p.dots)]
[1, 1]
>>> p.close()
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from asymptotics.errors import InvalidParameterError

__all__ = ["PlotResult", "add_plot_parser", "plot_table", "run_plot_command", "write_plot"]

#: Columns that describe a row's numbers rather than its configuration (never "varying").
_RESULT_SUFFIXES = ("_mean", "_sem", "_theory", "_finite_d")
_RESULT_COLUMNS = {"rel_gap", "z_score", "n_seeds", "n_failed", "n_missing", "theory_converged", "seeds", "wall_time",
                   "theory_nit", "theory_residual", "n_done"}
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")


@dataclass
class PlotResult:
    """A drawn plot: the matplotlib figure, the rows drawn, and what was drawn."""

    figure: object = field(repr=False)
    rows: object = field(repr=False)          # pandas DataFrame of the plotted rows
    x: str
    y: str
    hue: str | None
    lines: list = field(default_factory=list)  # (hue value, xs, ys)
    dots: list = field(default_factory=list)   # (hue value, d, xs, means, sems)

    def close(self) -> None:
        import matplotlib.pyplot as plt

        plt.close(self.figure)


def _text(series):
    """The values of a column as text, missing values included ('nan', 'None', '<NA>'; pandas' string
    dtype would keep them missing, and missing never compares equal)."""
    import pandas as pd

    return pd.Series([str(v) for v in series], index=series.index, dtype=object)


def _is_result_column(col: str) -> bool:
    return col in _RESULT_COLUMNS or col.endswith(_RESULT_SUFFIXES)


def _check_column(df, name: str, what: str) -> str:
    if not isinstance(name, str) or name not in df.columns:
        raise InvalidParameterError(f"{what} column {name!r} is not in the table; columns: {', '.join(map(str, df.columns))}")
    return name


def _select(df, where: dict | None):
    import pandas as pd

    for col, value in (where or {}).items():
        _check_column(df, col, "where")
        series = df[col]
        if pd.api.types.is_numeric_dtype(series) and _is_number(value):
            mask = (series.astype(float) - float(value)).abs() <= 1e-12 * max(1.0, abs(float(value)))
        else:
            mask = _text(series) == str(value)
        df = df[mask.fillna(False)]
    if len(df) == 0:
        raise InvalidParameterError(f"no row of the table matches {where}")
    return df


def _is_number(text) -> bool:
    try:
        return math.isfinite(float(text))
    except (TypeError, ValueError):
        return False


def _dodge(xs, all_xs, j: int, n: int, log: bool):
    """Shift the dots of the j-th of n d's sideways by ±1 % of the x span so that they do not overlap."""
    import numpy as np

    if n <= 1:
        return xs
    shift = (j - (n - 1) / 2) * 0.012
    finite = all_xs[np.isfinite(all_xs)]
    if log and len(finite) and (finite > 0).all():
        span = np.log10(finite.max() / finite.min()) or 1.0
        return xs * 10 ** (shift * span)
    span = (finite.max() - finite.min()) if len(finite) else 1.0
    return xs + shift * (span or 1.0)


def _varying(df, fixed: set, hue: str | None = None) -> list:
    """Configuration columns (not results, not ``fixed``) taking more than one value in ``df``.

    A column that is constant within each ``hue`` group varies *with* the hue (a zipped axis of
    the sweep, e.g. ψ2, λ and σ_ε zipped with ψ1): it labels the curve and is not a conflict.
    """
    out = []
    for col in df.columns:
        if col in fixed or _is_result_column(col):
            continue
        text = _text(df[col])
        if text.nunique(dropna=False) <= 1:
            continue
        if hue is not None and (text.groupby(_text(df[hue])).nunique(dropna=False) <= 1).all():
            continue
        out.append(col)
    return out


def plot_table(df, x: str, hue: str | None = None, *, y: str = "test_error", where: dict | None = None,
               logx: bool | None = None, logy: bool = False, title: str | None = None) -> PlotResult:
    """Draw theory lines and simulation dots (± SEM) of ``y`` against column ``x``, one colour per ``hue``.

    Parameters
    ----------
    df : pandas.DataFrame
        A sweep's tidy table (:func:`asymptotics.validation.sweep.load_table`).
    x : str
        Any column (numeric: a numeric axis; otherwise one tick per value, in order of appearance).
    hue : str, optional
        Any column; one colour (and one theory line) per value.
    y : str
        ``"test_error"`` or ``"train_error"`` (any ``Q`` with ``Q_mean`` / ``Q_theory`` columns).
    where : dict, optional
        {column: value}: keep only these rows (numbers compare to 1e-12 relative).
    logx : bool, optional
        Log x axis; default: numeric x, all > 0, spanning a factor ≥ 20.
    logy : bool

    Raises
    ------
    InvalidParameterError
        Unknown column, no matching row, no ``y`` column, or configuration columns other than
        x / hue / d that vary among the rows (the message names them).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise InvalidParameterError(f"expected a pandas DataFrame (load_table), got {type(df).__name__}")
    x = _check_column(df, x, "x")
    if hue is not None:
        hue = _check_column(df, hue, "hue")
        if hue == x:
            raise InvalidParameterError("hue and x must be different columns")
    mean_col, sem_col, th_col = f"{y}_mean", f"{y}_sem", f"{y}_theory"
    if not isinstance(y, str) or (mean_col not in df.columns and th_col not in df.columns):
        raise InvalidParameterError(f"the table has no {mean_col!r} or {th_col!r} column (y={y!r})")
    df = _select(df, where)
    has_d = "d" in df.columns
    vary = _varying(df, {x, hue, "d"} | set(where or {}), hue)
    if vary:
        examples = ", ".join(f"{c} ∈ {{{', '.join(sorted(map(str, df[c].dropna().unique()))[:4])}}}" for c in vary)
        raise InvalidParameterError(
            f"columns other than x={x!r}, hue={hue!r} and d vary among the rows: {examples}; "
            f"fix them with where (--where COL=VALUE) or choose one as the hue")

    numeric_x = pd.api.types.is_numeric_dtype(df[x])
    if numeric_x:
        xpos = df[x].astype(float)
        ticks = None
    else:
        cats = list(dict.fromkeys(_text(df[x])))
        xpos = _text(df[x]).map({c: i for i, c in enumerate(cats)}).astype(float)
        ticks = cats
    df = df.assign(_x=xpos.values)
    if logx is None:
        xs = df["_x"].dropna()
        logx = bool(numeric_x and len(xs) and (xs > 0).all() and xs.max() / xs.min() >= 20)

    # hue values compared as text, so that missing values (NaN, <NA>) form one group like any other
    hue_text, hues = None, [(None, None)]
    if hue is not None:
        hue_text, first = _text(df[hue]), {}
        for text, value in zip(hue_text, df[hue]):
            first.setdefault(text, value)
        hues = list(first.items())
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    d_values = sorted({int(v) for v in df["d"].dropna()}) if has_d else []
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    result = PlotResult(figure=fig, rows=None, x=x, y=y, hue=hue)
    for k, (h_text, h) in enumerate(hues):
        color = colors[k % len(colors)]
        sub = df if hue is None else df[hue_text == h_text]
        label_h = "" if hue is None else f"{hue}={h}"
        if th_col in sub.columns:
            th = sub[sub[th_col].notna()]
            # one theory line per hue, unless the theory itself depends on d (finite-d theories): then per d
            per_d = has_d and bool(len(th)) and bool(
                (th[th["d"].notna()].groupby("_x")[th_col].agg(lambda v: np.ptp(v.astype(float)))
                 > 1e-12 * th[th_col].abs().max()).any())
            groups = [(int(dv), g) for dv, g in th[th["d"].notna()].groupby("d")] if per_d else [(None, th)]
            for j, (dv, g) in enumerate(groups):
                g = g.drop_duplicates("_x").sort_values("_x")
                if not len(g):
                    continue
                ls = "-" if j == 0 else ("--", ":", "-.")[(j - 1) % 3]
                ax.plot(g["_x"], g[th_col].astype(float), ls, color=color, lw=1.6,
                        label=f"theory {label_h}{f' d={dv}' if dv is not None else ''}".strip())
                result.lines.append((h, g["_x"].to_numpy(), g[th_col].astype(float).to_numpy()))
        if mean_col in sub.columns:
            sim = sub[sub[mean_col].notna()]
            n_d = len(d_values) or 1
            for j, dv in enumerate(d_values or [None]):
                g = sim if dv is None else sim[sim["d"] == dv]
                if not len(g):
                    continue
                dup = g.duplicated("_x")
                if dup.any():
                    raise InvalidParameterError(f"several rows at {x}={g.loc[dup, x].iloc[0]} for {label_h or 'the plot'}"
                                                f"{f' d={dv}' if dv is not None else ''}; fix the other columns with where")
                g = g.sort_values("_x")
                sem = g[sem_col].astype(float).fillna(0.0) if sem_col in g.columns else np.zeros(len(g))
                xd = _dodge(g["_x"].to_numpy(float), df["_x"].to_numpy(float), j, n_d, logx)
                ax.errorbar(xd, g[mean_col].astype(float), yerr=sem, fmt=_MARKERS[j % len(_MARKERS)],
                            color=color, ms=5, capsize=3, lw=1,
                            label=" ".join(["simulation", label_h] + ([f"d={dv}"] if dv is not None else [])
                                           ).replace("  ", " ").strip())
                result.dots.append((h, dv, g["_x"].to_numpy(), g[mean_col].astype(float).to_numpy(),
                                    np.asarray(sem, float)))
    if not result.lines and not result.dots:
        plt.close(fig)
        raise InvalidParameterError(f"no theory value and no simulation value of {y!r} in the selected rows "
                                    f"(has the sweep been run into this store?)")
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    if ticks is not None:
        ax.set_xticks(range(len(ticks)))
        ax.set_xticklabels(ticks)
    ax.set_xlabel(x)
    ax.set_ylabel(y.replace("_", " "))
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    keep = [c for c in ([hue] if hue else []) + [x] + (["d"] if has_d else []) +
            [c for c in (th_col, mean_col, sem_col, "rel_gap", "z_score", "n_seeds", "n_failed") if c in df.columns]]
    result.rows = df.sort_values([c for c in ([hue] if hue else []) + (["d"] if has_d else []) + ["_x"]],
                                 na_position="first")[list(dict.fromkeys(keep))]
    return result


def _spec_text(source) -> tuple[str | None, str | None]:
    """(file name, text) of the sweep spec behind ``source`` (a spec file or a store directory), if found."""
    p = Path(source) if isinstance(source, (str, Path)) else None
    if p is None:
        return None, None
    if p.is_file():
        return p.name, p.read_text()
    if p.is_dir():
        for name in ("spec.toml", "spec.json", "sweep.toml", "sweep.json"):
            if (p / name).is_file():
                return name, (p / name).read_text()
    return None, None


def write_plot(result: PlotResult, out_dir="plots", stem: str = "sweep_plot", *, source=None,
               spec=None, options: dict | None = None) -> dict:
    """Write the plot as PNG + PDF, its rows as CSV, and ``<stem>.json`` (plot options + the sweep spec).

    ``source`` is the spec file or store directory the table came from (its spec text is copied into
    the JSON and next to the figure as ``<stem>.spec.toml`` / ``.json``); ``spec`` may give the spec
    object itself (anything with ``to_dict()``, or a dict).  Returns ``{ext: path}``.
    """
    from ..store import write_atomic, write_figure

    if not isinstance(stem, str) or not stem or "/" in stem or stem.startswith("."):
        raise InvalidParameterError(f"stem must be a plain file name, got {stem!r}")
    config = {"plot": dict(options or {}, x=result.x, y=result.y, hue=result.hue)}
    if source is not None:
        config["source"] = str(source)
    if spec is not None:
        config["spec"] = spec.to_dict() if hasattr(spec, "to_dict") else spec
    name, text = _spec_text(source)
    paths = write_figure(result.figure, out_dir, stem, result.rows.to_csv(index=False), config)
    if text is not None:
        suffix = Path(name).suffix or ".toml"
        paths["spec"] = str(write_atomic(Path(out_dir) / f"{stem}.spec{suffix}", text))
    return paths


def _parse_where(items) -> dict:
    out = {}
    for item in items or ():
        if not isinstance(item, str) or "=" not in item or item.startswith("="):
            raise InvalidParameterError(f"--where takes COLUMN=VALUE, got {item!r}")
        col, value = item.split("=", 1)
        out[col.strip()] = value.strip()
    return out


def add_plot_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``asym plot SWEEP --x COL [--hue COL] ...`` on the top-level subparsers."""
    p = subparsers.add_parser(
        "plot", help="theory lines + simulation dots (± SEM) from a sweep's table",
        description="Plot a sweep's tidy table: theory lines and simulation dots with 1-SEM error bars of "
                    "--y against any column --x, one colour per value of --hue, one marker per d.")
    p.add_argument("sweep", help="the sweep's spec file (TOML) or its result-store directory")
    p.add_argument("--x", required=True, help="column on the x axis (e.g. eta, psi1, alpha, lam)")
    p.add_argument("--hue", default=None, help="column giving one colour per value")
    p.add_argument("--y", default="test_error", help="test_error (default) or train_error")
    p.add_argument("--where", action="append", default=None, metavar="COL=VALUE",
                   help="keep rows with COL == VALUE (repeatable)")
    p.add_argument("--logx", action="store_true", default=None, help="log x axis (default: auto)")
    p.add_argument("--linx", dest="logx", action="store_false", help="linear x axis")
    p.add_argument("--logy", action="store_true")
    p.add_argument("--title", default=None)
    p.add_argument("--out", default="plots", help="output directory (default: plots)")
    p.add_argument("--stem", default=None, help="file stem (default: <sweep name>_<y>_vs_<x>)")
    p.set_defaults(func=run_plot_command)
    return p


def run_plot_command(args) -> int:
    """``asym plot``: load the table, draw, write; prints one ``wrote PATH`` line per file; returns 0.

    Bad input raises :class:`InvalidParameterError` (the CLI turns it into ``asym: error: ...``, exit 2).
    """
    from . import load_table

    where = _parse_where(args.where)
    source = Path(args.sweep)
    if not source.exists():
        raise InvalidParameterError(f"{args.sweep!r}: no such spec file or store directory")
    df = load_table(str(source))
    result = plot_table(df, args.x, args.hue, y=args.y, where=where, logx=args.logx, logy=args.logy,
                        title=args.title)
    stem = args.stem or f"{source.stem if source.is_file() else source.name}_{args.y}_vs_{args.x}"
    paths = write_plot(result, args.out, stem, source=source,
                       options={"where": where, "logx": args.logx, "logy": args.logy, "title": args.title})
    for path in paths.values():
        print(f"wrote {path}")
    return 0
