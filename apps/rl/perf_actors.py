"""`zoo rl perf-actors [--num-actors N] [--repeats R] [--games G] [--quick] [--record]`: self-play's positions
per second on Ray with N actors against one actor (and against N local worker processes, the default backend),
timed side by side (ABBA, median ratio) as `zoo perf` times its pairs; a table, ``runs/bench/perf-rl-actors.json``
and, with ``--record``, ``results/perf-rl-actors.json`` (the README's table).

Every run plays one iteration of a preset's self-play (Connect Four: 64 games, batches of 16, 40 simulations) with
a fixed random network (a forward pass costs the same whatever it learnt), on a local Ray cluster started here.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from zoo.errors import InputError
from zoo.runtime.args import CommandParser
from zoo.runtime.bench import RESULTS
from zoo.runtime.perf import Contender, Pair, Timed, Workload

from .actors import LocalWorkers, cpu_weights
from .checks import require_ray
from .cli import CONFIGS, positive
from .games import make_game
from .network import build_network
from .train import Settings, iteration_jobs

RECORD_NAME = "perf-rl-actors.json"


def preset_settings(preset: str, quick: bool, games: int = 0) -> Settings:
    """The preset's settings, playing ``games`` games per run if given, else its iteration's (half with
    ``quick``)."""
    s = read_preset(CONFIGS / preset)
    s.games_per_iteration = games or (max(4, s.games_per_iteration // 2) if quick else s.games_per_iteration)
    return s


def read_preset(path: Path) -> Settings:
    """The settings a preset file holds, read as data (zoo.trust.reader) and checked as `zoo rl train` checks
    them, before anything starts: an unknown key, a wrong type or an out-of-bounds size is one line."""
    from zoo.trust.reader import check_plain, read_mapping

    from .checks import check_settings

    values = read_mapping(path)
    unknown = sorted(set(values) - set(Settings.__dataclass_fields__))
    if unknown:
        raise InputError(f"{path}: {unknown[0]}: not a self-play setting (see zoo rl train --help)")
    s = Settings(**values)
    check_plain(s.model_kwargs, f"{path}: model_kwargs")
    check_settings(s)
    return s


def timed_run(backend, s: Settings, model: torch.nn.Module, name: str) -> Contender:
    """A contender playing one iteration on ``backend`` per run (the same seeded games every run)."""
    jobs = iteration_jobs(s, 0, backend.split(s.games_per_iteration))

    def run() -> Timed:
        start = time.perf_counter()
        results = backend.play(jobs, model)
        return Timed(time.perf_counter() - start, sum(r[1]["positions"] for r in results))

    return Contender(name, run)


def broadcast_seconds(model: torch.nn.Module, repeats: int = 5) -> float:
    """Seconds to put the weights in Ray's object store (once per iteration whatever the number of actors)."""
    import ray

    start = time.perf_counter()
    for _ in range(repeats):
        ray.put(cpu_weights(model))
    return (time.perf_counter() - start) / repeats


def workload(s: Settings, n: int, backends: dict) -> Workload:
    """The pairs: N Ray actors against one, and against N local worker processes."""
    torch.manual_seed(0)
    model = build_network(make_game(s.game), s.model, s.model_kwargs).eval()
    ours = timed_run(backends["ray_n"], s, model, f"{n} Ray actors")
    pairs = [Pair(f"{s.game} self-play: {n} Ray actors vs 1", "positions", ours,
                  timed_run(backends["ray_1"], s, model, "1 Ray actor"), goal=1.6 if n == 2 else None),
             Pair(f"{s.game} self-play: {n} Ray actors vs {n} local worker processes", "positions", ours,
                  timed_run(backends["local"], s, model, f"{n} worker processes (multiprocessing, the default)"))]
    weights = cpu_weights(model)
    facts = {"game": s.game, "games_per_run": s.games_per_iteration, "games_per_batch": s.games_in_flight,
             "simulations": s.simulations, "leaves_per_call": s.leaves_per_call, "actors": n,
             "selfplay_precision": s.selfplay_precision,
             "parameters": sum(p.numel() for p in model.parameters()),
             "weights_bytes": sum(v.numel() * v.element_size() for v in weights.values()),
             "weights_put_s": broadcast_seconds(model)}
    return Workload(f"rl self-play on Ray: {s.game}", pairs, facts)


