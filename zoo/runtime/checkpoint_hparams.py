"""``fit|test|validate --ckpt_path FILE``: the checkpoint's hyperparameters join the settings as checked plain
values (Lightning would merge them itself and import a ``_class_path`` found there)."""

from __future__ import annotations

from pathlib import Path

from ..checkpoint import SafeCheckpointIO, task_hparams
from ..errors import InputError
from .config_sources import merge


def merge_checkpoint_hparams(config: dict, task_class, where: str) -> None:
    """The hyperparameters of ``config["ckpt_path"]`` (when it is a file) over ``config["model"]``, as Lightning
    does, after ``zoo.checkpoint.task_hparams`` has checked them (plain values, arguments of ``task_class``, no
    ``init_from``: the weights come from the checkpoint, and a name in a file never reaches the Hub)."""
    path = config.get("ckpt_path")
    if path is None or path in ("last", "best", "hpc", "registry") or (isinstance(path, str) and
                                                                        path.startswith("registry:")):
        return  # Lightning's own names for a checkpoint it finds itself
    if not isinstance(path, str) or not Path(path).is_file():  # before the run folder is made: nothing is left
        what = "no such file" if isinstance(path, str) and not Path(path).exists() else "not a regular file"
        raise InputError(f"{where} --ckpt_path {str(path)[:200]}: {what} (expected a checkpoint written by fit)")
    checkpoint = SafeCheckpointIO().load_checkpoint(path)
    if not isinstance(checkpoint, dict):
        raise InputError(f"{where} --ckpt_path {path}: not a Lightning checkpoint (expected a dict)")
    hparams = task_hparams(checkpoint, task_class, path)
    if hparams:
        model = config.setdefault("model", {})
        if not isinstance(model, dict):
            raise InputError(f"{where}: model settings must be a mapping")
        merge(model, hparams, "model")
