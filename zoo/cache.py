"""Where generated and derived data is cached: $ZOO_CACHE, else ~/.cache/zoo-suite."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(*parts: str) -> Path:
    """The cache folder (or a sub-folder of it, not created here)."""
    return Path(os.environ.get("ZOO_CACHE", Path.home() / ".cache" / "zoo-suite")).joinpath(*parts)


SHARED_DATA = "../shared/data"  # how presets and defaults name the shared data: a checkout beside ../shared
DATA_HINT = "set ZOO_DATA to the folder that holds translation/, genomics/, chess/ and images/"


def data_path(path: str | Path) -> Path:
    """A data file or folder that presets name as ``../shared/data/...``: under $ZOO_DATA when it is set, else
    ``../shared/data`` from the working folder when that exists, else beside the checkout this package runs from
    (so a preset works from any folder). Any other path is returned as it is."""
    text = str(path)
    if not (text == SHARED_DATA or text.startswith(SHARED_DATA + "/")):
        return Path(path)
    rest = text[len(SHARED_DATA):].lstrip("/")
    if os.environ.get("ZOO_DATA"):
        return Path(os.environ["ZOO_DATA"]).joinpath(rest)
    here = Path(text)
    beside = Path(__file__).resolve().parents[2] / "shared" / "data" / rest  # zoo/ -> the checkout -> its parent
    return beside if not here.exists() and beside.exists() else here


def with_data_paths(value):
    """``value`` (a config: mappings, lists, strings) with every ``../shared/data/...`` string through
    ``data_path``."""
    if isinstance(value, dict):
        return {k: with_data_paths(v) for k, v in value.items()}
    if isinstance(value, list):
        return [with_data_paths(v) for v in value]
    if isinstance(value, str) and value.startswith(SHARED_DATA):
        return str(data_path(value))
    return value
