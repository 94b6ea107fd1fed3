"""`zoo nlp fit` writes a complete run folder; `zoo nlp translate` reads its checkpoint."""

import json
from pathlib import Path

from apps.nlp.app import APP
from apps.nlp.app import __file__ as nlp_app_file
from apps.nlp.cli import main as nlp_main
from zoo.apps import discover_apps

CONFIG = str(Path(nlp_app_file).parent / "configs" / "generated_quick.yaml")


def test_fit_then_translate(tmp_path, capsys):
    nlp_main(["fit", "-c", CONFIG, "--name", "t", "--runs_dir", str(tmp_path), "--trainer.max_epochs", "1",
              "--data.init_args.generated_size", "1500", "--data.init_args.vocab_size", "500",
              "--model.val_bleu_sentences", "20", "--trainer.enable_progress_bar", "false"])
    run = tmp_path / "nlp" / "t"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["headline"]["name"] == "test_bleu" and 0 <= metrics["test"]["test_bleu"] <= 100
    assert "test_chrf" in metrics["test"] and metrics["family"] == "transformer"
    samples = (run / "samples.txt").read_text()
    assert samples.startswith("sacreBLEU: nrefs:1") and "\nEN   " in samples and "\nREF  " in samples
    capsys.readouterr()
    nlp_main(["translate", "--ckpt", str(run / "checkpoints" / "last.ckpt"), "--beam", "2", "The cat is big.",
              "We do not see the white house."])
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2


def test_app_is_installed():
    assert discover_apps()["nlp"] is APP
