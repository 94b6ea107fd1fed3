"""The science apps' entry for `zoo`: `zoo science pde ...` (and its `zoo demo` step). Heavy imports on use."""

from __future__ import annotations

import json
from pathlib import Path

from zoo.runtime.apps import App, DemoStep, Trial

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


def _run_trial(sub: str, config: Path, trial: Trial) -> Path:
    """`zoo science <sub> fit -c config` with the trial's overrides; returns ``<runs_dir>/<sub>/<name>``."""
    from zoo.lessons.trials import lightning_args

    config = trial.config or config
    if not config.is_file():
        raise FileNotFoundError(f"no such {sub} preset: {config} is missing")
    main([sub, "fit", "-c", str(config)] + lightning_args(trial))
    run_dir = Path(trial.runs_dir) / sub / trial.name
    json.loads((run_dir / "metrics.json").read_text())  # fail here, clearly, if the run wrote no metrics
    return run_dir


def trial_pde(trial: Trial) -> Path:
    return _run_trial("pde", PDE_CONFIGS / f"burgers_{trial.preset}.yaml", trial)


def trial_genomics(trial: Trial) -> Path:
    return _run_trial("genomics", GENOMICS_CONFIGS / f"synthetic_{trial.preset}.yaml", trial)


def run_pde(preset: str, runs_dir: Path, max_seconds: float | None = None) -> Path:
    """Fit the Burgers preset, test it (with the linear baseline and the numerical floor); returns the run folder."""
    return trial_pde(Trial(preset, f"burgers_{preset}", Path(runs_dir), max_seconds=max_seconds))


def run_genomics(preset: str, runs_dir: Path, max_seconds: float | None = None) -> Path:
    """Fit the generated-benchmark preset, test it (k-mer ridge, true-motif additive model, ceiling) and draw the
    attribution maps; returns the run folder."""
    return trial_genomics(Trial(preset, f"synthetic_{preset}", Path(runs_dir), max_seconds=max_seconds))


APP = App(name="science", help="science apps: pde fit|test|generate; genomics fit|test|predict", main=main,
          demo_steps=(DemoStep("pde", run_pde, presets=("demo", "quick", "gpu"), trial=trial_pde, kind="field",
                               config_for=lambda p: PDE_CONFIGS / f"burgers_{p}.yaml"),
                      DemoStep("genomics", run_genomics, presets=("demo", "quick", "gpu"), trial=trial_genomics,
                               kind="sequence", config_for=lambda p: GENOMICS_CONFIGS / f"synthetic_{p}.yaml")))
