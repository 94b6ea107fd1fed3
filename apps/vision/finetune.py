"""`python -m apps.vision.finetune --source DIR`: fine-tune a saved model (e.g. Fashion-MNIST's) on 10% of the
digits and compare with the same architecture trained from scratch on the same data with the same budget."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from zoo._hub import read_config
from zoo.report import write_json

from .app import CONFIGS
from .cli import main as vision_main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m apps.vision.finetune", description=__doc__)
    ap.add_argument("--source", default="runs/bench/vision/fashion_quick_cnn/model",
                    help="a model folder (zoo.save_pretrained), e.g. a Fashion-MNIST run's model/")
    ap.add_argument("--runs-dir", default="runs/bench")
    ap.add_argument("--out", default="runs/bench/vision_finetune.json")
    ap.add_argument("--freeze-backbone-epochs", type=int, default=0)
    args, extra = ap.parse_known_args(argv)
    source = Path(args.source)
    config = read_config(source)["config"]  # clear error when the folder is missing or broken
    model, kwargs = config["name"], {k: v for k, v in config.items()
                                     if k not in ("name", "in_kind", "in_channels", "num_outputs", "image_size")}
    base = ["fit", "-c", str(CONFIGS / "digits_finetune.yaml"), "--runs_dir", args.runs_dir, "--model.model", model,
            "--model.model_kwargs", json.dumps(kwargs), *extra]
    results = {}
    for label, more in (("scratch", []), ("fine-tuned", ["--model.init_from", str(source),
                                                         "--model.freeze_backbone_epochs",
                                                         str(args.freeze_backbone_epochs)])):
        name = f"digits10_{label.replace('-', '')}"
        vision_main([*base, "--name", name, *more])
        m = json.loads((Path(args.runs_dir) / "vision" / name / "metrics.json").read_text())
        results[label] = {"test_acc": m["test"]["test_acc"], "epochs": m["epochs"], "run_dir": m["run_dir"]}
    print(f"\n10% of the digits ({model}, same budget): from scratch {results['scratch']['test_acc']:.4f}, "
          f"fine-tuned from {source} {results['fine-tuned']['test_acc']:.4f}")
    write_json(args.out, {"source": str(source), "model": model, **results})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
