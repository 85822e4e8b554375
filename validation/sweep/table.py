"""Sweep results as tidy tables (pandas): theory next to simulation, mean ± SEM over seeds.

:func:`load_table` gives one row per (study, configuration, d, inner value) with the columns

* ``study``, ``family``, the setting fields of the family (activations by name), the options
  (simulation and theory options, defaults filled in), ``d`` (nullable integer; ``<NA>`` on the rows
  of theory-only studies of the d-independent families) and the inner axis (``lam`` / ``alpha``) as an
  ordinary column;
* ``n_seeds`` (seeds averaged), ``n_failed`` (seeds whose run failed: left out, with the reason in the
  store), ``n_missing`` (seeds not run yet);
* ``test_error_mean``, ``test_error_sem``, ``train_error_mean``, ``train_error_sem`` (SEM =
  std(ddof=1)/√K, 0.0 for K = 1, :func:`asymptotics.validation.summary.mean_sem`; seeds in increasing
  order, so the numbers do not depend on the order in which runs finished);
* ``test_error_theory``, ``train_error_theory``, ``theory_converged`` (NaN / <NA> when the theory
  was not run or failed);
* ``rel_gap`` = (mean − theory)/|theory| and ``z_score`` = (mean − theory)/SEM.

:func:`load_records` gives the per-seed rows instead.  :func:`export_table` writes CSV or Parquet
(Parquet needs ``pyarrow``), atomically.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from asymptotics.errors import InvalidParameterError

from ..store import write_atomic
from ..summary import mean_sem
from .families import get_family
from .spec import Spec, expand, load_spec
from .store import Store, default_store_path

__all__ = ["load_table", "load_records", "export_table", "TABLE_COLUMNS"]

#: The result columns of :func:`load_table`, after the parameter columns.
TABLE_COLUMNS = ("n_seeds", "n_failed", "n_missing", "test_error_mean", "test_error_sem", "train_error_mean",
                 "train_error_sem", "test_error_theory", "train_error_theory", "theory_converged", "rel_gap",
                 "z_score")


def _open(store_or_spec, store, on_corrupt) -> tuple:
    """(spec, Store) from a spec (path / dict / Spec) and optional store, or from a store directory."""
    if isinstance(store_or_spec, (Spec, dict)):
        spec = load_spec(store_or_spec)
        root = Path(store) if store is not None else default_store_path(spec)
        return spec, Store(root, on_corrupt=on_corrupt)
    p = Path(store_or_spec)
    if p.is_dir():
        if store is not None:
            raise InvalidParameterError("give a store directory or a spec with store=..., not both")
        st = Store(p, on_corrupt=on_corrupt)
        return st.load_spec(), st
    spec = load_spec(p)
    root = Path(store) if store is not None else default_store_path(spec)
    return spec, Store(root, on_corrupt=on_corrupt)


def _param_columns(fam, configuration_sim, configuration_theory) -> dict:
    """Setting fields (family order) then options, from a configuration (the inner axis is added per row)."""
    cfg = configuration_sim or configuration_theory
    out = {}
    for k in fam.setting_fields:
        if k in cfg["setting"]:
            v = cfg["setting"][k]
            out[k] = v if not isinstance(v, dict) else str(v)
    for c in (configuration_sim, configuration_theory):
        if c is not None:
            out.update(c["options"])
    return out


def _groups(spec: Spec):
    """{(study, index): {"theory": {d: run}, "simulation": {d: [runs by seed]}}} in expansion order."""
    groups = {}
    for r in expand(spec):
        g = groups.setdefault((r.study, r.index), {"theory": {}, "simulation": {}})
        if r.kind == "theory":
            g["theory"][r.d] = r
        else:
            g["simulation"].setdefault(r.d, []).append(r)
    return groups


def _value(row: dict, name: str) -> float:
    v = row.get(name)
    return math.nan if v is None else float(v)


def load_records(store_or_spec, store=None, on_corrupt: str = "raise"):
    """Per-seed results: one row per (study, configuration, d, seed, inner value) with ``test_error``,
    ``train_error``, ``status`` and the family diagnostics (missing runs are left out)."""
    import pandas as pd

    spec, st = _open(store_or_spec, store, on_corrupt)
    rows = []
    for (study, index), g in _groups(spec).items():
        for d, runs in g["simulation"].items():
            fam = get_family(runs[0].family)
            base = _param_columns(fam, runs[0].configuration, None)
            for r in sorted(runs, key=lambda r: r.seed):
                rec = st.get(r.key)
                if rec is None:
                    continue
                inner = (r.configuration.get("inner") or {None: [None]})
                (iname, ivals), = inner.items()
                res = rec["results"]["rows"] if rec["status"] == "ok" else [{} for _ in ivals]
                for v, res_row in zip(ivals, res):
                    row = {"study": study, "family": fam.name, **base}
                    if iname is not None:
                        row[iname] = v
                    row.update(d=d, seed=r.seed, status=rec["status"], **res_row)
                    rows.append(row)
    df = pd.DataFrame(rows)
    if "d" in df:
        df["d"] = df["d"].astype("Int64")
    return df


def load_table(store_or_spec, store=None, on_corrupt: str = "raise"):
    """The tidy table of a sweep (module docstring): from a spec (path, dict or Spec; the store is
    ``store`` or the spec's default) or from a store directory (using the spec saved in it).

    Returns a :class:`pandas.DataFrame`; rows in spec order (study, configuration, d, inner value).
    A corrupt record raises :class:`~asymptotics.validation.sweep.store.StoreCorruptError` (or, with
    ``on_corrupt="recompute"``, is moved aside and counted as missing).
    """
    import pandas as pd

    spec, st = _open(store_or_spec, store, on_corrupt)
    cache = {}

    def rec_of(run):
        if run.key not in cache:
            cache[run.key] = st.get(run.key)
        return cache[run.key]

    studies = {s.name: s for s in spec.studies}
    out = []
    for (study, index), g in _groups(spec).items():
        s = studies[study]
        fam = get_family(s.family)
        sim_any = next(iter(g["simulation"].values()), [None])[0]
        th_any = next(iter(g["theory"].values()), None)
        cfg = (sim_any or th_any).configuration
        inner = cfg.get("inner") or {None: [None]}
        (iname, ivals), = inner.items()
        base = _param_columns(fam, sim_any.configuration if sim_any else None,
                              th_any.configuration if th_any else None)
        ds = list(s.d) if (s.simulation or fam.theory_depends_on_d) else [None]
        for d in ds:
            th_run = g["theory"].get(d if fam.theory_depends_on_d else None)
            th_rec = rec_of(th_run) if th_run is not None else None
            sims = sorted(g["simulation"].get(d, []), key=lambda r: r.seed)
            sim_recs = [rec_of(r) for r in sims]
            for j, v in enumerate(ivals):
                row = {"study": study, "family": fam.name, **base}
                if iname is not None:
                    row[iname] = v
                row["d"] = d
                te, tr, n_failed, n_missing = [], [], 0, 0
                for rec in sim_recs:
                    if rec is None:
                        n_missing += 1
                        continue
                    if rec["status"] != "ok":
                        n_failed += 1
                        continue
                    rr = rec["results"]["rows"][j]
                    a, b = _value(rr, "test_error"), _value(rr, "train_error")
                    if not (math.isfinite(a) and math.isfinite(b)):
                        n_failed += 1
                        continue
                    te.append(a)
                    tr.append(b)
                tm, ts = mean_sem(te) if te else (math.nan, math.nan)
                rm, rs = mean_sem(tr) if tr else (math.nan, math.nan)
                th_te = th_tr = math.nan
                th_conv = None
                if th_rec is not None and th_rec["status"] == "ok":
                    trow = th_rec["results"]["rows"][j]
                    th_te, th_tr = _value(trow, "test_error"), _value(trow, "train_error")
                    th_conv = bool(trow.get("converged", True))
                elif th_rec is not None:
                    th_conv = False
                gap = (tm - th_te) / abs(th_te) if (math.isfinite(th_te) and th_te != 0) else math.nan
                z = (tm - th_te) / ts if (math.isfinite(ts) and ts > 0 and math.isfinite(th_te)) else math.nan
                row.update(n_seeds=len(te), n_failed=n_failed, n_missing=n_missing, test_error_mean=tm,
                           test_error_sem=ts, train_error_mean=rm, train_error_sem=rs, test_error_theory=th_te,
                           train_error_theory=th_tr, theory_converged=th_conv, rel_gap=gap, z_score=z)
                out.append(row)
    df = pd.DataFrame(out)
    if len(df):
        df["d"] = df["d"].astype("Int64")
        df["theory_converged"] = df["theory_converged"].astype("boolean")
        for c in ("n_seeds", "n_failed", "n_missing"):
            df[c] = df[c].astype("int64")
        params = [c for c in df.columns if c not in TABLE_COLUMNS]
        df = df[params + list(TABLE_COLUMNS)]
    return df


def export_table(df, path) -> Path:
    """Write a table as CSV (``.csv``) or Parquet (``.parquet``, needs ``pyarrow``), atomically."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".csv":
        return write_atomic(p, df.to_csv(index=False))
    if suffix in (".parquet", ".pq"):
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise InvalidParameterError("Parquet export needs pyarrow (pip install pyarrow); write a .csv "
                                        "instead") from None
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        return write_atomic(p, buf.getvalue())
    raise InvalidParameterError(f"table file must end in .csv or .parquet, got {p.name!r}")
