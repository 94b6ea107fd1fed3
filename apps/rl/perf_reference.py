"""The reference for `zoo perf rl`: self-play as common Python AlphaZero implementations write it.

One game at a time, one tree held in dictionaries keyed by position (Q, N and P per position and action, as in
alpha-zero-general), a recursive simulation, and one network call per leaf (a batch of one). Each move makes
``simulations`` new simulations from the root; what earlier moves learnt stays in the dictionaries. It shares the
game rules and the network evaluator with our self-play, so the comparison is about the search's design alone.
"""

from __future__ import annotations

import math

import numpy as np

from .games import Game
from .mcts import SearchSettings, pick


class DictSearch:
    """One game's search tree, in dictionaries."""

    def __init__(self, game: Game, evaluate, settings: SearchSettings, rng: np.random.Generator):
        self.game, self.evaluate, self.settings, self.rng = game, evaluate, settings, rng
        self.q: dict[tuple[bytes, int], float] = {}  # (position, action) -> mean value
        self.n_edge: dict[tuple[bytes, int], int] = {}  # (position, action) -> visits
        self.n: dict[bytes, int] = {}  # position -> visits
        self.prior: dict[bytes, np.ndarray] = {}  # position -> priors over all actions
        self.legal: dict[bytes, np.ndarray] = {}  # position -> legal actions
        self.evaluations = 0

    def key(self, state) -> bytes:
        return self.game.planes(state).tobytes()

    def counts(self, state) -> np.ndarray:
        """Run ``simulations`` simulations from ``state``; its visit counts over all actions."""
        root = self.key(state)
        for _ in range(self.settings.simulations):
            self.simulate(state, at_root=True)
        out = np.zeros(self.game.num_actions)
        for a in self.legal[root]:
            out[a] = self.n_edge.get((root, int(a)), 0)
        return out

    def simulate(self, state, at_root: bool) -> float:
        """One simulation below ``state``; returns its value for the player who moved into ``state``."""
        result = self.game.outcome(state)
        if result is not None:
            return -result
        s = self.key(state)
        if s not in self.prior:
            priors, values = self.evaluate([state])
            self.evaluations += 1
            self.prior[s], self.legal[s], self.n[s] = priors[0], self.game.legal_actions(state), 0
            if at_root and self.settings.noise_fraction > 0:
                self.add_noise(s)
            return -float(values[0])
        a = self.select(s)
        v = self.simulate(self.game.play(state, a), False)
        edge = (s, a)
        n = self.n_edge.get(edge, 0)
        self.q[edge] = (n * self.q.get(edge, 0.0) + v) / (n + 1)
        self.n_edge[edge] = n + 1
        self.n[s] += 1
        return -v

    def add_noise(self, s: bytes) -> None:
        legal, f = self.legal[s], self.settings.noise_fraction
        p = self.prior[s].copy()
        p[legal] = (1 - f) * p[legal] + f * self.rng.dirichlet(np.full(len(legal), self.settings.dirichlet_alpha))
        self.prior[s] = p

    def select(self, s: bytes) -> int:
        best, best_u, sqrt_n = -1, -math.inf, math.sqrt(self.n[s] + 1)
        for a in self.legal[s]:
            a = int(a)
            n = self.n_edge.get((s, a), 0)
            u = self.q.get((s, a), 0.0) + self.settings.c_puct * self.prior[s][a] * sqrt_n / (1 + n)
            if u > best_u:
                best, best_u = a, u
        return best


def play_one_at_a_time(game: Game, evaluate, n_games: int, settings: SearchSettings, temperature_moves: int,
                       seed: int) -> tuple[int, int]:
    """Self-play ``n_games`` games one after the other; returns (positions searched, network evaluations)."""
    rng = np.random.default_rng(seed)
    positions = evaluations = 0
    for _ in range(n_games):
        search, state, ply = DictSearch(game, evaluate, settings, rng), game.initial(), 0
        while game.outcome(state) is None:
            counts = search.counts(state)
            state = game.play(state, pick(counts, 1.0 if ply < temperature_moves else 0.0, rng))
            ply += 1
        positions, evaluations = positions + ply, evaluations + search.evaluations
    return positions, evaluations
