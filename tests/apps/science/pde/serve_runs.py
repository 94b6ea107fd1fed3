"""A tiny finished PDE run for `zoo serve` tests: the real Burgers quick preset through the app's
LightningCLI, cut to one epoch of two batches (about 10 s on one core once the preset's data is cached;
generating it the first time adds a few seconds). It writes what every real run writes: config.yaml,
checkpoints/, model/ with examples.safetensors, metrics.json."""

from __future__ import annotations

from pathlib import Path

PRESET = Path(__file__).resolve().parents[4] / "apps" / "science" / "pde" / "configs" / "burgers_quick.yaml"


def tiny_run(runs_dir: Path, name: str = "tiny") -> Path:
    """Write ``runs_dir/pde/<name>`` and return it."""
    from zoo.runtime.apps import discover_apps

    discover_apps()["science/pde"].main([
        "fit", "-c", str(PRESET), "--name", name, "--runs_dir", str(runs_dir),
        "--trainer.max_epochs", "1", "--trainer.limit_train_batches", "2", "--trainer.limit_val_batches", "1",
        "--trainer.enable_progress_bar", "false",
        "--data.init_args.floor_samples", "8"])  # the baseline's solver on 8 test samples, not 200: 5 s less
    return Path(runs_dir) / "pde" / name
