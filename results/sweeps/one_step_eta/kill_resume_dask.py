"""The issue-9 acceptance run of the example sweep (examples/sweeps/one_step_eta.toml, 204 runs):
run it on 2 local processes, SIGKILL it twice mid-way, resume it to the end, run it again on a 2-worker
Dask LocalCluster into a second store, and compare the two tables bit for bit.

    OPENBLAS_NUM_THREADS=1 nice -n 5 python3 results/sweeps/one_step_eta/kill_resume_dask.py

Writes table.csv, table.md and run.json (timings, record counts at each kill, comparison) next to this file.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
SPEC = REPO / "examples" / "sweeps" / "one_step_eta.toml"


def records(store: Path) -> int:
    base = store / "records"
    return sum(1 for _ in base.rglob("*.json")) if base.is_dir() else 0


def sweep(store: Path, *extra) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "asymptotics.validation.sweep", str(SPEC), "--store", str(store),
                             "--no-progress", *extra], start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=REPO)


def main() -> None:
    import pandas as pd

    from asymptotics.validation.sweep import load_table
    from asymptotics.validation.store import package_versions

    work = Path(tempfile.mkdtemp(prefix="sweep-accept-"))
    local, dask = work / "local", work / "dask"
    log = {"spec": str(SPEC.relative_to(REPO)), "kills": []}
    t0 = time.perf_counter()
    for target in (60, 130):                      # SIGKILL once this many records exist
        p = sweep(local, "--workers", "2")
        while records(local) < target and p.poll() is None:
            time.sleep(0.01)
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        log["kills"].append({"target": target, "records_after_kill": records(local)})
    p = sweep(local, "--workers", "2")
    out, err = p.communicate()
    log["local"] = {"seconds_total_with_kills": time.perf_counter() - t0, "exit": p.returncode,
                    "resume_output": out.decode().strip(), "records": records(local)}
    t1 = time.perf_counter()
    p = sweep(dask, "--dask-local", "2")
    out, err = p.communicate()
    log["dask"] = {"seconds": time.perf_counter() - t1, "exit": p.returncode, "output": out.decode().strip(),
                   "records": records(dask)}
    a, b = load_table(SPEC, store=local), load_table(SPEC, store=dask)
    try:
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        same = a.to_csv(index=False) == b.to_csv(index=False)
    except AssertionError as exc:
        same = f"differ: {exc}"
    log["tables_bit_identical"] = same
    log["versions"] = package_versions()
    (HERE / "table.csv").write_text(a.to_csv(index=False))
    cols = ["teacher", "psi1", "psi2", "lam", "noise", "eta", "d", "n_seeds", "test_error_theory", "test_error_mean",
            "test_error_sem", "rel_gap", "z_score"]
    rows = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in a[cols].iterrows():
        rows.append("| " + " | ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in r) + " |")
    (HERE / "table.md").write_text("\n".join(rows) + "\n")
    (HERE / "run.json").write_text(json.dumps(log, indent=2) + "\n")
    print(json.dumps(log, indent=2))
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
