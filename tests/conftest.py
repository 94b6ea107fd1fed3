import os
import warnings

import pytest
import torch

os.environ.setdefault("ZOO_CACHE", os.path.join(os.path.dirname(__file__), "..", ".pytest_cache", "zoo-cache"))
torch.set_num_threads(2)
warnings.filterwarnings("ignore", ".*does not have many workers.*")


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(autouse=True)
def _in_a_temporary_folder(tmp_path_factory, monkeypatch):
    """Every test runs in a fresh folder: one that writes to the working directory by mistake (a `runs/`, a
    `gradient_health.json`) cannot touch the repository."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
