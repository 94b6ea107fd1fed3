"""The games, by name."""

from __future__ import annotations

from .base import Game
from .connect4 import ConnectFour
from .tictactoe import TicTacToe

GAMES: dict[str, type[Game]] = {"tictactoe": TicTacToe, "connect4": ConnectFour}


def make_game(name: str) -> Game:
    if name == "chess" and name not in GAMES:
        from .chess_game import Chess

        GAMES["chess"] = Chess
    if name not in GAMES:
        raise ValueError(f"unknown game {name!r}; choose from {', '.join([*GAMES, 'chess'])}")
    return GAMES[name]()
