"""One `zoo sweep` process for the PostgreSQL test: the sweep machinery with a fake app whose trials take
SECONDS (default 2) and append "lr batch_size" to CALLS; ``--die`` makes the process die hard (no cleanup, as
SIGKILL would) once its first trial has started.

    python sweep_worker.py STORAGE_URL OUT_DIR CALLS [SECONDS] [--die]"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.zoo.test_lessons import FakeApp  # noqa: E402
from zoo.lessons import sweep  # noqa: E402
from zoo.lessons.sweep import SweepSpec, run_sweep  # noqa: E402

GRID = SweepSpec([1e-3, 1e-2], [32, 64], [None], [0], (1, "epochs"))  # 4 points


class SlowApp(FakeApp):
    def __init__(self, calls: Path, seconds: float, die: bool):
        super().__init__()
        self.log, self.seconds, self.die = calls, seconds, die

    def __call__(self, trial):
        with self.log.open("a") as f:
            f.write(f"{trial.lr} {trial.batch_size}\n")
        if self.die:
            os._exit(9)  # mid-trial, no goodbye: its heartbeat just stops
        time.sleep(self.seconds)
        return super().__call__(trial)


if __name__ == "__main__":
    url, out, calls = sys.argv[1:4]
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] != "--die" else 2.0
    sweep.HEARTBEAT_SECONDS, sweep.GRACE_SECONDS = 1, 3  # a dead trial is noticed in seconds, not half a minute
    app = SlowApp(Path(calls), seconds, "--die" in sys.argv)
    run_sweep(app.target(), GRID, Path(out), storage=url)
