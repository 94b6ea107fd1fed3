import lightning as L
import pytest

from apps.vision.data import DigitsDataModule
from apps.vision.task import VisionTask
from tests.zoo.helpers import quiet_trainer


@pytest.fixture(scope="session")
def digits():
    dm = DigitsDataModule(batch_size=64)
    dm.setup()
    return dm


@pytest.fixture(scope="session")
def trained_digits_task(digits):
    """A small CNN trained on the digits for a few seconds (about 95% test accuracy), seeded."""
    L.seed_everything(0, verbose=False)
    task = VisionTask(model="cnn_small", data_spec=digits.spec, lr=3e-3, eval_samples=270)
    quiet_trainer(max_epochs=6).fit(task, datamodule=digits)
    return task.eval()
