"""`last` means last: a fit killed with SIGKILL after epoch k resumes at epoch k + 1 with its optimizer and
schedule, and ends where an uninterrupted fit ends."""

import json
import signal
import subprocess
import sys
from pathlib import Path

import torch

SCRIPT = Path(__file__).with_name("kill_resume_script.py")
ROOT = Path(__file__).resolve().parents[2]
EPOCHS, KILL_AFTER = 4, 1


def fit(runs: Path, name: str, kill_after: int = -1, resume: bool = False) -> subprocess.CompletedProcess:
    argv = [sys.executable, str(SCRIPT), str(runs), name, str(EPOCHS), str(kill_after)] + (["--resume"] if resume else [])
    return subprocess.run(argv, capture_output=True, text=True, timeout=600, cwd=ROOT)


def test_a_killed_fit_resumes_after_its_last_epoch(tmp_path):
    runs = tmp_path / "runs"
    killed = fit(runs, "killed", kill_after=KILL_AFTER)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    run = runs / "vision" / "killed"
    last = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    steps_per_epoch = last["global_step"] // (KILL_AFTER + 1)
    assert last["epoch"] == KILL_AFTER and steps_per_epoch > 0 and last["optimizer_states"]
    assert not (run / "metrics.json").exists()

    resumed = fit(runs, "killed", resume=True)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    started = json.loads((run / "started.json").read_text())
    assert started["epoch"] == KILL_AFTER + 1
    assert started["global_step"] == last["global_step"]
    assert started["adam_steps"] == last["global_step"]  # AdamW's moments came back, not fresh ones
    assert started["scheduler_steps"] == last["global_step"]  # so did the warm-up + cosine position

    full = fit(runs, "full")
    assert full.returncode == 0, full.stderr[-3000:]
    full_run = runs / "vision" / "full"
    ends = {r: json.loads((runs / "vision" / r / "metrics.json").read_text()) for r in ("killed", "full")}
    assert ends["killed"]["epochs"] == ends["full"]["epochs"] == EPOCHS
    assert ends["killed"]["steps"] == ends["full"]["steps"] == EPOCHS * steps_per_epoch
    assert abs(ends["killed"]["test"]["test_acc"] - ends["full"]["test"]["test_acc"]) < 0.03

    # last.ckpt after a full run holds the final state, not the best epoch's
    final = torch.load(full_run / "final.pt", weights_only=True)
    last_full = torch.load(full_run / "checkpoints" / "last.ckpt", weights_only=True)
    assert last_full["epoch"] == EPOCHS - 1 and last_full["global_step"] == EPOCHS * steps_per_epoch
    assert all(torch.equal(final[k], last_full["state_dict"][k]) for k in final)
