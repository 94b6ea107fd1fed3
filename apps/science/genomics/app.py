"""The genomics app's declaration: `zoo science genomics fit|validate|test|score` and its `zoo demo` step (the
generated benchmark: always there)."""

from __future__ import annotations

from pathlib import Path

from zoo.runtime.app_builder import declare_app

CONFIGS = Path(__file__).parent / "configs"

APP = declare_app(
    "science/genomics", "DNA sequence -> activity: fit|validate|test (LightningCLI), score --ckpt FASTA|SEQUENCE",
    task="apps.science.genomics.task:ActivityTask", data=["apps.science.genomics.data"],
    presets=CONFIGS, preset_file="synthetic_{preset}.yaml", kind="sequence",
    commands={"score": "apps.science.genomics.cli:score_main"}, serve="apps.science.genomics.serve:tab",
    floors={"demo": "baseline"})  # test Pearson r above the k-mer ridge baseline
