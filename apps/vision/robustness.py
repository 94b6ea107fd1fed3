"""Distribution shift and adversarial brittleness: image corruptions at 5 severities, FGSM and PGD attacks.

Images are (N, C, H, W) floats in [0, 1]; ``model`` maps such images to logits (the task normalises inside).
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.transforms.v2 as v2
import torchvision.transforms.v2.functional as TF
from torchvision.io import decode_jpeg, encode_jpeg

SEVERITIES = (1, 2, 3, 4, 5)  # severity 0 is the clean image


def _noise(x, s, g):
    sigma = (0.0, 0.04, 0.08, 0.12, 0.18, 0.26)[s]
    return (x + sigma * torch.randn(x.shape, generator=g)).clamp(0, 1)


def _blur(x, s, g):
    sigma = (0.0, 0.5, 0.75, 1.0, 1.5, 2.0)[s] * x.shape[-1] / 32
    k = 2 * math.ceil(2 * sigma) + 1
    return TF.gaussian_blur(x, [k, k], [sigma, sigma])


def _brightness(x, s, g):
    return (x + (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)[s]).clamp(0, 1)


def _contrast(x, s, g):
    factor = (1.0, 0.75, 0.5, 0.4, 0.3, 0.2)[s]
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return ((x - mean) * factor + mean).clamp(0, 1)


def _jpeg(x, s, g):
    quality = (100, 60, 30, 20, 12, 7)[s]
    as_bytes = (x * 255).round().to(torch.uint8)
    out = [decode_jpeg(encode_jpeg(img, quality=quality)) for img in as_bytes]
    return torch.stack(out).float().div(255)


def _elastic(x, s, g):
    alpha = (0.0, 8.0, 14.0, 20.0, 28.0, 36.0)[s] * x.shape[-1] / 32  # displacement strength, in pixels
    with torch.random.fork_rng():
        torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=g)))
        warp = v2.ElasticTransform(alpha=alpha, sigma=3.0 * x.shape[-1] / 32)
        return torch.stack([warp(img) for img in x]).clamp(0, 1)


CORRUPTIONS: dict[str, Callable] = {"gaussian_noise": _noise, "gaussian_blur": _blur, "brightness": _brightness,
                                    "contrast": _contrast, "jpeg": _jpeg, "elastic": _elastic}


def corrupt(x: torch.Tensor, kind: str, severity: int, seed: int = 0) -> torch.Tensor:
    """``x`` with corruption ``kind`` at ``severity`` 0..5 (0: unchanged), reproducibly for a given seed."""
    if kind not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {kind!r}; choose from {', '.join(CORRUPTIONS)}")
    if not 0 <= severity <= 5:
        raise ValueError(f"severity must be 0..5; got {severity}")
    if severity == 0:
        return x.clone()
    g = torch.Generator().manual_seed(seed * 1000 + severity * 10 + list(CORRUPTIONS).index(kind))
    return CORRUPTIONS[kind](x.cpu().float(), severity, g)


def cached_corruption(x: torch.Tensor, kind: str, severity: int, seed: int, cache: Path | None) -> torch.Tensor:
    """Like ``corrupt`` but kept on disk (keyed by the images' content), so a re-evaluation does not recompute it."""
    if cache is None:
        return corrupt(x, kind, severity, seed)
    digest = hashlib.sha1(x.numpy().tobytes()).hexdigest()[:16]
    path = cache / f"{digest}-{kind}-{severity}-{seed}.pt"
    if path.is_file():
        return torch.load(path, weights_only=True)
    out = corrupt(x, kind, severity, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(out, tmp)
    os.replace(tmp, path)
    return out


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 500) -> float:
    dev, correct = _device(model), 0
    for i in range(0, len(y), batch_size):
        correct += (model(x[i:i + batch_size].to(dev)).argmax(-1).cpu() == y[i:i + batch_size]).sum().item()
    return correct / len(y)


def fgsm(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float) -> torch.Tensor:
    """Fast gradient sign method: one step of size ``eps`` up the loss gradient's sign (L-infinity)."""
    x = x.clone().requires_grad_(True)
    grad, = torch.autograd.grad(F.cross_entropy(model(x), y), x)
    return (x + eps * grad.sign()).clamp(0, 1).detach()


def pgd(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, steps: int = 10,
        step_size: float | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """Projected gradient descent (Madry et al. 2018), L-infinity ball of radius ``eps``, uniform random start,
    ``steps`` signed-gradient steps of ``step_size`` (default 2.5 * eps / steps), projected back every step."""
    step_size = step_size if step_size is not None else 2.5 * eps / steps
    noise = torch.rand(x.shape, generator=generator).to(x.device) * 2 - 1  # uniform in [-1, 1]
    adv = (x + eps * noise).clamp(0, 1)
    for _ in range(steps):
        adv.requires_grad_(True)
        grad, = torch.autograd.grad(F.cross_entropy(model(adv), y), adv)
        adv = adv.detach() + step_size * grad.sign()
        adv = torch.min(torch.max(adv, x - eps), x + eps).clamp(0, 1)
    return adv.detach()


def adversarial_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, attack: str,
                         steps: int = 10, batch_size: int = 250, seed: int = 0) -> float:
    """Accuracy on adversarial versions of ``x``; the model is used in eval mode (no dropout, fixed norms)."""
    g = torch.Generator().manual_seed(seed)
    dev, correct = _device(model), 0
    for i in range(0, len(y), batch_size):
        xb, yb = x[i:i + batch_size].to(dev), y[i:i + batch_size].to(dev)
        adv = fgsm(model, xb, yb, eps) if attack == "fgsm" else pgd(model, xb, yb, eps, steps, generator=g)
        with torch.no_grad():
            correct += (model(adv).argmax(-1) == yb).sum().item()
    return correct / len(y)
