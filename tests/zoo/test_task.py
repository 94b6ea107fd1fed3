"""ZooTask: checkpoint round trip, optimisers and schedules, init schemes, freezing, per-group learning rates."""

import csv
import math

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger

import zoo
from zoo.checkpoint import SafeCheckpointIO
from zoo.init import init_weights
from zoo.task import ClassificationTask

from .helpers import BlobsDataModule, quiet_trainer

KW = dict(in_channels=1, num_outputs=3)


def task(**kw) -> ClassificationTask:
    return ClassificationTask(**{"model": "cnn_small", "model_kwargs": KW, "lr": 3e-3, **kw})


def test_fit_checkpoint_reload_predict_identical(tmp_path):
    dm = BlobsDataModule()
    t = task()
    ckpt = ModelCheckpoint(dirpath=tmp_path, filename="best", monitor="val_acc", mode="max", save_last=True)
    trainer = quiet_trainer(max_epochs=3, enable_checkpointing=True, callbacks=[ckpt], plugins=[SafeCheckpointIO()])
    trainer.fit(t, datamodule=dm)
    assert trainer.callback_metrics["val_acc"] > 0.9  # the data is easy: the task really learns

    last = tmp_path / "last.ckpt"
    reloaded = ClassificationTask.load_from_checkpoint(last, weights_only=True)
    assert reloaded.hparams.lr == 3e-3 and reloaded.hparams.model == "cnn_small"
    assert reloaded.model.config == t.model.config
    preds_a = torch.cat(quiet_trainer().predict(t, datamodule=dm))
    preds_b = torch.cat(quiet_trainer().predict(reloaded, datamodule=dm))
    assert preds_a.shape == (64, 3)
    assert torch.equal(preds_a, preds_b)


def test_checkpoint_of_a_fine_tune_reloads_without_the_source_folder(tmp_path):
    src = zoo.save_pretrained(zoo.create_model("cnn_small", in_channels=1, num_outputs=10), tmp_path / "src")
    t = ClassificationTask(model="cnn_small", model_kwargs=KW, init_from=str(src))
    assert t.model.config["num_outputs"] == 3
    trainer = quiet_trainer(max_steps=2, limit_val_batches=1)
    trainer.fit(t, datamodule=BlobsDataModule())
    trainer.save_checkpoint(tmp_path / "ft.ckpt")
    for f in src.iterdir():
        f.unlink()
    src.rmdir()
    again = ClassificationTask.load_from_checkpoint(tmp_path / "ft.ckpt", weights_only=True)
    x = torch.randn(4, 1, 8, 8)
    assert torch.equal(again.eval()(x), t.eval()(x))


def lrs_over_training(t, steps: int, **trainer_kw) -> list[float]:
    seen = []
    trainer = quiet_trainer(max_steps=steps, limit_val_batches=0, **trainer_kw)
    orig = t.on_train_batch_start

    def record(batch, batch_idx):
        seen.append(trainer.optimizers[0].param_groups[-1]["lr"])
        return orig(batch, batch_idx)

    t.on_train_batch_start = record
    trainer.fit(t, datamodule=BlobsDataModule(batch_size=8))
    return seen


def test_warmup_then_cosine_decays_to_zero():
    lrs = lrs_over_training(task(schedule="cosine", warmup_steps=4, lr=0.01), steps=24, max_epochs=3)
    assert lrs[0] == pytest.approx(0.01 / 4) and lrs[3] == pytest.approx(0.01)
    assert lrs[-1] < 0.01 * 0.05 and all(a >= b for a, b in zip(lrs[4:], lrs[5:]))


def test_step_schedule_multiplies_by_gamma_every_epochs():
    lrs = lrs_over_training(task(schedule="step", step_every_epochs=1, step_gamma=0.5, lr=0.01), steps=24,
                            max_epochs=3)
    assert lrs[0] == pytest.approx(0.01) and lrs[8] == pytest.approx(0.005) and lrs[16] == pytest.approx(0.0025)


def test_onecycle_and_constant_and_sgd():
    lrs = lrs_over_training(task(schedule="onecycle", lr=0.01, optimizer="sgd"), steps=24, max_epochs=3)
    assert max(lrs) == pytest.approx(0.01, rel=0.05) and lrs[0] < 0.002 and lrs[-1] < 1e-4
    assert lrs_over_training(task(schedule="constant", lr=0.02), steps=5, max_epochs=1) == [0.02] * 5


