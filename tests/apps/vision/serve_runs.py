"""A tiny finished vision run for `zoo serve`'s tests (and the browser test): a real `zoo vision fit` on the digits
for one epoch with a small robustness evaluation, so the folder is exactly what a run writes (model/ with
preprocessing.json and examples.safetensors, metrics.json, config.yaml, checkpoints/). About 7 s on one core."""

from __future__ import annotations

from pathlib import Path

NAME = "serve_tiny"


def tiny_run(runs_dir: Path) -> Path:
    """``runs_dir/vision/serve_tiny``, trained once (an existing finished one is reused)."""
    from apps.vision.app import APP, CONFIGS

    run = Path(runs_dir) / "vision" / NAME
    if (run / "metrics.json").is_file():
        return run
    APP.main(["fit", "-c", str(CONFIGS / "digits_demo.yaml"), "--name", NAME, "--runs_dir", str(runs_dir),
              "--trainer.max_epochs", "1", "--trainer.accelerator", "cpu", "--precision", "32-true",
              "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false",
              "--model.eval_samples", "16"])
    return run
