"""What the model learnt: in-silico mutagenesis (ISM) and gradient x input per position, and on the generated data
the share of planted motif positions among the top-attributed positions (the pictures are drawn by plots.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .plots import plot_attribution, plot_scatter


@torch.no_grad()
def ism(task, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """x (L, 4) one-hot -> (L, 4): prediction change for each single-base substitution (0 at the reference)."""
    task.eval()
    length = x.shape[0]
    # The 4 x L variants are made one batch at a time: all at once they are 16 x L ** 2 values (6 GB at 10,000 nt).
    bases = torch.eye(4, dtype=x.dtype)
    preds = []
    for start in range(0, 4 * length, batch_size):
        index = torch.arange(start, min(start + batch_size, 4 * length))  # variant i: position i // 4, base i % 4
        batch = x.repeat(len(index), 1, 1)
        batch[torch.arange(len(index)), index // 4] = bases[index % 4]
        preds.append(task.standardised(batch))
    preds = torch.cat(preds)
    ref = task.standardised(x[None])[0]
    return (preds.view(length, 4) - ref).cpu()


def grad_x_input(task, x: torch.Tensor) -> torch.Tensor:
    """(N, L, 4) -> (N, L): gradient of the prediction with respect to the one-hot input, times the input."""
    task.eval()
    x = x.clone().requires_grad_(True)
    with torch.enable_grad():
        task.standardised(x).sum().backward()
    return (x.grad * x).sum(-1).detach()


def position_scores(deltas: torch.Tensor) -> torch.Tensor:
    """ISM (L, 4) -> (L,): how much the reference base matters = minus the mean change over its substitutions."""
    return -deltas.sum(-1) / 3


def motif_recovery(scores: np.ndarray, mask: np.ndarray) -> float:
    """Mean over sequences of |top-k positions by |score| intersected with planted| / k, k = planted positions."""
    shares = []
    for s, m in zip(scores, mask):
        k = int(m.sum())
        if k:
            top = np.argsort(-np.abs(s))[:k]
            shares.append(m[top].mean())
    return float(np.mean(shares)) if shares else float("nan")


def attribution_report(task, dm, run_dir: Path, n_recovery: int = 200, n_ism: int = 30) -> dict:
    """Scatter plot on the test split, attribution maps for two test sequences, motif recovery where known."""
    task.eval()
    x, y = dm.test_x, dm.test_y
    with torch.no_grad():
        pred = torch.cat([task(x[i:i + 512]) for i in range(0, len(x), 512)]).numpy()
    plots = [plot_scatter(pred, y.numpy(), run_dir / "plots" / "scatter.png",
                          f"{dm.hparams.dataset}: {task.model.model_name} (test split)")]
    metrics: dict[str, float] = {}
    test_idx = dm.split[2]
    mask = dm.truth.motif_mask[test_idx] if dm.truth is not None else None
    # Two examples: the highest predicted activity, and (generated data) the sequence with the most motif positions.
    picks = [int(np.argmax(pred))] + ([int(np.argmax(mask.sum(1)))] if mask is not None else [int(np.argmin(pred))])
    for j, i in enumerate(picks):
        deltas = ism(task, x[i])
        maps = {"ISM": position_scores(deltas).numpy(), "grad x input": grad_x_input(task, x[i:i + 1])[0].numpy()}
        plots.append(plot_attribution(x[i], maps, run_dir / "plots" / f"attribution_{j}.png",
                                      f"{dm.names[test_idx[i]]}: measured {float(y[i]):.2f}, predicted "
                                      f"{float(pred[i]):.2f}", None if mask is None else mask[i]))
    if mask is not None:
        n = min(n_recovery, len(x))
        gxi = torch.cat([grad_x_input(task, x[i:i + 256]) for i in range(0, n, 256)]).numpy()
        metrics["motif_recovery_grad_x_input"] = motif_recovery(gxi, mask[:n])
        ism_scores = np.stack([position_scores(ism(task, x[i])).numpy() for i in range(min(n, n_ism))])
        metrics["motif_recovery_ism"] = motif_recovery(ism_scores, mask[:len(ism_scores)])
        metrics["motif_recovery_chance"] = float(mask[:n].mean())
    return {"metrics": metrics, "plots": [str(p.relative_to(run_dir)) for p in plots]}
