"""The translation app's declaration: `zoo nlp fit|validate|test|translate` and its `zoo demo` step (the generated
corpus: always there)."""

from __future__ import annotations

from pathlib import Path

from zoo.runtime.app_builder import declare_app

CONFIGS = Path(__file__).parent / "configs"


def print_samples(run_dir: Path, n: int = 4) -> None:
    """The first ``n`` EN / OUT / REF blocks of a run's samples.txt, so the demo shows what the BLEU means."""
    path = run_dir / "samples.txt"
    blocks = path.read_text(encoding="utf-8").split("\n\n")[1:]  # the first block holds the signatures
    print(f"sample translations ({path}):")
    for block in blocks[:n]:
        print("  " + block.replace("\n", "\n  "))


APP = declare_app(
    "nlp", "English -> French translation: fit|validate|test (LightningCLI), translate --ckpt",
    task="apps.nlp.task:TranslationTask", data=["apps.nlp.data"],
    presets=CONFIGS, preset_file="generated_{preset}.yaml", kind="seq2seq",
    step="translation", commands={"translate": "apps.nlp.cli:translate_main"}, after_run=print_samples,
    perf="apps.nlp.perf:workloads", serve="apps.nlp.serve:tab",
    floors={"demo": 50.0})  # test BLEU on the generated corpus
