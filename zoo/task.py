"""ZooTask: the LightningModule every app subclasses (torchgeo style).

It owns what apps share: the model by registry name, initialisation, optimiser and schedule, backbone freezing
and per-group learning rates. Apps fill in ``configure_losses``, ``configure_metrics`` and ``shared_step``.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import lightning as L
import torch
import torch.nn as nn
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy

from ._hub import from_pretrained
from ._registry import create_model
from .init import init_weights
from .trust.reader import check_plain

PROGRESS_EVERY = 10  # steps between the training losses the progress bar shows


class ZooTask(L.LightningModule):
    monitor: str = "val_loss"  # what checkpointing keeps the best of
    monitor_mode: str = "min"
    headline: str = "test_loss"  # the one held-out number a report leads with

    def __init__(
        self,
        model: str = "cnn_small",
        model_kwargs: dict | None = None,
        init_from: str | None = None,
        model_config: dict | None = None,
        optimizer: Literal["adamw", "sgd"] = "adamw",
        lr: float = 1e-3,
        weight_decay: float = 0.01,
        momentum: float = 0.9,
        schedule: Literal["constant", "cosine", "onecycle", "step"] = "cosine",
        warmup_steps: int = 0,
        step_every_epochs: int = 10,
        step_gamma: float = 0.1,
        init: Literal["default", "kaiming", "xavier", "orthogonal"] = "default",
        freeze_backbone_epochs: int = 0,
        backbone_lr_scale: float = 1.0,
    ):
        """
        Args:
            model: registry name (``zoo models`` lists them).
            model_kwargs: arguments for ``create_model`` (in_kind, in_channels, num_outputs, depth, width, ...).
            init_from: a folder written by ``save_pretrained`` to start from (fine-tuning); the head is reset
                when ``model_kwargs['num_outputs']`` differs from the saved one.
            model_config: filled in automatically with the built model's config, so that a checkpoint rebuilds
                the model without the ``init_from`` folder. Leave it unset.
            optimizer: AdamW, or SGD with (Nesterov) momentum.
            lr: peak learning rate (the head's; the backbone gets ``lr * backbone_lr_scale``).
            weight_decay: decoupled for AdamW, L2 for SGD; never applied to biases and norm parameters.
            momentum: SGD momentum.
            schedule: learning-rate shape after warm-up, stepped every optimiser step.
            warmup_steps: linear warm-up from 0 over this many steps.
            step_every_epochs: for ``schedule='step'``: multiply by ``step_gamma`` every this many epochs.
            step_gamma: see ``step_every_epochs``.
            init: weight initialisation scheme (ignored with ``init_from``).
            freeze_backbone_epochs: train only the head for the first N epochs.
            backbone_lr_scale: backbone learning rate relative to the head's (e.g. 0.1 when fine-tuning).
        """
        super().__init__()
        self.save_hyperparameters()
        # Plain `dict` (not dict[str, Any]) in signatures, so jsonargparse never instantiates a class_path inside;
        # one that arrives another way (any subclass argument included) is refused here, before anything is built.
        check_plain(dict(self.hparams), type(self).__name__)
        self._train_loss_sum, self._train_loss_count = 0.0, 0  # this epoch's (sum of batch losses x sizes, size)
        self.configure_models()
        self.configure_losses()
        self.configure_metrics()

    # -- hooks apps override ---------------------------------------------------------------------
    def model_defaults(self) -> dict[str, Any]:
        """Model arguments the data decides (e.g. channels, classes, vocabulary); ``model_kwargs`` override them."""
        return {}

    def configure_models(self) -> None:
        hp = self.hparams
        # Stored back in hparams (not just used): under LightningCLI hparams are what checkpoints save and restore.
        kwargs = {**self.model_defaults(), **(hp.model_kwargs or {})}
        hp["model_kwargs"] = kwargs
        if hp.model_config:
            config = dict(hp.model_config)
            self.model = create_model(config.pop("name"), **config)
        elif hp.init_from:
            self.model = from_pretrained(hp.init_from, num_outputs=kwargs.get("num_outputs"))
        else:
            self.model = init_weights(create_model(hp.model, **kwargs), hp.init)
        self.hparams["model_config"] = self.model.config

    def configure_losses(self) -> None:
        """Set ``self.criterion``."""

    def configure_metrics(self) -> None:
        """Set torchmetrics collections, e.g. with ``self.metric_collections(MetricCollection(...))``."""

    def chance_level(self) -> float | None:
        """The headline a model that learned nothing scores (a leaderboard reports a run near it as a budget
        failure, not as a result); None where no such level is defined."""
        return None

    def pretrained_files(self) -> dict[str, str]:
        """Files (name -> text) saved beside the weights in the run's ``model/`` folder, e.g. a tokenizer."""
        return {}

    def shared_step(self, batch: Any, stage: str) -> torch.Tensor:
        """Loss of one batch for ``stage`` in train/val/test; log what should be logged."""
        raise NotImplementedError(f"{type(self).__name__} must implement shared_step(batch, stage)")

    def evaluate_run(self, datamodule, run_dir) -> dict:
        """After fit and test (see ``zoo.runtime.finish.finish_run``): app-specific held-out evaluation.

        Return ``{"metrics": {name: float}, "plots": [paths relative to run_dir]}``; both end up in metrics.json
        and the report.
        """
        return {}

    # -- shared machinery ------------------------------------------------------------------------
    def metric_collections(self, metrics: MetricCollection) -> None:
        """One clone per stage (keys ``train_``, ``val_``, ``test_``: ModuleDict forbids ``train``), logged as
        ``<stage>_<name>``."""
        self.stage_metrics = nn.ModuleDict({f"{s}_": metrics.clone(prefix=f"{s}_") for s in ("train", "val", "test")})

    def update_stage_metrics(self, stage: str, preds: torch.Tensor, target: torch.Tensor) -> None:
        """Update ``stage``'s metrics with one batch. Validation and test metrics are logged here (epoch means);
        training metrics only update here and are logged once per epoch by ``on_train_epoch_end``: a
        ``self.log`` costs Lightning about a millisecond, which every training step would pay."""
        metrics = self.stage_metrics[f"{stage}_"]
        metrics.update(preds, target)
        if stage != "train":
            self.log_dict(metrics, prog_bar=stage == "val", on_epoch=True, on_step=False)

    def log_loss(self, stage: str, loss: torch.Tensor, batch_size: int) -> None:
        """Log ``stage``'s loss. Validation and test: the epoch's mean as ``<stage>_loss``. Training: the batch's
        loss as ``train_loss`` on the first step, every ``PROGRESS_EVERY`` steps and on the steps the logger writes
        (``log_every_n_steps``), and the epoch's mean as ``train_loss_epoch`` at its end. Why not Lightning's
        ``on_step=True, on_epoch=True`` on every step: each ``self.log`` costs about a millisecond (it moves and
        copies its result state), a few percent of a small CNN's training step; summing here costs nothing."""
        if stage != "train":
            self.log(f"{stage}_loss", loss, prog_bar=stage == "val", on_epoch=True, batch_size=batch_size)
            return
        self._train_loss_sum = self._train_loss_sum + loss.detach().float() * batch_size  # stays on the device
        self._train_loss_count += batch_size
        step = self.global_step + 1
        every = self._trainer.log_every_n_steps if self._trainer is not None else 1
        if step == 1 or step % PROGRESS_EVERY == 0 or (every and step % every == 0):
            self.log("train_loss", loss, prog_bar=True, on_step=True, on_epoch=False, batch_size=batch_size)

    def on_train_epoch_start(self) -> None:
        self._train_loss_sum, self._train_loss_count = 0.0, 0
        self.freeze_backbone_for_epoch()

    def on_train_epoch_end(self) -> None:
        if self._train_loss_count:
            self.log("train_loss_epoch", self._train_loss_sum / self._train_loss_count)
            self._train_loss_sum, self._train_loss_count = 0.0, 0
        train = self.stage_metrics["train_"] if hasattr(self, "stage_metrics") else None
        if train is not None and any(m.update_called for m in train.values()):
            self.log_dict(train.compute())
            train.reset()

    def forward(self, *args, **kwargs):
        return self.model(*args, **kwargs)

    def training_step(self, batch, batch_idx):
        return self.shared_step(batch, "train")

    def validation_step(self, batch, batch_idx):
        return self.shared_step(batch, "val")

    def test_step(self, batch, batch_idx):
        return self.shared_step(batch, "test")

    def freeze_backbone_for_epoch(self) -> None:
        """Backbone frozen for the first ``freeze_backbone_epochs`` epochs (fine-tuning), trainable after."""
        if not self.hparams.freeze_backbone_epochs:
            return  # leave any freezing a user did by hand alone
        frozen = self.current_epoch < self.hparams.freeze_backbone_epochs
        for p in self.model.backbone_parameters():
            p.requires_grad_(not frozen)

    def param_groups(self) -> list[dict]:
        """Head and backbone groups, each split into decayed weights and undecayed biases/norms."""
        hp = self.hparams
        head_ids = {id(p) for p in self.model.head_parameters()}
        groups: dict[tuple[bool, bool], list] = {}
        for p in self.parameters():
            decay = p.ndim >= 2  # weight matrices and kernels; not biases, norm scales
            groups.setdefault((id(p) in head_ids, decay), []).append(p)
        return [
            {"params": ps, "lr": hp.lr * (1.0 if is_head else hp.backbone_lr_scale),
             "weight_decay": hp.weight_decay if decay else 0.0}
            for (is_head, decay), ps in sorted(groups.items())
        ]

    def configure_optimizers(self):
        hp = self.hparams
        groups = self.param_groups()
        if hp.optimizer == "adamw":
            opt = torch.optim.AdamW(groups, lr=hp.lr)
        else:
            opt = torch.optim.SGD(groups, lr=hp.lr, momentum=hp.momentum, nesterov=hp.momentum > 0)
        total = self.trainer.estimated_stepping_batches
        total = int(total) if math.isfinite(total) else None
        if hp.schedule == "onecycle":
            if total is None:
                raise ValueError("schedule='onecycle' needs a known length: set trainer.max_epochs or max_steps")
            pct = hp.warmup_steps / total if hp.warmup_steps else 0.3
            sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[g["lr"] for g in groups], total_steps=total,
                                                        pct_start=min(max(pct, 1e-3), 0.99))
        else:
            sched = torch.optim.lr_scheduler.LambdaLR(opt, self._lr_factor(total))
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    def _lr_factor(self, total: int | None):
        hp = self.hparams
        warm = hp.warmup_steps
        max_epochs = self.trainer.max_epochs if self.trainer.max_epochs and self.trainer.max_epochs > 0 else None
        steps_per_epoch = total / max_epochs if total and max_epochs else None

        def factor(step: int) -> float:
            if step < warm:
                return (step + 1) / warm
            if hp.schedule == "cosine" and total:
                progress = min(1.0, (step - warm) / max(1, total - warm))
                return 0.5 * (1.0 + math.cos(math.pi * progress))
            if hp.schedule == "step" and steps_per_epoch:
                return hp.step_gamma ** int(step // (hp.step_every_epochs * steps_per_epoch))
            return 1.0

        return factor


class ClassificationTask(ZooTask):
    """Cross-entropy classification with accuracy; batches are ``(inputs, labels)``."""

    monitor, monitor_mode, headline = "val_acc", "max", "test_acc"

    def __init__(self, *args, label_smoothing: float = 0.0, **kwargs):
        """
        Args:
            label_smoothing: cross-entropy label smoothing.
        """
        self._label_smoothing = label_smoothing  # read by configure_losses, which the base __init__ calls
        super().__init__(*args, **kwargs)

    @property
    def num_classes(self) -> int:
        return int(self.model.config["num_outputs"])

    def chance_level(self) -> float:
        """Accuracy of guessing among the classes."""
        return 1.0 / self.num_classes

    def configure_losses(self) -> None:
        self.criterion = nn.CrossEntropyLoss(label_smoothing=self._label_smoothing)

    def configure_metrics(self) -> None:
        self.metric_collections(MetricCollection({"acc": MulticlassAccuracy(self.num_classes, average="micro")}))

    def shared_step(self, batch, stage: str) -> torch.Tensor:
        x, y = batch
        logits = self(x)  # (B, K)
        loss = self.criterion(logits, y)
        self.log_loss(stage, loss, len(y))
        self.update_stage_metrics(stage, logits, y)
        return loss

    def predict_step(self, batch, batch_idx):
        x = batch[0] if isinstance(batch, (list, tuple)) else batch
        return self(x).softmax(dim=-1)  # (B, K) class probabilities
