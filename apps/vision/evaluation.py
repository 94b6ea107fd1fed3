"""Held-out evaluation of a vision classifier: accuracy, per-class accuracy, calibration, corruptions, attacks.

``evaluate`` writes ``evaluation.json`` (every table) and PNGs under ``plots/`` in the run folder, and returns the
headline numbers for metrics.json.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn
from torchmetrics.functional.classification import multiclass_calibration_error, multiclass_confusion_matrix

from zoo.cache import cache_dir
from zoo.runtime.report import write_json

from . import plots
from .robustness import CORRUPTIONS, SEVERITIES, accuracy, adversarial_accuracy, cached_corruption, pgd

EPSILONS = (1 / 255, 2 / 255, 4 / 255, 8 / 255, 16 / 255)  # L-inf radii; the middle one is the headline


@torch.no_grad()
def predict_probs(model: nn.Module, x: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    dev = next(model.parameters()).device
    return torch.cat([model(x[i:i + batch_size].to(dev)).float().softmax(-1).cpu()
                      for i in range(0, len(x), batch_size)])


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, class_names: list[str], run_dir: Path,
             max_samples: int = 2000, epsilons: tuple[float, ...] = EPSILONS, seed: int = 0,
             pgd_steps: int = 10, cache: Path | None = None) -> dict:
    """``model`` maps [0, 1] images to logits. Robustness uses a fixed seeded subset of ``max_samples`` images;
    corrupted images are cached under ``cache`` (default: $ZOO_CACHE/vision/corruptions)."""
    run_dir = Path(run_dir)
    model.eval()
    k = len(class_names)
    probs = predict_probs(model, x)  # (N, K)
    pred = probs.argmax(1)
    correct = pred == y
    acc = correct.float().mean().item()
    cm = multiclass_confusion_matrix(pred, y, num_classes=k)
    per_class = (cm.diag().float() / cm.sum(1).clamp_min(1)).tolist()
    ece = multiclass_calibration_error(probs, y, num_classes=k, n_bins=15, norm="l1").item()
    made = [
        plots.confusion_matrix(cm, class_names, run_dir / "plots" / "confusion_matrix.png"),
        plots.misclassified(x, y, probs, class_names, run_dir / "plots" / "misclassified.png"),
        plots.reliability(probs.max(1).values, correct, ece, run_dir / "plots" / "reliability.png"),
    ]

    # distribution shift and attacks on a fixed subset
    subset = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))[:max_samples].sort().values
    xs, ys = x[subset], y[subset]
    clean = accuracy(model, xs, ys)
    cache = cache or cache_dir("vision", "corruptions")
    shift = {kind: [accuracy(model, cached_corruption(xs, kind, s, seed, cache), ys) for s in SEVERITIES]
             for kind in CORRUPTIONS}
    mean_shift = sum(sum(v) for v in shift.values()) / (len(shift) * len(SEVERITIES))
    made.append(plots.corruption_curves(shift, clean, run_dir / "plots" / "corruption_severity.png"))
    fgsm_accs = [adversarial_accuracy(model, xs, ys, e, "fgsm") for e in epsilons]
    pgd_accs = [adversarial_accuracy(model, xs, ys, e, "pgd", steps=pgd_steps, seed=seed) for e in epsilons]
    made.append(plots.attack_curves(list(epsilons), fgsm_accs, pgd_accs, clean, run_dir / "plots" / "adversarial.png"))
    made.append(_adversarial_example(model, xs, ys, class_names, epsilons[len(epsilons) // 2], run_dir))

    mid = len(epsilons) // 2
    tag = lambda e: f"eps{round(e * 255)}"  # noqa: E731  (epsilon in /255 units)
    tables = {
        "test_accuracy": acc, "per_class_accuracy": dict(zip(class_names, per_class)), "ece": ece,
        "confusion_matrix": cm.tolist(), "robustness_subset": len(ys), "clean_subset_accuracy": clean,
        "corruption_accuracy": {kind: dict(zip(map(str, SEVERITIES), accs)) for kind, accs in shift.items()},
        "corruption_accuracy_mean": mean_shift,
        "adversarial_accuracy": {tag(e): {"fgsm": f, "pgd": p} for e, f, p in zip(epsilons, fgsm_accs, pgd_accs)},
    }
    write_json(run_dir / "evaluation.json", tables)
    metrics = {"test_ece": ece, "corruption_acc_mean": mean_shift,
               f"fgsm_acc_{tag(epsilons[mid])}": fgsm_accs[mid], f"pgd_acc_{tag(epsilons[mid])}": pgd_accs[mid]}
    return {"metrics": metrics, "plots": [str(p.relative_to(run_dir)) for p in made], "tables": tables}


def _adversarial_example(model, xs, ys, names, eps, run_dir: Path) -> Path:
    """The most confidently right test image whose PGD twin the model gets wrong (else the most confident one)."""
    dev = next(model.parameters()).device
    probs = predict_probs(model, xs[:200])
    adv = pgd(model, xs[:200].to(dev), ys[:200].to(dev), eps, generator=torch.Generator().manual_seed(0)).cpu()
    p_adv = predict_probs(model, adv)
    ok = (probs.argmax(1) == ys[:200]) & (p_adv.argmax(1) != ys[:200])
    score = probs.max(1).values + ok.float()  # flipped examples first, then by clean confidence
    i = int(score.argmax())
    return plots.adversarial_pair(xs[i], adv[i], probs[i], p_adv[i], names, eps,
                                  run_dir / "plots" / "adversarial_example.png")
