"""What both science data modules share: in-memory tensors served by plain DataLoaders."""

from __future__ import annotations

import lightning as L
from torch.utils.data import DataLoader, TensorDataset


class TensorDataModule(L.LightningDataModule):
    """Serves ``train_x/train_y``, ``val_x/val_y`` and ``test_x/test_y`` (set by the subclass's ``setup``) with
    ``hparams.batch_size`` and ``hparams.num_workers``; only training batches are shuffled."""

    def _loader(self, x, y, shuffle: bool) -> DataLoader:
        return DataLoader(TensorDataset(x, y), batch_size=self.hparams.batch_size, shuffle=shuffle,
                          num_workers=self.hparams.num_workers)

    def train_dataloader(self):
        return self._loader(self.train_x, self.train_y, True)

    def val_dataloader(self):
        return self._loader(self.val_x, self.val_y, False)

    def test_dataloader(self):
        return self._loader(self.test_x, self.test_y, False)
