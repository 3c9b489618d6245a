"""``python -m punie.cli``."""

import sys

from punie.cli import main

sys.exit(main())
