"""The vision app's pictures: confusion matrix, misclassified grid, reliability diagram, accuracy under
corruption by severity, accuracy under attack by epsilon, and a clean image beside its adversarial twin."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from zoo.runtime.report import save_figure  # noqa: E402


def _show(ax, img: torch.Tensor) -> None:
    img = img.detach().cpu()
    if img.shape[0] == 1:
        ax.imshow(img[0], cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(img.permute(1, 2, 0).clamp(0, 1))
    ax.set_xticks([])
    ax.set_yticks([])


def confusion_matrix(cm: torch.Tensor, names: list[str], path: Path) -> Path:
    n = len(names)
    fig, ax = plt.subplots(figsize=(1.0 + 0.6 * n, 0.6 + 0.6 * n))
    norm = cm.float() / cm.sum(1, keepdim=True).clamp_min(1)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(n):
        for j in range(n):
            ax.text(j, i, int(cm[i, j]), ha="center", va="center", fontsize=7,
                    color="white" if norm[i, j] > 0.5 else "black")
    ax.set(xticks=range(n), yticks=range(n), xlabel="predicted", ylabel="true", title="confusion matrix (test)")
    ax.set_xticklabels(names, rotation=45, ha="right", fontsize=7)
    ax.set_yticklabels(names, fontsize=7)
    return save_figure(fig, path)


def misclassified(x: torch.Tensor, y: torch.Tensor, probs: torch.Tensor, names: list[str], path: Path,
                  limit: int = 24) -> Path:
    wrong = (probs.argmax(1) != y).nonzero().flatten()[:limit]
    cols = 8
    rows = max(1, -(-len(wrong) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.9 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, wrong.tolist()):
        ax.axis("on")
        _show(ax, x[i])
        p = int(probs[i].argmax())
        ax.set_title(f"true {names[int(y[i])]}\npred {names[p]} {probs[i, p]:.0%}", fontsize=7)
    fig.suptitle(f"misclassified test images (first {len(wrong)})")
    return save_figure(fig, path)


def reliability(confidence: torch.Tensor, correct: torch.Tensor, ece: float, path: Path, bins: int = 15) -> Path:
    edges = torch.linspace(0, 1, bins + 1)
    idx = torch.bucketize(confidence, edges[1:-1])
    accs, confs, counts = [], [], []
    for b in range(bins):
        m = idx == b
        counts.append(int(m.sum()))
        accs.append(float(correct[m].float().mean()) if m.any() else 0.0)
        confs.append(float(confidence[m].mean()) if m.any() else 0.0)
    fig, ax = plt.subplots(figsize=(4.5, 4.2))
    centers = (edges[:-1] + edges[1:]) / 2
    ax.bar(centers, accs, width=1 / bins, edgecolor="black", alpha=0.7, label="accuracy")
    ax.plot([0, 1], [0, 1], "k--", label="perfect calibration")
    ax.set(xlabel="confidence", ylabel="accuracy", title=f"reliability diagram (ECE {ece:.3f})", xlim=(0, 1),
           ylim=(0, 1))
    ax.legend(loc="upper left")
    return save_figure(fig, path)


def corruption_curves(table: dict[str, list[float]], clean: float, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for kind, accs in table.items():
        ax.plot(range(len(accs) + 1), [clean, *accs], marker="o", label=kind)
    mean = [sum(a[s] for a in table.values()) / len(table) for s in range(len(next(iter(table.values()))))]
    ax.plot(range(len(mean) + 1), [clean, *mean], "k--", linewidth=2, label="mean")
    ax.set(xlabel="severity (0 = clean)", ylabel="accuracy", title="accuracy under distribution shift", ylim=(0, 1))
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def attack_curves(eps: list[float], fgsm: list[float], pgd: list[float], clean: float, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(5.5, 4))
    xs = [0.0, *[e * 255 for e in eps]]
    ax.plot(xs, [clean, *fgsm], marker="o", label="FGSM")
    ax.plot(xs, [clean, *pgd], marker="o", label="PGD (10 steps)")
    ax.set(xlabel="epsilon (L-inf, in /255 pixel units)", ylabel="accuracy", title="adversarial accuracy",
           ylim=(0, 1))
    ax.legend()
    return save_figure(fig, path)


def adversarial_pair(clean: torch.Tensor, adv: torch.Tensor, p_clean: torch.Tensor, p_adv: torch.Tensor,
                     names: list[str], eps: float, path: Path) -> Path:
    fig, axes = plt.subplots(1, 3, figsize=(8, 3.2))
    for ax, img, p, title in ((axes[0], clean, p_clean, "clean"), (axes[2], adv, p_adv, f"PGD, eps {eps * 255:.0f}/255")):
        _show(ax, img)
        k = int(p.argmax())
        ax.set_title(f"{title}\n{names[k]} ({p[k]:.1%})", fontsize=9)
    delta = (adv - clean) / (2 * eps) + 0.5  # perturbation, stretched to [0, 1] for the eye
    _show(axes[1], delta)
    axes[1].set_title("perturbation (amplified)", fontsize=9)
    return save_figure(fig, path)
