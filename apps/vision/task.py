"""VisionTask: image classification on [0, 1] images; normalisation, optional PGD adversarial training, and the
full held-out evaluation (calibration, corruptions, attacks) at the end of fit."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch

from zoo._hub import PREPROCESSING
from zoo.task import ClassificationTask

from .evaluation import evaluate
from .robustness import pgd


class VisionTask(ClassificationTask):
    def __init__(self, *args, data_spec: dict | None = None, adversarial_training: bool = False,
                 adv_eps: float = 2 / 255, adv_steps: int = 5, eval_samples: int = 2000, **kwargs):
        """
        Args:
            data_spec: the data module's ``spec`` (class names, channels, size, mean/std); linked automatically by
                the CLI. Fills in ``model_kwargs`` in_kind/in_channels/num_outputs/image_size where they are unset.
            adversarial_training: train on PGD adversarial examples (Madry et al.) instead of clean images.
            adv_eps: L-infinity radius of the training attack, in [0, 1] pixel units.
            adv_steps: PGD steps of the training attack.
            eval_samples: test images used for the corruption and adversarial evaluation (seeded subset).
        """
        super().__init__(*args, **kwargs)
        spec = data_spec or {}
        c = int(self.model.config.get("in_channels", 1))
        mean, std = spec.get("mean", [0.0] * c), spec.get("std", [1.0] * c)
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(-1, 1, 1))

    def model_defaults(self) -> dict[str, Any]:
        spec = self.hparams.get("data_spec") or {}
        if not spec:
            return {}
        return {"in_kind": "image", "in_channels": spec["in_channels"], "num_outputs": len(spec["class_names"]),
                "image_size": spec["image_size"]}

    @property
    def class_names(self) -> list[str]:
        spec = self.hparams.data_spec or {}
        return list(spec.get("class_names") or range(self.num_classes))

    def pretrained_files(self) -> dict[str, str]:
        """``preprocessing.json`` beside the weights: what the model expects of an image (its normalisation, size,
        channels) and what its outputs mean (class names), for `zoo export`, `zoo serve` and anyone's own code."""
        spec = self.hparams.get("data_spec") or {}
        return {PREPROCESSING: json.dumps({
            "pixels": "[0, 1], (B, C, H, W)", "mean": self.mean.flatten().tolist(), "std": self.std.flatten().tolist(),
            "image_size": spec.get("image_size"), "in_channels": int(self.model.config.get("in_channels", 1)),
            "class_names": [str(c) for c in self.class_names]}, indent=2) + "\n"}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[0, 1] images (B, C, H, W) -> logits (B, K)."""
        return self.model((x - self.mean) / self.std)

    def training_step(self, batch, batch_idx):
        if self.hparams.adversarial_training:
            x, y = batch
            batch = (pgd(self, x, y, self.hparams.adv_eps, self.hparams.adv_steps), y)
        return self.shared_step(batch, "train")

    def evaluate_run(self, datamodule, run_dir) -> dict:
        if not hasattr(datamodule, "test_x") or (self._trainer is not None and self.trainer.fast_dev_run):
            return {}  # a fast dev run checks the plumbing, not the model
        names = [str(n) for n in self.class_names]
        # In the precision the run trained in (bf16 autocast for bf16-mixed): the attacks' forward and backward
        # passes are most of the evaluation's time, and the model was fitted at that precision anyway.
        precision = self.trainer.precision_plugin.forward_context() if self._trainer is not None else nullcontext()
        with precision:
            result = evaluate(self, datamodule.test_x, datamodule.test_y, names, Path(run_dir),
                              max_samples=self.hparams.eval_samples)
        return {"metrics": result["metrics"], "plots": result["plots"]}
