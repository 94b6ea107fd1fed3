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