def test_param_groups_split_head_backbone_and_decay():
    t = task(lr=0.01, backbone_lr_scale=0.1, weight_decay=0.05)
    groups = t.param_groups()
    head = {id(p) for p in t.model.head_parameters()}
    for g in groups:
        is_head = id(g["params"][0]) in head
        assert g["lr"] == pytest.approx(0.01 if is_head else 0.001)
        assert all((id(p) in head) == is_head for p in g["params"])
        assert g["weight_decay"] == (0.05 if g["params"][0].ndim >= 2 else 0.0)
    assert sum(len(g["params"]) for g in groups) == len(list(t.parameters()))


def test_frozen_backbone_trains_only_the_head_first():
    t = task(freeze_backbone_epochs=1, lr=0.01)
    backbone0 = [p.clone() for p in t.model.backbone_parameters()]
    head0 = [p.clone() for p in t.model.head_parameters()]
    quiet_trainer(max_epochs=1, limit_val_batches=0).fit(t, datamodule=BlobsDataModule())
    assert all(torch.equal(a, b) for a, b in zip(backbone0, t.model.backbone_parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(head0, t.model.head_parameters()))
    t2 = task(freeze_backbone_epochs=1, lr=0.01)
    quiet_trainer(max_epochs=2, limit_val_batches=0).fit(t2, datamodule=BlobsDataModule())
    assert all(p.requires_grad for p in t2.model.backbone_parameters())  # unfrozen in epoch 2


@pytest.mark.parametrize("scheme", ["kaiming", "xavier", "orthogonal"])
def test_init_schemes(scheme):
    model = init_weights(zoo.create_model("cnn_small", in_channels=1, num_outputs=3, activation="relu"), scheme)
    w = model.layers[1][0].weight  # (32, 32, 3, 3): fan_in = fan_out = 288; ReLU gain sqrt(2)
    fan_in, fan_out = 32 * 9, 32 * 9
    if scheme == "kaiming":
        assert w.std().item() == pytest.approx(math.sqrt(2 / fan_in), rel=0.1)
    elif scheme == "xavier":
        assert w.std().item() == pytest.approx(math.sqrt(2) * math.sqrt(2 / (fan_in + fan_out)), rel=0.1)
    else:
        flat = w.flatten(1)
        gram = flat @ flat.T  # rows orthogonal (up to the ReLU gain squared)
        assert torch.allclose(gram, torch.eye(32) * 2.0, atol=1e-4)
    assert model.layers[1][1].weight.eq(1).all()  # norm layers untouched
    with pytest.raises(ValueError, match="choose one of"):
        init_weights(model, "zeros")


def test_task_applies_init_scheme():
    torch.manual_seed(0)
    a = task(init="default").model.layers[1][0].weight.std().item()
    b = task(init="kaiming").model.layers[1][0].weight.std().item()
    assert b == pytest.approx(math.sqrt(2 / 288), rel=0.1) and abs(a - b) > 0.01


class _LossLog(L.Callback):
    """Every training batch's loss and size."""

    def __init__(self):
        self.weighted, self.sizes = [], []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self.weighted.append(float(outputs["loss"]) * len(batch[1]))
        self.sizes.append(len(batch[1]))


def test_training_loss_epoch_mean_and_the_steps_that_log_it(tmp_path):
    # The epoch mean is the size-weighted mean of every batch's loss (a last batch of 16 after ten of 32); the
    # logger writes the step loss on its steps (every 4th) and the epoch mean once.
    record = _LossLog()
    trainer = quiet_trainer(max_epochs=1, log_every_n_steps=4, callbacks=[record],
                            logger=CSVLogger(tmp_path, name="", version=""))
    trainer.fit(task(), datamodule=BlobsDataModule(n=1008, batch_size=32))
    mean = sum(record.weighted) / sum(record.sizes)
    assert len(record.sizes) == 11 and record.sizes[-1] == 16
    assert float(trainer.callback_metrics["train_loss_epoch"]) == pytest.approx(mean, rel=1e-5)
    with open(tmp_path / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows if r["train_loss"]] == [3, 7]
    assert [float(r["train_loss_epoch"]) for r in rows if r["train_loss_epoch"]] == pytest.approx([mean], rel=1e-5)
