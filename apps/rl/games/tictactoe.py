"""Tic-tac-toe on a 3x3 board; actions 0..8 row by row, written 'a1'..'c3' (column letter, row number)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Game

LINES = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8], [0, 3, 6], [1, 4, 7], [2, 5, 8], [0, 4, 8], [2, 4, 6]])


@dataclass(frozen=True)
class Board:
    """cells (9,) int8: +1 the side to move, -1 the opponent, 0 empty (flipped after every move)."""

    cells: np.ndarray
    to_play: int = 0  # 0: X, 1: O
    last: int = -1  # the last action, -1 at the start


class TicTacToe(Game):
    name, num_actions, board_size, num_planes = "tictactoe", 9, (3, 3), 3

    def initial(self) -> Board:
        return Board(np.zeros(9, dtype=np.int8))

    def legal_mask(self, s: Board) -> np.ndarray:
        if self.outcome(s) is not None:
            return np.zeros(9, dtype=bool)
        return s.cells == 0

    def play(self, s: Board, action: int) -> Board:
        if not 0 <= action < 9 or s.cells[action] != 0:
            raise ValueError(f"tic-tac-toe: action {action} is not a free cell (0..8)")
        cells = s.cells.copy()
        cells[action] = 1
        return Board(-cells, 1 - s.to_play, action)  # the opponent is now to move

    def outcome(self, s: Board) -> float | None:
        sums = s.cells[LINES].sum(1)
        if (sums == -3).any():  # the player who just moved completed a line
            return -1.0
        if (s.cells != 0).all():
            return 0.0
        return None

    def planes(self, s: Board) -> np.ndarray:
        c = s.cells.reshape(3, 3)
        turn = np.full((3, 3), float(s.to_play), dtype=np.float32)  # who moves: X or O
        return np.stack([(c == 1), (c == -1), turn]).astype(np.float32)

    def pass_turn(self, s: Board) -> Board:
        return Board(-s.cells, 1 - s.to_play, s.last)

    def to_play(self, s: Board) -> int:
        return s.to_play

    def symmetries(self, planes, policy):
        out = []
        p = policy.reshape(3, 3)
        for k in range(4):
            for flip in (False, True):
                x, y = np.rot90(planes, k, axes=(1, 2)), np.rot90(p, k)
                if flip:
                    x, y = x[:, :, ::-1], y[:, ::-1]
                out.append((np.ascontiguousarray(x), np.ascontiguousarray(y).reshape(-1)))
        return out

    def render(self, s: Board) -> str:
        mark = {1: "X", -1: "O"} if s.to_play == 0 else {1: "O", -1: "X"}
        rows = []
        for r in range(3):
            rows.append(f"{3 - r} " + " ".join(mark.get(int(v), ".") for v in s.cells[r * 3:(r + 1) * 3]))
        return "\n".join(rows + ["  a b c"])

    def action_name(self, s: Board, action: int) -> str:
        r, c = divmod(action, 3)
        return f"{'abc'[c]}{3 - r}"

    def parse_action(self, s: Board, text: str) -> int:
        t = text.strip().lower()
        if len(t) != 2 or t[0] not in "abc" or t[1] not in "123":
            raise ValueError(f"{text!r} is not a cell: write a column a-c and a row 1-3, e.g. 'b2'")
        action = (3 - int(t[1])) * 3 + "abc".index(t[0])
        if s.cells[action] != 0:
            raise ValueError(f"{t} is already taken; free cells: "
                             + ", ".join(self.action_name(s, a) for a in self.legal_actions(s)))
        return action
