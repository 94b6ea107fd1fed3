"""`python -m zoo ...`: the `zoo` command, for where its script is not on the PATH (a GUI's engine setting)."""

import sys

from zoo.runtime.cli import main

sys.exit(main())
