"""Sweeps across processes: SIGKILL at random moments then resume, and local processes / a 2-worker Dask
LocalCluster giving the serial run's results bit for bit (tiny d; about 20 s in all, most of it
process start-up)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from asymptotics.validation.sweep import Store, expand, load_spec, load_table, run_sweep, unique_runs

SPEC = """
name = "kill"

[[study]]
name = "os"
family = "one_step"
d = [20, 28]
seeds = 5
[study.setting]
student = "tanh"
teacher = "tanh"
psi1 = 2
psi2 = 2
noise = 0.1
[study.grid]
eta = [0.5, 2]
lam = [0.01, 0.1]
[study.options]
n_test = 4000

[[study]]
name = "gs"
family = "giant_step"
d = [24]
seeds = 3
[study.setting]
student = "tanh"
teacher = "tanh"
alpha0 = 0.5
eta_tilde = 1
[study.grid]
alpha = [0.5, 1.5]
[study.options]
n_test = 3000
"""

REPO = Path(__file__).resolve().parents[1]


def _records(root: Path) -> int:
    base = root / "records"
    return sum(1 for p in base.rglob("*.json")) if base.is_dir() else 0


def _launch(spec: Path, store: Path, executor: tuple = ("--serial",)) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-m", "asymptotics.validation.sweep", str(spec), "--store", str(store),
                             *executor, "--no-progress"], cwd=spec.parent, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_sigkill_at_random_moments_then_resume_is_bit_identical(tmp_path):
    spec_path = tmp_path / "kill.toml"
    spec_path.write_text(SPEC)
    spec = load_spec(spec_path)
    total = len(unique_runs(expand(spec)))
    assert total == 2 + 2 * 2 * 5 + 1 + 3  # one-step: a theory run per eta (the lam list is inner), a simulation per (eta, d, seed); giant step: 1 + 3
    store = tmp_path / "killed"
    rng = random.Random(20260)
    done_at_kill = []
    # the first sweep runs on 2 local worker processes (the default executor), the others serially;
    # SIGKILL goes to the whole process group (the sweep and its workers)
    for attempt in range(3):
        before = _records(store)
        if before >= total - 1:
            break
        target = rng.randint(before + 1, min(total - 1, before + total // 3))  # kill once this many records exist
        proc = _launch(spec_path, store, ("--workers", "2") if attempt == 0 else ("--serial",))
        deadline = time.monotonic() + 120
        while _records(store) < target and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.003)
        time.sleep(rng.uniform(0.0, 0.03))              # land anywhere inside the next run
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        done_at_kill.append(_records(store))
    assert any(0 < n < total for n in done_at_kill), done_at_kill   # some kill did interrupt the sweep
    proc = _launch(spec_path, store)                   # resume to the end
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    assert f"{total} runs:" in out.decode() and "0 failed" in out.decode()
    assert _records(store) == total                    # one record per run, nothing extra
    assert not list(store.rglob("*.corrupt"))

    ref = tmp_path / "uninterrupted"
    rep = run_sweep(spec, store=ref, executor="serial", progress=False)
    assert rep.computed == total
    a, b = load_table(spec, store=store), load_table(spec, store=ref)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert a.to_csv(index=False) == b.to_csv(index=False)
    assert (a.n_seeds == a.groupby("study").n_seeds.transform("max")).all() and (a.n_missing == 0).all()
    st_a, st_b = Store(store), Store(ref)
    for r in unique_runs(expand(spec)):                # every record equal, result for result
        assert st_a.get(r.key)["results"] == st_b.get(r.key)["results"]


SMALL = """
name = "exec"
[[study]]
name = "os"
family = "one_step"
d = [96]
seeds = 3
[study.setting]
student = "tanh"
teacher = "tanh"
psi1 = 2
psi2 = 2
noise = 0.1
lam = 0.01
[study.grid]
eta = [1, 2]
[study.options]
n_test = 3000
"""


def test_dask_localcluster_equals_serial(tmp_path):
    """Bit-identical records whichever executor ran them (d = 96: large enough that OpenBLAS would
    thread, so this also checks that every run is computed with the same number of BLAS threads).
    The local-process executor is compared with the serial one in the SIGKILL test above."""
    pytest.importorskip("dask.distributed")
    spec_path = tmp_path / "exec.toml"
    spec_path.write_text(SMALL)
    spec = load_spec(spec_path)
    serial = run_sweep(spec, store=tmp_path / "serial", executor="serial", progress=False)
    dask = run_sweep(spec, store=tmp_path / "dask", dask_local=2, progress=False)
    assert serial.computed == dask.computed == 2 + 2 * 3
    assert (dask.executor, dask.workers) == ("dask", 2)
    ref = load_table(spec, store=tmp_path / "serial")
    pd.testing.assert_frame_equal(load_table(spec, store=tmp_path / "dask"), ref, check_exact=True)


def test_dask_scheduler_address(tmp_path):
    """--scheduler: a cluster started separately (here a LocalCluster; on machines, `dask scheduler`
    and `dask worker tcp://...`), its workers writing into the same store."""
    dd = pytest.importorskip("dask.distributed")
    spec_path = tmp_path / "exec.toml"
    spec_path.write_text(SMALL.replace("seeds = 3", "seeds = 1").replace("eta = [1, 2]", "eta = [1]"))
    spec = load_spec(spec_path)
    with dd.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        rep = run_sweep(spec, store=tmp_path / "sched", scheduler=cluster.scheduler_address, progress=False)
    assert (rep.executor, rep.computed, rep.failed) == ("dask", 2, 0)
    run_sweep(spec, store=tmp_path / "serial", executor="serial", progress=False)
    pd.testing.assert_frame_equal(load_table(spec, store=tmp_path / "sched"),
                                  load_table(spec, store=tmp_path / "serial"), check_exact=True)


def test_dask_workers_with_several_threads_are_refused(tmp_path):
    dd = pytest.importorskip("dask.distributed")
    from asymptotics.errors import InvalidParameterError
    spec_path = tmp_path / "exec.toml"
    spec_path.write_text(SMALL)
    with dd.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        with pytest.raises(InvalidParameterError, match="--nthreads 1"):
            run_sweep(load_spec(spec_path), store=tmp_path / "st", scheduler=cluster.scheduler_address,
                      progress=False)
