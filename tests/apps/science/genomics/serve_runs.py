"""A tiny finished genomics run for `zoo serve`'s tests (and the browser test): a real `zoo science genomics fit`
on 300 generated 60-nt sequences for one epoch (a 2-block CNN, 3-mer baseline, ISM on 2 sequences), so the folder
is exactly what a run writes (model/ with examples.safetensors, metrics.json, config.yaml, checkpoints/). About
2 s on one core after the imports."""

from __future__ import annotations

from pathlib import Path

NAME = "serve_tiny"
LENGTH = 60  # the model's input length (nt)


def tiny_run(runs_dir: Path) -> Path:
    """``runs_dir/genomics/serve_tiny``, trained once (an existing finished one is reused)."""
    from apps.science.genomics.app import APP

    run = Path(runs_dir) / "genomics" / NAME
    if (run / "metrics.json").is_file():
        return run
    APP.main(["fit", "--model.model", "cnn_small", "--model.model_kwargs", '{"depth": 2, "width": 16}',
              "--model.ism_sequences", "2", "--data.class_path", "apps.science.genomics.data.GenomicsDataModule",
              "--data.init_args.n", "300", "--data.init_args.length", str(LENGTH), "--data.init_args.kmer_k", "3",
              "--trainer.max_epochs", "1", "--trainer.accelerator", "cpu", "--trainer.enable_progress_bar", "false",
              "--trainer.enable_model_summary", "false", "--name", NAME, "--runs_dir", str(runs_dir)])
    return run
