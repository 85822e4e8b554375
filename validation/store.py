"""Atomic result files and resumable checkpoints for long sweeps.

Every result the package writes goes through :func:`write_atomic` (write to a temporary file in the
same directory, fsync, ``os.replace``), so a crash never leaves a half-written file.  A
:class:`Checkpoint` is a JSON file holding the sweep's full configuration and one record per finished
unit of work (e.g. one seed at one d); re-running the same sweep with the same configuration skips
the finished units, and a different configuration refuses to mix with an old file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

from asymptotics.errors import InvalidParameterError

__all__ = ["write_atomic", "write_json", "write_figure", "config_hash", "Checkpoint", "package_versions"]


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


def config_hash(config: dict) -> str:
    """Short stable hash of a JSON-serializable configuration."""
    text = json.dumps(config, sort_keys=True, default=_json_default)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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


class Checkpoint:
    """Records of finished work units, persisted atomically after each one.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ck.json"
    >>> ck = Checkpoint(p, {"sweep": "demo"})
    >>> ck.get_or_compute("a", lambda: {"x": 1})
    {'x': 1}
    >>> Checkpoint(p, {"sweep": "demo"}).get_or_compute("a", lambda: 1 / 0)   # resumed, not recomputed
    {'x': 1}
    """

    def __init__(self, path: "str | Path | None", config: dict):
        self.path = Path(path) if path is not None else None
        self.config = config
        self.hash = config_hash(config)
        self.records: dict[str, Any] = {}
        if self.path is not None and self.path.exists():
            saved = json.loads(self.path.read_text())
            if saved.get("config_hash") != self.hash:
                raise InvalidParameterError(
                    f"checkpoint {self.path} was written for a different configuration; "
                    "delete it or choose another path"
                )
            self.records = saved.get("records", {})

    def __contains__(self, key: str) -> bool:
        return key in self.records

    def get_or_compute(self, key: str, compute: Callable[[], Any]) -> Any:
        """The stored record for ``key``, or ``compute()`` stored (and saved) under it."""
        if key not in self.records:
            self.records[key] = json.loads(dumps(compute()))
            self.save()
        return self.records[key]

    def save(self) -> None:
        if self.path is not None:
            write_json(
                self.path,
                {"config_hash": self.hash, "config": self.config, "records": self.records},
            )
