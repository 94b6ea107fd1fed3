"""Checks of a training run's settings before anything starts.

The puzzle file is read only after the last iteration and the PGN files after the model is built, so a typo in a
path (or a value that breaks the loop, such as ``eval_every: 0``) used to cost the whole run, report included. Here
every input file is opened and the numbers are checked first, with a message naming the setting.
"""

from __future__ import annotations

from zoo._registry import model_info
from zoo.errors import InputError
from zoo.trust.bounds import check_rl_settings

from .games import make_game

# The smallest value that works for each setting; below it the loop divides by zero, samples nothing or plays no
# game to score (0 is allowed where it means "off"). The largest: zoo.trust.bounds.RL_MAXIMUM (workers: the cores).
MINIMUM = {"iterations": 0, "games_per_iteration": 1, "games_in_flight": 1, "leaves_per_call": 1, "simulations": 1, "replay_window": 1,
           "train_steps": 1, "batch_size": 1, "gate_games": 0, "eval_every": 1, "eval_games": 1, "eval_opponents": 0,
           "final_eval_games": 1, "eval_simulations": 0, "workers": 1, "temperature_moves": 0, "max_plies": 0,
           "warm_start_games": 0, "warm_start_steps": 0, "puzzle_limit": 0, "max_minutes": 0}


def check_settings(s) -> None:
    """Raise an ``InputError`` (or ``FileNotFoundError``) naming the first setting of ``s`` (a ``train.Settings``)
    that cannot work: a number below its minimum, an unknown game, chess data for another game, or an input file
    that is missing, unreadable or (puzzles) malformed in the rows the run will use."""
    check_rl_settings(s, MINIMUM)  # types, minimums, maximums (zoo.trust.bounds.RL_MAXIMUM), workers <= cores
    make_game(s.game)
    model_info(s.model)  # a registered model name (never a Hub id or a path: self-play builds its own network)
    if s.selfplay_precision not in ("auto", "fp32", "bf16"):
        raise InputError(f"setting selfplay_precision must be auto, fp32 or bf16, got {s.selfplay_precision!r}")
    check_actors(s)
    files = [("warm_start_pgn", path) for path in s.warm_start_pgn] + ([("puzzles", s.puzzles)] if s.puzzles else [])
    if files and s.game != "chess":
        raise InputError(f"setting {files[0][0]} is for chess, but the game is {s.game}")
    from .chess_data import check_readable, read_puzzles

    for name, path in files:
        check_readable(path, f"{name} file")
    if s.warm_start_pgn and not s.warm_start_steps:
        raise InputError("setting warm_start_pgn is given but warm_start_steps is 0: no step would use the games")
    if s.puzzles:
        read_puzzles(s.puzzles, s.puzzle_limit)  # the rows the final report uses: a bad one would lose it


def check_actors(s) -> None:
    """``actors`` is "local" or "ray"; Ray is installed when asked for; an address only goes with Ray."""
    if s.actors not in ("local", "ray"):
        raise InputError(f"setting actors must be local or ray, got {s.actors!r}")
    if s.actors == "ray":
        require_ray("actors: ray", " (or leave actors at local: worker processes on this machine)")
    if s.ray_address and s.actors != "ray":
        raise InputError(f"setting ray_address ({s.ray_address}) is for actors: ray, but actors is {s.actors}")


def require_ray(what: str, alternative: str = "") -> None:
    """Raise an ``InputError`` saying that ``what`` needs Ray and how to install it, unless Ray imports."""
    try:
        import ray  # noqa: F401
    except ImportError:
        raise InputError(f"{what} needs Ray, which is not installed: pip install 'zoo-suite[scale]'"
                         f"{alternative}") from None
