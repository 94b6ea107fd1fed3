"""Self-play on Ray actors, on a local Ray cluster started here: the same replay data as local worker processes,
and a killed actor is restarted with its games replayed. Skipped where Ray is not installed (the `scale` extra)."""

import json
import os
import signal
import sys

import numpy as np
import pytest
import torch

from apps.rl.checkpoints import load_latest
from apps.rl.checks import check_settings
from apps.rl.cli import spelled_as_fields
from apps.rl.games import make_game
from apps.rl.mcts import SearchSettings
from apps.rl.network import build_network
from apps.rl.selfplay import Schedule, SelfPlayJob
from apps.rl.train import Settings, train
from zoo.errors import InputError

TINY = dict(game="tictactoe", model="resnet_small", model_kwargs={"depth": 1, "width": 8}, iterations=1,
            games_per_iteration=8, games_in_flight=4, simulations=8, train_steps=2, batch_size=16, eval_every=1,
            eval_games=2, final_eval_games=2, eval_simulations=2, workers=2)


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'zoo-suite[scale]'")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def jobs(n: int) -> list[SelfPlayJob]:
    return [SelfPlayJob("tictactoe", 0, "resnet_small", {"depth": 1, "width": 8}, 4, SearchSettings(8), 3, True,
                        Schedule(in_flight=4), "fp32", seed=k) for k in range(n)]


def same_positions(a, b) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in ("planes", "policies", "results"))


def test_killed_actor_is_restarted_and_its_games_replayed(ray_cluster):
    from apps.rl.ray_actors import RayActors

    torch.manual_seed(0)
    model = build_network(make_game("tictactoe"), "resnet_small", {"depth": 1, "width": 8})
    actors = RayActors(2, batch_games=4)
    try:
        clean = actors.play(jobs(6), model)
        before = actors.pids()
        back_before_kill = []

        def kill_first_actor(k, result):
            if not back_before_kill:
                os.kill(before[0], signal.SIGKILL)  # mid-iteration: it still holds some of its three batches
            back_before_kill.append(k)

        replayed = actors.play(jobs(6), model, kill_first_actor)
        after = actors.pids()
    finally:
        actors.close()
    assert after[0] != before[0] and after[1] == before[1]  # Ray restarted the killed actor, the other lived on
    assert sorted(back_before_kill) == list(range(6))  # every batch came back
    # the lost batches were played again: the same games, as a batch's games are seeded by the batch
    assert all(same_positions(c[0], r[0]) and c[1] == r[1] for c, r in zip(clean, replayed))


def test_ray_training_gives_the_replay_data_of_local_workers(ray_cluster, tmp_path):
    on_ray = train(Settings(actors="ray", **TINY), tmp_path / "ray")
    local = train(Settings(actors="local", **TINY), tmp_path / "local")
    ray_state, local_state = load_latest(tmp_path / "ray"), load_latest(tmp_path / "local")
    # 8 games in batches of 4 on Ray, 4 per worker process locally: the same two seeded shares, the same games
    assert same_positions(ray_state["replay"], local_state["replay"])
    ray_entry, local_entry = ray_state["history"][0], local_state["history"][0]
    assert ray_entry.keys() == local_entry.keys() and ray_entry["games"] == local_entry["games"] == 8
    assert ray_entry["positions"] == local_entry["positions"] == len(ray_state["replay"]) > 0
    assert on_ray["iterations"] == local["iterations"] == 1


def test_killed_driver_resumes_on_ray(ray_cluster, tmp_path, monkeypatch):
    from apps.rl import train as train_mod
    from tests.apps.rl.crash import fit_crashing_on

    real_fit = train_mod.fit_network
    settings = Settings(actors="ray", **{**TINY, "iterations": 3})
    monkeypatch.setattr(train_mod, "fit_network", fit_crashing_on(2))
    with pytest.raises(KeyboardInterrupt):
        train(settings, tmp_path / "run")
    assert load_latest(tmp_path / "run")["iteration"] == 0
    monkeypatch.setattr(train_mod, "fit_network", real_fit)
    assert train(settings, tmp_path / "run")["iterations"] == 3  # new actors, from the last finished iteration
    assert [h["iteration"] for h in load_latest(tmp_path / "run")["history"]] == [0, 1, 2]


def test_ray_missing_or_misnamed_is_one_clear_message(monkeypatch, tmp_path):
    from apps.rl.app import APP

    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets where it is not installed
    with pytest.raises(InputError, match=r"actors: ray needs Ray.*pip install 'zoo-suite\[scale\]'"):
        APP.main(["train", "--actors", "ray", "--num-actors", "2", "--runs_dir", str(tmp_path), "--name", "r"])
    assert not (tmp_path / "rl").exists()  # refused before the run folder was made
    with pytest.raises(InputError, match="actors must be local or ray, got 'dask'"):
        check_settings(Settings(actors="dask"))
    with pytest.raises(InputError, match="ray_address .* is for actors: ray"):
        check_settings(Settings(ray_address="auto"))
    check_settings(Settings())  # the default needs no Ray


def test_cluster_spellings_of_the_options():
    assert spelled_as_fields(["--actors", "ray", "--num-actors", "3", "--ray-address=auto", "--workers", "1"]) == [
        "--actors", "ray", "--workers", "3", "--ray_address=auto", "--workers", "1"]


def test_perf_actors_command_writes_its_table(ray_cluster, tmp_path, capsys):
    from apps.rl.perf_actors import main

    assert main(["--preset", "tictactoe_quick.yaml", "--games", "8", "--repeats", "3", "--out", str(tmp_path)]) == 0
    payload = json.loads((tmp_path / "perf-rl-actors.json").read_text())
    (workload,) = payload["workloads"]
    assert [p["peer"]["name"][:11] for p in workload["pairs"]] == ["1 Ray actor", "2 worker pr"]
    assert workload["facts"]["positions_per_s_per_actor"] > 0 and payload["machine"]["cpu"]
    assert "Per actor:" in capsys.readouterr().out
    with pytest.raises(InputError, match="--num-actors must be at least 2"):
        main(["--num-actors", "1"])
