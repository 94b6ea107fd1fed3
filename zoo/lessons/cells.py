"""One cell of a matrix of runs, as `zoo compare` and `zoo bench` run them: its training cap, the reuse of a finished
run trained with the same settings, and a failure reported in the cell's place instead of ending the matrix.

Only expected failures are caught (``zoo.errors.EXPECTED``: missing data, bad values, a diverged fit; and running out
of memory): anything else is a bug and stops the command with its traceback.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from .._registry import default_model, model_info
from ..errors import EXPECTED, one_line
from ..outputs import write_json
from ..trust.reader import read_data, read_mapping
from .trials import finished_run, read_result

CELL_ERRORS: tuple[type[BaseException], ...] = (*EXPECTED, torch.OutOfMemoryError)
SETTINGS_FILE = "cell.json"  # in a cell's run folder: the settings it was trained with, for reuse
FIRST_OVERHEAD_S = 45.0  # guess of a run's fixed costs (start, data, baselines, evaluation) until one is measured
MIN_RUN_SECONDS = 10.0


class RunClock:
    """Training caps for a matrix of ``runs`` runs, and how long the rest will take.

    With ``total_seconds`` each cap is the time left shared among the runs left, less their fixed costs (start,
    data, baselines, evaluation: a run's wall time minus its training time, averaged over the runs so far). Without
    it, each run keeps the cap it asks for."""

    def __init__(self, runs: int, total_seconds: float | None = None):
        self.runs_left = runs
        self.deadline = None if total_seconds is None else time.perf_counter() + total_seconds
        self.overheads: list[float] = []
        self.trainings: list[float] = []

    def overhead(self) -> float:
        return sum(self.overheads) / len(self.overheads) if self.overheads else FIRST_OVERHEAD_S

    def next_cap(self, fixed: float | None = None) -> float | None:
        """The training cap of the next run: ``fixed`` when given, else the shared one (None without a deadline)."""
        shared = None
        if fixed is None and self.deadline is not None:
            shared = max(MIN_RUN_SECONDS, (self.deadline - time.perf_counter()) / self.runs_left - self.overhead())
        self.runs_left -= 1
        return fixed if fixed is not None else shared

    def measured(self, wall_seconds: float, fit_seconds: float | None) -> None:
        """A run that trained here took ``wall_seconds``, ``fit_seconds`` of them training."""
        self.overheads.append(max(0.0, wall_seconds - (fit_seconds or 0.0)))
        self.trainings.append(fit_seconds or 0.0)

    def skip(self, runs: int) -> None:
        """``runs`` planned runs will not happen (their cell failed)."""
        self.runs_left -= runs

    def eta_seconds(self, cap: float | None) -> float:
        """Roughly how long the runs left take if each trains for ``cap`` seconds (or as long as those so far)."""
        train = cap if cap is not None else (sum(self.trainings) / len(self.trainings) if self.trainings else 0.0)
        return self.runs_left * (train + self.overhead())


def preset_model(config: Path) -> str | None:
    """The model a preset's YAML names (``model.model`` for Lightning apps, ``model`` for self-play)."""
    cfg = read_mapping(config, allow_classes=True)  # bounded, no aliases (zoo.trust.reader)
    m = cfg.get("model")
    found = m if isinstance(m, str) else m.get("model") if isinstance(m, dict) else None
    return found if isinstance(found, str) else None


def family_model(own: str | None, family: str, kind: str | None) -> tuple[str | None, bool, str | None]:
    """Which model stands for ``family`` in a cell whose preset trains ``own``: (model, whether it replaces the
    preset's model, why the cell stays empty). The preset's own model where its family matches, else the family's
    small model for the input ``kind``; "n/a" when the family has none."""
    if own and model_info(own).family == family:
        return own, False, None
    model = default_model(family, kind) if kind else None
    return model, True, None if model else f"n/a: no {family} model takes `{kind}` inputs"


@dataclass
class CellOutcome:
    """What one run of a cell gave: its metrics (``read_result``) or why there are none."""

    result: dict | None
    """The run's metrics.json plus its score; None when it failed."""
    status: str
    """"ok", "reused" (a finished run with the same settings) or "failed: <error>"."""


def reusable_run(root: Path, name: str, settings: dict) -> Path | None:
    """The finished run ``name`` under ``root/<app folder>/`` when it was trained with exactly ``settings``."""
    run_dir = finished_run(root, name)
    if run_dir is None or not (run_dir / SETTINGS_FILE).is_file():
        return None
    try:  # bounded plain JSON, no link out of the run (zoo.trust.reader)
        saved = read_data(run_dir / SETTINGS_FILE, root=run_dir)
    except (OSError, ValueError):  # damaged, unreadable or refused: train the cell again
        return None
    return run_dir if saved == json.loads(json.dumps(settings)) else None


def run_cell(root: Path, name: str, settings: dict, train: Callable[[], Path], clock: RunClock, console) -> CellOutcome:
    """Reuse the finished run ``name`` trained with ``settings``, or ``train()`` it; an expected error becomes the
    cell's status (printed on one line) instead of ending the matrix."""
    began = time.perf_counter()
    try:
        run_dir = reusable_run(root, name, settings)
        if run_dir is not None:
            console.print(f"reusing {run_dir} (trained with the same settings)")
            return CellOutcome(read_result(run_dir), "reused")
        run_dir = train()
        result = read_result(run_dir)
        write_json(run_dir / SETTINGS_FILE, settings)
    except CELL_ERRORS as e:
        status = f"failed: {type(e).__name__}: {one_line(e)}"[:200]
        console.print(f"[red]{name} {status}[/red]")
        return CellOutcome(None, status)
    clock.measured(time.perf_counter() - began, result.get("fit_seconds"))
    return CellOutcome(result, "ok")
