"""Image data modules. The default, always present: scikit-learn's bundled handwritten digits (1,797 8x8 images)."""

from __future__ import annotations

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset


def split_indices(n: int, fractions: tuple[float, float], seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fixed, seeded train/val/test split: ``fractions`` are (val, test); the rest trains."""
    order = np.random.default_rng(seed).permutation(n)
    n_val, n_test = round(n * fractions[0]), round(n * fractions[1])
    return order[n_val + n_test:], order[:n_val], order[n_val:n_val + n_test]


class DigitsDataModule(L.LightningDataModule):
    """scikit-learn's digits (UCI optical recognition of handwritten digits), 1 channel 8x8, 10 classes.

    Split 70/15/15 with a fixed seed; the test split is never used for model selection.
    """

    num_classes, in_channels, image_size = 10, 1, 8

    def __init__(self, batch_size: int = 64, val_fraction: float = 0.15, test_fraction: float = 0.15,
                 split_seed: int = 0, num_workers: int = 0):
        super().__init__()
        self.save_hyperparameters()

    def setup(self, stage: str | None = None) -> None:
        if hasattr(self, "train_set"):
            return
        from sklearn.datasets import load_digits

        digits = load_digits()
        x = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0  # (N, 1, 8, 8) in [0, 1]
        y = torch.tensor(digits.target, dtype=torch.int64)
        hp = self.hparams
        tr, va, te = split_indices(len(y), (hp.val_fraction, hp.test_fraction), hp.split_seed)
        mean, std = x[tr].mean(), x[tr].std()  # statistics of the training split only
        x = (x - mean) / std
        self.train_set, self.val_set, self.test_set = (TensorDataset(x[i], y[i]) for i in (tr, va, te))
        self._arrays = {"train": (x[tr], y[tr]), "test": (x[te], y[te])}

    def _loader(self, ds, shuffle: bool) -> DataLoader:
        return DataLoader(ds, batch_size=self.hparams.batch_size, shuffle=shuffle,
                          num_workers=self.hparams.num_workers)

    def train_dataloader(self):
        return self._loader(self.train_set, True)

    def val_dataloader(self):
        return self._loader(self.val_set, False)

    def test_dataloader(self):
        return self._loader(self.test_set, False)

    def predict_dataloader(self):
        return self._loader(self.test_set, False)

    def baseline(self) -> dict:
        """Multinomial logistic regression on raw pixels, same split: the number a network must beat."""
        from sklearn.linear_model import LogisticRegression

        self.setup()
        (xtr, ytr), (xte, yte) = self._arrays["train"], self._arrays["test"]
        clf = LogisticRegression(max_iter=2000).fit(xtr.flatten(1).numpy(), ytr.numpy())
        acc = float(clf.score(xte.flatten(1).numpy(), yte.numpy()))
        return {"name": "test_acc", "value": acc, "description": "logistic regression on pixels"}
