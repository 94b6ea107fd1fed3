"""The PDE app's pictures: prediction against truth for a few test samples, and error against resolution."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from zoo.runtime.report import save_figure  # noqa: E402


def plot_predictions(x: torch.Tensor, y: torch.Tensor, pred: torch.Tensor, err: torch.Tensor, out_png: Path,
                     title: str = "", n: int = 3) -> Path:
    """1-D: input, truth and prediction per sample. 2-D: input, truth, prediction and error maps per row.
    Shows the best, the median and the worst test sample by relative L2."""
    order = torch.argsort(err)
    picks = [int(order[0]), int(order[len(order) // 2]), int(order[-1])][:n]
    labels = ["best", "median", "worst"]
    if x.dim() == 3:
        fig, axes = plt.subplots(1, len(picks), figsize=(4.5 * len(picks), 3.2), squeeze=False)
        grid = np.arange(x.shape[-1]) / x.shape[-1]
        for ax, i, label in zip(axes[0], picks, labels):
            ax.plot(grid, x[i, 0], color="0.7", lw=1, label="input u(x, 0)")
            ax.plot(grid, y[i, 0], color="k", lw=1.5, label="truth")
            ax.plot(grid, pred[i, 0], "--", color="tab:red", lw=1.2, label="prediction")
            ax.set_title(f"{label}: rel. L2 {float(err[i]):.2e}", fontsize=9)
            ax.set_xlabel("x")
        axes[0][0].legend(fontsize=8)
    else:
        fig, axes = plt.subplots(len(picks), 4, figsize=(11, 2.8 * len(picks)), squeeze=False)
        for row, i, label in zip(axes, picks, labels):
            t, p = y[i, 0].numpy(), pred[i, 0].numpy()
            vmin, vmax = t.min(), t.max()
            for ax, img, name, kw in ((row[0], x[i, 0].numpy(), "input", {}),
                                      (row[1], t, "truth", dict(vmin=vmin, vmax=vmax)),
                                      (row[2], p, "prediction", dict(vmin=vmin, vmax=vmax)),
                                      (row[3], p - t, f"error ({label}, {float(err[i]):.1e})", dict(cmap="RdBu_r"))):
                im = ax.imshow(img.T, origin="lower", **kw)
                ax.set_title(name, fontsize=9)
                ax.set_xticks([])
                ax.set_yticks([])
                fig.colorbar(im, ax=ax, fraction=0.046)
    fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, out_png)


def plot_error_vs_resolution(errors: dict[int, float], train_resolution: int, out_png: Path, title: str = "",
                             reference: dict[str, float] | None = None) -> Path:
    fig, ax = plt.subplots(figsize=(5, 3.5))
    res = sorted(errors)
    ax.plot(res, [errors[r] for r in res], "o-", label="model (test mean)")
    ax.axvline(train_resolution, color="0.6", ls=":", label=f"trained at {train_resolution}")
    for name, value in (reference or {}).items():
        ax.axhline(value, ls="--", lw=1, label=name)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("grid points per axis")
    ax.set_ylabel("relative L2 error")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, out_png)
