"""PUCT Monte-Carlo tree search (AlphaZero), one ``Tree`` per game, many trees sharing the network's batches.

A tree runs its simulations until one reaches a leaf the network must evaluate; the caller gathers such leaves from
many trees, evaluates them in one batch and hands each tree its answer (``Tree.receive``). Values are from the side
to move at a node; an edge (node, action) keeps the total value W and the visit count N from the node's point of
view, so backing up flips the sign at every level.

A tree may also descend several times before the network answers (``leaves_per_call``, AlphaGo Zero's virtual
loss): every descent counts one visit and one loss on each edge of its path (its Q only: W keeps the real values),
so the next descent turns elsewhere; the answers remove the virtual visits and back the real values up. A network
call then carries several leaves of each tree, and a move needs fewer calls in sequence.

Between moves a tree can keep the subtree of the move played (``Tree.advance``): its visits count toward the next
move's ``simulations`` (Leela's "visits" target), so a move costs only the network calls it adds to what the last
search already learnt about the position.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .games import Game

# states -> (priors over all actions (B, A) with illegal ones 0, values (B,) in [-1, 1] for the side to move)
Evaluator = Callable[[Sequence], tuple[np.ndarray, np.ndarray]]


@dataclass
class SearchSettings:
    simulations: int = 50
    """Root visits a move is searched to. A fresh tree makes them all; a reused subtree (self-play) starts with
    the visits the previous move's search gave it and adds the rest (at least ``min_new``). Counting total visits,
    not new ones, keeps the policy target's resolution and the move's strength what ``simulations`` says while
    spending network calls only on what is new."""
    c_puct: float = 1.5
    """Exploration weight of the prior in PUCT."""
    dirichlet_alpha: float = 0.5
    """Concentration of the root noise (AlphaZero: 0.3 chess, ~10/average legal moves elsewhere)."""
    noise_fraction: float = 0.25
    """Share of Dirichlet noise mixed into the root priors (0: no noise, for evaluation)."""
    min_new: float = 0.25
    """Share of ``simulations`` a reused root still makes anew, so that its fresh noise has visits to act on (a
    subtree that already holds ``simulations`` visits would otherwise be played without any new search)."""
    leaves_per_call: int = 1
    """Leaves a tree gathers for one network call, each descent turned away from the others by a virtual loss. On
    a CPU a call's fixed cost dominates small batches, so the calls in sequence (moves x simulations / this) set
    the time; the price is a search that spreads a little more. 1: one leaf per call, the plain search. A descent
    that meets a leaf already waiting ends the tree's gathering for that call (each leaf is evaluated once)."""

    def __post_init__(self):
        if self.leaves_per_call < 1:
            raise ValueError(f"leaves_per_call must be at least 1, got {self.leaves_per_call}")


class Node:
    """A position in a tree; its edges (legal actions) are arrays: prior P, visits N, total value W, mean Q."""

    __slots__ = ("state", "terminal", "actions", "prior", "visits", "value_sum", "q", "n", "children")

    def __init__(self, game: Game, state):
        self.state = state
        self.terminal = game.outcome(state)  # None unless the game is over here
        self.actions: np.ndarray | None = None  # legal actions, set on expansion
        self.prior = self.visits = self.value_sum = self.q = None
        self.n = 0  # visits of all edges
        self.children: list[Node | None] = []

    @property
    def expanded(self) -> bool:
        return self.actions is not None

    def expand(self, game: Game, priors: np.ndarray) -> None:
        self.actions = game.legal_actions(self.state)
        p = priors[self.actions].astype(np.float64)
        total = p.sum()
        self.prior = p / total if total > 0 else np.full(len(p), 1.0 / len(p))
        self.visits = np.zeros(len(self.actions))
        self.value_sum = np.zeros(len(self.actions))
        self.q = np.zeros(len(self.actions))
        self.children = [None] * len(self.actions)

    def add_noise(self, settings: SearchSettings, rng: np.random.Generator) -> None:
        """Mix Dirichlet noise into the priors (a root's, for exploration in self-play)."""
        if settings.noise_fraction > 0:
            noise = rng.dirichlet(np.full(len(self.actions), settings.dirichlet_alpha))
            self.prior = (1 - settings.noise_fraction) * self.prior + settings.noise_fraction * noise

    def select(self, c_puct: float) -> int:
        """Index (into ``actions``) maximising Q + U; unvisited edges count Q = 0."""
        return int((self.q + self.prior * (c_puct * math.sqrt(self.n + 1)) / (1.0 + self.visits)).argmax())

    def counts(self, num_actions: int) -> np.ndarray:
        """Visit counts over all actions (A,)."""
        out = np.zeros(num_actions)
        out[self.actions] = self.visits
        return out


