"""`python -m abm_tui.cli`, the same as the `abm-tui` script."""

import sys

from abm_tui.cli import main

sys.exit(main())
