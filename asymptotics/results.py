"""The shared core of every theory result: one vocabulary for the three families.

Every theory result (:class:`~asymptotics.one_step.theory.OneStepRisk`,
:class:`~asymptotics.spiked_rf.theory.SRFRisk`, :class:`~asymptotics.spiked_rf.heterogeneous.HeteroSRFRisk`,
:class:`~asymptotics.kernels.theory.KRRRisk`, :class:`~asymptotics.kernels.theory.KRRTransition`) is a
frozen dataclass with the core fields :data:`CORE_FIELDS`:

* ``test_error`` — E(f̂ − f*)², against the noise-free target;
* ``train_error`` — the mean squared training residual on the noisy labels;
* ``converged`` (bool), ``nit`` (int, 0 for closed forms), ``residual`` (float, 0.0 for closed forms) —
  the solver status, scipy-style;
* ``setting`` — the frozen setting it was computed for (``None`` only where no setting exists, e.g.
  KRR from raw Gegenbauer coefficients),

plus family-specific diagnostics.  :class:`TheoryResult` gives all of them the same ``to_dict()``
(every field, nested objects as dicts, the setting as ``setting.to_dict()``) and ``from_dict()``
(the inverse: ``type(r).from_dict(r.to_dict()) == r``).  docs/vocabulary.md lists every name.

>>> from asymptotics import OneStep, one_step_risk
>>> r = one_step_risk(OneStep("tanh", "tanh", psi1=2, psi2=2, lam=1e-2, eta=1))
>>> sorted(set(CORE_FIELDS) - set(r.to_dict()))
[]
>>> type(r).from_dict(r.to_dict()) == r
True
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, ClassVar

import numpy as np

from .errors import InvalidParameterError

__all__ = ["CORE_FIELDS", "TheoryResult", "plain"]

#: The fields every theory result has, under these names.
CORE_FIELDS = ("test_error", "train_error", "converged", "nit", "residual", "setting")


def plain(value: Any) -> Any:
    """``value`` as plain Python data for JSON: objects with ``to_dict`` become dicts, arrays and
    tuples lists, numpy scalars Python numbers (NaN and inf stay floats)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if type(value).__name__ == "Activation" and hasattr(value, "name"):
        return value.name  # by name, as in the settings' to_dict (no sympy expression built)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


class TheoryResult:
    """Mixin of the theory results: generic ``to_dict`` / ``from_dict`` over the dataclass fields.

    Subclasses (frozen dataclasses) declare ``_SETTING`` (the setting class, read back with its
    ``from_dict``), ``_NESTED`` ({field: reader of its dict}) and ``_DERIVED`` (properties written by
    ``to_dict`` for the reader's convenience and ignored by ``from_dict``).
    """

    _SETTING: ClassVar[Callable[[], type] | None] = None
    _NESTED: ClassVar[dict] = {}
    _DERIVED: ClassVar[tuple] = ()

    def to_dict(self) -> dict:
        out = {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}
        for name in self._DERIVED:
            out[name] = plain(getattr(self, name))
        return out

    @classmethod
    def from_dict(cls, d: dict):
        """The result whose :meth:`to_dict` is ``d`` (keys that are not fields, e.g. derived ones, are ignored)."""
        if not isinstance(d, dict):
            raise InvalidParameterError(f"{cls.__name__}.from_dict needs a dict, got {type(d).__name__}")
        kw = {}
        for f in dataclasses.fields(cls):
            if f.name not in d:
                continue
            v = d[f.name]
            if v is None:
                pass
            elif f.name == "setting" and cls._SETTING is not None:
                v = cls._SETTING().from_dict(v)
            elif f.name in cls._NESTED:
                v = cls._NESTED[f.name](v)
            elif isinstance(v, list):
                v = tuple(v)
            kw[f.name] = v
        missing = [f.name for f in dataclasses.fields(cls)
                   if f.name not in kw and f.default is dataclasses.MISSING
                   and f.default_factory is dataclasses.MISSING]
        if missing:
            raise InvalidParameterError(f"{cls.__name__}.from_dict: missing {', '.join(missing)}")
        return cls(**kw)
