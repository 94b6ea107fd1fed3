"""Bounded work: every size-like value a file or a flag may set has a documented bound, checked before any work.

A checkpoint's hyperparameters, a model folder's ``config.json``, a run's ``config.yaml``, an image's header and a
command-line flag all end up as numbers that decide how much memory or time a command takes. Each such number is
checked here, on the plain value, before anything is built, decoded or decoded-to: a wrong type, a value out of its
range or a size that divides by zero is one line naming the field, the value and the bound (an ``InputError``:
exit 2). A model a file describes is then built on PyTorch's ``meta`` device (no memory) and its parameter count
and a rough activation estimate are checked too, so no combination of in-range sizes allocates gigabytes either.

=========================  ==============================  ==========================================================
field                      bound                           why
=========================  ==============================  ==========================================================
depth                      0 .. 512                        layers / blocks of any family (200,000 built for minutes)
width                      1 .. 16,384                     channels / model dimension
heads                      1 .. 256                        attention heads (0 divided by zero)
in_channels                1 .. 4,096                      input channels
num_outputs                0 .. 1,000,000                  classes / target vocabulary (0: seq2seq's shared one)
vocab_size                 0 .. 1,000,000                  token vocabulary
pad_id, bos_id, eos_id     0 .. 1,000,000                  special token ids
image_size                 1 .. 2,048                      side of the square images a model / a preprocessing takes
patch_size                 1 .. 512, or null               transformer patches
modes                      1 .. 1,024                      FNO Fourier modes per axis
kernel_size                1 .. 31                         convolution kernels
stages, max_pools          0 .. 16, 0 .. 32                downsampling steps
pool_every                 1 .. 512                        (0 divided by zero)
dilation_growth            1 .. 16                         ResNet dilation factor
dilation_cycle             0 .. 64                         ResNet dilation period
ndim                       1 .. 3                          spatial dimensions of fields
board_size                 2 numbers, each 1 .. 64         board side lengths
mlp_ratio                  > 0 .. 64                       transformer MLP width factor
dropout                    0 .. 1                          probability
padding                    0 .. 4                          FNO padding, a fraction of the grid
parameters (meta build)    <= 2,000,000,000                what one model may allocate (``MAX_PARAMETERS``)
activations (estimate)     <= 4,000,000,000 per image      depth x widest layer x pixels (``MAX_ACTIVATIONS``)
max_decode_len             1 .. 2,048                      tokens decoded per sentence (``MAX_DECODE_LEN``)
decode length per batch    <= 4 x longest source + 50      ``decode_limit``: no output is longer than that anyway
beam_size / --beam         1 .. 64                         beams per sentence
beams in flight            <= 8,192                        --beam x --batch-size of `nlp translate` (``MAX_HYPOTHESES``)
val_bleu_sentences         0 .. 100,000                    sentences translated each validation
eval_samples, adv_steps    0 .. 1,000,000, 0 .. 1,000      vision evaluation / PGD steps
image frames / layers      1                               a multi-frame or multi-layer image is refused (``n_frames``)
image pixels (header)      <= 40,000,000 (16,000,000 and   from the header, before decoding (``MAX_PIXELS``; the
                           4,096 a side in ``zoo serve``)  serve page's own smaller limit, ``SERVE_PIXELS``)
data batch_size            1 .. 65,536                     images per batch (crop_padding 0 .. 512, num_workers
                           0 .. 64)                        0 .. 64: DataLoader processes)
dataset after resizing     <= 1,000,000,000 values         images x channels x image_size ** 2 (``MAX_DATASET_VALUES``)
RL workers                 1 .. os.cpu_count()             self-play processes (Ray on a cluster: 1 .. 4,096)
RL sizes                   see ``RL_MAXIMUM``              iterations, games, simulations, replay window, ...
sequence length            1 .. 10,000                     genomics ``length`` (data, a checkpoint's data_spec)
one-hot sequences          <= 1,000,000,000 values         sequences x length x 4 (``MAX_ONE_HOT_VALUES``)
genomics sizes             see ``GENOMICS_INTS``           n, batch_size, num_workers, max_shift, kmer_k (4 ** k
                                                           features), ism_sequences
PDE resolution             2 .. 8,192 (1-D), .. 1,024      stored / trained / evaluated grid points per axis
                           (2-D)                           (``PDE_RESOLUTION``; eval_resolutions: 16 at most)
PDE samples                see ``PDE_INTS``                n, n_train, n_val, n_test, floor_samples, batch_size
PDE dataset                <= 400,000,000 values           samples x resolution ** ndim (``MAX_FIELD_VALUES``)
=========================  ==============================  ==========================================================
"""

