"""Our own messages only: each command's quick form prints no library notice (GPU/TPU availability, Lightning's
tips and adverts, deprecations inside a library, advice that does not apply), so what a user reads in a log is
zoo-suite's progress, summary and the paths it wrote."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

# What may appear on stderr besides our own lines: progress bars (rich redraws them there) and nothing else
NOTICES = re.compile(r"GPU available|TPU available|Tip:|litlogger|LeafSpec|Warning|warn\(|Seed set to|"
                     r"`Trainer\.fit` stopped|Loading `train_dataloader`|You defined a")


def zoo(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "zoo", *argv], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.parametrize("argv", [
    ["vision", "fit", "-c", "digits_demo", "--trainer.max_epochs", "1", "--runs_dir", "runs", "--extra_eval",
     "false", "--trainer.enable_progress_bar", "false"],
    ["rl", "train", "-c", "tictactoe_demo", "--iterations", "1", "--games_per_iteration", "8", "--final_eval_games",
     "4", "--eval_games", "4", "--runs_dir", "runs"],
], ids=["vision_fit", "rl_train"])
def test_a_commands_quick_form_prints_no_library_notice(tmp_path, argv):
    done = zoo(argv, tmp_path)
    noise = [line for line in (done.stdout + done.stderr).splitlines() if NOTICES.search(line)]
    assert not noise, noise
    assert "wrote" in done.stdout  # and our own summary is there
