"""What every game gives the search, the network and the opponents.

A state is immutable from the outside: ``play`` returns a new one and never changes its argument, so that a search
tree can keep states in its nodes. The network always sees the board from the side to move (``planes``), and
values are always from the side to move's point of view: +1 won, -1 lost, 0 drawn.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np


class Game(ABC):
    name: str
    num_actions: int
    board_size: tuple[int, int]
    num_planes: int

    @abstractmethod
    def initial(self) -> Any:
        """The starting position."""

    @abstractmethod
    def legal_mask(self, state) -> np.ndarray:
        """(A,) bool: which actions the side to move may play."""

    @abstractmethod
    def play(self, state, action: int):
        """The position after ``action`` (a new state; ``state`` is unchanged)."""

    @abstractmethod
    def outcome(self, state) -> float | None:
        """None while the game goes on; else the result for the side to move (+1, 0, -1)."""

    @abstractmethod
    def planes(self, state) -> np.ndarray:
        """(P, H, W) float32 input planes, from the side to move."""

    @abstractmethod
    def to_play(self, state) -> int:
        """0 for the first player (X, red, white), 1 for the second."""

    @abstractmethod
    def render(self, state) -> str:
        """The board as text, for people."""

    @abstractmethod
    def action_name(self, state, action: int) -> str:
        """How a person writes ``action`` in ``state`` (e.g. 'b2', '4', 'e2e4')."""

    @abstractmethod
    def parse_action(self, state, text: str) -> int:
        """A person's move -> action; ValueError naming what was wrong and what is expected."""

    def symmetries(self, planes: np.ndarray, policy: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Equivalent (planes, policy) pairs for augmentation; the identity only, unless the game has symmetry."""
        return [(planes, policy)]

    def pass_turn(self, state):
        """The same position with the other side to move (to see the opponent's threats), or None."""
        return None

    def heuristic(self, state) -> float:
        """A cheap static value in (-1, 1) for the side to move (alpha-beta's leaves); 0 means 'no idea'."""
        return 0.0

    def move_order(self, state) -> np.ndarray:
        """Legal actions, most promising first (alpha-beta prunes more)."""
        return self.legal_actions(state)

    def legal_actions(self, state) -> np.ndarray:
        return np.flatnonzero(self.legal_mask(state))
