"""The digits data module and the vision app's LightningCLI run folder."""

from pathlib import Path

import numpy as np
import pytest
import torch

from apps.vision.app import APP, CONFIGS
from apps.vision.data import DigitsDataModule, split_indices
from zoo.runtime.machine import auto_precision
from zoo.runtime.record import RunRecord


def test_split_is_fixed_disjoint_and_complete():
    a = split_indices(1797, (0.15, 0.15), seed=0)
    b = split_indices(1797, (0.15, 0.15), seed=0)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert sum(len(x) for x in a) == 1797 and len(np.unique(np.concatenate(a))) == 1797
    assert [len(x) for x in a] == [1257, 270, 270]


def test_digits_data_module_spec_subset_resize_and_baseline():
    dm = DigitsDataModule(batch_size=32)
    dm.setup()
    x, y = next(iter(dm.train_dataloader()))
    assert x.shape == (32, 1, 8, 8) and y.dtype == torch.int64 and 0 <= x.min() and x.max() <= 1
    spec = dm.spec
    assert spec["in_channels"] == 1 and spec["image_size"] == 8 and len(spec["class_names"]) == 10
    assert abs(spec["mean"][0] - dm.train_x.mean().item()) < 1e-6  # statistics of the training split only
    small = DigitsDataModule(train_fraction=0.1, image_size=28)
    small.setup()
    assert len(small.train_y) == 126 and small.train_x.shape[1:] == (1, 28, 28)
    assert torch.equal(small.test_y, dm.test_y)  # the same held-out split whatever the training subset
    base = dm.baseline()
    assert base["name"] == "test_acc" and 0.9 < base["value"] < 1.0


def test_fit_writes_the_run_folder_and_resumes(tmp_path):
    args = ["-c", str(CONFIGS / "digits_demo.yaml"), "--name", "t", "--runs_dir", str(tmp_path),
            "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"]
    APP.main(["fit", *args, "--trainer.max_epochs", "2"])
    run = tmp_path / "vision" / "t"
    for path in ("config.yaml", "checkpoints/best.ckpt", "checkpoints/last.ckpt", "model/model.safetensors",
                 "model/config.json", "model/README.md", "metrics.json", "plots/curves.png", "csv/metrics.csv"):
        assert (run / path).is_file(), path
    metrics = RunRecord.read(run).to_dict()
    assert metrics["model"] == "cnn_small" and metrics["family"] == "cnn" and metrics["epochs"] == 2
    assert metrics["timed_out"] is False  # all its epochs, within the preset's time cap
    assert 0.5 < metrics["test"]["test_acc"] <= 1 and metrics["headline"]["name"] == "test_acc"
    assert metrics["baseline"]["description"].startswith("logistic regression")
    assert "max_epochs: 2" in (run / "config.yaml").read_text()

    # a killed run resumes from last.ckpt
    APP.main(["fit", *args, "--trainer.max_epochs", "3", "--ckpt_path", "last"])
    record = RunRecord.read(run)
    # the preset says `precision: auto`: bf16-mixed on a CPU with fast bf16, else fp32; recorded either way
    assert record.epochs == 3 and record.machine.precision == auto_precision()[0] and record.validation.name == "val_acc"
    assert len(list((run / "csv").glob("metrics*.csv"))) == 2  # the first attempt's log is kept

    # test subcommand from a checkpoint
    APP.main(["test", *args, "--ckpt_path", str(run / "checkpoints" / "best.ckpt")])
    assert (run / "test_logs" / "csv" / "metrics.csv").is_file()
    assert len(list((run / "csv").glob("metrics*.csv"))) == 2  # testing did not touch the fit logs


def test_a_fit_its_time_cap_stopped_is_recorded_as_timed_out(tmp_path, capsys):
    APP.main(["fit", "-c", str(CONFIGS / "digits_demo.yaml"), "--name", "capped", "--runs_dir", str(tmp_path),
              "--trainer.max_epochs", "1000", "--trainer.max_time", "00:00:00:01", "--extra_eval", "false",
              "--gradient_health_every", "0", "--trainer.enable_progress_bar", "false"])
    record = RunRecord.read(tmp_path / "vision" / "capped")
    assert record.timed_out and record.epochs < 1000
    assert "timed out: training stopped at its time cap" in capsys.readouterr().out


def test_app_is_installed_as_entry_point():
    from zoo.runtime.apps import discover_apps

    apps = discover_apps()
    assert apps["vision"] is APP and [s.name for s in APP.demo_steps] == ["images"]
    for dataset in ("fashion", "digits"):
        for preset in APP.demo_steps[0].presets:
            assert (CONFIGS / f"{dataset}_{preset}.yaml").is_file(), (dataset, preset)


PRESETS = sorted(c.name for c in CONFIGS.glob("*.yaml") if c.name != "bench.yaml")  # bench.yaml: no preset


@pytest.mark.parametrize("preset", PRESETS)  # one test each: the parallel suite spreads them over its workers
def test_every_preset_parses_and_runs_one_batch(tmp_path, monkeypatch, preset):
    """Each preset parses, builds its model and data and trains one batch to a finished run folder. The finish's
    extra held-out evaluation (robustness, attacks) is the same code for every preset and is tested elsewhere."""
    from apps.vision.data import FashionMNISTDataModule

    monkeypatch.chdir(CONFIGS.parents[2])  # presets name data paths as a user runs them: from the checkout
    config = CONFIGS / preset
    if config.stem.startswith("fashion") and not FashionMNISTDataModule.available():
        pytest.skip("needs Debian's dataset-fashion-mnist (make data)")
    if config.stem.startswith("cifar10jpg") and not Path("../shared/data/images").is_dir():
        pytest.skip("needs ../shared/data/images beside the checkout")
    APP.main(["fit", "-c", str(config), "--name", config.stem, "--runs_dir", str(tmp_path),
              "--trainer.accelerator", "cpu", "--trainer.fast_dev_run", "true",
              "--trainer.enable_progress_bar", "false", "--model.eval_samples", "20", "--extra_eval", "false",
              "--gradient_health_every", "0", "--data.init_args.train_fraction", "0.01"])
    assert (tmp_path / "vision" / config.stem / "metrics.json").is_file(), config.name
