"""`zoo vision fit|validate|test|predict ...`: LightningCLI over the vision tasks and data modules."""

from __future__ import annotations

import lightning as L

from zoo.lightning_cli import ZooCLI
from zoo.task import ClassificationTask

from . import data  # noqa: F401  (data modules selectable by class name)


def main(argv: list[str] | None = None) -> int:
    ZooCLI("vision", ClassificationTask, L.LightningDataModule, args=argv)
    return 0
