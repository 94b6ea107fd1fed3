"""The peers of `zoo perf rl` that are not ours: today's self-play (commit ac605c8's, before the speed work), and
self-play as common Python AlphaZero implementations write it.

Today's (``play_today``): that commit's lockstep ``search`` (every simulation descends each tree once, one network
call for all the trees' leaves, a fresh tree every move), its ``play_games`` (all of a worker's games at once,
one shared random stream) and its evaluator (the plain fp32 model, ``eval()`` walked every call), copied as they
were. Chess uses that commit's game code too (``perf_reference_chess``).

The dictionary reference (``play_one_at_a_time``):

One game at a time, one tree held in dictionaries keyed by position (Q, N and P per position and action, as in
alpha-zero-general), a recursive simulation, and one network call per leaf (a batch of one). Each move makes
``simulations`` new simulations from the root; what earlier moves learnt stays in the dictionaries. It shares the
game rules and the network evaluator with our self-play, so the comparison is about the search's design alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

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


class TodayEvaluator:
    """ac605c8's ``Evaluator``: one fp32 forward pass of the model itself, illegal actions masked out."""

    def __init__(self, game: Game, model: torch.nn.Module):
        self.game, self.model = game, model
        self.device = next(model.parameters()).device

    @torch.inference_mode()
    def __call__(self, states: Sequence) -> tuple[np.ndarray, np.ndarray]:
        planes = torch.from_numpy(np.stack([self.game.planes(s) for s in states])).to(self.device)
        mask = torch.from_numpy(np.stack([self.game.legal_mask(s) for s in states])).to(self.device)
        self.model.eval()
        logits, value = self.model(planes)  # (B, A), (B,)
        logits = logits.float().masked_fill(~mask, float("-inf"))
        priors = torch.softmax(logits, -1).nan_to_num(0.0)
        return priors.cpu().numpy(), value.float().cpu().numpy()


class TodayNode:
    """ac605c8's ``Node``: edges as arrays, Q computed at every selection."""

    __slots__ = ("state", "actions", "prior", "visits", "value_sum", "children", "terminal")

    def __init__(self, game: Game, state):
        self.state = state
        self.terminal = game.outcome(state)
        self.actions: np.ndarray | None = None
        self.prior = self.visits = self.value_sum = None
        self.children: list[TodayNode | None] = []

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
        q = np.divide(self.value_sum, self.visits, out=np.zeros_like(self.value_sum), where=self.visits > 0)
        u = c_puct * self.prior * np.sqrt(self.visits.sum() + 1) / (1 + self.visits)
        return int(np.argmax(q + u))


def today_search(game: Game, states: Sequence, evaluate, settings: SearchSettings,
                 rng: np.random.Generator) -> np.ndarray:
    """ac605c8's ``search``: fresh trees for ``states``, ``simulations`` lockstep rounds; visit counts (B, A)."""
    roots = [TodayNode(game, s) for s in states]
    live = [r for r in roots if r.terminal is None]
    if live:
        priors, _ = evaluate([r.state for r in live])
        for root, p in zip(live, priors):
            root.expand(game, p)
            if settings.noise_fraction > 0:
                noise = rng.dirichlet([settings.dirichlet_alpha] * len(root.actions))
                root.prior = (1 - settings.noise_fraction) * root.prior + settings.noise_fraction * noise
    for _ in range(settings.simulations):
        pending = []
        for root in live:
            node, path = root, []
            while node.expanded and node.terminal is None:
                i = node.select(settings.c_puct)
                path.append((node, i))
                if node.children[i] is None:
                    node.children[i] = TodayNode(game, game.play(node.state, int(node.actions[i])))
                node = node.children[i]
            if node.terminal is not None:
                _today_backup(path, node.terminal)
            else:
                pending.append((node, path))
        if pending:
            priors, values = evaluate([leaf.state for leaf, _ in pending])
            for (leaf, path), p, v in zip(pending, priors, values):
                leaf.expand(game, p)
                _today_backup(path, float(v))
    counts = np.zeros((len(roots), game.num_actions))
    for b, root in enumerate(roots):
        if root.expanded:
            counts[b, root.actions] = root.visits
    return counts


def _today_backup(path: list, value: float) -> None:
    for node, i in reversed(path):
        value = -value
        node.visits[i] += 1
        node.value_sum[i] += value


def play_today(game: Game, evaluate, n_games: int, settings: SearchSettings, temperature_moves: int,
               seed: int) -> int:
    """ac605c8's ``play_games`` (no symmetries): ``n_games`` games in lockstep, a batched search per move;
    returns the positions searched (labelling them is left out: it costs the same on both sides)."""
    rng = np.random.default_rng(seed)
    states = [game.initial() for _ in range(n_games)]
    positions, ply = 0, 0
    while True:
        live = [i for i, s in enumerate(states) if game.outcome(s) is None]
        if not live:
            return positions
        counts = today_search(game, [states[i] for i in live], evaluate, settings, rng)
        for i, c in zip(live, counts):
            s = states[i]
            game.planes(s), game.to_play(s)  # the record ac605c8 kept of the position
            states[i] = game.play(s, pick(c, 1.0 if ply < temperature_moves else 0.0, rng))
        positions, ply = positions + len(live), ply + 1
