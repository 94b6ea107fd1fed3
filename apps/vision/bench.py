"""`python -m apps.vision.bench`: every family on the `quick` preset, one table, JSON in runs/bench/vision.json.

Columns: family, model, parameters, training seconds, test accuracy, mean accuracy under corruption, PGD accuracy
at the middle epsilon (4/255).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from zoo.runtime.report import write_json

from .app import CONFIGS
from .cli import main as vision_main
from .data import FashionMNISTDataModule

# Per family: model, its settings, and epochs that fit the quick preset's 10-minute training budget on 2 cores.
FAMILIES = {
    "cnn": ("cnn_small", {"depth": 5, "pool_every": 1}, 8),
    "resnet": ("resnet_small", {"width": 16}, 6),
    "lstm": ("lstm_small", {"width": 128}, 12),
    "transformer": ("transformer_small", {"width": 64, "depth": 2}, 12),
}


def run_family(family: str, config: Path, runs_dir: Path, extra: list[str]) -> dict:
    model, kwargs, epochs = FAMILIES[family]
    name = f"{config.stem}_{family}"
    vision_main(["fit", "-c", str(config), "--name", name, "--runs_dir", str(runs_dir), "--model.model", model,
                 "--model.model_kwargs", json.dumps(kwargs), "--trainer.max_epochs", str(epochs), *extra])
    m = json.loads((runs_dir / "vision" / name / "metrics.json").read_text())
    t = m["test"]
    return {"family": family, "model": model, "parameters": m["num_parameters"], "epochs": m["epochs"],
            "train_seconds": m["fit_seconds"], "test_acc": t["test_acc"],
            "corruption_acc_mean": t["corruption_acc_mean"], "pgd_acc_eps4": t["pgd_acc_eps4"],
            "fgsm_acc_eps4": t["fgsm_acc_eps4"], "test_ece": t["test_ece"], "run_dir": m["run_dir"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m apps.vision.bench", description=__doc__)
    ap.add_argument("--families", default=",".join(FAMILIES), help="comma-separated subset of " + ",".join(FAMILIES))
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--runs-dir", default="runs/bench")
    ap.add_argument("--out", default="runs/bench/vision.json")
    args, extra = ap.parse_known_args(argv)  # the rest goes to every run, e.g. --trainer.max_epochs 1
    dataset = "fashion" if FashionMNISTDataModule.available() else "digits"
    config = CONFIGS / f"{dataset}_{args.preset}.yaml"
    if not config.is_file():
        raise SystemExit(f"no {args.preset!r} preset for {dataset} ({config})")
    rows = [run_family(f, config, Path(args.runs_dir), extra) for f in args.families.split(",")]
    table = Table(title=f"vision bench: {config.name} ({dataset})")
    for col in ("family", "model", "params", "train s", "test acc", "corruption acc", "PGD acc @4/255"):
        table.add_column(col, justify="left" if col in ("family", "model") else "right")
    for r in rows:
        table.add_row(r["family"], r["model"], f"{r['parameters']:,}", f"{r['train_seconds']:.0f}",
                      f"{r['test_acc']:.4f}", f"{r['corruption_acc_mean']:.4f}", f"{r['pgd_acc_eps4']:.4f}")
    Console().print(table)
    path = write_json(args.out, {"dataset": dataset, "config": str(config), "rows": rows})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
