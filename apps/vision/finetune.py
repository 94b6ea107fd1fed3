"""`python -m apps.vision.finetune --source DIR`: fine-tune a saved model (e.g. Fashion-MNIST's) on 10% of the
digits' training split and compare with the same architecture trained from scratch on the same images, with the
same budget and settings, over several seeds and for a short and a longer budget. Prints one table; writes JSON.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from rich.table import Table

from zoo._hub import read_config
from zoo.runtime.args import CommandParser
from zoo.runtime.console import make_console
from zoo.runtime.record import RunRecord
from zoo.runtime.report import write_json

from .app import APP, CONFIGS


def run(base: list[str], name: str, runs_dir: str, more: list[str]) -> float:
    APP.main([*base, "--name", name, *more])
    return RunRecord.read(Path(runs_dir) / "vision" / name).test["test_acc"]


def main(argv: list[str] | None = None) -> int:
    ap = CommandParser(prog="python -m apps.vision.finetune", description=__doc__)
    ap.add_argument("--source", default="runs/bench/vision/vision/fashion_cnn/model",
                    help="a model folder (zoo.save_pretrained), e.g. a Fashion-MNIST run's model/")
    ap.add_argument("--epochs", default="5,20", help="budgets to compare, in epochs (4 steps each)")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--runs-dir", default="runs/bench")
    ap.add_argument("--out", default="runs/bench/vision_finetune.json")
    args, extra = ap.parse_known_args(argv)
    source = Path(args.source)
    config = read_config(source)["config"]  # a clear error when the folder is missing or broken
    model = config["name"]
    kwargs = {k: v for k, v in config.items() if k not in ("name", "in_kind", "in_channels", "num_outputs", "image_size")}
    rows = []
    for epochs in [int(e) for e in args.epochs.split(",")]:
        scores: dict[str, list[float]] = {"scratch": [], "fine-tuned": []}
        for seed in range(args.seeds):
            base = ["fit", "-c", str(CONFIGS / "digits_finetune.yaml"), "--runs_dir", args.runs_dir,
                    "--model.model", model, "--model.model_kwargs", json.dumps(kwargs), "--seed_everything", str(seed),
                    "--trainer.max_epochs", str(epochs), "--trainer.enable_progress_bar", "false", *extra]
            scores["scratch"].append(run(base, f"digits10_scratch_e{epochs}_s{seed}", args.runs_dir, []))
            scores["fine-tuned"].append(run(base, f"digits10_finetuned_e{epochs}_s{seed}", args.runs_dir,
                                            ["--model.init_from", str(source)]))
        rows.append({"epochs": epochs, "seeds": args.seeds, **{
            f"{mode}_{stat}": fn(vals) for mode, vals in scores.items()
            for stat, fn in (("mean", statistics.mean), ("std", statistics.pstdev), ("runs", list))}})
    table = Table(title=f"10% of the digits (126 images), {model}: from scratch vs fine-tuned from {source}")
    for col in ("epochs", "seeds", "scratch test acc", "fine-tuned test acc", "fine-tuned better by"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(str(r["epochs"]), str(r["seeds"]), f"{r['scratch_mean']:.4f} ± {r['scratch_std']:.4f}",
                      f"{r['fine-tuned_mean']:.4f} ± {r['fine-tuned_std']:.4f}",
                      f"{r['fine-tuned_mean'] - r['scratch_mean']:+.4f}")
    make_console().print(table)
    write_json(args.out, {"source": str(source), "model": model, "rows": rows})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
