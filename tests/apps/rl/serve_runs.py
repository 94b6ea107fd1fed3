"""A tiny finished self-play run for `zoo serve` tests: an untrained network (it still plays legal moves: the
search only ever picks legal ones) saved the way ``apps.rl.train.finish`` saves a real run: ``settings.json``,
``model/`` (``save_pretrained`` with the run's model card) and ``metrics.json`` (``run_record``'s fields)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

import torch

from apps.rl.games import make_game
from apps.rl.network import build_network
from apps.rl.train import Settings, model_card
from zoo import model_info, save_pretrained
from zoo.runtime.record import Headline, RunRecord

MODEL = "resnet_small"
MODEL_KWARGS = {"tictactoe": {"depth": 1, "width": 8}, "connect4": {"depth": 1, "width": 8},
                "chess": {"depth": 1, "width": 16}}


def tiny_run(runs_dir: Path, game: str = "tictactoe", name: str | None = None) -> Path:
    """Write ``runs_dir/rl/<name>`` (default ``<game>_tiny``; about a second) and return it."""
    torch.manual_seed(0)
    name = name or f"{game}_tiny"
    run = Path(runs_dir) / "rl" / name
    run.mkdir(parents=True, exist_ok=True)
    s = Settings(game=game, model=MODEL, model_kwargs=dict(MODEL_KWARGS[game]), iterations=0)
    (run / "settings.json").write_text(json.dumps(asdict(s), indent=2))
    model = build_network(make_game(game), s.model, s.model_kwargs).eval()
    save_pretrained(model, run / "model", notes=f"Self-play on {game} (a test's tiny, untrained run).",
                    card=model_card(s))
    RunRecord(app="rl", model=s.model, run=name, run_dir=str(run), family=model_info(s.model).family,
              num_parameters=sum(p.numel() for p in model.parameters()), device="cpu", test={},
              headline=Headline("score_raw_policy", math.nan, True), fit_seconds=0.0, train_samples_per_s=0.0,
              steps=0, extra={"game": game, "iterations": 0, "train_minutes": 0.0, "positions_per_s": 0.0,
                              "matches": []}).write(run)
    return run
