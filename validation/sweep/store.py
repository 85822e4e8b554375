"""The sweep result store: a directory with one checksummed JSON record per run.

Layout::

    <root>/store.json                      {"format": "asymptotics-sweep-store/1"}
    <root>/spec.json, <root>/spec.toml     the last spec run into this store (load_table(root) uses it)
    <root>/records/<key[:2]>/<key>.json    one record per run (theory: per configuration; simulation:
                                           per configuration, d and seed)

A record (``"format": "asymptotics-sweep-record/1"``)::

    {"format": ..., "key": "<sha256 of the run payload>", "run": <payload: kind, family, configuration,
     d, seed>, "status": "ok" | "failed", "results": {"rows": [...]} | null, "error": null | "message",
     "wall_time": seconds, "versions": {package versions}, "sha256": "<checksum>"}

``sha256`` is the sha256 of the canonical JSON (sorted keys, no whitespace) of every other field.
Records are written atomically (:func:`asymptotics.validation.store.write_atomic`: temporary file,
fsync, rename), so a process killed at any moment leaves either a complete record or none (plus at
worst a hidden temporary file, ignored and cleaned).  Reading verifies the format, the checksum, that
the key is the hash of the stored run and that the file name is the key: a record that fails is never
used — :meth:`Store.get` raises :class:`StoreCorruptError` naming the file, or with
``on_corrupt="recompute"`` moves it to ``<key>.json.corrupt`` and reports the run as not done.

Several processes (local workers, Dask workers on a shared file system) write to one store: each run
has its own file, so there is nothing to lock; two writers of the same run write the same numbers.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from asymptotics.errors import AsymptoticsError, InvalidParameterError

from ..store import package_versions, write_atomic
from .spec import Spec, run_key

__all__ = ["Store", "StoreError", "StoreCorruptError", "default_store_path", "record_checksum",
           "STORE_FORMAT", "RECORD_FORMAT"]

STORE_FORMAT = "asymptotics-sweep-store/1"
RECORD_FORMAT = "asymptotics-sweep-record/1"
_FIELDS = {"format", "key", "run", "status", "results", "error", "wall_time", "versions", "sha256"}
#: Directory of the default stores, relative to the working directory.
DEFAULT_ROOT = "asym-sweeps"


class StoreError(AsymptoticsError, ValueError):
    """The store directory cannot be used (not a store, not writable, ...)."""


class StoreCorruptError(StoreError):
    """A record failed verification; ``path`` is the file, ``reason`` why."""

    def __init__(self, message: str, path: "Path | None" = None, reason: str = ""):
        super().__init__(message)
        self.path = path
        self.reason = reason


_VERSIONS: "dict | None" = None


def _versions() -> dict:
    """:func:`asymptotics.validation.store.package_versions`, read once per process."""
    global _VERSIONS
    if _VERSIONS is None:
        _VERSIONS = package_versions()
    return dict(_VERSIONS)


def default_store_path(spec: Spec) -> Path:
    """``asym-sweeps/<spec name>`` in the working directory."""
    return Path(DEFAULT_ROOT) / spec.name


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=False)


def record_checksum(record: dict) -> str:
    """sha256 (hex) of the canonical JSON of a record without its ``sha256`` field."""
    return hashlib.sha256(_canonical({k: v for k, v in record.items() if k != "sha256"}).encode()).hexdigest()


class Store:
    """A sweep result store rooted at a directory (created on first write).

    Parameters
    ----------
    root : str or Path
    on_corrupt : {"raise", "recompute"}
        A record failing verification raises :class:`StoreCorruptError`, or is moved aside (``.corrupt``)
        and counted as not done, so that the sweep recomputes it.

    >>> import tempfile
    >>> st = Store(tempfile.mkdtemp())
    >>> payload = {"schema": 1, "kind": "theory", "family": "demo", "configuration": {}, "d": None, "seed": None}
    >>> key = st.put(payload, {"rows": [{"test_error": 0.5}]}, wall_time=0.1)
    >>> st.get(key)["results"]["rows"]
    [{'test_error': 0.5}]
    """

    def __init__(self, root: "str | Path", on_corrupt: str = "raise"):
        if on_corrupt not in ("raise", "recompute"):
            raise InvalidParameterError(f"on_corrupt must be 'raise' or 'recompute', not {on_corrupt!r}")
        self.root = Path(root)
        self.on_corrupt = on_corrupt
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"store {self.root} exists and is not a directory")
        meta = self.root / "store.json"
        if self.root.is_dir() and any(self.root.iterdir()) and not meta.is_file():
            raise StoreError(f"{self.root} is a non-empty directory that is not a sweep store "
                             f"(no store.json); choose another --store")
        if meta.is_file():
            try:
                fmt = json.loads(meta.read_text()).get("format")
            except (OSError, ValueError, AttributeError):
                fmt = None
            if fmt != STORE_FORMAT:
                raise StoreError(f"{meta}: not a store of format {STORE_FORMAT!r} (damaged or newer)")
        self._versions = None

    # ------------------------------------------------------------ setup

    def ensure(self) -> "Store":
        """Create the directory and its ``store.json`` (checks that it can be written)."""
        meta = self.root / "store.json"
        if not meta.is_file():
            try:
                write_atomic(meta, json.dumps({"format": STORE_FORMAT}) + "\n")
            except OSError as exc:
                raise StoreError(f"cannot write the store {self.root}: {exc.strerror or exc}") from None
        probe = self.root / "records"
        try:
            probe.mkdir(exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot write the store {self.root}: {exc.strerror or exc}") from None
        if not os.access(probe, os.W_OK | os.X_OK):
            raise StoreError(f"cannot write the store {self.root}: {probe} is not writable")
        return self

    def save_spec(self, spec: Spec) -> None:
        """Keep the spec next to the records (``spec.json``, and ``spec.toml`` when read from a file)."""
        self.ensure()
        write_atomic(self.root / "spec.json", json.dumps(spec.to_dict(), indent=2, sort_keys=False) + "\n")
        if spec.source is not None:
            write_atomic(self.root / "spec.toml", spec.source)
        else:  # a spec given as data: no stale TOML of an earlier sweep next to it
            (self.root / "spec.toml").unlink(missing_ok=True)

    def load_spec(self) -> Spec:
        """The spec saved by the last sweep into this store."""
        from .spec import parse_spec

        path = self.root / "spec.json"
        try:
            doc = json.loads(path.read_text())
        except FileNotFoundError:
            raise StoreError(f"{self.root} holds no spec.json (not a sweep store, or nothing was run yet)") from None
        except (OSError, ValueError) as exc:
            raise StoreError(f"{path}: cannot read ({exc})") from None
        toml = self.root / "spec.toml"
        spec = parse_spec(doc)
        if toml.is_file():
            spec = Spec(spec.name, spec.description, spec.studies, toml.read_text())
        return spec

    # ------------------------------------------------------------ records

    def path_of(self, key: str) -> Path:
        return self.root / "records" / key[:2] / f"{key}.json"

    def put(self, payload: dict, results: "dict | None", wall_time: float, status: str = "ok",
            error: "str | None" = None) -> str:
        """Write the record of a finished run atomically; returns its key."""
        if status not in ("ok", "failed"):
            raise InvalidParameterError(f"status must be 'ok' or 'failed', got {status!r}")
        if self._versions is None:
            self._versions = _versions()
        key = run_key(payload)
        rec = {"format": RECORD_FORMAT, "key": key, "run": payload, "status": status, "results": results,
               "error": error, "wall_time": float(wall_time), "versions": self._versions}
        rec["sha256"] = record_checksum(rec)
        write_atomic(self.path_of(key), _canonical(rec) + "\n")
        return key

    def _bad(self, path: Path, reason: str) -> None:
        if self.on_corrupt == "raise":
            raise StoreCorruptError(f"store record {path} is corrupt ({reason}); it is not used: delete it, or "
                                    "re-run with on_corrupt='recompute' (CLI: --recompute-corrupt)", path, reason)
        target = path.with_name(path.name + ".corrupt")
        n = 1
        while target.exists():
            target = path.with_name(f"{path.name}.corrupt.{n}")
            n += 1
        try:
            os.replace(path, target)
        except FileNotFoundError:
            pass

    def get(self, key: str) -> "dict | None":
        """The verified record of run ``key``, or None if the run is not done (or its record was
        corrupt and ``on_corrupt="recompute"``)."""
        path = self.path_of(key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
        reason = self._verify(raw, key)
        if reason:
            self._bad(path, reason)
            return None
        return json.loads(raw)

    @staticmethod
    def _verify(raw: bytes, key: str) -> "str | None":
        if not raw.strip():
            return "empty file"
        try:
            rec = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            return f"not valid JSON: {exc}"
        if not isinstance(rec, dict) or set(rec) != _FIELDS:
            return "not a record (wrong fields)"
        if rec.get("format") != RECORD_FORMAT:
            return f"format {rec.get('format')!r}, expected {RECORD_FORMAT!r}"
        try:
            if rec["sha256"] != record_checksum(rec):
                return "checksum mismatch: edited or damaged"
            if run_key(rec["run"]) != rec["key"]:
                return "the key is not the hash of the stored run"
        except (TypeError, ValueError):
            return "unreadable values (NaN or a wrong type)"
        if rec["key"] != key:
            return f"holds the record of another run ({rec['key'][:12]}...)"
        if rec["status"] == "ok" and not (isinstance(rec["results"], dict) and isinstance(rec["results"].get("rows"), list)):
            return "no result rows"
        return None

    def done(self, key: str) -> bool:
        """Whether run ``key`` has a valid record (ok or failed)."""
        return self.get(key) is not None

    def keys(self) -> list:
        """Keys of every record file in the store (not verified; hidden temporary files skipped)."""
        base = self.root / "records"
        if not base.is_dir():
            return []
        out = []
        for sub in sorted(base.iterdir()):
            if sub.is_dir():
                out.extend(p.name[:-5] for p in sorted(sub.iterdir())
                           if p.name.endswith(".json") and not p.name.startswith("."))
        return out

    def clean_temporary(self, older_than: float = 3600.0) -> int:
        """Remove temporary files left by killed writers (older than ``older_than`` seconds, so a
        writer still running is not disturbed); returns how many."""
        base = self.root / "records"
        n = 0
        if not base.is_dir():
            return 0
        now = time.time()
        for sub in base.iterdir():
            if not sub.is_dir():
                continue
            for p in sub.iterdir():
                if p.name.startswith(".") and p.name.endswith(".tmp"):
                    try:
                        if now - p.stat().st_mtime > older_than:
                            p.unlink()
                            n += 1
                    except FileNotFoundError:
                        pass
        return n
