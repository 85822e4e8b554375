"""``python -m asymptotics`` runs the ``asym`` command line (defined in :mod:`asymptotics.validation.cli`)."""

import sys

from asymptotics.validation.cli import main

sys.exit(main())
