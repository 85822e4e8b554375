"""Atomic result files and resumable, verified checkpoints for long sweeps.

Every result the package writes goes through :func:`write_atomic` (write to a temporary file in the
same directory, fsync, ``os.replace``), so a crash never leaves a half-written file.  A
:class:`Checkpoint` is a JSON file holding the sweep's full configuration and one record per finished
unit of work (e.g. one seed at one d); re-running the same sweep with the same configuration skips
the finished units, and a different configuration refuses to mix with an old file.

Checkpoint file format (``"format": "asymptotics-checkpoint/2"``)::

    {"format": "asymptotics-checkpoint/2",
     "config_hash": "<first 16 hex digits of config_sha256>",
     "config_sha256": "<sha256 of the canonical JSON of config>",
     "config": {...},
     "records": {"<key>": {"value": <JSON>, "config_sha256": "<...>", "sha256": "<...>"}, ...}}

where a record's ``sha256`` is :func:`record_checksum` of its key, value and configuration hash.
Loading verifies every checksum: a damaged or hand-edited file is a :class:`CheckpointError` naming
the file and the bad records (or, with ``on_corrupt="discard"``, a :class:`CheckpointWarning`, a
``.corrupt`` copy of the file, and the bad records recomputed).  Writers take an exclusive
``fcntl.flock`` on a sidecar ``<name>.lock`` file and re-read, merge and rewrite the file under it,
so two processes sharing one checkpoint lose no record.  Files of format 1 (no ``format`` field, no
checksums) are accepted with a warning and rewritten with checksums on opening.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - not a POSIX system: no cross-process locking
    fcntl = None

from asymptotics.errors import AsymptoticsError, InvalidParameterError

__all__ = [
    "write_atomic", "write_json", "write_figure", "config_hash", "config_sha256", "record_checksum",
    "Checkpoint", "CheckpointError", "CheckpointConfigError", "CheckpointWarning", "ensure_writable",
    "package_versions",
]


def write_atomic(path: "str | Path", data: "str | bytes") -> Path:
    """Write ``data`` to ``path`` atomically (temporary file + fsync + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; results are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _json_default(obj):
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"cannot serialize {type(obj).__name__}")


def dumps(obj: Any) -> str:
    """JSON text with numpy scalars/arrays and ``to_dict`` objects converted; NaN is refused."""
    return json.dumps(obj, indent=2, default=_json_default, allow_nan=False)


def write_json(path: "str | Path", obj: Any) -> Path:
    """Atomically write ``obj`` as JSON."""
    return write_atomic(path, dumps(obj) + "\n")


def write_figure(fig, out_dir: "str | Path", stem: str, csv_text: str, config: dict,
                 md: str | None = None, dpi: int = 200) -> dict:
    """Write a matplotlib figure as PNG and PDF with its CSV numbers, JSON configuration and
    optional Markdown table, each atomically; closes the figure and returns ``{ext: path}``."""
    import io

    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    paths = {}
    for ext in ("png", "pdf"):
        buf = io.BytesIO()
        fig.savefig(buf, format=ext, dpi=dpi)
        paths[ext] = str(write_atomic(out_dir / f"{stem}.{ext}", buf.getvalue()))
    plt.close(fig)
    paths["csv"] = str(write_atomic(out_dir / f"{stem}.csv", csv_text))
    paths["json"] = str(write_json(out_dir / f"{stem}.json", config))
    if md is not None:
        paths["md"] = str(write_atomic(out_dir / f"{stem}.md", md))
    return paths


def _config_text(config: dict) -> str:
    return json.dumps(config, sort_keys=True, default=_json_default)


def config_sha256(config: dict) -> str:
    """sha256 (hex) of the canonical JSON text of a configuration (sorted keys)."""
    return hashlib.sha256(_config_text(config).encode()).hexdigest()


def config_hash(config: dict) -> str:
    """Short stable hash of a JSON-serializable configuration: the first 16 digits of
    :func:`config_sha256`."""
    return config_sha256(config)[:16]


