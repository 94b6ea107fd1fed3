"""The plug-in contract between the `zoo` command and the apps.

An app exposes one ``App`` object under the entry-point group ``zoo_suite.apps`` (see pyproject.toml). The zoo
never imports an app by name: third-party packages can add apps the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

ENTRY_POINT_GROUP = "zoo_suite.apps"


@dataclass(frozen=True)
class DemoStep:
    """One step of `zoo demo` / `make gpu-check`.

    ``run(preset, runs_dir, max_seconds)`` trains and evaluates with the named preset ("demo", "quick", "gpu"),
    stops training after ``max_seconds`` when given, and returns the run folder, which must hold a
    ``metrics.json`` as written by ``zoo.lightning_cli.finish_run``.
    """

    name: str
    run: Callable[[str, Path, float | None], Path]
    presets: Sequence[str] = ("demo", "quick", "gpu")


@dataclass(frozen=True)
class App:
    """An application: ``zoo <name> ARGS...`` calls ``main(ARGS)``; ``demo_steps`` feed `zoo demo`."""

    name: str
    help: str
    main: Callable[[list[str]], int | None]
    demo_steps: Sequence[DemoStep] = field(default_factory=tuple)


def discover_apps() -> dict[str, App]:
    """Every installed app, by name."""
    found: dict[str, App] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        app = ep.load()
        if not isinstance(app, App):
            raise TypeError(f"entry point {ep.name} = {ep.value} (group {ENTRY_POINT_GROUP}) must be a zoo.apps.App, "
                            f"got {type(app).__name__}")
        found[app.name] = app
    return dict(sorted(found.items()))


def as_duration(seconds: float) -> str:
    """Seconds -> Lightning's ``max_time`` string "DD:HH:MM:SS"."""
    s = int(seconds)
    return f"{s // 86400:02d}:{s % 86400 // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"
