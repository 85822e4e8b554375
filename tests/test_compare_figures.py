"""Comparison tables, figures with their CSV/config, checkpoints and atomic writes."""

import csv
import io
import json

import pytest

from asymptotics import OneStep
from asymptotics.errors import InvalidParameterError
from asymptotics.validation.one_step.comparison import compare_one_step
from asymptotics.validation.one_step.figures import one_step_figure_data, panel, write_one_step_figure
from asymptotics.validation.store import Checkpoint, write_json

S = OneStep("tanh", "tanh", psi1=1, psi2=1, lam=1e-2, eta=1, noise=0.1)


def test_compare_table_and_resume(tmp_path):
    ck = tmp_path / "ck.json"
    t1 = compare_one_step([S], ds=(24, 48), seeds=2, n_test=500, checkpoint=ck)
    assert [r.d for r in t1.rows] == [24, 48]
    saved = json.loads(ck.read_text())
    assert len(saved["records"]) == 4 and saved["config"]["ds"] == [24, 48]
    # resumed: identical numbers without recomputation
    t2 = compare_one_step([S], ds=(24, 48), seeds=2, n_test=500, checkpoint=ck)
    assert [r.test_error_mean for r in t2.rows] == [r.test_error_mean for r in t1.rows]
    with pytest.raises(InvalidParameterError, match="different configuration"):
        compare_one_step([S], ds=(24,), seeds=3, n_test=500, checkpoint=ck)
    md = t1.to_markdown()
    assert md.count("\n") == 3 and "±" in md
    rows = list(csv.DictReader(io.StringIO(t1.to_csv())))
    assert float(rows[0]["test_error_theory"]) == pytest.approx(t1.rows[0].test_error_theory)
    r = t1.rows[0]
    assert r.rel_gap == pytest.approx((r.test_error_mean - r.test_error_theory) / r.test_error_theory)
    json.dumps(t1.to_dict(), allow_nan=False)


def test_figure_files_written_with_config(tmp_path):
    spec = panel("3b", quick=True)
    spec = type(spec)(spec.name, spec.base, spec.x, spec.theory_grid[::10], (0.5, 2.0), (0.0, 2.0), spec.xlabel)
    data = one_step_figure_data(spec, d=32, seeds=2, n_test=300)
    paths = write_one_step_figure(data, tmp_path)
    assert set(paths) == {"png", "pdf", "csv", "json"}
    for p in paths.values():
        assert (tmp_path / p.split("/")[-1]).stat().st_size > 0
    cfg = json.loads((tmp_path / "fig3b.json").read_text())
    assert cfg["d"] == 32 and cfg["seeds"] == [0, 1] and cfg["panel"]["x"] == "psi2"
    rows = list(csv.DictReader(io.StringIO((tmp_path / "fig3b.csv").read_text())))
    assert sum(r["kind"] == "simulation" for r in rows) == 4
    assert sum(r["kind"] == "theory" for r in rows) == 2 * len(spec.theory_grid)


def test_checkpoint_and_atomic_json(tmp_path):
    p = tmp_path / "x.json"
    write_json(p, {"a": 1})
    assert json.loads(p.read_text()) == {"a": 1}
    with pytest.raises(ValueError):
        write_json(p, {"a": float("nan")})
    assert json.loads(p.read_text()) == {"a": 1}  # the failed write left the old file intact
    assert not [f for f in tmp_path.iterdir() if f.name.endswith(".tmp")]
    ck = Checkpoint(tmp_path / "ck.json", {"k": 1})
    calls = []
    ck.get_or_compute("u", lambda: calls.append(1) or {"v": 2})
    Checkpoint(tmp_path / "ck.json", {"k": 1}).get_or_compute("u", lambda: calls.append(1) or {"v": 3})
    assert calls == [1]
