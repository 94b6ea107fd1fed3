"""`zoo perf vision`: the training loop. A ZooTask under the Trainer exactly as `zoo vision fit` configures it
(progress bar, CSV + TensorBoard logging, GradientHealth, best/last checkpoints, the preset's precision) against
the plain PyTorch loop a user would write instead: same model, data, batch size, optimizer and precision.

Two figures: the step time (ABBA pair, a window of steps inside the first epoch, after a warm-up) and the wall
time each takes to reach the same validation accuracy (measured once each, validating every ``VAL_EVERY`` steps).
A second pair times the preset's ``precision: auto`` against the fp32 it used to train in.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import logging
import math
import shutil
import tempfile
import time
from pathlib import Path

import lightning as L
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from zoo.runtime.lightning_cli import ZooCLI
from zoo.runtime.perf import Contender, Pair, Timed, Workload

from .app import CONFIGS, preset_file
from .task import VisionTask

WARMUP_STEPS = 5  # oneDNN picks its kernels and the allocator warms up in the first steps
VAL_EVERY = 50  # both sides validate this often in the time-to-accuracy race
# Epochs the quick presets trained for before `precision: auto` (issue 17): fashion_quick went from 8 fp32 epochs
# to 6 in bf16 where the CPU has it (92.78% test accuracy on an AMX Xeon, against 93.05% for 8).
DATA_MODULES = ("apps.vision.data",)  # where the presets' data modules live (the app declares the same)
PREVIOUS_EPOCHS = {"fashion_quick.yaml": 8}


class StepClock(L.Callback):
    """Seconds from the start of training step ``start`` to the end of step ``stop`` (global steps, 0-based)."""

    def __init__(self, start: int, stop: int):
        self.start, self.stop, self.seconds, self._t0 = start, stop, 0.0, None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if trainer.global_step == self.start:
            self._t0 = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if trainer.global_step == self.stop + 1 and self._t0 is not None:
            self.seconds = time.perf_counter() - self._t0


class StopAtTarget(L.Callback):
    """Stops the fit once the monitored validation accuracy reaches ``target``; ``seconds`` since training began."""

    def __init__(self, monitor: str, target: float):
        self.monitor, self.target, self.seconds, self.reached, self._t0 = monitor, target, math.nan, None, None

    def on_train_start(self, trainer, pl_module):
        self._t0 = time.perf_counter()

    def on_validation_end(self, trainer, pl_module):
        value = trainer.callback_metrics.get(self.monitor)
        if trainer.sanity_checking or value is None or self.reached is not None:
            return
        if float(value) >= self.target:
            self.seconds, self.reached = time.perf_counter() - self._t0, float(value)
            trainer.should_stop = True


class _PerfCLI(ZooCLI):
    """`zoo vision fit` as the app runs it, plus the perf callbacks, minus the test and evaluation after the fit."""

    extra_callbacks: list = []

    def instantiate_trainer(self, **kwargs) -> L.Trainer:
        trainer = super().instantiate_trainer(**kwargs)
        trainer.callbacks.extend(self.extra_callbacks)
        return trainer

    def after_fit(self) -> None:
        pass


@contextlib.contextmanager
def quiet_lightning():
    """Lightning's info lines (its handlers hold the real stderr, which redirect_stderr does not reach) hidden."""
    loggers = [logging.getLogger(name) for name in ("lightning.pytorch", "lightning.fabric")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def app_fit(config: Path, runs: Path, name: str, callbacks: list, *overrides: str) -> _PerfCLI:
    """Runs `zoo vision fit -c CONFIG --name NAME ...` in this process with ``callbacks`` added; its output hidden
    (the progress bar still draws: that is part of what the app costs)."""
    _PerfCLI.extra_callbacks = callbacks
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), quiet_lightning():
        return _PerfCLI("vision", VisionTask, L.LightningDataModule, data_modules=DATA_MODULES,
                        args=["fit", "-c", str(config), "--runs_dir", str(runs), "--name", name, *overrides])


