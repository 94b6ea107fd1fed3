"""Checkpoint I/O that cannot corrupt a checkpoint and never runs code when loading one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO


class SafeCheckpointIO(TorchCheckpointIO):
    """Write to a temporary file in the same folder and rename it into place (atomic on POSIX), so a crash mid-save
    leaves the previous checkpoint intact; load with ``weights_only=True``."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path, storage_options=None) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                torch.save(checkpoint, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def load_checkpoint(self, path, map_location=None, weights_only: bool | None = None) -> dict[str, Any]:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"checkpoint {path} does not exist")
        try:
            return torch.load(path, map_location=map_location or "cpu", weights_only=True)
        except Exception as e:  # torch raises several types for truncated or foreign files
            raise ValueError(f"cannot read checkpoint {path}: {type(e).__name__}: {e}") from e
