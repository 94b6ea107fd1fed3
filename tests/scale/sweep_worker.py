"""One `zoo sweep` process for the PostgreSQL test: the sweep machinery with a fake app whose trials take
SECONDS (default 2) and append "lr batch_size" to CALLS; ``--die`` makes the process die hard (no cleanup, as
SIGKILL would) once its first trial has started; ``--wait-for=FILE`` holds its first trial until FILE exists (the
other process has a trial of its own), so that both take part however slowly the other one starts.

    python sweep_worker.py STORAGE_URL OUT_DIR CALLS [SECONDS] [--die] [--wait-for=FILE]"""

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
    def __init__(self, calls: Path, seconds: float, die: bool, wait_for: Path | None = None):
        super().__init__()
        self.log, self.seconds, self.die, self.wait_for = calls, seconds, die, wait_for

    def __call__(self, trial):
        with self.log.open("a") as f:
            f.write(f"{trial.lr} {trial.batch_size}\n")
        if self.die:
            os._exit(9)  # mid-trial, no goodbye: its heartbeat just stops
        started = time.time()
        while self.wait_for is not None and not self.wait_for.exists() and time.time() - started < 240:
            time.sleep(0.2)
        self.wait_for = None
        time.sleep(self.seconds)
        return super().__call__(trial)


if __name__ == "__main__":
    url, out, calls = sys.argv[1:4]
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] != "--die" else 2.0
    sweep.HEARTBEAT_SECONDS, sweep.GRACE_SECONDS = 1, 3  # a dead trial is noticed in seconds, not half a minute
    wait = [a.split("=", 1)[1] for a in sys.argv if a.startswith("--wait-for=")]
    app = SlowApp(Path(calls), seconds, "--die" in sys.argv, Path(wait[0]) if wait else None)
    run_sweep(app.target(), GRID, Path(out), storage=url)
