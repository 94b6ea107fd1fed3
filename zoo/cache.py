"""Where generated and derived data is cached: $ZOO_CACHE, else ~/.cache/zoo-suite."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(*parts: str) -> Path:
    """The cache folder (or a sub-folder of it, not created here)."""
    return Path(os.environ.get("ZOO_CACHE", Path.home() / ".cache" / "zoo-suite")).joinpath(*parts)
