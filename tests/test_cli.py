"""The `asym` command line: JSON contracts and one-line errors with exit status 2."""

import json
import re
import subprocess
import sys

import pytest

from asymptotics.validation.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_hermite_json_float(capsys):
    code, out, _ = run(capsys, "hermite", "tanh", "--order", "5", "--json")
    assert code == 0
    d = json.loads(out)
    assert len(d["coefficients"]) == 6
    for key in ("mu0", "mu1", "mu_star", "norm2", "method"):
        assert key in d
    assert d["mu1"] == pytest.approx(0.6057055096021588, abs=1e-12)
    assert d["coefficients"][1] == pytest.approx(d["mu1"], abs=1e-12)


def test_hermite_json_digits_are_strings(capsys):
    code, out, _ = run(capsys, "hermite", "tanh", "--order", "3", "--digits", "30", "--json")
    d = json.loads(out)
    assert code == 0
    assert isinstance(d["mu1"], str) and d["mu1"].startswith("0.60570550960215882558")
    assert isinstance(d["norm2"], str)


def test_risk_one_step_single_and_list(capsys):
    base = ["risk", "one-step", "--student", "tanh", "--teacher", "tanh", "--psi1", "2", "--psi2", "2",
            "--lam", "0.01", "--noise", "0.1", "--json"]
    code, out, _ = run(capsys, *base, "--eta", "4")
    d = json.loads(out)
    assert code == 0
    for key in ("test_error", "train_error", "lower_bound", "alignment", "effective_ridge", "test_error_rf",
                "improvement", "converged", "nit", "residual", "setting"):
        assert key in d
    assert d["test_error"] == pytest.approx(0.1056, abs=6e-5)
    code, out, _ = run(capsys, *base, "--eta", "0,1,2,4")
    lst = json.loads(out)
    assert [round(x["test_error"], 4) for x in lst] == [0.1285, 0.1251, 0.1178, 0.1056]


def test_risk_large_step(capsys):
    code, out, _ = run(capsys, "risk", "large-step", "--student", "erf", "--teacher", "erf", "--json")
    d = json.loads(out)
    assert d["kappa_star"] == pytest.approx(3**0.5, abs=1e-5) and d["tau_star"] < 1e-12


