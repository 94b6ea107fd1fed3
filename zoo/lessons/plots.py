"""The pictures of `zoo sweep`, `zoo study depth` and `zoo compare`."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.ticker
import numpy as np

from ..runtime.report import plt, save_figure


def _annotated_heatmap(ax, values: np.ndarray, text: list[list[str]], xlabels, ylabels, cmap: str):
    """values (rows, cols), nan shown grey; every cell annotated."""
    masked = np.ma.masked_invalid(values)
    colormap = plt.get_cmap(cmap).with_extremes(bad="#dddddd")
    im = ax.imshow(masked, cmap=colormap, aspect="auto")
    ax.set_xticks(range(len(xlabels)), xlabels)
    ax.set_yticks(range(len(ylabels)), ylabels)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            ax.text(j, i, text[i][j], ha="center", va="center", fontsize=8)
    return im


def plot_sweep_heatmap(agg: dict[tuple, dict], spec, metric: str, out_png: Path, best_key=None) -> Path:
    """Learning rate (columns) x batch size (rows), one panel per schedule; cells: mean ± spread over seeds."""
    lrs, bss = sorted(spec.lrs), sorted(spec.batch_sizes)
    schedules = list(spec.schedules)
    fig, axes = plt.subplots(1, len(schedules), figsize=(1.1 * len(lrs) * len(schedules) + 2, 0.6 * len(bss) + 2),
                             squeeze=False)
    for ax, sc in zip(axes[0], schedules):
        vals = np.full((len(bss), len(lrs)), np.nan)
        text = [["" for _ in lrs] for _ in bss]
        for i, bs in enumerate(bss):
            for j, lr in enumerate(lrs):
                v = agg.get((lr, bs, sc))
                if v is None:
                    text[i][j] = "-"
                    continue
                vals[i, j] = v["mean"]
                text[i][j] = "div." if not math.isfinite(v["mean"]) else (
                    f"{v['mean']:.3g}" + (f"\n±{v['std']:.1g}" if v["n"] > 1 else ""))
                if (lr, bs, sc) == best_key:
                    text[i][j] = "*" + text[i][j]
        im = _annotated_heatmap(ax, vals, text, [f"{lr:.0e}" for lr in lrs], [str(b) for b in bss], "viridis")
        ax.set(xlabel="learning rate", ylabel="batch size", title=f"schedule: {sc or 'preset'}")
        fig.colorbar(im, ax=ax, label=f"validation {metric}")
    return save_figure(fig, out_png)


def plot_loss_curves(curves: dict[tuple, list[tuple[float, float]]], out_png: Path) -> Path | None:
    """Training loss against step, one panel per batch size, one colour per learning rate (seeds share it)."""
    curves = {k: v for k, v in curves.items() if v}
    if not curves:
        return None
    bss = sorted({k[1] for k in curves})
    lrs = sorted({k[0] for k in curves})
    colours = plt.get_cmap("plasma")(np.linspace(0, 0.9, len(lrs)))
    fig, axes = plt.subplots(1, len(bss), figsize=(4.2 * len(bss), 3.6), squeeze=False, sharey=True)
    for ax, bs in zip(axes[0], bss):
        labelled = set()
        for (lr, b, _schedule, _seed), pts in sorted(curves.items(), key=lambda kv: str(kv[0])):
            if b != bs:
                continue
            x, y = zip(*pts)
            y = [v if math.isfinite(v) else np.nan for v in y]
            colour = colours[lrs.index(lr)]
            ax.plot(x, y, color=colour, lw=1, alpha=0.8, marker="." if len(x) < 30 else None,
                    label=None if lr in labelled else f"lr {lr:.0e}")
            labelled.add(lr)
        ax.set(xlabel="step", title=f"batch size {bs}", yscale="log")
        ax.legend(fontsize=7)
    axes[0, 0].set_ylabel("training loss")
    return save_figure(fig, out_png)


def plot_depth_study(rows: list[dict], out_png: Path) -> Path:
    """First-layer gradient norm at initialisation against depth, one panel per family, one line per scheme;
    and the loss reached after the budget."""
    families = sorted({r["family"] for r in rows})
    fig, axes = plt.subplots(2, len(families), figsize=(4.5 * len(families), 6.5), squeeze=False)
    for col, fam in enumerate(families):
        for init in sorted({r["init"] for r in rows if r["family"] == fam}):
            pts = sorted((r["depth"], r["first_grad_init"], r["final_loss"]) for r in rows
                         if r["family"] == fam and r["init"] == init)
            depths = [p[0] for p in pts]
            axes[0, col].plot(depths, [max(p[1], 1e-30) if math.isfinite(p[1]) else np.nan for p in pts],
                              marker="o", label=init)
            axes[1, col].plot(depths, [p[2] if math.isfinite(p[2]) else np.nan for p in pts], marker="o", label=init)
        axes[0, col].set(title=f"{fam}: first-layer gradient at init", xscale="log", yscale="log",
                         ylabel="gradient L2 norm")
        axes[1, col].set(title=f"{fam}: training loss reached", xscale="log", xlabel="depth", ylabel="loss")
        axes[1, col].set_yscale("log")
        for ax in axes[:, col]:
            ax.set_xticks(sorted({r["depth"] for r in rows}), [str(d) for d in sorted({r["depth"] for r in rows})])
            ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())  # no log-scale minor labels over ours
            ax.legend(fontsize=7)
    return save_figure(fig, out_png)


def plot_norm_profiles(profiles: dict[str, list[float]], out_png: Path, title: str) -> Path:
    """Gradient norm by layer (input on the left), one line per configuration."""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    for label, norms in profiles.items():
        ax.plot(range(len(norms)), [max(n, 1e-30) if math.isfinite(n) else np.nan for n in norms], marker=".",
                label=label)
    ax.set(xlabel="layer (input -> output)", ylabel="gradient L2 norm", yscale="log", title=title)
    ax.legend(fontsize=7)
    return save_figure(fig, out_png)


def plot_leaderboard_heatmap(matrix: dict[str, dict[str, dict]], out_png: Path) -> Path:
    """App x family: each app's headline metric, coloured by rank within the app (best = 1) so that apps with
    different metrics share one colour scale; cells give mean ± spread."""
    apps = sorted(matrix)
    families = sorted({f for row in matrix.values() for f in row})
    ranks = np.full((len(apps), len(families)), np.nan)
    text = [["n/a" for _ in families] for _ in apps]
    for i, app in enumerate(apps):
        cells = {f: c for f, c in matrix[app].items() if math.isfinite(c.get("mean", float("nan")))}
        order = sorted(cells, key=lambda f: -cells[f]["mean"] if cells[f]["higher_is_better"] else cells[f]["mean"])
        for f, c in matrix[app].items():
            j = families.index(f)
            if f in cells:
                ranks[i, j] = order.index(f) / max(1, len(order) - 1)
                text[i][j] = f"{c['mean']:.3g}" + (f"\n±{c['std']:.1g}" if c.get("n", 1) > 1 else "")
            else:
                text[i][j] = "n/a" if c.get("status", "").startswith("n/a") else "failed"
    fig, ax = plt.subplots(figsize=(1.6 * len(families) + 3, 0.7 * len(apps) + 1.8))
    _annotated_heatmap(ax, ranks, text, families, [f"{a}\n({_metric(matrix[a])})" for a in apps], "RdYlGn_r")
    ax.set(title="held-out headline by app and family (colour: rank within the app, green = best)")
    return save_figure(fig, out_png)


def _metric(row: dict[str, dict]) -> str:
    for c in row.values():
        if c.get("metric"):
            return c["metric"]
    return "?"
