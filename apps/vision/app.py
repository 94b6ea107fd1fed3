"""The vision app's entry for `zoo`: its CLI and its `zoo demo` step. Kept light: heavy imports happen on use."""

from __future__ import annotations

import json
from pathlib import Path

from zoo.apps import App, DemoStep, as_duration

CONFIGS = Path(__file__).parent / "configs"


def main(argv: list[str]) -> int:
    from .cli import main as cli_main

    return cli_main(argv)


def preset_config(preset: str) -> Path:
    """Fashion-MNIST's preset when the data is installed, else the digits' (always there)."""
    from .data import FashionMNISTDataModule

    dataset = "fashion" if FashionMNISTDataModule.available() else "digits"
    config = CONFIGS / f"{dataset}_{preset}.yaml"
    if not config.is_file():
        raise FileNotFoundError(f"no {preset!r} preset for {dataset}: {config} is missing")
    return config


def run_images(preset: str, runs_dir: Path, max_seconds: float | None = None) -> Path:
    """Fit the preset, test on the held-out split and evaluate robustness; returns the run folder."""
    from .cli import main as cli_main

    config = preset_config(preset)
    name = config.stem  # e.g. fashion_demo
    args = ["fit", "-c", str(config), "--name", name, "--runs_dir", str(runs_dir)]
    if max_seconds:
        args += ["--trainer.max_time", as_duration(max_seconds)]
    cli_main(args)
    run_dir = Path(runs_dir) / "vision" / name
    json.loads((run_dir / "metrics.json").read_text())  # fail here, clearly, if the run wrote no metrics
    return run_dir


APP = App(
    name="vision",
    help="image recognition: fit|validate|test (LightningCLI), predict --ckpt, evaluate --ckpt",
    main=main,
    demo_steps=(DemoStep("images", run_images, presets=("demo", "quick", "gpu")),),
)
