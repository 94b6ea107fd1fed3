"""`zoo bench APP|all`: an app's benchmark matrix (its ``configs/bench.yaml``, see ``zoo.runtime.bench_spec``),
run cell by cell through the app's ``Trial`` runner, printed as one table and written as JSON with the machine it
ran on.

Cells share `zoo compare`'s machinery (``zoo.lessons.cells``): a cell whose run already finished with the same
settings is reused, and a cell that fails with an expected error is reported in the table while the rest run.
``--record`` also writes ``results/<app>.json``, from which ``scripts/readme_tables.py`` writes the README's tables.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import time
from dataclasses import dataclass
from pathlib import Path

from .._registry import list_families
from ..cache import data_path
from ..errors import InputError
from ..lessons.cells import RunClock, family_model, preset_model, run_cell
from ..lessons.trials import Target, check_supported, lesson_console, resolve_targets
from ..outputs import write_json
from ..trust.reader import read_mapping
from ..trust.runfolder import RunFolder
from .apps import App, Trial
from .bench_spec import BenchFamily, BenchSpec, load_bench
from .bench_table import print_table
from .machine import machine_record

RESULTS = Path("results")  # committed: one JSON per app, the source of the README's result tables


@dataclass
class BenchCell:
    """One (dataset, family) cell of a matrix: the trial to run, or why it is not run."""

    dataset: str
    """The dataset's key in the bench file."""
    family: str
    """The zoo family."""
    config: Path
    """The preset it trains."""
    model: str | None
    """The model that stands for the family (None: no model of this family takes the app's inputs)."""
    model_kwargs: dict | None
    """Replaces the preset's model arguments; None keeps them (the preset's own model)."""
    epochs: int | None
    """Exactly this many epochs (the preset's limits lifted), or None for the preset's own."""
    max_seconds: float | None
    """The training cap; None keeps the preset's own limits."""
    status: str | None = None
    """Why the cell is not run ("n/a: ...", "skipped: ..."), or after running: "ok", "reused", "failed: ..."."""
    result: dict | None = None
    """Its run's metrics.json (``zoo.lessons.trials.read_result``) once it ran."""

    @property
    def name(self) -> str:
        return f"{self.dataset}_{self.family}"

    def trial(self, runs_dir: Path) -> Trial:
        """The app's run of this cell; it names the model only where the cell replaces the preset's."""
        replaces = self.model_kwargs is not None
        return Trial("quick", self.name, runs_dir, config=self.config, model=self.model if replaces else None,
                     model_kwargs=self.model_kwargs, budget=(self.epochs, "epochs") if self.epochs else None,
                     max_seconds=self.max_seconds)

    def settings(self) -> dict:
        """What decides the result: a finished run is reused only when these are the same (the preset by its parsed
        content, so that editing a comment does not retrain)."""
        content = json.dumps(read_mapping(self.config, allow_classes=True), sort_keys=True, default=str)
        digest = hashlib.sha256(content.encode()).hexdigest()[:16]
        return {"config": self.config.name, "config_sha256": digest, "model": self.model,
                "model_kwargs": self.model_kwargs, "epochs": self.epochs, "max_seconds": self.max_seconds}


def bench_file(target: Target) -> Path | None:
    """The step's bench matrix: ``DemoStep.bench``, else ``bench.yaml`` beside its quick preset; None if neither."""
    if target.step.bench is not None:
        return Path(target.step.bench)
    if target.step.config_for is None:
        return None
    path = Path(target.step.config_for("quick")).parent / "bench.yaml"
    return path if path.is_file() else None


def bench_name(target: Target, apps: dict[str, App]) -> str:
    """The app's name, or ``app/step`` where the app has several steps (``science/genomics``)."""
    app = apps.get(target.app)
    return target.label if app is not None and len(app.demo_steps) > 1 else target.app


def ordered_families(spec: BenchSpec, kind: str | None) -> list[str]:
    """The bench's families (every core family for ``kind`` when it names none), in the registry's order."""
    registry = list_families(kind, core_only=False) if kind else list_families(core_only=False)
    chosen = list(spec.families) or (list_families(kind) if kind else [])
    return [f for f in registry if f in chosen] + [f for f in chosen if f not in registry]


