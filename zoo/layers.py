"""Small blocks shared by the families: activations, position encodings, pooling and the head blocks (which head
a kind gets is the model contract's choice: ``zoo.models._base.head_for_kind``)."""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "silu": nn.SiLU,
    "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU,
    "sigmoid": nn.Sigmoid,
    "identity": nn.Identity,
}


def make_activation(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


def conv_nd(ndim: int):
    return {1: nn.Conv1d, 2: nn.Conv2d}[ndim]


def batch_norm_nd(ndim: int):
    return {1: nn.BatchNorm1d, 2: nn.BatchNorm2d}[ndim]


def downsample(x: torch.Tensor) -> torch.Tensor:
    """Halve every spatial dim by max-pooling, but leave a dim of size 1 alone (tiny images survive deep nets)."""
    if min(x.shape[2:]) < 2:
        return x
    pool = F.max_pool1d if x.dim() == 3 else F.max_pool2d
    return pool(x, 2, ceil_mode=True)


def sincos_encoding(positions: torch.Tensor, dim: int) -> torch.Tensor:
    """Fixed sinusoidal encoding of float positions (N,) -> (N, dim); works for any length or grid size."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=positions.device) / max(half, 1))
    angles = positions.float()[:, None] * freqs[None]  # (N, half)
    enc = torch.cat([angles.sin(), angles.cos()], dim=1)
    return F.pad(enc, (0, dim - enc.shape[1]))


def sincos_grid(shape: tuple[int, ...], dim: int, device=None, scale: tuple[float, ...] | None = None) -> torch.Tensor:
    """Encoding of a 1-D or 2-D grid, flattened row-major: (prod(shape), dim). Each axis gets dim/len(shape) channels.

    ``scale`` multiplies each axis' index (e.g. 1/size for coordinates that do not depend on resolution).
    """
    parts = []
    per_axis = dim // len(shape)
    for axis, n in enumerate(shape):
        pos = torch.arange(n, device=device, dtype=torch.float32) * (scale[axis] if scale else 1.0)
        enc = sincos_encoding(pos, per_axis)  # (n, per_axis)
        view = [1] * len(shape)
        view[axis] = n
        parts.append(enc.view(*view, per_axis).expand(*shape, per_axis))
    grid = torch.cat(parts, dim=-1).reshape(-1, per_axis * len(shape))
    return F.pad(grid, (0, dim - grid.shape[1]))


def masked_mean(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean over dim 1 of (B, L, D), counting only positions where mask (B, L) is True."""
    if mask is None:
        return x.mean(dim=1)
    m = mask.unsqueeze(-1).to(x.dtype)
    return (x * m).sum(dim=1) / m.sum(dim=1).clamp_min(1.0)


class ClassifierHead(nn.Module):
    """Pooled features (B, D) -> (B, num_outputs)."""

    def __init__(self, in_dim: int, num_outputs: int, dropout: float = 0.0):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(in_dim, num_outputs)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return self.fc(self.drop(feats))


class FieldHead(nn.Module):
    """Grid features (B, D, *grid) -> (B, num_outputs, *grid): a pointwise two-layer MLP, so any resolution works."""

    def __init__(self, in_dim: int, num_outputs: int, ndim: int, hidden: int = 64, activation: str = "gelu"):
        super().__init__()
        conv = conv_nd(ndim)
        self.net = nn.Sequential(conv(in_dim, hidden, 1), make_activation(activation), conv(hidden, num_outputs, 1))

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return self.net(feats)


class PolicyValueHead(nn.Module):
    """AlphaZero-style heads on board features (B, D, H, W): policy logits (B, A) and value in [-1, 1] (B,)."""

    def __init__(self, in_dim: int, num_actions: int, board_size: tuple[int, int], value_hidden: int = 64):
        super().__init__()
        squares = board_size[0] * board_size[1]
        self.policy = nn.Sequential(
            nn.Conv2d(in_dim, 2, 1, bias=False), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
            nn.Linear(2 * squares, num_actions),
        )
        self.value = nn.Sequential(
            nn.Conv2d(in_dim, 1, 1, bias=False), nn.BatchNorm2d(1), nn.ReLU(), nn.Flatten(),
            nn.Linear(squares, value_hidden), nn.ReLU(), nn.Linear(value_hidden, 1), nn.Tanh(),
        )

    def forward(self, feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.policy(feats), self.value(feats).squeeze(-1)

