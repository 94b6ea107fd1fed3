"""Plain convolutional network: conv -> norm -> activation, repeated, pooling between stages where the kind allows.

No skip connections, on purpose: it is the family that shows vanishing gradients when it gets deep.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from .._registry import register_model
from ..layers import batch_norm_nd, conv_nd, downsample, make_activation, masked_mean
from ._base import ZooModel, build, spatial_ndim

POOLING_KINDS = ("image", "sequence")  # kinds whose output is one vector, so the grid may shrink


class CNN(ZooModel):
    def __init__(
        self,
        in_kind: str = "image",
        in_channels: int = 3,
        num_outputs: int = 10,
        depth: int = 4,
        width: int = 32,
        activation: str = "relu",
        norm: str = "batch",
        kernel_size: int = 3,
        dropout: float = 0.0,
        max_pools: int = 3,
        pool_every: int = 2,
        padding_mode: str = "zeros",
        vocab_size: int = 0,
        pad_id: int = 0,
        ndim: int = 1,
        board_size: tuple[int, int] = (8, 8),
        image_size: int = 32,
    ):
        super().__init__(locals())
        if norm not in ("batch", "none"):
            raise ValueError(f"norm must be 'batch' or 'none', got {norm!r}")
        self.pad_id = pad_id
        nd = spatial_ndim(in_kind, ndim)
        self.token_embed = nn.Embedding(vocab_size, width, padding_idx=pad_id) if in_kind == "tokens" else None
        conv, bn = conv_nd(nd), batch_norm_nd(nd)

        self.layers = nn.ModuleList()
        self.pool_after: list[bool] = []
        chans, pools = (width if in_kind == "tokens" else in_channels), 0
        for i in range(depth):
            out = width * 2 ** min(pools, 2)
            self.layers.append(nn.Sequential(
                conv(chans, out, kernel_size, padding=kernel_size // 2, padding_mode=padding_mode, bias=norm == "none"),
                bn(out) if norm == "batch" else nn.Identity(),
                make_activation(activation),
            ))
            pool = in_kind in POOLING_KINDS and i % pool_every == pool_every - 1 and pools < max_pools and i < depth - 1
            self.pool_after.append(pool)
            pools += pool
            chans = out
        self.num_features = chans
        self.head = self.make_head(num_outputs)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.validate(x)
        mask = None
        if self.kind == "sequence":
            x = x.transpose(1, 2)  # (B, L, C) -> (B, C, L)
        elif self.kind == "tokens":
            mask = x != self.pad_id  # (B, L)
            x = self.token_embed(x).transpose(1, 2)  # (B, D, L)
        for layer, pool in zip(self.layers, self.pool_after):
            x = layer(x)
            if pool:
                x = downsample(x)
        if self.kind in ("field", "board"):
            return x  # (B, D, *grid)
        return masked_mean(x.flatten(2).transpose(1, 2), mask)  # (B, D)


def _cnn(defaults: dict, kwargs: dict) -> CNN:
    return build(CNN, defaults, kwargs)


KINDS = ("image", "sequence", "tokens", "field", "board")


@register_model(family="cnn", kinds=KINDS)
def cnn_small(**kwargs) -> CNN:
    """4 conv layers, width 32: trains in seconds on a CPU."""
    return _cnn(dict(depth=4, width=32), kwargs)


@register_model(family="cnn", kinds=KINDS)
def cnn_base(**kwargs) -> CNN:
    """8 conv layers, width 64 (up to 256 after pooling): for a GPU."""
    return _cnn(dict(depth=8, width=64), kwargs)
