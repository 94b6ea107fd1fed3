"""`zoo rl train -c CONFIG [--field value ...]`, `zoo rl arena GAME A B`, `zoo rl play GAME --ckpt DIR`.

Players for the arena: random, win-block, alphabeta-K, perfect (tic-tac-toe), stockfish[-SKILL] (chess), or a model
folder (a run's ``model/``), optionally with ``+mctsN`` for N simulations of search, e.g. ``runs/rl/ttt/model+mcts50``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jsonargparse import ActionConfigFile, ArgumentParser
from rich.console import Console

CONFIGS = Path(__file__).parent / "configs"


def train_main(argv: list[str]) -> int:
    from .train import Settings, train

    parser = ArgumentParser(prog="zoo rl train", description="AlphaZero-style self-play training. Every field of "
                            "the settings can be given in a YAML config (-c) or on the command line.")
    parser.add_argument("-c", "--config", action=ActionConfigFile, help=f"a preset, e.g. {CONFIGS}/tictactoe_quick.yaml")
    parser.add_argument("--name", default=None, help="run name (default: the config's name); same name resumes")
    parser.add_argument("--runs_dir", default="runs", help="runs go to <runs_dir>/rl/<name>/")
    parser.add_class_arguments(Settings)
    cfg = parser.parse_args(argv)
    settings = Settings(**{f: cfg[f] for f in Settings.__dataclass_fields__})
    name = cfg.name or (Path(str(cfg.config[0])).stem if cfg.get("config") else settings.game)
    train(settings, Path(cfg.runs_dir) / "rl" / name)
    return 0


def make_player(spec: str, game, seed: int = 0):
    """A player from its name (see the module docstring)."""
    from .network import Evaluator
    from .players import AlphaBetaPlayer, NetworkPlayer, PerfectPlayer, RandomPlayer, WinBlockPlayer

    base, _, sims = spec.partition("+mcts")
    if base == "random":
        return RandomPlayer(game, seed)
    if base == "win-block":
        return WinBlockPlayer(game, seed)
    if base == "perfect":
        return PerfectPlayer(game, seed)
    if base.startswith("alphabeta-") and base[10:].isdigit():
        return AlphaBetaPlayer(game, int(base[10:]), seed)
    if base.startswith("stockfish"):
        from .stockfish import StockfishPlayer

        skill = int(base.partition("-")[2] or 0)
        return StockfishPlayer(game, skill=skill)
    if Path(base).is_dir():
        from zoo import from_pretrained

        model = from_pretrained(base).eval()
        return NetworkPlayer(game, Evaluator(game, model), int(sims or 0), seed=seed,
                             name=f"{Path(base).parent.name}{'+mcts' + sims if sims else ''}")
    raise ValueError(f"unknown player {spec!r}: use random, win-block, perfect, alphabeta-K, stockfish[-SKILL] or "
                     "a model folder (optionally +mctsN)")


def arena_main(argv: list[str]) -> int:
    from .arena import play_match
    from .games import make_game

    ap = argparse.ArgumentParser(prog="zoo rl arena", description="Play N games, colours alternated; print W/D/L, "
                                 "score and an Elo difference with its 95% interval.", epilog=__doc__)
    ap.add_argument("game", help="tictactoe, connect4 or chess")
    ap.add_argument("player")
    ap.add_argument("opponent")
    ap.add_argument("--games", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-plies", type=int, default=0, help="chess: draw games longer than this (default 300)")
    args = ap.parse_args(argv)
    game = make_game(args.game, args.max_plies)
    result = play_match(game, make_player(args.player, game, args.seed), make_player(args.opponent, game,
                                                                                    args.seed + 1), args.games)
    Console().print(result.line())
    return 0


def play_main(argv: list[str]) -> int:
    from .arena import play_match
    from .games import make_game
    from .players import HumanPlayer

    ap = argparse.ArgumentParser(prog="zoo rl play", description="Play against a trained model in the terminal.")
    ap.add_argument("game")
    ap.add_argument("--ckpt", required=True, help="a model folder (a run's model/) or any arena player name")
    ap.add_argument("--simulations", type=int, default=100, help="the model's search per move (0: raw policy)")
    ap.add_argument("--second", action="store_true", help="let the model move first")
    args = ap.parse_args(argv)
    game = make_game(args.game)
    spec = args.ckpt if "+mcts" in args.ckpt or not Path(args.ckpt).is_dir() or not args.simulations else \
        f"{args.ckpt}+mcts{args.simulations}"
    machine = make_player(spec, game)
    human = HumanPlayer(game)
    result = play_match(game, human, machine, 1) if not args.second else play_match(game, machine, human, 1)
    print(result.line())
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"train": train_main, "arena": arena_main, "play": play_main}
    if not argv or argv[0] not in commands:
        print("usage: zoo rl {train,arena,play} ...\n" + __doc__)
        return 2
    return commands[argv[0]](argv[1:])
