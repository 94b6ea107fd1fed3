"""`zoo vision classify` (top-k labels for image files) and `zoo vision evaluate` (the robustness report), both from
a checkpoint. fit|validate|test are LightningCLI's (see app.py)."""

from __future__ import annotations

import json
from pathlib import Path

import lightning as L
import torch
from rich.table import Table

from zoo.checkpoint import load_task as load_checkpoint
from zoo.errors import BadItems, InputError, RefusedFile, one_line, warn
from zoo.runtime.args import CommandParser
from zoo.runtime.console import make_console
from zoo.trust.reader import check_plain, read_mapping
from zoo.trust.runfolder import RunFolder

from . import data, imagefolder
from .task import VisionTask


def load_task(ckpt: str | Path) -> VisionTask:
    ckpt = Path(ckpt)
    if not ckpt.is_file():
        raise FileNotFoundError(f"checkpoint {ckpt} does not exist")
    return load_checkpoint(ckpt, VisionTask)


# The data modules `evaluate` may rebuild from a run's config.yaml: looked up by name, never imported by name.
DATA_MODULES = {f"{cls.__module__}.{cls.__name__}": cls for cls in (
    data.DigitsDataModule, data.FashionMNISTDataModule, data.TorchvisionDataModule, imagefolder.ImageFolderDataModule)}


def datamodule_from_run(ckpt: Path, overrides: dict) -> L.LightningDataModule:
    """Rebuild the data module a checkpoint was trained with, from the run folder's config.yaml."""
    config_path = ckpt.parent.parent / "config.yaml"
    if not config_path.is_file():
        raise FileNotFoundError(f"{config_path} is missing: `evaluate` reads the data settings of the run there")
    cfg = read_mapping(config_path, root=ckpt.parent.parent, allow_classes=True)
    data_cfg = cfg.get("data") if isinstance(cfg, dict) else None
    if not isinstance(data_cfg, dict) or data_cfg.get("class_path") not in DATA_MODULES:
        found = data_cfg.get("class_path") if isinstance(data_cfg, dict) else data_cfg
        raise RefusedFile(f"{config_path}: data.class_path {str(found)[:80]!r} is not one of the vision data modules "
                          f"({', '.join(DATA_MODULES)}); refused, nothing was imported")
    init_args = data_cfg.get("init_args") or {}
    check_plain(init_args, f"{config_path}: data.init_args")
    return DATA_MODULES[data_cfg["class_path"]](**{**init_args, **overrides})


def classify_main(argv: list[str]) -> int:
    ap = CommandParser(prog="zoo vision classify", description="Top-k labels for image files. A file that "
                                 "cannot be read is reported and skipped; the exit status is 2 if any was.")
    ap.add_argument("--ckpt", required=True, help="a checkpoint written by `zoo vision fit`")
    ap.add_argument("--top-k", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument("--strict", action="store_true", help="stop at the first image that cannot be read")
    ap.add_argument("images", nargs="+")
    args = ap.parse_args(argv)
    if args.top_k < 1:
        ap.error(f"--top-k must be 1 or more, got {args.top_k}")
    task = load_task(args.ckpt)
    spec = task.hparams.data_spec or {}
    if not spec:
        raise InputError(f"{args.ckpt} has no data_spec (image size, channels, class names); train with "
                         "`zoo vision fit`")
    paths, x = read_images(args.images, spec, args.strict)
    results = top_labels(task, paths, x, args.top_k) if paths else []
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_predictions(results, spec, args.top_k)
    failed = len(args.images) - len(paths)
    if failed:
        warn(f"zoo vision classify: {failed} of {len(args.images)} images could not be read (see above)")
    return 2 if failed else 0


def read_images(files: list[str], spec: dict, strict: bool) -> tuple[list[str], torch.Tensor | None]:
    """The readable images as one batch; each unreadable one is reported by name (and stops all when strict)."""
    from .imagefolder import load_image

    paths, tensors = [], []
    bad = BadItems("zoo vision classify")
    for name in files:
        try:
            tensors.append(load_image(Path(name), spec["in_channels"], spec["image_size"]))
            paths.append(name)
        except (ValueError, OSError) as e:
            if strict:
                raise
            bad(f"{name}: skipped: {one_line(e)}")
    return paths, torch.stack(tensors) if tensors else None


def top_labels(task: VisionTask, paths: list[str], x: torch.Tensor, k: int) -> list[dict]:
    with torch.no_grad():
        probs = task(x).softmax(-1)  # (B, K)
    top = probs.topk(min(k, probs.shape[1]), dim=1)
    names = task.class_names
    return [{"image": p, "top": [{"label": str(names[i]), "probability": round(float(v), 4)}
                                 for v, i in zip(vals, idx.tolist())]}
            for p, vals, idx in zip(paths, top.values, top.indices)]


def print_predictions(results: list[dict], spec: dict, k: int) -> None:
    table = Table(title=f"predictions ({spec.get('dataset', '')} model)")
    table.add_column("image")
    for i in range(min(k, len(results[0]["top"])) if results else 0):
        table.add_column(f"#{i + 1}")
    for r in results:
        table.add_row(r["image"], *[f"{t['label']} {t['probability']:.1%}" for t in r["top"]])
    make_console().print(table)


def evaluate_main(argv: list[str]) -> int:
    from zoo.runtime.finish import print_summary
    from zoo.runtime.record import Headline, RunRecord

    from .evaluation import evaluate

    ap = CommandParser(prog="zoo vision evaluate",
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
    # The checkpoint's run folder or --out: new, or made by zoo-suite; a folder of the user's own is refused
    # before anything is written (the plots and evaluation.json would land among their files).
    out = RunFolder.claim(Path(args.out) if args.out else ckpt.parent.parent, "--out").root
    result = evaluate(task, dm.test_x, dm.test_y, [str(n) for n in task.class_names], out, args.max_samples)
    test = {"test_acc": result["tables"]["test_accuracy"], **result["metrics"]}
    print_summary(RunRecord(app="vision", model=task.model.config["name"], headline=Headline("test_acc", test["test_acc"]),
                            run=out.name, run_dir=str(out), num_parameters=sum(p.numel() for p in task.parameters()),
                            test=test, plots=result["plots"]))
    print(f"tables: {out / 'evaluation.json'}")
    return 0

