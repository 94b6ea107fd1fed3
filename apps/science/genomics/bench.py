"""`python -m apps.science.genomics.bench`: every zoo family on each dataset's preset, beside the 6-mer ridge
baseline (and, on the generated data, the additive model given the true motifs and the ceiling). One table; JSON
in runs/bench/genomics.json. MPRA datasets need ../shared/data/genomics (skipped, with the reason, without it).

The preset's own model is one row; the other families are trained with the same data, schedule and
``--minutes`` budget each.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from zoo.runtime.apps import as_duration
from zoo.runtime.report import write_json

from ..app import GENOMICS_CONFIGS
from .cli import main as genomics_main
from .data import SHARED

# Per family: the model and its settings for DNA (the `sequence` kind).
FAMILIES = {
    "cnn": ("cnn_small", {"depth": 4, "width": 128, "kernel_size": 7, "dropout": 0.3, "pool_every": 1,
                          "max_pools": 3}),
    "resnet": ("resnet_dilated", {"depth": 8, "width": 64, "dropout": 0.2}),
    "lstm": ("lstm_small", {"width": 64, "dropout": 0.2}),
    "transformer": ("transformer_small", {"depth": 3, "width": 96, "heads": 4, "dropout": 0.1}),
}


def run(dataset: str, preset: str, family: str, runs_dir: str, minutes: float, extra: list[str],
        reuse: bool = False) -> dict:
    config = GENOMICS_CONFIGS / f"{dataset}_{preset}.yaml"
    name = f"{dataset}_{preset}_{family}"
    if not (reuse and (Path(runs_dir) / "genomics" / name / "metrics.json").is_file()):
        train(config, name, family, runs_dir, minutes, extra)
    return summarise(Path(runs_dir) / "genomics" / name, dataset, family)


def train(config: Path, name: str, family: str, runs_dir: str, minutes: float, extra: list[str]) -> None:
    model, kwargs = FAMILIES[family]
    args = ["fit", "-c", str(config), "--name", name, "--runs_dir", runs_dir, "--model.model", model,
            "--model.model_kwargs", json.dumps(kwargs), "--trainer.max_time", as_duration(minutes * 60)]
    genomics_main(args + extra)


def summarise(run_dir: Path, dataset: str, family: str) -> dict:
    m = json.loads((run_dir / "metrics.json").read_text())
    base = m.get("baseline", {})
    return {"dataset": dataset, "family": family, "model": m["model"], "parameters": m["num_parameters"],
            "train_s": m.get("fit_seconds"), "pearson": m["test"].get("test_pearson"),
            "spearman": m["test"].get("test_spearman"), "kmer_ridge": base.get("value"),
            "additive_true_motifs": base.get("additive_true_motifs"), "ceiling": base.get("ceiling"),
            "non_additive_share": base.get("non_additive_share"),
            "motif_recovery": m["test"].get("motif_recovery_grad_x_input"), "run_dir": m["run_dir"],
            "epochs": m.get("epochs")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m apps.science.genomics.bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default="synthetic,hepg2,wtc11,ecoli")
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--minutes", type=float, default=5.0, help="training budget of each family")
    ap.add_argument("--runs-dir", default="runs/bench")
    ap.add_argument("--out", default="runs/bench/genomics.json")
    ap.add_argument("--reuse", action="store_true", help="take rows whose run folder already has metrics.json")
    args, extra = ap.parse_known_args(argv)
    families = args.families.split(",")
    if unknown := [f for f in families if f not in FAMILIES]:
        ap.error(f"unknown families {unknown}; choose from {', '.join(FAMILIES)}")
    console = Console(width=170)
    rows = []
    for dataset in args.datasets.split(","):
        if dataset != "synthetic" and not SHARED.is_dir():
            console.print(f"{dataset} skipped: {SHARED} (the MPRA files) is not there")
            continue
        for family in families:
            rows.append(run(dataset, args.preset, family, args.runs_dir, args.minutes, extra, args.reuse))
    table = Table(title=f"genomics ({args.preset}, {args.minutes:g} min per family): test split, elements unseen "
                        f"in training")
    for col in ("dataset", "model", "params", "train s", "Pearson", "Spearman", "6-mer ridge", "additive (true "
                "motifs)", "ceiling", "non-additive share", "motif recovery"):
        table.add_column(col, justify="left" if col in ("dataset", "model") else "right")
    fmt = lambda v, f=".3f": "-" if v is None else format(v, f)  # noqa: E731
    for r in rows:
        table.add_row(r["dataset"], r["model"], f"{r['parameters']:,}", fmt(r["train_s"], ".0f"), fmt(r["pearson"]),
                      fmt(r["spearman"]), fmt(r["kmer_ridge"]), fmt(r["additive_true_motifs"]), fmt(r["ceiling"]),
                      fmt(r["non_additive_share"], ".2f"), fmt(r["motif_recovery"], ".2f"))
    console.print(table)
    console.print(f"wrote {write_json(args.out, {'preset': args.preset, 'minutes': args.minutes, 'rows': rows})}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
