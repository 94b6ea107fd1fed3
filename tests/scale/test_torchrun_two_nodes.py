"""Multi-node training, on one machine: two "nodes" (torchrun with node ranks 0 and 1, one process each, a static
rendezvous on localhost, gloo) train through the normal `zoo vision fit` command line. Each process reports what it
saw (``ranks/rank<R>.json``, zoo.callbacks.RankReport); rank 0 alone writes the rest of the run folder."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from apps.vision.app import CONFIGS

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node(rank: int, port: int, runs: Path, cwd: Path) -> subprocess.Popen:
    """One node's torchrun (``python -m torch.distributed.run`` is the `torchrun` command), running `zoo vision fit`."""
    command = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--nproc-per-node", "1",
               "--node-rank", str(rank), "--master-addr", "127.0.0.1", "--master-port", str(port),
               "-m", "zoo", "vision", "fit", "-c", str(CONFIGS / "digits_demo.yaml"), "--name", "two_nodes",
               "--runs_dir", str(runs), "--trainer.num_nodes", "2", "--trainer.devices", "1",
               "--trainer.strategy", "ddp", "--trainer.accelerator", "cpu", "--trainer.max_epochs", "2",
               "--precision", "32-true", "--trainer.enable_progress_bar", "false", "--model.eval_samples", "16"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": "lo",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_two_nodes_train_one_model_through_zoo_vision_fit(tmp_path):
    port, runs = free_port(), tmp_path / "runs"
    nodes = [node(rank, port, runs, tmp_path) for rank in (0, 1)]
    outputs = [n.communicate(timeout=600)[0] for n in nodes]
    for rank, (n, out) in enumerate(zip(nodes, outputs)):
        assert n.returncode == 0, f"node {rank}:\n{out[-4000:]}"
    run = runs / "vision" / "two_nodes"
    ranks = [json.loads((run / "ranks" / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["node_rank"] for r in ranks] == [0, 1] and {r["world_size"] for r in ranks} == {2}
    assert {r["num_nodes"] for r in ranks} == {2} and {r["backend"] for r in ranks} == {"gloo"}
    # the distributed sampler gave each node its own half of the training split, every epoch
    assert [r["sampler_rank"] for r in ranks] == [0, 1] and {r["sampler_replicas"] for r in ranks} == {2}
    half = ranks[0]["samples_per_epoch"]
    assert 2 * half in (ranks[0]["dataset_size"], ranks[0]["dataset_size"] + 1)
    assert [r["samples_seen"] for r in ranks] == [2 * half, 2 * half]  # 2 epochs each
    # synchronised gradients: both nodes end with the same weights, bit for bit
    assert ranks[0]["weights_sha256"] == ranks[1]["weights_sha256"]
    # one run folder, written by rank 0: the record, the model, the config
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["steps"] == ranks[0]["steps"] > 0 and (run / "model" / "config.json").is_file()
    assert (run / "config.yaml").is_file() and "Traceback" not in outputs[1]