def test_simulate_json(capsys):
    code, out, _ = run(capsys, "simulate", "one-step", "--psi1", "1", "--psi2", "1", "--eta", "1",
                       "--d", "32", "--seeds", "2", "--n-test", "500", "--json")
    d = json.loads(out)
    assert code == 0
    for key in ("test_error_mean", "test_error_sem", "train_error_mean", "train_error_sem", "d", "seeds", "per_seed"):
        assert key in d
    assert d["d"] == 32 and d["seeds"] == [0, 1] and len(d["per_seed"]) == 2


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["risk", "one-step", "--psi1", "-1"], "psi1"),
        (["risk", "one-step", "--lam", "-0.1"], "lam"),
        (["risk", "one-step", "--student", "nonsense_fn"], "nonsense_fn"),
        (["risk", "one-step", "--teacher", "exp(z**2)"], "square-integrable"),
        (["risk", "one-step", "--student", "tanh("], "unknown activation"),
        (["risk", "one-step", "--student", "cos"], "mu1"),
        (["risk", "one-step", "--psi1", "1,2", "--eta", "1,2"], "only one parameter"),
        (["risk", "one-step", "--psi1", "abc"], "number"),
        (["risk", "one-step", "--psi1", "1", "--psi2", "1", "--lam", "0"], "interpolation"),
        (["hermite", "tanh", "--order", "-1"], "order"),
        (["simulate", "one-step", "--d", "1"], "d"),
    ],
)
def test_bad_input_one_line_exit_2(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("asym: error:")
    assert needle in lines[0]


def test_module_entry_point_and_argparse_errors():
    r = subprocess.run([sys.executable, "-m", "asymptotics", "risk", "one-step", "--psi2", "0", "--json"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "psi2" in r.stderr
    r = subprocess.run([sys.executable, "-m", "asymptotics", "nosuchcommand"], capture_output=True, text=True)
    assert r.returncode == 2


def test_risk_krr_json_list(capsys):
    code, out, _ = run(capsys, "risk", "krr", "--kernel", "ntk", "--activation", "relu", "--d", "20",
                       "--n", "50,800", "--lam", "0.01", "--target", "1:1,2:0.5", "--noise", "0.1", "--json")
    assert code == 0
    lst = json.loads(out)
    assert len(lst) == 2 and lst[1]["test_error"] < lst[0]["test_error"]
    code, _, err = run(capsys, "risk", "krr", "--d", "2", "--n", "5")
    assert code == 2 and err.startswith("asym: error:")


# ---------------------------------------------------------------- giant step (issue 3)

_GS = ["--student", "tanh", "--teacher", "sin", "--alpha0", "20", "--eta-tilde", "3", "--lam", "0.1"]


def test_risk_giant_step_json_contract_and_list(capsys):
    code, out, _ = run(capsys, "risk", "giant-step", *_GS, "--alpha", "3", "--width-ratio", "1", "--json")
    d = json.loads(out)
    assert code == 0
    assert set(d) == {"test_error", "train_error", "order_parameters", "srf", "converged", "nit", "nfev",
                      "residual", "method", "backend", "setting", "validity"}
    assert set(d["srf"]) == {"r", "c", "gamma"} and d["converged"] is True
    assert d["test_error"] == pytest.approx(0.0325, abs=6e-5)  # docs/theory/spiked-rf.md §9.1 large-d value
    code, out, _ = run(capsys, "risk", "giant-step", *_GS, "--alpha", "0.2,1.6,3", "--json")
    assert [round(x["test_error"], 3) for x in json.loads(out)] == [0.048, 0.037, 0.033]
    code, out, _ = run(capsys, "risk", "giant-step", "--alpha", "1", "--backend", "finite", "--d", "100", "--json")
    assert code == 0 and json.loads(out)["converged"] is True
    code, out, _ = run(capsys, "risk", "giant-step", "--r", "0", "--c", "1", "--gamma", "0.5", "--json")
    assert json.loads(out)["srf"] == {"r": 0.0, "c": 1.0, "gamma": 0.5}


def test_risk_giant_step_not_converged_exit_3(capsys, monkeypatch):
    """A fixed point that did not converge: complete strict JSON with converged: false and null,
    one warning line naming the point with residual and nit, exit status 3 (never 0)."""
    import asymptotics.spiked_rf.theory as srf

    real = srf.srf_risk
    monkeypatch.setattr(srf, "srf_risk", lambda *a, **k: real(*a, **{**k, "maxiter": 1}))
    code, out, err = run(capsys, "risk", "giant-step", "--alpha", "1", "--json")
    d = json.loads(out)  # strict JSON: no NaN
    assert code == 3 and d["converged"] is False and d["test_error"] is None
    assert "test_error" in d["non_finite"] and d["residual"] > 0
    assert "NaN" not in out
    (line,) = err.strip().splitlines()
    assert line.startswith("asym: warning: 1 of 1 points did not converge: the setting (residual ")
    assert re.search(r"nit \d+\)$", line)
    code, out, err = run(capsys, "risk", "giant-step", "--alpha", "1")  # text table says NO
    assert code == 3 and " NO " in out and "did not converge" in err


@pytest.mark.parametrize("model", ["giant-step", "srf"])
def test_simulate_giant_step_json(capsys, model):
    code, out, _ = run(capsys, "simulate", model, "--d", "24", "--seeds", "2", "--n-test", "300",
                       "--alpha", "0.5,1", "--json")
    lst = json.loads(out)
    assert code == 0 and len(lst) == 2
    for d in lst:
        for key in ("test_error_mean", "test_error_sem", "train_error_mean", "train_error_sem", "seeds", "per_seed"):
            assert key in d
        assert d["model"] == ("network" if model == "giant-step" else "srf") and d["seeds"] == [0, 1]
    assert lst[0]["per_seed"][0]["measured"] is not None if model == "giant-step" else True


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["risk", "giant-step", "--alpha", "-1"], "alpha"),
        (["risk", "giant-step", "--alpha", "1,2", "--lam", "1,2"], "only one parameter"),
        (["risk", "giant-step", "--backend", "finite"], "--d"),
        (["risk", "giant-step", "--d", "100"], "--d"),
        (["risk", "giant-step", "--r", "1"], "together"),
        (["risk", "giant-step", "--r", "1", "--c", "-1", "--gamma", "0"], "c must"),
        (["risk", "giant-step", "--lam", "0", "--alpha", "0.5"], "lam = 0"),
        (["simulate", "giant-step", "--d", "1"], "d"),
        (["simulate", "srf", "--seeds", "x"], "seeds"),
        (["simulate", "giant-step", "--r", "1", "--c", "1", "--gamma", "0"], "srf"),
        (["compare", "giant-step", "--settings", "nope"], "unknown settings"),
    ],
)
def test_giant_step_bad_input_one_line_exit_2(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("asym: error:") and needle in lines[0]


def test_simulate_krr_json(capsys):
    code, out, _ = run(capsys, "simulate", "krr", "--d", "8", "--n", "40", "--target", "1:1",
                       "--lam", "0.01", "--seeds", "2", "--n-test", "200", "--json")
    d = json.loads(out)
    assert code == 0
    assert d["test_error_mean"] >= 0 and len(d["per_seed"]) == 2
    code, _, err = run(capsys, "simulate", "krr", "--d", "8", "--n", "40", "--model", "rf", "--m", "5")
    assert code == 2 and "lazy model" in err


def test_compare_giant_step_states_dropped_seeds(capsys, tmp_path, monkeypatch):
    """Per-instance theory that failed on one of two seeds: the column is averaged over the other,
    and the command says so (exit 3, warning, Markdown note, CSV column, JSON key)."""
    import csv
    import io

    import asymptotics.validation.giant_step.comparison as compare

    real = compare._giant_seed_records

    def records(setting, d, seed, alphas, model, n_test):
        out = real(setting, d, seed, alphas, model, n_test)
        if seed == 0:
            out = [{**r, "test_error_finite_d": None, "train_error_finite_d": None} for r in out]
        return out

    monkeypatch.setattr(compare, "_giant_seed_records", records)
    code, out, err = run(capsys, "compare", "giant-step", "--model", "srf", "--settings", "tanh p/d=1", "--d", "8",
                         "--seeds", "2", "--n-test", "50", "--alpha", "1", "--out", str(tmp_path), "--json")
    assert code == 3
    (line,) = err.strip().splitlines()
    assert line.startswith("asym: warning: the 'finite-d theory on W0' column averages only the seeds")
    assert "d=8: 1 of 2" in line
    d = json.loads(out)
    assert d["rows"][0]["instance_seeds_dropped"] == 1
    assert "Note: the 'finite-d theory on W0' column" in (tmp_path / "compare_giant_step_srf.md").read_text()
    (row,) = csv.DictReader(io.StringIO((tmp_path / "compare_giant_step_srf.csv").read_text()))
    assert row["instance_seeds_dropped"] == "1"


def test_interrupt_exit_130_one_line(capsys, monkeypatch):
    import asymptotics.validation.cli.one_step as cli

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "one_step_risk", interrupted)
    code, out, err = run(capsys, "risk", "one-step")
    assert code == 130 and out == "" and err == "asym: interrupted\n"


