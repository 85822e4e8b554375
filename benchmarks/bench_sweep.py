"""A 200-run sweep with 1 and 2 worker processes: the parallel speed-up (issue 9 §3 a).

Run: ``python3 benchmarks/bench_sweep.py [--workers 1,2] [--d 256] [--seeds 16] [--json FILE]``.

The sweep (:data:`SPEC`): 3 one-step settings × 4 learning rates η × 16 seeds at d = 256 — 192
simulation runs (n_test = 20000) and 12 theory runs, 204 in all — run from an empty store with the
local process executor, once per worker count, in this one process.  Each worker process gets one
BLAS thread (``run_sweep(blas=1)``), so 2 workers use the 2 cores of this machine.  Printed: wall times,
the speed-up T(1)/T(2) (target ≥ 1.8 on 2 cores), and a check that the two tables are identical (the
results must not depend on the executor).

On a machine shared with other work the wall-time speed-up measures the machine as much as the sweep,
so two load-independent numbers are printed with it: the *concurrency* Σ(run wall times, from the
records) / sweep wall time — how many runs the executor kept going at once (ideal: the worker count) —
and the mean run time, which grows when the runs get less than a core each.  The speed-up is
concurrency × (mean run time with 1 worker / mean run time with 2).  The load average is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

SPEC = """
name = "bench-200"
description = "3 one-step settings x 4 eta x 16 seeds at d = 256 (benchmarks/bench_sweep.py)"

[[study]]
name = "eta"
family = "one_step"
d = {d}
seeds = {seeds}

[study.setting]
student = "tanh"

[study.zip]
teacher = ["tanh", "tanh", "centered:relu"]
psi1 = [2, 4, 5]
psi2 = [2, 1, 0.5]
lam = [0.01, 0.1, 0.01]
noise = [0.1, 0.25, 0.1]

[study.grid]
eta = [0, 1, 2, 4]

[study.options]
n_test = 20000
"""


def main(argv=None) -> dict:
    import tomllib

    from asymptotics.validation.sweep import expand, load_table, parse_spec, run_sweep

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", default="1,2")
    p.add_argument("--d", type=int, default=256)
    p.add_argument("--seeds", type=int, default=16)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    text = SPEC.format(d=args.d, seeds=args.seeds)
    spec = parse_spec(tomllib.loads(text), source="bench_sweep.py")
    n_runs = len(expand(spec))
    out = {"runs": n_runs, "d": args.d, "seeds": args.seeds, "cpus": os.cpu_count(), "times": {}, "spec": text}
    print(f"sweep: {n_runs} runs (d = {args.d}, {args.seeds} seeds), cpus = {os.cpu_count()}")
    tables = {}
    with tempfile.TemporaryDirectory() as tmp:
        for w in (int(x) for x in args.workers.split(",")):
            load0 = os.getloadavg()[0]
            t0 = time.perf_counter()
            report = run_sweep(spec, store=str(Path(tmp) / f"w{w}"), executor="processes", workers=w,
                               progress=False, blas=1)
            t = time.perf_counter() - t0
            if report.failed:
                raise SystemExit(f"{report.failed} runs failed with {w} workers")
            tables[w] = load_table(str(Path(tmp) / f"w{w}"))
            walls = [json.loads(f.read_text())["wall_time"] for f in (Path(tmp) / f"w{w}" / "records").rglob("*")
                     if f.is_file() and f.suffix == ".json"]
            out["times"][w] = t
            out.setdefault("concurrency", {})[w] = sum(walls) / t
            out.setdefault("mean_run_s", {})[w] = sum(walls) / max(len(walls), 1)
            print(f"workers={w}: {t:.1f} s; concurrency {sum(walls) / t:.2f}; mean run {out['mean_run_s'][w]:.3f} s "
                  f"over {len(walls)} records (load average before: {load0:.2f})", flush=True)
    ws = sorted(out["times"])
    if len(ws) > 1:
        out["speedup"] = out["times"][ws[0]] / out["times"][ws[-1]]
        cols = [c for c in tables[ws[0]].columns]
        out["identical_tables"] = bool(tables[ws[0]][cols].equals(tables[ws[-1]][cols]))
        print(f"speed-up {ws[0]} -> {ws[-1]} workers: {out['speedup']:.2f}x (target >= 1.8 on 2 cores); "
              f"tables identical: {out['identical_tables']}")
    out["loadavg_after"] = os.getloadavg()
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)
    return out


if __name__ == "__main__":
    main()
