"""`zoo perf rl`: our self-play against the lockstep schedule it replaced, the network alone, and the one-game-at-
a-time search of common Python AlphaZero implementations, for Connect Four and chess.

Every contender searches with the preset's network (random weights from a fixed seed: the speed of a forward pass
does not depend on what it learnt) at the preset's simulation count, and counts positions: moves searched and
played. Each ``run()`` replays the same seeded games, so every repeat does the same work. Ours runs its forward
passes in bf16 where the machine has fast bf16 (``selfplay_precision: auto``, as training does); lockstep and the
reference run today's fp32.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import yaml
from torch.utils.flop_counter import FlopCounterMode

from zoo.runtime.perf import Contender, Pair, Timed, Workload

from .games import Game, make_game
from .mcts import SearchSettings
from .network import Evaluator, build_network
from .perf_reference import play_one_at_a_time
from .selfplay import Schedule, play_games

CONFIGS = Path(__file__).parent / "configs"


@dataclass
class Job:
    """What one game's workload plays."""

    preset: str
    """The preset whose network, simulations, root noise and temperature are used."""
    games: int
    """Games per run of ours and of lockstep."""
    in_flight: int
    """Games ours searches at once: the network's batch size, and the network-only contender's."""
    quick_games: int
    """``games`` of a quick run."""
    quick_in_flight: int
    """``in_flight`` of a quick run."""
    reference_games: int
    """Games per run of the one-game-at-a-time reference (it is slower: fewer games for the same seconds)."""
    max_plies: int = 0
    """Chess: games are drawn after this many plies (a run of a few seconds; 0: the game's own rules)."""
    quick_plies: int = 0
    """``max_plies`` of a quick run."""
    goal_lockstep: float | None = None
    """Acceptance ratio against lockstep."""
    goal_network: float | None = None
    """Acceptance ratio against the network alone (None: reported only)."""


# Runs of a few seconds on one CPU thread. A worker's games all start at once (in_flight = games): on a CPU thread a
# network call's fixed cost dominates batches this small, so fewer, emptier calls beat refills that lengthen the
# critical path (the longest game's moves x simulations); refills pay where a worker has many more games.
JOBS = [Job("connect4_quick.yaml", games=8, in_flight=8, quick_games=2, quick_in_flight=2, reference_games=1,
            goal_lockstep=2.5, goal_network=0.7),
        Job("chess_quick.yaml", games=8, in_flight=8, quick_games=4, quick_in_flight=4, reference_games=1,
            max_plies=20, quick_plies=12, goal_lockstep=4.0)]


def forward_flops(model: torch.nn.Module, game: Game) -> float:
    """Model FLOPs of one position's forward pass (convolutions and matrix products, a multiply-add = 2)."""
    x = torch.zeros(1, game.num_planes, *game.board_size)
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(x)
    return float(counter.get_total_flops())


class SelfPlayRun:
    """One contender's self-play: the same seeded games each run; what the last run measured."""

    def __init__(self, game: Game, evaluate: Evaluator, n_games: int, settings: SearchSettings,
                 temperature_moves: int, schedule: Schedule, flops_per_forward: float):
        self.game, self.evaluate, self.n_games, self.settings = game, evaluate, n_games, settings
        self.temperature_moves, self.schedule, self.flops_per_forward = temperature_moves, schedule, flops_per_forward
        self.contender: Contender | None = None  # its FLOPs per position follow the evaluations it makes
        self.stats: dict = {}

    def run(self) -> Timed:
        start = time.perf_counter()
        positions, stats = play_games(self.game, self.evaluate, self.n_games, self.settings, self.temperature_moves,
                                      False, 0, self.schedule)
        seconds = time.perf_counter() - start
        self.stats = {**stats, "seconds": seconds}
        if self.contender is not None:
            self.contender.flops_per_item = self.evaluations_per_position * self.flops_per_forward
        return Timed(seconds, len(positions))

    @property
    def evaluations_per_position(self) -> float:
        if not self.stats:
            self.run()
        return self.stats["evaluations"] / self.stats["positions"]


