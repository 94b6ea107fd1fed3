"""Self-play: many games searched side by side, positions labelled with the final result.

Every network call evaluates the leaves of every game in flight (``leaves_per_call`` of each). With the "continuous" schedule a finished game is
replaced at once by the next one, so the batch stays full until the last games are started; "lockstep" starts all
the games together and lets the batch shrink as they end (the older design, kept to compare against). Each game
draws its noise and its moves from its own random stream (seeded by the seed and the game's index), so the game
records do not depend on the schedule or on which games shared a batch.

``play_games`` runs in the training process, in worker processes (``worker_play``, one torch thread each) or in Ray
actors (``ray_actors.py``); ``actors.py`` chooses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from .eval_cache import CachedEvaluator
from .games import Game, make_game
from .mcts import Node, SearchSettings, Tree, answer, pick
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


@dataclass
class Schedule:
    """How a worker's games share the network's batches."""

    kind: str = "continuous"
    """"continuous": a finished game is replaced at once by the next, so every call sees ``in_flight`` games while
    any are left to start; "lockstep": all the games start together and the batch shrinks as they end."""
    in_flight: int = 16
    """Games searched at once with "continuous" (the network's batch size); "lockstep" plays all of them at once."""
    reuse: bool = True
    """The move played keeps its subtree as the next root (its visits count toward ``simulations``); False: every
    move is searched from a fresh root."""
    cache: int = 100_000
    """Network answers remembered by position during one ``play_games`` (its weights are fixed): repeated openings
    and transpositions need no new evaluation. 0: none."""


@dataclass
class GameInPlay:
    """One game: its search tree, its random stream and the positions recorded so far."""

    index: int
    tree: Tree
    rng: np.random.Generator
    record: list[tuple[np.ndarray, np.ndarray, int]] = field(default_factory=list)


def game_rng(seed: int, index: int) -> np.random.Generator:
    """Game ``index``'s own random stream: the same whatever the schedule or the games beside it."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))


def next_leaves(game: Game, g: GameInPlay, temperature_moves: int, reuse: bool) -> list[Node]:
    """Advance game ``g`` until its search needs the network (the leaves), playing every move whose search is
    done; [] when the game is over."""
    while True:
        leaves = g.tree.next_leaves()
        if leaves:
            return leaves
        root = g.tree.root
        if root.terminal is not None:
            return []
        counts = root.counts(game.num_actions)
        g.record.append((game.planes(root.state), counts / counts.sum(), game.to_play(root.state)))
        action = pick(counts, 1.0 if len(g.record) <= temperature_moves else 0.0, g.rng)
        g.tree.advance(action, reuse)


def play_games(game: Game, evaluate, n_games: int, search_settings: SearchSettings, temperature_moves: int,
               augment: bool, seed: int | np.random.Generator, schedule: Schedule | None = None,
               ) -> tuple[Positions, dict]:
    """Self-play ``n_games`` games; returns their positions in game order (symmetries added when ``augment``) and
    stats. ``seed`` (an int, or a generator that draws one) seeds every game's own stream."""
    schedule = schedule or Schedule()
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(2**63))
    if schedule.kind not in ("lockstep", "continuous"):
        raise ValueError(f"unknown schedule {schedule.kind!r}: 'continuous' or 'lockstep'")
    width = n_games if schedule.kind == "lockstep" else max(1, min(schedule.in_flight, n_games))
    if schedule.cache:
        evaluate = CachedEvaluator(game, evaluate, schedule.cache)
    started, done = 0, []
    slots: list[GameInPlay | None] = [None] * width
    calls = leaves = 0
    while True:
        waiting = []
        for k in range(width):
            while slots[k] is not None or started < n_games:
                if slots[k] is None:
                    rng = game_rng(seed, started)
                    slots[k] = GameInPlay(started, Tree(game, game.initial(), search_settings, rng), rng)
                    started += 1
                found = next_leaves(game, slots[k], temperature_moves, schedule.reuse)
                if found:
                    waiting.append((slots[k].tree, found))
                    break
                done.append(slots[k])
                slots[k] = None
        if not waiting:
            break
        calls, leaves = calls + 1, leaves + answer(waiting, evaluate)
    done.sort(key=lambda g: g.index)
    positions, stats = label(game, done, augment)
    evaluated = evaluate.misses if schedule.cache else leaves
    return positions, {**stats, "leaves": leaves, "evaluations": evaluated, "network_calls": calls}


def label(game: Game, games: list[GameInPlay], augment: bool) -> tuple[Positions, dict]:
    """Every recorded position with the game's final result for its side to move; win/draw/loss counts."""
    planes, policies, results = [], [], []
    outcomes = {1: 0, 0: 0, -1: 0}  # first player's view: win, draw, loss
    for g in games:
        s = g.tree.root.state
        final = game.outcome(s)  # for the side to move at the end
        loser = game.to_play(s)
        outcomes[0 if final == 0 else (1 if loser == 1 else -1)] += 1
        for x, pi, mover in g.record:
            z = 0.0 if final == 0 else (final if mover == loser else -final)
            pairs = game.symmetries(x, pi) if augment else [(x, pi)]
            for xs, ps in pairs:
                planes.append(xs)
                policies.append(ps)
                results.append(z)
    stats = {"games": len(games), "positions": len(results), "first_player_wins": outcomes[1],
             "draws": outcomes[0], "second_player_wins": outcomes[-1],
             "moves": max((len(g.record) for g in games), default=0)}
    return Positions(np.stack(planes).astype(np.float32), np.stack(policies).astype(np.float32),
                     np.array(results, dtype=np.float32)), stats


@dataclass
class SelfPlayJob:
    """A share of an iteration's games, as every backend plays it (``actors.py``): the network to build, the games
    and how to search them. The weights travel beside it, once per worker or actor."""

    game: str
    max_plies: int
    model: str
    model_kwargs: dict
    games: int
    search: SearchSettings
    temperature_moves: int
    augment: bool
    schedule: Schedule
    precision: str
    """Self-play's forward passes: "fp32", "bf16" or "auto"."""
    seed: int
    """Seeds the share's games (``game_rng(seed, index)``): the same job replays the same games."""


def job_evaluator(job: SelfPlayJob, weights: dict) -> Evaluator:
    """The job's network rebuilt from its name and ``weights`` (a state dict), frozen for the search."""
    game = make_game(job.game, job.max_plies)
    model = build_network(game, job.model, job.model_kwargs)
    model.load_state_dict(weights)
    return Evaluator(game, model.eval(), job.precision, freeze=True)


def play_job(job: SelfPlayJob, evaluate) -> tuple[Positions, dict]:
    """Self-play the job's games with ``evaluate`` (an ``Evaluator`` of the job's network)."""
    game = make_game(job.game, job.max_plies)
    return play_games(game, evaluate, job.games, job.search, job.temperature_moves, job.augment, job.seed,
                      job.schedule)


def worker_play(job: SelfPlayJob, weights: dict) -> tuple[Positions, dict]:
    """One worker process's share of an iteration: rebuild the network from the job and its weights, then play."""
    torch.set_num_threads(1)  # the workers run side by side; one core each
    return play_job(job, job_evaluator(job, weights))
