"""`zoo rl train -c CONFIG [--field value ...] [--actors ray [--ray-address ADDR] [--num-actors N]]`,
`zoo rl arena GAME A B`, `zoo rl play GAME --ckpt DIR`, `zoo rl uci --ckpt DIR` (the chess model as a UCI engine).

Players for the arena: random, win-block, alphabeta-K, perfect (tic-tac-toe), stockfish[-SKILL] (chess), or a model
folder (a run's ``model/``), optionally with ``+mctsN`` for N simulations of search, e.g. ``runs/rl/ttt/model+mcts50``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jsonargparse import ActionConfigFile, ArgumentParser

from zoo.errors import InputError, RefusedFile, parser_error_line
from zoo.runtime.args import CommandParser
from zoo.runtime.config_sources import HELP_FLAGS, read_command_line
from zoo.runtime.console import make_console
from zoo.trust.reader import check_plain
from zoo.trust.runfolder import RunFolder, check_run_name, inside

CONFIGS = Path(__file__).parent / "configs"


def train_main(argv: list[str]) -> int:
    from .checks import check_settings
    from .train import Settings, train

    parser = ArgumentParser(prog="zoo rl train", description="AlphaZero-style self-play training. Every field of "
                            "the settings can be given in a YAML config (-c) or on the command line.",
                            exit_on_error=False)  # a bad value is our one line, not a usage block
    parser.add_argument("-c", "--config", action=ActionConfigFile, help="a preset: a packaged one by name (tictactoe_quick) or any file")
    parser.add_argument("--name", default=None, help="run name (default: the config's name); same name resumes")
    parser.add_argument("--runs_dir", default="runs", help="runs go to <runs_dir>/rl/<name>/")
    parser.add_class_arguments(Settings)
    argv = spelled_as_fields(argv)
    if any(a in HELP_FLAGS for a in argv):
        parser.parse_args(["--help"])
    # A config is data: read by us (any name, bounded, no aliases), handed to jsonargparse as a dict.
    line = read_command_line(argv, presets=CONFIGS)
    for source, fragment in line.files:
        if "runs_dir" in fragment:
            raise RefusedFile(f"{source}: runs_dir: a config file does not choose where runs are written; give "
                              "--runs_dir on the command line")
    try:
        cfg = parser.parse_object(line.config)
    except argparse.ArgumentError as e:
        where = line.files[-1][0] if line.files else "the command line"
        raise InputError(f"{where}: {parser_error_line(e, 'zoo rl train --help')}") from None
    settings = Settings(**{f: cfg[f] for f in Settings.__dataclass_fields__})
    check_plain(settings.model_kwargs, "model_kwargs")
    name = check_run_name(cfg.name or (Path(line.files[0][0]).stem if line.files else settings.game))
    run_dir = inside(Path(cfg.runs_dir) / "rl" / name, cfg.runs_dir)
    check_settings(settings)  # before the folder is made: a refused setting leaves nothing behind
    RunFolder.claim(run_dir, "--name", within=cfg.runs_dir)  # new, or this run's own (resumed); never a foreign one
    train(settings, run_dir)
    return 0


# The scale-out options as the README spells them (dashes, a cluster's word "actors") -> the settings' own fields.
ALIASES = {"--num-actors": "--workers", "--ray-address": "--ray_address"}


def spelled_as_fields(argv: list[str]) -> list[str]:
    """``argv`` with every alias of ``ALIASES`` (alone or as ``--alias=value``) replaced by its settings field."""
    out = []
    for arg in argv:
        flag, eq, value = arg.partition("=")
        out.append(ALIASES.get(flag, flag) + eq + value if flag in ALIASES else arg)
    return out


def make_player(spec: str, game, seed: int = 0):
    """A player from its name (see the module docstring); a malformed name or a missing model folder is an
    ``InputError`` naming the spec and the valid forms."""
    from .network import Evaluator
    from .player_spec import forms, parse_player_spec
    from .players import AlphaBetaPlayer, NetworkPlayer, PerfectPlayer, RandomPlayer, WinBlockPlayer

    p = parse_player_spec(spec)
    if p.kind == "random":
        return RandomPlayer(game, seed)
    if p.kind == "win-block":
        return WinBlockPlayer(game, seed)
    if p.kind == "perfect":
        return PerfectPlayer(game, seed)
    if p.kind == "alphabeta":
        return AlphaBetaPlayer(game, p.number, seed)
    if p.kind == "stockfish":
        from .stockfish import StockfishPlayer

        return StockfishPlayer(game, skill=p.number)
    if not Path(p.path).is_dir():
        # A bare word is more likely a mistyped player name than a folder; a path is a folder that is not there.
        problem = (f"bad player {spec!r}: no such model folder {p.path!r}" if "/" in p.path or p.simulations else
                   f"unknown player {spec!r}: no player has that name and there is no folder {p.path!r}")
        raise InputError(f"{problem}; valid players: {forms()}")
    model = load_model_for(p.path, game)
    return NetworkPlayer(game, Evaluator(game, model), p.simulations, seed=seed,
                         name=f"{Path(p.path).parent.name}{f'+mcts{p.simulations}' if p.simulations else ''}")


def load_model_for(folder: str, game):
    """The model saved in ``folder``, refused with a clear message if it was built for another game (its input
    planes or actions differ), which would otherwise fail in the middle of the first move."""
    from zoo import from_pretrained
    from zoo._hub import read_config

    from .network import board_kwargs

    config = read_config(folder)["config"]
    expected = board_kwargs(game)
    for key in ("in_channels", "num_outputs"):
        if key in config and config[key] != expected[key]:
            raise InputError(f"model folder {folder} has {key}={config[key]}, but {game.name} needs "
                             f"{expected[key]}: it was trained for another game")
    return from_pretrained(folder).eval()


def positive(name: str, value: int, low: int = 1) -> int:
    """``value`` if it is at least ``low``, else an error naming the option."""
    if value < low:
        raise InputError(f"{name} must be at least {low}, got {value}")
    return value


def arena_main(argv: list[str]) -> int:
    from .arena import play_match
    from .games import make_game

    ap = CommandParser(prog="zoo rl arena", description="Play N games, colours alternated; print W/D/L, "
                                 "score and an Elo difference with its 95% interval.", epilog=__doc__)
    ap.add_argument("game", help="tictactoe, connect4 or chess")
    ap.add_argument("player")
    ap.add_argument("opponent")
    ap.add_argument("--games", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-plies", type=int, default=0, help="chess: draw games longer than this (default 300)")
    args = ap.parse_args(argv)
    positive("--games", args.games)
    positive("--max-plies", args.max_plies, low=0)
    game = make_game(args.game, args.max_plies)
    result = play_match(game, make_player(args.player, game, args.seed), make_player(args.opponent, game,
                                                                                    args.seed + 1), args.games)
    make_console().print(result.line())
    return 0


def play_main(argv: list[str]) -> int:
    from .arena import play_match
    from .games import make_game
    from .players import HumanPlayer

    ap = CommandParser(prog="zoo rl play", description="Play against a trained model in the terminal.")
    ap.add_argument("game")
    ap.add_argument("--ckpt", required=True, help="a model folder (a run's model/) or any arena player name")
    ap.add_argument("--simulations", type=int, default=100, help="the model's search per move (0: raw policy)")
    ap.add_argument("--second", action="store_true", help="let the model move first")
    args = ap.parse_args(argv)
    positive("--simulations", args.simulations, low=0)
    game = make_game(args.game)
    machine = make_player(play_spec(args.ckpt, args.simulations), game)
    human = HumanPlayer(game)
    result = play_match(game, human, machine, 1) if not args.second else play_match(game, machine, human, 1)
    print(result.line())
    return 0


def uci_main(argv: list[str]) -> int:
    from .games import make_game
    from .network import Evaluator
    from .uci import Engine, serve, write_line

    ap = CommandParser(prog="zoo rl uci", description="The chess model and its search as a UCI engine: "
                                 "give this command to a chess GUI or tournament manager as the engine to run.")
    ap.add_argument("--ckpt", required=True, help="a chess model folder (a run's model/, e.g. runs/rl/chess/model)")
    ap.add_argument("--simulations", type=int, default=200,
                    help="search per move when `go` gives no time or node limit (the Simulations option)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    positive("--simulations", args.simulations)
    if not Path(args.ckpt).is_dir():
        raise InputError(f"--ckpt {args.ckpt}: no such model folder (give a chess run's model/ folder)")
    game = make_game("chess")
    evaluate = Evaluator(game, load_model_for(args.ckpt, game), precision="auto")
    # readline, not iteration: iterating a pipe waits for a whole buffer, and a GUI waits for our answer
    serve(Engine(evaluate, args.simulations, write_line, seed=args.seed), iter(sys.stdin.readline, ""))
    return 0


def play_spec(ckpt: str, simulations: int) -> str:
    """The player ``zoo rl play --ckpt`` names: a model folder gets ``--simulations`` of search unless it says its
    own ``+mctsN``; a path that is not there is named as such rather than as an unknown player."""
    from .player_spec import forms, parse_player_spec

    p = parse_player_spec(ckpt)
    if p.kind != "model":
        return ckpt
    if not Path(p.path).is_dir():
        raise InputError(f"--ckpt {ckpt}: no such model folder {p.path!r} (give a run's model/ folder, e.g. "
                         f"runs/rl/tictactoe_quick/model, or an arena player: {forms()})")
    return ckpt if p.simulations or not simulations else f"{ckpt}+mcts{simulations}"