def select(asked: str | None, available: list[str], what: str, spec: BenchSpec, strict: bool = True) -> list[str]:
    """``--families`` / ``--datasets`` as a list checked against the bench file (``strict``: a name it lacks is an
    error; else it is left out, as `zoo bench all` does for each app)."""
    if asked is None:
        return available
    names = [n.strip() for n in asked.split(",") if n.strip()]
    unknown = [n for n in names if n not in available]
    if not names or (strict and unknown):
        raise InputError(f"--{what} {asked!r}: {spec.path} has {what} {', '.join(available)}")
    return [n for n in available if n in names]


def plan(spec: BenchSpec, kind: str | None, families: list[str], datasets: list[str],
         minutes: float | None) -> list[BenchCell]:
    """Every (dataset, family) cell in table order, with its model, budget, and why it will not run, if so."""
    cells = []
    for key in datasets:
        data = spec.datasets[key]
        missing = [p for p in data.requires if not data_path(p).exists()]
        for fam in families:
            settings = spec.families.get(fam, BenchFamily())
            config = data.configs.get(fam, data.config)
            model, kwargs, status = cell_model(settings, data.model_kwargs.get(fam, {}), config, fam, kind)
            cap = minutes if minutes is not None else None if settings.preset_budget else spec.minutes
            if status is None and missing:
                status = f"skipped: needs {', '.join(missing)}"
            cells.append(BenchCell(key, fam, config, model, kwargs, settings.epochs,
                                   None if cap is None else cap * 60, status))
    return cells


def cell_model(settings: BenchFamily, dataset_kwargs: dict, config: Path, family: str,
               kind: str | None) -> tuple[str | None, dict | None, str | None]:
    """(model, its arguments or None to keep the preset's, why the cell stays empty): the bench's model for the
    family, else the preset's own (same family), else the family's small model for ``kind`` (as `zoo compare`)."""
    if settings.model:
        model, override, status = settings.model, True, None
    else:
        model, override, status = family_model(preset_model(config), family, kind)
    return model, {**settings.model_kwargs, **dataset_kwargs} if override else None, status


def run_bench(target: Target, spec: BenchSpec, name: str, out: Path, families: list[str], datasets: list[str],
              minutes: float | None, command: str, console=None) -> dict:
    """Run the matrix and write ``<out>/<name>.json``; returns what it wrote."""
    console = console or lesson_console()
    step, slug = target.step, name.replace("/", "-")
    cells = plan(spec, step.kind, families, datasets, minutes)
    runnable = [c for c in cells if c.status is None]
    for c in runnable:  # a field the app cannot change is an error before anything trains
        check_supported(step, c.trial(out), f"{spec.path}: {c.dataset}/{c.family} ({target.label})")
    RunFolder.claim(out, "--out")  # every cell checked: now the folder, new or made by an earlier bench
    console.print(f"bench {name}: {len(cells)} cells ({len(runnable)} to run) from {spec.path}")
    clock, start, root = RunClock(len(runnable)), time.perf_counter(), out / slug
    for i, c in enumerate(runnable, 1):
        cap = c.max_seconds
        console.rule(f"[bold]bench {name} {i}/{len(runnable)}: {c.dataset} / {c.family} ({c.model}), training "
                     + ("<= " + f"{cap:.0f} s" if cap else "under the preset's limits")
                     + f"; about {clock.eta_seconds(cap) / 60:.0f} min left")
        clock.next_cap(cap)
        trial = c.trial(root)
        outcome = run_cell(root, c.name, c.settings(), lambda trial=trial: step.trial(trial), clock, console)
        c.status = outcome.status
        c.result = outcome.result
    rows = [row(spec, c) for c in cells]
    precisions = sorted({r["precision"] for r in rows})
    payload = {"app": name, "bench_file": _shown(spec.path), "command": command, "description": spec.description,
               "minutes": minutes if minutes is not None else spec.minutes,
               "machine": machine_record(precisions[0] if len(precisions) == 1 else precisions),
               "wall_minutes": round((time.perf_counter() - start) / 60, 2),
               "columns": [{"label": col.label, "key": col.key, "format": col.format, "per": col.per}
                           for col in spec.columns], "rows": rows}
    print_table(payload, console)
    path = write_json(out / f"{slug}.json", payload)
    console.print(f"bench {name}: wrote {path}")
    return payload


