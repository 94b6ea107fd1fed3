"""`zoo perf`: our code against what a user would pick instead, measured in one run on this machine.

An app offers workloads (``App.perf``, a "module:function" returning ``list[Workload]``). Each workload holds
pairs of contenders doing the same work; the runner times them in ABBA order (ours, peer, peer, ours) for several
repeats, so that drift in the machine's speed (turbo, a neighbour's load) falls on both sides, and reports the
median of the per-repeat throughput ratios with their spread. Every contender's model FLOPs per item, divided by
its time and by this machine's measured matmul peak at its precision, gives its model FLOPs utilisation (MFU).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Timed:
    """One timed repeat of a contender."""

    seconds: float
    """Wall seconds of the work alone (set-up and warm-up excluded)."""
    items: float
    """Units of work done in those seconds (training steps, sentences, positions, epochs: the pair's ``unit``)."""


@dataclass
class Contender:
    """One side of a pair."""

    name: str
    """What it is, as a user would name it: "ZooTask + Trainer", "plain PyTorch loop", "ctranslate2 fp32"."""
    run: Callable[[], Timed]
    """Does one repeat of the work and times it; the runner calls it once to warm up, then 2 x repeats times."""
    flops_per_item: float | None = None
    """Model FLOPs (multiply-add = 2) of one item, for MFU; None where a FLOP count means nothing."""
    precision: str = "fp32"
    """The peak MFU is measured against: "fp32" or "bf16"."""


@dataclass
class Pair:
    """Two contenders doing the same work; the ratio is ours' throughput over the peer's (> 1: ours is faster)."""

    name: str
    """The comparison, e.g. "beam-4 vs CTranslate2 fp32"."""
    unit: str
    """What an item is, for the table's "per second" column: "steps", "sentences", "positions", "epochs"."""
    ours: Contender
    peer: Contender
    goal: float | None = None
    """The acceptance ratio (ours/peer throughput at least this); None: reported only."""


@dataclass
class Workload:
    """An app's comparison: its pairs, and the facts measured once beside them (quality at equal time, identical
    outputs, parameter counts) that make the timings comparable."""

    name: str
    pairs: list[Pair]
    facts: dict = field(default_factory=dict)
    """Plain JSON values, shown under the table and written to perf.json."""


def measure_peaks(seconds: float = 1.0, n: int = 1024) -> dict[str, float]:
    """This machine's matmul throughput in FLOP/s on all threads, for fp32 and bf16 (the best of repeated n x n
    products over about ``seconds`` each): the ceiling MFU is reported against."""
    import torch

    peaks = {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
        for _ in range(3):
            torch.mm(a, b)  # warm-up: the kernel choice and the pages
        best, deadline = 0.0, time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            for _ in range(4):
                torch.mm(a, b)
            best = max(best, 4 * 2 * n ** 3 / (time.perf_counter() - start))
        peaks[name] = best
    return peaks


def abba(pair: Pair, repeats: int) -> dict:
    """Time ``pair`` in ABBA order ``repeats`` times (after one warm-up run of each); per-repeat throughputs and
    ratios, their medians and the ratio's spread (min, max)."""
    pair.ours.run()
    pair.peer.run()
    ours, peer, ratios = [], [], []
    for _ in range(repeats):
        a1, b1, b2, a2 = pair.ours.run(), pair.peer.run(), pair.peer.run(), pair.ours.run()
        rate_a = (a1.items + a2.items) / (a1.seconds + a2.seconds)
        rate_b = (b1.items + b2.items) / (b1.seconds + b2.seconds)
        ours.append(rate_a)
        peer.append(rate_b)
        ratios.append(rate_a / rate_b)
    return {"ours_per_s": ours, "peer_per_s": peer, "ratios": ratios,
            "ours_median": statistics.median(ours), "peer_median": statistics.median(peer),
            "ratio_median": statistics.median(ratios), "ratio_spread": [min(ratios), max(ratios)]}


def mfu(contender: Contender, per_second: float, peaks: dict[str, float]) -> float | None:
    """Model FLOPs utilisation of ``contender`` running at ``per_second`` items/s, against the peak at its
    precision."""
    if not contender.flops_per_item:
        return None
    return contender.flops_per_item * per_second / peaks[contender.precision]


def run_pair(pair: Pair, repeats: int, peaks: dict[str, float]) -> dict:
    """One pair's row for perf.json: the ABBA timings, MFU of both sides, and whether it meets its goal."""
    timing = abba(pair, repeats)
    return {"pair": pair.name, "unit": pair.unit, "goal": pair.goal,
            "ours": {"name": pair.ours.name, "precision": pair.ours.precision,
                     "mfu": mfu(pair.ours, timing["ours_median"], peaks)},
            "peer": {"name": pair.peer.name, "precision": pair.peer.precision,
                     "mfu": mfu(pair.peer, timing["peer_median"], peaks)},
            **timing, "meets_goal": None if pair.goal is None else timing["ratio_median"] >= pair.goal}


def load_average() -> list[float] | None:
    """The 1, 5 and 15-minute load averages (a busy machine makes every figure suspect), where the OS has them."""
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None
