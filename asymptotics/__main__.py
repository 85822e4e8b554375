"""``python -m asymptotics`` runs the ``asym`` command line (defined in :mod:`validation.cli`)."""

import sys

from validation.cli import main

sys.exit(main())
