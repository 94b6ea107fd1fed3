"""The vision app's entry for `zoo`: its CLI and its `zoo demo` steps. Kept light: heavy imports happen on use."""

from __future__ import annotations

import json
from pathlib import Path

from zoo.apps import App, DemoStep

CONFIGS = Path(__file__).parent / "configs"


def main(argv: list[str]) -> int:
    from .cli import main as cli_main

    return cli_main(argv)


def run_digits(preset: str, runs_dir: Path, max_seconds: float | None = None) -> Path:
    """Fit the digits preset, test on the held-out split; returns the run folder."""
    from .cli import main as cli_main

    config = CONFIGS / f"digits_{preset}.yaml"
    if not config.is_file():
        raise FileNotFoundError(f"no preset {preset!r} for the digits step: {config} is missing")
    name = f"{preset}_digits"
    args = ["fit", "-c", str(config), "--name", name, "--runs_dir", str(runs_dir)]
    if max_seconds:
        args += ["--trainer.max_time", _as_duration(max_seconds)]
    cli_main(args)
    run_dir = Path(runs_dir) / "vision" / name
    json.loads((run_dir / "metrics.json").read_text())  # fail here, clearly, if the run wrote no metrics
    return run_dir


def _as_duration(seconds: float) -> str:
    s = int(seconds)
    return f"00:{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


APP = App(
    name="vision",
    help="image recognition: fit|validate|test|predict (LightningCLI)",
    main=main,
    demo_steps=(DemoStep("digits", run_digits, presets=("demo", "gpu")),),
)
