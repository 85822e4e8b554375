"""The giant-step family (Cui et al. 2024): spiked random features, homogeneous and heterogeneous spikes.

Theory in :mod:`asymptotics.spiked_rf.theory`, heterogeneous spikes in
:mod:`asymptotics.spiked_rf.heterogeneous`, validity domain in :mod:`asymptotics.spiked_rf.validity`
(docs/theory/spiked-rf.md).
"""

from . import theory, heterogeneous, validity
from .theory import *  # noqa: F401,F403  (each module's __all__)
from .heterogeneous import *  # noqa: F401,F403  (each module's __all__)
from .validity import *  # noqa: F401,F403  (each module's __all__)


#: this family's curve (the same signature in every family): ``curve(setting, parameter, values, **options)``
curve = srf_curve

__all__ = theory.__all__ + heterogeneous.__all__ + validity.__all__ + ["curve"]
