"""Learning-rate grids (``parse_grid``, also `zoo sweep`'s), ``lr_search`` (a grid trained for a short fixed budget in
this process, the best chosen as `zoo sweep` chooses) and Lightning's LR finder (``lr_find``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import lightning as L
import numpy as np

from ..errors import UnknownName


def lr_grid(low: float = 1e-4, high: float = 1e-1, num: int = 7) -> list[float]:
    """``num`` learning rates evenly spaced in log space from ``low`` to ``high`` (both included)."""
    if not (0 < low < high) or num < 2:
        raise ValueError(f"need 0 < low < high and num >= 2; got low={low}, high={high}, num={num}")
    return [float(v) for v in np.logspace(math.log10(low), math.log10(high), num)]


def parse_grid(spec: str) -> list[float]:
    """``"1e-4:1e-1:7:log"`` (or ``:lin``) -> values; ``"0.1,0.3"`` -> a list as written."""
    if ":" not in spec:
        return [float(v) for v in spec.split(",")]
    parts = spec.split(":")
    if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] not in ("log", "lin")):
        raise ValueError(f"grid {spec!r}: expected LOW:HIGH:N[:log|lin], e.g. 1e-4:1e-1:7:log")
    low, high, num = float(parts[0]), float(parts[1]), int(parts[2])
    if len(parts) == 3 or parts[3] == "log":
        return lr_grid(low, high, num)
    return [float(v) for v in np.linspace(low, high, num)]


@dataclass
class LRSearchResult:
    lrs: list[float]
    scores: list[float]  # the monitored metric after the budget; nan/inf when training diverged
    monitor: str
    mode: str
    best_lr: float | None  # None when every learning rate diverged
    best_score: float
    at_edge: bool = field(default=False)  # the best is the grid's lowest or highest value: widen the grid

    def table(self) -> str:
        rows = [f"{'lr':>10}  {self.monitor:>12}"]
        rows += [f"{lr:>10.3g}  {s:>12.4g}{'  <- best' if lr == self.best_lr else ''}"
                 for lr, s in zip(self.lrs, self.scores)]
        if self.at_edge:
            rows.append("(the best learning rate is at the edge of the grid: widen it)")
        return "\n".join(rows)


def lr_search(make_task: Callable[[float], L.LightningModule], datamodule: L.LightningDataModule,
              lrs: list[float] | None = None, monitor: str = "val_loss", mode: str = "min", max_epochs: int = 1,
              max_steps: int = -1, seed: int = 0, **trainer_kwargs) -> LRSearchResult:
    """Train ``make_task(lr)`` for the same short budget at every ``lr``; the best by ``monitor``/``mode`` wins.

    Every run starts from the same seed, so the learning rate is the only thing that differs. The winner and the
    edge warning come from the sweep's own code (``sweep.aggregate``, ``best_of``, ``lr_at_edge``): this is `zoo
    sweep`'s learning-rate axis for one task and data module, in this process, without a study or run folders.
    """
    from .sweep import aggregate, best_of, lr_at_edge

    if mode not in ("min", "max"):
        raise ValueError(f"lr_search: mode must be 'min' or 'max'; got {mode!r}")
    lrs = list(lrs or lr_grid())
    rows = [{"lr": lr, "batch_size": None, "schedule": None, "seed": seed,
             "score": _train_for_budget(make_task, lr, datamodule, monitor, seed, max_epochs, max_steps,
                                        trainer_kwargs)} for lr in lrs]
    best_key, best = best_of(aggregate(rows), higher=mode == "max")
    best_lr = best_key[0] if best_key else None
    return LRSearchResult(lrs, [r["score"] for r in rows], monitor, mode, best_lr,
                          best["mean"] if best else float("nan"), at_edge=lr_at_edge(best_lr, lrs))


def _train_for_budget(make_task: Callable[[float], L.LightningModule], lr: float, datamodule: L.LightningDataModule,
                      monitor: str, seed: int, max_epochs: int, max_steps: int, trainer_kwargs: dict) -> float:
    """Build and fit ``make_task(lr)`` from ``seed`` (the same initial weights for every lr) for the budget; the
    last value of ``monitor`` (nan/inf when training diverged)."""
    L.seed_everything(seed, verbose=False)
    task = make_task(lr)
    trainer = L.Trainer(max_epochs=max_epochs, max_steps=max_steps, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False,
                        **{"accelerator": "auto", "devices": 1, **trainer_kwargs})
    trainer.fit(task, datamodule=datamodule)
    value = trainer.callback_metrics.get(monitor)
    if value is None:
        raise UnknownName(f"lr_search: metric {monitor!r} was not logged; logged: {sorted(trainer.callback_metrics)}")
    return float(value)


def lr_find(task: L.LightningModule, datamodule: L.LightningDataModule, min_lr: float = 1e-6, max_lr: float = 1.0,
            num_training: int = 100, **trainer_kwargs) -> float | None:
    """Lightning's LR range test (exponentially growing LR, loss recorded): the suggested LR, or None."""
    from lightning.pytorch.tuner import Tuner

    trainer = L.Trainer(logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, **{"accelerator": "auto", "devices": 1, **trainer_kwargs})
    finder = Tuner(trainer).lr_find(task, datamodule=datamodule, min_lr=min_lr, max_lr=max_lr,
                                    num_training=num_training, update_attr=False)
    return finder.suggestion() if finder is not None else None
