"""No file a user might download runs code: checkpoints, run configs, config files, model folders, RL settings,
sweep databases. Each payload is refused with one line (exit 2) and its marker file is never created."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from PIL import Image

from tests.security.conftest import CONFIGS, copy_run, poisoned_checkpoint, popen_payload, write_yaml
from zoo.runtime import cli


def run_refused(argv: list[str], capsys) -> str:
    """Run `zoo ARGV`; it must exit 2 with a one-line error and no traceback. Returns stderr."""
    try:
        code = cli.main(argv)
    except SystemExit as e:  # argparse / jsonargparse errors
        code = e.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    return err


def poisons(marker: Path) -> dict:
    """Ways to hide a class_path in a checkpoint's hyperparameters."""
    payload = popen_payload(marker)

    def instantiator(hp):
        hp["_instantiator"] = "lightning.pytorch.cli.instantiate_module"
        hp["model_kwargs"] = {**hp["model_kwargs"], "evil": payload}

    def deep(hp):
        hp["model_kwargs"] = {**hp["model_kwargs"], "a": {"b": [{"c": payload}]}}

    def as_kwargs(hp):
        hp["model_kwargs"] = payload

    def data_spec(hp):
        hp["data_spec"] = {**hp["data_spec"], "extra": payload}

    def model_config(hp):
        hp["model_config"] = {**hp["model_config"], "width": payload}

    def class_path(hp):
        hp["_class_path"] = "subprocess.Popen"
        hp["_instantiator"] = "lightning.pytorch.cli.instantiate_module"
        hp["args"] = ["touch", str(marker)]

    return {"instantiator": instantiator, "deep": deep, "as_kwargs": as_kwargs, "data_spec": data_spec,
            "model_config": model_config, "class_path": class_path}


POISONS = ["instantiator", "deep", "as_kwargs", "data_spec", "model_config", "class_path"]


@pytest.fixture
def image(tmp_path) -> Path:
    path = tmp_path / "digit.png"
    Image.new("L", (8, 8), 128).save(path)
    return path


@pytest.mark.parametrize("poison", POISONS)
def test_vision_classify_refuses_a_poisoned_checkpoint(vision_run, tmp_path, marker, image, capsys, poison):
    ckpt = poisoned_checkpoint(vision_run / "checkpoints" / "best.ckpt", tmp_path / "evil.ckpt",
                               poisons(marker)[poison])
    err = run_refused(["vision", "classify", "--ckpt", str(ckpt), str(image)], capsys)
    assert "evil.ckpt" in err


@pytest.mark.parametrize("poison", ["instantiator", "deep", "data_spec"])
@pytest.mark.parametrize("command", ["fit", "test"])
def test_lightning_ckpt_path_refuses_a_poisoned_checkpoint(vision_run, tmp_path, marker, capsys, poison, command):
    ckpt = poisoned_checkpoint(vision_run / "checkpoints" / "last.ckpt", tmp_path / "evil.ckpt",
                               poisons(marker)[poison])
    run_refused(["vision", command, "-c", str(CONFIGS / "digits_demo.yaml"), "--runs_dir", str(tmp_path / "runs"),
                 "--ckpt_path", str(ckpt)], capsys)


@pytest.mark.parametrize("app_argv", [["nlp", "translate"], ["science", "genomics", "score"]])
def test_other_apps_refuse_a_poisoned_checkpoint(vision_run, tmp_path, marker, capsys, app_argv):
    ckpt = poisoned_checkpoint(vision_run / "checkpoints" / "best.ckpt", tmp_path / "evil.ckpt",
                               poisons(marker)["instantiator"])
    run_refused(app_argv + ["--ckpt", str(ckpt), "ACGT" if "genomics" in app_argv else "the cat"], capsys)


@pytest.mark.parametrize("where", ["model_kwargs", "nested", "data", "callback", "included_file", "inline"])
def test_config_files_with_foreign_classes_are_refused(tmp_path, marker, capsys, where):
    payload = popen_payload(marker)
    config = {"trainer": {"max_epochs": 1}, "model": {"model": "cnn_small"},
              "data": {"class_path": "apps.vision.data.DigitsDataModule"}}
    extra = []
    if where == "model_kwargs":
        config["model"]["model_kwargs"] = {"evil": payload}
    elif where == "nested":
        config["model"]["model_kwargs"] = {"a": [{"b": payload}]}
    elif where == "data":
        config["data"] = payload
    elif where == "callback":
        config["trainer"]["callbacks"] = [payload]
    elif where == "included_file":
        config["data"] = "data.yaml"
        write_yaml(tmp_path / "data.yaml", payload)
    else:
        extra = ["--model.model_kwargs", json.dumps({"evil": payload})]
    path = write_yaml(tmp_path / "evil.yaml", config)
    err = run_refused(["vision", "fit", "-c", str(path), "--runs_dir", str(tmp_path / "runs")] + extra, capsys)
    assert "refused" in err
    assert not (tmp_path / "runs").exists()


