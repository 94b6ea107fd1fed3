"""The RL app's declaration: `zoo rl train|arena|play` and its `zoo demo` step (tic-tac-toe from scratch, then the
perfect player). Self-play is not a LightningCLI run, so a trial becomes `zoo rl train` arguments here."""

from __future__ import annotations

import json
from pathlib import Path

from zoo.runtime.app_builder import declare_app
from zoo.runtime.apps import Trial

CONFIGS = Path(__file__).parent / "configs"


def trial_args(trial: Trial) -> list[str]:
    """`zoo rl train` arguments (after ``-c CONFIG``) for the Trial fields self-play has (see ``supports``)."""
    args = ["--runs_dir", str(trial.runs_dir), "--name", trial.name]
    for field, flag in (("lr", "--lr"), ("batch_size", "--batch_size"), ("seed", "--seed"), ("model", "--model")):
        if getattr(trial, field) is not None:
            args += [flag, str(getattr(trial, field))]
    if trial.model_kwargs is not None:
        args += ["--model_kwargs", json.dumps(trial.model_kwargs)]
    if trial.max_seconds:
        args += ["--max_minutes", str(trial.max_seconds / 60)]
    return args


APP = declare_app(
    "rl", "board games by self-play: train -c CONFIG, arena GAME A B, play GAME --ckpt DIR, uci --ckpt DIR, "
    "perf-actors (self-play on Ray, 1 actor vs N)",
    presets=CONFIGS, preset_file="tictactoe_{preset}.yaml", kind="board", step="self-play",
    commands={"train": "apps.rl.cli:train_main", "arena": "apps.rl.cli:arena_main", "play": "apps.rl.cli:play_main",
              "uci": "apps.rl.cli:uci_main", "perf-actors": "apps.rl.perf_actors:main"},
    train="train", trial_args=trial_args,
    supports=("lr", "batch_size", "seed", "model", "model_kwargs", "max_seconds"),
    perf="apps.rl.perf:workloads", serve="apps.rl.serve:tab",
    floors={"demo": 0.5})  # raw-policy score, the mean over its opponents (random, the perfect player)
