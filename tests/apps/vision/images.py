"""Small image folders for the vision tests."""

from pathlib import Path

import numpy as np
from PIL import Image


def make_folder(root: Path, per_class: int = 6) -> Path:
    """``root/<cat|dog>/<i>.png``: ``per_class`` random 12x10 RGB images a class, seeded."""
    rng = np.random.default_rng(0)
    for cls in ("cat", "dog"):
        (root / cls).mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 255, (12, 10, 3), dtype=np.uint8)).save(root / cls / f"{i}.png")
    return root
