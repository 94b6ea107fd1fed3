"""Experiment tracking through Lightning's loggers: `--trainer.logger` with MLflow (a local SQLite store, MLflow's
local backend since its file store was frozen) receives the run's metrics, and the run's own CSV, report and model
folder are still written beside it."""

import pytest

from apps.vision.app import APP, CONFIGS

mlflow = pytest.importorskip("mlflow", reason="mlflow is not installed (pip install mlflow-skinny)")


def test_mlflow_logger_records_the_run_and_the_run_folder_is_whole(tmp_path):
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    APP.main(["fit", "-c", str(CONFIGS / "digits_quick.yaml"), "--name", "tracked", "--runs_dir", str(tmp_path),
              "--trainer.accelerator", "cpu", "--trainer.max_epochs", "1", "--trainer.limit_train_batches", "3",
              "--trainer.limit_val_batches", "2", "--trainer.log_every_n_steps", "1",
              "--trainer.enable_progress_bar", "false", "--model.eval_samples", "20",
              "--trainer.logger", "lightning.pytorch.loggers.MLFlowLogger",
              "--trainer.logger.init_args.experiment_name", "digits", "--trainer.logger.init_args.tracking_uri", store])
    client = mlflow.tracking.MlflowClient(store)
    runs = client.search_runs([client.get_experiment_by_name("digits").experiment_id])
    assert len(runs) == 1
    assert {"train_loss", "val_acc", "val_loss", "test_acc"} <= set(runs[0].data.metrics)
    assert runs[0].data.params["model"] == "resnet_small"
    run = tmp_path / "vision" / "tracked"
    assert (run / "csv" / "metrics.csv").is_file() and (run / "metrics.json").is_file()
    assert (run / "model" / "model.safetensors").is_file()