from __future__ import annotations

import math
import os
from numbers import Integral, Real
from typing import Any

from ..errors import InputError

MAX_PARAMETERS = 2_000_000_000
MAX_ACTIVATIONS = 4_000_000_000
MAX_DECODE_LEN = 2048
MAX_HYPOTHESES = 8192  # beams x sentences decoded at once: each holds a cache and a vocabulary-wide row of logits
DECODE_SLACK, DECODE_FACTOR = 50, 4
MAX_PIXELS = 40_000_000  # per decoded image (about 480 MB as float RGB)
SERVE_SIDE, SERVE_PIXELS = 4096, 16_000_000  # what the `zoo serve` page accepts: a phone photo fits
MAX_FRAMES = 1
MAX_LAYERS = 4  # bands / layers of one image (RGBA)
MAX_DATASET_VALUES = 1_000_000_000  # 4 GB of float32 pixels after resizing a whole dataset
MAX_RAY_ACTORS = 4096

_IDS = (0, 1_000_000)
# name -> (low, high) for whole numbers; the model arguments of every family in zoo/models.
MODEL_INTS: dict[str, tuple[int, int]] = {
    "depth": (0, 512), "width": (1, 16_384), "heads": (1, 256), "in_channels": (1, 4096),
    "num_outputs": (0, 1_000_000), "vocab_size": (0, 1_000_000), "pad_id": _IDS, "bos_id": _IDS, "eos_id": _IDS,
    "image_size": (1, 2048), "patch_size": (1, 512), "modes": (1, 1024), "kernel_size": (1, 31),
    "stages": (0, 16), "max_pools": (0, 32), "pool_every": (1, 512), "dilation_growth": (1, 16),
    "dilation_cycle": (0, 64), "ndim": (1, 3),
}
MODEL_FLOATS: dict[str, tuple[float, float]] = {"mlp_ratio": (1e-3, 64.0), "dropout": (0.0, 1.0),
                                                "padding": (0.0, 4.0)}
OPTIONAL = {"patch_size"}  # may be null
# Task hyperparameters (a checkpoint's, a run's config.yaml) that size work.
TASK_INTS: dict[str, tuple[int, int]] = {
    "max_decode_len": (1, MAX_DECODE_LEN), "beam_size": (1, 64), "val_bleu_sentences": (0, 100_000),
    "eval_samples": (0, 1_000_000), "adv_steps": (0, 1000),
}
# An image data module's settings (apps.vision.data).
DATA_INTS: dict[str, tuple[int, int]] = {"image_size": (1, 2048), "batch_size": (1, 65_536),
                                         "crop_padding": (0, 512), "num_workers": (0, 64)}
# What a data_spec (inside a checkpoint) may say.
SPEC_INTS: dict[str, tuple[int, int]] = {k: MODEL_INTS[k] for k in
                                         ("image_size", "in_channels", "vocab_size", "pad_id", "bos_id", "eos_id")}
# Science apps. A DNA model's input length: MPRA elements are 150-300 nt; every input is one-hot encoded to it and
# in-silico mutagenesis (after a fit, on the serve page) runs 4 x length forward passes of that length.
MAX_SEQUENCE_LEN = 10_000
MAX_ONE_HOT_VALUES = 1_000_000_000  # sequences x length x 4 float32: 4 GB
SPEC_INTS["length"] = (1, MAX_SEQUENCE_LEN)
GENOMICS_INTS: dict[str, tuple[int, int]] = {
    "length": (1, MAX_SEQUENCE_LEN), "n": (1, 10_000_000), "batch_size": (1, 65_536), "num_workers": (0, 64),
    "max_shift": (0, MAX_SEQUENCE_LEN), "kmer_k": (1, 8),  # the k-mer baseline counts 4 ** k features
    "ism_sequences": (0, 10_000),
}
# A PDE solver's cost grows with resolution ** ndim (Darcy: a sparse solve of that many unknowns per sample).
PDE_RESOLUTION = {1: 8192, 2: 1024}
MAX_FIELD_VALUES = 400_000_000  # one dataset array: samples x resolution ** ndim (1.6 GB float32)
MAX_EVAL_RESOLUTIONS = 16
PDE_INTS: dict[str, tuple[int, int]] = {
    "n": (1, 100_000), "n_train": (1, 100_000), "n_val": (1, 100_000), "n_test": (1, 100_000),
    "floor_samples": (0, 100_000), "batch_size": (1, 65_536), "num_workers": (0, 64),
}
# RL settings: the most each may be (the least is apps.rl.checks.MINIMUM); workers: the cores (see check_workers).
RL_MAXIMUM = {
    "iterations": 100_000, "games_per_iteration": 1_000_000, "games_in_flight": 65_536, "leaves_per_call": 256,
    "simulations": 100_000, "replay_window": 100_000_000, "train_steps": 10_000_000, "batch_size": 65_536,
    "gate_games": 100_000, "eval_every": 100_000, "eval_games": 100_000, "eval_opponents": 1000,
    "final_eval_games": 100_000, "eval_simulations": 100_000, "temperature_moves": 10_000, "max_plies": 100_000,
    "warm_start_games": 100_000_000, "warm_start_steps": 10_000_000, "puzzle_limit": 10_000_000,
    "max_minutes": 525_600,
}


