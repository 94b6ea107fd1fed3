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


# Library notices that are not the user's business: where there is no GPU, adverts, deprecations inside Lightning,
# and advice that does not apply to the tiny or self-play fits the apps run on purpose
NOISE = (r".*isinstance\(treespec, LeafSpec\).*", r".*You defined a `validation_step` but have no `val_dataloader`.*",
         r".*The number of training batches .* is smaller than the logging interval.*",
         r".*is not supported by the model summary.*", r".*does not have many workers.*",
         r".*GPU available but not used.*", r".*will save all targets and predictions in the buffer.*",
         r".*lbfgs failed to converge.*")  # the last: the logistic-regression baseline, capped at 300 iterations


def quiet_libraries() -> None:
    """Our own messages only: Lightning's info lines (GPU/TPU availability, tips and adverts, "Seed set to",
    "`Trainer.fit` stopped") hidden at their loggers, and the warnings in ``NOISE`` ignored. Its warnings that do
    concern the user (a monitored metric that is missing, a checkpoint folder that changed) still show."""
    import logging
    import warnings

    # The loggers the info lines come from. Not "lightning.pytorch" itself: Lightning sets that one to INFO when it
    # is imported, which may be after this call; a child's own level holds either way.
    for name in ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero",
                 "lightning.fabric.utilities.seed", "lightning.pytorch.trainer.connectors.callback_connector"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for pattern in NOISE:
        warnings.filterwarnings("ignore", message=pattern)
