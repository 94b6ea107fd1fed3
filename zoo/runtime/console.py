"""The one console every command prints through.

On a terminal it is rich's own. In a log, a pipe or CI rich would assume 80 columns, fold table cells into `c…`
and break a long path across lines; there it is wide and never soft-wraps, so each line a command prints is one
line in the log and a table keeps whole cells.
"""

from __future__ import annotations

import sys

from rich.console import Console

LOG_WIDTH = 200  # columns assumed where there is no terminal: every summary table fits whole


def make_console() -> Console:
    """A console for stdout (looked up when printing, so a redirected or captured stdout is honoured)."""
    if sys.stdout.isatty():
        return Console()
    return Console(width=LOG_WIDTH, soft_wrap=True)