def record_checksum(key: str, value: Any, config_sha: str) -> str:
    """sha256 (hex) of one checkpoint record: the canonical JSON (sorted keys, no whitespace) of
    ``{"config_sha256": config_sha, "key": key, "value": value}``.  Covering the key and the
    configuration hash means a record moved to another key or copied from another sweep fails
    verification as surely as an edited value.

    >>> record_checksum("a", {"x": 1}, "0" * 64) == record_checksum("a", {"x": 1.0}, "0" * 64)
    False
    """
    text = json.dumps({"config_sha256": config_sha, "key": key, "value": value},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def package_versions() -> dict:
    """Versions of the libraries that determine the numbers (recorded next to every result)."""
    import platform

    import mpmath
    import numpy
    import scipy
    import sympy

    from asymptotics import __version__

    return {
        "asymptotics": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "sympy": sympy.__version__,
        "mpmath": mpmath.__version__,
    }


# --------------------------------------------------------------------------------------------
# checkpoints

FORMAT = "asymptotics-checkpoint/2"
_RECORD_FIELDS = {"value", "config_sha256", "sha256"}


class CheckpointError(AsymptoticsError, ValueError):
    """A checkpoint file cannot be used: unreadable, not a checkpoint, corrupt records, or a path
    that cannot be written.  ``path`` is the file; ``bad`` maps each bad record's key to the reason
    (empty when the whole file is unusable)."""

    def __init__(self, message: str, path: "Path | None" = None, bad: "dict[str, str] | None" = None):
        super().__init__(message)
        self.path = path
        self.bad = dict(bad or {})


class CheckpointConfigError(CheckpointError, InvalidParameterError):
    """The checkpoint file was written by a sweep with a different configuration."""


class CheckpointWarning(UserWarning):
    """A checkpoint was repaired: legacy records accepted unverified, or corrupt records discarded."""


def ensure_writable(path: "str | Path | None") -> "Path | None":
    """Check up front that a checkpoint can be written at ``path``; returns it as a :class:`Path`
    (``None`` passes through).

    Raises :class:`CheckpointError` when ``path`` is a directory or another non-regular file, when
    a component of its parent is a regular file, or when the directory that will hold it (or, if
    that does not exist yet, the nearest existing ancestor, in which it would be created) is not
    writable.  The parent directory itself is probed by creating and removing a temporary file, so
    read-only file systems and ACLs are caught as well as permission bits.

    >>> import tempfile
    >>> ensure_writable(tempfile.mkdtemp())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    asymptotics.validation.store.CheckpointError: checkpoint path ... is a directory; give a file name inside it, e.g. .../checkpoint.json
    """
    if path is None:
        return None
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"checkpoint path {path} is a directory; give a file name inside it, "
                              f"e.g. {path / 'checkpoint.json'}", path)
    if path.exists() and not path.is_file():
        raise CheckpointError(f"checkpoint path {path} exists and is not a regular file", path)
    parent = path.absolute().parent
    anc = parent
    while not anc.exists() and anc != anc.parent:
        anc = anc.parent
    if not anc.is_dir():
        raise CheckpointError(f"checkpoint path {path}: {anc} is not a directory", path)
    if anc == parent:
        try:
            fd, probe = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".probe")
        except OSError as exc:
            raise CheckpointError(f"checkpoint path {path}: cannot write in {parent} "
                                  f"({exc.strerror or exc})", path) from None
        os.close(fd)
        os.unlink(probe)
    elif not os.access(anc, os.W_OK | os.X_OK):
        raise CheckpointError(f"checkpoint path {path}: cannot create {parent} "
                              f"({anc} is not writable)", path)
    return path


