"""Players for the arena: random, one-move 'win else block', alpha-beta at depth k, perfect tic-tac-toe, the
network (raw policy or with search) and a person at the terminal. Stockfish is in ``stockfish.py``.

A player chooses for many games at once (``choose(states) -> actions``) so that the network sees batches.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .games import Game
from .mcts import SearchSettings, pick, search


class Player:
    name = "player"

    def __init__(self, game: Game, seed: int = 0):
        self.game, self.rng = game, np.random.default_rng(seed)

    def choose(self, states: Sequence) -> list[int]:
        return [self.choose_one(s) for s in states]

    def choose_one(self, state) -> int:
        raise NotImplementedError


class RandomPlayer(Player):
    name = "random"

    def choose_one(self, state) -> int:
        return int(self.rng.choice(self.game.legal_actions(state)))


def winning_actions(game: Game, state) -> list[int]:
    """Actions that win on the spot for the side to move."""
    return [int(a) for a in game.legal_actions(state) if game.outcome(game.play(state, int(a))) == -1.0]


class WinBlockPlayer(Player):
    """Wins in one when it can, else blocks the opponent's win in one, else plays at random."""

    name = "win-block"

    def choose_one(self, state) -> int:
        wins = winning_actions(self.game, state)
        if wins:
            return int(self.rng.choice(wins))
        other = self.game.pass_turn(state)
        threats = winning_actions(self.game, other) if other is not None else []
        legal = set(self.game.legal_actions(state).tolist())
        blocks = [a for a in threats if a in legal]
        return int(self.rng.choice(blocks)) if blocks else int(self.rng.choice(list(legal)))


class AlphaBetaPlayer(Player):
    """Negamax with alpha-beta pruning to ``depth`` plies, the game's heuristic at the horizon, random among the
    best moves. Wins sooner (and losses later) score higher."""

    def __init__(self, game: Game, depth: int, seed: int = 0):
        super().__init__(game, seed)
        self.depth, self.name = depth, f"alphabeta-{depth}"
        self.memo: dict = {}

    def value(self, state, depth: int, alpha: float, beta: float) -> float:
        result = self.game.outcome(state)
        if result is not None:
            return result * (1 + depth / 100)  # the deeper the remaining depth, the sooner the result
        if depth == 0:
            return self.game.heuristic(state)
        best = -math.inf
        for a in self.game.move_order(state):
            best = max(best, -self.value(self.game.play(state, int(a)), depth - 1, -beta, -alpha))
            alpha = max(alpha, best)
            if alpha >= beta:
                break
        return best

    def choose_one(self, state) -> int:
        actions = self.game.move_order(state)
        scores = np.array([-self.value(self.game.play(state, int(a)), self.depth - 1, -math.inf, math.inf)
                           for a in actions])
        best = actions[np.flatnonzero(scores >= scores.max() - 1e-9)]
        return int(self.rng.choice(best))


class PerfectPlayer(AlphaBetaPlayer):
    """Searches to the end of the game (tic-tac-toe: at most 9 plies): never loses, random among best moves."""

    def __init__(self, game: Game, seed: int = 0):
        if game.name != "tictactoe":
            raise ValueError(f"the perfect player solves tic-tac-toe only, not {game.name}")
        super().__init__(game, depth=9, seed=seed)
        self.name = "perfect"

    def value(self, state, depth: int, alpha: float, beta: float) -> float:
        """Exact negamax without pruning, memoised (tic-tac-toe has 5,478 positions)."""
        key = (state.cells.tobytes(), depth)
        if key not in self.memo:
            result = self.game.outcome(state)
            if result is not None:
                self.memo[key] = result * (1 + depth / 100)
            else:
                self.memo[key] = max(-self.value(self.game.play(state, int(a)), depth - 1, 0, 0)
                                     for a in self.game.legal_actions(state))
        return self.memo[key]


class NetworkPlayer(Player):
    """The trained network: its raw policy (simulations=0, most likely legal move) or PUCT search without noise
    (most visited move)."""

    def __init__(self, game: Game, evaluate, simulations: int = 0, c_puct: float = 1.5, seed: int = 0,
                 name: str | None = None):
        super().__init__(game, seed)
        self.evaluate, self.simulations = evaluate, simulations
        self.settings = SearchSettings(simulations=simulations, c_puct=c_puct, noise_fraction=0.0)
        self.name = name or (f"network+mcts{simulations}" if simulations else "network")

    def choose(self, states: Sequence) -> list[int]:
        if not states:
            return []
        if self.simulations == 0:
            priors, _ = self.evaluate(states)
            return [pick(np.where(self.game.legal_mask(s), p, -1.0), 0, self.rng) for s, p in zip(states, priors)]
        counts, _ = search(self.game, states, self.evaluate, self.settings, self.rng)
        return [pick(c, 0, self.rng) for c in counts]


class HumanPlayer(Player):
    """A person at the terminal: the board is shown, bad moves get a message and a new prompt."""

    name = "human"

    def __init__(self, game: Game, read=input, write=print):
        super().__init__(game)
        self.read, self.write = read, write

    def choose_one(self, state) -> int:
        self.write(self.game.render(state))
        while True:
            try:
                text = self.read("your move: ")
            except EOFError:
                raise SystemExit("no more input: game abandoned") from None
            try:
                return self.game.parse_action(state, text)
            except ValueError as e:
                self.write(f"  {e}")
