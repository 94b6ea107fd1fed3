"""PUCT Monte-Carlo tree search (AlphaZero), run on many games at once so that the network sees batches.

Every simulation descends each tree to one leaf; the leaves of all trees are evaluated in one batch, expanded and
backed up. Values are from the side to move at a node; an edge (node, action) keeps the total value W and the visit
count N from the node's point of view, so backing up flips the sign at every level.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .games import Game

# states -> (priors over all actions (B, A) with illegal ones 0, values (B,) in [-1, 1] for the side to move)
Evaluator = Callable[[Sequence], tuple[np.ndarray, np.ndarray]]


@dataclass
class SearchSettings:
    simulations: int = 50
    """Leaves evaluated per move (per tree)."""
    c_puct: float = 1.5
    """Exploration weight of the prior in PUCT."""
    dirichlet_alpha: float = 0.5
    """Concentration of the root noise (AlphaZero: 0.3 chess, ~10/average legal moves elsewhere)."""
    noise_fraction: float = 0.25
    """Share of Dirichlet noise mixed into the root priors (0: no noise, for evaluation)."""


class Node:
    __slots__ = ("state", "actions", "prior", "visits", "value_sum", "children", "terminal")

    def __init__(self, game: Game, state):
        self.state = state
        self.terminal = game.outcome(state)  # None unless the game is over here
        self.actions: np.ndarray | None = None  # legal actions, set on expansion
        self.prior = self.visits = self.value_sum = None
        self.children: list[Node | None] = []

    @property
    def expanded(self) -> bool:
        return self.actions is not None

    def expand(self, game: Game, priors: np.ndarray) -> None:
        self.actions = game.legal_actions(self.state)
        p = priors[self.actions].astype(np.float64)
        self.prior = p / p.sum() if p.sum() > 0 else np.full(len(p), 1.0 / len(p))
        self.visits = np.zeros(len(self.actions), dtype=np.int64)
        self.value_sum = np.zeros(len(self.actions))
        self.children = [None] * len(self.actions)

    def select(self, c_puct: float) -> int:
        """Index (into ``actions``) maximising Q + U; unvisited edges count Q = 0."""
        q = np.divide(self.value_sum, self.visits, out=np.zeros_like(self.value_sum), where=self.visits > 0)
        u = c_puct * self.prior * np.sqrt(self.visits.sum() + 1) / (1 + self.visits)
        return int(np.argmax(q + u))


def search(game: Game, states: Sequence, evaluate: Evaluator, settings: SearchSettings,
           rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Search every (non-terminal) state; returns visit counts (B, A) and root values (B,) for the side to move."""
    rng = rng or np.random.default_rng()
    roots = [Node(game, s) for s in states]
    live = [r for r in roots if r.terminal is None]
    if live:
        priors, _ = evaluate([r.state for r in live])
        for root, p in zip(live, priors):
            root.expand(game, p)
            if settings.noise_fraction > 0:
                noise = rng.dirichlet([settings.dirichlet_alpha] * len(root.actions))
                root.prior = (1 - settings.noise_fraction) * root.prior + settings.noise_fraction * noise
    for _ in range(settings.simulations):
        pending: list[tuple[Node, list]] = []
        for root in live:
            node, path = root, []
            while node.expanded and node.terminal is None:
                i = node.select(settings.c_puct)
                path.append((node, i))
                if node.children[i] is None:
                    node.children[i] = Node(game, game.play(node.state, int(node.actions[i])))
                node = node.children[i]
            if node.terminal is not None:
                _backup(path, node.terminal)
            else:
                pending.append((node, path))
        if pending:
            priors, values = evaluate([leaf.state for leaf, _ in pending])
            for (leaf, path), p, v in zip(pending, priors, values):
                leaf.expand(game, p)
                _backup(path, float(v))
    counts = np.zeros((len(roots), game.num_actions))
    values = np.zeros(len(roots))
    for b, root in enumerate(roots):
        if root.expanded:
            counts[b, root.actions] = root.visits
            values[b] = root.value_sum.sum() / max(1, root.visits.sum())
        else:
            values[b] = root.terminal if root.terminal is not None else 0.0
    return counts, values


def _backup(path: list[tuple[Node, int]], value: float) -> None:
    """``value`` is for the side to move at the leaf; each parent sees it negated."""
    for node, i in reversed(path):
        value = -value
        node.visits[i] += 1
        node.value_sum[i] += value


def pick(counts: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """An action from visit counts (A,): sampled in proportion to N^(1/T), or the most visited when T == 0."""
    if temperature <= 0:
        best = np.flatnonzero(counts == counts.max())
        return int(rng.choice(best))
    p = counts ** (1.0 / temperature)
    return int(rng.choice(len(counts), p=p / p.sum()))
