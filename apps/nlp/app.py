"""The translation app's entry for `zoo`: its CLI and its `zoo demo` step (the generated corpus: always there)."""

from __future__ import annotations

import json
from pathlib import Path

from zoo.runtime.apps import App, DemoStep, Trial

CONFIGS = Path(__file__).parent / "configs"


def main(argv: list[str]) -> int:
    from .cli import main as cli_main

    return cli_main(argv)


def run_translation(preset: str, runs_dir: Path, max_seconds: float | None = None) -> Path:
    """Fit ``generated_<preset>``, test (BLEU, chrF, compositional split) and print a few translations."""
    run_dir = trial_translation(Trial(preset, f"generated_{preset}", Path(runs_dir), max_seconds=max_seconds))
    print_samples(run_dir / "samples.txt", 4)
    return run_dir


def trial_translation(trial: Trial) -> Path:
    """``generated_<preset>`` (or ``trial.config``) with the trial's overrides; returns ``<runs_dir>/nlp/<name>``."""
    from zoo.lessons.trials import lightning_args

    from .cli import main as cli_main

    config = trial.config or CONFIGS / f"generated_{trial.preset}.yaml"
    if not config.is_file():
        raise FileNotFoundError(f"no {trial.preset!r} translation preset: {config} is missing")
    cli_main(["fit", "-c", str(config)] + lightning_args(trial))
    run_dir = Path(trial.runs_dir) / "nlp" / trial.name
    json.loads((run_dir / "metrics.json").read_text())  # fail here, clearly, if the run wrote no metrics
    return run_dir


def print_samples(path: Path, n: int) -> None:
    """The first ``n`` EN / OUT / REF blocks of a run's samples.txt."""
    blocks = path.read_text(encoding="utf-8").split("\n\n")[1:]  # the first block holds the signatures
    print(f"sample translations ({path}):")
    for block in blocks[:n]:
        print("  " + block.replace("\n", "\n  "))


APP = App(name="nlp", help="English -> French translation: fit|validate|test (LightningCLI), translate --ckpt",
          main=main, demo_steps=(DemoStep("translation", run_translation, presets=("demo", "quick", "gpu"),
                                   trial=trial_translation, kind="seq2seq",
                                   config_for=lambda p: CONFIGS / f"generated_{p}.yaml"),))
