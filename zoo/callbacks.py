"""Callbacks: GradientHealth (the course's exploding/vanishing gradients, measured), FitTimer (throughput),
LastCheckpoint (resume where a run stopped), StopOnNonFinite (NaN never reaches a saved model) and RankReport (what
each process of a distributed fit did)."""

from __future__ import annotations

import hashlib
import math
import time
from pathlib import Path

import lightning as L
import torch
import torch.nn as nn
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.utilities import rank_zero_warn
from lightning.pytorch.utilities.exceptions import SIGTERMException

from .errors import Diverged


def layer_grad_norms(module: nn.Module) -> list[tuple[str, float]]:
    """L2 norm of the gradient of every weight matrix or kernel (ndim >= 2), input side first."""
    return [(name, float(p.grad.detach().norm())) for name, p in module.named_parameters()
            if p.grad is not None and p.ndim >= 2]


def diagnose(norms: list[tuple[str, float]], vanish_ratio: float = 1e-4, vanish_norm: float = 1e-7,
             explode_norm: float = 1e3) -> tuple[str, str]:
    """Verdict on one set of per-layer gradient norms: ``("healthy"|"vanishing"|"exploding", detail)``.

    Exploding: a norm that is not finite or above ``explode_norm``. Vanishing: a layer's norm is below
    ``vanish_norm``, or below ``vanish_ratio`` times the largest (some layers stop learning while others move).
    The absolute floor matters: when the forward signal dies, every layer's gradient is tiny, the head's too.
    """
    if not norms:
        return "healthy", "no gradients"
    for name, n in norms:
        if not math.isfinite(n):
            return "exploding", f"gradient of {name} is {n}"
    big_name, big = max(norms, key=lambda t: t[1])
    small_name, small = min(norms, key=lambda t: t[1])
    if big > explode_norm:
        return "exploding", f"gradient norm of {big_name} is {big:.3g} (> {explode_norm:g})"
    if small < vanish_norm or small / big < vanish_ratio:
        ratio = small / big if big else 0.0
        return "vanishing", (f"gradient norm of {small_name} is {small:.3g} ({ratio:.2g} x the largest, "
                             f"{big_name}'s {big:.3g}); thresholds: {vanish_norm:g} absolute, {vanish_ratio:g} relative")
    return "healthy", f"norms from {small:.3g} ({small_name}) to {big:.3g} ({big_name})"


class GradientHealth(L.Callback):
    """Log per-layer gradient norms every ``every_n_steps`` and warn, naming the layer, when they vanish or explode.

    With a ``run_dir``, at the end of fit it writes ``gradient_health.json`` (every check's norms and verdict) and
    ``plots/gradient_norms.png`` (norm by depth, first and last check) there; without one it writes nothing
    (``history`` and ``verdicts`` hold the results).
    """

    def __init__(self, every_n_steps: int = 50, vanish_ratio: float = 1e-4, vanish_norm: float = 1e-7,
                 explode_norm: float = 1e3, log_norms: bool = True, plot: bool = True,
                 run_dir: str | Path | None = None):
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.every_n_steps, self.explode_norm = every_n_steps, explode_norm
        self.vanish_ratio, self.vanish_norm = vanish_ratio, vanish_norm
        self.log_norms, self.plot = log_norms, plot
        self.history: list[tuple[int, list[tuple[str, float]]]] = []
        self.verdicts: list[tuple[int, str, str]] = []

    def on_before_optimizer_step(self, trainer, pl_module, optimizer) -> None:
        step = trainer.global_step
        if step % self.every_n_steps:
            return
        norms = layer_grad_norms(pl_module)
        self.history.append((step, norms))
        verdict, detail = diagnose(norms, self.vanish_ratio, self.vanish_norm, self.explode_norm)
        self.verdicts.append((step, verdict, detail))
        if verdict != "healthy":
            rank_zero_warn(f"GradientHealth: {verdict} gradients at step {step}: {detail}")
        if self.log_norms and trainer.loggers:
            for logger in trainer.loggers:
                logger.log_metrics({f"grad_norm/{n}": v for n, v in norms}, step=step)

    def on_fit_end(self, trainer, pl_module) -> None:
        if not (self.history and trainer.is_global_zero and self.run_dir is not None):
            return
        from .outputs import write_json

        run_dir = self.run_dir
        write_json(run_dir / "gradient_health.json", {
            "checks": [{"step": s, "norms": [list(t) for t in norms]} for s, norms in self.history],  # input first
            "verdicts": [{"step": s, "verdict": v, "detail": d} for s, v, d in self.verdicts]})
        if self.plot:
            self.save_plot(run_dir / "plots" / "gradient_norms.png")

    def save_plot(self, path: Path) -> Path:
        from .outputs import plot_gradient_norms

        picks = [self.history[0]] + ([self.history[-1]] if len(self.history) > 1 else [])
        return plot_gradient_norms({f"step {s}": norms for s, norms in picks}, path)


class FitTimer(L.Callback):
    """Wall-clock seconds of fit and training samples per second (first batch dimension of each batch)."""

    def __init__(self):
        self.seconds, self.samples = 0.0, 0
        self._start = None

    def on_train_start(self, trainer, pl_module):
        self._start = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self.samples += first_dim(batch) * trainer.world_size

    def on_train_end(self, trainer, pl_module):
        if self._start is not None:
            self.seconds = time.perf_counter() - self._start

    @property
    def samples_per_second(self) -> float:
        return self.samples / self.seconds if self.seconds else 0.0


