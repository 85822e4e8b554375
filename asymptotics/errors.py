"""Exceptions raised by the package.

Every error is a subclass of :class:`AsymptoticsError` so that callers (and the CLI, which turns
them into a one-line message with exit status 2) can catch the whole family at once.  Each
subclass also derives from the matching built-in (``ValueError`` ...) so generic handlers work.
"""

from __future__ import annotations


class AsymptoticsError(Exception):
    """Base class of every error raised on purpose by this package."""


class InvalidParameterError(AsymptoticsError, ValueError):
    """A ratio, ridge, noise level or other numeric input is outside its domain."""


class UnknownActivationError(AsymptoticsError, KeyError):
    """The name is neither a registry entry nor a parsable sympy expression in ``z``."""

    def __str__(self) -> str:  # KeyError quotes its message; we want plain text
        return str(self.args[0]) if self.args else ""


class ActivationError(AsymptoticsError, ValueError):
    """The activation parses but cannot be used (not square-integrable, wrong variable, ...)."""


class ExpressionError(UnknownActivationError, ActivationError):
    """An expression string is outside the whitelist grammar of :mod:`asymptotics.expressions`
    (unknown name or function, attribute access, too long / too deep, oversized power, ...).

    Both an :class:`UnknownActivationError` (the text is not a usable activation name) and an
    :class:`ActivationError`; nothing in the text was executed.
    """


class DegenerateActivationError(AsymptoticsError, ValueError):
    """A Hermite constant the formula divides by (e.g. μ1) vanishes for this activation."""


class RootFindingError(AsymptoticsError, RuntimeError):
    """A scalar root could not be bracketed or located."""


class ConvergenceError(AsymptoticsError, RuntimeError):
    """An iterative solver stopped before reaching its tolerance.

    The solver's result object (with ``residual``, ``nit``, ...) is attached as ``result``.
    """

    def __init__(self, message: str, result: object | None = None):
        super().__init__(message)
        self.result = result


class ResourceError(InvalidParameterError):
    """The requested sizes need more memory than the package's limit (see :mod:`asymptotics.limits`).

    Raised *before* allocating; the message states the estimate and the limit.
    """
