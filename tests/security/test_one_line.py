"""One clear line for every bad input (issue 27, case 9): inputs that used to end in a traceback (a wrong type, a
garbage tokenizer, an unknown data setting, a bad storage URL, a full disk) now end in one line naming what was
wrong, exit 2, and nothing half-written. (`heads: 0` is in test_bounds; a `study.db` that is not SQLite and wrong
types in every file a command reads are cells of test_matrix; UCI's `setoption ... value ²` is in
tests/apps/rl/test_uci.py.)"""

from __future__ import annotations

import errno
from pathlib import Path

import lightning  # noqa: F401  (imported here: its log handler binds stderr at import, not inside a capsys test)
import pytest
import torch
import yaml

from tests.security.conftest import CONFIGS
from tests.security.test_bounds import refused
from zoo.errors import InputError

FIT = ["--trainer.max_epochs", "1", "--trainer.limit_train_batches", "2", "--trainer.limit_val_batches", "1",
       "--extra_eval", "false", "--gradient_health_every", "0", "--trainer.enable_progress_bar", "false"]


def digits_config(tmp_path: Path, **data_args) -> Path:
    config = yaml.safe_load((CONFIGS / "digits_demo.yaml").read_text())
    config["data"]["init_args"].update(data_args)
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_an_unknown_data_setting_is_one_line_naming_it(tmp_path, capsys):
    line = refused(["vision", "fit", "-c", str(digits_config(tmp_path, batch_sise=32)), "--runs_dir",
                    str(tmp_path / "runs"), *FIT], capsys)
    assert "batch_sise" in line
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("value", ["abc", [1, 2], {"a": 1}, -3, 1e300])
def test_a_wrong_type_for_a_data_setting_is_one_line(tmp_path, capsys, value):
    line = refused(["vision", "fit", "-c", str(digits_config(tmp_path, batch_size=value)), "--runs_dir",
                    str(tmp_path / "runs"), *FIT], capsys)
    assert "batch_size" in line


def test_a_garbage_tokenizer_in_a_checkpoint_is_one_line(nlp_run, tmp_path, capsys):
    from apps.nlp import serve

    task = serve.load_run(str(nlp_run))
    hparams = {k: v for k, v in dict(task.hparams).items() if k != "init_from"}
    ckpt = tmp_path / "garbage.ckpt"
    torch.save({"state_dict": task.state_dict(), "hyper_parameters": hparams, "tokenizer": '{"model": [1, 2'}, ckpt)
    assert "tokenizer" in refused(["nlp", "translate", "--ckpt", str(ckpt), "the cat"], capsys)


@pytest.mark.parametrize("garbage", [b"\x00\xff" * 64, b'{"version": "1.0", "model": {"type": "BPE"}}', b""])
def test_a_garbage_tokenizer_in_a_model_folder_is_one_line(nlp_run, tmp_path, garbage):
    import shutil

    from apps.nlp import serve

    run = Path(shutil.copytree(nlp_run, tmp_path / "run"))
    (run / "model" / "tokenizer.json").write_bytes(garbage)
    with pytest.raises(InputError, match="tokenizer.json"):
        serve.load_run(str(run))


SWEEP = ["sweep", "vision", "--lr", "0.01", "--batch-size", "32", "--budget", "1steps", "--max-trials", "1"]


@pytest.mark.parametrize("url", ["notadb://x", "sqlite:////no/such/folder/study.db", "postgresql://",
                                 "postgresql+psycopg2://me:s3cret@127.0.0.1:1/zoo"])
def test_a_bad_storage_url_is_one_line_without_its_password(tmp_path, capsys, url):
    line = refused([*SWEEP, "--storage", url, "--out", str(tmp_path / "out")], capsys, seconds=30)
    assert "storage" in line.lower() and "s3cret" not in line


DISK_FULL = [OSError(errno.ENOSPC, "No space left on device"),
             RuntimeError("[enforce fail at inline_container.cc:858] . PytorchStreamWriter failed writing file "
                          "data/0: file write failed")]


@pytest.mark.parametrize("error", DISK_FULL, ids=["oserror", "torch_stream_writer"])
def test_a_full_disk_is_one_line_and_leaves_no_half_written_checkpoint(tmp_path, capsys, monkeypatch, error):
    """Every checkpoint write fails the way torch.save fails on a full disk: fit ends in one line (exit 2), not
    RuntimeError's traceback with exit 1, and no checkpoint file is left half-written."""
    def no_space(*args, **kwargs):
        raise error

    monkeypatch.setattr(torch, "save", no_space)
    line = refused(["vision", "fit", "-c", str(CONFIGS / "digits_demo.yaml"), "--runs_dir", str(tmp_path / "runs"),
                    "--name", "full", *FIT], capsys, seconds=60)
    assert "disk is full" in line
    assert not list((tmp_path / "runs").rglob("*.ckpt"))
