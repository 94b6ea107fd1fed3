import os
import warnings

import pytest
import torch

os.environ.setdefault("ZOO_CACHE", os.path.join(os.path.dirname(__file__), "..", ".pytest_cache", "zoo-cache"))
# Under pytest-xdist each worker gets one thread (and so do the processes it starts): two workers of two threads
# each on two cores spent most of their time waiting on each other (a test that takes 19 s alone took 86 s)
WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
THREADS = max(1, (os.cpu_count() or 2) // WORKERS) if WORKERS > 1 else 2
if WORKERS > 1:
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(THREADS)
torch.set_num_threads(THREADS)
warnings.filterwarnings("ignore", ".*does not have many workers.*")


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(autouse=True)
def _in_a_temporary_folder(tmp_path_factory, monkeypatch):
    """Every test runs in a fresh folder: one that writes to the working directory by mistake (a `runs/`, a
    `gradient_health.json`) cannot touch the repository."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