def build(config: Path, runs: Path) -> tuple[VisionTask, L.LightningDataModule, str]:
    """The preset's task and data module, built by the app's own parser (nothing trained), and its precision."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), quiet_lightning():
        cli = ZooCLI("vision", VisionTask, L.LightningDataModule, run=False, data_modules=DATA_MODULES,
                     args=["-c", str(config), "--runs_dir", str(runs), "--name", "build"])
    cli.datamodule.setup("fit")
    return cli.model, cli.datamodule, str(cli.trainer.precision)


class PlainLoop:
    """The loop a user writes by hand: AdamW (no decay on biases and norms) with a one-cycle schedule, autocast
    when the precision is bf16-mixed, the same normalisation as the task."""

    def __init__(self, task: VisionTask, datamodule, precision: str, total_steps: int):
        self.model = task.model
        self.mean, self.std = task.mean, task.std
        self.train_loader, self.val_loader = datamodule.train_dataloader(), datamodule.val_dataloader()
        self.bf16 = precision.startswith("bf16")
        hp = task.hparams
        decay = [p for p in self.model.parameters() if p.ndim >= 2]
        rest = [p for p in self.model.parameters() if p.ndim < 2]
        self.opt = torch.optim.AdamW([{"params": decay, "weight_decay": hp.weight_decay},
                                      {"params": rest, "weight_decay": 0.0}], lr=hp.lr)
        self.sched = torch.optim.lr_scheduler.OneCycleLR(self.opt, max_lr=hp.lr, total_steps=total_steps)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast("cpu", torch.bfloat16, enabled=self.bf16):
            return self.model((x - self.mean) / self.std)  # (B, K)

    def step(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.model.train()
        loss = F.cross_entropy(self.logits(x).float(), y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.sched.step()

    @torch.no_grad()
    def val_accuracy(self) -> float:
        self.model.eval()
        right = total = 0
        for x, y in self.val_loader:
            right += (self.logits(x).argmax(1) == y).sum().item()
            total += len(y)
        return right / total

    def timed_steps(self, start: int, stop: int) -> float:
        """Trains steps 0..stop; seconds from the start of step ``start`` to the end of step ``stop``."""
        t0 = 0.0
        for i, (x, y) in enumerate(self.train_loader):
            if i == start:
                t0 = time.perf_counter()
            self.step(x, y)
            if i == stop:
                return time.perf_counter() - t0
        raise ValueError(f"the training split has fewer than {stop + 1} batches")

    def until(self, target: float, max_steps: int) -> tuple[float, float | None]:
        """(seconds, accuracy) when the validation accuracy first reaches ``target`` (NaN, None if never)."""
        t0, step = time.perf_counter(), 0
        while step < max_steps:
            for x, y in self.train_loader:
                self.step(x, y)
                step += 1
                if step % VAL_EVERY == 0 and (acc := self.val_accuracy()) >= target:
                    return time.perf_counter() - t0, acc
                if step >= max_steps:
                    break
        return math.nan, None


def cli_epochs(config: Path) -> int:
    """The preset's ``trainer.max_epochs``, read as data."""
    import yaml

    return int(yaml.safe_load(config.read_text())["trainer"]["max_epochs"])


def step_flops(task: VisionTask, datamodule, precision: str) -> float:
    """Model FLOPs of one training step (forward and backward of one batch), counted by torch's FLOP counter."""
    x, y = next(iter(datamodule.train_dataloader()))
    with FlopCounterMode(display=False) as counter:
        with torch.autocast("cpu", torch.bfloat16, enabled=precision.startswith("bf16")):
            loss = F.cross_entropy(task.model(x), y)
        loss.backward()
    task.model.zero_grad(set_to_none=True)
    return float(counter.get_total_flops())


