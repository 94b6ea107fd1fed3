"""Reference shapes per input kind: what `zoo models` counts parameters at, and what tests feed every model."""

from __future__ import annotations

import torch
import torch.nn as nn

from ._registry import create_model

# Build arguments per kind (small data shapes; the model's own size comes from its variant).
REFERENCE_KWARGS: dict[str, dict] = {
    "image": dict(in_channels=3, num_outputs=10, image_size=32),
    "sequence": dict(in_channels=4, num_outputs=1),
    "tokens": dict(vocab_size=1000, num_outputs=2),
    "field": dict(in_channels=1, num_outputs=1, ndim=1),
    "board": dict(in_channels=3, num_outputs=7, board_size=(6, 7)),
    "seq2seq": dict(vocab_size=1000),
}


def build_reference(name: str, kind: str, **overrides) -> nn.Module:
    return create_model(name, in_kind=kind, **{**REFERENCE_KWARGS[kind], **overrides})


def example_input(kind: str, batch: int = 2, generator: torch.Generator | None = None, **shape):
    """A random input of the reference shape for ``kind`` (``shape`` overrides, e.g. length=16, ndim=2)."""
    g = generator
    if kind == "image":
        s = shape.get("image_size", 32)
        return torch.randn(batch, shape.get("in_channels", 3), s, s, generator=g)
    if kind == "sequence":
        return torch.randn(batch, shape.get("length", 64), shape.get("in_channels", 4), generator=g)
    if kind == "tokens":
        x = torch.randint(1, shape.get("vocab_size", 1000), (batch, shape.get("length", 12)), generator=g)
        x[0, -3:] = 0  # padding on one row
        return x
    if kind == "field":
        grid = (shape.get("size", 32),) * shape.get("ndim", 1)
        return torch.randn(batch, shape.get("in_channels", 1), *grid, generator=g)
    if kind == "board":
        h, w = shape.get("board_size", (6, 7))
        return torch.randn(batch, shape.get("in_channels", 3), h, w, generator=g)
    if kind == "seq2seq":
        v = shape.get("vocab_size", 1000)
        src = torch.randint(3, v, (batch, shape.get("length", 9)), generator=g)
        src[0, -2:] = 0
        tgt = torch.randint(3, v, (batch, shape.get("target_length", 7)), generator=g)
        tgt[:, 0] = 1
        return src, tgt
    raise KeyError(f"unknown kind {kind!r}")
