"""Running a sweep: serially, on local processes, or on a Dask distributed cluster; dry runs.

:func:`run_sweep` expands a spec (:mod:`asymptotics.validation.sweep.spec`), skips the runs whose record
is already in the store (:mod:`asymptotics.validation.sweep.store`), and hands the others to an executor.
Every executor calls the same :func:`execute_run`, which computes one run and writes its record itself
(so local and Dask workers all write to the same store, and a run is only "done" once its record is on
disk).

Reproducibility.  A run's numbers depend only on its configuration, d and seed (see
:mod:`asymptotics.validation.sweep.families`), and on the number of BLAS threads it was computed with:
OpenBLAS splits some reductions differently with 1 and 2 threads, which changes the last bits
(measured: the one-step test error at d = 200 differs in its last 3 hex digits).  Every run is therefore
computed with exactly ``blas_threads`` BLAS threads (default 1) whatever the executor — set in the
worker processes through ``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS`` before
numpy is imported, and in an already running process through threadpoolctl when it is installed,
else through OpenBLAS' own ``*_set_num_threads`` entry points (found among the loaded libraries).  So
the serial, process and Dask executors give bit-identical records.  Local processes default to one
per core with ``blas_threads = 1`` (processes × threads ≤ cores).

Interruption.  A killed sweep loses at most the runs in flight; re-running it skips every run that has a
record.  Ctrl-C in :func:`run_sweep` cancels the pending runs and raises ``KeyboardInterrupt``.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asymptotics.errors import AsymptoticsError, InvalidParameterError
from asymptotics.limits import check_memory, format_bytes
from asymptotics.settings import check_int

from .families import get_family
from .spec import Spec, expand, load_spec, unique_runs
from .store import Store, default_store_path

__all__ = ["run_sweep", "execute_run", "dry_run", "SweepReport", "DryRun", "EXECUTORS", "blas_threads",
           "default_workers", "SweepWorkerError"]

EXECUTORS = ("processes", "dask", "serial")


class SweepWorkerError(AsymptoticsError, RuntimeError):
    """A worker process of the sweep died; the finished runs are in the store."""
_BLAS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
             "NUMEXPR_NUM_THREADS")


# --------------------------------------------------------------------------------------------
# BLAS threads


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def default_workers(blas: int = 1) -> int:
    """Local worker processes by default: cores // BLAS threads (at least 1)."""
    return max(1, _cores() // max(1, blas))


_HANDLES: "list | None" = None


def _openblas_handles() -> list:
    """(get, set) ctypes functions of every loaded OpenBLAS (numpy's and scipy's may differ), found
    once per process after loading both numpy and scipy.linalg (the BLAS users of the simulations)."""
    global _HANDLES
    if _HANDLES is None:
        import numpy  # noqa: F401
        import scipy.linalg  # noqa: F401

        _HANDLES = _find_openblas()
    return _HANDLES


def _find_openblas() -> list:
    try:
        with open("/proc/self/maps") as fh:
            paths = sorted({line.split()[-1] for line in fh if "openblas" in line.lower() and "/" in line})
    except OSError:
        return []
    out = []
    for p in paths:
        try:
            lib = ctypes.CDLL(p)
        except OSError:
            continue
        for suffix in ("64_", ""):
            for prefix in ("scipy_openblas", "openblas"):
                get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                set_ = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                if get is not None and set_ is not None:
                    out.append((get, set_))
                    break
            else:
                continue
            break
    return out


@contextlib.contextmanager
def blas_threads(n: int):
    """Run the body with ``n`` BLAS threads in this process (restored afterwards)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    if threadpool_limits is not None:
        with threadpool_limits(limits=n, user_api="blas"):
            yield
        return
    handles = _openblas_handles()
    old = [get() for get, _ in handles]
    for _, set_ in handles:
        set_(int(n))
    try:
        yield
    finally:
        for (_, set_), k in zip(handles, old):
            set_(int(k))


@contextlib.contextmanager
def _blas_environment(n: int):
    """Set the BLAS thread variables for processes started inside the block (restored afterwards)."""
    saved = {k: os.environ.get(k) for k in _BLAS_ENV}
    for k in _BLAS_ENV:
        os.environ[k] = str(n)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# --------------------------------------------------------------------------------------------
# one run


def execute_run(payload: dict, store_root: str, blas: int = 1, on_corrupt: str = "raise") -> dict:
    """Compute one run (a :meth:`Run.payload`) and write its record into the store at ``store_root``.

    Returns ``{"key", "status", "wall_time", "error", "skipped"}``.  A library refusal
    (:class:`~asymptotics.errors.AsymptoticsError`: non-finite result, memory limit, ...) is recorded as
    a failed run with its message; any other exception is a bug and propagates.  A run whose record
    appeared meanwhile (another worker) is not recomputed.
    """
    store = Store(store_root, on_corrupt=on_corrupt)
    from .spec import run_key

    key = run_key(payload)
    if store.get(key) is not None:
        return {"key": key, "status": "ok", "wall_time": 0.0, "error": None, "skipped": True}
    fam = get_family(payload["family"])
    t0 = time.perf_counter()
    status, error, results = "ok", None, None
    with blas_threads(blas):
        try:
            if payload["kind"] == "theory":
                rows = fam.theory(payload["configuration"], payload["d"])
            else:
                rows = fam.simulate(payload["configuration"], payload["d"], payload["seed"])
            results = {"rows": rows}
        except AsymptoticsError as exc:
            status, error = "failed", f"{type(exc).__name__}: {exc}"
    wall = time.perf_counter() - t0
    store.put(payload, results, wall, status=status, error=error)
    return {"key": key, "status": status, "wall_time": wall, "error": error, "skipped": False}


# --------------------------------------------------------------------------------------------
# reports


@dataclass
class SweepReport:
    """What a :func:`run_sweep` call did.

    ``total`` runs in the spec (distinct keys), ``skipped`` already in the store, ``computed`` now,
    ``failed`` the failed records among all (old and new; they are kept and not retried unless
    ``retry_failed``), ``failures`` their messages {key: message}, ``store`` the directory.
    """

    total: int
    skipped: int
    computed: int
    failed: int
    store: Path
    seconds: float
    executor: str
    workers: int
    failures: dict = field(default_factory=dict, repr=False)

    @property
    def complete(self) -> bool:
        return self.skipped + self.computed == self.total

    def to_dict(self) -> dict:
        return {"total": self.total, "skipped": self.skipped, "computed": self.computed, "failed": self.failed,
                "store": str(self.store), "seconds": self.seconds, "executor": self.executor,
                "workers": self.workers, "failures": dict(self.failures)}


def _progress_bar(progress, total: int, initial: int):
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="run", desc="sweep", dynamic_ncols=True, file=sys.stderr,
                smoothing=0.05)


def _resolve(spec, store) -> tuple:
    spec = load_spec(spec)
    root = Path(store) if store is not None else default_store_path(spec)
    return spec, root


def _check_resources(spec: Spec, runs) -> None:
    """Peak memory of every distinct (configuration, d) against the limit, before any work."""
    seen = set()
    for r in runs:
        if r.kind != "simulation":
            continue
        k = (r.family, repr(r.configuration), r.d)
        if k in seen:
            continue
        seen.add(k)
        fam = get_family(r.family)
        try:
            nbytes = fam.memory(r.configuration, r.d)
        except AsymptoticsError as exc:
            raise InvalidParameterError(f"study {r.study!r} at d={r.d}: {exc}") from None
        check_memory(f"one run of study {r.study!r} at d={r.d}", nbytes)


def run_sweep(spec, store=None, executor: str = "processes", workers: "int | None" = None,
              scheduler: "str | None" = None, dask_local: "int | None" = None, progress=None,
              blas: int = 1, on_corrupt: str = "raise", retry_failed: bool = False) -> SweepReport:
    """Run every run of ``spec`` that is not yet in the store.

    Parameters
    ----------
    spec : path, dict or Spec
        The sweep (:func:`asymptotics.validation.sweep.spec.load_spec`).
    store : path, optional
        The store directory; default ``asym-sweeps/<spec name>``.
    executor : {"processes", "dask", "serial"}
        Local worker processes (default), a Dask cluster, or this process.  Passing ``scheduler`` or
        ``dask_local`` selects ``"dask"``.  Local worker processes are started fresh ("spawn"), so in a
        script call ``run_sweep`` under ``if __name__ == "__main__":`` (notebooks need nothing).
    workers : int, optional
        Local processes (default cores // ``blas``); with ``dask_local``, ignored.
    scheduler : str, optional
        Address of a running Dask scheduler, e.g. ``"tcp://10.0.0.1:8786"``; its workers must see the
        store directory (shared file system).
    dask_local : int, optional
        Start a local Dask cluster of this many worker processes (one thread each) for the sweep.
    progress : bool, optional
        tqdm bar on stderr (runs done / total, time left, failures); default: only on a terminal.
    blas : int
        BLAS threads per run (default 1; the same in every executor, see the module docstring).
    on_corrupt : {"raise", "recompute"}
        A corrupt record stops the sweep (:class:`~asymptotics.validation.sweep.store.StoreCorruptError`)
        or is moved aside and recomputed.
    retry_failed : bool
        Recompute runs whose record says they failed.

    Returns
    -------
    SweepReport
    """
    t_start = time.perf_counter()
    spec, root = _resolve(spec, store)
    if scheduler is not None or dask_local is not None:
        if executor not in ("processes", "dask"):
            raise InvalidParameterError("scheduler / dask_local select the dask executor")
        executor = "dask"
    if executor not in EXECUTORS:
        raise InvalidParameterError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if scheduler is not None and dask_local is not None:
        raise InvalidParameterError("give either scheduler (a running cluster) or dask_local (start one), not both")
    blas = check_int("blas", blas, 1, "BLAS threads per run")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise InvalidParameterError(f"workers must be an integer >= 1, got {workers!r}")
    if dask_local is not None and (isinstance(dask_local, bool) or not isinstance(dask_local, int) or dask_local < 1):
        raise InvalidParameterError(f"dask_local must be an integer >= 1, got {dask_local!r}")
    runs = unique_runs(expand(spec))
    _check_resources(spec, runs)
    st = Store(root, on_corrupt=on_corrupt).ensure()
    st.save_spec(spec)
    st.clean_temporary()

    todo, skipped, failures = [], 0, {}
    for r in runs:
        rec = st.get(r.key)
        if rec is None or (retry_failed and rec["status"] == "failed"):
            todo.append(r)
        else:
            skipped += 1
            if rec["status"] == "failed":
                failures[r.key] = rec["error"]
    n_workers = 1 if executor == "serial" else (dask_local or workers or default_workers(blas))
    bar = _progress_bar(progress, len(runs), skipped)
    if bar is not None and failures:
        bar.set_postfix(failed=len(failures))
    computed = 0

    def done(result: dict) -> None:
        nonlocal computed
        computed += 1
        if result["status"] == "failed":
            failures[result["key"]] = result["error"]
        else:
            failures.pop(result["key"], None)
        if bar is not None:
            bar.update(1)
            if failures:
                bar.set_postfix(failed=len(failures))

    payloads = [r.payload() for r in todo]
    try:
        if not payloads:
            pass
        elif executor == "serial" or (executor == "processes" and min(n_workers, len(payloads)) == 1):
            # one worker: this process (same BLAS threads, so the same numbers), no start-up cost
            for p in payloads:
                done(execute_run(p, str(root), blas, on_corrupt))
        elif executor == "processes":
            _run_processes(payloads, str(root), blas, on_corrupt, n_workers, done)
        else:
            n_workers = _run_dask(payloads, str(root), blas, on_corrupt, scheduler, dask_local, done) or n_workers
    finally:
        if bar is not None:
            bar.close()
    return SweepReport(total=len(runs), skipped=skipped, computed=computed, failed=len(failures), store=root,
                       seconds=time.perf_counter() - t_start, executor=executor, workers=n_workers,
                       failures=failures)


def _ignore_sigint() -> None:
    """Worker processes leave Ctrl-C to the parent, which cancels the pending runs (the running ones
    finish and are recorded); without this every worker would print its own traceback."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_processes(payloads, root, blas, on_corrupt, n_workers, done) -> None:
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: the BLAS variables act before numpy loads
    n_workers = min(n_workers, len(payloads))
    with _blas_environment(blas):
        pool = ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx, initializer=_ignore_sigint)
        try:
            # keep a bounded number of runs in flight, so that Ctrl-C leaves little to cancel
            it = iter(payloads)
            pending = set()
            for p in it:
                pending.add(pool.submit(execute_run, p, root, blas, on_corrupt))
                if len(pending) >= 2 * n_workers:
                    break
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in finished:
                    try:
                        result = f.result()
                    except BrokenProcessPool:
                        raise SweepWorkerError(
                            "a local worker process died (killed, out of memory, or, in a script, run_sweep not "
                            "called under `if __name__ == \"__main__\":`, which worker processes need); the runs "
                            "finished so far are in the store: re-run to resume") from None
                    done(result)
                    nxt = next(it, None)
                    if nxt is not None:
                        pending.add(pool.submit(execute_run, nxt, root, blas, on_corrupt))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)


