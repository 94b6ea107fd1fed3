"""The one table of classes a config may name, with the parameters each may take. Nothing else is ever imported
because a config, a flag or a checkpoint named it.

A class passes only by its exact fully qualified name (or Lightning's short name for it): there is no prefix rule,
so a Lightning class re-exported under ``zoo.`` or ``apps.`` is not ours and is refused. Our own data modules join
the table by being defined (not merely imported) in a module an app declares (``data_classes``).

Parameters of the listed Lightning classes are plain values; the few that name a place to write (``save_dir``,
``tracking_uri``) must lie inside the run folder when they come from a file. Values typed on the command line are
the user's own choice.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import RefusedFile
from .reader import MAX_DEPTH, is_url

_CB, _LOG = "lightning.pytorch.callbacks.", "lightning.pytorch.loggers."
# name -> the init_args it may take (all plain values); "paths" among them must stay inside the run folder.
LIGHTNING = {
    _CB + "EarlyStopping": {"monitor", "min_delta", "patience", "verbose", "mode", "strict", "check_finite",
                            "stopping_threshold", "divergence_threshold", "check_on_train_epoch_end",
                            "log_rank_zero_only"},
    _CB + "LearningRateMonitor": {"logging_interval", "log_momentum", "log_weight_decay"},
    _CB + "TQDMProgressBar": {"refresh_rate", "process_position", "leave"},
    _CB + "RichProgressBar": {"refresh_rate", "leave"},
    _CB + "ModelSummary": {"max_depth"},
    _CB + "RichModelSummary": {"max_depth"},
    _CB + "StochasticWeightAveraging": {"swa_lrs", "swa_epoch_start", "annealing_epochs", "annealing_strategy",
                                        "device"},
    _CB + "Timer": {"duration", "interval", "verbose"},
    _LOG + "CSVLogger": {"save_dir", "name", "version", "prefix", "flush_logs_every_n_steps"},
    _LOG + "TensorBoardLogger": {"save_dir", "name", "version", "log_graph", "default_hp_metric", "prefix",
                                 "sub_dir"},
    _LOG + "MLFlowLogger": {"experiment_name", "run_name", "tracking_uri", "tags", "save_dir", "prefix",
                            "log_model", "checkpoint_path_prefix", "run_id", "synchronous"},
}
PATH_PARAMS = {"save_dir", "dirpath", "tracking_uri", "default_root_dir"}
# Parameters a logger joins onto its save_dir as folder names: from a file, each is one plain name (no "/", no "..")
NAME_PARAMS = {"name", "version", "sub_dir"}
# Loggers whose default place to write is the working folder (MLflow: ./mlruns): a file naming one says where
WRITES_TO_CWD = {_LOG + "MLFlowLogger": ("tracking_uri", "save_dir")}
# Trainer settings that take a class: what may stand there (Lightning's own names for strategies, accelerators,
# profilers and precisions are strings, not imports, and stay allowed).
CLASS_SETTINGS = {"callbacks", "logger", "plugins", "strategy", "accelerator", "profiler"}


def data_classes(modules: Iterable[str]) -> dict[str, type]:
    """``{"module.Class": Class}`` for every LightningDataModule *defined* in ``modules`` (names from an app's
    declaration, i.e. from code, never from a file)."""
    import importlib

    import lightning as L

    table: dict[str, type] = {}
    for name in modules:
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if (inspect.isclass(value) and issubclass(value, L.LightningDataModule)
                    and value.__module__ == name and not attr.startswith("_")):
                table[f"{name}.{value.__qualname__}"] = value
    return table


def lightning_name(class_path: str) -> str | None:
    """The table's full name for ``class_path`` (full, or the short name jsonargparse also accepts)."""
    if class_path in LIGHTNING:
        return class_path
    short = [full for full in LIGHTNING if full.rsplit(".", 1)[1] == class_path]
    return short[0] if len(short) == 1 else None


