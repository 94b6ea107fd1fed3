"""One way to build an app: a short declaration becomes its ``App`` (the `zoo <app> ...` command) and its
``DemoStep`` (what `zoo demo`, `zoo sweep|study|compare` and `zoo bench` run).

An app's ``app.py`` holds only its declaration::

    APP = declare_app(
        "science/genomics", "DNA sequence -> activity: fit|validate|test (LightningCLI), score --ckpt",
        task="apps.science.genomics.task:ActivityTask", data=["apps.science.genomics.data"],
        presets=Path(__file__).parent / "configs", preset_file="synthetic_{preset}.yaml", kind="sequence",
        commands={"score": "apps.science.genomics.cli:score_main"})

Code is named as ``"module:attribute"`` strings and imported on first use, so that `zoo --help` (which loads every
app's declaration) imports no app's task, data or Lightning.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from .apps import App, DemoStep, Trial
from .record import RunRecord

LIGHTNING_COMMANDS = ("fit", "validate", "test")
ALL_FIELDS = DemoStep.__dataclass_fields__["supports"].default  # every Trial field a LightningCLI app can change


def load(ref: str | Any) -> Any:
    """``"package.module:attribute"`` -> that attribute, imported now; anything that is not a string is already
    the object."""
    if not isinstance(ref, str):
        return ref
    module, _, attribute = ref.partition(":")
    return getattr(importlib.import_module(module), attribute)


@dataclass(frozen=True)
class AppDeclaration:
    """What an app says about itself; ``declare_app`` documents the fields."""

    name: str
    help: str
    presets: Path
    preset_file: str | Callable[[str], str]
    kind: str
    task: str | None = None
    data: Sequence[str] = ()
    commands: Mapping[str, str | Callable[[list[str]], int | None]] = field(default_factory=dict)
    step: str | None = None
    lessons: bool = False
    train: str = "fit"
    trial_args: str | Callable[[Trial], list[str]] = "zoo.lessons.trials:lightning_args"
    supports: Sequence[str] = ALL_FIELDS
    demo_presets: Sequence[str] = ("demo", "quick", "gpu")
    after_run: Callable[[Path], None] | None = None
    perf: str | None = None
    serve: str | None = None
    floors: Mapping[str, float | str] = field(default_factory=dict)

    @property
    def folder(self) -> str:
        """The runs folder: ``<runs_dir>/<folder>/<run name>``; an app in a group writes to its own last name
        (science/pde -> runs/pde/)."""
        return self.name.rsplit("/", 1)[-1]

    @property
    def prog(self) -> str:
        return "zoo " + self.name.replace("/", " ")

    def config_for(self, preset: str) -> Path:
        """The preset's config file (it may not exist: callers check)."""
        pattern = self.preset_file
        return self.presets / (pattern(preset) if callable(pattern) else pattern.format(preset=preset))

    def main(self, argv: list[str]) -> int:
        """`zoo <app> ARGS`: an extra command by its name, else LightningCLI's fit|validate|test."""
        argv = list(argv)
        if argv and argv[0] in self.commands:
            return load(self.commands[argv[0]])(argv[1:]) or 0
        if self.task is None:
            return self.usage(argv)
        return self.lightning(argv)

    def lightning(self, argv: list[str]) -> int:
        import lightning as L

        from .lightning_cli import ZooCLI

        for module in self.data:  # imported so that `--data.class_path` can name a data module by its class alone
            importlib.import_module(module)
        ZooCLI(self.folder, load(self.task), L.LightningDataModule, args=argv, data_modules=self.data,
               presets=self.presets, parser_kwargs={"prog": self.prog, "description": self.description()})
        return 0

    def description(self) -> str:
        text = (f"{self.help}. Presets: -c <preset> (a name, or {_shown(self.presets)}/<preset>.yaml), then "
                "--model.*, --data.*, --trainer.* change them.")
        if self.commands:
            text += " Also: " + ", ".join(f"`{self.prog} {c}`" for c in self.commands) + "."
        return text + " Each command has --help."

    def usage(self, argv: list[str]) -> int:
        """An app with only its own commands (no LightningCLI): list them."""
        return list_commands(self.prog, self.help, dict.fromkeys(self.commands, ""), argv)

    def trial(self, trial: Trial) -> Path:
        """The preset (or ``trial.config``) with the trial's overrides; returns ``<runs_dir>/<folder>/<name>``."""
        config = Path(trial.config) if trial.config else self.config_for(trial.preset)
        if not config.is_file():
            raise InputError(f"no {trial.preset!r} preset for {self.name}: {config} is missing")
        self.main([self.train, "-c", str(config), *load(self.trial_args)(trial)])
        run_dir = Path(trial.runs_dir) / self.folder / trial.name
        metrics = run_dir / "metrics.json"
        if not metrics.is_file():  # fail here, clearly, rather than in whatever reads the result
            raise FileNotFoundError(f"{self.name}: the run ended without writing {metrics}")
        RunRecord.read(metrics)
        return run_dir

    def run(self, preset: str, runs_dir: Path, max_seconds: float | None = None) -> Path:
        """`zoo demo`'s step: the preset under its own name (e.g. runs/vision/digits_demo)."""
        run_dir = self.trial(Trial(preset, self.config_for(preset).stem, Path(runs_dir), max_seconds=max_seconds))
        if self.after_run is not None:
            self.after_run(run_dir)
        return run_dir

    def demo_step(self) -> DemoStep:
        bench = self.presets / "bench.yaml"
        return DemoStep(self.step or self.folder, self.run, presets=tuple(self.demo_presets), trial=self.trial,
                        kind=self.kind, config_for=self.config_for, lessons=self.lessons,
                        bench=bench if bench.is_file() else None, supports=tuple(self.supports),
                        floors=dict(self.floors))

    def app(self) -> App:
        lightning = LIGHTNING_COMMANDS if self.task is not None else ()
        perf = (lambda quick: load(self.perf)(quick)) if self.perf else None
        serve = (lambda runs: load(self.serve)(runs)) if self.serve else None
        return App(self.name, self.help, self.main, (self.demo_step(),), (*lightning, *self.commands), perf, serve,
                   self.folder)


