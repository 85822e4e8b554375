"""Declarative sweeps (asymptotics.validation.sweep): spec validation, expansion, store, table, CLI.

Everything runs serially in this process at tiny d (a few seconds in all); the executors (local
processes, Dask) and the SIGKILL-and-resume check are in tests/test_sweep_distributed.py.
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from asymptotics.settings import OneStep
from asymptotics.validation.one_step.simulation import simulate_seed
from asymptotics.validation.sweep import (
    Store,
    StoreCorruptError,
    SpecError,
    dry_run,
    expand,
    export_table,
    load_records,
    load_table,
    parse_spec,
    run_sweep,
    unique_runs,
)
from asymptotics.validation.sweep.cli import main as sweep_main
from asymptotics.validation.sweep.families import test_error_of


def one_step_study(**over) -> dict:
    st = {"name": "os", "family": "one_step", "d": [12, 16], "seeds": 2,
          "setting": {"student": "tanh", "teacher": "tanh", "psi1": 2, "psi2": 2, "noise": 0.1, "eta": 1},
          "grid": {"lam": [0.01, 0.1]}, "options": {"n_test": 300}}
    st.update(over)
    return st


def spec_dict(*studies, name="t") -> dict:
    return {"name": name, "study": list(studies) or [one_step_study()]}


# ------------------------------------------------------------------------------------ spec


@pytest.mark.parametrize("mutate, message", [
    (lambda s: s["study"][0].update(family="two_step"), "unknown family 'two_step'"),
    (lambda s: s["study"][0]["setting"].update(psi3=1), "unknown setting field 'psi3'"),
    (lambda s: s["study"][0]["setting"].update(d=8), "d is given by the study's d list"),
    (lambda s: s["study"][0]["setting"].update(n_test=8), "put it under [study.options]"),
    (lambda s: s["study"][0]["grid"].update(eta=[]), "grid.eta is an empty list"),
    (lambda s: s["study"][0]["grid"].update(eta=[1, 1]), "grid.eta lists 1 twice"),
    (lambda s: s["study"][0]["grid"].update(eta=1), "grid.eta must be a list"),
    (lambda s: s["study"][0]["grid"].update(foo=[1, 2]), "grid.foo: unknown parameter"),
    (lambda s: s["study"][0]["setting"].update(psi1=-1), "psi1 must be a finite number > 0"),
    (lambda s: s["study"][0]["setting"].update(student="nope_act"), "nope_act"),
    (lambda s: s["study"][0]["options"].update(n_test=0), "n_test must be an integer >= 1"),
    (lambda s: s["study"][0]["options"].update(features="gauss"), "features must be one of"),
    (lambda s: s["study"][0]["options"].update(model="srf"), "unknown option 'model'"),
    (lambda s: s["study"][0].update(zip={"psi1": [1, 2], "psi2": [1]}), "equal lengths"),
    (lambda s: s["study"][0].update(d=[1]), "d must hold integers >= 2"),
    (lambda s: s["study"][0].update(d=[8, 8]), "twice"),
    (lambda s: s["study"][0].pop("seeds"), "no seeds"),
    (lambda s: s["study"][0].update(seeds=2.5), "seeds must be an integer"),
    (lambda s: s["study"][0].update(seeds=[1, 1]), "seeds must be distinct"),
    (lambda s: s["study"][0].update(theory=False, simulation=False), "nothing to run"),
    (lambda s: s["study"][0].update(theory="yes"), "theory must be true or false"),
    (lambda s: s["study"][0]["setting"].pop("student"), "student"),
    (lambda s: s.update(name="../evil"), "name must be"),
    (lambda s: s.update(seeds=3), "unknown top-level key(s) 'seeds'"),
    (lambda s: s["study"].append(dict(s["study"][0])), "two studies are named 'os'"),
    (lambda s: s["study"][0]["setting"].update(eta=[1, 2]), "setting.eta must be a number or a string"),
    (lambda s: s["study"][0]["setting"].update(eta=float("nan")), "must be finite"),
])
def test_spec_errors_are_specific(mutate, message):
    s = spec_dict()
    mutate(s)
    with pytest.raises(SpecError) as exc:
        parse_spec(s)
    assert message in str(exc.value)


def test_spec_toml_errors(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("name = 'x'\n[[study]\n")
    from asymptotics.validation.sweep import load_spec
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(p)
    with pytest.raises(SpecError, match="does not exist"):
        load_spec(tmp_path / "missing.toml")


def test_expansion_counts_and_inner_axis():
    # grid eta x zip (psi1, psi2) x inner lam list: 2 x 3 configurations; the lam list is one run
    st = one_step_study(grid={"eta": [0.5, 1], "lam": [0.01, 0.1, 1.0]},
                        zip={"psi1": [1, 2, 4], "psi2": [1, 2, 2]}, seeds=[3, 5, 7], d=[8, 12])
    runs = expand(parse_spec(spec_dict(st)))
    assert sum(r.kind == "theory" for r in runs) == 6
    assert sum(r.kind == "simulation" for r in runs) == 6 * 2 * 3
    assert all(r.configuration["inner"] == {"lam": [0.01, 0.1, 1.0]} for r in runs)
    # lam in zip is an ordinary parameter: one run per value
    st2 = one_step_study(grid={}, zip={"lam": [0.01, 0.1], "eta": [1, 2]}, seeds=1, d=[8])
    runs2 = expand(parse_spec(spec_dict(st2)))
    assert len(runs2) == 2 * (1 + 1) and all(r.configuration["inner"] is None for r in runs2)
    # kernels: theory at finite d, one theory run per (configuration, d)
    k = {"name": "k", "family": "kernels", "d": [6, 8], "seeds": 2, "grid": {"n": [20, 30]},
         "setting": {"kernel": "ntk", "activation": "relu", "lam": 0.01, "target": "1:1"}}
    runs3 = expand(parse_spec(spec_dict(k)))
    assert sum(r.kind == "theory" for r in runs3) == 4 and sum(r.kind == "simulation" for r in runs3) == 8


def test_keys_canonical_and_deduplicated():
    a = expand(parse_spec(spec_dict(one_step_study(setting={**one_step_study()["setting"], "eta": 1}))))
    b = expand(parse_spec(spec_dict(one_step_study(setting={**one_step_study()["setting"], "eta": 1.0}))))
    assert [r.key for r in a] == [r.key for r in b]            # 1 and 1.0 are the same run
    c = expand(parse_spec(spec_dict(one_step_study(options={"n_test": 301}))))
    assert {r.key for r in a if r.kind == "simulation"}.isdisjoint({r.key for r in c})
    assert {r.key for r in a if r.kind == "theory"} == {r.key for r in c if r.kind == "theory"}
    twice = expand(parse_spec(spec_dict(one_step_study(), one_step_study(name="os2"))))
    assert len(unique_runs(twice)) == len(twice) // 2


# ------------------------------------------------------------------------------------ runs, store, table


def test_sweep_records_equal_the_library(tmp_path):
    """A λ list is one run per seed, and its rows are exactly simulate_seed's numbers for each λ."""
    spec = parse_spec(spec_dict(one_step_study(d=[12], seeds=2)))
    rep = run_sweep(spec, store=tmp_path / "st", executor="serial", progress=False)
    assert (rep.total, rep.computed, rep.failed) == (1 + 2, 3, 0)
    rec = load_records(spec, store=tmp_path / "st")
    s = OneStep("tanh", "tanh", psi1=2, psi2=2, lam=0.01, eta=1, noise=0.1)
    for seed in (0, 1):
        for lam in (0.01, 0.1):
            want = test_error_of(simulate_seed(s.replace(lam=lam), 12, seed, n_test=300))
            got = rec[(rec.seed == seed) & (rec.lam == lam)].test_error.item()
            assert got == want


