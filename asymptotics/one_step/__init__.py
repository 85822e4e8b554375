"""The one-step family (Ba et al. 2022): Gaussian-equivalent risk after one first-layer step, then ridge.

Theory in :mod:`asymptotics.one_step.theory` (docs/theory/one-step.md).
"""

from . import theory
from .theory import *  # noqa: F401,F403  (each module's __all__)


#: this family's curve (the same signature in every family): ``curve(setting, parameter, values, **options)``
curve = one_step_curve

__all__ = theory.__all__ + ["curve"]
