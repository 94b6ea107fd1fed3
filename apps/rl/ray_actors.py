"""Self-play on Ray (``zoo rl train ... --actors ray [--ray-address ADDR] [--num-actors N]``).

Each actor is a process with one CPU and one torch thread. Every iteration the learner's weights go once into
Ray's object store; the iteration's games are cut into batches of ``games_in_flight`` (one ``SelfPlayJob`` each,
seeded by its index), dealt to the actors in turn, and each batch's positions come back as soon as it is played.

A killed actor is restarted by Ray (up to ``MAX_RESTARTS`` times) and the batches it had not returned are sent
again: a batch's games are seeded by the batch, so the replay is the same games, not just as many. A killed
driver resumes from its last finished iteration, as with local workers.

Ray is optional (``pip install 'zoo-suite[scale]'``); without it, ``actors: ray`` is refused before the run
starts (``checks.py``). On a cluster, every node needs zoo-suite installed, as the actors import it.
"""

from __future__ import annotations

import copy
import os

import torch

from .actors import OnResult, Result, cpu_weights
from .selfplay import SelfPlayJob, job_evaluator, play_job

MAX_RESTARTS = 4
"""Restarts Ray allows an actor (and retries of the batch it held) before the iteration fails."""
START_SECONDS = 120
"""How long the actors may take to start before the run stops with a message (a cluster without the CPUs for them
would otherwise wait for ever)."""


class SelfPlayActor:
    """What lives in one actor process: the evaluator for the last weights it was sent."""

    def __init__(self):
        torch.set_num_threads(1)  # one CPU per actor: the actors of a node run side by side
        self.weights_id: str | None = None
        self.evaluate = None

    def pid(self) -> int:
        return os.getpid()

    def play(self, weights: list, job: SelfPlayJob) -> Result:
        """Play ``job`` with the weights behind ``weights[0]`` (an object reference, wrapped in a list so that Ray
        hands over the reference and the network is rebuilt only when a new one arrives)."""
        import ray

        (ref,) = weights
        if ref.hex() != self.weights_id:
            self.evaluate, self.weights_id = job_evaluator(job, ray.get(ref)), ref.hex()
        return play_job(job, self.evaluate)


def start_ray(address: str, actors: int) -> bool:
    """Join the cluster at ``address``, or start a local one with a CPU per actor; True when this call started a
    local one (``RayActors.close`` stops it). A Ray already running in this process is used as it is."""
    import ray

    if ray.is_initialized():
        return False
    if address:
        ray.init(address=address, log_to_driver=False)
        return False
    ray.init(num_cpus=actors, include_dashboard=False, log_to_driver=False)
    return True


class RayActors:
    """``actors: ray``: ``n`` Ray actors, batches of ``batch_games`` games dealt to them in turn."""

    def __init__(self, n: int, batch_games: int, address: str = ""):
        import ray

        self.started = start_ray(address, n)
        remote = ray.remote(num_cpus=1, max_restarts=MAX_RESTARTS, max_task_retries=MAX_RESTARTS)(SelfPlayActor)
        self.actors = [remote.remote() for _ in range(n)]
        self.batch_games = batch_games
        self.name = f"{n} Ray actors"
        self.owns_actors = True
        try:
            self.pids()
        except ray.exceptions.GetTimeoutError:
            self.close()
            raise RuntimeError(f"{n} Ray actors of one CPU each did not start within {START_SECONDS} s: the cluster "
                               f"has {ray.available_resources().get('CPU', 0):g} CPUs free; ask for fewer "
                               "(--num-actors) or give the cluster more") from None

    def first(self, k: int) -> RayActors:
        """The same actors' first ``k``, as a backend of its own (benchmarks compare 1 and N actors on the same
        processes); closing it closes nothing."""
        view = copy.copy(self)
        view.actors, view.name, view.started = self.actors[:k], f"{k} Ray actor{'s' * (k > 1)}", False
        view.owns_actors = False
        return view

    def split(self, games: int) -> list[int]:
        full, rest = divmod(games, self.batch_games)
        return [self.batch_games] * full + ([rest] if rest else [])

    def pids(self) -> list[int]:
        """Each actor's process id, in actor order (tests kill one)."""
        import ray

        return ray.get([a.pid.remote() for a in self.actors], timeout=START_SECONDS)

    def play(self, jobs: list[SelfPlayJob], model: torch.nn.Module, on_result: OnResult | None = None) -> list[Result]:
        import ray

        weights = ray.put(cpu_weights(model))  # once per iteration, whatever the number of actors and batches
        pending = {self.actors[k % len(self.actors)].play.remote([weights], job): k for k, job in enumerate(jobs)}
        results: list[Result | None] = [None] * len(jobs)
        while pending:
            (ready,), _ = ray.wait(list(pending), num_returns=1)
            k = pending.pop(ready)
            results[k] = ray.get(ready)
            if on_result:
                on_result(k, results[k])
        return results

    def close(self) -> None:
        import ray

        if not self.owns_actors:
            return
        for actor in self.actors:
            ray.kill(actor)
        if self.started:
            ray.shutdown()
