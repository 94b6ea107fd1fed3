"""Residual network of basic blocks (two convs with batch norm and an identity shortcut).

For images and sequences the blocks form three stages that halve the grid and double the width; for boards and
fields the grid is kept, which makes it the AlphaZero policy/value tower.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from .._registry import register_model
from ..layers import batch_norm_nd, conv_nd, make_activation, masked_mean
from ._base import ZooModel, build, spatial_ndim

STRIDED_KINDS = ("image", "sequence")


class BasicBlock(nn.Module):
    def __init__(self, nd: int, c_in: int, c_out: int, stride: int, activation: str, padding_mode: str,
                 dilation: int = 1):
        super().__init__()
        conv, bn = conv_nd(nd), batch_norm_nd(nd)
        d = dilation  # dilated kernels widen the receptive field without pooling (e.g. Basenji/DeepSTARR-style DNA)
        self.conv1 = conv(c_in, c_out, 3, stride=stride, padding=d, dilation=d, padding_mode=padding_mode, bias=False)
        self.bn1 = bn(c_out)
        self.act = make_activation(activation)
        self.conv2 = conv(c_out, c_out, 3, padding=d, dilation=d, padding_mode=padding_mode, bias=False)
        self.bn2 = bn(c_out)
        # Projection shortcut only where the shape changes; otherwise the identity carries the gradient.
        self.shortcut = (
            nn.Sequential(conv(c_in, c_out, 1, stride=stride, bias=False), bn(c_out))
            if stride != 1 or c_in != c_out else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.act(out + self.shortcut(x))


class ResNet(ZooModel):
    def __init__(
        self,
        in_kind: str = "image",
        in_channels: int = 3,
        num_outputs: int = 10,
        depth: int = 4,
        width: int = 32,
        activation: str = "relu",
        stages: int = 3,
        dropout: float = 0.0,
        padding_mode: str = "zeros",
        vocab_size: int = 0,
        pad_id: int = 0,
        ndim: int = 1,
        board_size: tuple[int, int] = (8, 8),
        image_size: int = 32,
        dilation_growth: int = 1,
        dilation_cycle: int = 4,
    ):
        """``dilation_growth`` g > 1 dilates block i by g ** (i % ``dilation_cycle``) (1, 2, 4, 8, 1, ... for g=2)."""
        super().__init__(locals())
        self.pad_id = pad_id
        nd = spatial_ndim(in_kind, ndim)
        conv, bn = conv_nd(nd), batch_norm_nd(nd)
        self.token_embed = nn.Embedding(vocab_size, width, padding_idx=pad_id) if in_kind == "tokens" else None
        stem_in = width if in_kind == "tokens" else in_channels
        self.stem = nn.Sequential(
            conv(stem_in, width, 3, padding=1, padding_mode=padding_mode, bias=False), bn(width),
            make_activation(activation),
        )
        n_stages = max(1, min(stages, depth)) if in_kind in STRIDED_KINDS else 1
        blocks, chans = [], width
        for i in range(depth):
            stage = i * n_stages // depth  # blocks spread evenly over stages
            first_of_stage = i > 0 and stage != (i - 1) * n_stages // depth
            out = width * 2**stage
            dilation = dilation_growth ** (i % max(1, dilation_cycle))
            blocks.append(BasicBlock(nd, chans, out, 2 if first_of_stage else 1, activation, padding_mode, dilation))
            chans = out
        self.blocks = nn.Sequential(*blocks)
        self.num_features = chans
        self.head = self.make_head(num_outputs)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.validate(x)
        mask = None
        if self.kind == "sequence":
            x = x.transpose(1, 2)  # (B, L, C) -> (B, C, L)
        elif self.kind == "tokens":
            mask = x != self.pad_id
            x = self.token_embed(x).transpose(1, 2)  # (B, D, L)
        x = self.blocks(self.stem(x))
        if self.kind in ("field", "board"):
            return x  # (B, D, *grid)
        return masked_mean(x.flatten(2).transpose(1, 2), mask)  # (B, D)


KINDS = ("image", "board", "sequence", "tokens", "field")


@register_model(family="resnet", kinds=KINDS)
def resnet_small(**kwargs) -> ResNet:
    """4 residual blocks, width 32: trains in seconds on a CPU."""
    return build(ResNet, dict(depth=4, width=32), kwargs)


@register_model(family="resnet", kinds=KINDS)
def resnet_base(**kwargs) -> ResNet:
    """8 residual blocks, width 64 (to 256 over three stages): for a GPU."""
    return build(ResNet, dict(depth=8, width=64), kwargs)


@register_model(family="resnet", kinds=("sequence", "field"))
def resnet_dilated(**kwargs) -> ResNet:
    """8 residual blocks of width 64 dilated 1, 2, 4, 8 (twice), two stages: long-range context along a sequence."""
    return build(ResNet, dict(depth=8, width=64, stages=2, dilation_growth=2), kwargs)


@register_model(family="resnet", kinds=("board", "field"))
def resnet_tower(**kwargs) -> ResNet:
    """AlphaZero-style tower: 10 blocks of width 128 at full board resolution."""
    return build(ResNet, dict(in_kind="board", depth=10, width=128), kwargs)
