"""Run by test_ddp.py: a ZooTask fitted with strategy='ddp' on 2 CPU processes (gloo). Each rank writes what it saw."""

import json
import sys
from pathlib import Path

import lightning as L
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.zoo.helpers import BlobsDataModule  # noqa: E402
from zoo.task import ClassificationTask  # noqa: E402


class CountingTask(ClassificationTask):
    """Counts the training samples this rank sees."""

    def on_train_start(self):
        self.samples_seen = 0

    def training_step(self, batch, batch_idx):
        self.samples_seen += len(batch[1])
        return super().training_step(batch, batch_idx)


def main(out: Path) -> None:
    torch.set_num_threads(1)
    L.seed_everything(0)
    task = CountingTask(model="cnn_small", model_kwargs=dict(in_channels=1, num_outputs=3), lr=1e-2)
    trainer = L.Trainer(accelerator="cpu", devices=2, strategy="ddp", max_epochs=5, logger=False,
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(task, datamodule=BlobsDataModule(batch_size=8))
    (result,) = trainer.validate(task, datamodule=BlobsDataModule(), verbose=False)
    checksum = float(sum(p.double().sum() for p in task.parameters()))
    out.mkdir(parents=True, exist_ok=True)
    (out / f"rank{trainer.global_rank}.json").write_text(json.dumps({
        "rank": trainer.global_rank, "world_size": trainer.world_size, "samples_seen": task.samples_seen,
        "checksum": checksum, "val_acc": result["val_acc"], "backend": torch.distributed.get_backend(),
    }))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