def _check_dask_workers(client, scheduler) -> int:
    """Wait for at least one worker; refuse workers running several threads (the BLAS thread count is
    a per-process setting, so concurrent runs in one process could not each be held to ``blas``
    threads, and bit-identical results could not be guaranteed)."""
    try:
        client.wait_for_workers(1, timeout=120)
    except (TimeoutError, OSError):
        raise InvalidParameterError(f"no Dask worker connected to {scheduler} within 120 s "
                                    "(start them with: dask worker ADDRESS --nthreads 1)") from None
    workers = client.scheduler_info().get("workers", {})
    multi = {addr: w.get("nthreads") for addr, w in workers.items() if (w.get("nthreads") or 1) > 1}
    if multi:
        addr, k = next(iter(multi.items()))
        raise InvalidParameterError(f"{len(multi)} of {len(workers)} Dask workers run several threads (e.g. {addr}: "
                                    f"{k}); start them with --nthreads 1 (one process per core: --nworkers N) so "
                                    "that every run uses the same number of BLAS threads")
    return max(1, len(workers))


def _run_dask(payloads, root, blas, on_corrupt, scheduler, dask_local, done) -> int:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InvalidParameterError("the dask executor needs dask.distributed (pip install 'dask[distributed]')") from None
    root = str(Path(root).resolve())
    cluster = None
    with _blas_environment(blas):
        try:
            if scheduler is not None:
                try:
                    client = Client(scheduler, timeout="20s")
                except (OSError, TimeoutError) as exc:
                    raise InvalidParameterError(f"cannot connect to the Dask scheduler {scheduler}: {exc}") from None
            else:
                try:
                    cluster = LocalCluster(n_workers=dask_local, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=40)
                    client = Client(cluster)
                except (OSError, TimeoutError, RuntimeError) as exc:
                    raise SweepWorkerError(f"could not start a local Dask cluster of {dask_local} workers: "
                                           f"{exc}") from None
            try:
                n = _check_dask_workers(client, scheduler)
                futures = client.map(execute_run, payloads, store_root=root, blas=blas, on_corrupt=on_corrupt,
                                     pure=False)
                try:
                    for f in as_completed(futures):
                        done(f.result())
                except BaseException:
                    client.cancel(futures)
                    raise
                return n
            finally:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()


