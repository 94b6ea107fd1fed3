"""The RL app's entry for `zoo`: its CLI and its `zoo demo` step (tic-tac-toe from scratch, then the perfect
player)."""

from __future__ import annotations

import json
from pathlib import Path

from zoo.apps import App, DemoStep

CONFIGS = Path(__file__).parent / "configs"


def main(argv: list[str]) -> int:
    from .cli import main as cli_main

    return cli_main(argv)


def run_selfplay(preset: str, runs_dir: Path, max_seconds: float | None = None) -> Path:
    """Train tic-tac-toe with ``tictactoe_<preset>``; returns the run folder (metrics.json inside)."""
    from .cli import train_main

    config = CONFIGS / f"tictactoe_{preset}.yaml"
    if not config.is_file():
        raise FileNotFoundError(f"no {preset!r} RL preset: {config} is missing")
    args = ["-c", str(config), "--runs_dir", str(runs_dir), "--name", config.stem]
    if max_seconds:
        args += ["--max_minutes", str(max_seconds / 60)]
    train_main(args)
    run_dir = Path(runs_dir) / "rl" / config.stem
    json.loads((run_dir / "metrics.json").read_text())
    return run_dir


APP = App(name="rl", help="board games by self-play: train -c CONFIG, arena GAME A B, play GAME --ckpt DIR",
          main=main, demo_steps=(DemoStep("self-play", run_selfplay, presets=("demo", "quick", "gpu")),))
