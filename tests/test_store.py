"""Checkpoints that cannot be silently wrong: verified records, corrupt files, concurrent writers,
unwritable paths, legacy files, and SIGKILL + resume."""

import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

import asymptotics
from asymptotics.errors import AsymptoticsError, InvalidParameterError
from asymptotics.validation.kernels.simulation import KernelRidge, simulate_krr
from asymptotics.validation.store import (
    FORMAT,
    Checkpoint,
    CheckpointConfigError,
    CheckpointError,
    CheckpointWarning,
    config_sha256,
    ensure_writable,
    record_checksum,
)

ROOT = Path(__file__).resolve().parents[1]
CFG = {"sweep": "test", "ds": [8, 16]}


def _filled(path, n=3, cfg=CFG):
    ck = Checkpoint(path, cfg)
    for i in range(n):
        ck.get_or_compute(f"k{i}", lambda i=i: {"i": i, "x": 0.1 * i})
    return ck


def _strict(*args, **kw):
    """Open a checkpoint with every warning turned into an error (none is expected)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return Checkpoint(*args, **kw)


# ------------------------------------------------------------------ format and round trip


def test_record_format_and_checksums(tmp_path):
    p = tmp_path / "ck.json"
    _filled(p)
    saved = json.loads(p.read_text())
    c = config_sha256(CFG)
    assert saved["format"] == FORMAT and saved["config_sha256"] == c and saved["config_hash"] == c[:16]
    assert saved["config"] == CFG and len(saved["records"]) == 3
    rec = saved["records"]["k2"]
    assert rec["value"] == {"i": 2, "x": 0.2} and rec["config_sha256"] == c
    assert rec["sha256"] == record_checksum("k2", {"i": 2, "x": 0.2}, c)
    assert _strict(p, CFG).records == {f"k{i}": {"i": i, "x": 0.1 * i} for i in range(3)}
    assert not (tmp_path / "ck.json.lock").exists()  # the lock file is removed on release


def test_checksum_covers_key_value_and_config():
    c = config_sha256(CFG)
    base = record_checksum("k", {"x": 0.2}, c)
    assert base != record_checksum("k", {"x": 0.2000000000000001}, c)
    assert base != record_checksum("k2", {"x": 0.2}, c)
    assert base != record_checksum("k", {"x": 0.2}, config_sha256({**CFG, "ds": [8]}))


def test_bad_arguments(tmp_path):
    with pytest.raises(InvalidParameterError, match="on_corrupt"):
        Checkpoint(tmp_path / "ck.json", CFG, on_corrupt="ignore")
    with pytest.raises(InvalidParameterError, match="strings"):
        Checkpoint(tmp_path / "ck.json", CFG).get_or_compute(3, lambda: 1)


# ------------------------------------------------------------------ corrupt files


def _corrupt_file_cases(p):
    full = p.read_bytes()
    return {
        "truncated": (full[: len(full) // 2], "not valid JSON"),
        "empty": (b"", "empty file"),
        "garbage": (b"\x00\xff\xfe\x13garbage\x80", "not valid JSON"),
        "list": (b"[1, 2, 3]\n", "not a checkpoint"),
        "records-not-dict": (json.dumps({"config_hash": "x", "config": {}, "records": []}).encode(), "not a checkpoint"),
        "no-config-hash": (json.dumps({"records": {}}).encode(), "not a checkpoint"),
    }


@pytest.mark.parametrize("case", ["truncated", "empty", "garbage", "list", "records-not-dict", "no-config-hash"])
def test_corrupt_file_is_a_clear_error_or_discarded(tmp_path, case):
    p = tmp_path / "ck.json"
    _filled(p)
    bad, message = _corrupt_file_cases(p)[case]
    p.write_bytes(bad)
    with pytest.raises(CheckpointError, match=message) as err:
        Checkpoint(p, CFG)
    assert isinstance(err.value, AsymptoticsError) and err.value.path == p and str(p) in str(err.value)
    assert "on_corrupt='discard'" in str(err.value)
    assert p.read_bytes() == bad  # raising leaves the file untouched
    # discard: a warning, a copy of the damaged bytes, and every unit is recomputed
    with pytest.warns(CheckpointWarning, match="discarded"):
        ck = Checkpoint(p, CFG, on_corrupt="discard")
    assert ck.records == {} and (tmp_path / "ck.json.corrupt").read_bytes() == bad
    calls = []
    ck.get_or_compute("k0", lambda: calls.append(1) or {"i": 0})
    assert calls == [1] and _strict(p, CFG).records == {"k0": {"i": 0}}


def test_hand_edited_value_is_caught_and_only_it_recomputed(tmp_path):
    p = tmp_path / "ck.json"
    _filled(p)
    saved = json.loads(p.read_text())
    saved["records"]["k1"]["value"]["x"] = 0.12  # a plausible-looking edit
    p.write_text(json.dumps(saved, indent=2))
    with pytest.raises(CheckpointError, match="checksum mismatch") as err:
        Checkpoint(p, CFG)
    assert err.value.bad == {"k1": "checksum mismatch: edited or damaged"} and "'k1'" in str(err.value)
    with pytest.warns(CheckpointWarning, match="'k1'"):
        ck = Checkpoint(p, CFG, on_corrupt="discard")
    calls = []
    for i in range(3):
        ck.get_or_compute(f"k{i}", lambda i=i: calls.append(i) or {"i": i, "x": 0.1 * i})
    assert calls == [1]
    assert _strict(p, CFG).records["k1"] == {"i": 1, "x": 0.1}


def test_edited_checksum_nan_and_malformed_records(tmp_path):
    p = tmp_path / "ck.json"
    _filled(p, n=4)
    saved = json.loads(p.read_text())
    saved["records"]["k0"]["sha256"] = "0" * 64
    saved["records"]["k1"] = {"i": 1, "x": 0.1}  # a bare value: not a record
    text = json.dumps(saved).replace('"x": 0.2', '"x": NaN')  # k2
    p.write_text(text)
    with pytest.raises(CheckpointError, match="3 of 4 records") as err:
        Checkpoint(p, CFG)
    assert set(err.value.bad) == {"k0", "k1", "k2"} and "not a record" in err.value.bad["k1"]


def test_record_from_another_configuration(tmp_path):
    p, q = tmp_path / "ck.json", tmp_path / "other.json"
    _filled(p)
    _filled(q, cfg={**CFG, "ds": [8]})
    saved, other = json.loads(p.read_text()), json.loads(q.read_text())
    saved["records"]["k2"] = other["records"]["k2"]  # valid checksum, but for another sweep
    p.write_text(json.dumps(saved))
    with pytest.raises(CheckpointError) as err:
        Checkpoint(p, CFG)
    assert err.value.bad == {"k2": "written for a different configuration"}


def test_edited_config_block(tmp_path):
    p = tmp_path / "ck.json"
    _filled(p)
    saved = json.loads(p.read_text())
    saved["config"]["ds"] = [8, 32]
    p.write_text(json.dumps(saved))
    with pytest.raises(CheckpointError, match="'config' block"):
        Checkpoint(p, CFG)


def test_different_configuration_is_refused_even_with_discard(tmp_path):
    p = tmp_path / "ck.json"
    _filled(p)
    before = p.read_bytes()
    for mode in ("raise", "discard"):
        with pytest.raises(CheckpointConfigError, match="different configuration") as err:
            Checkpoint(p, {**CFG, "ds": [8]}, on_corrupt=mode)
        assert isinstance(err.value, InvalidParameterError)
    assert p.read_bytes() == before


def test_unknown_future_format_is_not_touched(tmp_path):
    p = tmp_path / "ck.json"
    _filled(p)
    saved = json.loads(p.read_text())
    saved["format"] = "asymptotics-checkpoint/99"
    p.write_text(json.dumps(saved))
    with pytest.raises(CheckpointError, match="checkpoint/99"):
        Checkpoint(p, CFG, on_corrupt="discard")


# ------------------------------------------------------------------ unwritable paths, up front


def test_directory_path_is_an_error_before_work(tmp_path):
    with pytest.raises(CheckpointError, match="is a directory"):
        ensure_writable(tmp_path)
    with pytest.raises(CheckpointError, match="is a directory"):
        Checkpoint(tmp_path, CFG)
    with pytest.raises(CheckpointError, match="is a directory"):
        Checkpoint.check_writable(str(tmp_path))
    assert list(tmp_path.iterdir()) == []  # nothing was created


def test_path_under_a_regular_file_is_an_error(tmp_path):
    f = tmp_path / "a_file"
    f.write_text("x")
    for p in (f / "ck.json", f / "sub" / "ck.json"):
        with pytest.raises(CheckpointError, match="is not a directory"):
            ensure_writable(p)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permission bits")
def test_read_only_directory_is_an_error(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        for p in (ro / "ck.json", ro / "new" / "ck.json"):
            with pytest.raises(CheckpointError, match="cannot"):
                ensure_writable(p)
    finally:
        ro.chmod(0o755)


def test_writable_paths_pass_and_create_nothing(tmp_path):
    assert ensure_writable(None) is None
    assert ensure_writable(tmp_path / "ck.json") == tmp_path / "ck.json"
    assert ensure_writable(str(tmp_path / "a" / "b" / "ck.json")) == tmp_path / "a" / "b" / "ck.json"
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ legacy files (format 1)


def test_committed_legacy_checkpoint_is_migrated(tmp_path):
    src = ROOT / "results" / "kernels" / "krr_staircase.ckpt.json"
    legacy = json.loads(src.read_text())
    assert "format" not in legacy  # still the old format: the case this test is about
    p = tmp_path / "krr.ckpt.json"
    shutil.copy(src, p)
    with pytest.warns(CheckpointWarning, match=f"no checksums.*{len(legacy['records'])} records"):
        ck = Checkpoint(p, legacy["config"])
    assert ck.records == legacy["records"]
    saved = json.loads(p.read_text())
    assert saved["format"] == FORMAT and saved["config_hash"] == legacy["config_hash"]
    assert _strict(p, legacy["config"]).records == legacy["records"]  # verified now, no warning
    shutil.copy(src, p)
    with pytest.raises(CheckpointConfigError):
        Checkpoint(p, {**legacy["config"], "lam": 0.1})


# ------------------------------------------------------------------ several processes, one file


def _writer(path, tag, n, barrier):
    barrier.wait()
    ck = Checkpoint(path, CFG)
    for i in range(n):
        ck.get_or_compute(f"{tag}{i}", lambda i=i: {"tag": tag, "i": i})
        ck.get_or_compute(f"shared{i}", lambda i=i: {"tag": tag, "i": i})


def test_two_concurrent_writers_lose_nothing(tmp_path):
    """Two processes write interleaved records (own keys and common keys) to one checkpoint.
    With the lock disabled this test fails (3 of 3 runs lost records)."""
    p, n = tmp_path / "ck.json", 30
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_writer, args=(p, tag, n, barrier)) for tag in "ab"]
    for pr in procs:
        pr.start()
    for pr in procs:
        pr.join(60)
    assert [pr.exitcode for pr in procs] == [0, 0]
    records = _strict(p, CFG).records
    assert set(records) == {f"{t}{i}" for t in ("a", "b", "shared") for i in range(n)}
    assert all(records[f"{t}{i}"] == {"tag": t, "i": i} for t in "ab" for i in range(n))
    assert not (tmp_path / "ck.json.lock").exists()


def test_second_process_adopts_a_unit_finished_meanwhile(tmp_path):
    p = tmp_path / "ck.json"
    one, two = Checkpoint(p, CFG), Checkpoint(p, CFG)
    one.get_or_compute("u", lambda: 1)
    assert two.get_or_compute("u", lambda: 2) == 1


# ------------------------------------------------------------------ SIGKILL mid-sweep, then resume

_CHILD = textwrap.dedent("""
    import sys, time
    from asymptotics.validation.kernels.simulation import KernelRidge, simulate_krr
    from asymptotics.validation.store import Checkpoint

    class Slow(Checkpoint):  # leave the parent time to kill us mid-sweep
        def get_or_compute(self, key, compute):
            return super().get_or_compute(key, lambda: (time.sleep(0.03), compute())[1])

    s = KernelRidge("rf", "relu", d=6, n=40, lam=0.1, noise=0.1, target="1:1")
    simulate_krr(s, seeds=40, n_test=100, checkpoint=Slow(sys.argv[1], {"x": 1}))