# --------------------------------------------------------------------------------------------
# dry run


@dataclass
class DryRun:
    """Counts, time and memory estimates of a sweep, without running it.

    ``studies``: per study ``{"theory": n, "simulation": n, "done": n, "seconds": est, "peak_bytes":
    {d: bytes}}``; ``seconds``: estimated wall time with ``workers`` workers.  ``method`` says how the
    time was estimated.
    """

    name: str
    store: Path
    total: int
    done: int
    seconds: float
    workers: int
    studies: dict
    method: str

    def to_dict(self) -> dict:
        return {"name": self.name, "store": str(self.store), "total": self.total, "done": self.done,
                "seconds": self.seconds, "workers": self.workers, "studies": self.studies, "method": self.method}

    def text(self) -> str:
        from asymptotics.limits import memory_limit

        limit = memory_limit()
        lines = [f"sweep {self.name}: {self.total} runs ({self.done} already in {self.store}, "
                 f"{self.total - self.done} to run)"]
        over = False
        for name, s in self.studies.items():
            parts = []
            for d, b in s["peak_bytes"].items():
                flag = " (over the limit)" if b > limit else ""
                over = over or bool(flag)
                parts.append(f"d={d}: {_bytes(b)}{flag}")
            lines.append(f"  study {name} ({s['family']}): {s['theory']} theory + {s['simulation']} simulation runs, "
                         f"{s['done']} done; est. {_hms(s['seconds'])} of compute; peak memory per run "
                         f"{', '.join(parts) or '-'}")
        lines.append(f"estimated time: {_hms(self.seconds)} with {self.workers} worker(s) "
                     f"({self.method})")
        if over:
            lines.append(f"memory: some runs need more than the limit of {format_bytes(limit)} (half the RAM, or "
                         "ASYM_MEMORY_LIMIT): the sweep would refuse to start")
        return "\n".join(lines)


