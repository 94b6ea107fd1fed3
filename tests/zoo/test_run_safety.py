"""Runs stay in their folder, `last` is the last epoch, NaN never reaches a saved model, nonsense is refused
before anything trains."""

from pathlib import Path

import lightning as L
import pytest
import torch

import zoo
from tests.zoo.helpers import QUIET, BlobsDataModule, quiet_trainer, zoo_exit
from zoo.callbacks import LastCheckpoint, StopOnNonFinite
from zoo.checkpoint import SafeCheckpointIO
from zoo.errors import Diverged, RefusedFile
from zoo.task import ClassificationTask

CONFIG = Path(__file__).resolve().parents[2] / "apps" / "vision" / "configs" / "digits_demo.yaml"


@pytest.mark.parametrize("name", ["../../escaped", "/tmp/absolute", "..", ".", "a/b", ""])
def test_a_run_name_is_one_folder_inside_the_runs_folder(tmp_path, capsys, name):
    runs = tmp_path / "a" / "runs"
    code, err = zoo_exit(["vision", "fit", "-c", str(CONFIG), "--runs_dir", str(runs), "--name", name] + QUIET,
                         capsys)
    assert code == 2 and "run name" in err and "Traceback" not in err
    assert not runs.exists() and not (tmp_path / "escaped").exists()


def test_a_symlinked_run_folder_cannot_lead_outside(tmp_path, capsys):
    runs, outside = tmp_path / "runs", tmp_path / "outside"
    (runs / "vision").mkdir(parents=True)
    outside.mkdir()
    (runs / "vision" / "link").symlink_to(outside)
    code, err = zoo_exit(["vision", "fit", "-c", str(CONFIG), "--runs_dir", str(runs), "--name", "link"] + QUIET,
                         capsys)
    assert code == 2 and "outside" in err and not any(outside.iterdir())


def test_a_folder_zoo_did_not_write_is_never_replaced(tmp_path, capsys):
    precious = tmp_path / "runs" / "vision" / "mine"
    precious.mkdir(parents=True)
    (precious / "thesis.tex").write_text("years of work")
    code, err = zoo_exit(["vision", "fit", "-c", str(CONFIG), "--runs_dir", str(tmp_path / "runs"), "--name",
                          "mine"] + QUIET, capsys)
    assert code == 2 and "not written by zoo-suite" in err
    assert [p.name for p in precious.iterdir()] == ["thesis.tex"]

    model = zoo.create_model("cnn_small", in_channels=1, num_outputs=3)
    with pytest.raises(RefusedFile, match="refusing to replace"):
        zoo.save_pretrained(model, precious)
    assert (precious / "thesis.tex").read_text() == "years of work"
    zoo.save_pretrained(model, tmp_path / "model")
    zoo.save_pretrained(model, tmp_path / "model")  # its own folder: replaced


@pytest.mark.parametrize("flag", ["--trainer.max_epochs", "--trainer.max_steps", "--trainer.limit_train_batches"])
def test_a_fit_that_trains_nothing_is_refused(tmp_path, capsys, flag):
    code, err = zoo_exit(["vision", "fit", "-c", str(CONFIG), "--runs_dir", str(tmp_path / "runs"), flag, "0"]
                         + QUIET, capsys)
    assert code == 2 and "trains nothing" in err
    assert not (tmp_path / "runs").exists()


def test_a_runs_folder_that_cannot_be_written_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, err = zoo_exit(["vision", "fit", "-c", str(CONFIG), "--runs_dir", str(blocker / "runs")] + QUIET, capsys)
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_unknown_kind_is_an_error(capsys):
    code, err = zoo_exit(["models", "--kind", "imag"], capsys)
    assert code == 2 and "unknown input kind 'imag'" in err and "image" in err


def test_last_is_written_every_epoch_even_without_improvement(tmp_path, capsys):
    """lr 0: validation never improves after epoch 0, so Lightning's save_last would leave last.ckpt at epoch 0."""
    runs = tmp_path / "runs"
    code, err = zoo_exit(["vision", "fit", "-c", str(CONFIG), "--runs_dir", str(runs), "--name", "flat",
                          "--model.lr", "0", "--trainer.max_epochs", "3"] + QUIET, capsys)
    assert code in (0, None), err
    ckpts = runs / "vision" / "flat" / "checkpoints"
    assert torch.load(ckpts / "last.ckpt", weights_only=True)["epoch"] == 2
    assert torch.load(ckpts / "best.ckpt", weights_only=True)["epoch"] == 0


class PoisonWeights(L.Callback):
    """Make the model diverge when epoch ``at`` starts."""

    def __init__(self, at: int):
        self.at = at

    def on_train_epoch_start(self, trainer, pl_module):
        if trainer.current_epoch == self.at:
            with torch.no_grad():
                next(pl_module.parameters()).fill_(float("nan"))


def test_a_diverged_fit_stops_and_keeps_its_last_good_checkpoints(tmp_path):
    task = ClassificationTask(model="cnn_small", model_kwargs={"in_channels": 1, "num_outputs": 3}, lr=1e-3)
    ckpts = tmp_path / "checkpoints"
    callbacks = [PoisonWeights(at=2), StopOnNonFinite("val_acc"),
                 L.pytorch.callbacks.ModelCheckpoint(dirpath=ckpts, filename="best", monitor="val_acc", mode="max"),
                 LastCheckpoint(ckpts)]
    trainer = quiet_trainer(max_epochs=4, callbacks=callbacks, enable_checkpointing=True,
                            plugins=[SafeCheckpointIO()])
    with pytest.raises(Diverged, match="training diverged: the training loss is nan at epoch 2"):
        trainer.fit(task, datamodule=BlobsDataModule())
    last = torch.load(ckpts / "last.ckpt", weights_only=True)
    assert last["epoch"] == 1
    for name in ("last.ckpt", "best.ckpt"):
        state = torch.load(ckpts / name, weights_only=True)["state_dict"]
        assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())


def test_nan_weights_are_never_saved(tmp_path):
    model = zoo.create_model("cnn_small", in_channels=1, num_outputs=3)
    good = SafeCheckpointIO()
    good.save_checkpoint({"state_dict": model.state_dict()}, tmp_path / "ok.ckpt")
    with torch.no_grad():
        next(model.parameters())[0] = float("inf")
    with pytest.raises(Diverged, match="holds NaN or infinity"):
        good.save_checkpoint({"state_dict": model.state_dict()}, tmp_path / "ok.ckpt")
    assert torch.isfinite(good.load_checkpoint(tmp_path / "ok.ckpt")["state_dict"][next(iter(model.state_dict()))]).all()
    with pytest.raises(Diverged):
        zoo.save_pretrained(model, tmp_path / "model")
    assert not (tmp_path / "model").exists()
