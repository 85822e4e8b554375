"""Memory budget: estimate what a computation will allocate and refuse it *before* allocating.

Every simulation entry point (one-step, giant-step, sRF, KRR, lazy models, beyond-kernel training)
and every quadrature / spectrum whose size the caller chooses asks :func:`check_memory` first, with
an estimate of its largest simultaneous arrays.  Relying on ``MemoryError`` is not an option: on
Linux with overcommit a too-large request is often granted and the process is killed later.

The limit is a fraction (:data:`DEFAULT_FRACTION`) of the machine's physical memory, read portably
with ``os.sysconf``; it can be overridden by the environment variable :data:`ENV_VAR` (bytes, with
an optional K/M/G/T suffix, e.g. ``ASYM_MEMORY_LIMIT=2G``) or, inside a process, by
:func:`set_memory_limit`.

>>> check_memory("a 10x10 matrix", array_bytes((10, 10)))
800
>>> check_memory("W", 1e15, limit=2**30)
Traceback (most recent call last):
...
asymptotics.errors.ResourceError: W needs about 909.5 TiB of memory, over the limit of 1 GiB (set ASYM_MEMORY_LIMIT to change it)
"""

from __future__ import annotations

import math
import os
from typing import Iterable

from .errors import InvalidParameterError, ResourceError

__all__ = [
    "ENV_VAR",
    "DEFAULT_FRACTION",
    "physical_memory",
    "memory_limit",
    "set_memory_limit",
    "array_bytes",
    "check_memory",
    "format_bytes",
    "ridge_fit_bytes",
]

#: Environment variable overriding the limit (bytes, optional K/M/G/T suffix, powers of 1024).
ENV_VAR = "ASYM_MEMORY_LIMIT"
#: Fraction of physical memory one computation may use by default.
DEFAULT_FRACTION = 0.5
#: Used when the platform does not report its physical memory.
_FALLBACK_BYTES = 4 * 2**30

_override: int | None = None
_SUFFIX = {"": 1, "B": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def physical_memory() -> int | None:
    """Physical memory in bytes (``SC_PHYS_PAGES × SC_PAGE_SIZE``), or None if unknown."""
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        size = os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    if pages <= 0 or size <= 0:
        return None
    return int(pages) * int(size)


def _parse_bytes(text: str) -> int:
    s = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = s[-1:] if s[-1:] in _SUFFIX else ""
    try:
        value = float(s[: len(s) - len(unit)] if unit else s)
    except ValueError:
        raise InvalidParameterError(f"{ENV_VAR} must be a size like 4G or 2000000000, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise InvalidParameterError(f"{ENV_VAR} must be a positive size, got {text!r}")
    return int(value * _SUFFIX[unit])


def memory_limit() -> int:
    """Bytes one computation may allocate: :func:`set_memory_limit`, else ``$ASYM_MEMORY_LIMIT``, else
    :data:`DEFAULT_FRACTION` of physical memory."""
    if _override is not None:
        return _override
    env = os.environ.get(ENV_VAR)
    if env:
        return _parse_bytes(env)
    phys = physical_memory()
    return int(DEFAULT_FRACTION * (phys if phys else _FALLBACK_BYTES))


def set_memory_limit(nbytes: "int | str | None") -> int | None:
    """Set the process-wide limit (bytes or a string like ``"2G"``); None restores the default.

    Returns the previous override (None if there was none), so callers can restore it.
    """
    global _override
    previous = _override
    if nbytes is None:
        _override = None
    elif isinstance(nbytes, str):
        _override = _parse_bytes(nbytes)
    else:
        if isinstance(nbytes, bool) or not isinstance(nbytes, (int, float)) or not (nbytes > 0 and math.isfinite(nbytes)):
            raise InvalidParameterError(f"memory limit must be a positive number of bytes, got {nbytes!r}")
        _override = int(nbytes)
    return previous


def array_bytes(*shapes: Iterable[float], itemsize: int = 8) -> float:
    """Bytes of float64 arrays of the given shapes (a float: huge sizes must not overflow)."""
    total = 0.0
    for shape in shapes:
        n = 1.0
        for k in shape:
            try:
                n *= float(k)
            except OverflowError:  # an int beyond the float range
                n = math.inf
        total += n
    return total * itemsize


def format_bytes(nbytes: float) -> str:
    """``1536`` → ``'1.5 KiB'``."""
    x = float(nbytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(x) < 1024 or unit == "PiB":
            return f"{x:.0f} {unit}" if unit == "B" or x == int(x) else f"{x:.1f} {unit}"
        x /= 1024
    return f"{x:.3g} PiB"  # pragma: no cover


def check_memory(what: str, nbytes: float, limit: int | None = None) -> int:
    """Return the estimate (bytes, int) or raise :class:`ResourceError` if it exceeds the limit.

    ``what`` names the computation in the message (e.g. ``"simulate_one_step at d=512 (N=1024, n=1024)"``).
    """
    lim = memory_limit() if limit is None else int(limit)
    est = float(nbytes)
    if not (est <= lim):  # also catches nan / inf estimates
        need = f"about {format_bytes(est)}" if math.isfinite(est) else "an unbounded amount"
        raise ResourceError(
            f"{what} needs {need} of memory, over the limit of {format_bytes(lim)} (set {ENV_VAR} to change it)"
        )
    return int(est)


def ridge_fit_bytes(n: float, p: float) -> float:
    """Peak bytes of a ridge fit on an n×p feature matrix: Φ, its Gram matrix and an SVD fallback
    (a copy of Φ and min(n, p)² factors)."""
    n, p = _safe_float(n), _safe_float(p)
    k = min(n, p)
    return array_bytes((n, p), (n, p), (k, k), (k, k), (max(n, p), 4))


def _safe_float(x) -> float:
    try:
        return float(x)
    except OverflowError:
        return math.inf