def _bytes(b: float) -> str:
    return format_bytes(b) if b < 2.0**60 else f"{b:.2g} bytes"


def _hms(s: float) -> str:
    if not math.isfinite(s):
        return "?"
    if s < 10:
        return f"{s:.1f}s"
    s = int(round(s))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}h{m:02d}m{sec:02d}s" if h else (f"{m}m{sec:02d}s" if m else f"{sec}s")


def _nanmin(values) -> float:
    ok = [v for v in values if not math.isnan(v)]
    return min(ok) if ok else math.nan


_CAL_D = 128  # largest calibration dimension
_CAL_CONFIGS = 16  # configurations timed per study (an even sample when there are more)


def _time_run(payload: dict, blas: int) -> float:
    """Seconds of one run (NaN if the library refused it: no estimate from a run that did not happen)."""
    fam = get_family(payload["family"])
    t0 = time.perf_counter()
    with blas_threads(blas):
        try:
            if payload["kind"] == "theory":
                fam.theory(payload["configuration"], payload["d"])
            else:
                fam.simulate(payload["configuration"], payload["d"], payload["seed"])
        except AsymptoticsError:
            return math.nan
    return time.perf_counter() - t0


def dry_run(spec, store=None, workers: "int | None" = None, blas: int = 1, calibrate: bool = True) -> DryRun:
    """Number of runs, estimated time and peak memory per run of a sweep, without running it.

    Time (``calibrate=True``, a measurement, not a flop model): for each study, one theory run is timed;
    one seed of each configuration (at most 16, an even sample) is simulated at d_b = min(128, d_min),
    and the first one also at d_a = d_b / 2; a simulation run at d is estimated as t_config(d_b)·(d/d_b)^p
    with the measured exponent p = log(t_b/t_a)/log(d_b/d_a) clipped to [2, 3] (every per-seed cost is
    O(d²)–O(d³) at fixed ratios).  This takes a second or two per study; it is a rough estimate (within a
    factor 2 in our checks) and machine load changes it.  ``calibrate=False`` skips timing (``seconds`` is NaN).  Peak memory per run is
    the family's estimator (:func:`asymptotics.validation.one_step.simulation.one_step_memory`, ...), the
    same one that guards the allocation.
    """
    spec, root = _resolve(spec, store)
    runs_all = expand(spec)
    runs = unique_runs(runs_all)
    st = Store(root) if (root.is_dir() and (root / "store.json").is_file()) else None
    done_keys = {r.key for r in runs if st is not None and st.get(r.key) is not None}
    n_workers = workers or default_workers(blas)
    studies, total_seconds, seen = {}, 0.0, set()
    for study in spec.studies:
        mine = [r for r in runs_all if r.study == study.name and r.key not in seen]
        seen.update(r.key for r in mine)
        info = {"family": study.family, "theory": sum(r.kind == "theory" for r in mine),
                "simulation": sum(r.kind == "simulation" for r in mine),
                "done": sum(r.key in done_keys for r in mine), "seconds": math.nan, "peak_bytes": {}}
        fam = get_family(study.family)
        sims = [r for r in mine if r.kind == "simulation"]
        for d in study.d if study.simulation else ():
            try:
                peaks = [fam.memory(r.configuration, d) for r in {repr(r.configuration): r for r in sims
                                                                   if r.d == d}.values()]
            except AsymptoticsError as exc:
                raise InvalidParameterError(f"study {study.name!r} at d={d}: {exc}") from None
            if peaks:
                info["peak_bytes"][d] = max(peaks)
        if calibrate:
            secs = 0.0
            th = [r for r in mine if r.kind == "theory" and r.key not in done_keys]
            if th:
                secs += _time_run(th[0].payload(), blas) * len(th)
            todo_sims = [r for r in sims if r.key not in done_keys]
            if todo_sims:
                d_b = max(fam.min_d, min(_CAL_D, min(study.d)))
                d_a = max(fam.min_d, d_b // 2)
                configs = {}
                for r in todo_sims:
                    configs.setdefault(repr(r.configuration), r)
                reps = list(configs.values())
                if len(reps) > _CAL_CONFIGS:  # evenly spread sample
                    reps = [reps[round(i * (len(reps) - 1) / (_CAL_CONFIGS - 1))] for i in range(_CAL_CONFIGS)]
                t_cfg = {repr(r.configuration): _time_run({**r.payload(), "d": d_b}, blas) for r in reps}
                pay = reps[0].payload()
                t_b = _nanmin([t_cfg[repr(reps[0].configuration)], _time_run({**pay, "d": d_b}, blas)])
                t_cfg[repr(reps[0].configuration)] = t_b
                if d_a < d_b:
                    t_a = _nanmin([_time_run({**pay, "d": d_a}, blas) for _ in range(2)])
                    p = math.log(max(t_b, 1e-6) / max(t_a, 1e-6)) / math.log(d_b / d_a)
                    p = 3.0 if math.isnan(p) else p
                else:
                    p = 3.0
                p = min(3.0, max(2.0, p))
                ok = [t for t in t_cfg.values() if not math.isnan(t)]
                t_mean = sum(ok) / len(ok) if ok else math.nan
                secs += sum(t_cfg.get(repr(r.configuration), t_mean) * (r.d / d_b) ** p for r in todo_sims)
            info["seconds"] = secs
            total_seconds += secs
        studies[study.name] = info
    method = ("calibrated: each configuration timed at one small d, scaled by the power of d measured "
              "between two small d" if calibrate else "not estimated")
    return DryRun(spec.name, root, len(runs), len(done_keys),
                  total_seconds / max(1, n_workers) if calibrate else math.nan, n_workers, studies, method)