def check_config(config: dict, data: dict[str, type], where: str, run_dir: Path | None = None) -> None:
    """Refuse ``config`` (one app command's settings: model, data, trainer, ...) unless every class it names is in
    the table with parameters it may take. ``run_dir`` is given for what a file said: then its path parameters
    must stay inside the run folder, it may not set ``runs_dir``, and ``model.init_from`` may not be a Hub id."""
    for at, class_path, init_args in _classes(config, where):
        if at.startswith(f"{where}.data") and at.count(".") == where.count(".") + 1:
            if class_path not in data and _short(class_path, data) is None:
                raise RefusedFile(f"{at}.class_path: {str(class_path)[:80]!r} is not one of this app's data modules "
                                  f"({', '.join(sorted(data)) or 'none'}); refused, nothing was imported")
            continue
        full = lightning_name(class_path) if isinstance(class_path, str) else None
        if full is None:
            raise RefusedFile(f"{at}.class_path: {str(class_path)[:80]!r} is not in zoo-suite's table of classes a "
                              f"config may name ({', '.join(n.rsplit('.', 1)[1] for n in LIGHTNING)}); refused, "
                              "nothing was imported")
        if not isinstance(init_args, dict):
            raise RefusedFile(f"{at}.init_args: expected a mapping of {full.rsplit('.', 1)[1]}'s settings")
        unknown = sorted(set(init_args) - LIGHTNING[full])
        if unknown:
            raise RefusedFile(f"{at}.init_args: {unknown} are not settings zoo-suite lets a config give "
                              f"{full.rsplit('.', 1)[1]} (allowed: {', '.join(sorted(LIGHTNING[full]))})")
        for key in set(init_args) & PATH_PARAMS:
            check_place(init_args[key], f"{at}.init_args.{key}", run_dir)
        if run_dir is not None:
            for key in set(init_args) & NAME_PARAMS:
                check_folder_name(init_args[key], f"{at}.init_args.{key}")
            places = WRITES_TO_CWD.get(full, ())
            if places and not any(init_args.get(k) is not None for k in places):
                raise RefusedFile(f"{at}: {full.rsplit('.', 1)[1]} from a config file needs a place inside the run "
                                  f"folder ({' or '.join(places)}); by default it writes in the working folder")
    trainer = config.get("trainer")
    if isinstance(trainer, dict):
        for key in CLASS_SETTINGS & set(trainer):
            for i, item in enumerate(trainer[key] if isinstance(trainer[key], list) else [trainer[key]]):
                if not isinstance(item, str) or item.strip().lower() in ("true", "false", "null", "none", ""):
                    continue
                # Callbacks, loggers and plugins named by a string are classes; strategies, accelerators and
                # profilers are Lightning's own registry names ("ddp", "cpu", "simple") unless dotted.
                is_class = key in ("callbacks", "logger", "plugins") or "." in item
                if is_class and lightning_name(item) is None:
                    raise RefusedFile(f"{where}.trainer.{key}[{i}]: {item[:80]!r} names a class outside "
                                      "zoo-suite's table; refused, nothing was imported")
        if "default_root_dir" in trainer:
            check_place(trainer["default_root_dir"], f"{where}.trainer.default_root_dir", run_dir)
    if run_dir is None:
        return
    # What only the command line may say: where the runs go, and a model to fetch from the Hub.
    if "runs_dir" in config:
        raise RefusedFile(f"{where}: runs_dir {str(config['runs_dir'])[:80]!r}: a config file does not choose where "
                          "runs are written; give --runs_dir on the command line")
    model = config.get("model")
    if isinstance(model, dict) and isinstance(model.get("init_from"), str):
        _no_hub(model["init_from"], f"{where}.model.init_from")


def _short(class_path: Any, data: dict[str, type]) -> str | None:
    if not isinstance(class_path, str):
        return None
    hits = [full for full in data if full.rsplit(".", 1)[1] == class_path]
    return hits[0] if len(hits) == 1 else None


def check_place(value: Any, where: str, run_dir: Path | None) -> None:
    """A place to write named by a file: a local path inside ``run_dir`` (None: nothing known yet, no check)."""
    if run_dir is None or value is None:
        return
    if not isinstance(value, str):
        raise RefusedFile(f"{where}: expected a path inside the run folder, found {type(value).__name__}")
    text = value[len("file:"):] if value.startswith("file:") else value
    if is_url(value) and not value.startswith("file:"):
        raise RefusedFile(f"{where}: {value[:80]!r} is a URL; a config file may only write inside its run folder "
                          f"({run_dir}); give a tracker address on the command line")
    path = Path(text.lstrip("/") if text.startswith("//") else text)
    # A relative path is taken from the working folder, as Lightning and the loggers will take it
    resolved, root = (Path.cwd() / path).resolve(), run_dir.resolve()
    if resolved != root and root not in resolved.parents:
        raise RefusedFile(f"{where}: {value[:80]!r} is outside the run folder {run_dir}; a config file may only "
                          "write inside it")


def check_folder_name(value: Any, where: str) -> None:
    """A logger's ``name``/``version``/``sub_dir`` from a file: nothing, a whole number, or one plain folder name
    (letters, digits, ``.``, ``_``, ``-``; not ``.`` or ``..``), so that it cannot lead out of its save_dir."""
    from .runfolder import RUN_NAME

    if value is None or value == "" or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return
    if not isinstance(value, str) or not RUN_NAME.fullmatch(value) or value in (".", ".."):
        raise RefusedFile(f"{where}: {str(value)[:80]!r} is not a plain folder name (letters, digits, '.', '_', "
                          "'-'); a config file may only write inside its run folder")


def _no_hub(value: str, where: str) -> None:
    from .._hub import is_hub_id

    if not Path(value).exists() and is_hub_id(value):
        raise RefusedFile(f"{where}: {value!r} would be fetched from the Hugging Face Hub; a file never makes a "
                          "network request: pass --model.init_from on the command line to fetch it")


def _classes(value: Any, where: str, depth: int = 0) -> Iterator[tuple[str, Any, Any]]:
    """``(where, class_path, init_args)`` for every mapping with a ``class_path`` inside ``value``."""
    if depth > MAX_DEPTH:
        raise RefusedFile(f"{where}: nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        if "class_path" in value:
            yield where, value["class_path"], value.get("init_args", {})
        for key, item in value.items():
            if key != "class_path":
                yield from _classes(item, f"{where}.{key}", depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _classes(item, f"{where}[{i}]", depth + 1)
