"""The kernel-regime family (Nichani et al. 2022): dot-product kernels, KRR on the sphere, sample complexities.

Theory in :mod:`asymptotics.kernels.theory`, sample complexities in
:mod:`asymptotics.kernels.sample_complexity` (docs/theory/kernels.md).
"""

from . import theory, sample_complexity
from .theory import *  # noqa: F401,F403  (each module's __all__)
from .sample_complexity import *  # noqa: F401,F403  (each module's __all__)


#: this family's curve (the same signature in every family): ``curve(setting, parameter, values, **options)``
curve = krr_curve

__all__ = theory.__all__ + sample_complexity.__all__ + ["curve"]