def test_rerun_skips_and_table(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = parse_spec(spec_dict(one_step_study()))
    r1 = run_sweep(spec, executor="serial", progress=False)       # default store asym-sweeps/t
    assert r1.store == tmp_path.joinpath("asym-sweeps", "t").relative_to(tmp_path)
    assert (r1.total, r1.computed, r1.skipped) == (1 + 4, 5, 0)
    files = sorted((tmp_path / "asym-sweeps" / "t" / "records").rglob("*.json"))
    stamps = [f.stat().st_mtime_ns for f in files]
    r2 = run_sweep(spec, executor="serial", progress=False)
    assert (r2.computed, r2.skipped) == (0, 5)
    assert [f.stat().st_mtime_ns for f in files] == stamps       # nothing rewritten
    df = load_table(spec)
    assert len(df) == 2 * 2                                      # d x lam
    assert list(df.lam) == [0.01, 0.1, 0.01, 0.1] and list(df.d) == [12, 12, 16, 16]
    assert (df.n_seeds == 2).all() and (df.n_missing == 0).all()
    th = df.test_error_theory
    assert th.iloc[0] == th.iloc[2] and th.iloc[0] != th.iloc[1]  # d-independent theory, per λ
    gap = (df.test_error_mean - th) / th
    assert (df.rel_gap == gap).all()
    assert (df.z_score == (df.test_error_mean - th) / df.test_error_sem).all()
    # the same table from the store directory alone
    pd.testing.assert_frame_equal(load_table(tmp_path / "asym-sweeps" / "t"), df, check_exact=True)
    out = export_table(df, tmp_path / "t.csv")
    back = pd.read_csv(out)
    assert list(back.columns) == list(df.columns) and len(back) == len(df)
    pytest.importorskip("pyarrow")
    pq = pd.read_parquet(export_table(df, tmp_path / "t.parquet"))
    pd.testing.assert_frame_equal(pq, df, check_exact=True)


def test_partial_table_counts_missing(tmp_path):
    spec = parse_spec(spec_dict(one_step_study(d=[12], seeds=3)))
    store = Store(tmp_path / "st").ensure()
    first = [r for r in expand(spec) if r.kind == "simulation"][0]
    from asymptotics.validation.sweep import execute_run
    execute_run(first.payload(), str(store.root))
    df = load_table(spec, store=store.root)
    assert list(df.n_seeds) == [1, 1] and list(df.n_missing) == [2, 2]
    assert df.test_error_theory.isna().all() and df.theory_converged.isna().all()


def test_corrupt_record_detected_never_used(tmp_path):
    spec = parse_spec(spec_dict(one_step_study(d=[12], seeds=1)))
    run_sweep(spec, store=tmp_path / "st", executor="serial", progress=False)
    good = load_table(spec, store=tmp_path / "st")
    st = Store(tmp_path / "st")
    sim = [r for r in expand(spec) if r.kind == "simulation"][0]
    path = st.path_of(sim.key)
    rec = json.loads(path.read_text())
    rec["results"]["rows"][0]["test_error"] *= 1.0001          # a plausible edited value
    path.write_text(json.dumps(rec))
    with pytest.raises(StoreCorruptError, match="checksum mismatch") as exc:
        load_table(spec, store=tmp_path / "st")
    assert exc.value.path == path
    with pytest.raises(StoreCorruptError):
        run_sweep(spec, store=tmp_path / "st", executor="serial", progress=False)
    for damage in (b"", b"{not json", path.read_bytes()[: len(path.read_bytes()) // 2]):
        path.write_bytes(damage)
        with pytest.raises(StoreCorruptError):
            Store(tmp_path / "st").get(sim.key)
    # a valid record copied under another run's name is refused too
    other = [r for r in expand(spec) if r.kind == "theory"][0]
    path.write_bytes(st.path_of(other.key).read_bytes())
    with pytest.raises(StoreCorruptError, match="another run"):
        Store(tmp_path / "st").get(sim.key)
    # recompute on request: moved aside, recomputed, same numbers as before
    rep = run_sweep(spec, store=tmp_path / "st", executor="serial", progress=False, on_corrupt="recompute")
    assert rep.computed == 1 and path.with_name(path.name + ".corrupt").exists()
    pd.testing.assert_frame_equal(load_table(spec, store=tmp_path / "st"), good, check_exact=True)


def test_not_a_store_is_refused(tmp_path):
    from asymptotics.validation.sweep import StoreError
    (tmp_path / "x.txt").write_text("mine")
    with pytest.raises(StoreError, match="not a sweep store"):
        run_sweep(parse_spec(spec_dict()), store=tmp_path, executor="serial")


def test_failed_runs_recorded_and_table_counts_them(tmp_path):
    # a single-index target has an unresolved tail: KRR theory works, the simulation refuses it
    k = {"name": "k", "family": "kernels", "d": [6], "seeds": 2,
         "setting": {"kernel": "ntk", "activation": "relu", "lam": 0.01, "n": 20, "target": "fn:tanh"}}
    spec = parse_spec(spec_dict(k))
    rep = run_sweep(spec, store=tmp_path / "st", executor="serial", progress=False)
    assert rep.failed == 2 and rep.computed == 3 and "tail" in next(iter(rep.failures.values()))
    df = load_table(spec, store=tmp_path / "st")
    assert list(df.n_failed) == [2] and list(df.n_seeds) == [0] and math.isnan(df.test_error_mean[0])
    assert math.isfinite(df.test_error_theory[0])
    again = run_sweep(spec, store=tmp_path / "st", executor="serial", progress=False)
    assert again.computed == 0 and again.failed == 2               # not retried unless asked
    assert run_sweep(spec, store=tmp_path / "st", executor="serial", progress=False,
                     retry_failed=True).computed == 2


def test_independent_streams(tmp_path):
    base = one_step_study(d=[12], seeds=1, grid={})
    base["setting"]["lam"] = 0.01
    ind = dict(base, options={"n_test": 300, "streams": "independent"})
    a = load_records(parse_spec(spec_dict(base)), store=tmp_path / "a") if run_sweep(
        parse_spec(spec_dict(base)), store=tmp_path / "a", executor="serial") else None
    b = load_records(parse_spec(spec_dict(ind)), store=tmp_path / "b") if run_sweep(
        parse_spec(spec_dict(ind)), store=tmp_path / "b", executor="serial") else None
    assert a.test_error.item() != b.test_error.item()
    run_sweep(parse_spec(spec_dict(ind)), store=tmp_path / "c", executor="serial")
    assert load_records(parse_spec(spec_dict(ind)), store=tmp_path / "c").test_error.item() == b.test_error.item()


def test_giant_step_alpha_list_is_one_run(tmp_path):
    g = {"name": "g", "family": "giant_step", "d": [16], "seeds": 2,
         "setting": {"student": "tanh", "teacher": "tanh", "alpha0": 0.5, "eta_tilde": 1},
         "grid": {"alpha": [0.5, 1.0]}, "options": {"n_test": 200}}
    spec = parse_spec(spec_dict(g))
    assert len(expand(spec)) == 1 + 2
    run_sweep(spec, store=tmp_path / "st", executor="serial")
    df = load_table(spec, store=tmp_path / "st")
    assert list(df.alpha) == [0.5, 1.0] and (df.n_seeds == 2).all() and df.theory_converged.all()
    from asymptotics.settings import GiantStep
    from asymptotics.spiked_rf.theory import srf_risk
    want = srf_risk(GiantStep("tanh", "tanh", alpha0=0.5, eta_tilde=1, alpha=1.0)).test_error
    assert abs(df.test_error_theory[1] - want) <= 1e-9 * want   # continuation vs a cold start


# ------------------------------------------------------------------------------------ CLI


def _write_spec(tmp_path, spec: dict) -> str:
    lines = [f'name = "{spec["name"]}"']
    for st in spec["study"]:
        lines.append("[[study]]")
        for k in ("name", "family", "d", "seeds"):
            lines.append(f"{k} = {json.dumps(st[k])}")
        for table in ("setting", "grid", "zip", "options"):
            if st.get(table):
                lines.append(f"[study.{table}]")
                lines += [f"{k} = {json.dumps(v)}" for k, v in st[table].items()]
    p = tmp_path / "spec.toml"
    p.write_text("\n".join(lines) + "\n")
    return str(p)


def test_cli_run_dry_run_and_errors(tmp_path, capsys):
    spec = _write_spec(tmp_path, spec_dict(one_step_study()))
    store = str(tmp_path / "st")
    assert sweep_main([spec, "--store", store, "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert "5 runs (0 already in" in out and "1 theory + 4 simulation runs" in out and err == ""
    assert "peak memory per run d=12:" in out and "estimated time:" in out
    assert sweep_main([spec, "--store", store, "--serial", "--no-progress", "--table", str(tmp_path / "t.csv")]) == 0
    out, err = capsys.readouterr()
    assert "5 runs: 0 already done, 5 computed, 0 failed" in out and err == ""
    assert (tmp_path / "st" / "table.csv").read_text() == (tmp_path / "t.csv").read_text()
    assert sweep_main([spec, "--store", store, "--dry-run"]) == 0
    assert "5 already in" in capsys.readouterr().out
    assert sweep_main([spec, "--store", store, "--dry-run", "--json"]) == 0
    dj = json.loads(capsys.readouterr().out)
    assert (dj["total"], dj["done"], dj["studies"]["os"]["simulation"]) == (5, 5, 4)
    assert sweep_main([spec, "--store", store, "--serial", "--json"]) == 0
    rj = json.loads(capsys.readouterr().out)
    assert (rj["total"], rj["skipped"], rj["computed"], rj["rows"]) == (5, 5, 0, 4)
    for argv, msg in [([spec, "--workers", "0"], "--workers: must be >= 1"),
                      ([spec, "--serial", "--workers", "2"], "--serial runs in this process"),
                      ([spec, "--scheduler", "nowhere"], "--scheduler must look like tcp://HOST:PORT"),
                      ([spec, "--table", str(tmp_path / "t.xlsx")], "--table must end in .csv or .parquet"),
                      ([str(tmp_path / "none.toml")], "does not exist"),
                      ([spec, "--store", str(tmp_path / "t.csv")], "is not a directory")]:
        assert sweep_main(argv) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1 and err.startswith("asym: error: ") and msg in err


def test_cli_exit_3_on_failed_runs(tmp_path, capsys):
    k = {"name": "k", "family": "kernels", "d": [6], "seeds": 1,
         "setting": {"kernel": "ntk", "activation": "relu", "lam": 0.01, "n": 20, "target": "fn:tanh"}}
    spec = _write_spec(tmp_path, spec_dict(k))
    assert sweep_main([spec, "--store", str(tmp_path / "st"), "--serial"]) == 3
    out, err = capsys.readouterr()
    assert "1 failed" in out and err.startswith("asym: warning: 1 of 2 runs failed") and err.count("\n") == 1


@pytest.mark.parametrize("name, counts", [
    ("one_step_eta", (12, 192)),       # 3 settings x 4 eta; x 16 seeds at d = 256
    ("giant_step_alpha", (4, 64)),     # 2 alpha0 x 2 eta_tilde (alpha list inner); x 2 d x 8 seeds
    ("kernels_n", (10, 60)),           # 5 n x 2 d (finite-d theory); x 6 seeds
])
def test_example_specs(name, counts):
    from pathlib import Path
    from asymptotics.validation.sweep import load_spec
    spec = load_spec(Path(__file__).resolve().parents[1] / "examples" / "sweeps" / f"{name}.toml")
    runs = unique_runs(expand(spec))
    assert (sum(r.kind == "theory" for r in runs), sum(r.kind == "simulation" for r in runs)) == counts
    d = dry_run(spec, store="/nonexistent/store", calibrate=False)
    assert d.total == sum(counts) and d.done == 0 and all(v > 0 for s in d.studies.values()
                                                          for v in s["peak_bytes"].values())


def test_kernel_lazy_model_options_checked():
    k = {"name": "k", "family": "kernels", "d": [6], "seeds": 1,
         "setting": {"kernel": "ntk", "activation": "relu", "lam": 0.01, "n": 20, "target": "1:1"}}
    with pytest.raises(SpecError, match="needs the option m"):
        parse_spec(spec_dict(dict(k, options={"model": "ntk"})))
    with pytest.raises(SpecError, match="setting has kernel 'ntk'"):
        parse_spec(spec_dict(dict(k, options={"model": "rf", "m": 8})))
    assert len(expand(parse_spec(spec_dict(dict(k, options={"model": "ntk", "m": 8}))))) == 2


def test_theory_only_study_and_spec_round_trip(tmp_path):
    st = {"name": "th", "family": "one_step", "simulation": False,
          "setting": {"student": "tanh", "teacher": "tanh", "psi1": 2, "psi2": 2, "noise": 0.1},
          "grid": {"eta": [0, 1, 2], "lam": [0.01, 0.1]}}
    spec = parse_spec(spec_dict(st, one_step_study(d=[12], seeds=1)))
    assert parse_spec(spec.to_dict()) == spec
    run_sweep(spec, store=tmp_path / "st", executor="serial")
    df = load_table(tmp_path / "st")                      # through the spec saved in the store
    th = df[df.study == "th"]
    assert len(th) == 3 * 2 and th.d.isna().all() and th.test_error_mean.isna().all()
    assert th.theory_converged.all() and (th.n_seeds == 0).all()
    from asymptotics.one_step.theory import one_step_risk
    want = test_error_of(one_step_risk(OneStep("tanh", "tanh", psi1=2, psi2=2, lam=0.1, eta=2, noise=0.1)))
    got = th[(th.eta == 2) & (th.lam == 0.1)].test_error_theory.item()
    assert abs(got - want) <= 1e-12 * want        # continuation along λ vs a cold start


def test_leftover_temporary_files_ignored_and_cleaned(tmp_path):
    import os
    spec = parse_spec(spec_dict(one_step_study(d=[12], seeds=1)))
    run_sweep(spec, store=tmp_path / "st", executor="serial")
    st = Store(tmp_path / "st")
    sub = next((tmp_path / "st" / "records").iterdir())
    old, new = sub / ".abc.json.x1.tmp", sub / ".abd.json.x2.tmp"     # left by killed writers
    for p in (old, new):
        p.write_text("{half a rec")
    os.utime(old, (1, 1))
    n = len(st.keys())
    assert n == 2 and st.clean_temporary() == 1 and not old.exists() and new.exists()
    assert run_sweep(spec, store=tmp_path / "st", executor="serial").computed == 0


def test_memory_limit_flagged_in_dry_run_and_refused_before_work(tmp_path):
    from asymptotics.errors import ResourceError
    from asymptotics.limits import set_memory_limit
    spec = parse_spec(spec_dict(one_step_study(d=[64], seeds=1)))
    previous = set_memory_limit(2**20)   # 1 MiB: below one run at d = 64
    try:
        text = dry_run(spec, store=tmp_path / "st", calibrate=False).text()
        assert "(over the limit)" in text and "the sweep would refuse to start" in text
        with pytest.raises(ResourceError, match="at d=64 needs about"):
            run_sweep(spec, store=tmp_path / "st", executor="serial")
        assert not (tmp_path / "st").exists()
    finally:
        set_memory_limit(previous)


def test_kernel_sample_size_scales_with_d(tmp_path):
    """Option n_exponent κ: the run at dimension d uses n = round(n·d^κ), in the theory and the simulation."""
    from asymptotics.kernels.theory import krr_risk
    from asymptotics.settings import KernelRidge
    from asymptotics.validation.kernels.simulation import simulate_krr_seed

    k = {"name": "k", "family": "kernels", "d": [6, 9], "seeds": 1,
         "setting": {"kernel": "ntk", "activation": "relu", "lam": 0.01, "n": 1, "target": "1:1,2:0.5"},
         "grid": {"n_exponent": [1.5, 2.0]}, "options": {"n_test": 100}}
    spec = parse_spec(spec_dict(k))
    run_sweep(spec, store=tmp_path / "st", executor="serial", progress=False)
    df = load_table(spec, store=tmp_path / "st")
    assert len(df) == 4
    for row in df.itertuples():
        s = KernelRidge("ntk", "relu", d=row.d, n=round(row.d ** row.n_exponent), lam=0.01, target="1:1,2:0.5")
        assert row.test_error_theory == krr_risk(s).test_error
        assert row.test_error_mean == simulate_krr_seed(s, 0, 100).test_error
    with pytest.raises(SpecError, match="n_exponent"):
        parse_spec(spec_dict({**k, "grid": {"n_exponent": [-1.0]}}))
