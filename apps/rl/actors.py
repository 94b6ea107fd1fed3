"""Where self-play's games are played: in the training process (``workers: 1``), in worker processes on this
machine (the default, nothing to install), or in Ray actors on this machine or a cluster (``actors: ray``, see
``ray_actors.py``).

Every backend splits an iteration's games into jobs (``SelfPlayJob``, each seeded by its index), plays them with a
copy of the learner's current weights and returns each job's (positions, stats) in job order: the replay window
gets the same data whatever played it.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable

import torch

from .games import make_game
from .network import Evaluator
from .selfplay import Positions, SelfPlayJob, play_job, worker_play

Result = tuple[Positions, dict]
OnResult = Callable[[int, Result], None]
"""Called with a job's index and result as each one comes back (progress, tests)."""


def cpu_weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The model's weights as CPU tensors: what a worker or actor rebuilds the network from (the learner may be on
    a GPU)."""
    return {k: v.detach().cpu() for k, v in model.state_dict().items()}


def even_shares(games: int, parts: int) -> list[int]:
    """``games`` split into ``parts`` shares that differ by at most one, empty shares dropped."""
    return [n for n in (games // parts + (k < games % parts) for k in range(parts)) if n]


class InProcess:
    """``workers: 1``: the games are played here, with the learner's own model (no copy to send)."""

    name = "in process"

    def split(self, games: int) -> list[int]:
        return [games]

    def play(self, jobs: list[SelfPlayJob], model: torch.nn.Module, on_result: OnResult | None = None) -> list[Result]:
        results = []
        for k, job in enumerate(jobs):
            evaluate = Evaluator(make_game(job.game, job.max_plies), model.eval(), job.precision, freeze=True)
            results.append(play_job(job, evaluate))
            if on_result:
                on_result(k, results[-1])
        return results

    def close(self) -> None:
        pass


class LocalWorkers:
    """``workers: N``: N spawned processes of one torch thread each, a share of the games per process."""

    def __init__(self, workers: int):
        self.workers = workers
        self.name = f"{workers} worker processes"
        self.pool = mp.get_context("spawn").Pool(workers)

    def split(self, games: int) -> list[int]:
        return even_shares(games, self.workers)

    def play(self, jobs: list[SelfPlayJob], model: torch.nn.Module, on_result: OnResult | None = None) -> list[Result]:
        weights = cpu_weights(model)
        pending = [self.pool.apply_async(worker_play, (job, weights)) for job in jobs]
        results = []
        for k, answer in enumerate(pending):
            results.append(answer.get())
            if on_result:
                on_result(k, results[-1])
        return results

    def close(self) -> None:
        self.pool.terminate()


def open_backend(actors: str, workers: int, games_in_flight: int, ray_address: str = ""):
    """The backend a run's settings ask for (``train.Settings``: ``actors``, ``workers``, ``ray_address``);
    ``close()`` it at the end of the run."""
    if actors == "ray":
        from .ray_actors import RayActors

        return RayActors(workers, games_in_flight, ray_address)
    return LocalWorkers(workers) if workers > 1 else InProcess()
