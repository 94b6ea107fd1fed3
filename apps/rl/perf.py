"""`zoo perf rl`: our self-play against today's (commit ac605c8's code and presets, before the speed work), the
network alone, and the one-game-at-a-time search of common Python AlphaZero implementations, for Connect Four and
chess.

Every contender searches with the preset's network (random weights from a fixed seed: the speed of a forward pass
does not depend on what it learnt) at the preset's simulation count, and counts positions: moves searched and
played. Each ``run()`` replays the same seeded games, so every repeat does the same work. Ours plays a worker's
share of its preset's games with the preset's self-play settings and runs its forward passes in bf16 where the
machine has fast bf16 (``selfplay_precision: auto``, as training does); today's plays a worker's share of
ac605c8's preset with that commit's code in fp32, as it did.
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
from .perf_reference import TodayEvaluator, play_one_at_a_time, play_today
from .selfplay import Schedule, play_games

CONFIGS = Path(__file__).parent / "configs"


@dataclass
class Job:
    """What one game's workload plays."""

    preset: str
    """The preset whose network, simulations, root noise, temperature and self-play settings ours uses (a
    worker's games: ``games_per_iteration / workers``, ``games_in_flight``, ``leaves_per_call``)."""
    today_games: int
    """A worker's games at commit ac605c8 (its preset's ``games_per_iteration / workers``), all searched at once."""
    quick_games: int
    """Games per run of ours and today's in a quick run."""
    reference_games: int
    """Games per run of the one-game-at-a-time reference (it is slower: fewer games for the same seconds)."""
    max_plies: int = 0
    """Chess: games are drawn after this many plies, on both sides (a run of a few seconds; 0: the game's own
    rules)."""
    quick_plies: int = 0
    """``max_plies`` of a quick run."""
    goal_today: float | None = None
    """Acceptance ratio against today's self-play."""
    goal_network: float | None = None
    """Acceptance ratio against the network alone (None: reported only)."""


# Ours plays a worker's share of its preset's iteration; today's a worker's share of ac605c8's preset (Connect
# Four: 64 games / 2 workers; chess: 8 games / 2 workers), with ac605c8's code.
JOBS = [Job("connect4_quick.yaml", today_games=32, quick_games=4, reference_games=1, goal_today=2.5,
            goal_network=0.7),
        Job("chess_quick.yaml", today_games=4, quick_games=4, reference_games=1, max_plies=20, quick_plies=12,
            goal_today=4.0)]


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


class TodayRun:
    """Today's self-play (ac605c8's code, its game code for chess, the plain fp32 model): the same seeded games
    each run."""

    def __init__(self, game: Game, model: torch.nn.Module, n_games: int, settings: SearchSettings,
                 temperature_moves: int, flops_per_forward: float):
        self.game, self.n_games, self.settings, self.temperature_moves = game, n_games, settings, temperature_moves
        evaluate = TodayEvaluator(game, model)
        self.evaluations = 0

        def counted(states):
            self.evaluations += len(states)
            return evaluate(states)

        self.evaluate, self.flops_per_forward = counted, flops_per_forward
        self.contender = Contender(f"ac605c8: lockstep, {n_games} games per network call, fresh root every move, "
                                   "fp32", self.run)

    def run(self) -> Timed:
        self.evaluations = 0
        start = time.perf_counter()
        positions = play_today(self.game, self.evaluate, self.n_games, self.settings, self.temperature_moves, 0)
        seconds = time.perf_counter() - start
        self.contender.flops_per_item = self.evaluations / positions * self.flops_per_forward
        return Timed(seconds, positions)


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


def today_game(name: str, max_plies: int) -> Game:
    """The game as ac605c8 played it: chess with that commit's game code, the others unchanged since."""
    if name != "chess":
        return make_game(name, max_plies)
    from .perf_reference_chess import TodayChess

    return TodayChess(max_plies) if max_plies else TodayChess()


def our_settings(cfg: dict, n_games: int) -> tuple[SearchSettings, Schedule]:
    """The preset's search and a worker's schedule, as training builds them (``train.Settings`` defaults)."""
    settings = SearchSettings(cfg["simulations"], dirichlet_alpha=cfg.get("dirichlet_alpha", 0.5),
                              leaves_per_call=cfg.get("leaves_per_call", 1))
    return settings, Schedule("continuous", min(n_games, cfg.get("games_in_flight", 32)))


