"""One vision fit on the digits, for tests/zoo/test_resume.py.

    python kill_resume_script.py RUNS_DIR NAME EPOCHS KILL_AFTER [--resume]

KILL_AFTER >= 0: the process SIGKILLs itself when epoch KILL_AFTER + 1 starts (epoch KILL_AFTER is complete, its
last.ckpt written). With --resume the fit continues from ``last``. The fit records where it started
(``<run>/started.json``) and its final weights (``<run>/final.pt``), for the test to compare with last.ckpt.
"""

import json
import os
import signal
import sys
from pathlib import Path

import lightning as L
import torch

from apps.vision.task import VisionTask
from zoo.runtime.lightning_cli import ZooCLI

CONFIG = Path(__file__).resolve().parents[2] / "apps" / "vision" / "configs" / "digits_demo.yaml"


class Recorder(L.Callback):
    def __init__(self, run_dir: Path, kill_after: int):
        self.run_dir, self.kill_after = run_dir, kill_after

    def on_train_start(self, trainer, pl_module):
        optimizer = trainer.optimizers[0]
        adam_steps = [float(s["step"]) for s in optimizer.state.values() if "step" in s]
        scheduler = trainer.lr_scheduler_configs[0].scheduler
        (self.run_dir / "started.json").write_text(json.dumps({
            "epoch": trainer.current_epoch, "global_step": trainer.global_step,
            "adam_steps": max(adam_steps, default=0.0), "scheduler_steps": scheduler.last_epoch}))

    def on_train_epoch_start(self, trainer, pl_module):
        if self.kill_after >= 0 and trainer.current_epoch == self.kill_after + 1:
            os.kill(os.getpid(), signal.SIGKILL)

    def on_train_end(self, trainer, pl_module):
        torch.save({k: v.detach().clone() for k, v in pl_module.state_dict().items()}, self.run_dir / "final.pt")


def main() -> None:
    runs, name, epochs, kill_after = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    run_dir = Path(runs) / "vision" / name
    run_dir.mkdir(parents=True, exist_ok=True)
    args = ["fit", "-c", str(CONFIG), "--runs_dir", runs, "--name", name, "--trainer.max_epochs", str(epochs),
            "--extra_eval", "false", "--gradient_health_every", "0", "--trainer.enable_progress_bar", "false"]
    if "--resume" in sys.argv:
        args += ["--ckpt_path", "last"]
    ZooCLI("vision", VisionTask, L.LightningDataModule, args=args, data_modules=["apps.vision.data"],
           trainer_defaults={"callbacks": [Recorder(run_dir, kill_after)]})


if __name__ == "__main__":
    main()
