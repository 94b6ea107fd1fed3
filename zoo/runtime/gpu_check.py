"""`make gpu-check`: every registered demo step with its `gpu` preset, time-bounded, then one table.

Prints: step, model, device, seconds, held-out metric, samples/s; writes ``<runs_dir>/gpu_check.json``.
Without a GPU it says so and exits 0.
"""

from __future__ import annotations

from pathlib import Path

import torch

from .args import CommandParser
from .console import make_console
from .demo import results_table, run_steps
from .report import write_json


def main(argv: list[str] | None = None) -> int:
    parser = CommandParser(prog="python -m zoo.runtime.gpu_check", description=__doc__)
    parser.add_argument("--max-seconds", type=float, default=90, help="training time limit per step")
    parser.add_argument("--runs-dir", default="runs/gpu-check")
    parser.add_argument("--apps", help="comma-separated app names (default: all)")
    args = parser.parse_args(argv)
    console = make_console()
    if not torch.cuda.is_available():
        console.print("gpu-check: no CUDA GPU on this machine (torch.cuda.is_available() is False); nothing to run.")
        return 0
    console.print(f"gpu-check on {torch.cuda.get_device_name(0)}, torch {torch.__version__}")
    runs_dir = Path(args.runs_dir)
    results = run_steps("gpu", runs_dir, args.apps.split(",") if args.apps else None, args.max_seconds, console)
    console.print(results_table(results, f"gpu-check ({torch.cuda.get_device_name(0)})"))
    path = write_json(runs_dir / "gpu_check.json", {"device": torch.cuda.get_device_name(0),
                                                     "steps": [r.to_dict() for r in results]})
    console.print(f"wrote {path}")
    return 1 if any(not r.ok for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