def workload(job: Job, quick: bool) -> Workload:
    """One game's pairs, with the facts of a first run of ours (which also warms it up)."""
    cfg = yaml.safe_load((CONFIGS / job.preset).read_text())
    max_plies = (job.quick_plies if quick else 0) or job.max_plies
    game = make_game(cfg["game"], max_plies)
    torch.manual_seed(0)
    model = build_network(game, cfg["model"], cfg.get("model_kwargs") or {}).eval()
    flops = forward_flops(model, game)
    fast = Evaluator(game, model, "auto", freeze=True)  # ours: frozen trace, bf16 where this machine has fast bf16
    tm = cfg.get("temperature_moves", 4)
    games = job.quick_games if quick else cfg["games_per_iteration"] // cfg.get("workers", 2)
    today_games = job.quick_games if quick else job.today_games
    settings, schedule = our_settings(cfg, games)
    today_settings = SearchSettings(settings.simulations, dirichlet_alpha=settings.dirichlet_alpha)
    ours_run = SelfPlayRun(game, fast, games, settings, tm, schedule, flops)
    ours_run.run()  # the facts below, and a warm-up
    stats = ours_run.stats
    batch = max(1, round(stats["evaluations"] / stats["network_calls"]))
    ours = Contender(f"{games} games, {schedule.in_flight} in flight, {settings.leaves_per_call} leaves per tree "
                     f"per call, subtree reuse, answer cache, frozen {fast.precision} network",
                     ours_run.run, ours_run.evaluations_per_position * flops, fast.precision)
    ours_run.contender = ours
    today = TodayRun(today_game(cfg["game"], max_plies), model, today_games, today_settings, tm, flops)
    network = NetworkRun(fast, batch, 1.0 if quick else 3.0, ours_run)
    reference = Contender("one tree in dictionaries, one leaf per network call, fp32", lambda: None)
    evaluate = Evaluator(game, model)

    def run_reference() -> Timed:
        start = time.perf_counter()
        positions, evaluations = play_one_at_a_time(game, evaluate, job.reference_games, today_settings, tm, 0)
        reference.flops_per_item = evaluations / positions * flops
        return Timed(time.perf_counter() - start, positions)

    reference.run = run_reference

    name = cfg["game"]
    pairs = [Pair(f"{name}: ours vs today's self-play (ac605c8), {settings.simulations} simulations", "positions",
                  ours, today.contender, job.goal_today),
             Pair(f"{name}: ours vs the network alone at ours' mean batch {batch}", "positions", ours,
                  Contender(f"network forward passes only, {fast.precision}", network.run, ours.flops_per_item,
                            fast.precision), job.goal_network),
             Pair(f"{name}: ours vs one game at a time (alpha-zero-general style)", "positions", ours, reference)]
    facts = {
        "preset": job.preset, "simulations": settings.simulations, "games_per_run": games,
        "games_in_flight": schedule.in_flight, "leaves_per_call": settings.leaves_per_call,
        "today_games_per_run": today_games, "max_plies": max_plies or None,
        "positions_per_s": stats["positions"] / stats["seconds"],
        "network_evaluations_per_s": stats["evaluations"] / stats["seconds"],
        "evaluations_per_position": ours_run.evaluations_per_position,
        "mean_batch": stats["evaluations"] / stats["network_calls"], "network_calls": stats["network_calls"],
        "flops_per_forward": flops, "ours_precision": fast.precision,
        "parameters": sum(p.numel() for p in model.parameters()),
        "network_only_unit": "forward passes at ours' mean batch x batch / ours' network evaluations per position: "
                             "the positions per second self-play would reach if the network were its only cost",
        "simulations_count": "root visits per move, including those a reused subtree carries over (at least a "
                             "quarter new); today's and the reference make all of them anew every move",
        "today": "ac605c8's lockstep search, play_games and evaluator (apps/rl/perf_reference.py) and, for chess, "
                 "its game code (apps/rl/perf_reference_chess.py); games per run as its preset gave a worker",
        "answer_cache_hit_rate": stats["leaves"] and 1 - stats["evaluations"] / stats["leaves"],
    }
    return Workload(f"rl self-play: {name}", pairs, facts)


def workloads(quick: bool = False) -> list[Workload]:
    """Connect Four and chess self-play (chess needs the `chess` package, a dependency of the app)."""
    return [workload(job, quick) for job in JOBS]
