"""Tiny data for fast task tests."""

import lightning as L
import torch
from torch.utils.data import DataLoader, TensorDataset


class BlobsDataModule(L.LightningDataModule):
    """Linearly separable 3-class 'images' (1x8x8): a class adds a bright band at its own rows."""

    def __init__(self, n: int = 192, batch_size: int = 32, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        y = torch.randint(0, 3, (n,), generator=g)
        x = torch.randn(n, 1, 8, 8, generator=g) * 0.5
        for k in range(3):
            x[y == k, :, 2 * k:2 * k + 2, :] += 2.0
        self.sets = {s: TensorDataset(x[i::3], y[i::3]) for i, s in enumerate(("train", "val", "test"))}
        self.batch_size = batch_size

    def train_dataloader(self):
        return DataLoader(self.sets["train"], batch_size=self.batch_size, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.sets["val"], batch_size=self.batch_size)

    def test_dataloader(self):
        return DataLoader(self.sets["test"], batch_size=self.batch_size)

    def predict_dataloader(self):
        return DataLoader(self.sets["test"], batch_size=self.batch_size)


def quiet_trainer(**kwargs) -> L.Trainer:
    defaults = dict(accelerator="cpu", devices=1, logger=False, enable_progress_bar=False,
                    enable_model_summary=False, enable_checkpointing=False)
    return L.Trainer(**{**defaults, **kwargs})


QUIET = ["--extra_eval", "false", "--gradient_health_every", "0", "--trainer.enable_progress_bar", "false"]


def zoo_exit(argv: list[str], capsys) -> tuple[int, str]:
    """`zoo ARGV` in this process: its exit code (argparse's SystemExit included) and what it wrote on stderr."""
    from zoo.runtime import cli

    try:
        code = cli.main(argv)
    except SystemExit as e:
        code = e.code
    return code, capsys.readouterr().err
