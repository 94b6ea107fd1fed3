"""The vision app's declaration: `zoo vision fit|validate|test|classify|evaluate` and its `zoo demo` step."""

from __future__ import annotations

from pathlib import Path

from zoo.runtime.app_builder import declare_app

CONFIGS = Path(__file__).parent / "configs"


def preset_file(preset: str) -> str:
    """Fashion-MNIST's preset when Debian's files are installed, else the digits' (always there)."""
    from .data import FashionMNISTDataModule

    return f"{'fashion' if FashionMNISTDataModule.available() else 'digits'}_{preset}.yaml"


APP = declare_app(
    "vision", "image recognition: fit|validate|test (LightningCLI), classify --ckpt, evaluate --ckpt",
    task="apps.vision.task:VisionTask", data=["apps.vision.data", "apps.vision.imagefolder"],
    presets=CONFIGS, preset_file=preset_file, kind="image", step="images", lessons=True,
    commands={"classify": "apps.vision.cli:classify_main", "evaluate": "apps.vision.cli:evaluate_main"},
    perf="apps.vision.perf:workloads", serve="apps.vision.serve:tab",
    floors={"demo": 0.85})  # test accuracy (Fashion-MNIST; the digits fallback is easier)