""")


def test_sigkill_mid_sweep_then_resume_is_identical(tmp_path):
    s = KernelRidge("rf", "relu", d=6, n=40, lam=0.1, noise=0.1, target="1:1")
    p = tmp_path / "ck.json"
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(p)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and child.poll() is None:
            if p.exists() and len(json.loads(p.read_text())["records"]) >= 3:
                break
            time.sleep(0.005)
        assert child.poll() is None, "the sweep ended before it could be killed"
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    done = len(_strict(p, {"x": 1}).records)
    assert 3 <= done < 40
    resumed = simulate_krr(s, seeds=40, n_test=100, checkpoint=_strict(p, {"x": 1}))
    fresh = simulate_krr(s, seeds=40, n_test=100, checkpoint=Checkpoint(tmp_path / "fresh.json", {"x": 1}))
    assert resumed.to_dict() == fresh.to_dict()
    assert json.loads(p.read_text()) == json.loads((tmp_path / "fresh.json").read_text())


# ------------------------------------------------------------------ test setup


def test_tests_import_the_working_tree(request):
    """pytest's ``pythonpath = ["."]`` makes a second checkout test its own code, not the installed copy."""
    assert Path(asymptotics.__file__).resolve().is_relative_to(Path(request.config.rootpath).resolve())


def test_checkpoint_in_a_directory_not_made_yet(tmp_path):
    """The first record of a checkpoint whose directory does not exist creates it (lock file included)."""
    from asymptotics.validation.store import Checkpoint

    path = tmp_path / "new" / "deeper" / "ck.json"
    ck = Checkpoint(path, {"a": 1})
    assert ck.get_or_compute("k", lambda: 3) == 3
    assert path.exists() and Checkpoint(path, {"a": 1}).get_or_compute("k", lambda: 4) == 3
