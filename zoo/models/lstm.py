"""LSTM family: every input is read as a sequence (image rows, DNA bases, tokens, grid points, board squares)."""

from __future__ import annotations

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .._registry import register_model
from ..layers import make_activation, masked_mean
from ._base import ZooModel, build


class LSTMNet(ZooModel):
    def __init__(
        self,
        in_kind: str = "sequence",
        in_channels: int = 4,
        num_outputs: int = 1,
        depth: int = 1,
        width: int = 64,
        activation: str = "tanh",
        bidirectional: bool = True,
        dropout: float = 0.0,
        vocab_size: int = 0,
        pad_id: int = 0,
        ndim: int = 1,
        board_size: tuple[int, int] = (8, 8),
        image_size: int = 32,
    ):
        super().__init__(locals())
        self.pad_id, self.image_size = pad_id, image_size
        if in_kind == "tokens":
            self.input_proj = nn.Embedding(vocab_size, width, padding_idx=pad_id)
        else:
            # An image row is one step: all its channels and columns together.
            step_size = in_channels * image_size if in_kind == "image" else in_channels
            self.input_proj = nn.Sequential(nn.Linear(step_size, width), make_activation(activation))
        self.lstm = nn.LSTM(width, width, num_layers=depth, batch_first=True, bidirectional=bidirectional,
                            dropout=dropout if depth > 1 else 0.0)
        self.num_features = width * (2 if bidirectional else 1)
        self.head = self.make_head(num_outputs)

    def _to_steps(self, x: torch.Tensor) -> torch.Tensor:
        """Any input kind -> a sequence of feature vectors (B, L, C)."""
        if self.kind == "image":
            if x.shape[-1] != self.image_size:
                raise ValueError(f"{self.model_name} reads image rows of width {self.image_size}; got shape "
                                 f"{tuple(x.shape)}. Build it with image_size={x.shape[-1]}.")
            return x.permute(0, 2, 1, 3).flatten(2)  # (B, C, H, W) -> (B, H, C*W)
        if self.kind in ("field", "board"):
            return x.flatten(2).transpose(1, 2)  # (B, C, *grid) -> (B, points, C), row-major
        return x  # sequence (B, L, C) or tokens (B, L)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.validate(x)
        grid = x.shape[2:]
        steps = self.input_proj(self._to_steps(x))  # (B, L, width)
        mask = (x != self.pad_id) if self.kind == "tokens" else None
        if mask is not None and not bool(mask.all()):
            # Pack so that the backward direction starts at each sentence's real end, not at the padding.
            lengths = mask.sum(1).clamp_min(1).cpu()
            packed = pack_padded_sequence(steps, lengths, batch_first=True, enforce_sorted=False)
            out, _ = self.lstm(packed)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        else:
            out, _ = self.lstm(steps)  # (B, L, D)
        if self.kind in ("field", "board"):
            return out.transpose(1, 2).reshape(x.shape[0], -1, *grid)  # (B, D, *grid)
        return masked_mean(out, mask)  # (B, D)


KINDS = ("sequence", "image", "tokens", "field", "board")


@register_model(family="lstm", kinds=KINDS)
def lstm_small(**kwargs) -> LSTMNet:
    """One bidirectional layer of 64 units: trains in seconds on a CPU."""
    return build(LSTMNet, dict(depth=1, width=64), kwargs)


@register_model(family="lstm", kinds=KINDS)
def lstm_base(**kwargs) -> LSTMNet:
    """Two bidirectional layers of 256 units: for a GPU."""
    return build(LSTMNet, dict(depth=2, width=256, dropout=0.1), kwargs)
