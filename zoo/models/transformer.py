"""Transformer encoder family (pre-norm, scaled_dot_product_attention): ViT patches for images, tokens for text,
grid points or patches for fields, squares for boards. The attention and block are reused by the seq2seq model."""

from __future__ import annotations

import contextlib
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

from .._registry import register_model
from ..layers import conv_nd, make_activation, masked_mean, sincos_grid
from ._base import ZooModel, build, spatial_ndim


class Attention(nn.Module):
    """Multi-head attention; self-attention when ``context`` is None, cross-attention otherwise."""

    def __init__(self, dim: int, heads: int, dropout: float = 0.0):
        super().__init__()
        if dim % heads:
            raise ValueError(f"width {dim} is not divisible by heads={heads}")
        self.heads, self.dropout = heads, dropout
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, 2 * dim)
        self.proj = nn.Linear(dim, dim)

    def split(self, t: torch.Tensor) -> torch.Tensor:
        b, n, d = t.shape
        return t.view(b, n, self.heads, d // self.heads).transpose(1, 2)  # (B, H, N, hd)

    def project_kv(self, context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        k, v = self.kv(context).chunk(2, dim=-1)
        return self.split(k), self.split(v)  # each (B, H, S, hd)

    def attend(self, x: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None,
               is_causal: bool = False) -> torch.Tensor:
        q = self.split(self.q(x))  # (B, H, T, hd)
        with _cpu_bf16_kernel(q):
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=is_causal,
                                                 dropout_p=self.dropout if self.training else 0.0)
        return self.proj(out.transpose(1, 2).flatten(2))  # (B, T, D)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None, mask: torch.Tensor | None = None,
                is_causal: bool = False) -> torch.Tensor:
        k, v = self.project_kv(x if context is None else context)
        return self.attend(x, k, v, mask, is_causal)


def _cpu_bf16_kernel(q: torch.Tensor):
    """CPU flash attention's bf16 backward is ~10x slower than the plain-matmul kernel for the short sequences of
    this zoo (measured: 40 ms vs 4 ms a call at (128, 4, 16, 64)), so bf16 on CPU uses the math kernel."""
    if q.device.type == "cpu" and q.dtype == torch.bfloat16:
        return sdpa_kernel(SDPBackend.MATH)
    return contextlib.nullcontext()


class MLP(nn.Sequential):
    def __init__(self, dim: int, ratio: float, activation: str, dropout: float):
        hidden = int(dim * ratio)
        super().__init__(nn.Linear(dim, hidden), make_activation(activation), nn.Dropout(dropout),
                         nn.Linear(hidden, dim))


class EncoderBlock(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_ratio: float, activation: str, dropout: float):
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(dim), Attention(dim, heads, dropout)
        self.norm2, self.mlp = nn.LayerNorm(dim), MLP(dim, mlp_ratio, activation, dropout)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = x + self.drop(self.attn(self.norm1(x), mask=mask))  # (B, N, D)
        return x + self.drop(self.mlp(self.norm2(x)))


def key_padding_mask(keep: torch.Tensor | None) -> torch.Tensor | None:
    """(B, S) True-for-real-token -> boolean SDPA mask (B, 1, 1, S) that broadcasts over heads and queries."""
    return None if keep is None else keep[:, None, None, :]


class TransformerNet(ZooModel):
    def __init__(
        self,
        in_kind: str = "image",
        in_channels: int = 3,
        num_outputs: int = 10,
        depth: int = 2,
        width: int = 64,
        heads: int = 4,
        mlp_ratio: float = 4.0,
        activation: str = "gelu",
        dropout: float = 0.0,
        patch_size: int | None = None,
        vocab_size: int = 0,
        pad_id: int = 0,
        ndim: int = 1,
        board_size: tuple[int, int] = (8, 8),
        image_size: int = 32,
    ):
        super().__init__(locals())
        self.pad_id, self.width = pad_id, width
        # Patch size per kind when not given: ViT-style 4x4 image patches, one token per point elsewhere.
        self.patch = patch_size or (4 if in_kind == "image" else 1)
        self.nd = spatial_ndim(in_kind, ndim)
        if in_kind == "tokens":
            self.embed = nn.Embedding(vocab_size, width, padding_idx=pad_id)
        else:
            self.embed = conv_nd(self.nd)(in_channels, width, self.patch, stride=self.patch)
        self.blocks = nn.ModuleList(EncoderBlock(width, heads, mlp_ratio, activation, dropout) for _ in range(depth))
        self.norm = nn.LayerNorm(width)
        # Fields come back to full resolution: each patch token predicts its patch's features.
        self.unpatch = nn.Linear(width, width * self.patch**self.nd) if in_kind == "field" and self.patch > 1 else None
        self.num_features = width
        self.head = self.make_head(num_outputs)

    def _tokens(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, ...], torch.Tensor | None]:
        """Input -> tokens (B, N, D), the token grid shape, and a keep-mask for padding (tokens kind only)."""
        if self.kind == "tokens":
            keep = x != self.pad_id
            return self.embed(x) * math.sqrt(self.width), (x.shape[1],), keep
        if self.kind == "sequence":
            x = x.transpose(1, 2)  # (B, L, C) -> (B, C, L)
        spatial = x.shape[2:]
        if any(s % self.patch for s in spatial):
            raise ValueError(f"{self.model_name}: input grid {tuple(spatial)} is not divisible by patch_size="
                             f"{self.patch}")
        feats = self.embed(x)  # (B, D, *grid / patch)
        return feats.flatten(2).transpose(1, 2), tuple(feats.shape[2:]), None

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.validate(x)
        tokens, grid, keep = self._tokens(x)
        tokens = tokens + sincos_grid(grid, self.width, device=x.device).to(tokens.dtype)
        mask = key_padding_mask(keep)
        for block in self.blocks:
            tokens = block(tokens, mask)
        tokens = self.norm(tokens)  # (B, N, D)
        if self.kind not in ("field", "board"):
            return masked_mean(tokens, keep)  # (B, D)
        b, d = tokens.shape[0], self.width
        if self.unpatch is None:
            return tokens.transpose(1, 2).reshape(b, d, *grid)  # (B, D, *grid)
        p = self.patch
        out = self.unpatch(tokens).view(b, *grid, d, *([p] * self.nd))  # (B, *grid, D, *patch)
        if self.nd == 1:
            return out.permute(0, 2, 1, 3).reshape(b, d, grid[0] * p)
        return out.permute(0, 3, 1, 4, 2, 5).reshape(b, d, grid[0] * p, grid[1] * p)


KINDS = ("image", "tokens", "sequence", "field", "board")


@register_model(family="transformer", kinds=KINDS)
def transformer_small(**kwargs) -> TransformerNet:
    """2 pre-norm blocks, width 64, 4 heads: trains in seconds on a CPU."""
    return build(TransformerNet, dict(depth=2, width=64, heads=4), kwargs)


@register_model(family="transformer", kinds=KINDS)
def transformer_base(**kwargs) -> TransformerNet:
    """6 pre-norm blocks, width 256, 8 heads: for a GPU."""
    return build(TransformerNet, dict(depth=6, width=256, heads=8, dropout=0.1), kwargs)
