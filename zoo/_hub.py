"""A model as a folder: model.safetensors (weights), config.json (rebuilds it), README.md (the model card).

A folder may come from a stranger, so loading reads it as data: ``config.json`` must hold plain values and a
registered model name (nothing is imported), and the architecture it describes is first built on the ``meta``
device and checked against the shapes in the safetensors header, so a tampered size cannot allocate memory.
A Hub id (``owner/name``) is fetched into the local Hugging Face cache, data files only (no code, no
pickles), and that folder is then loaded with the same checks. The model card is written by ``_card``.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from pathlib import Path

import torch.nn as nn
from safetensors import SafetensorError
from safetensors.torch import load_model, save_model

from . import _card
from ._card import check_card, model_card
from ._registry import create_model
from .errors import InputError, RefusedFile
from .trust.bounds import MAX_PARAMETERS, meta_build  # noqa: F401  (MAX_PARAMETERS: the bound, re-exported)
from .trust.reader import check_plain, read_mapping, safetensors_shapes
from .trust.runfolder import check_finite, replace_folder

FORMAT = "zoo-suite"  # in config.json: only folders that say so may be replaced by save_pretrained

WEIGHTS, CONFIG, CARD = "model.safetensors", "config.json", "README.md"
PREPROCESSING = "preprocessing.json"  # how inputs and outputs are scaled (an image model's pixels, a field's units)
EXAMPLES = "examples.safetensors"  # a few held-out model inputs a run saves beside its weights ("inputs": (N, ...))
# A Hub model id as the Hub allows it: owner/name, each part of letters, digits, "_", "." and "-", starting
# and ending with a letter, digit or "_", at most 96 characters, no "--" or ".."; anything else is a path.
HUB_ID = re.compile(r"(?!.*(--|\.\.))\w(?:[\w.-]{0,94}\w)?/\w(?:[\w.-]{0,94}\w)?", re.ASCII)
# What a Hub download may fetch: data files, never code (*.py) or pickles (*.bin, *.pt, *.pkl).
HUB_FILES = [CONFIG, WEIGHTS, CARD, "*.json", "*.txt"]


def save_pretrained(model: nn.Module, directory: str | Path, metrics: dict | None = None,
                    notes: str = "", extra_files: dict[str, str] | None = None,
                    card: dict | None = None) -> Path:
    """Write ``model`` to ``directory``, with ``extra_files`` (file name -> text, e.g. a tokenizer) beside it.
    ``card`` is what the caller knows about the data and task, for the model card's Hub header: datasets,
    dataset_name, license, task, tags (``zoo._card.CARD_KEYS``). The folder is assembled beside it and
    swapped in at the end, so a crash midway leaves any earlier version intact."""
    directory = Path(directory)
    card = check_card(card)  # before anything is written
    if directory.exists() and any(directory.iterdir()) and not _written_here(directory):
        raise RefusedFile(f"{directory} exists and is not a model folder written by zoo-suite ({CONFIG} without "
                          f'"format": "{FORMAT}"); refusing to replace it: save somewhere else or move it away')
    check_finite(model.state_dict(), directory / WEIGHTS)
    config = model.config
    n_params = sum(p.numel() for p in model.parameters())

    def build(tmp: Path) -> None:  # a fresh private folder: nothing in it can be a link
        save_model(model, str(tmp / WEIGHTS))  # handles tied weights (shared tensors)
        meta = {"format": FORMAT, "config": config, "num_parameters": n_params, "metrics": metrics or {}}
        (tmp / CONFIG).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        (tmp / CARD).write_text(model_card(config, n_params, metrics or {}, notes, card), encoding="utf-8")
        for name, text in (extra_files or {}).items():
            if Path(name).name != name:
                raise InputError(f"extra file {name!r}: a file name, not a path")
            (tmp / name).write_text(text, encoding="utf-8")

    # Swapped in through zoo.trust.runfolder: no link followed, and a model.old/ left by a killed save is
    # recovered or cleared instead of failing every later save.
    return replace_folder(directory, build, _written_here)


def _written_here(directory: Path) -> bool:
    try:
        return read_mapping(directory / CONFIG, root=directory).get("format") == FORMAT
    except (OSError, ValueError):  # not ours, or unreadable (InputError is a ValueError)
        return False


def _root(directory: Path) -> Path:
    """The folder a model folder's files must stay inside: the folder itself, or for a snapshot in the Hugging Face
    cache (``models--owner--name/snapshots/REV``, whose files link to ``../../blobs``) the model's cache folder."""
    directory = Path(directory)
    if directory.parent.name == "snapshots" and directory.parent.parent.name.startswith("models--"):
        return directory.parent.parent
    return directory


