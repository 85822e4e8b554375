"""Where is the sRF accurate for the giant-step network?  (network − theory)/theory over (α0, η̃).

Theory: :func:`asymptotics.spiked_rf.theory.srf_risk` (large-d, corrected (r, c, γ)); network: the exact giant step
(:func:`asymptotics.validation.giant_step.simulation.simulate_giant_step`, ``model="network"``), one network per seed serving every
readout ratio α.  The map marks a cell "ok" when |gap| ≤ 2 % or the gap is within 2 SEM of zero.

Run (recorded in ``results/giant_step/hetero/``)::

    OPENBLAS_NUM_THREADS=1 nice -n 5 python3 -m asymptotics.validation.giant_step.validity_map --d 512,1024 --seeds 4 \\
        --out results/giant_step/hetero
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from asymptotics.settings import GiantStep
from asymptotics.spiked_rf.theory import srf_risk

from .simulation import simulate_giant_step
from ..store import Checkpoint

__all__ = ["validity_map", "main", "ALPHA0S", "ETA_TILDES", "ALPHAS"]

ALPHA0S = (0.5, 2.0, 8.0)
ETA_TILDES = (0.5, 1.0, 2.0, 4.0)
ALPHAS = (1.0, 3.0)


def validity_map(students=("tanh", "relu"), teacher="tanh", ds=(512, 1024), seeds=4, alpha0s=ALPHA0S,
                 eta_tildes=ETA_TILDES, alphas=ALPHAS, lam=0.01, n_test=10000, checkpoint=None,
                 progress=False) -> list[dict]:
    rows = []
    for student in students:
        for a0 in alpha0s:
            for et in eta_tildes:
                s = GiantStep(student, teacher, alpha0=a0, eta_tilde=et, alpha=alphas[0], lam=lam)
                th = {a: srf_risk(s.replace(alpha=a), raise_on_failure=False) for a in alphas}
                for d in ds:
                    t0 = time.perf_counter()
                    sims = simulate_giant_step(s, d, seeds, alphas, n_test=n_test, checkpoint=checkpoint)
                    for a, sim in zip(alphas, sims):
                        t = th[a].test_error
                        gap = (sim.test_error_mean - t) / t
                        rel_sem = sim.test_error_sem / t
                        rows.append({"student": student, "teacher": teacher, "alpha0": a0, "eta_tilde": et,
                                     "alpha": a, "d": d, "seeds": list(sim.seeds), "test_error_theory": t,
                                     "theory_converged": th[a].converged, "test_error_mean": sim.test_error_mean,
                                     "test_error_sem": sim.test_error_sem, "gap": gap, "rel_sem": rel_sem,
                                     "ok": abs(gap) <= 0.02 or abs(gap) <= 2 * rel_sem})
                    if progress:
                        print(f"[validity {student} a0={a0:g} eta~={et:g} d={d}] "
                              + " ".join(f"{100 * r['gap']:+.1f}%" for r in rows[-len(alphas):])
                              + f" ({time.perf_counter() - t0:.1f}s)", file=sys.stderr, flush=True)
    return rows


def _md(rows) -> str:
    out = []
    keys = sorted({(r["student"], r["alpha"], r["d"]) for r in rows}, key=lambda k: (k[0] != "tanh", k[1], k[2]))
    a0s = sorted({r["alpha0"] for r in rows})
    ets = sorted({r["eta_tilde"] for r in rows})
    for st, a, d in keys:
        out += ["", f"**{st}/tanh, α = {a:g}, d = {d}** — gap (network − theory)/theory ± SEM; * = |gap| > 2 % and > 2 SEM", "",
                "| α0 \\ η̃ | " + " | ".join(f"{e:g}" for e in ets) + " |", "|---" * (len(ets) + 1) + "|"]
        for a0 in a0s:
            cells = []
            for e in ets:
                r = next((x for x in rows if (x["student"], x["alpha"], x["d"], x["alpha0"], x["eta_tilde"])
                          == (st, a, d, a0, e)), None)
                cells.append("—" if r is None else
                             f"{100 * r['gap']:+.1f} ± {100 * r['rel_sem']:.1f} %{'' if r['ok'] else ' *'}")
            out.append(f"| {a0:g} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m asymptotics.validation.giant_step.validity_map")
    ap.add_argument("--d", default="512,1024")
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--students", default="tanh,relu")
    ap.add_argument("--alpha0", default=",".join(f"{x:g}" for x in ALPHA0S))
    ap.add_argument("--eta-tilde", default=",".join(f"{x:g}" for x in ETA_TILDES))
    ap.add_argument("--tag", default="", help="suffix of the output file names")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    ck = None
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        ck = Checkpoint(Path(args.out) / "checkpoint_validity.json", {"kind": "validity_map"})
    t0 = time.perf_counter()
    a0s = tuple(float(x) for x in args.alpha0.split(","))
    ets = tuple(float(x) for x in args.eta_tilde.split(","))
    rows = validity_map(args.students.split(","), ds=[int(x) for x in args.d.split(",")], seeds=args.seeds,
                        alpha0s=a0s, eta_tildes=ets, checkpoint=ck, progress=True)
    md = _md(rows)
    print(md)
    if args.out:
        out = Path(args.out)
        cmd = "OPENBLAS_NUM_THREADS=1 nice -n 5 python3 -m asymptotics.validation.giant_step.validity_map " + " ".join(argv or sys.argv[1:])
        (out / f"validity_map{args.tag}.json").write_text(json.dumps({"config": {
            "command": cmd, "alpha0": list(a0s), "eta_tilde": list(ets), "alpha": list(ALPHAS),
            "lam": 0.01, "teacher": "tanh", "width_ratio": 1.0, "seeds": args.seeds,
            "wall_seconds": time.perf_counter() - t0}, "rows": rows}, indent=1))
        (out / f"validity_map{args.tag}.md").write_text("# Validity map of the sRF for the giant-step network\n\n"
                                             f"Command: `{cmd}`\n" + md + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
