"""After a Lightning fit and test: the model folder, the plots, the run record (metrics.json) and a one-screen
summary. ``ZooCLI.after_fit`` calls ``finish_run``; what it writes is a ``zoo.runtime.record.RunRecord``."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch
from rich.console import Console
from rich.table import Table
from safetensors.torch import save

from .._hub import EXAMPLES, save_pretrained
from .._registry import model_info
from ..callbacks import FitTimer
from ..trust.runfolder import write_bytes
from .console import make_console
from .record import Headline, Machine, RunRecord, Validation, baseline_from
from .report import plot_curves, read_csv_log


def finish_run(app: str, run_dir: Path, trainer: L.Trainer, task, datamodule, test_metrics: dict,
               timer: FitTimer | None = None, console: Console | None = None,
               extra_eval: bool = True) -> RunRecord | None:
    """Save the model folder, plots and metrics.json of a fitted and tested run, and print its summary. Only rank
    zero writes (the others return None): every rank holds the same model after a synchronised fit."""
    if not trainer.is_global_zero:
        return None
    run_dir = Path(run_dir)
    test = {k: float(v) for k, v in test_metrics.items()}
    csv_logs = fit_logs(run_dir)
    plots = training_plots(app, run_dir, csv_logs)
    extra = task.evaluate_run(datamodule, run_dir) if extra_eval else {}
    test.update({k: float(v) for k, v in extra.get("metrics", {}).items()})
    plots += extra.get("plots", [])
    save_pretrained(task.model, run_dir / "model", metrics=test,
                    notes=f"Trained by the `{app}` app, run `{run_dir.name}`.",
                    extra_files=task.pretrained_files(), card=card_data(app, datamodule))
    save_examples(datamodule, run_dir / "model")
    record = run_record(app, run_dir, trainer, task, datamodule, test, plots, timer, csv_logs)
    record.write(run_dir)
    print_summary(record, console)
    return record


def run_record(app: str, run_dir: Path, trainer: L.Trainer, task, datamodule, test: dict[str, float],
               plots: list[str], timer: FitTimer | None, csv_logs: list[Path]) -> RunRecord:
    """What the run did, as a ``RunRecord``: the headline from the task, the rest from the trainer and data."""
    ckpt = trainer.checkpoint_callback
    name = task.model.config["name"]
    device = trainer.strategy.root_device.type
    return RunRecord(
        app=app, model=name, run=run_dir.name, run_dir=str(run_dir), family=model_info(name).family,
        num_parameters=sum(p.numel() for p in task.model.parameters()), device=device, test=test,
        headline=Headline(task.headline, test.get(task.headline, float("nan")), task.monitor_mode == "max"),
        validation=validation(task.monitor, task.monitor_mode, ckpt, csv_logs), baseline=baseline(datamodule),
        chance=task.chance_level(),
        fit_seconds=round(timer.seconds, 2) if timer else None,
        train_samples_per_s=round(timer.samples_per_second, 1) if timer else None,
        epochs=trainer.current_epoch, steps=trainer.global_step, plots=plots,
        best_checkpoint=ckpt.best_model_path if ckpt else "",
        machine=Machine.current(str(trainer.precision), device), timed_out=stopped_by_time(trainer))


def stopped_by_time(trainer: L.Trainer) -> bool:
    """Whether ``max_time`` (Lightning's Timer) ended the fit before its max_epochs or max_steps."""
    from lightning.pytorch.callbacks import Timer

    timers = [cb for cb in trainer.callbacks if isinstance(cb, Timer)]
    if not timers or not any(t.time_remaining("train") is not None and t.time_remaining("train") <= 0
                             for t in timers):
        return False
    done_steps = trainer.max_steps not in (None, -1) and trainer.global_step >= trainer.max_steps
    done_epochs = trainer.max_epochs not in (None, -1) and trainer.current_epoch >= trainer.max_epochs
    return not (done_steps or done_epochs)


def fit_logs(run_dir: Path) -> list[Path]:
    """The fit's CSV logs, oldest first (a resumed fit moved the earlier ones aside)."""
    return sorted((run_dir / "csv").glob("metrics*.csv"), key=lambda p: p.stat().st_mtime)


def training_plots(app: str, run_dir: Path, csv_logs: list[Path]) -> list[str]:
    """The learning curves (drawn now) and the gradient norms (drawn during the fit), relative to the run folder."""
    plots = []
    if csv_logs and plot_curves(csv_logs, run_dir / "plots" / "curves.png", title=f"{app}: {run_dir.name}"):
        plots.append("plots/curves.png")
    if (run_dir / "plots" / "gradient_norms.png").is_file():
        plots.append("plots/gradient_norms.png")
    return plots


def validation(monitor: str, mode: str, ckpt, csv_logs: list[Path]) -> Validation:
    """The monitored validation metric: its best (what the best checkpoint holds) and last value; None if unseen."""
    series = read_csv_log(csv_logs).get(monitor, []) if csv_logs else []
    best = ckpt.best_model_score if ckpt is not None else None
    return Validation(monitor, mode == "max", float(best) if best is not None else None,
                      series[-1][1] if series else None)


def baseline(datamodule):
    """The data module's baseline (its optional ``baseline()`` method), checked; None when it has none."""
    method = getattr(datamodule, "baseline", None)
    payload = method() if callable(method) else None
    return baseline_from(payload, f"{type(datamodule).__name__}.baseline()") if payload else None


def save_examples(datamodule, folder: Path, rows: int = 8) -> None:
    """A few held-out model inputs beside the weights (``examples.safetensors``, "inputs": the first ``rows`` of
    the first test batch, or of its first element for (inputs, targets, ...) batches): `zoo export` checks its
    files on them and traces at their shape (a field model's grid), `zoo serve` offers them as samples."""
    loader = getattr(datamodule, "test_dataloader", None)
    if not callable(loader):
        return
    batch = next(iter(loader()), None)
    inputs = batch[0] if isinstance(batch, (list, tuple)) else batch
    if isinstance(inputs, torch.Tensor):
        data = save({"inputs": inputs[:rows].contiguous().cpu()})  # bytes: written without following a link
        write_bytes(folder / EXAMPLES, data)


def card_data(app: str, datamodule) -> dict:
    """What the model card says about the data: the data module's optional ``card_data()`` (datasets,
    licence, task; see ``zoo.save_pretrained``), tagged with the app. Without one the card names no data."""
    method = getattr(datamodule, "card_data", None)
    card = dict(method()) if callable(method) else {}
    card["tags"] = [*card.get("tags", []), app.replace("/", "-")]
    return card


def print_summary(record: RunRecord, console: Console | None = None) -> None:
    """One screen: the held-out metrics against the baseline, the timing, and the files written."""
    console = console or make_console()
    table = Table(title=f"{record.app} / {record.run}: {record.model} "
                        f"({record.num_parameters:,} parameters) on {record.device}")
    table.add_column("held-out metric")
    table.add_column("value", justify="right")
    for k, v in record.test.items():
        table.add_row(k, f"{v:.4f}")
    if record.baseline is not None:
        table.add_row(f"baseline: {record.baseline.description}", f"{record.baseline.value:.4f}")
    console.print(table)
    run_dir = Path(record.run_dir)
    precision = f", precision {record.machine.precision}" if record.machine else ""
    console.print(f"fit: {_or_unknown(record.fit_seconds)} s, {_or_unknown(record.train_samples_per_s)} samples/s"
                  + precision)
    if record.timed_out:
        console.print("[bold red]timed out[/]: training stopped at its time cap before the epochs or steps it was "
                      "given; this is not the model its settings describe")
    console.print(f"wrote: {run_dir / 'metrics.json'}, {run_dir / 'model'}/, {run_dir / 'checkpoints'}/, "
                  + ", ".join(str(run_dir / p) for p in record.plots))


def _or_unknown(value: float | None) -> str:
    return "?" if value is None else str(value)
