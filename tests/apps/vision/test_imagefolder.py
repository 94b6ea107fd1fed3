"""Image decoding: oversized images are refused from their header (and skipped with skip_bad), 16-bit images keep
their range."""

import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageFile

from apps.vision import imagefolder
from apps.vision.imagefolder import ImageFolderDataModule, load_image
from tests.apps.vision.images import make_folder
from zoo.errors import InputError


def make_folder_3(root: Path) -> Path:
    return make_folder(root, per_class=3)


def blank_png(path: Path, width: int, height: int) -> Path:
    """A valid 1-bit PNG of one colour, compressed row by row: a few kB on disk and in memory, where PIL would
    hold the whole image (50 MB at 20000x20000) to write it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row, z = b"\0" * (1 + (width + 7) // 8), zlib.compressobj(9)
    pixels = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # bit depth 1, greyscale
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))
    return path


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail if any pixel data is decoded: the size must be refused from the header alone."""
    def refuse(self):
        raise AssertionError(f"decoded a {self.size} image")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


@pytest.mark.parametrize("width, height, pixels", [(20000, 20000, "400,000,000 pixels"),  # PIL: an error
                                                   (12000, 12000, "144,000,000 pixels"),  # PIL: only a warning
                                                   (7000, 6000, "7000x6000 = 42,000,000 pixels")])  # ours
def test_oversized_images_are_refused_from_the_header(tmp_path, no_decoding, width, height, pixels):
    path = blank_png(tmp_path / "big.png", width, height)
    start = time.perf_counter()
    with pytest.raises(InputError, match=rf"big\.png: image too large to decode \({pixels}; the limit is 40,000,000"):
        load_image(path, 3, 32)
    assert time.perf_counter() - start < 1


def test_skip_bad_skips_a_decompression_bomb(tmp_path):
    root = make_folder_3(tmp_path / "imgs")
    blank_png(root / "cat" / "bomb.png", 20000, 20000)
    with pytest.warns(UserWarning, match=r"skipping .*bomb\.png: image too large"):
        dm = ImageFolderDataModule(str(root), image_size=16, skip_bad=True)
        dm.setup()
    assert len(dm.train_y) + len(dm.val_y) + len(dm.test_y) == 6
    with pytest.raises(InputError, match=r"bomb\.png: image too large.*skip_bad"):
        ImageFolderDataModule(str(root), image_size=16).setup()


def test_the_pixel_limit_is_a_module_setting(tmp_path, monkeypatch):
    path = tmp_path / "small.png"
    Image.new("RGB", (20, 10)).save(path)
    assert load_image(path, 3, 8).shape == (3, 8, 8)
    monkeypatch.setattr(imagefolder, "MAX_PIXELS", 199)
    with pytest.raises(InputError, match="20x10 = 200 pixels; the limit is 199"):
        load_image(path, 3, 8)


@pytest.mark.parametrize("channels", [1, 3])
def test_16_bit_images_keep_their_range(tmp_path, channels):
    values = np.array([[0, 16384, 32768, 65535]] * 4, dtype=np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(values).save(path)
    assert Image.open(path).mode in imagefolder.SIXTEEN_BIT
    x = load_image(path, channels, 4)
    assert x.shape == (channels, 4, 4)
    assert torch.allclose(x, torch.from_numpy(values / 65535).float().expand(channels, 4, 4), atol=1e-6)


def test_8_bit_images_are_unchanged(tmp_path):
    values = np.array([[0, 51, 255, 128]] * 4, dtype=np.uint8)
    Image.fromarray(values).save(tmp_path / "grey.png")
    x = load_image(tmp_path / "grey.png", 3, 4)
    assert torch.allclose(x, torch.from_numpy(values / 255).float().expand(3, 4, 4), atol=1e-6)
