"""`zoo sweep` and `zoo study depth` for real on the vision app's digits, at a budget of a few steps."""

import json
from pathlib import Path

from zoo.runtime import cli

DIGITS = str(Path(__file__).parents[3] / "apps" / "vision" / "configs" / "digits_quick.yaml")


def test_sweep_on_digits_writes_its_pictures_and_resumes(tmp_path):
    out = tmp_path / "sweep"
    args = ["sweep", "vision", "-c", DIGITS, "--lr", "1e-3,1e-2", "--batch-size", "64", "--budget", "3steps",
            "--out", str(out)]
    assert cli.main(args + ["--max-trials", "1"]) == 0
    assert json.loads((out / "sweep.json").read_text())["trials_done"] == 1
    assert cli.main(args) == 0
    s = json.loads((out / "sweep.json").read_text())
    assert s["trials_done"] == 2 and s["metric"] == "val_acc"
    assert all(0.0 <= r["score"] <= 1.0 for r in s["rows"])
    assert len(list((out / "trials" / "vision").iterdir())) == 2  # the second call ran only the missing trial
    for p in ("plots/heatmap.png", "plots/loss_curves.png", "report.md"):
        assert (out / p).is_file(), p


def test_depth_study_on_digits_records_gradients_by_layer(tmp_path):
    out = tmp_path / "study"
    assert cli.main(["study", "depth", "vision", "-c", DIGITS, "--families", "cnn,resnet", "--depths", "2,6",
                     "--init", "default", "--budget", "2steps", "--out", str(out)]) == 0
    s = json.loads((out / "study.json").read_text())
    assert [(r["family"], r["depth"]) for r in s["rows"]] == [("cnn", 2), ("cnn", 6), ("resnet", 2), ("resnet", 6)]
    cnn6 = s["rows"][1]
    assert len(cnn6["norms_init"]) == 6 + 1  # six conv layers and the head, input side first
    assert all(r["verdict"] in ("trains", "stalls", "vanishing", "exploding") for r in s["rows"])
    assert (out / "plots" / "depth_study.png").is_file() and (out / "plots" / "norms_depth6.png").is_file()
