"""``python -m asymptotics.validation.sweep SPEC.toml [options]``: the ``asym sweep`` command on its own."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