def workloads(quick: bool = False) -> list[Workload]:
    """One workload: the preset `zoo vision fit` trains best on this machine (Fashion-MNIST's quick preset when
    Debian's files are there, else the digits')."""
    config = CONFIGS / preset_file("quick")
    runs = Path(tempfile.mkdtemp(prefix="zoo-perf-vision-"))
    steps = 10 if quick else 80  # about 6 s: long enough that a neighbour's burst moves a ratio little
    stop = WARMUP_STEPS + steps - 1
    task, datamodule, precision = build(config, runs)
    total = stop + 1
    counter = iter(range(10**6))

    def app_steps(*overrides: str) -> Timed:
        clock = StepClock(WARMUP_STEPS, stop)
        app_fit(config, runs, f"steps{next(counter)}", [clock], "--trainer.max_steps", str(total), *overrides)
        return Timed(clock.seconds, steps)

    def ours() -> Timed:
        return app_steps()

    def training_now() -> Timed:  # one training = the preset's epochs of steps, timed by a window of them
        return Timed(app_steps().seconds, steps / (epochs_now * per_epoch))

    def training_before() -> Timed:
        timed = app_steps("--precision", "32-true")
        return Timed(timed.seconds, steps / (epochs_before * per_epoch))

    def plain() -> Timed:
        fresh, data, _ = build(config, runs)
        return Timed(PlainLoop(fresh, data, precision, total).timed_steps(WARMUP_STEPS, stop), steps)

    flops = step_flops(task, datamodule, precision)
    precision_name = "bf16" if precision.startswith("bf16") else "fp32"
    pair = Pair("training step", "steps", Contender("ZooTask + Trainer", ours, flops, precision_name),
                Contender("plain PyTorch loop", plain, flops, precision_name), goal=round(1 / 1.05, 3))
    bf16 = precision_name == "bf16"
    # The preset as it trains now (`precision: auto`, its epochs) against as it trained before (fp32, its old
    # epochs): the time of one whole training, from the step time of each over the same window (the validation
    # passes, a few percent of an epoch, left out of both). The goal, 0.6x the time, is for CPUs with fast bf16.
    per_epoch = len(datamodule.train_dataloader())
    epochs_now = cli_epochs(config)
    epochs_before = PREVIOUS_EPOCHS.get(config.name, epochs_now)
    fp32_flops = step_flops(task, datamodule, "32-true")
    auto = Pair("training time: preset now vs before", "trainings",
                Contender(f"{config.stem}: {precision}, {epochs_now} epochs", training_now,
                          flops * epochs_now * per_epoch, precision_name),
                Contender(f"{config.stem} before: 32-true, {epochs_before} epochs", training_before,
                          fp32_flops * epochs_before * per_epoch, "fp32"),
                goal=round(1 / 0.6, 3) if bf16 else None)
    facts = {"preset": str(config.name), "precision": precision, "epochs": epochs_now,
             "epochs_before": epochs_before, "steps_per_epoch": per_epoch, "batch_size": datamodule.hparams.batch_size,
             "timed_steps": steps, "warmup_steps": WARMUP_STEPS}
    facts.update(race_to_accuracy(config, runs, precision, target=0.80 if quick else 0.88, quick=quick))
    atexit.register(shutil.rmtree, runs, True)  # the timed runs' folders: scratch, not results
    data_name = "Fashion-MNIST" if "fashion" in config.name else "digits"
    return [Workload(f"training loop ({data_name} CNN)", [pair, auto], facts)]


def race_to_accuracy(config: Path, runs: Path, precision: str, target: float, quick: bool) -> dict:
    """Wall seconds each side takes from its first step to a validation accuracy of ``target`` (validating every
    ``VAL_EVERY`` steps on the same split)."""
    max_steps = 600 if quick else 3000
    stop = StopAtTarget(VisionTask.monitor, target)
    app_fit(config, runs, "race", [stop], "--trainer.max_steps", str(max_steps),
            "--trainer.val_check_interval", str(VAL_EVERY), "--trainer.check_val_every_n_epoch", "null")
    task, datamodule, _ = build(config, runs)
    plain_seconds, plain_acc = PlainLoop(task, datamodule, precision, max_steps).until(target, max_steps)
    return {"target_val_acc": target, "ours_seconds_to_target": round(stop.seconds, 1),
            "ours_val_acc_at_target": stop.reached, "plain_seconds_to_target": round(plain_seconds, 1),
            "plain_val_acc_at_target": plain_acc,
            "time_to_target_ratio_ours_over_plain": round(stop.seconds / plain_seconds, 3)}