def read_config(directory: str | Path) -> dict:
    """The ``config.json`` of a saved model folder, with errors that name the file."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"model folder {directory} does not exist (expected {CONFIG} and {WEIGHTS} in it)")
    path = directory / CONFIG
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: {directory} is not a zoo model folder (see zoo.save_pretrained)")
    meta = read_mapping(path, root=_root(directory))  # bounded plain JSON, no link out (zoo.trust.reader)
    if not isinstance(meta, dict) or not isinstance(meta.get("config"), dict) or "name" not in meta["config"]:
        raise ValueError(f"{path}: expected an object with a 'config' field holding the model 'name' and arguments")
    check_plain(meta, str(path))
    if not isinstance(meta["config"]["name"], str):
        raise InputError(f"{path}: config.name must be a model name (a string)")
    return meta


def build_checked(name: str, config: dict, weights: Path) -> nn.Module:
    """Build ``name(**config)``, after checking its sizes against ``zoo.trust.bounds`` (before anything is
    built), then on the meta device (no memory) that its parameter count is within the bound and that its
    tensors have exactly the shapes stored in ``weights``."""
    # Every size bounded on the plain values, then built on the meta device and its parameters counted.
    skeleton = meta_build(name, config, str(weights.parent / CONFIG))
    expected = {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}
    # The header read by zoo.trust.reader: its size bounded, a linked file refused (but inside the Hub cache).
    stored = safetensors_shapes(weights, root=_root(weights.parent))
    # Tied weights are stored once (save_model), so a name may be missing from the file but not differ in shape.
    wrong = [f"{k}: file {stored[k]} vs config {expected.get(k)}" for k in stored if stored[k] != expected.get(k)]
    if wrong:
        raise ValueError(f"{weights} does not match the architecture in {weights.parent / CONFIG}: "
                         + "; ".join(wrong[:3]))
    return create_model(name, **config)


def from_pretrained(id_or_folder: str | Path, num_outputs: int | None = None, **overrides) -> nn.Module:
    """Rebuild and load a model saved by ``save_pretrained``, from a local folder or a Hugging Face Hub id
    (``owner/name``, fetched to the local Hugging Face cache). ``num_outputs`` different from the saved one
    loads the backbone and gives the model a fresh head (fine-tuning); other ``overrides`` change settings
    that do not touch the weights (e.g. dropout)."""
    directory = resolve(id_or_folder)
    config = dict(read_config(directory)["config"])
    name = config.pop("name")
    weights = directory / WEIGHTS
    if not weights.is_file():
        raise FileNotFoundError(f"{weights} is missing (the folder has {CONFIG} but no weights)")
    model = build_checked(name, {**config, **overrides}, weights)
    try:
        load_model(model, str(weights), strict=True)
    except SafetensorError as e:
        raise ValueError(f"{weights} is corrupt or not a safetensors file: {e}") from e
    except RuntimeError as e:
        raise ValueError(f"{weights} does not match the architecture in {directory / CONFIG}: {e}") from e
    if num_outputs is not None and num_outputs != config.get("num_outputs"):
        model.reset_head(num_outputs)
    return model


# -- models on the Hugging Face Hub -----------------------------------------------------------------------
def resolve(id_or_folder: str | Path) -> Path:
    """The local folder to load: ``id_or_folder`` itself, unless it is a string that names no local path and
    looks like a Hub id; then the Hub's files, fetched (data files only) into the local Hugging Face cache.
    A ``Path`` is always local."""
    if isinstance(id_or_folder, str) and not Path(id_or_folder).exists() and is_hub_id(id_or_folder):
        return download(id_or_folder)
    return Path(id_or_folder)


def is_hub_id(text: str) -> bool:
    return bool(HUB_ID.fullmatch(text)) and not text.endswith(".git")


def download(repo_id: str) -> Path:
    """The snapshot folder of ``repo_id`` in the local Hugging Face cache, fetching what is missing (only
    ``HUB_FILES``); errors say how to get the model another way."""
    hub = _card.huggingface_hub()  # looked up here, so a test can make it missing
    if hub is None:
        raise InputError(f"{repo_id!r} is not a local folder; to fetch it from the Hugging Face Hub, "
                         "`pip install huggingface_hub` (or zoo-suite[hub]), or pass a local model folder")
    utils = importlib.import_module("huggingface_hub.utils")
    try:
        return Path(hub.snapshot_download(repo_id, allow_patterns=HUB_FILES, local_files_only=_offline()))
    except (utils.LocalEntryNotFoundError, *_connection_errors()) as e:
        raise InputError(
            f"{repo_id!r} is not a local folder, and as a Hugging Face Hub model it is not in the local "
            "Hugging Face cache and there is no network (or HF_HUB_OFFLINE is set). Get it on a machine with "
            f"network with `huggingface-cli download {repo_id}` (`hf download {repo_id}` in huggingface_hub "
            "1.0 and later) and copy that cache here, or pass a local model folder") from e
    except (utils.HfHubHTTPError, utils.HFValidationError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InputError(f"{repo_id!r} is not a local folder, and the Hugging Face Hub did not serve it as a "
                         f"model: {first}") from e


def _offline() -> bool:
    """HF_HUB_OFFLINE as it is now: huggingface_hub reads it once, when first imported."""
    return os.environ.get("HF_HUB_OFFLINE", "").upper() in ("1", "ON", "YES", "TRUE")


def _connection_errors() -> tuple[type[BaseException], ...]:
    """What a lost network raises, from whichever HTTP client huggingface_hub uses (httpx since 1.0, requests
    before)."""
    errors: list[type[BaseException]] = [ConnectionError, TimeoutError]
    clients = (("httpx", ("TransportError",)), ("requests.exceptions", ("ConnectionError", "Timeout")))
    for module, names in clients:
        try:
            errors += [getattr(importlib.import_module(module), n) for n in names]
        except (ImportError, AttributeError):
            continue
    return tuple(errors)


def read_scaling(folder: str | Path) -> dict | None:
    """The scaling ``preprocessing.json`` gives (an image model's pixel mean/std, a field model's input and target
    mean/std), as numbers; None without the file."""
    path = Path(folder) / PREPROCESSING
    if not path.is_file():
        return None
    data = read_mapping(path, root=_root(Path(folder)))  # bounded plain JSON (zoo.trust.reader)
    try:
        if "input_mean" in data:
            return {n: float(data[n]) for n in ("input_mean", "input_std", "target_mean", "target_std")}
        return {"mean": [float(v) for v in data["mean"]], "std": [float(v) for v in data["std"]]}
    except (ValueError, KeyError, TypeError) as e:
        raise InputError(f"{path}: expected {{\"mean\": [...], \"std\": [...]}} or a field model's "
                         f"input/target mean and std ({e})") from None
