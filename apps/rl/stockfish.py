"""Stockfish as a chess opponent through the UCI protocol (python-chess's engine module): skill level 0-20 and a
fixed time per move. Debian: `apt install stockfish` puts it at /usr/games/stockfish."""

from __future__ import annotations

import shutil
from pathlib import Path

import chess
import chess.engine

from .games.chess_game import encode_move
from .players import Player

CANDIDATES = ("/usr/games/stockfish", "/usr/bin/stockfish")


def find_stockfish(path: str | None = None) -> str:
    """The engine binary: ``path``, else the Debian location, else ``stockfish`` on PATH; a clear error if none."""
    for candidate in ([path] if path else [*CANDIDATES, shutil.which("stockfish")]):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    where = path or " or ".join(CANDIDATES)
    raise FileNotFoundError(f"no Stockfish binary at {where}: install it (Debian/Ubuntu: `apt install stockfish`, "
                            "or `make data`) or give its path")


class StockfishPlayer(Player):
    def __init__(self, game, skill: int = 0, seconds: float = 0.05, path: str | None = None):
        if game.name != "chess":
            raise ValueError(f"Stockfish plays chess, not {game.name}")
        super().__init__(game)
        self.name = f"stockfish-{skill}"
        self.limit = chess.engine.Limit(time=seconds)
        self.engine = chess.engine.SimpleEngine.popen_uci(find_stockfish(path))
        self.engine.configure({"Skill Level": skill, "Threads": 1})

    def choose_one(self, state) -> int:
        move = self.engine.play(state.board, self.limit).move
        return encode_move(move, state.board.turn)

    def close(self) -> None:
        self.engine.quit()

    def __del__(self):
        try:
            self.engine.quit()
        except Exception:  # already closed or never started
            pass
