"""The PDE app's declaration: `zoo science pde fit|validate|test|generate` and its `zoo demo` step (Burgers)."""

from __future__ import annotations

from pathlib import Path

from zoo.runtime.app_builder import declare_app

CONFIGS = Path(__file__).parent / "configs"

APP = declare_app(
    "science/pde", "PDE surrogates: fit|validate|test (LightningCLI), generate --pde burgers|darcy|navier_stokes",
    task="apps.science.pde.task:FieldTask", data=["apps.science.pde.data"],
    presets=CONFIGS, preset_file="burgers_{preset}.yaml", kind="field",
    commands={"generate": "apps.science.pde.cli:generate_main"},
    perf="apps.science.pde.perf:workloads", serve="apps.science.pde.serve:tab",
    floors={"demo": "baseline"})  # test relative L2 error below the baseline's