def declare_app(name: str, help: str, *, presets: Path, preset_file: str | Callable[[str], str], kind: str,
                **options) -> App:
    """An app from its declaration.

    Required: ``name`` (the command words joined by "/": "vision", "science/pde"), ``help`` (one line),
    ``presets`` (the configs folder), ``preset_file`` (a demo preset's file name: a pattern with ``{preset}`` or a
    function of the preset) and ``kind`` (the zoo input kind the app's models take).

    Options: ``task`` ("module:Class", the ZooTask that LightningCLI's fit|validate|test train; None for an app
    with only its own commands), ``data`` (modules holding its data modules), ``commands`` ({name:
    "module:function"}, each taking the arguments after its name and returning an exit code), ``step`` (the demo
    step's name; default: the app's last name), ``lessons`` (this step hosts `zoo demo`'s sweep and leaderboard),
    ``train`` and ``trial_args`` (the command a trial runs after ``-c CONFIG`` and the function that turns a
    ``Trial`` into its further arguments; LightningCLI's ``fit`` by default), ``supports`` (the Trial fields that
    function honours), ``demo_presets``, ``after_run`` (called with the demo run's folder) and ``perf`` ("module:function"
    giving the app's `zoo perf` workloads, see ``zoo.runtime.perf``) and ``serve`` ("module:function" building the
    app's `zoo serve` tab from its finished runs, newest first; see ``zoo.runtime.serve``) and ``floors`` ({preset:
    the quality the step's run must reach}, see ``DemoStep.floors``).
    """
    return AppDeclaration(name, help, Path(presets), preset_file, kind, **options).app()


def list_commands(prog: str, about: str, commands: Mapping[str, str], argv: list[str]) -> int:
    """`PROG`, `PROG --help` or `PROG WRONG` where PROG only hands over to its commands: the commands, one a line.
    Help that was asked for goes to stdout and exits 0; otherwise it is an error (stderr, 2), the word named."""
    import sys

    asked = argv[:1] in (["-h"], ["--help"])
    lines = [f"usage: {prog} {{{','.join(commands)}}} ...", "", about, ""]
    lines += [f"  {name:10s} {text}".rstrip() for name, text in commands.items()]
    lines += ["", f"each has --help, e.g. `{prog} {next(iter(commands))} --help`"]
    if argv and not asked:
        lines.append(f"{prog}: error: unknown command {argv[0]!r}")
    print("\n".join(lines), file=sys.stdout if asked else sys.stderr)
    return 0 if asked else 2


def _shown(path: Path) -> str:
    """A presets folder as a user would type it from the checkout (absolute when installed elsewhere)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
