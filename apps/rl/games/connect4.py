"""Connect Four on a 6x7 board; an action is a column 0..6, written 1..7."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Game

ROWS, COLS = 6, 7
DIRECTIONS = ((0, 1), (1, 0), (1, 1), (1, -1))
CENTRE_FIRST = np.array([3, 2, 4, 1, 5, 0, 6])
WINDOW_WEIGHT = np.array([0.0, 1.0, 3.0, 9.0, 0.0])  # by stones in an open window of four


def _windows() -> np.ndarray:
    """(69, 4) flat indices of every line of four cells."""
    out = []
    for r in range(ROWS):
        for c in range(COLS):
            for dr, dc in DIRECTIONS:
                cells = [(r + k * dr, c + k * dc) for k in range(4)]
                if all(0 <= rr < ROWS and 0 <= cc < COLS for rr, cc in cells):
                    out.append([rr * COLS + cc for rr, cc in cells])
    return np.array(out)


WINDOWS = _windows()


@dataclass(frozen=True)
class Board:
    """cells (6, 7) int8, row 0 at the top: +1 the side to move, -1 the opponent, 0 empty. heights (7,): stones
    per column. won: whether the last move made four in a row."""

    cells: np.ndarray
    heights: np.ndarray
    to_play: int = 0  # 0: red (first), 1: yellow
    last: int = -1
    won: bool = False


def _four(cells: np.ndarray, row: int, col: int) -> bool:
    """Does the stone at (row, col) make four in a row with its own colour?"""
    me = cells[row, col]
    for dr, dc in DIRECTIONS:
        n = 1
        for sign in (1, -1):
            r, c = row + sign * dr, col + sign * dc
            while 0 <= r < ROWS and 0 <= c < COLS and cells[r, c] == me:
                n += 1
                r, c = r + sign * dr, c + sign * dc
        if n >= 4:
            return True
    return False


class ConnectFour(Game):
    name, num_actions, board_size, num_planes = "connect4", COLS, (ROWS, COLS), 3

    def initial(self) -> Board:
        return Board(np.zeros((ROWS, COLS), dtype=np.int8), np.zeros(COLS, dtype=np.int8))

    def legal_mask(self, s: Board) -> np.ndarray:
        if s.won:
            return np.zeros(COLS, dtype=bool)
        return s.heights < ROWS

    def play(self, s: Board, action: int) -> Board:
        if not 0 <= action < COLS or s.heights[action] >= ROWS:
            raise ValueError(f"connect4: column {action} is full or not a column (0..6)")
        cells, heights = s.cells.copy(), s.heights.copy()
        row = ROWS - 1 - heights[action]
        cells[row, action] = 1
        heights[action] += 1
        won = _four(cells, row, action)
        return Board(-cells, heights, 1 - s.to_play, action, won)

    def outcome(self, s: Board) -> float | None:
        if s.won:
            return -1.0  # the player who just moved connected four
        if (s.heights >= ROWS).all():
            return 0.0
        return None

    def planes(self, s: Board) -> np.ndarray:
        """Own stones, the opponent's, the side to move (filled in place: the search asks for them per leaf)."""
        out = np.empty((3, ROWS, COLS), dtype=np.float32)
        np.equal(s.cells, 1, out=out[0], casting="unsafe")
        np.equal(s.cells, -1, out=out[1], casting="unsafe")
        out[2] = s.to_play
        return out

    def pass_turn(self, s: Board) -> Board:
        return Board(-s.cells, s.heights, 1 - s.to_play, s.last, False)

    def heuristic(self, s: Board) -> float:
        """Open lines of four: 1, 3, 9 points for 1, 2, 3 own stones, minus the opponent's; squashed below 1."""
        v = s.cells.reshape(-1)[WINDOWS]  # (69, 4)
        mine, theirs = (v == 1).sum(1), (v == -1).sum(1)
        score = WINDOW_WEIGHT[mine][theirs == 0].sum() - WINDOW_WEIGHT[theirs][mine == 0].sum()
        return float(0.9 * np.tanh(score / 30.0))

    def move_order(self, s: Board) -> np.ndarray:
        legal = self.legal_mask(s)
        return CENTRE_FIRST[legal[CENTRE_FIRST]]

    def to_play(self, s: Board) -> int:
        return s.to_play

    def symmetries(self, planes, policy):
        """Left-right mirror."""
        return [(planes, policy), (np.ascontiguousarray(planes[:, :, ::-1]), policy[::-1].copy())]

    def render(self, s: Board) -> str:
        mark = {1: "X", -1: "O"} if s.to_play == 0 else {1: "O", -1: "X"}
        rows = [" ".join(mark.get(int(v), ".") for v in row) for row in s.cells]
        return "\n".join(rows + [" ".join(str(c + 1) for c in range(COLS))])

    def action_name(self, s: Board, action: int) -> str:
        return str(action + 1)

    def parse_action(self, s: Board, text: str) -> int:
        t = text.strip()
        if not t.isdigit() or not 1 <= int(t) <= COLS:
            raise ValueError(f"{text!r} is not a column: write a number from 1 to {COLS}")
        action = int(t) - 1
        if s.heights[action] >= ROWS:
            raise ValueError(f"column {t} is full; open columns: "
                             + ", ".join(str(a + 1) for a in self.legal_actions(s)))
        return action
