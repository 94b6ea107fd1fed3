"""Fourier neural operator (Li et al., 2021) for 1-D and 2-D fields.

Each layer adds a spectral convolution (a learnt complex weight on the lowest ``modes`` Fourier modes) to a
pointwise linear map. The weights act on Fourier modes rather than grid points, so a model trained at one
resolution runs at any other (zero-shot super-resolution). Non-periodic domains (e.g. Darcy with u = 0 on the
boundary) are padded before the FFT so that the periodic transform does not wrap one edge onto the other.
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .._registry import register_model
from ..layers import FieldHead, conv_nd, make_activation
from ._base import ZooModel, build

# -- the truncated Fourier transforms as real matrices --------------------------------------------------------
# Only the lowest ``modes`` frequencies are kept, so the transform is a thin (n, 2k) matrix: one GEMM instead of an
# FFT over all n/2 + 1 frequencies followed by a slice, a zero-filled spectrum and an inverse FFT, and its backward
# is the transposed GEMM (an rfft's backward is a full complex FFT on a zero-padded gradient).


def _constant(build):
    """Cache a float64 matrix builder ``build(n, k)`` per (n, k, device), as float32. Built outside inference mode:
    a matrix first made under ``torch.inference_mode`` (a Lightning validation) must still serve a training step's
    autograd graph."""

    @functools.lru_cache(maxsize=64)
    def cached(n: int, k: int, device: torch.device) -> torch.Tensor:
        with torch.inference_mode(False):
            return build(n, k).to(device, torch.float32)

    def matrix(n: int, k: int, device: torch.device) -> torch.Tensor:
        if torch.compiler.is_compiling() or torch.compiler.is_exporting():
            return build(n, k).to(device, torch.float32)  # a tracer's fake tensor must never enter the cache
        return cached(n, k, device)

    return matrix


def _angles(rows: torch.Tensor, n: int) -> torch.Tensor:
    """2 pi r x / n for every frequency r in ``rows`` and point x in 0..n-1, (R, n) in float64."""
    return 2 * math.pi * torch.outer(rows.to(torch.float64), torch.arange(n, dtype=torch.float64)) / n


@_constant
def _real_analysis(n: int, k: int) -> torch.Tensor:
    """(n, 2k): u @ A = [Re, Im] of rfft(u)[:k]."""
    angle = _angles(torch.arange(k), n).T
    return torch.cat([angle.cos(), -angle.sin()], 1)


@_constant
def _real_synthesis(n: int, k: int) -> torch.Tensor:
    """(2k, n): [Re, Im] @ S = irfft(spectrum holding only modes :k, n=n). Like irfft, the imaginary parts of the
    constant and (n even) Nyquist modes are ignored, and every other mode counts twice (for its conjugate)."""
    j = torch.arange(k)
    angle = _angles(j, n)
    weight = torch.where((j == 0) | (2 * j == n), 1.0, 2.0).to(torch.float64)[:, None] / n
    return torch.cat([weight * angle.cos(), -weight * angle.sin()], 0)


def _both_signs(n: int, k: int) -> torch.Tensor:
    """Frequencies 0..k-1 and n-k..n-1: the rows fft(u)[[:k, -k:]] keeps."""
    return torch.cat([torch.arange(k), torch.arange(n - k, n)])


@_constant
def _complex_analysis(n: int, k: int) -> torch.Tensor:
    """(2, 2k, n): [Re; Im] of the DFT rows for frequencies 0..k-1 and n-k..n-1."""
    angle = _angles(_both_signs(n, k), n)
    return torch.stack([angle.cos(), -angle.sin()])


@_constant
def _complex_synthesis(n: int, k: int) -> torch.Tensor:
    """(n, 4k): [Dr | Di], the inverse DFT from frequencies 0..k-1 and n-k..n-1: [Re | Im] of ifft(o) is
    [Dr | Di] @ [[Re o, Im o], [-Im o, Re o]]."""
    angle = _angles(_both_signs(n, k), n)
    return torch.cat([angle.cos(), angle.sin()], 0).T / n


def _complex_mul_by_mode(z: torch.Tensor, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per mode, (a + ib) @ (Wr + iWi) with real GEMMs: z (M, 2, B, I) holds a and b, w (M, I, 2, O) holds Wr and
    Wi. One batched GEMM gives aWr, aWi, bWr, bWi; returns (re, im), each (M, B, O)."""
    m, _, b, i = z.shape
    p = torch.bmm(z.reshape(m, 2 * b, i), w.reshape(m, i, -1)).view(m, 2, b, 2, -1)  # (M, a|b, B, r|i, O)
    return p[:, 0, :, 0] - p[:, 1, :, 1], p[:, 0, :, 1] + p[:, 1, :, 0]


def conv1x1(layer: nn.Module, h: torch.Tensor) -> torch.Tensor:
    """``layer(h)``, with a pointwise (1x1) convolution run as one batched GEMM on (B, C, *grid): the same
    parameters, 2-3x faster than the CPU convolution kernel forward and backward at FNO sizes. Any other layer
    (an activation, a strided conv) is simply called."""
    plain = (isinstance(layer, (nn.Conv1d, nn.Conv2d)) and layer.groups == 1 and layer.padding_mode == "zeros"
             and all(v == 1 for v in (*layer.kernel_size, *layer.stride, *layer.dilation))
             and not any(layer.padding))
    if not plain:
        return layer(h)
    b, _, *grid = h.shape
    w = layer.weight.flatten(1).expand(b, -1, -1)  # (B, O, I)
    if layer.bias is None:
        return torch.bmm(w, h.flatten(2)).view(b, -1, *grid)
    return torch.baddbmm(layer.bias[:, None], w, h.flatten(2)).view(b, -1, *grid)  # (B, O, *grid)


