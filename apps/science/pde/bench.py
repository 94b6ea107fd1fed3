"""`python -m apps.science.pde.bench`: the FNO and every other zoo family on each PDE preset, beside the linear
baseline and the numerical floor. One table; JSON in runs/bench/pde.json.

Each problem's FNO uses its preset as written (e.g. 10 minutes for Burgers); the other families get
``--family-minutes`` each with the same data, so the table compares families at a stated, equal budget.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

from zoo.runtime.apps import as_duration
from zoo.runtime.report import write_json

from ..app import PDE_CONFIGS
from .cli import main as pde_main

# Per family: the registered model and its settings for fields (circular padding where the domain is periodic).
FAMILIES = {
    "cnn": ("cnn_small", {"depth": 6, "width": 64, "kernel_size": 5}),
    "resnet": ("resnet_small", {"depth": 6, "width": 64}),
    "lstm": ("lstm_small", {"width": 64}),
    "transformer": ("transformer_small", {"depth": 3, "width": 64}),
}
PROBLEMS = ("burgers", "burgers_nu002", "darcy")


def run(problem: str, preset: str, family: str, runs_dir: str, minutes: float | None, extra: list[str],
        reuse: bool = False) -> dict:
    config = PDE_CONFIGS / f"{problem}_{preset}.yaml"
    cfg = yaml.safe_load(config.read_text())
    name = f"{problem}_{preset}_{family}"
    if reuse and (Path(runs_dir) / "pde" / name / "metrics.json").is_file():
        return summarise(cfg, Path(runs_dir) / "pde" / name, problem, family)
    args = ["fit", "-c", str(config), "--name", name, "--runs_dir", runs_dir]
    if family != "fno":
        model, kwargs = FAMILIES[family]
        periodic = cfg["data"]["init_args"].get("pde", "burgers") != "darcy"
        kwargs = {**kwargs, **({"padding_mode": "circular"} if periodic and family in ("cnn", "resnet") else {})}
        if family == "transformer" and cfg["data"]["init_args"].get("pde") in ("darcy", "navier_stokes"):
            kwargs["patch_size"] = 4  # 64 x 64 points -> 256 tokens
        args += ["--model.model", model, "--model.model_kwargs", json.dumps(kwargs)]
    if minutes:
        args += ["--trainer.max_time", as_duration(minutes * 60), "--trainer.max_epochs", "100000"]
    pde_main(args + extra)
    return summarise(cfg, Path(runs_dir) / "pde" / name, problem, family)


def summarise(cfg: dict, run_dir: Path, problem: str, family: str) -> dict:
    m = json.loads((run_dir / "metrics.json").read_text())
    init = cfg["data"]["init_args"]
    resolutions = sorted({init["resolution"], *init.get("eval_resolutions", [])})
    base = m.get("baseline", {})
    return {"problem": problem, "family": family, "model": m["model"], "parameters": m["num_parameters"],
            "train_s": m.get("fit_seconds"), "resolution": init["resolution"],
            "rel_l2": {r: m["test"].get(f"test_rel_l2_at_{r}") for r in resolutions},
            "worst_rel_l2": m["test"].get("test_rel_l2_worst"), "linear": base.get("value"),
            "floor": base.get("floor_rel_l2"), "solver_s": base.get("solver_s_per_sample"),
            "model_s": m["test"].get("model_s_per_sample"), "epochs": m.get("epochs"),
            "run_dir": m["run_dir"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m apps.science.pde.bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--problems", default=",".join(PROBLEMS), help=f"comma list of {', '.join(PROBLEMS)}")
    ap.add_argument("--families", default="fno," + ",".join(FAMILIES))
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--family-minutes", type=float, default=3.0, help="training budget of each non-FNO family")
    ap.add_argument("--fno-minutes", type=float, help="override the FNO presets' own budget")
    ap.add_argument("--runs-dir", default="runs/bench")
    ap.add_argument("--out", default="runs/bench/pde.json")
    ap.add_argument("--reuse", action="store_true", help="take rows whose run folder already has metrics.json")
    args, extra = ap.parse_known_args(argv)
    families = args.families.split(",")
    unknown = [f for f in families if f != "fno" and f not in FAMILIES]
    if unknown:
        ap.error(f"unknown families {unknown}; choose from fno, {', '.join(FAMILIES)}")
    rows = []
    for problem in args.problems.split(","):
        if not (PDE_CONFIGS / f"{problem}_{args.preset}.yaml").is_file():
            ap.error(f"no preset {problem}_{args.preset}.yaml in {PDE_CONFIGS}")
        for family in families:
            minutes = args.fno_minutes if family == "fno" else args.family_minutes
            rows.append(run(problem, args.preset, family, args.runs_dir, minutes, extra, args.reuse))
    console = Console(width=170)
    table = Table(title=f"PDE surrogates ({args.preset}): test relative L2 (mean), zero-shot at other resolutions")
    for col in ("problem", "model", "params", "train s", "rel L2 by resolution", "worst", "linear", "floor",
                "speed-up"):
        table.add_column(col, justify="left" if col in ("problem", "model", "rel L2 by resolution") else "right")
    for r in rows:
        by_res = ", ".join(f"{res}: {v:.2e}" for res, v in r["rel_l2"].items() if v is not None)
        speed = f"{r['solver_s'] / r['model_s']:.0f}x" if r["solver_s"] and r["model_s"] else "-"
        table.add_row(r["problem"], r["model"], f"{r['parameters']:,}", f"{r['train_s'] or 0:.0f}", by_res,
                      f"{r['worst_rel_l2']:.2e}", f"{r['linear']:.2e}", f"{r['floor']:.1e}" if r["floor"] else "-",
                      speed)
    console.print(table)
    console.print("linear: least-squares linear map; floor: the classical solver at the training resolution against "
                  "the fine reference; speed-up: solver seconds per sample / model seconds per sample (batched, CPU).")
    console.print(f"wrote {write_json(args.out, {'preset': args.preset, 'rows': rows})}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