class NetworkRun:
    """The network alone: forward passes at ours' batch size, counted in the positions they would serve at ours'
    evaluations per position."""

    def __init__(self, evaluator: Evaluator, batch: int, seconds: float, ours: SelfPlayRun):
        game = evaluator.game
        self.x = torch.from_numpy(np.stack([game.planes(game.initial())] * batch)).to(evaluator.dtype)
        model = evaluator.frozen(self.x) if evaluator.freeze else evaluator.model
        self.model, self.ours = model, ours
        with torch.inference_mode():
            for _ in range(3):  # warm-up (the frozen graph optimises itself on its first calls)
                model(self.x)
            start = time.perf_counter()
            for _ in range(5):
                model(self.x)
        self.calls = max(5, round(seconds / ((time.perf_counter() - start) / 5)))

    def run(self) -> Timed:
        with torch.inference_mode():
            start = time.perf_counter()
            for _ in range(self.calls):
                self.model(self.x)
            seconds = time.perf_counter() - start
        return Timed(seconds, self.calls * len(self.x) / self.ours.evaluations_per_position)


def workload(job: Job, quick: bool) -> Workload:
    """One game's pairs, with the facts of a first run of ours (which also warms it up)."""
    cfg = yaml.safe_load((CONFIGS / job.preset).read_text())
    max_plies = (job.quick_plies if quick else 0) or job.max_plies
    game = make_game(cfg["game"], max_plies)
    torch.manual_seed(0)
    model = build_network(game, cfg["model"], cfg.get("model_kwargs") or {}).eval()
    evaluate, flops = Evaluator(game, model), forward_flops(model, game)
    fast = Evaluator(game, model, "auto", freeze=True)  # ours: frozen trace, bf16 where this machine has fast bf16
    settings = SearchSettings(cfg["simulations"], dirichlet_alpha=cfg.get("dirichlet_alpha", 0.5))
    tm = cfg.get("temperature_moves", 4)
    games, in_flight = (job.quick_games, job.quick_in_flight) if quick else (job.games, job.in_flight)
    ours_run = SelfPlayRun(game, fast, games, settings, tm, Schedule("continuous", in_flight), flops)
    today = Schedule("lockstep", reuse=False, cache=0)
    lockstep_run = SelfPlayRun(game, evaluate, games, settings, tm, today, flops)
    ours_run.run()  # the facts below, and a warm-up
    ours = Contender(f"{in_flight} games in flight, subtree reuse, answer cache, frozen {fast.precision} network",
                     ours_run.run, ours_run.evaluations_per_position * flops, fast.precision)
    ours_run.contender = ours
    lockstep = Contender(f"lockstep ({games} games at once), fresh root every move, fp32", lockstep_run.run)
    lockstep_run.contender = lockstep
    network = NetworkRun(fast, in_flight, 1.0 if quick else 3.0, ours_run)
    reference = Contender("one tree in dictionaries, one leaf per network call, fp32", lambda: None)

    def run_reference() -> Timed:
        start = time.perf_counter()
        positions, evaluations = play_one_at_a_time(game, evaluate, job.reference_games, settings, tm, 0)
        reference.flops_per_item = evaluations / positions * flops
        return Timed(time.perf_counter() - start, positions)

    reference.run = run_reference

    stats = ours_run.stats
    name = cfg["game"]
    pairs = [Pair(f"{name}: ours vs lockstep self-play, {settings.simulations} simulations", "positions", ours,
                  lockstep, job.goal_lockstep),
             Pair(f"{name}: ours vs the network alone at batch {in_flight}", "positions", ours,
                  Contender(f"network forward passes only, {fast.precision}", network.run, ours.flops_per_item,
                            fast.precision), job.goal_network),
             Pair(f"{name}: ours vs one game at a time (alpha-zero-general style)", "positions", ours, reference)]
    facts = {
        "preset": job.preset, "simulations": settings.simulations, "games_per_run": games,
        "games_in_flight": in_flight, "max_plies": max_plies or None,
        "positions_per_s": stats["positions"] / stats["seconds"],
        "network_evaluations_per_s": stats["evaluations"] / stats["seconds"],
        "evaluations_per_position": ours_run.evaluations_per_position,
        "mean_batch": stats["evaluations"] / stats["network_calls"],
        "flops_per_forward": flops, "ours_precision": fast.precision,
        "parameters": sum(p.numel() for p in model.parameters()),
        "network_only_unit": "forward passes x batch / ours' network evaluations per position: the positions per "
                             "second self-play would reach if the network were its only cost",
        "simulations_count": "root visits per move, including those a reused subtree carries over (at least a "
                             "quarter new); lockstep and the reference make all of them anew every move",
        "answer_cache_hit_rate": ours_run.stats["leaves"] and 1 - stats["evaluations"] / stats["leaves"],
    }
    return Workload(f"rl self-play: {name}", pairs, facts)


def workloads(quick: bool = False) -> list[Workload]:
    """Connect Four and chess self-play (chess needs the `chess` package, a dependency of the app)."""
    return [workload(job, quick) for job in JOBS]
