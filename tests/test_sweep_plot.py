"""``asym plot`` (asymptotics.validation.sweep.plot) on a tiny one-step sweep run in the test (~2 s)."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import pytest

from asymptotics.errors import InvalidParameterError
from asymptotics.validation.sweep import load_spec, load_table, run_sweep
from asymptotics.validation.sweep.plot import add_plot_parser, plot_table, run_plot_command, write_plot

SPEC = """
name = "tiny"
[[study]]
name = "eta"
family = "one_step"
d = [24, 32]
seeds = 2
[study.setting]
student = "tanh"
teacher = "tanh"
psi1 = 2
psi2 = 2
lam = 0.01
noise = 0.1
[study.grid]
eta = [0, 1, 2]
[study.options]
n_test = 300
"""


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    spec_path = root / "tiny.toml"
    spec_path.write_text(SPEC)
    store = root / "store"
    run_sweep(load_spec(str(spec_path)), store=str(store), executor="serial", progress=False)
    return spec_path, store, load_table(str(store))


def _parser():
    ap = argparse.ArgumentParser()
    add_plot_parser(ap.add_subparsers(dest="command"))
    return ap


def test_lines_and_dots_carry_the_table_numbers(swept):
    _, _, df = swept
    p = plot_table(df, "eta")
    try:
        assert len(p.lines) == 1  # one-step theory does not depend on d: one line
        (_, xs, ys), = p.lines
        th = df.drop_duplicates("eta").sort_values("eta")
        np.testing.assert_array_equal(xs, th["eta"].to_numpy(float))
        np.testing.assert_array_equal(ys, th["test_error_theory"].to_numpy(float))
        assert sorted(dv for _, dv, *_ in p.dots) == [24, 32]
        for _, dv, xd, means, sems in p.dots:
            rows = df[df["d"] == dv].sort_values("eta")
            np.testing.assert_array_equal(means, rows["test_error_mean"].to_numpy(float))
            np.testing.assert_array_equal(sems, rows["test_error_sem"].to_numpy(float))
    finally:
        p.close()


def test_hue_gives_one_colour_per_value(swept):
    _, _, df = swept
    p = plot_table(df, "eta", hue="d", y="train_error")
    try:
        assert {h for h, *_ in p.dots} == {24, 32}
        assert len(p.lines) == 2  # the same theory line drawn in each hue's colour
    finally:
        p.close()


def test_varying_columns_are_named_not_mixed(swept):
    _, _, df = swept
    with pytest.raises(InvalidParameterError, match="eta"):
        plot_table(df, "d")  # eta varies and is neither x nor hue
    with pytest.raises(InvalidParameterError, match="not in the table"):
        plot_table(df, "nope")
    with pytest.raises(InvalidParameterError, match="no 'risk_mean'"):
        plot_table(df, "eta", y="risk")
    with pytest.raises(InvalidParameterError, match="no row"):
        plot_table(df, "eta", where={"d": 999})
    with pytest.raises(InvalidParameterError, match="DataFrame"):
        plot_table([1, 2], "eta")


def test_categorical_x_and_where(swept):
    _, _, df = swept
    labelled = df.assign(label=df["eta"].map(lambda e: f"eta{e:g}")).drop(columns="eta")
    p = plot_table(labelled, "label", where={"d": "32"})
    try:
        (_, dv, xd, means, _), = p.dots
        assert dv == 32 and list(xd) == [0.0, 1.0, 2.0]
    finally:
        p.close()


def test_cli_writes_png_pdf_csv_and_the_spec(swept, tmp_path, capsys):
    spec_path, store, df = swept
    args = _parser().parse_args(["plot", str(store), "--x", "eta", "--hue", "d", "--out", str(tmp_path),
                                 "--stem", "fig"])
    assert run_plot_command(args) == 0
    out = capsys.readouterr().out
    for ext in ("png", "pdf", "csv", "json", "spec.toml"):
        assert (tmp_path / f"fig.{ext}").is_file() and f"fig.{ext}" in out
    assert (tmp_path / "fig.png").read_bytes()[:4] == b"\x89PNG"
    csv = pd.read_csv(tmp_path / "fig.csv")
    assert len(csv) == len(df) and set(csv["d"]) == {24, 32}
    config = json.loads((tmp_path / "fig.json").read_text())
    assert config["plot"]["x"] == "eta" and config["plot"]["hue"] == "d"
    assert "eta = [0, 1, 2]" in (tmp_path / "fig.spec.toml").read_text()


def test_cli_bad_input(swept, tmp_path):
    spec_path, store, _ = swept
    for argv, match in ((["plot", str(tmp_path / "missing"), "--x", "eta"], "no such"),
                        (["plot", str(store), "--x", "eta", "--where", "d"], "COLUMN=VALUE"),
                        (["plot", str(store), "--x", "eta", "--stem", "../x"], "stem")):
        with pytest.raises(InvalidParameterError, match=match):
            run_plot_command(_parser().parse_args(argv + ["--out", str(tmp_path)]))


def test_write_plot_from_a_dataframe_without_a_store(tmp_path):
    df = pd.DataFrame({"alpha": [0.5, 1.0, 2.0], "test_error_theory": [0.3, 0.2, 0.1]})
    p = plot_table(df, "alpha")
    paths = write_plot(p, tmp_path, "theory_only", spec={"name": "x"})
    assert "spec" not in paths and json.loads(open(paths["json"]).read())["spec"] == {"name": "x"}


def test_missing_hue_values_form_one_group():
    df = pd.DataFrame({"alpha": [1.0, 2.0, 1.0, 2.0], "model": ["srf", "srf", None, None],
                       "test_error_theory": [0.3, 0.2, 0.3, 0.2], "test_error_mean": [0.31, 0.21, 0.29, 0.19],
                       "test_error_sem": [0.01] * 4})
    p = plot_table(df, "alpha", hue="model")
    try:
        hues = [h for h, *_ in p.dots]
        assert len(hues) == 2 and hues[0] == "srf" and pd.isna(hues[1]) and len(p.lines) == 2
    finally:
        p.close()


def test_columns_zipped_with_the_hue_are_not_a_conflict():
    """ψ2 zipped with ψ1 (constant within each ψ1 group) labels the hue; λ varying inside a group is refused."""
    base = {"eta": [1.0, 2.0] * 2, "psi1": [2.0, 2.0, 4.0, 4.0], "psi2": [2.0, 2.0, 1.0, 1.0],
            "test_error_theory": [0.3, 0.2, 0.25, 0.15]}
    p = plot_table(pd.DataFrame(base), "eta", hue="psi1")
    try:
        assert len(p.lines) == 2
    finally:
        p.close()
    with pytest.raises(InvalidParameterError, match="psi2"):
        plot_table(pd.DataFrame(base), "eta")           # no hue: psi2 varies among the rows
    with pytest.raises(InvalidParameterError, match="lam"):
        plot_table(pd.DataFrame({**base, "lam": [0.1, 0.2, 0.1, 0.1]}), "eta", hue="psi1")