def test_help_epilog_states_exit_status(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "exit status:" in out and "did not converge" in out and "130" in out


def test_compare_one_seed_table_has_no_inf(capsys, tmp_path):
    """With one seed the SEM is 0 and the z-score undefined: n/a in the table (null in JSON), not inf."""
    code, out, err = run(capsys, "compare", "one-step", "--d", "8", "--seeds", "1", "--n-test", "50",
                         "--no-finite-d", "--out", str(tmp_path))
    assert code == 0 and err == ""
    assert not re.search(r"\|\s*[+-]?(inf|nan)\s*\|", out, re.IGNORECASE) and "| n/a |" in out
    assert (tmp_path / "compare_one_step.md").read_text().strip() == out.strip()


# --- step size on either scale; heterogeneous sRF; escape exponents ------------------------------

def test_risk_one_step_large_step_scale_names_its_regime(capsys):
    """--eta-tilde gives the heterogeneous-sRF large-step risk, equal to the library call."""
    from asymptotics import OneStep, large_step_risk

    base = ("risk", "one-step", "--student", "erf", "--teacher", "erf", "--psi1", "8", "--psi2", "2",
            "--lam", "1e-3", "--noise", "0.1")
    code, out, _ = run(capsys, *base, "--eta-tilde", "1,2", "--json")
    assert code == 0
    rows = json.loads(out)
    want = large_step_risk(OneStep("erf", "erf", psi1=8, psi2=2, lam=1e-3, eta=1, noise=0.1), 2.0)
    assert [r["eta_tilde"] for r in rows] == [1.0, 2.0]
    assert rows[1]["test_error"] == pytest.approx(want.test_error, rel=1e-12)
    assert all(r["regime"].startswith("large step") for r in rows)
    code, out, _ = run(capsys, *base, "--eta", "2", "--json")
    assert code == 0 and json.loads(out)["regime"].startswith("small step")


def test_risk_one_step_both_scales_is_an_error(capsys):
    code, out, err = run(capsys, "risk", "one-step", "--eta", "1", "--eta-tilde", "2")
    assert code == 2 and out == "" and err.startswith("asym: error: give the step size on one scale")


def test_risk_hetero_srf_matches_library_and_reduces_to_giant_step(capsys):
    """A homogeneous law through the CLI equals `risk giant-step` at the same (r, c, γ)."""
    common = ("--student", "tanh", "--teacher", "tanh", "--alpha", "1.5", "--lam", "0.01")
    code, out, _ = run(capsys, "risk", "hetero-srf", *common, "--law", "homogeneous:0.7,1.1", "--gamma", "0.5",
                       "--json")
    assert code == 0
    het = json.loads(out)
    code, out, _ = run(capsys, "risk", "giant-step", *common, "--r", "0.7", "--c", "1.1", "--gamma", "0.5",
                       "--json")
    assert code == 0
    assert het["test_error"] == pytest.approx(json.loads(out)["test_error"], rel=1e-8)


@pytest.mark.parametrize("law", ["bogus:1", "two-point:1", "gaussian:1,2,3,4,5,6", "two-point:1,nan",
                                 "mixture:1,2", "homogeneous"])
def test_risk_hetero_srf_bad_law_is_one_line(capsys, law):
    code, out, err = run(capsys, "risk", "hetero-srf", "--law", law, "--gamma", "0.5")
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("asym: error: --law")


def test_figure_escape_exponents_quick(capsys, tmp_path):
    code, out, _ = run(capsys, "figure", "escape-exponents", "--quick", "--out", str(tmp_path), "--json")
    assert code in (0, 3)
    paths = json.loads(out)
    assert {p.rsplit(".", 1)[1] for p in paths.values()} >= {"png", "pdf", "csv", "json"}


def test_risk_giant_step_states_where_the_theory_is_not_exact(capsys):
    """A point in the measured finite-batch-bulk region is labelled 'inaccurate' (JSON and text)."""
    base = ("risk", "giant-step", "--student", "tanh", "--teacher", "tanh", "--alpha", "3", "--lam", "0.01")
    code, out, _ = run(capsys, *base, "--alpha0", "0.5", "--eta-tilde", "4", "--json")
    assert code == 0 and json.loads(out)["validity"]["status"] == "inaccurate"
    code, out, _ = run(capsys, *base, "--alpha0", "2", "--eta-tilde", "1")
    assert code == 0 and "validity (validated)" in out


def test_simulate_takes_a_list_of_d(capsys):
    """--d accepts a comma list (one result per d, each equal to its single-d run); with another list: exit 2."""
    code, out, err = run(capsys, "simulate", "one-step", "--eta", "1", "--d", "16,24", "--seeds", "2",
                         "--n-test", "100", "--json")
    assert code == 0 and err == ""
    both = json.loads(out)
    assert [r["d"] for r in both] == [16, 24]
    code, out, _ = run(capsys, "simulate", "one-step", "--eta", "1", "--d", "24", "--seeds", "2",
                       "--n-test", "100", "--json")
    assert json.loads(out)["test_error_mean"] == both[1]["test_error_mean"]
    code, out, err = run(capsys, "simulate", "giant-step", "--d", "16,24", "--alpha", "1,2", "--seeds", "1")
    assert code == 2 and out == "" and err.startswith("asym: error: only one parameter may be a list")
