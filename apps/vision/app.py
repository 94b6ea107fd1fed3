"""The vision app's entry for `zoo`: its CLI and its `zoo demo` step. Kept light: heavy imports happen on use."""

from __future__ import annotations

import json
from pathlib import Path

from zoo.runtime.apps import App, DemoStep, Trial

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
    return trial_images(Trial(preset, preset_config(preset).stem, Path(runs_dir), max_seconds=max_seconds))


def trial_images(trial: Trial) -> Path:
    """The preset (or ``trial.config``) with the trial's overrides; returns ``<runs_dir>/vision/<name>``."""
    from zoo.lessons.trials import lightning_args

    from .cli import main as cli_main

    config = trial.config or preset_config(trial.preset)
    cli_main(["fit", "-c", str(config)] + lightning_args(trial))
    run_dir = Path(trial.runs_dir) / "vision" / trial.name
    json.loads((run_dir / "metrics.json").read_text())  # fail here, clearly, if the run wrote no metrics
    return run_dir


APP = App(
    name="vision",
    help="image recognition: fit|validate|test (LightningCLI), predict --ckpt, evaluate --ckpt",
    main=main,
    demo_steps=(DemoStep("images", run_images, presets=("demo", "quick", "gpu"), trial=trial_images, kind="image",
                         config_for=preset_config, lessons=True),),
)
