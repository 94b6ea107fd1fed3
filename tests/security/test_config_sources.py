"""Config sources are data (issue 27, cases 1-3 and the config half of 5): a config of any name, a file given to a
settings group, an include without an extension, an inline value, a URL, a class re-exported under ``zoo.``, a
path to write outside the run folder, a Hub id in a file or a checkpoint, an alias bomb. Each is refused with one
line (exit 2) before anything is imported, fetched or written."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from tests.security.conftest import CONFIGS, poisoned_checkpoint
from zoo.runtime import cli

DEMO = str(CONFIGS / "digits_demo.yaml")
QUICK = ["--trainer.max_epochs", "1", "--trainer.enable_progress_bar", "false", "--extra_eval", "false"]


@pytest.fixture
def evil_module(tmp_path, monkeypatch) -> Path:
    """``helpers.py`` on the import path (as the working folder is for ``python -m zoo``): importing it touches
    PWNED."""
    marker = tmp_path / "PWNED"
    (tmp_path / "helpers.py").write_text(
        f"import pathlib\npathlib.Path({str(marker)!r}).touch()\n"
        "from lightning.pytorch.callbacks import Callback\nclass Cb(Callback):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    sys.modules.pop("helpers", None)
    yield marker
    assert not marker.exists(), "a config made zoo-suite import code"
    assert "helpers" not in sys.modules


def refused(argv: list[str], capsys) -> str:
    try:
        code = cli.main(argv)
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    return err


def fit(tmp_path, *args: str) -> list[str]:
    return ["vision", "fit", "-c", DEMO, *args, "--runs_dir", str(tmp_path / "runs"), "--name", "t", *QUICK]


CALLBACK = "trainer:\n  callbacks:\n    - class_path: helpers.Cb\n"


def test_a_config_of_any_name_is_read_as_data(tmp_path, evil_module, capsys):
    (tmp_path / "run.cfg").write_text(CALLBACK)
    err = refused(fit(tmp_path, "-c", "run.cfg"), capsys)
    assert "run.cfg" in err and "helpers.Cb" in err
    assert not (tmp_path / "runs").exists()


def test_a_file_given_to_a_settings_group_is_read_as_data(tmp_path, evil_module, capsys):
    (tmp_path / "trainer_noext").write_text("callbacks:\n  - class_path: helpers.Cb\n")
    assert "trainer_noext" in refused(fit(tmp_path, "--trainer", "trainer_noext"), capsys)


def test_an_include_without_extension_is_read_as_data(tmp_path, evil_module, capsys):
    (tmp_path / "sub" ).mkdir()
    (tmp_path / "sub" / "trainer_noext").write_text("callbacks:\n  - class_path: helpers.Cb\n")
    (tmp_path / "outer.yaml").write_text("trainer: sub/trainer_noext\n")
    assert "trainer_noext" in refused(fit(tmp_path, "-c", "outer.yaml"), capsys)


@pytest.mark.parametrize("value", ["callbacks=[{class_path: helpers.Cb}]", "logger=helpers.Cb",
                                   "plugins=helpers.Cb", "strategy=helpers.Cb", "callbacks+=helpers.Cb"])
def test_inline_values_name_no_foreign_class(tmp_path, evil_module, capsys, value):
    key, sep, rest = value.partition("=") if "+=" not in value else value.partition("+=")
    flag = f"--trainer.{key}{'+=' if '+=' in value else '='}{rest}"
    refused(fit(tmp_path, flag), capsys)


def test_a_data_module_must_be_the_apps_own(tmp_path, evil_module, capsys):
    (tmp_path / "data.cfg").write_text("data:\n  class_path: helpers.Cb\n")
    assert "data modules" in refused(fit(tmp_path, "-c", "data.cfg"), capsys)


@pytest.mark.parametrize("where", ["-c", "--trainer"])
def test_a_url_is_never_fetched(tmp_path, capsys, where):
    err = refused(["vision", "fit", where, "http://127.0.0.1:9/evil.yaml", "--runs_dir", str(tmp_path)], capsys)
    assert "URL" in err


def test_an_include_naming_a_url_is_refused(tmp_path, capsys):
    (tmp_path / "outer.yaml").write_text("trainer: http://127.0.0.1:9/trainer.yaml\n")
    assert "URL" in refused(fit(tmp_path, "-c", str(tmp_path / "outer.yaml")), capsys)


@pytest.mark.parametrize("class_path", ["zoo.callbacks.ModelCheckpoint", "ModelCheckpoint",
                                        "lightning.pytorch.callbacks.ModelCheckpoint", "apps.vision.task.VisionTask"])
def test_no_prefix_rule_a_reexported_class_is_refused(tmp_path, capsys, class_path):
    elsewhere = tmp_path / "elsewhere"
    (tmp_path / "ck.yaml").write_text(f"trainer:\n  callbacks:\n    - class_path: {class_path}\n"
                                      f"      init_args: {{dirpath: {elsewhere}}}\n")
    assert class_path in refused(fit(tmp_path, "-c", str(tmp_path / "ck.yaml")), capsys)
    assert not elsewhere.exists()


def test_a_listed_class_takes_only_its_listed_settings(tmp_path, capsys):
    (tmp_path / "es.yaml").write_text("trainer:\n  callbacks:\n    - class_path: EarlyStopping\n"
                                      "      init_args: {monitor: val_loss, callback: subprocess.Popen}\n")
    assert "callback" in refused(fit(tmp_path, "-c", str(tmp_path / "es.yaml")), capsys)


@pytest.mark.parametrize("key,value", [("save_dir", "/tmp/zoo-elsewhere"), ("save_dir", "../../.."),
                                       ("tracking_uri", "http://127.0.0.1:9")])
def test_a_file_may_not_log_outside_the_run_folder(tmp_path, capsys, key, value):
    logger = "MLFlowLogger" if key == "tracking_uri" else "CSVLogger"
    (tmp_path / "log.yaml").write_text(f"trainer:\n  logger:\n    class_path: {logger}\n"
                                       f"    init_args: {{{key}: '{value}'}}\n")
    err = refused(fit(tmp_path, "-c", str(tmp_path / "log.yaml")), capsys)
    assert "log.yaml" in err and key in err


def test_a_file_may_not_set_the_trainer_root_elsewhere(tmp_path, capsys):
    (tmp_path / "root.yaml").write_text(f"trainer:\n  default_root_dir: {tmp_path / 'elsewhere'}\n")
    assert "default_root_dir" in refused(fit(tmp_path, "-c", str(tmp_path / "root.yaml")), capsys)


@pytest.fixture
def no_hub(monkeypatch):
    """Any Hub request fails the test."""
    import zoo._hub

    def download(repo_id):
        raise AssertionError(f"a Hub request for {repo_id!r}")

    monkeypatch.setattr(zoo._hub, "download", download)


def test_a_hub_id_in_a_config_file_is_refused(tmp_path, capsys, no_hub):
    (tmp_path / "hub.yaml").write_text("model:\n  init_from: someone/model\n")
    err = refused(fit(tmp_path, "-c", str(tmp_path / "hub.yaml")), capsys)
    assert "Hub" in err and "--model.init_from" in err


def test_a_hub_id_in_a_checkpoint_is_never_fetched(vision_run, tmp_path, capsys, no_hub):
    from PIL import Image

    ckpt = poisoned_checkpoint(vision_run / "checkpoints" / "best.ckpt", tmp_path / "hub.ckpt",
                               lambda hp: hp.update(init_from="someone/model"))
    image = tmp_path / "digit.png"
    Image.new("L", (8, 8), 128).save(image)
    assert cli.main(["vision", "classify", "--ckpt", str(ckpt), str(image)]) == 0
    capsys.readouterr()


def test_a_hub_id_in_a_checkpoint_is_not_merged_by_ckpt_path(vision_run, tmp_path, capsys, no_hub):
    ckpt = poisoned_checkpoint(vision_run / "checkpoints" / "best.ckpt", tmp_path / "hub.ckpt",
                               lambda hp: hp.update(init_from="someone/model"))
    assert cli.main(["vision", "test", "-c", DEMO, "--ckpt_path", str(ckpt), "--runs_dir", str(tmp_path / "runs"),
                     "--name", "t", "--trainer.enable_progress_bar", "false"]) == 0
    capsys.readouterr()


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi"))


@pytest.mark.parametrize("where", ["-c", "--trainer"])
def test_an_alias_bomb_answers_at_once(tmp_path, capsys, where):
    (tmp_path / "bomb.yaml").write_text(BOMB)
    start = time.perf_counter()
    err = refused(["vision", "fit", where, str(tmp_path / "bomb.yaml"), "--runs_dir", str(tmp_path)], capsys)
    assert time.perf_counter() - start < 5
    assert "alias" in err or "anchor" in err


def test_an_inline_alias_bomb_answers_at_once(tmp_path, capsys):
    inline = "{" + BOMB.replace("\n", ", ").rstrip(", ") + "}"
    start = time.perf_counter()
    refused(fit(tmp_path, "--model.model_kwargs", inline), capsys)
    assert time.perf_counter() - start < 5


def test_rl_train_reads_its_config_as_data(tmp_path, evil_module, capsys):
    (tmp_path / "rl.cfg").write_text("game: tictactoe\nmodel_kwargs: {class_path: helpers.Cb}\n")
    refused(["rl", "train", "-c", "rl.cfg", "--runs_dir", str(tmp_path / "runs")], capsys)
    (tmp_path / "bomb.cfg").write_text(BOMB)
    assert "alias" in refused(["rl", "train", "-c", "bomb.cfg", "--runs_dir", str(tmp_path / "runs")], capsys)
    assert not (tmp_path / "runs").exists()


def test_a_file_does_not_choose_where_runs_go(tmp_path, capsys):
    (tmp_path / "where.yaml").write_text(f"runs_dir: {tmp_path / 'elsewhere'}\n")
    assert "--runs_dir" in refused(fit(tmp_path, "-c", str(tmp_path / "where.yaml")), capsys)
    assert not (tmp_path / "elsewhere").exists()
