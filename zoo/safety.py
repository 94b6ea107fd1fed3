"""Files are data: what a checkpoint, config or model folder may hold, and where a run may write.

Anything a user might download (a checkpoint's hyperparameters, a config file, a model folder's ``config.json``, a
sweep database) is checked here before it reaches a constructor. Plain data passes: strings, numbers, booleans,
None, and lists and string-keyed dicts of those. A ``class_path`` (what jsonargparse would import and instantiate)
passes only in config files and only for our own classes and a few of Lightning's callbacks and loggers; in a
checkpoint or a model folder it is always refused, since our own files never hold one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from .errors import Diverged, InputError, RefusedFile

MAX_DEPTH = 32  # plain data nested deeper than this is not something we wrote
CLASS_KEYS = ("class_path", "_class_path", "_instantiator", "__class__", "__reduce__")
# Outside our own packages, only classes whose arguments are plain values (no callables, no import paths).
LIGHTNING_CLASSES = {
    "lightning.pytorch.callbacks." + n for n in (
        "EarlyStopping", "LearningRateMonitor", "RichProgressBar", "TQDMProgressBar", "ModelSummary",
        "RichModelSummary", "StochasticWeightAveraging", "Timer")
} | {"lightning.pytorch.loggers." + n for n in ("CSVLogger", "TensorBoardLogger", "MLFlowLogger", "WandbLogger")}
OWN_PREFIXES = ("zoo.", "apps.")
RUN_NAME = re.compile(r"[A-Za-z0-9._-]+")
MARKER = ".zoo-suite"  # in every run folder and model folder this tool wrote: only those may be replaced


def check_plain(value: Any, where: str, depth: int = 0) -> None:
    """Raise ``RefusedFile`` unless ``value`` is plain data with no class to instantiate anywhere inside."""
    if depth > MAX_DEPTH:
        raise RefusedFile(f"{where}: nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, (bool, int, float, str)):
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            check_plain(item, f"{where}[{i}]", depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise RefusedFile(f"{where}: key {key!r} is not a string")
            if key in CLASS_KEYS:
                raise RefusedFile(f"{where}.{key}: a class to import ({str(item)[:80]!r}) where only plain values "
                                  "belong; refused, nothing was imported")
            check_plain(item, f"{where}.{key}", depth + 1)
        return
    raise RefusedFile(f"{where}: a {type(value).__name__} where only plain values (numbers, strings, lists, dicts) "
                      "belong")


def allowed_class(class_path: str) -> bool:
    """Our own classes, Lightning's plain-valued callbacks and loggers (full path or the short name)."""
    if "." not in class_path:
        return any(c.rsplit(".", 1)[1] == class_path for c in LIGHTNING_CLASSES)
    return class_path.startswith(OWN_PREFIXES) or class_path in LIGHTNING_CLASSES


def class_paths(value: Any, where: str, depth: int = 0) -> Iterator[tuple[str, Any]]:
    """Every ``(where, class_path)`` inside a parsed config."""
    if depth > MAX_DEPTH:
        raise RefusedFile(f"{where}: nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        for key, item in value.items():
            if key in CLASS_KEYS:
                yield f"{where}.{key}", item
            else:
                yield from class_paths(item, f"{where}.{key}", depth + 1)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from class_paths(item, f"{where}[{i}]", depth + 1)


def check_config(value: Any, where: str) -> None:
    """Refuse a config whose ``class_path`` names anything outside ``allowed_class``."""
    for field, class_path in class_paths(value, where):
        if not field.endswith(".class_path") or not isinstance(class_path, str) or not allowed_class(class_path):
            raise RefusedFile(f"{field}: {str(class_path)[:80]!r} is not one of zoo-suite's own classes (zoo.*, "
                              "apps.*) or Lightning's callbacks and loggers; refused, nothing was imported")


def check_run_name(name: str) -> str:
    """A run name is one path component: letters, digits, ``.``, ``_``, ``-``; not ``.`` or ``..``."""
    if not isinstance(name, str) or not RUN_NAME.fullmatch(name) or name in (".", ".."):
        raise InputError(f"--name {name!r}: a run name is one folder name made of letters, digits, '.', '_' and "
                         "'-' (no '/', not '.' or '..')")
    return name


def inside(path: Path, root: Path) -> Path:
    """``path`` resolved, after checking that it lies inside ``root`` (symbolic links followed)."""
    resolved, root = Path(path).resolve(), Path(root).resolve()
    if resolved != root and root not in resolved.parents:
        raise RefusedFile(f"{path} resolves to {resolved}, outside {root}; refused to write there")
    return resolved


def claim_folder(directory: Path, what: str) -> None:
    """Make ``directory`` ours to write: it must be new, empty, or already marked as written by this tool."""
    directory = Path(directory)
    if directory.exists():
        if not directory.is_dir():
            raise InputError(f"{directory} exists and is not a folder; choose another {what}")
        if not (directory / MARKER).is_file() and any(directory.iterdir()):
            raise RefusedFile(f"{directory} exists and was not written by zoo-suite (no {MARKER} file); refusing to "
                              f"write into it or replace it: choose another {what} or move it away")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text(f"written by zoo-suite ({what})\n")


def check_config_files(args: list[str]) -> None:
    """Read every config file (and inline YAML/JSON value) on the command line as data first, and refuse it when a
    ``class_path`` in it names anything but our own classes: jsonargparse imports what a class_path names while it
    parses, before any later check could run."""
    for arg in args:
        value = arg.split("=", 1)[1] if arg.startswith("--") and "=" in arg else arg
        path = Path(value)
        if value.endswith((".yaml", ".yml", ".json")) and path.is_file():
            check_config_file(path)
        elif value.lstrip().startswith(("{", "[")):
            try:
                check_config(yaml.safe_load(value), "command line")
            except yaml.YAMLError:
                pass  # not YAML: jsonargparse reports it


def check_config_file(path: Path, seen: set[Path] | None = None) -> None:
    """One config file and the config files it names (jsonargparse reads those too)."""
    seen = seen if seen is not None else set()
    path = path.resolve()
    if path in seen:
        return
    seen.add(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise RefusedFile(f"{path}: not a plain YAML/JSON config ({str(e).splitlines()[0]})") from None
    check_config(data, str(path))
    for text in _strings(data):
        nested = Path(text) if Path(text).is_absolute() else path.parent / text
        if text.endswith((".yaml", ".yml", ".json")) and nested.is_file():
            check_config_file(nested, seen)


def _strings(value, depth: int = 0) -> Iterator[str]:
    if depth > MAX_DEPTH:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, depth + 1)


def check_finite(state_dict: dict, path) -> None:
    """Refuse to save weights holding NaN or infinity: a diverged run must not replace a good checkpoint."""
    import torch  # here, so that reading configs stays free of it

    for name, tensor in state_dict.items():
        if torch.is_tensor(tensor) and tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise Diverged(f"not saving {path}: weight {name} holds NaN or infinity (training diverged; "
                       "the previous checkpoint is kept)")
