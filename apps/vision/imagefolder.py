"""Any folder of images laid out as ``root/<class>/<image>`` (torchvision's ImageFolder), or a .tar/.tar.gz of one.

Images are decoded once into memory at a fixed size. A file that is not a readable image, or claims more than
``MAX_PIXELS`` pixels, is named in the error; with ``skip_bad=True`` it is skipped with a warning instead.
"""

from __future__ import annotations

import hashlib
import re
import struct
import tarfile
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from rich.progress import track

from zoo.cache import cache_dir
from zoo.errors import InputError
from zoo.trust.bounds import MAX_PIXELS, check_dataset, check_frames, check_pixels

from .data import ImageDataModule, resize

# At most MAX_PIXELS pixels are decoded per image (zoo.trust.bounds: about 40 megapixels, a 12 MP photo fits three
# times, and one image at the limit takes 480 MB as float RGB). PIL's own limit (89 MP, and only a warning below
# 179 MP) lets a small crafted PNG claim gigabytes. One frame only (check_frames): an animated GIF, a TIFF with
# many pages or a multi-layer file would be decoded whole.
# Single-channel integer modes holding 16-bit samples (PNG and TIFF greyscale at 16 bits); PIL reads some as "I".
SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")
# What PIL raises on a damaged or unsupported file besides its UnidentifiedImageError (an OSError): truncated data
# (OSError), bad headers (SyntaxError, ValueError, struct.error), files that end early (EOFError).
# What PIL raises on a damaged file: its decoders also fail with TypeError ("Missing dimensions" in a cut TIFF),
# KeyError (an unknown tag) or IndexError on garbage, and all of it means "not a readable image"
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, TypeError, KeyError, IndexError,
                 ZeroDivisionError)
# The formats PIL may decode from a stranger's file, whatever its name says. Not EPS/PS or PDF: PIL hands those to
# Ghostscript, an external program that would run the file's PostScript.
IMAGE_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP", "PPM", "ICO", "TGA")  # a multi-picture JPEG: MPO


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
    """One file -> (C, size, size) float in [0, 1]; raises an ``InputError`` naming the file if it is not a readable
    image or has more than ``MAX_PIXELS`` pixels."""
    x = torch.from_numpy(decode_image(path, channels))
    x = x.unsqueeze(0) if x.dim() == 2 else x.permute(2, 0, 1)  # (C, H, W)
    return resize(x.unsqueeze(0), size)[0]


def decode_image(path: Path, channels: int) -> np.ndarray:
    """The pixels of ``path`` as float32 in [0, 1], (H, W) for 1 channel or (H, W, 3). The size is checked from the
    header before any pixel is decoded: PIL only warns (and then decodes) up to twice its own limit."""
    if not Path(path).is_file():  # a FIFO or a device would block or never end
        raise InputError(f"{path}: {'not a regular file' if Path(path).exists() else 'no such file'}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # stop at the header, not after decoding
            # the header only: frames and size are checked before decoding
            with Image.open(path, formats=IMAGE_FORMATS) as img:
                check_image(path, img)
                return unit_pixels(img, channels)
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        found = re.search(r"\((\d+) pixels\)", str(e))  # PIL's message is the only place the size is given
        pixels = f"{int(found[1]):,} pixels" if found else str(e)
        raise InputError(f"{path}: image too large to decode ({pixels}; the limit is {MAX_PIXELS:,})") from None
    except DECODE_ERRORS as e:
        raise InputError(f"{path}: not a readable image ({type(e).__name__}: {e})") from e


def check_image(path, img: Image.Image, limit: int | None = None, side: int | None = None) -> None:
    """The one check of an opened (not yet decoded) image, for every place that decodes one: a single frame and
    layer, at most ``limit`` pixels (default ``MAX_PIXELS``; and ``side`` a side), from the header."""
    check_frames(path, img)
    check_pixels(path, *img.size, limit=MAX_PIXELS if limit is None else limit, side=side)


def unit_pixels(img: Image.Image, channels: int) -> np.ndarray:
    """Pixels scaled to [0, 1] by the range of their mode: ``convert("L")`` would clip 16-bit values to 255."""
    if img.mode in SIXTEEN_BIT:
        grey = np.clip(np.asarray(img, dtype=np.float32) / 65535, 0, 1)
        return grey if channels == 1 else np.repeat(grey[..., None], 3, axis=2)
    return np.asarray(img.convert("L" if channels == 1 else "RGB"), dtype=np.float32) / 255


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
        super().__init__(batch_size=batch_size, val_fraction=val_fraction, test_fraction=test_fraction,
                         train_fraction=train_fraction, image_size=image_size, augment=augment, split_seed=split_seed,
                         num_workers=num_workers, crop_padding=crop_padding)

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
        check_dataset(len(folder.samples), self.channels, size, str(root))  # before any image is decoded
        images, labels = [], []
        for path, label in track(folder.samples, description=f"decoding {root.name}", transient=True):
            try:
                images.append(load_image(Path(path), self.channels, size))
            except ValueError as e:
                if not self.skip_bad:
                    raise InputError(f"{e}. Remove or fix the file, or pass skip_bad=True "
                                     "(--data.init_args.skip_bad true) to skip such files.") from e
                warnings.warn(f"skipping {e}", stacklevel=2)
                continue
            labels.append(label)
        if not images:
            raise InputError(f"{root}: no readable images")
        return torch.stack(images), torch.tensor(labels), None, None
