"""The plug-in contract between the `zoo` command and the apps.

An app exposes one ``App`` object under the entry-point group ``zoo_suite.apps`` (see pyproject.toml). The zoo
never imports an app by name: third-party packages can add apps the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

ENTRY_POINT_GROUP = "zoo_suite.apps"


@dataclass(frozen=True)
class Trial:
    """One training run that `zoo sweep|study|compare` asks of an app: the step's preset, changed only where a field
    is set (None keeps the preset's value). The run goes to ``runs_dir`` under ``name`` and must leave a
    ``metrics.json`` that ``zoo.runtime.record.RunRecord.read`` accepts."""

    preset: str
    name: str
    runs_dir: Path
    config: Path | None = None  # a config file to use instead of the preset's
    lr: float | None = None
    batch_size: int | None = None
    schedule: str | None = None
    seed: int | None = None
    model: str | None = None
    model_kwargs: dict[str, Any] | None = None  # replaces the preset's model arguments when set
    init: str | None = None
    budget: tuple[float, str] | None = None  # (amount, "steps"|"epochs"|"seconds"): the only limit on training
    max_seconds: float | None = None  # a cap on top of the preset's own limits
    gradient_health_every: int | None = None
    extra_eval: bool | None = None  # False: skip the app's evaluation beyond the test metrics (a hint; may be ignored)


@dataclass(frozen=True)
class DemoStep:
    """One step of `zoo demo` / `make gpu-check`.

    ``run(preset, runs_dir, max_seconds)`` trains and evaluates with the named preset ("demo", "quick", "gpu"),
    stops training after ``max_seconds`` when given, and returns the run folder, which must hold a
    ``metrics.json`` that ``zoo.runtime.record.RunRecord.read`` accepts (``zoo.runtime.finish.finish_run`` writes
    one for every LightningCLI app).

    ``trial(Trial)`` (optional) runs the step's preset with overrides, for `zoo sweep|study|compare`; ``kind`` is
    the zoo input kind its models take (it picks a model per family); ``config_for(preset)`` gives the preset's
    config file; ``supports`` names the Trial fields the step can change.
    """

    name: str
    run: Callable[[str, Path, float | None], Path]
    presets: Sequence[str] = ("demo", "quick", "gpu")
    trial: Callable[[Trial], Path] | None = None
    kind: str | None = None
    config_for: Callable[[str], Path] | None = None  # preset name -> its config file
    lessons: bool = False  # this (cheap) step hosts `zoo demo`'s quick sweep and leaderboard
    bench: Path | None = None  # the step's benchmark matrix (YAML, see zoo.runtime.bench), run by `zoo bench`
    supports: Sequence[str] = ("lr", "batch_size", "schedule", "seed", "model", "model_kwargs", "init", "budget",
                               "max_seconds", "gradient_health_every")
    floors: Mapping[str, float | str] = field(default_factory=dict)
    """preset -> the quality its run must reach: a number the headline must reach (at least, or at most where
    lower is better), or "baseline" (the headline must beat the run's baseline). `zoo demo` shows PASS/FAIL."""


@dataclass(frozen=True)
class App:
    """An application: ``zoo <name> ARGS...`` calls ``main(ARGS)``; ``demo_steps`` feed `zoo demo`. A name with a
    "/" puts the app in a group: "science/pde" is `zoo science pde ARGS...`. Apps build this with
    ``zoo.runtime.app_builder.declare_app``."""

    name: str
    help: str
    main: Callable[[list[str]], int | None]
    demo_steps: Sequence[DemoStep] = field(default_factory=tuple)
    commands: Sequence[str] = ()  # the words `zoo <name>` takes first (fit, validate, test, its own); () if unknown
    perf: Callable[[bool], Sequence[Any]] | None = None  # quick -> the app's `zoo perf` workloads (zoo.runtime.perf)
    serve: Callable[[Sequence[Path]], None] | None = None  # builds its `zoo serve` tab (zoo.runtime.serve)
    folder: str = ""  # where its runs go: <runs_dir>/<folder>/<run name>


def discover_apps() -> dict[str, App]:
    """Every installed app, by name."""
    found: dict[str, App] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        app = ep.load()
        if not isinstance(app, App):
            raise TypeError(f"entry point {ep.name} = {ep.value} (group {ENTRY_POINT_GROUP}) must be a zoo.runtime.apps.App, "
                            f"got {type(app).__name__}")
        found[app.name] = app
    return dict(sorted(found.items()))


def selects(spec: str, app: str) -> bool:
    """Whether a name a user typed picks ``app``: the app itself, or the group it is in ("science" picks
    "science/pde" and "science/genomics")."""
    return app == spec or app.startswith(spec + "/")


def step_label(app: str, step: str) -> str:
    """How the demo and the lessons name a step: ``app/step``, or the app alone when the step is named after it
    (the app science/pde's step "pde" is science/pde)."""
    return app if app.rsplit("/", 1)[-1] == step else f"{app}/{step}"


def as_duration(seconds: float) -> str:
    """Seconds -> Lightning's ``max_time`` string "DD:HH:MM:SS"."""
    s = int(seconds)
    return f"{s // 86400:02d}:{s % 86400 // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"
