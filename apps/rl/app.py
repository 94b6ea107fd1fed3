"""The RL app's entry for `zoo`: its CLI and its `zoo demo` step (tic-tac-toe from scratch, then the perfect
player)."""

from __future__ import annotations

import json
from pathlib import Path

from zoo.runtime.apps import App, DemoStep, Trial

CONFIGS = Path(__file__).parent / "configs"


def main(argv: list[str]) -> int:
    from .cli import main as cli_main

    return cli_main(argv)


def run_selfplay(preset: str, runs_dir: Path, max_seconds: float | None = None) -> Path:
    """Train tic-tac-toe with ``tictactoe_<preset>``; returns the run folder (metrics.json inside)."""
    return trial_selfplay(Trial(preset, f"tictactoe_{preset}", Path(runs_dir), max_seconds=max_seconds))


def trial_selfplay(trial: Trial) -> Path:
    """``tictactoe_<preset>`` (or ``trial.config``) with the trial's overrides; returns ``<runs_dir>/rl/<name>``."""
    from .cli import train_main

    config = trial.config or CONFIGS / f"tictactoe_{trial.preset}.yaml"
    if not config.is_file():
        raise FileNotFoundError(f"no {trial.preset!r} RL preset: {config} is missing")
    args = ["-c", str(config), "--runs_dir", str(trial.runs_dir), "--name", trial.name]
    for field, flag in (("lr", "--lr"), ("batch_size", "--batch_size"), ("seed", "--seed"), ("model", "--model")):
        if getattr(trial, field) is not None:
            args += [flag, str(getattr(trial, field))]
    if trial.model_kwargs is not None:
        args += ["--model_kwargs", json.dumps(trial.model_kwargs)]
    if trial.max_seconds:
        args += ["--max_minutes", str(trial.max_seconds / 60)]
    train_main(args)
    run_dir = Path(trial.runs_dir) / "rl" / trial.name
    json.loads((run_dir / "metrics.json").read_text())
    return run_dir


APP = App(name="rl", help="board games by self-play: train -c CONFIG, arena GAME A B, play GAME --ckpt DIR",
          main=main, demo_steps=(DemoStep("self-play", run_selfplay, presets=("demo", "quick", "gpu"), trial=trial_selfplay,
                                         config_for=lambda p: CONFIGS / f"tictactoe_{p}.yaml",
                                         kind="board", supports=("lr", "batch_size", "seed", "model", "model_kwargs",
                                                                 "max_seconds")),))
