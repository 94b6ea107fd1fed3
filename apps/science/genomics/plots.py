"""The genomics run's pictures: attribution maps (bars coloured by base, planted motifs shaded) and predicted vs
measured activity."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from scipy.stats import pearsonr, spearmanr  # noqa: E402

from zoo.runtime.report import save_figure  # noqa: E402

BASE_COLOURS = ["tab:green", "tab:blue", "tab:orange", "tab:red"]  # A, C, G, T


def plot_attribution(x: torch.Tensor, maps: dict[str, np.ndarray], out_png: Path, title: str,
                     motif_mask: np.ndarray | None = None) -> Path:
    """One row per map: per-position importance as bars coloured by the reference base; planted motifs shaded."""
    bases = x.argmax(-1).numpy()
    known = x.sum(-1).numpy() > 0
    fig, axes = plt.subplots(len(maps), 1, figsize=(12, 2.2 * len(maps)), squeeze=False)
    for ax, (name, score) in zip(axes[:, 0], maps.items()):
        colours = [BASE_COLOURS[b] if k else "0.7" for b, k in zip(bases, known)]
        ax.bar(np.arange(len(score)), score, color=colours, width=1.0)
        if motif_mask is not None:
            for start in np.flatnonzero(np.diff(np.r_[0, motif_mask.astype(int)]) == 1):
                end = start + np.argmax(~motif_mask[start:]) if (~motif_mask[start:]).any() else len(motif_mask)
                ax.axvspan(start - 0.5, end - 0.5, color="gold", alpha=0.25, lw=0)
        ax.set_ylabel(name, fontsize=9)
        ax.set_xlim(-0.5, len(score) - 0.5)
    axes[-1, 0].set_xlabel("position (bars coloured by base: A green, C blue, G orange, T red"
                           + ("; planted motifs shaded)" if motif_mask is not None else ")"))
    fig.suptitle(title, fontsize=10)
    return save_figure(fig, out_png)


def plot_scatter(pred: np.ndarray, true: np.ndarray, out_png: Path, title: str) -> Path:
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.scatter(true, pred, s=4, alpha=0.4)
    lo, hi = float(min(true.min(), pred.min())), float(max(true.max(), pred.max()))
    ax.plot([lo, hi], [lo, hi], color="0.5", lw=1, ls="--")
    ax.set_xlabel("measured")
    ax.set_ylabel("predicted")
    ax.set_title(f"{title}\nPearson {pearsonr(pred, true)[0]:.3f}, Spearman {spearmanr(pred, true)[0]:.3f}",
                 fontsize=9)
    return save_figure(fig, out_png)