def add_per_actor(payload: dict, n: int) -> None:
    """The per-actor rate and the parallel efficiency, from the measured pair (facts of the first workload)."""
    for w in payload["workloads"]:
        pair = w["pairs"][0]
        w["facts"]["positions_per_s_per_actor"] = pair["ours_median"] / n
        w["facts"]["parallel_efficiency"] = pair["ratio_median"] / n


def projection(payload: dict) -> str:
    """The per-actor rate and what it projects to on a cluster, in a sentence (printed, and under the README's
    table)."""
    facts = payload["workloads"][0]["facts"]
    rate, n = facts["positions_per_s_per_actor"], facts["actors"]
    return (f"Per actor: {rate:.0f} positions/s ({facts['game']}, the {n}-actor rate / {n}; parallel efficiency "
            f"{facts['parallel_efficiency']:.0%} on this machine). Projected for a cluster: about {rate:.0f} x K "
            f"positions/s with K actors (e.g. {16 * rate:,.0f} with 16) while the learner keeps up; the weights "
            f"({facts['weights_bytes'] / 1e6:.1f} MB) go out once per iteration.")


def main(argv: list[str]) -> int:
    from zoo.outputs import write_json
    from zoo.runtime.perf_run import run_workloads
    from zoo.trust.runfolder import RunFolder

    from .ray_actors import RayActors, start_ray

    ap = CommandParser(prog="zoo rl perf-actors", description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="connect4_quick.yaml", help="the self-play preset (a file in apps/rl/configs)")
    ap.add_argument("--num-actors", type=int, default=2, help="actors of the measured side (default 2)")
    ap.add_argument("--repeats", type=int, default=5, help="ABBA repeats (at least 3; default 5)")
    ap.add_argument("--quick", action="store_true", help="half of the games (a smoke test)")
    ap.add_argument("--games", type=int, default=0, help="games per run (default: the preset's iteration)")
    ap.add_argument("--out", default="runs/bench", help="folder for perf-rl-actors.json (default: runs/bench)")
    ap.add_argument("--record", action="store_true", help=f"also write results/{RECORD_NAME} (the README's table)")
    args = ap.parse_args(argv)
    positive("--num-actors", args.num_actors, low=2)
    positive("--repeats", args.repeats, low=3)
    positive("--games", args.games, low=0)
    if not (CONFIGS / args.preset).is_file():
        raise InputError(f"--preset {args.preset}: no such file in {CONFIGS}")
    require_ray("zoo rl perf-actors")
    s = preset_settings(args.preset, args.quick, args.games)  # read and checked before any folder or cluster
    RunFolder.claim(args.out, "--out")  # new, or made by an earlier bench or perf: never a user's own folder
    started = start_ray("", args.num_actors)
    actors = RayActors(args.num_actors, s.games_in_flight)
    backends = {"ray_n": actors, "ray_1": actors.first(1), "local": LocalWorkers(args.num_actors)}
    try:
        out = Path(args.out) / RECORD_NAME
        payload = run_workloads([("rl", workload(s, args.num_actors, backends))], args.repeats, args.quick, out)
        add_per_actor(payload, args.num_actors)
        print(projection(payload))
        write_json(out, payload)
        if args.record:
            print(f"recorded {write_json(RESULTS / RECORD_NAME, payload)}")
    finally:
        for backend in backends.values():
            backend.close()
        if started:
            import ray

            ray.shutdown()
    return 0
