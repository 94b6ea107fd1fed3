"""torchvision's ResNet-18/34/50 as zoo models (random init: nothing is downloaded). For small images (<= 64 px)
the stem becomes a stride-1 3x3 conv without max-pooling, as is usual for CIFAR-sized inputs."""

from __future__ import annotations

import torch
import torch.nn as nn

from .._registry import register_model
from ._base import ZooModel, build

ARCHS = ("resnet18", "resnet34", "resnet50")  # torchvision.models builders, imported when one is built (1.4 s)


class TorchvisionResNet(ZooModel):
    def __init__(self, in_kind: str = "image", in_channels: int = 3, num_outputs: int = 10, arch: str = "resnet18",
                 image_size: int = 32, small_input: bool | None = None, dropout: float = 0.0):
        super().__init__(locals())
        if arch not in ARCHS:
            raise ValueError(f"arch must be one of {', '.join(ARCHS)}; got {arch!r}")
        import torchvision.models as tvm

        net = getattr(tvm, arch)(weights=None)
        small = image_size <= 64 if small_input is None else small_input
        if small:
            net.conv1 = nn.Conv2d(in_channels, 64, 3, stride=1, padding=1, bias=False)
            net.maxpool = nn.Identity()
        elif in_channels != 3:
            net.conv1 = nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False)
        self.num_features = net.fc.in_features
        net.fc = nn.Identity()  # our head replaces it
        self.body = net
        self.head = self.make_head(num_outputs)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.validate(x)
        return self.body(x)  # (B, 512) for ResNet-18/34, (B, 2048) for ResNet-50


@register_model(family="torchvision", core=False, kinds=("image",))
def tv_resnet18(**kwargs) -> TorchvisionResNet:
    """torchvision ResNet-18 (11M parameters), random init."""
    return build(TorchvisionResNet, dict(arch="resnet18"), kwargs)


@register_model(family="torchvision", core=False, kinds=("image",))
def tv_resnet34(**kwargs) -> TorchvisionResNet:
    """torchvision ResNet-34, random init."""
    return build(TorchvisionResNet, dict(arch="resnet34"), kwargs)


@register_model(family="torchvision", core=False, kinds=("image",))
def tv_resnet50(**kwargs) -> TorchvisionResNet:
    """torchvision ResNet-50 (bottleneck blocks), random init."""
    return build(TorchvisionResNet, dict(arch="resnet50"), kwargs)
