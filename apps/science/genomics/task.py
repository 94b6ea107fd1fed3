"""ActivityTask: DNA one-hot (B, L, 4) -> activity, with any zoo model built for the `sequence` kind.

Training sees each sequence or its reverse complement (a regulatory element works on either strand), optionally
moved by a few bases; validation, test and prediction average the two orientations, which makes the prediction
exactly strand-invariant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torchmetrics import MeanSquaredError, MetricCollection, PearsonCorrCoef, SpearmanCorrCoef

from zoo.task import ZooTask
from zoo.trust.bounds import GENOMICS_INTS, whole

from .sequences import random_shift, reverse_complement


class ActivityTask(ZooTask):
    monitor, monitor_mode, headline = "val_pearson", "max", "test_pearson"

    def __init__(self, *args, data_spec: dict | None = None, rc_average: bool = True, ism_sequences: int = 30,
                 **kwargs):
        """
        Args:
            data_spec: filled in from the data module (length, target statistics); leave it unset.
            rc_average: average the predictions for a sequence and its reverse complement (val, test, predict).
            ism_sequences: test sequences whose in-silico mutagenesis gives the ISM motif recovery after the fit
                (each costs 3 x length x 2 forward passes; the demo preset takes a few).
        """
        self._spec = dict(data_spec or {})
        whole(ism_sequences, "ism_sequences", *GENOMICS_INTS["ism_sequences"])  # each costs 6 x length passes
        super().__init__(*args, **kwargs)
        self.target_mean = float(self._spec.get("target_mean", 0.0))
        self.target_std = float(self._spec.get("target_std", 1.0))

    def model_defaults(self) -> dict[str, Any]:
        return {"in_kind": "sequence", "in_channels": 4, "num_outputs": 1}

    def configure_metrics(self) -> None:
        self.metric_collections(MetricCollection({"pearson": PearsonCorrCoef(), "spearman": SpearmanCorrCoef(),
                                                  "mse": MeanSquaredError()}))

    def standardised(self, x: torch.Tensor, rc_average: bool | None = None) -> torch.Tensor:
        """(B, L, 4) -> (B,) prediction in standardised units."""
        rc = self.hparams.rc_average if rc_average is None else rc_average
        out = self.model(x).squeeze(-1)
        return 0.5 * (out + self.model(reverse_complement(x)).squeeze(-1)) if rc else out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, 4) one-hot -> (B,) activity in the data's units."""
        return self.standardised(x) * self.target_std + self.target_mean

    def shared_step(self, batch, stage: str) -> torch.Tensor:
        x, y = batch
        if stage == "train":
            if self._spec.get("rc_augment", True):
                flip = torch.rand(len(x), device=x.device) < 0.5
                x = torch.where(flip[:, None, None], reverse_complement(x), x)
            x = random_shift(x, int(self._spec.get("max_shift", 0)))
            pred = self.standardised(x, rc_average=False)
        else:
            pred = self.standardised(x)
        loss = F.mse_loss(pred, (y - self.target_mean) / self.target_std)
        self.log_loss(stage, loss, len(y))
        if stage != "train":
            self.update_stage_metrics(stage, pred.float() * self.target_std + self.target_mean, y)
        return loss

    def predict_step(self, batch, batch_idx):
        return self(batch[0] if isinstance(batch, (list, tuple)) else batch)

    def evaluate_run(self, datamodule, run_dir) -> dict:
        from .interpret import attribution_report

        return attribution_report(self, datamodule, Path(run_dir), n_ism=self.hparams.ism_sequences)
