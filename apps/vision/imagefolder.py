"""Any folder of images laid out as ``root/<class>/<image>`` (torchvision's ImageFolder), or a .tar/.tar.gz of one.

Images are decoded once into memory at a fixed size. A file that is not a readable image is named in the error;
with ``skip_bad=True`` it is skipped with a warning instead.
"""

from __future__ import annotations

import hashlib
import tarfile
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from rich.progress import track

from zoo.cache import cache_dir

from .data import ImageDataModule, resize


def extract_archive(archive: Path) -> Path:
    """Unpack a tar archive once into the cache; returns the folder (its single top folder if it has one)."""
    key = hashlib.sha1(f"{archive.resolve()}:{archive.stat().st_mtime_ns}".encode()).hexdigest()[:12]
    out = cache_dir("imagefolders", f"{archive.name.split('.')[0]}-{key}")
    if not out.is_dir():
        tmp = out.with_name(out.name + ".partial")
        tmp.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        tmp.rename(out)
    entries = [p for p in out.iterdir() if not p.name.startswith(".")]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else out


def load_image(path: Path, channels: int, size: int) -> torch.Tensor:
    """One file -> (C, size, size) float in [0, 1]; raises ValueError naming the file if it is not an image."""
    try:
        with Image.open(path) as img:
            img = img.convert("L" if channels == 1 else "RGB")
            array = np.asarray(img, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError) as e:
        raise ValueError(f"{path}: not a readable image ({type(e).__name__}: {e})") from e
    x = torch.from_numpy(array.copy()).float().div(255)
    x = x.unsqueeze(0) if x.dim() == 2 else x.permute(2, 0, 1)  # (C, H, W)
    return resize(x.unsqueeze(0), size)[0]


class ImageFolderDataModule(ImageDataModule):
    """A class-per-folder image collection (e.g. the CIFAR-10 test JPEGs), split train/val/test with a fixed seed."""

    flip_ok = True

    def __init__(self, root: str, image_size: int = 32, channels: int = 3, skip_bad: bool = False,
                 batch_size: int = 128, val_fraction: float = 0.1, test_fraction: float = 0.2,
                 train_fraction: float = 1.0, augment: bool = True, split_seed: int = 0, num_workers: int = 0,
                 crop_padding: int = 4):
        """
        Args:
            root: the folder (``root/<class>/<image>``) or a .tar/.tar.gz holding one.
            image_size: every image is resized to this square size.
            channels: 1 (grey) or 3 (RGB).
            skip_bad: skip unreadable files with a warning instead of stopping with an error.
        """
        self.root, self.channels, self.skip_bad = Path(root), channels, skip_bad
        self.name = self.root.name.split(".")[0]
        super().__init__(batch_size, val_fraction, test_fraction, train_fraction, image_size, augment, split_seed,
                         num_workers, crop_padding)

    def load(self):
        from torchvision.datasets import ImageFolder

        root = self.root
        if not root.exists():
            raise FileNotFoundError(f"image folder {root} does not exist (expected {root}/<class>/<image files>)")
        if root.is_file():
            root = extract_archive(root)
        # Every non-hidden file counts, so a stray non-image file is reported rather than silently ignored.
        folder = ImageFolder(str(root), loader=lambda p: p, is_valid_file=lambda p: not Path(p).name.startswith("."))
        self.class_names = tuple(folder.classes)
        size = self.hparams.image_size
        images, labels = [], []
        for path, label in track(folder.samples, description=f"decoding {root.name}", transient=True):
            try:
                images.append(load_image(Path(path), self.channels, size))
            except ValueError as e:
                if not self.skip_bad:
                    raise ValueError(f"{e}. Remove or fix the file, or pass skip_bad=True "
                                     "(--data.init_args.skip_bad true) to skip such files.") from e
                warnings.warn(f"skipping {e}", stacklevel=2)
                continue
            labels.append(label)
        if not images:
            raise ValueError(f"{root}: no readable images")
        return torch.stack(images), torch.tensor(labels), None, None
