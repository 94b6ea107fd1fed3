"""Self-play: many games in lockstep, one batched search per move, positions labelled with the final result.

``play_games`` runs in the training process or in worker processes (``worker_play``, one torch thread each).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .games import Game, make_game
from .mcts import SearchSettings, pick, search
from .network import Evaluator, build_network


@dataclass
class Positions:
    """Training examples: planes (N, P, H, W), search policies (N, A), results for the side to move (N,)."""

    planes: np.ndarray
    policies: np.ndarray
    results: np.ndarray

    def __len__(self) -> int:
        return len(self.results)

    @staticmethod
    def concat(parts: list[Positions]) -> Positions:
        return Positions(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("planes", "policies", "results")))

    def last(self, n: int) -> Positions:
        return Positions(self.planes[-n:], self.policies[-n:], self.results[-n:])


def play_games(game: Game, evaluate, n_games: int, search_settings: SearchSettings, temperature_moves: int,
               augment: bool, rng: np.random.Generator) -> tuple[Positions, dict]:
    """Self-play ``n_games`` games; returns their positions (symmetries added when ``augment``) and stats."""
    states = [game.initial() for _ in range(n_games)]
    records: list[list[tuple[np.ndarray, np.ndarray, int]]] = [[] for _ in range(n_games)]
    ply = 0
    while True:
        live = [i for i, s in enumerate(states) if game.outcome(s) is None]
        if not live:
            break
        counts, _ = search(game, [states[i] for i in live], evaluate, search_settings, rng)
        for i, c in zip(live, counts):
            s = states[i]
            records[i].append((game.planes(s), c / c.sum(), game.to_play(s)))
            states[i] = game.play(s, pick(c, 1.0 if ply < temperature_moves else 0.0, rng))
        ply += 1
    planes, policies, results = [], [], []
    outcomes = {1: 0, 0: 0, -1: 0}  # first player's view: win, draw, loss
    for s, record in zip(states, records):
        final = game.outcome(s)  # for the side to move at the end
        loser = game.to_play(s)
        outcomes[0 if final == 0 else (1 if loser == 1 else -1)] += 1
        for x, pi, mover in record:
            z = 0.0 if final == 0 else (final if mover == loser else -final)
            pairs = game.symmetries(x, pi) if augment else [(x, pi)]
            for xs, ps in pairs:
                planes.append(xs)
                policies.append(ps)
                results.append(z)
    stats = {"games": n_games, "positions": len(results), "first_player_wins": outcomes[1],
             "draws": outcomes[0], "second_player_wins": outcomes[-1], "moves": ply}
    return Positions(np.stack(planes).astype(np.float32), np.stack(policies).astype(np.float32),
                     np.array(results, dtype=np.float32)), stats


def worker_play(job: dict) -> tuple[Positions, dict]:
    """One worker's share of an iteration: rebuild the network from its config and weights, then self-play."""
    torch.set_num_threads(1)  # the workers run side by side; one core each
    game = make_game(job["game"], job.get("max_plies", 0))
    model = build_network(game, job["model"], job["model_kwargs"])
    model.load_state_dict(job["weights"])
    evaluate = Evaluator(game, model.eval())
    return play_games(game, evaluate, job["games"], job["search"], job["temperature_moves"], job["augment"],
                      np.random.default_rng(job["seed"]))
