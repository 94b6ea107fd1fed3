"""Sweeps on a real PostgreSQL server (`zoo sweep --storage postgresql://...`): two sweep processes share one
Optuna study and every grid point runs exactly once; a process killed mid-trial leaves its trial to the other."""

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.scale.postgres import binaries, postgres_server
from tests.scale.sweep_worker import GRID as GRID_SPEC

pytest.importorskip("psycopg2", reason="no PostgreSQL driver (pip install 'zoo-suite[scale]' or psycopg2-binary)")
pytestmark = pytest.mark.skipif(binaries() is None, reason="PostgreSQL is not installed (Debian: apt install "
                                "postgresql)")

WORKER = Path(__file__).with_name("sweep_worker.py")
GRID = {"0.001 32", "0.001 64", "0.01 32", "0.01 64"}


@pytest.fixture
def storage():
    with postgres_server() as url:
        yield url


def worker(url: str, out: Path, calls: Path, *flags: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(WORKER), url, str(out), str(calls), *flags],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(proc: subprocess.Popen) -> int:
    out, _ = proc.communicate(timeout=300)
    return proc.returncode if proc.returncode == 0 else pytest.fail(out[-3000:])


def test_two_sweep_processes_share_one_study_and_run_every_point_once(tmp_path, storage):
    # A holds its first trial until B has one (B starts once A made the study's tables): both take part, on a
    # busy machine too
    a = worker(storage, tmp_path / "a", tmp_path / "calls_a", "2", f"--wait-for={tmp_path / 'calls_b'}")
    started = time.time()
    while not (tmp_path / "calls_a").is_file() and time.time() - started < 120:  # A made the study's tables
        time.sleep(0.2)
    b = worker(storage, tmp_path / "b", tmp_path / "calls_b", "2")
    finish(a), finish(b)
    calls = [(tmp_path / f"calls_{n}").read_text().splitlines() for n in "ab"]
    assert Counter(calls[0] + calls[1]) == Counter(GRID)  # each point once, across both processes
    assert calls[0] and calls[1]  # and both took part


def test_a_missing_driver_is_one_clear_message(tmp_path, monkeypatch):
    from zoo.errors import InputError
    from zoo.lessons.sweep import open_study

    monkeypatch.setitem(sys.modules, "psycopg2", None)  # as if it were not installed
    with pytest.raises(InputError, match="pip install 'zoo-suite\\[scale\\]'"):
        open_study(tmp_path, GRID_SPEC, "postgresql+psycopg2://nobody@127.0.0.1:1/none")


def test_a_process_killed_mid_trial_leaves_its_trial_to_the_other(tmp_path, storage):
    killed = worker(storage, tmp_path / "a", tmp_path / "calls_a", "--die")
    assert killed.wait(timeout=120) == 9
    (lost,) = (tmp_path / "calls_a").read_text().splitlines()
    finish(worker(storage, tmp_path / "b", tmp_path / "calls_b"))
    survivor = (tmp_path / "calls_b").read_text().splitlines()
    assert Counter(survivor) == Counter(GRID) and lost in survivor  # the lost point was queued again and run