def row(spec: BenchSpec, c: BenchCell) -> dict:
    """One table row: the cell, its run's numbers (the bench file's columns included) and its status."""
    data = spec.datasets[c.dataset]
    base = {"dataset": c.dataset, "dataset_label": data.label or c.dataset, "family": c.family,
            "model": c.model or "-", "status": c.status or "not run", "precision": _precision(c.config)}
    m = c.result
    if m is None:
        return base
    values = {col.label: _ratio(_lookup(m, col.key), _lookup(m, col.per) if col.per else 1.0) for col in spec.columns}
    return {**base, "model": m.get("model", c.model), "parameters": m.get("num_parameters"),
            "train_s": m.get("fit_seconds"), "epochs": m.get("epochs"), "headline": m.get("headline"),
            "values": values, "run_dir": m.get("run_dir")}


def _lookup(payload: dict, key: str):
    """``a.b.c`` in nested dicts (list items by index); None where any part is missing or not a number."""
    value = payload
    for part in key.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _ratio(value: float | None, per: float | None) -> float | None:
    return None if value is None or not per else value / per


def _precision(config: Path) -> str:
    """The preset's ``trainer.precision`` (Lightning's default, 32-true, when it sets none)."""
    cfg = read_mapping(config, allow_classes=True)  # bounded, no aliases (zoo.trust.reader)
    trainer = cfg.get("trainer") if isinstance(cfg.get("trainer"), dict) else {}
    return str(trainer.get("precision", "32-true"))


def _shown(path: Path) -> str:
    """A path relative to the current folder when it is inside it (what the README and results/ show)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def main(args, apps: dict[str, App]) -> int:
    """`zoo bench` after argument parsing: resolve the apps, check every bench file and selection, then run.
    Returns 1 when a cell failed (the table and JSON are written all the same)."""
    targets = resolve_targets(args.app, apps)
    jobs = []
    for t in targets:
        path = bench_file(t)
        if path is None:
            if args.app != "all":
                raise InputError(f"{t.label} has no bench matrix (configs/bench.yaml beside its presets)")
            continue
        spec, strict = load_bench(path), args.app != "all"
        families = select(args.families, ordered_families(spec, t.step.kind), "families", spec, strict)
        datasets = select(args.datasets, [k for k, d in spec.datasets.items() if d.default or args.datasets],
                          "datasets", spec, strict)
        if families and datasets:
            jobs.append((t, spec, families, datasets))
    if not jobs:
        raise InputError(f"{args.app}: no app step with a bench matrix")
    if args.minutes is not None and not args.minutes > 0:
        raise InputError(f"--minutes must be positive, got {args.minutes}")
    command = " ".join(shlex.quote(str(a)) for a in ["zoo", "bench", args.app, *_flags(args)])
    failed = 0
    for t, spec, families, datasets in jobs:
        name = bench_name(t, apps)
        payload = run_bench(t, spec, name, Path(args.out), families, datasets, args.minutes, command)
        if args.record:
            path = write_json(RESULTS / f"{name.replace('/', '-')}.json", payload)
            print(f"bench {name}: recorded {path}")
        failed += sum(r["status"].startswith("failed") for r in payload["rows"])
    return 1 if failed else 0


def _flags(args) -> list:
    """The options of this command line, as a person would type them (recorded with the results)."""
    flags = []
    for option in ("families", "datasets", "minutes"):
        if getattr(args, option) is not None:
            flags += [f"--{option}", f"{getattr(args, option):g}" if option == "minutes" else getattr(args, option)]
    return flags + (["--record"] if args.record else [])
