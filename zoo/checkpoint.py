"""Checkpoint I/O that cannot corrupt a checkpoint, never saves NaN weights and never runs code when loading one.

``load_task(path, TaskClass)`` is the one way a command turns a checkpoint back into a task: the weights are read
with ``weights_only=True``, the hyperparameters must be plain data (``zoo.trust.reader.check_plain``) and are handed
to the class the command names itself, once every size in them is within ``zoo.trust.bounds`` and the model they
describe was built on the meta device (nothing is allocated before). Nothing named inside the file is imported or
called (Lightning's own ``load_from_checkpoint`` would call the ``_instantiator`` a checkpoint names, which imports
any ``class_path``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

from .errors import InputError, one_line
from .trust.bounds import check_hparams
from .trust.reader import check_plain
from .trust.runfolder import check_finite, open_write

LIGHTNING_KEYS = ("_instantiator", "_class_path")  # Lightning's loading metadata: never used, never trusted


class SafeCheckpointIO(TorchCheckpointIO):
    """Write to a temporary file in the same folder and rename it into place (atomic on POSIX), so a crash mid-save
    leaves the previous checkpoint intact; load with ``weights_only=True``."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path, storage_options=None) -> None:
        path = Path(path)
        check_finite(checkpoint.get("state_dict", {}), path)
        with open_write(path) as f:  # through the run folder: no link followed, renamed into place when whole
            torch.save(checkpoint, f)

    def load_checkpoint(self, path, map_location=None, weights_only: bool | None = None) -> dict[str, Any]:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"checkpoint {path} does not exist")
        try:
            return torch.load(path, map_location=map_location or "cpu", weights_only=True)
        except Exception as e:  # torch raises several types for truncated or foreign files
            message = str(e).split("\n")[0]
            raise InputError(f"cannot read checkpoint {path} (only weights and plain values load): "
                             f"{type(e).__name__}: {message}") from e


def task_hparams(checkpoint: dict, task_class, path) -> dict[str, Any]:
    """The checkpoint's hyperparameters as plain keyword arguments of ``task_class``; anything else refused."""
    hparams = checkpoint.get("hyper_parameters", {})
    if not isinstance(hparams, dict):
        raise InputError(f"{path}: hyper_parameters is a {type(hparams).__name__}, expected a dict")
    # init_from: the weights are the checkpoint's own, and a model name found in a file never reaches the Hub.
    hparams = {k: v for k, v in hparams.items() if k not in LIGHTNING_KEYS and k != "init_from"}
    check_plain(hparams, f"{path}: hyper_parameters")
    accepted = init_parameters(task_class)
    unknown = sorted(set(hparams) - accepted)
    if unknown:
        raise InputError(f"{path}: hyper_parameters {unknown} are not arguments of {task_class.__name__}; "
                         "is this a checkpoint of another app?")
    # Every size within its bound and the model built on the meta device, before anything is allocated.
    check_hparams(hparams, f"{path}: hyper_parameters", model_defaults(task_class, hparams))
    return hparams


def model_defaults(task_class, hparams: dict) -> dict:
    """What ``task_class.model_defaults`` would add to ``model_kwargs`` for these hyperparameters (computed without
    building the task); {} where it cannot tell."""
    from types import SimpleNamespace

    from lightning.fabric.utilities.data import AttributeDict

    try:
        defaults = task_class.model_defaults(SimpleNamespace(hparams=AttributeDict(hparams)))
    except (AttributeError, KeyError, TypeError, ValueError, IndexError):
        return {}
    return defaults if isinstance(defaults, dict) else {}


def init_parameters(task_class) -> set[str]:
    """Keyword arguments a task class takes, through the ``*args, **kwargs`` of its subclasses."""
    import inspect

    names: set[str] = set()
    for cls in task_class.__mro__:
        if "__init__" in vars(cls) and cls.__module__.split(".")[0] not in ("lightning", "torch", "builtins"):
            names |= {p.name for p in inspect.signature(cls.__init__).parameters.values()
                      if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"}
    return names


def load_task(path, task_class, map_location: str = "cpu"):
    """A task of ``task_class`` (chosen by the caller, never by the file) with the checkpoint's weights, in eval
    mode."""
    checkpoint = SafeCheckpointIO().load_checkpoint(path, map_location=map_location)
    if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get("state_dict"), dict):
        raise InputError(f"{path}: not a Lightning checkpoint (expected a dict with a 'state_dict')")
    state = checkpoint["state_dict"]
    if not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise InputError(f"{path}: its state_dict must map parameter names to tensors")
    hparams = task_hparams(checkpoint, task_class, path)
    try:  # plain values of the right names, but perhaps of the wrong shape: a data_spec that is a string, ...
        task = task_class(**hparams)
        task.on_load_checkpoint(checkpoint)  # the task's own extras (e.g. a tokenizer), as load_from_checkpoint does
    except (TypeError, AttributeError, KeyError, IndexError) as e:
        raise InputError(f"{path}: its hyperparameters do not describe a {task_class.__name__} "
                         f"({type(e).__name__}: {one_line(e)[:200]})") from e
    try:
        task.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise InputError(f"{path}: the weights do not match the model its hyperparameters describe: "
                         f"{str(e).splitlines()[0]}") from e
    return task.eval()