class SpectralConv(nn.Module):
    """u -> IFFT(W * FFT(u)) on the lowest ``modes`` frequencies per axis; higher ones are dropped.

    The truncated transforms are thin real matrices (see ``_real_analysis``) and the per-mode complex products one
    real batched GEMM, so the layer is a handful of GEMMs and small copies. With the 1x1 convolutions as GEMMs
    (``conv1x1``), fno_base trains Burgers (256 points) about 1.6x as fast on one CPU thread as with rfft ->
    complex einsum -> zero-filled irfft (2-D, 64 x 64 padded Darcy: 1.3x), and computes the same function
    (tests/zoo/test_fno.py checks it against that algorithm). It runs in float32 whatever the autocast, as the
    FFTs did."""

    def __init__(self, channels: int, modes: int, ndim: int):
        super().__init__()
        self.modes, self.ndim = modes, ndim
        # Real tensors with a trailing (re, im) axis: safetensors and every optimiser handle them as they are.
        # 2-D keeps two blocks of kx (positive and negative); rfft already folds the negative ky.
        blocks = 1 if ndim == 1 else 2
        scale = 1.0 / (channels * channels)
        self.weight = nn.Parameter(scale * torch.rand(blocks, channels, channels, *([modes] * ndim), 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(x.device.type, enabled=False):
            out = self._forward_1d(x.float()) if self.ndim == 1 else self._forward_2d(x.float())
        return out.to(x.dtype)

    def _forward_1d(self, x: torch.Tensor) -> torch.Tensor:
        b, c, n = x.shape
        k = min(self.modes, n // 2 + 1)
        z = (x @ _real_analysis(n, k, x.device)).view(b, c, 2, k)  # (B, C, re|im, k)
        w = self.weight.float()[0, :, :, :k].permute(2, 0, 3, 1)  # (k, I, re|im, O)
        re, im = _complex_mul_by_mode(z.permute(3, 2, 0, 1), w)  # (k, B, O) each
        out = torch.stack([re, im]).permute(2, 3, 0, 1).reshape(b, -1, 2 * k)  # (B, O, 2k)
        return out @ _real_synthesis(n, k, x.device)  # (B, O, n)

    def _forward_2d(self, x: torch.Tensor) -> torch.Tensor:
        b, c, nx, ny = x.shape
        kx, ky = min(self.modes, nx // 2), min(self.modes, ny // 2 + 1)
        zy = x @ _real_analysis(ny, ky, x.device)  # (B, C, nx, 2ky): rfft along y, [Re | Im]
        p = (_complex_analysis(nx, kx, x.device).view(4 * kx, nx) @ zy).view(b, c, 2, 2 * kx, 2, ky)
        re = p[:, :, 0, :, 0] - p[:, :, 1, :, 1]  # (B, C, 2kx, ky): fft along x, rows [:kx] and [-kx:]
        im = p[:, :, 0, :, 1] + p[:, :, 1, :, 0]
        z = torch.stack([re, im]).permute(3, 4, 0, 1, 2).reshape(2 * kx * ky, 2, b, c)  # (M, re|im, B, C)
        w = self.weight.float()[:, :, :, :kx, :ky].permute(0, 3, 4, 1, 5, 2)  # (block, kx, ky, I, re|im, O)
        re, im = _complex_mul_by_mode(z, w.reshape(2 * kx * ky, c, 2, -1))  # (M, B, O) each
        re, im = (t.view(2 * kx, ky, b, -1).permute(2, 3, 0, 1) for t in (re, im))  # (B, O, 2kx, ky)
        blocks = torch.cat([torch.cat([re, im], -1), torch.cat([-im, re], -1)], -2)  # (B, O, 4kx, 2ky)
        zx = _complex_synthesis(nx, kx, x.device) @ blocks  # (B, O, nx, 2ky): ifft along x, [Re | Im]
        return zx @ _real_synthesis(ny, ky, x.device)  # (B, O, nx, ny): irfft along y


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
        h = conv1x1(self.lift, x)  # (B, W, *grid)
        pads = [int(round(self.pad * n)) for n in grid] if not self.periodic else [0] * self.nd
        if any(pads):
            h = F.pad(h, [p for n in reversed(pads) for p in (0, n)])  # zero band on the far side of each axis
        for i, (spectral, pointwise) in enumerate(zip(self.spectral, self.pointwise)):
            h = spectral(h) + conv1x1(pointwise, h)
            if i < len(self.spectral) - 1:
                h = self.act(h)
        if any(pads):
            h = h[(..., *[slice(0, n) for n in grid])]
        return h  # (B, W, *grid)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Features, then the head: a FieldHead's own modules are run here so that its 1x1 convolutions take the
        GEMM path too (module forward hooks on them are therefore not called)."""
        h = self.forward_features(x)
        if not isinstance(self.head, FieldHead):
            return self.head(h)
        for layer in self.head.net:  # the same modules, with its 1x1 convolutions run as GEMMs
            h = conv1x1(layer, h)
        return h


@register_model(family="fno", kinds=("field",))
def fno_small(**kwargs) -> FNO:
    """4 Fourier layers, width 32, 12 modes: the CPU operator."""
    return build(FNO, dict(depth=4, width=32, modes=12), kwargs)


@register_model(family="fno", kinds=("field",))
def fno_base(**kwargs) -> FNO:
    """4 Fourier layers, width 64, 16 modes: the FNO paper's 1-D setting."""
    return build(FNO, dict(depth=4, width=64, modes=16), kwargs)
