"""`python -m abm_tui.cli`, the same as the `abm-tui` script."""

import sys

from abm_tui.cli import main

if __name__ == "__main__":  # imported (as the architecture check imports every module), it does nothing
    sys.exit(main())
