"""Entry point of ``python -m components``."""

import sys

from components.plan.cli import main

sys.exit(main())
