"""Declarative sweeps: a TOML spec of studies, a result store that loses nothing, local or Dask execution, tidy tables.

>>> from asymptotics.validation.sweep import load_spec, run_sweep, load_table   # doctest: +SKIP
>>> spec = load_spec("examples/sweeps/one_step_eta.toml")                        # doctest: +SKIP
>>> run_sweep(spec)                      # local processes; re-running skips what is done  # doctest: +SKIP
>>> load_table(spec)                     # pandas DataFrame: theory next to mean ± SEM       # doctest: +SKIP

Modules: :mod:`~asymptotics.validation.sweep.spec` (the spec and its expansion into runs),
:mod:`~asymptotics.validation.sweep.families` (per-family adapters to the theory and per-seed
simulation functions), :mod:`~asymptotics.validation.sweep.store` (checksummed records, one per run),
:mod:`~asymptotics.validation.sweep.run` (executors, dry run), :mod:`~asymptotics.validation.sweep.table`
(tables, CSV / Parquet), :mod:`~asymptotics.validation.sweep.cli` (``asym sweep``).
"""

from .families import FAMILIES, Family, get_family
from .spec import Run, Spec, SpecError, Study, expand, load_spec, parse_spec, unique_runs
from .store import Store, StoreCorruptError, StoreError, default_store_path
from .run import DryRun, SweepReport, dry_run, execute_run, run_sweep
from .table import export_table, load_records, load_table

__all__ = [
    "FAMILIES", "Family", "get_family",
    "Run", "Spec", "SpecError", "Study", "expand", "load_spec", "parse_spec", "unique_runs",
    "Store", "StoreCorruptError", "StoreError", "default_store_path",
    "DryRun", "SweepReport", "dry_run", "execute_run", "run_sweep",
    "export_table", "load_records", "load_table",
]