@contextlib.contextmanager
def _exclusive_lock(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``lock_path`` (created on demand, removed on release).

    Removing the lock file on release is safe because a waiter that wakes up holding a lock on a
    file that is no longer the one at ``lock_path`` drops it and tries again.
    """
    if fcntl is None:  # pragma: no cover
        yield
        return
    lock_path.parent.mkdir(parents=True, exist_ok=True)  # a checkpoint in a directory not made yet
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            mine = os.fstat(fd)
            try:
                now = os.stat(lock_path)
            except FileNotFoundError:
                now = None
        except BaseException:
            os.close(fd)
            raise
        if now is not None and (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino):
            break
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock_path)
        os.close(fd)  # releases the lock


def _signature(path: Path):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class Checkpoint:
    """Records of finished work units, verified on loading and persisted atomically after each one.

    Parameters
    ----------
    path : str or Path or None
        The JSON file (``None``: keep records in memory only).  Checked with :func:`ensure_writable`.
    config : dict
        The sweep's full configuration; a file written for another configuration is refused
        (:class:`CheckpointConfigError`, also an ``InvalidParameterError``).
    on_corrupt : {"raise", "discard"}
        What to do with a file that is not valid JSON / not a checkpoint, or with records whose
        checksum or configuration hash does not verify: ``"raise"`` a :class:`CheckpointError`
        naming the file and the bad records, or ``"discard"`` them (with a :class:`CheckpointWarning`
        and a copy of the old file at ``<name>.corrupt``) so that they are recomputed.

    Several processes may share one file: each write happens under an exclusive lock on
    ``<name>.lock`` and merges the records already on disk, so no record is lost; a key written by
    two processes keeps the first value.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ck.json"
    >>> ck = Checkpoint(p, {"sweep": "demo"})
    >>> ck.get_or_compute("a", lambda: {"x": 1})
    {'x': 1}
    >>> Checkpoint(p, {"sweep": "demo"}).get_or_compute("a", lambda: 1 / 0)   # resumed, not recomputed
    {'x': 1}
    """

    def __init__(self, path: "str | Path | None", config: dict, on_corrupt: str = "raise"):
        if on_corrupt not in ("raise", "discard"):
            raise InvalidParameterError(f"on_corrupt must be 'raise' or 'discard', not {on_corrupt!r}")
        self.path = ensure_writable(path)
        self.config = config
        self.on_corrupt = on_corrupt
        try:
            self.config_sha256 = config_sha256(config)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(f"checkpoint configuration is not JSON-serializable: {exc}") from None
        self.hash = self.config_sha256[:16]
        self.records: dict[str, Any] = {}
        self._seen = None  # signature of the file as last read or written by us
        if self.path is not None:
            self._sync({})

    @staticmethod
    def check_writable(path: "str | Path | None") -> "Path | None":
        """Same as :func:`ensure_writable` (for callers holding only the class)."""
        return ensure_writable(path)

    @property
    def lock_path(self) -> "Path | None":
        return None if self.path is None else self.path.with_name(self.path.name + ".lock")

    def __contains__(self, key: str) -> bool:
        return key in self.records

    def __len__(self) -> int:
        return len(self.records)

    def get_or_compute(self, key: str, compute: Callable[[], Any]) -> Any:
        """The stored record for ``key``, or ``compute()`` stored (and saved) under it."""
        if not isinstance(key, str):
            raise InvalidParameterError(f"checkpoint keys are strings, not {type(key).__name__}")
        if key not in self.records and self.path is not None and _signature(self.path) != self._seen:
            self._sync({})  # another process may have finished this unit meanwhile
        if key not in self.records:
            value = json.loads(dumps(compute()))
            if self.path is None:
                self.records[key] = value
            else:
                self._sync({key: value})
        return self.records[key]

    def save(self) -> None:
        """Write every record held in memory (merged with those already in the file)."""
        if self.path is not None:
            self._sync(dict(self.records), force=True)

    # ---------------------------------------------------------------- internals

    def _sync(self, new: dict, force: bool = False) -> None:
        """Under the lock: read and verify the file, add ``new`` records it lacks, rewrite it if
        anything changed (new records, legacy format, discarded records), adopt its records."""
        with _exclusive_lock(self.lock_path):
            if _signature(self.path) == self._seen and self._seen is not None:
                disk, dirty = dict(self.records), False
            else:
                disk, dirty = self._read()
            for key, value in new.items():
                if key not in disk:
                    disk[key] = value
                    dirty = True
            if dirty or force:
                self._write(disk)
            self.records = disk
            self._seen = _signature(self.path)

    def _write(self, records: dict) -> None:
        c = self.config_sha256
        doc = {
            "format": FORMAT,
            "config_hash": self.hash,
            "config_sha256": c,
            "config": self.config,
            "records": {k: {"value": v, "config_sha256": c, "sha256": record_checksum(k, v, c)}
                        for k, v in records.items()},
        }
        write_json(self.path, doc)

    def _corrupt(self, raw: bytes, what: str, bad: "dict[str, str] | None" = None) -> None:
        """Raise, or (``on_corrupt="discard"``) keep a copy of the file and warn."""
        listing = ""
        if bad:
            items = [f"{k!r} ({why})" for k, why in list(bad.items())[:10]]
            listing = ": " + ", ".join(items) + (f", ... ({len(bad) - 10} more)" if len(bad) > 10 else "")
        if self.on_corrupt == "raise":
            raise CheckpointError(
                f"checkpoint {self.path}: {what}{listing}; pass on_corrupt='discard' to drop "
                f"{'them' if bad else 'its records'} and recompute, or delete the file", self.path, bad)
        backup = self.path.with_name(self.path.name + ".corrupt")
        n = 1
        while backup.exists():
            backup = self.path.with_name(f"{self.path.name}.corrupt.{n}")
            n += 1
        write_atomic(backup, raw)
        warnings.warn(f"checkpoint {self.path}: {what}{listing}; discarded (they will be recomputed), "
                      f"old file kept as {backup}", CheckpointWarning, stacklevel=4)

    def _read(self) -> "tuple[dict, bool]":
        """Verified records of the file and whether it must be rewritten."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}, False
        except OSError as exc:
            raise CheckpointError(f"checkpoint {self.path}: cannot read ({exc.strerror or exc})", self.path) from None
        try:
            saved = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            what = "empty file" if not raw.strip() else f"not valid JSON (truncated or damaged: {exc})"
            self._corrupt(raw, what)
            return {}, True
        if not (isinstance(saved, dict) and isinstance(saved.get("records"), dict)
                and isinstance(saved.get("config_hash"), str)):
            self._corrupt(raw, "valid JSON but not a checkpoint (expected an object with "
                               "'config_hash', 'config' and 'records')")
            return {}, True
        fmt = saved.get("format")
        if fmt is None:
            return self._read_legacy(saved), True
        if fmt != FORMAT:
            raise CheckpointError(f"checkpoint {self.path} has format {fmt!r}; this version reads "
                                  f"{FORMAT!r} and legacy files", self.path)
        if saved.get("config_sha256") != self.config_sha256:
            if saved.get("config_hash") == self.hash:  # same short hash, damaged long one
                self._corrupt(raw, "header damaged (config_sha256 does not match config_hash)")
                return {}, True
            raise CheckpointConfigError(f"checkpoint {self.path} was written for a different configuration; "
                                        "delete it or choose another path", self.path)
        try:
            header_ok = config_sha256(saved.get("config")) == self.config_sha256
        except (TypeError, ValueError):
            header_ok = False
        if not header_ok:
            self._corrupt(raw, "its 'config' block does not match its config_sha256 (edited?)")
            return {}, True
        good, bad = {}, {}
        for key, rec in saved["records"].items():
            bad_why = self._check_record(key, rec)
            if bad_why:
                bad[key] = bad_why
            else:
                good[key] = rec["value"]
        if bad:
            self._corrupt(raw, f"{len(bad)} of {len(saved['records'])} records fail verification", bad)
        return good, bool(bad)

    def _check_record(self, key: str, rec: Any) -> "str | None":
        if not isinstance(rec, dict) or set(rec) != _RECORD_FIELDS:
            return "not a record {value, config_sha256, sha256}"
        if rec["config_sha256"] != self.config_sha256:
            return "written for a different configuration"
        try:
            ok = rec["sha256"] == record_checksum(key, rec["value"], rec["config_sha256"])
        except (TypeError, ValueError):  # NaN/Infinity typed into the file
            ok = False
        return None if ok else "checksum mismatch: edited or damaged"

    def _read_legacy(self, saved: dict) -> dict:
        if saved["config_hash"] != self.hash:
            raise CheckpointConfigError(f"checkpoint {self.path} was written for a different configuration; "
                                        "delete it or choose another path", self.path)
        records = saved["records"]
        warnings.warn(f"checkpoint {self.path} has no checksums (written by an older version): its "
                      f"{len(records)} records are accepted unverified and the file is rewritten with checksums",
                      CheckpointWarning, stacklevel=5)
        return dict(records)