def first_dim(batch) -> int:
    """The number of samples in a batch: the first dimension of its (first) tensor; 0 when it has none."""
    first = batch[0] if isinstance(batch, (list, tuple)) else batch
    return first.shape[0] if isinstance(first, torch.Tensor) else 0


def weights_digest(module: nn.Module) -> str:
    """SHA-256 of the module's parameters and buffers, in order: replicas with equal weights have equal digests."""
    digest = hashlib.sha256()
    for name, value in module.state_dict().items():
        digest.update(name.encode())
        digest.update(value.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


class RankReport(L.Callback):
    """In a distributed fit (world size > 1), each process writes ``<run_dir>/ranks/rank<R>.json`` at its end: its
    place (global rank, node rank, local rank, world size, backend), the training samples it saw and its sampler's
    share of the data, and a digest of its weights. Synchronised replicas end with one digest; the samples show
    that each process had its own share. On a cluster without a shared disk each node keeps its own files."""

    def __init__(self, run_dir: str | Path):
        self.run_dir = Path(run_dir)
        self.samples = self.batches = 0

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.samples += first_dim(batch)
        self.batches += 1

    def on_fit_end(self, trainer, pl_module) -> None:
        if trainer.world_size < 2:
            return
        sampler = getattr(trainer.train_dataloader, "sampler", None)
        report = {
            "global_rank": trainer.global_rank, "node_rank": trainer.node_rank, "local_rank": trainer.local_rank,
            "world_size": trainer.world_size, "num_nodes": trainer.num_nodes,
            "backend": torch.distributed.get_backend() if torch.distributed.is_initialized() else None,
            "epochs": trainer.current_epoch, "steps": trainer.global_step,
            "samples_seen": self.samples, "batches_seen": self.batches,
            "sampler": type(sampler).__name__ if sampler is not None else None,
            "sampler_rank": getattr(sampler, "rank", None), "sampler_replicas": getattr(sampler, "num_replicas", None),
            "samples_per_epoch": getattr(sampler, "num_samples", None),
            "dataset_size": len(sampler.dataset) if hasattr(sampler, "dataset") else None,
            "weights_sha256": weights_digest(pl_module),
        }
        from .outputs import write_json

        write_json(self.run_dir / "ranks" / f"rank{trainer.global_rank}.json", report)  # no link followed


class LastCheckpoint(ModelCheckpoint):
    """``last.ckpt`` after every training epoch (its validation included) and when a fit is stopped by Ctrl-C or
    SIGTERM, so ``--ckpt_path last`` resumes where the run stopped, not at the last improvement. (With
    ``save_last=True`` beside a monitored best, Lightning writes ``last`` only when the best is written.)"""

    def __init__(self, dirpath: str | Path):
        super().__init__(dirpath=dirpath, filename="last", monitor=None, save_top_k=1, save_on_train_epoch_end=True,
                         enable_version_counter=False)

    def on_exception(self, trainer, pl_module, exception: BaseException) -> None:
        stopped = isinstance(exception, (KeyboardInterrupt, SIGTERMException))
        if stopped and trainer.state.fn == "fit" and not trainer.sanity_checking and trainer.global_step > 0:
            self._save_checkpoint(trainer, str(Path(self.dirpath) / "last.ckpt"))


class StopOnNonFinite(L.Callback):
    """Stop a fit with a clear message the moment the training loss or the monitored validation metric is NaN or
    infinite. It runs before the checkpoint callbacks, so no checkpoint of the diverged model is written and the
    last good ``last.ckpt`` / ``best.ckpt`` stay as they were."""

    def __init__(self, monitor: str | None = None):
        self.monitor = monitor

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if torch.is_tensor(loss) and not torch.isfinite(loss).all():
            self._stop(trainer, f"the training loss is {float(loss)}")

    def on_validation_end(self, trainer, pl_module) -> None:
        value = trainer.callback_metrics.get(self.monitor) if self.monitor else None
        if not trainer.sanity_checking and value is not None and not torch.isfinite(value).all():
            self._stop(trainer, f"{self.monitor} is {float(value)}")

    @staticmethod
    def _stop(trainer, what: str) -> None:
        raise Diverged(f"training diverged: {what} at epoch {trainer.current_epoch}, step {trainer.global_step}; "
                       "nothing was saved from this point (the last good checkpoints are kept). Try a lower "
                       "learning rate, gradient clipping (--trainer.gradient_clip_val) or check the data for "
                       "extreme values.")


def read_gradient_health(path: str | Path) -> list[dict]:
    """The checks of a ``gradient_health.json`` (``[{"step": int, "norms": [[layer, norm], ...]}, ...]``), read as
    data: a file of another shape is an ``InputError`` naming it. A missing file has no checks."""
    from .errors import InputError
    from .trust.reader import read_data

    path = Path(path)
    if not path.is_file():
        return []
    data = read_data(path, root=path.parent)  # bounded plain JSON (zoo.trust.reader)
    try:
        checks = data.get("checks")
        out = [{"step": int(c["step"]), "norms": [(str(name), float(norm)) for name, norm in c["norms"]]}
               for c in checks]
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        raise InputError(f"{path}: expected {{\"checks\": [{{\"step\": N, \"norms\": [[layer, norm], ...]}}]}} "
                         f"({type(e).__name__}: {e})") from None
    return out