class Tree:
    """One game's search: its root, the simulations waiting for the network, and the random stream of its noise."""

    def __init__(self, game: Game, state, settings: SearchSettings, rng: np.random.Generator):
        self.game, self.settings, self.rng = game, settings, rng
        self.root = Node(game, state)
        self.paths: list[list[tuple[Node, int]]] = []  # the waiting simulations' edges ([] for the root itself)
        self.virtual: dict[tuple[Node, int], int] = {}  # edge -> virtual losses on it (waiting descents)
        self.new = 0  # simulations made for this move
        self.target_new = 0  # the fewest new simulations this move needs (reused roots)

    def next_leaves(self) -> list[Node]:
        """Simulate until ``leaves_per_call`` simulations wait for the network at leaves (returned, their paths
        kept for ``receive``), the move's search is done, or a descent meets a leaf already waiting; [] once the
        move's search is done (or the root is terminal). Terminal leaves are backed up on the way."""
        root, settings = self.root, self.settings
        if root.terminal is not None:
            return []
        if not root.expanded:
            self.paths = [[]]
            return [root]
        leaves: list[Node] = []
        wanted = settings.leaves_per_call
        while (root.n < settings.simulations or self.new < self.target_new) and len(leaves) < wanted:
            node, path = root, []
            while node.actions is not None and node.terminal is None:
                i = node.select(settings.c_puct)
                path.append((node, i))
                child = node.children[i]
                if child is None:
                    child = node.children[i] = Node(self.game, self.game.play(node.state, int(node.actions[i])))
                node = child
            if node.terminal is not None:
                self.new += 1
                _backup(path, node.terminal, self.virtual)
            elif any(node is leaf for leaf in leaves):
                break  # the same leaf again: the virtual losses no longer turn this tree's descents apart
            else:
                self.new += 1
                leaves.append(node)
                self.paths.append(path)
                if wanted > 1:
                    self.add_virtual_loss(path)
        return leaves

    def add_virtual_loss(self, path: list[tuple[Node, int]]) -> None:
        """Count a visit and a loss (for the side choosing the edge) on every edge of a waiting descent."""
        virtual = self.virtual
        for node, i in path:
            v = virtual[node, i] = virtual.get((node, i), 0) + 1
            node.n += 1
            n = node.visits[i] = node.visits[i] + 1
            node.q[i] = (node.value_sum[i] - v) / n

    def remove_virtual_losses(self) -> None:
        """Undo every ``add_virtual_loss``: visits and Q as the real backups left them (W was never touched)."""
        for (node, i), v in self.virtual.items():
            node.n -= v
            n = node.visits[i] = node.visits[i] - v
            node.q[i] = node.value_sum[i] / n if n else 0.0
        self.virtual = {}

    def receive(self, answers: Sequence[tuple[np.ndarray, float]]) -> None:
        """The network's answers (priors, value) for the leaves ``next_leaves`` returned, in order: the virtual
        losses go, each leaf is expanded and its value backed up (the root gets its noise instead)."""
        paths, self.paths = self.paths, []
        self.remove_virtual_losses()
        for path, (priors, value) in zip(paths, answers):
            leaf = path[-1][0].children[path[-1][1]] if path else self.root
            leaf.expand(self.game, priors)
            if path:
                _backup(path, float(value))
            else:
                leaf.add_noise(self.settings, self.rng)

    def advance(self, action: int, reuse: bool) -> None:
        """Play ``action``: its subtree becomes the root (``reuse``, with new root noise as AlphaZero does) or a
        fresh root is made for the new position."""
        root = self.root
        i = int(np.flatnonzero(root.actions == action)[0])
        child = root.children[i]
        state = child.state if child is not None else self.game.play(root.state, action)
        self.new, self.target_new = 0, 0
        if reuse and child is not None and child.expanded:
            self.root = child
            child.add_noise(self.settings, self.rng)
            self.target_new = math.ceil(self.settings.min_new * self.settings.simulations)
        else:
            self.root = Node(self.game, state)

    def value(self) -> float:
        """The root's mean value for the side to move (the result itself at a terminal root)."""
        root = self.root
        if root.expanded:
            return float(root.value_sum.sum() / max(1, root.n))
        return root.terminal if root.terminal is not None else 0.0


def _backup(path: list[tuple[Node, int]], value: float, virtual: dict | None = None) -> None:
    """``value`` is for the side to move at the leaf; each parent sees it negated. Q keeps counting the
    ``virtual`` losses still on an edge."""
    for node, i in reversed(path):
        value = -value
        node.n += 1
        n = node.visits[i] = node.visits[i] + 1
        w = node.value_sum[i] = node.value_sum[i] + value
        node.q[i] = (w - virtual.get((node, i), 0)) / n if virtual else w / n


def run_trees(trees: Sequence[Tree], evaluate: Evaluator) -> None:
    """Search every tree to the end of its move, ``leaves_per_call`` leaves per tree per network call."""
    while True:
        waiting = [(t, leaves) for t in trees if (leaves := t.next_leaves())]
        if not waiting:
            return
        answer(waiting, evaluate)


def answer(waiting: Sequence[tuple[Tree, list[Node]]], evaluate: Evaluator) -> int:
    """One network call for the leaves of every waiting tree, each tree handed its answers; the batch size."""
    states = [leaf.state for _, leaves in waiting for leaf in leaves]
    priors, values = evaluate(states)
    start = 0
    for tree, leaves in waiting:
        end = start + len(leaves)
        tree.receive(list(zip(priors[start:end], values[start:end])))
        start = end
    return len(states)


def search(game: Game, states: Sequence, evaluate: Evaluator, settings: SearchSettings,
           rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Search every state with a fresh tree (players); returns visit counts (B, A) and root values (B,) for the
    side to move."""
    rng = rng or np.random.default_rng()
    trees = [Tree(game, s, settings, rng) for s in states]
    run_trees(trees, evaluate)
    counts = np.zeros((len(trees), game.num_actions))
    for b, t in enumerate(trees):
        if t.root.expanded:
            counts[b] = t.root.counts(game.num_actions)
    return counts, np.array([t.value() for t in trees])


def pick(counts: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """An action from visit counts (A,): sampled in proportion to N^(1/T), or the most visited when T == 0."""
    if temperature <= 0:
        best = np.flatnonzero(counts == counts.max())
        return int(rng.choice(best))
    p = counts ** (1.0 / temperature)
    return int(rng.choice(len(counts), p=p / p.sum()))