def whole(value: Any, name: str, low: int, high: int, where: str = "") -> int:
    """``value`` if it is a whole number in [low, high], else an ``InputError`` naming ``where: name``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise InputError(f"{_at(where)}{name} must be a whole number from {low:,} to {high:,}, got "
                         f"{_show(value)}")
    if not low <= value <= high:
        raise InputError(f"{_at(where)}{name}={value:,} is out of bounds (from {low:,} to {high:,})")
    return int(value)


def number(value: Any, name: str, low: float, high: float, where: str = "") -> float:
    """``value`` if it is a finite number in [low, high], else an ``InputError``."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise InputError(f"{_at(where)}{name} must be a number from {low:g} to {high:g}, got {_show(value)}")
    if not low <= value <= high:
        raise InputError(f"{_at(where)}{name}={value:g} is out of bounds (from {low:g} to {high:g})")
    return float(value)


def _at(where: str) -> str:
    return f"{where}: " if where else ""


def _show(value: Any) -> str:
    text = repr(value)
    return (text[:60] + "...") if len(text) > 60 else text


def check_sizes(values: dict, ints: dict[str, tuple[int, int]], where: str,
                floats: dict[str, tuple[float, float]] | None = None) -> None:
    """Check every field of ``values`` that the tables name (the others are left to their readers)."""
    for name, (low, high) in ints.items():
        if name in values and not (name in OPTIONAL and values[name] is None):
            whole(values[name], name, low, high, where)
    for name, (low, high) in (floats or {}).items():
        if name in values:
            number(values[name], name, low, high, where)


def check_model_kwargs(kwargs: dict, where: str = "model") -> None:
    """The size-like arguments of a model (``MODEL_INTS``, ``MODEL_FLOATS``, ``board_size``) within bounds and of
    the right type, before anything is built."""
    if not isinstance(kwargs, dict):
        raise InputError(f"{where}: model arguments must be a mapping, got {type(kwargs).__name__}")
    check_sizes(kwargs, MODEL_INTS, where, MODEL_FLOATS)
    if "board_size" in kwargs:
        board = kwargs["board_size"]
        if not isinstance(board, (list, tuple)) or len(board) != 2:
            raise InputError(f"{_at(where)}board_size must be two whole numbers, got {_show(board)}")
        for side in board:
            whole(side, "board_size", 1, 64, where)
    width, heads = kwargs.get("width"), kwargs.get("heads")
    if isinstance(width, Integral) and isinstance(heads, Integral) and heads and width % heads:
        raise InputError(f"{_at(where)}width={width} is not divisible by heads={heads}")


