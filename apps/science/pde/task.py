"""FieldTask: learn a solution operator (field -> field) with any zoo model built for the `field` kind.

Inputs and outputs are normalised by scalar statistics of the training set (scalars, not per-point, so the same
model applies at every resolution). The loss is the per-sample relative L2 error of the FNO papers.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import torch
from torchmetrics import MaxMetric

from zoo._hub import PREPROCESSING
from zoo._registry import model_info
from zoo.task import ZooTask

from .data import relative_l2
from .plots import plot_error_vs_resolution, plot_predictions


class FieldTask(ZooTask):
    monitor, monitor_mode, headline = "val_rel_l2", "min", "test_rel_l2"

    def __init__(self, *args, data_spec: dict | None = None, **kwargs):
        """
        Args:
            data_spec: filled in from the data module (channels, grid, normalisation); leave it unset.
        """
        self._spec = dict(data_spec or {})
        super().__init__(*args, **kwargs)
        s = self._spec
        for name in ("input_mean", "input_std", "target_mean", "target_std"):
            default = 1.0 if name.endswith("std") else 0.0
            self.register_buffer(name, torch.tensor(float(s.get(name, default))), persistent=False)

    def model_defaults(self) -> dict[str, Any]:
        s = self._spec
        kw = {"in_kind": "field", "in_channels": s.get("in_channels", 1), "num_outputs": s.get("num_outputs", 1),
              "ndim": s.get("ndim", 1)}
        if model_info(self.hparams.model).family == "fno":
            kw["periodic"] = s.get("periodic", True)
        return kw

    def configure_metrics(self) -> None:
        self.test_worst = MaxMetric()  # the mean is test_rel_l2, logged per batch like every stage

    def pretrained_files(self) -> dict[str, str]:
        """``preprocessing.json`` beside the weights: the model works in normalised units, and these turn physical
        inputs into them and its outputs back (`zoo export` puts them inside the ONNX graph)."""
        scales = {n: float(getattr(self, n)) for n in ("input_mean", "input_std", "target_mean", "target_std")}
        return {PREPROCESSING: json.dumps({"units": "physical = normalised * std + mean", **scales},
                                                 indent=2) + "\n"}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Physical input (B, C, *grid) -> physical prediction (B, C_out, *grid), at any resolution."""
        out = self.model((x - self.input_mean) / self.input_std)
        return out * self.target_std + self.target_mean

    def shared_step(self, batch, stage: str) -> torch.Tensor:
        x, y = batch
        err = relative_l2(self(x), y)  # (B,)
        loss = err.mean()
        self.log(f"{stage}_rel_l2", loss, prog_bar=stage != "test", on_step=stage == "train", on_epoch=True,
                 batch_size=len(x))
        if stage == "test":
            self.test_worst.update(err)
            self.log("test_rel_l2_worst", self.test_worst, on_epoch=True, on_step=False)
        return loss

    def predict_step(self, batch, batch_idx):
        return self(batch[0] if isinstance(batch, (list, tuple)) else batch)

    @torch.no_grad()
    def predict_all(self, x: torch.Tensor, batch_size: int = 50) -> tuple[torch.Tensor, float]:
        """Predictions for (N, C, *grid) in batches, and seconds per sample."""
        self.eval()
        device = self.input_mean.device
        start = time.perf_counter()
        out = torch.cat([self(x[i:i + batch_size].to(device)).cpu() for i in range(0, len(x), batch_size)])
        return out, (time.perf_counter() - start) / len(x)

    def evaluate_run(self, datamodule, run_dir) -> dict:
        """Relative L2 at the training and every evaluation resolution, time per sample and the pictures."""
        hp = datamodule.hparams
        resolutions = sorted({hp.resolution, *(hp.eval_resolutions or [])})
        metrics, errors = {}, {}
        for r in resolutions:
            x, y = datamodule.test_at(r)
            try:
                pred, seconds = self.predict_all(x)
            except ValueError as e:  # e.g. a patch size that does not divide this grid: report, go on
                if r == hp.resolution:
                    raise
                print(f"not evaluated at {r} points: {e}")
                continue
            err = relative_l2(pred, y)
            errors[r] = err
            metrics[f"test_rel_l2_at_{r}"] = float(err.mean())
            metrics[f"test_rel_l2_worst_at_{r}"] = float(err.max())
            if r == hp.resolution:
                metrics["model_s_per_sample"] = seconds
                x_train_res, y_train_res, pred_train_res = x, y, pred
        run_dir = Path(run_dir)
        plots = [plot_predictions(x_train_res, y_train_res, pred_train_res, errors[hp.resolution],
                                  run_dir / "plots" / "predictions.png", title=f"{hp.pde}: {self.model.model_name}")]
        if len(resolutions) > 1:
            plots.append(plot_error_vs_resolution(
                {r: float(e.mean()) for r, e in errors.items()}, hp.resolution,
                run_dir / "plots" / "error_vs_resolution.png", title=f"{hp.pde}: {self.model.model_name}"))
        return {"metrics": metrics, "plots": [str(p.relative_to(run_dir)) for p in plots]}
