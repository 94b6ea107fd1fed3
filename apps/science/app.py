"""The science apps' entry for `zoo`: `zoo science pde ...` (and its `zoo demo` step). Heavy imports on use."""

from __future__ import annotations

import json
from pathlib import Path

from zoo.apps import App, DemoStep, as_duration

PDE_CONFIGS = Path(__file__).parent / "pde" / "configs"
GENOMICS_CONFIGS = Path(__file__).parent / "genomics" / "configs"
SUBAPPS = {"pde": "PDE surrogates: fit|test (LightningCLI), generate --pde burgers|darcy|navier_stokes",
           "genomics": "DNA sequence -> activity: fit|test (LightningCLI), predict --ckpt PATH FASTA|SEQUENCE"}


def main(argv: list[str]) -> int:
    argv = list(argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in SUBAPPS:
        lines = "\n".join(f"  {k:10s} {v}" for k, v in SUBAPPS.items())
        print(f"usage: zoo science {{{','.join(SUBAPPS)}}} ...\n\n{lines}")
        if argv and argv[0] not in ("-h", "--help"):
            print(f"\nzoo science: unknown app {argv[0]!r}")
            return 2
        return 0 if argv else 2
    if argv[0] == "genomics":
        from .genomics.cli import main as genomics_main

        return genomics_main(argv[1:])
    from .pde.cli import main as pde_main

    return pde_main(argv[1:])


def _run_preset(sub: str, config: Path, runs_dir: Path, max_seconds: float | None) -> Path:
    """`zoo science <sub> fit -c config` into ``runs_dir/<sub>/<config stem>``; returns that run folder."""
    if not config.is_file():
        raise FileNotFoundError(f"no such {sub} preset: {config} is missing")
    args = [sub, "fit", "-c", str(config), "--name", config.stem, "--runs_dir", str(runs_dir)]
    if max_seconds:
        args += ["--trainer.max_time", as_duration(max_seconds)]
    main(args)
    run_dir = Path(runs_dir) / sub / config.stem
    json.loads((run_dir / "metrics.json").read_text())  # fail here, clearly, if the run wrote no metrics
    return run_dir


def run_pde(preset: str, runs_dir: Path, max_seconds: float | None = None) -> Path:
    """Fit the Burgers preset, test it (with the linear baseline and the numerical floor); returns the run folder."""
    return _run_preset("pde", PDE_CONFIGS / f"burgers_{preset}.yaml", runs_dir, max_seconds)


def run_genomics(preset: str, runs_dir: Path, max_seconds: float | None = None) -> Path:
    """Fit the generated-benchmark preset, test it (k-mer ridge, true-motif additive model, ceiling) and draw the
    attribution maps; returns the run folder."""
    return _run_preset("genomics", GENOMICS_CONFIGS / f"synthetic_{preset}.yaml", runs_dir, max_seconds)


APP = App(name="science", help="science apps: pde fit|test|generate; genomics fit|test|predict", main=main,
          demo_steps=(DemoStep("pde", run_pde, presets=("demo", "quick", "gpu")),
                      DemoStep("genomics", run_genomics, presets=("demo", "quick", "gpu"))))