def test_vision_evaluate_rebuilds_only_our_data_modules(vision_run, tmp_path, marker, capsys):
    run = copy_run(vision_run, tmp_path / "run")
    config = (run / "config.yaml").read_text()
    (run / "config.yaml").write_text(config.replace("apps.vision.data.DigitsDataModule", "subprocess.Popen"))
    err = run_refused(["vision", "evaluate", "--ckpt", str(run / "checkpoints" / "best.ckpt")], capsys)
    assert "subprocess.Popen" in err and "refused" in err


def test_vision_evaluate_refuses_classes_in_data_arguments(vision_run, tmp_path, marker, capsys):
    import yaml

    run = copy_run(vision_run, tmp_path / "run")
    config = yaml.safe_load((run / "config.yaml").read_text())
    config["data"]["init_args"]["root"] = popen_payload(marker)
    write_yaml(run / "config.yaml", config)
    run_refused(["vision", "evaluate", "--ckpt", str(run / "checkpoints" / "best.ckpt")], capsys)


@pytest.mark.parametrize("tamper", ["class_path", "huge", "shape"])
def test_model_folders_are_data(vision_run, tmp_path, marker, tamper):
    import zoo

    folder = copy_run(vision_run / "model", tmp_path / "model")
    meta = json.loads((folder / "config.json").read_text())
    if tamper == "class_path":
        meta["config"]["activation"] = popen_payload(marker)
    elif tamper == "huge":
        meta["config"]["width"] = 10**9
    else:
        meta["config"]["width"] = meta["config"].get("width", 32) * 2
    (folder / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="refus|does not match|config.json"):
        zoo.from_pretrained(folder)


def test_rl_arena_refuses_a_poisoned_model_folder(vision_run, tmp_path, marker, capsys):
    folder = copy_run(vision_run / "model", tmp_path / "model")
    meta = json.loads((folder / "config.json").read_text())
    meta["config"]["extra"] = popen_payload(marker)
    (folder / "config.json").write_text(json.dumps(meta))
    run_refused(["rl", "arena", "tictactoe", str(folder), "random", "--games", "2"], capsys)


def test_rl_settings_refuse_foreign_classes(tmp_path, marker, capsys):
    config = write_yaml(tmp_path / "evil.yaml", {"game": "tictactoe", "model_kwargs": {"x": popen_payload(marker)}})
    run_refused(["rl", "train", "-c", str(config), "--runs_dir", str(tmp_path / "runs")], capsys)
    assert not (tmp_path / "runs").exists()


def test_a_sweep_database_is_read_as_data(tmp_path, marker):
    """A stranger's study.db: results of the wrong type and run folders outside the sweep are dropped."""
    from zoo.lessons.sweep import trusted_attrs

    out = tmp_path / "sweep"
    (out / "trials" / "t0").mkdir(parents=True)
    attrs = trusted_attrs({"run_dir": "/etc", "score": popen_payload(marker), "score_name": ["x"],
                           "higher_is_better": "yes", "fit_seconds": "1"}, out)
    assert attrs["run_dir"] is None and attrs["score"] != attrs["score"]  # nan
    assert attrs["score_name"] is None and attrs["higher_is_better"] is True and attrs["fit_seconds"] is None
    inside = trusted_attrs({"run_dir": str(out / "trials" / "t0"), "score": 0.5}, out)
    assert inside["run_dir"] == str(out / "trials" / "t0") and inside["score"] == 0.5


def test_a_pickle_in_a_checkpoint_is_refused(tmp_path, marker, image, capsys):
    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    ckpt = tmp_path / "pickle.ckpt"
    torch.save({"state_dict": {}, "hyper_parameters": {"x": Evil()}}, ckpt)
    err = run_refused(["vision", "classify", "--ckpt", str(ckpt), str(image)], capsys)
    assert "pickle.ckpt" in err
