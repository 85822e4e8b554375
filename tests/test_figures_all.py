"""``asym figure --all``: asymptotics.validation.figures_all (dispatch, progress lines, checkpoints, resume).

The real panels take minutes even at the quick size, so the dispatch is tested with a stand-in panel
function; one real panel (3b, quick size shrunk further through make_figure's overrides) checks that
make_figure writes the four files and that a second run resumes from the checkpoint.
"""

from __future__ import annotations

import io
import json

import pytest

from asymptotics.errors import InvalidParameterError
from asymptotics.validation import figures_all
from asymptotics.validation.figures_all import PANELS, default_checkpoint, figure_stem, make_figure, regenerate_all


class _Fake:
    def __init__(self, fail_on=None):
        self.calls, self.fail_on = [], fail_on

    def __call__(self, panel, out_dir, *, quick, checkpoint, progress, recompute):
        self.calls.append(dict(panel=panel, quick=quick, checkpoint=checkpoint, progress=progress))
        if panel == self.fail_on:
            raise RuntimeError("boom")
        path = out_dir / f"{figure_stem(panel)}.png"
        path.write_text("png")
        with open(checkpoint, "w") as fh:  # a panel writes its records as it goes
            json.dump({"panel": panel}, fh)
        return {"png": str(path)}, None


def test_regenerate_all_runs_every_panel_in_order_with_one_line_each(tmp_path):
    fake, stream = _Fake(), io.StringIO()
    runs = regenerate_all(tmp_path / "figs", quick=True, stream=stream, make=fake)
    assert [r.panel for r in runs] == list(PANELS) == [c["panel"] for c in fake.calls]
    assert all(c["quick"] for c in fake.calls)
    assert [c["checkpoint"] for c in fake.calls] == [str(default_checkpoint(p, tmp_path / "figs", True)) for p in PANELS]
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 * len(PANELS)
    assert lines[0].startswith(f"[figure 1/{len(PANELS)}] 3a: quick size")
    assert lines[-1].startswith(f"[figure {len(PANELS)}/{len(PANELS)}] escape-exponents: done in")
    assert all(r.paths["png"].endswith(".png") for r in runs)


def test_regenerate_all_resumes_from_the_checkpoints(tmp_path):
    fake = _Fake(fail_on="giant-sin")
    with pytest.raises(RuntimeError):
        regenerate_all(tmp_path, quick=True, stream=io.StringIO(), make=fake)
    assert [c["panel"] for c in fake.calls] == ["3a", "3b", "giant-tanh", "giant-sin"]
    stream = io.StringIO()
    regenerate_all(tmp_path, quick=True, panels=("3a", "escape"), stream=stream, make=_Fake())
    text = stream.getvalue()
    assert "3a: quick size (resuming from its checkpoint)" in text
    assert "escape: quick size ..." in text  # no checkpoint yet


def test_quick_and_full_use_different_checkpoints():
    assert default_checkpoint("3a", "x", True) != default_checkpoint("3a", "x", False)
    assert {figure_stem(p) for p in PANELS} == {"fig3a", "fig3b", "fig_giant_tanh", "fig_giant_sin", "fig_giant_eta",
                                                  "krr_staircase", "escape_kernel", "escape_exponents"}


@pytest.mark.parametrize("bad", ["3c", "", None, 3])
def test_bad_panel_is_a_specific_error(tmp_path, bad):
    with pytest.raises(InvalidParameterError, match="panel"):
        regenerate_all(tmp_path, panels=[bad], make=_Fake())
    with pytest.raises(InvalidParameterError, match="panel"):
        make_figure(bad, tmp_path)


def test_out_dir_that_is_a_file_is_an_error(tmp_path):
    f = tmp_path / "file"
    f.write_text("")
    with pytest.raises(InvalidParameterError, match="not a directory"):
        regenerate_all(f, make=_Fake())


def test_full_escape_exponents_assembles_a_copy_of_the_recorded_checkpoint(tmp_path, monkeypatch):
    recorded = tmp_path / "recorded.ckpt.json"
    recorded.write_text('{"recorded": true}')
    monkeypatch.setattr(figures_all, "_RECORDED_ESCAPE", recorded)
    seen = {}

    def make(panel, out_dir, **kw):
        seen["ckpt"] = open(kw["checkpoint"]).read()
        return {}, None

    regenerate_all(tmp_path / "out", panels=["escape-exponents"], stream=io.StringIO(), make=make)
    assert seen["ckpt"] == '{"recorded": true}' and recorded.read_text() == '{"recorded": true}'


def test_make_figure_writes_a_real_panel_and_resumes(tmp_path):
    kw = dict(quick=True, d=24, seeds=1, n_test=200, checkpoint=str(tmp_path / "c.json"))
    paths, data = make_figure("3b", tmp_path, **kw)
    assert sorted(paths) == ["csv", "json", "pdf", "png"]
    first = open(paths["csv"]).read()
    paths2, _ = make_figure("3b", tmp_path, **kw)  # all records from the checkpoint: same table
    assert open(paths2["csv"]).read() == first
