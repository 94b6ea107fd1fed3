"""Fourier neural operator (Li et al., 2021) for 1-D and 2-D fields.

Each layer adds a spectral convolution (a learnt complex weight on the lowest ``modes`` Fourier modes) to a
pointwise linear map. The weights act on Fourier modes rather than grid points, so a model trained at one
resolution runs at any other (zero-shot super-resolution). Non-periodic domains (e.g. Darcy with u = 0 on the
boundary) are padded before the FFT so that the periodic transform does not wrap one edge onto the other.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .._registry import register_model
from ..layers import conv_nd, make_activation
from ._base import ZooModel, build


class SpectralConv(nn.Module):
    """u -> IFFT(W * FFT(u)) on the lowest ``modes`` frequencies per axis; higher ones are dropped."""

    def __init__(self, channels: int, modes: int, ndim: int):
        super().__init__()
        self.modes, self.ndim = modes, ndim
        # Real tensors with a trailing (re, im) axis: safetensors and every optimiser handle them as they are.
        # 2-D keeps two blocks of kx (positive and negative); rfft already folds the negative ky.
        blocks = 1 if ndim == 1 else 2
        scale = 1.0 / (channels * channels)
        self.weight = nn.Parameter(scale * torch.rand(blocks, channels, channels, *([modes] * ndim), 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = torch.view_as_complex(self.weight.float())  # (blocks, C_in, C_out, *modes)
        m = self.modes
        if self.ndim == 1:
            n = x.shape[-1]
            x_ft = torch.fft.rfft(x.float())  # (B, C, n//2+1)
            out = x_ft.new_zeros(x_ft.shape)
            k = min(m, x_ft.shape[-1])
            out[..., :k] = torch.einsum("bix,iox->box", x_ft[..., :k], w[0, :, :, :k])
            return torch.fft.irfft(out, n=n).to(x.dtype)
        nx, ny = x.shape[-2:]
        x_ft = torch.fft.rfft2(x.float())  # (B, C, nx, ny//2+1)
        out = x_ft.new_zeros(x_ft.shape)
        kx, ky = min(m, nx // 2), min(m, x_ft.shape[-1])
        out[..., :kx, :ky] = torch.einsum("bixy,ioxy->boxy", x_ft[..., :kx, :ky], w[0, :, :, :kx, :ky])
        out[..., -kx:, :ky] = torch.einsum("bixy,ioxy->boxy", x_ft[..., -kx:, :ky], w[1, :, :, :kx, :ky])
        return torch.fft.irfft2(out, s=(nx, ny)).to(x.dtype)


class FNO(ZooModel):
    def __init__(
        self,
        in_kind: str = "field",
        in_channels: int = 1,
        num_outputs: int = 1,
        ndim: int = 1,
        depth: int = 4,
        width: int = 32,
        modes: int = 12,
        activation: str = "gelu",
        periodic: bool = True,
        padding: float = 0.125,
        coordinates: bool = True,
    ):
        """
        Args:
            modes: Fourier modes kept per axis in every spectral layer.
            periodic: the domain wraps around (Burgers, Navier-Stokes on the torus); otherwise the field is
                zero-padded by ``padding`` of its size on the far side before each FFT (Darcy).
            coordinates: append the grid coordinates as input channels (the operator then knows where it is).
        """
        super().__init__(locals())
        if in_kind != "field":
            raise ValueError(f"the FNO is built for in_kind='field' only; got {in_kind!r}")
        if ndim not in (1, 2):
            raise ValueError(f"the FNO supports ndim 1 or 2; got {ndim}")
        self.nd, self.periodic, self.pad, self.coordinates = ndim, periodic, padding, coordinates
        conv = conv_nd(ndim)
        self.lift = conv(in_channels + (ndim if coordinates else 0), width, 1)
        self.spectral = nn.ModuleList(SpectralConv(width, modes, ndim) for _ in range(depth))
        self.pointwise = nn.ModuleList(conv(width, width, 1) for _ in range(depth))
        self.act = make_activation(activation)
        self.num_features = width
        self.head = self.make_head(num_outputs)

    def _grid(self, x: torch.Tensor) -> torch.Tensor:
        """Coordinates in [0, 1] per axis, (B, ndim, *grid). Periodic grids sample [0, 1) (x_i = i/n), bounded
        ones include both ends, so the same point has the same coordinate at every resolution."""
        axes = []
        for n in x.shape[2:]:
            axes.append(torch.arange(n, device=x.device, dtype=x.dtype) / n if self.periodic
                        else torch.linspace(0, 1, n, device=x.device, dtype=x.dtype))
        mesh = torch.stack(torch.meshgrid(*axes, indexing="ij"))  # (ndim, *grid)
        return mesh.expand(x.shape[0], *mesh.shape)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.validate(x)
        grid = x.shape[2:]
        if self.coordinates:
            x = torch.cat([x, self._grid(x)], dim=1)  # (B, C + ndim, *grid)
        h = self.lift(x)  # (B, W, *grid)
        pads = [int(round(self.pad * n)) for n in grid] if not self.periodic else [0] * self.nd
        if any(pads):
            h = F.pad(h, [p for n in reversed(pads) for p in (0, n)])  # zero band on the far side of each axis
        for i, (spectral, pointwise) in enumerate(zip(self.spectral, self.pointwise)):
            h = spectral(h) + pointwise(h)
            if i < len(self.spectral) - 1:
                h = self.act(h)
        if any(pads):
            h = h[(..., *[slice(0, n) for n in grid])]
        return h  # (B, W, *grid)


@register_model(family="fno", kinds=("field",))
def fno_small(**kwargs) -> FNO:
    """4 Fourier layers, width 32, 12 modes: the CPU operator."""
    return build(FNO, dict(depth=4, width=32, modes=12), kwargs)


@register_model(family="fno", kinds=("field",))
def fno_base(**kwargs) -> FNO:
    """4 Fourier layers, width 64, 16 modes: the FNO paper's 1-D setting."""
    return build(FNO, dict(depth=4, width=64, modes=16), kwargs)
