"""The games, by name."""

from __future__ import annotations

from .base import Game
from .connect4 import ConnectFour
from .tictactoe import TicTacToe

GAMES: dict[str, type[Game]] = {"tictactoe": TicTacToe, "connect4": ConnectFour}


def make_game(name: str, max_plies: int = 0) -> Game:
    """A game by name; ``max_plies`` > 0 draws chess games that run longer (self-play budgets)."""
    if name == "chess" and name not in GAMES:
        from .chess_game import Chess

        GAMES["chess"] = Chess
    if name not in GAMES:
        raise ValueError(f"unknown game {name!r}; choose from {', '.join([*GAMES, 'chess'])}")
    return GAMES[name](max_plies) if name == "chess" and max_plies else GAMES[name]()