def activation_estimate(kwargs: dict) -> int:
    """Rough values one image keeps for the backward pass: depth x the widest layer (4 x width: families double
    the width as they downsample) x pixels, plus the attention maps of a transformer. 0 where the input size is
    data's (sequences, tokens), not the model's."""
    if kwargs.get("in_kind", "image") != "image" or "image_size" not in kwargs:
        return 0
    size = int(kwargs["image_size"])
    width = max(int(kwargs.get("width", 64)), int(kwargs.get("in_channels", 3)))
    depth = max(1, int(kwargs.get("depth", 1)))
    patch = kwargs.get("patch_size")
    if "heads" in kwargs:  # a transformer: one token per patch, an attention map per head
        tokens = (size // max(1, int(patch or 4))) ** 2
        return depth * (4 * width * tokens + int(kwargs["heads"]) * tokens**2)
    return depth * 4 * width * size**2


def check_activations(kwargs: dict, where: str) -> None:
    estimate = activation_estimate(kwargs)
    if estimate > MAX_ACTIVATIONS:
        raise InputError(f"{_at(where)}a model of these sizes keeps about {estimate:,} values per image for "
                         f"training (over {MAX_ACTIVATIONS:,}); refusing to build it")


BUILD_ERRORS = (RuntimeError, TypeError, ValueError, KeyError, ZeroDivisionError, OverflowError, IndexError)


def meta_build(name: str, kwargs: dict, where: str):
    """``create_model(name, **kwargs)`` on the meta device (no memory) after ``check_model_kwargs``, its parameter
    count checked against ``MAX_PARAMETERS``; returns the skeleton. Any failure is one ``InputError``."""
    import torch

    from .._registry import create_model

    if not isinstance(name, str):
        raise InputError(f"{_at(where)}the model name must be a string, got {_show(name)}")
    check_model_kwargs(kwargs, where)
    check_activations(kwargs, where)
    try:
        with torch.device("meta"):
            skeleton = create_model(name, **dict(kwargs))
    except InputError as e:  # an unknown name: say which file asked for it
        if where and where in str(e):
            raise
        raise InputError(f"{_at(where)}{e}") from None
    except BUILD_ERRORS as e:  # what a builder raises on arguments it cannot use
        text = (e.args[0] if isinstance(e, KeyError) and e.args else str(e)).splitlines()
        raise InputError(f"{_at(where)}describes a model that cannot be built: "
                         f"{text[0] if text else type(e).__name__}") from None
    n_params = sum(p.numel() for p in skeleton.parameters())
    if n_params > MAX_PARAMETERS:
        raise InputError(f"{_at(where)}describes {n_params:,} parameters (over {MAX_PARAMETERS:,}); "
                         "refusing to allocate it")
    return skeleton


def check_hparams(hparams: dict, where: str, defaults: dict | None = None) -> None:
    """A checkpoint's task hyperparameters: the sizes of the task (``TASK_INTS``), of its ``data_spec``, of
    ``model_kwargs`` and ``model_config``, and the model those describe built on the meta device. ``defaults``:
    what the task would add to ``model_kwargs`` (its ``model_defaults``)."""
    check_sizes(hparams, TASK_INTS, where)
    spec = hparams.get("data_spec")
    if isinstance(spec, dict):
        check_sizes(spec, SPEC_INTS, f"{where} data_spec")
    config, kwargs = hparams.get("model_config"), hparams.get("model_kwargs")
    if kwargs is not None:
        check_model_kwargs(kwargs, f"{where} model_kwargs")
    if config:
        if not isinstance(config, dict) or "name" not in config:
            raise InputError(f"{where} model_config: expected a mapping with the model 'name' and its arguments")
        config = dict(config)
        name = config.pop("name")
        if config.get("hf_path"):  # a local Hugging Face folder sizes the model (transformers cannot build on meta)
            check_model_kwargs(config, f"{where} model_config")
        else:
            meta_build(name, config, f"{where} model_config")
    elif "hf_path" not in (kwargs or {}) and not hparams.get("hf_path"):
        merged = {**(defaults or {}), **(kwargs or {})}
        meta_build(hparams.get("model", "cnn_small"), merged, f"{where} model_kwargs")


def decode_limit(max_decode_len: int, longest_source: int) -> int:
    """Tokens to decode for a batch whose longest source has ``longest_source`` tokens: ``max_decode_len``, but
    never more than 4 x the source + 50 (no translation is longer) nor ``MAX_DECODE_LEN``."""
    return max(1, min(int(max_decode_len), DECODE_FACTOR * int(longest_source) + DECODE_SLACK, MAX_DECODE_LEN))


def check_decode_len(value: Any, name: str = "max_decode_len", where: str = "") -> int:
    """A decode length (a flag's, a file's) from 1 to ``MAX_DECODE_LEN``."""
    return whole(value, name, 1, MAX_DECODE_LEN, where)


def check_frames(path, img) -> None:
    """One frame / layer only: a multi-frame (GIF, TIFF pages, APNG) or multi-layer image is refused from its
    header, before any frame is decoded."""
    frames = getattr(img, "n_frames", 1)
    layers = getattr(img, "layers", 1)
    if not isinstance(frames, int) or frames > MAX_FRAMES:
        raise InputError(f"{path}: image with {frames} frames (the limit is {MAX_FRAMES}: save one frame as a "
                         "PNG or JPEG)")
    count = len(layers) if isinstance(layers, (list, tuple)) else layers  # PSD: a list; others: band count
    if isinstance(count, int) and count > MAX_LAYERS:
        raise InputError(f"{path}: image with {count} layers (the limit is {MAX_LAYERS})")


class ImageTooLarge(InputError):
    """An image whose header claims more pixels than the bound (the serve page words it for its users)."""


def check_pixels(path, width: int, height: int, limit: int = MAX_PIXELS, side: int | None = None) -> None:
    """The size an image's header claims, within ``limit`` pixels (and ``side`` on a side when given)."""
    if width * height > limit or (side is not None and max(width, height) > side):
        sides = f" and {side:,} a side" if side is not None else ""
        raise ImageTooLarge(f"{path}: image too large to decode ({width}x{height} = {width * height:,} pixels; the "
                         f"limit is {limit:,}{sides})")


def check_dataset(n: int, channels: int, size: int, where: str) -> None:
    """A whole dataset resized to ``size``: images x channels x size ** 2 within ``MAX_DATASET_VALUES``."""
    whole(size, "image_size", *MODEL_INTS["image_size"], where)
    values = int(n) * int(channels) * int(size) ** 2
    if values > MAX_DATASET_VALUES:
        raise InputError(f"{_at(where)}{n:,} images of {channels}x{size}x{size} are {values:,} values (over "
                         f"{MAX_DATASET_VALUES:,}); use a smaller image_size")


def check_sequences(n: int, length: int, where: str) -> None:
    """``n`` DNA sequences one-hot encoded at ``length``: the length within its bound, the values within
    ``MAX_ONE_HOT_VALUES``, before anything is encoded."""
    whole(length, "length", 1, MAX_SEQUENCE_LEN, where)
    values = int(n) * int(length) * 4
    if values > MAX_ONE_HOT_VALUES:
        raise InputError(f"{_at(where)}{n:,} sequences of {length:,} nt are {values:,} one-hot values (over "
                         f"{MAX_ONE_HOT_VALUES:,}); set a shorter length")


def check_field(n: int, resolution: Any, ndim: int, where: str, name: str = "resolution") -> int:
    """A PDE grid: ``resolution`` points per axis within ``PDE_RESOLUTION[ndim]`` and ``n`` samples of it
    within ``MAX_FIELD_VALUES``, before anything is solved or loaded. Returns the resolution."""
    resolution = whole(resolution, name, 2, PDE_RESOLUTION.get(ndim, min(PDE_RESOLUTION.values())), where)
    values = int(n) * resolution ** int(ndim)
    if values > MAX_FIELD_VALUES:
        raise InputError(f"{_at(where)}{n:,} samples at {name}={resolution:,} ({ndim}-D) are {values:,} values "
                         f"(over {MAX_FIELD_VALUES:,}); use fewer samples or a coarser grid")
    return resolution


def cores() -> int:
    return os.cpu_count() or 1


def check_rl_settings(s, minimum: dict[str, int]) -> None:
    """RL ``Settings``: every sized setting a number from its ``minimum`` to its ``RL_MAXIMUM``; ``workers`` at
    most the cores (Ray on a cluster: ``MAX_RAY_ACTORS``); ``model_kwargs`` as any model's."""
    remote = getattr(s, "actors", "local") == "ray" and bool(getattr(s, "ray_address", ""))
    for name, low in minimum.items():
        value = getattr(s, name)
        high = RL_MAXIMUM.get(name, (MAX_RAY_ACTORS if remote else cores()) if name == "workers" else 2**62)
        kind = "number" if name == "max_minutes" else "whole number"
        if isinstance(value, bool) or not isinstance(value, Integral if kind == "whole number" else Real) \
                or (kind == "number" and not math.isfinite(value)):
            raise InputError(f"setting {name} must be a {kind} from {low:,} to {high:,}, got {_show(value)}")
        if value < low:
            raise InputError(f"setting {name} must be at least {low}, got {value}")
        if value > high:
            why = ("" if name != "workers" else
                   " (Ray actors on a cluster)" if remote else " (the cores of this machine)")
            raise InputError(f"setting {name}={value:,} is out of bounds (at most {high:,}{why})")
    check_model_kwargs(getattr(s, "model_kwargs", None) or {}, "setting model_kwargs")
