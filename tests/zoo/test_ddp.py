"""DDP stays alive without a GPU: two CPU processes (gloo) train one ZooTask and end with the same weights."""

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("ddp_script.py")


def test_ddp_two_cpu_processes(tmp_path):
    proc = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["world_size"] for r in ranks] == [2, 2] and ranks[0]["backend"] == "gloo"
    # the distributed sampler splits the 64 training samples: each rank sees half of them in each of 5 epochs
    assert [r["samples_seen"] for r in ranks] == [5 * 32, 5 * 32]
    # synchronised gradients: both replicas end with the same weights
    assert abs(ranks[0]["checksum"] - ranks[1]["checksum"]) < 1e-6
    assert ranks[0]["val_acc"] == ranks[1]["val_acc"] > 0.9
