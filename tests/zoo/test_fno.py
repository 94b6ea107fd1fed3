"""The FNO's spectral layer computes the textbook algorithm (rfft, a complex product on the kept modes, a
zero-filled irfft) to float tolerance, in 1-D and 2-D, at the resolutions where modes are clipped, in value and
in gradient; and a model still loads a state dict of the old layout."""

import pytest
import torch

from zoo.models.fno import FNO, SpectralConv


def reference(layer: SpectralConv, x: torch.Tensor) -> torch.Tensor:
    """The FFT algorithm the layer replaced (zoo-suite before issue 17), kept here as the definition."""
    w = torch.view_as_complex(layer.weight.float())  # (blocks, C_in, C_out, *modes)
    m = layer.modes
    if layer.ndim == 1:
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


def _close(a: torch.Tensor, b: torch.Tensor, rtol: float = 2e-5) -> None:
    """Equal to float32 round-off, relative to the size of the values."""
    assert a.shape == b.shape
    assert (a - b).abs().max() <= rtol * b.abs().max(), float((a - b).abs().max() / b.abs().max())


# (grid, modes): modes well inside the grid, the 1-D Nyquist mode kept (n = 2 (modes - 1)), an odd grid, modes
# clipped by a coarse grid, and in 2-D kx clipped to nx // 2 and unequal axes.
CASES = [((256,), 16), ((30,), 16), ((33,), 8), ((12,), 16),
         ((32, 32), 8), ((12, 20), 8), ((17, 9), 4), ((64, 48), 12)]


@pytest.mark.parametrize("grid,modes", CASES)
def test_spectral_layer_matches_the_fft_algorithm(grid, modes):
    torch.manual_seed(0)
    layer = SpectralConv(6, modes, len(grid))
    layer.weight.data.normal_()  # O(1) weights: the default init's 1/C^2 would make every output tiny
    x = torch.randn(3, 6, *grid, requires_grad=True)
    ours, ref = layer(x), reference(layer, x)
    _close(ours, ref)
    g = torch.randn_like(ref)
    grad_x, grad_w = torch.autograd.grad(ours, (x, layer.weight), g)
    ref_x, ref_w = torch.autograd.grad(ref, (x, layer.weight), g)
    _close(grad_x, ref_x)
    _close(grad_w, ref_w)


@pytest.mark.parametrize("ndim,grid", [(1, (64,)), (2, (24, 24))])
def test_fno_matches_the_fft_algorithm_and_keeps_its_state_dict(ndim, grid, monkeypatch):
    """A whole model (padded, non-periodic in 2-D): the new layer's forward against the old one's, with the same
    parameters under the same names (checkpoints written before the change load as they are)."""
    torch.manual_seed(0)
    model = FNO(ndim=ndim, depth=2, width=8, modes=6, periodic=ndim == 1).eval()
    names = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert names["spectral.0.weight"] == (ndim, 8, 8, *[6] * ndim, 2)
    x = torch.randn(2, 1, *grid)
    with torch.no_grad():
        ours = model(x)
        monkeypatch.setattr(SpectralConv, "forward", reference)
        ref = model(x)
    _close(ours, ref, 1e-4)


def test_spectral_layer_runs_in_float32_under_bf16_autocast():
    torch.manual_seed(0)
    layer = SpectralConv(4, 6, 1)
    layer.weight.data.normal_()
    x = torch.randn(2, 4, 32)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ours = layer(x)
    assert ours.dtype == torch.float32
    _close(ours, reference(layer, x))


def test_a_resolution_first_seen_under_inference_mode_still_trains():
    """Lightning validates under torch.inference_mode: the transform matrices cached there must not be inference
    tensors, or the next training step at that resolution could not save them for backward."""
    model = FNO(ndim=1, depth=1, width=4, modes=3)
    x = torch.randn(2, 1, 40)
    with torch.inference_mode():
        model(x)
    model(x).sum().backward()
    assert model.spectral[0].weight.grad is not None


def test_a_float64_model_runs_its_spectral_layers_in_float32():
    """As the FFT version did: the spectral path casts to float32 and back, whatever the model's dtype."""
    torch.manual_seed(0)
    model = FNO(ndim=2, depth=1, width=4, modes=3).double()
    out = model(torch.randn(2, 1, 12, 12, dtype=torch.float64))
    assert out.dtype == torch.float64 and torch.isfinite(out).all()
