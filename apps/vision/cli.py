"""`zoo vision ...`: fit|validate|test through LightningCLI; `predict` and `evaluate` from a checkpoint."""

from __future__ import annotations

import argparse
import importlib
import json
from pathlib import Path

import lightning as L
import torch
import yaml
from rich.console import Console
from rich.table import Table

from zoo.lightning_cli import ZooCLI

from . import data, imagefolder  # noqa: F401  (data modules selectable by class name)
from .task import VisionTask


class VisionCLI(ZooCLI):
    description = ("Image recognition. fit|validate|test: LightningCLI (-c apps/vision/configs/<preset>.yaml). Also: "
                   "`zoo vision predict --ckpt PATH IMAGE...` (top-k labels) and `zoo vision evaluate --ckpt PATH` "
                   "(calibration, corruptions, FGSM/PGD).")

    def add_arguments_to_parser(self, parser) -> None:
        super().add_arguments_to_parser(parser)
        # The data module knows channels, size, classes and pixel statistics: hand them to the task.
        parser.link_arguments("data.spec", "model.data_spec", apply_on="instantiate")


def load_task(ckpt: str | Path) -> VisionTask:
    ckpt = Path(ckpt)
    if not ckpt.is_file():
        raise FileNotFoundError(f"checkpoint {ckpt} does not exist")
    return VisionTask.load_from_checkpoint(ckpt, map_location="cpu", weights_only=True).eval()


def datamodule_from_run(ckpt: Path, overrides: dict) -> L.LightningDataModule:
    """Rebuild the data module a checkpoint was trained with, from the run folder's config.yaml."""
    config_path = ckpt.parent.parent / "config.yaml"
    if not config_path.is_file():
        raise FileNotFoundError(f"{config_path} is missing: `evaluate` reads the data settings of the run there")
    cfg = yaml.safe_load(config_path.read_text())["data"]
    module, _, name = cfg["class_path"].rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    return cls(**{**(cfg.get("init_args") or {}), **overrides})


def predict(argv: list[str]) -> int:
    from .imagefolder import load_image

    ap = argparse.ArgumentParser(prog="zoo vision predict", description="Top-k labels for image files.")
    ap.add_argument("--ckpt", required=True, help="a checkpoint written by `zoo vision fit`")
    ap.add_argument("--top-k", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument("images", nargs="+")
    args = ap.parse_args(argv)
    task = load_task(args.ckpt)
    spec = task.hparams.data_spec or {}
    if not spec:
        raise ValueError(f"{args.ckpt} has no data_spec (image size, channels, class names); train with `zoo vision fit`")
    x = torch.stack([load_image(Path(p), spec["in_channels"], spec["image_size"]) for p in args.images])
    with torch.no_grad():
        probs = task(x).softmax(-1)
    top = probs.topk(min(args.top_k, probs.shape[1]), dim=1)
    names = task.class_names
    results = [{"image": p, "top": [{"label": str(names[i]), "probability": round(float(v), 4)}
                                    for v, i in zip(vals, idx.tolist())]}
               for p, vals, idx in zip(args.images, top.values, top.indices)]
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    table = Table(title=f"predictions ({spec.get('dataset', '')} model)")
    table.add_column("image")
    for k in range(top.values.shape[1]):
        table.add_column(f"#{k + 1}")
    for r in results:
        table.add_row(r["image"], *[f"{t['label']} {t['probability']:.1%}" for t in r["top"]])
    Console().print(table)
    return 0


def evaluate_cmd(argv: list[str]) -> int:
    from zoo.lightning_cli import print_summary

    from .evaluation import evaluate

    ap = argparse.ArgumentParser(prog="zoo vision evaluate",
                                 description="Test accuracy, calibration, corruptions and attacks for a checkpoint.")
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", help="output folder (default: the checkpoint's run folder)")
    ap.add_argument("--max-samples", type=int, default=2000, help="test images for corruptions and attacks")
    ap.add_argument("--data-root", help="override the data module's root folder")
    args = ap.parse_args(argv)
    ckpt = Path(args.ckpt)
    task = load_task(ckpt)
    dm = datamodule_from_run(ckpt, {"root": args.data_root} if args.data_root else {})
    dm.setup("test")
    out = Path(args.out) if args.out else ckpt.parent.parent
    result = evaluate(task, dm.test_x, dm.test_y, [str(n) for n in task.class_names], out, args.max_samples)
    payload = {"app": "vision", "run": out.name, "run_dir": str(out), "model": task.model.config["name"],
               "num_parameters": sum(p.numel() for p in task.parameters()), "device": "cpu",
               "test": {"test_acc": result["tables"]["test_accuracy"], **result["metrics"]},
               "plots": result["plots"]}
    print_summary(payload)
    print(f"tables: {out / 'evaluation.json'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(argv or [])
    if argv and argv[0] == "predict" and "--ckpt" in argv:
        return predict(argv[1:])
    if argv and argv[0] == "evaluate":
        return evaluate_cmd(argv[1:])
    VisionCLI("vision", VisionTask, L.LightningDataModule, args=argv)
    return 0
