"""Fuzzing image decoding (``load_image``, used by ImageFolder and `zoo vision classify`): arbitrary bytes and damaged
files give an InputError naming the file, and small valid images of any mode, size and format decode to a tensor
in [0, 1], never another exception."""

import io
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st
from PIL import Image

from apps.vision.imagefolder import IMAGE_FORMATS, load_image
from zoo.errors import InputError

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # PIL's notes on the damaged files, by design
# The same examples on every run (CI must not fail by luck); ZOO_FUZZ_RANDOM=1 explores new ones
DERANDOMIZE = not os.environ.get("ZOO_FUZZ_RANDOM")
SETTINGS = settings(max_examples=300, deadline=None, database=None,
                    derandomize=DERANDOMIZE)  # 1-4 s each: bounded for CI
MODES = ["1", "L", "LA", "P", "PA", "RGB", "RGBA", "CMYK", "YCbCr", "I;16", "I", "F"]
FORMATS = list(IMAGE_FORMATS)  # every format a stranger's file may be decoded as
SIZE = 8  # the model's input size: small keeps every decode fast


def encoded_image(mode: str, width: int, height: int, image_format: str, seed: int) -> bytes | None:
    """A random image in ``mode`` saved as ``image_format``, or None where the format cannot hold that mode."""
    rng = np.random.default_rng(seed)
    img = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).convert(mode)
    if mode == "I;16":
        img = Image.fromarray(rng.integers(0, 65536, (height, width), dtype=np.uint16))
    out = io.BytesIO()
    try:
        img.save(out, format=image_format)
    except (OSError, ValueError, KeyError, TypeError):  # e.g. JPEG has no alpha, GIF no 16 bits
        return None
    try:  # Pillow 12 writes an ICO of a 1x1 bilevel image with no image in it: not a valid image either
        Image.open(io.BytesIO(out.getvalue())).load()
    except (OSError, ValueError):
        return None
    return out.getvalue()


def decode(data: bytes, channels: int) -> torch.Tensor | None:
    """``load_image`` on ``data`` in a file; None if it raised an InputError that names the file."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "image.bin"
        path.write_bytes(data)
        try:
            x = load_image(path, channels, SIZE)
        except InputError as e:
            assert "image.bin" in str(e)
            return None
    assert x.shape == (channels, SIZE, SIZE) and x.dtype == torch.float32
    assert torch.isfinite(x).all() and x.min() >= 0 and x.max() <= 1
    return x


IMAGES = st.builds(encoded_image, st.sampled_from(MODES), st.integers(1, 24), st.integers(1, 24),
                   st.sampled_from(FORMATS), st.integers(0, 2**16))


@SETTINGS
@given(data=st.binary(max_size=400), channels=st.sampled_from([1, 3]))
def test_arbitrary_bytes(data, channels):
    decode(data, channels)


@SETTINGS
@given(data=IMAGES, channels=st.sampled_from([1, 3]))
def test_small_valid_images_decode(data, channels):
    if data is not None:
        assert decode(data, channels) is not None


@SETTINGS
@given(data=IMAGES.filter(lambda d: d is not None), cut=st.floats(0, 1), flips=st.lists(
    st.tuples(st.floats(0, 1), st.integers(1, 255)), max_size=4), channels=st.sampled_from([1, 3]))
@example(data=encoded_image("I;16", 3, 6, "TIFF", 0), cut=0.8984375, flips=[(0.84375, 1)], channels=1)  # PIL: TypeError
def test_damaged_images(data, cut, flips, channels):
    """A valid file cut short or with a few bytes changed: decoded anyway or refused, by name."""
    damaged = bytearray(data[: max(1, int(len(data) * cut))] if cut < 0.9 else data)
    for where, xor in flips:
        damaged[int(where * (len(damaged) - 1))] ^= xor
    decode(bytes(damaged), channels)
