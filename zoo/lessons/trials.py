"""Running an app's preset with overrides (a ``Trial``), for `zoo sweep|study|compare`.

Lightning apps share one translation of a Trial into LightningCLI arguments; other apps (self-play) map the
fields they support themselves. Everything a lesson tool reads back comes from the run folder's ``metrics.json``
and CSV log, so a trial can run in this process, another process or another machine.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from .._registry import list_families
from ..runtime.apps import App, DemoStep, Trial, as_duration, discover_apps, selects, step_label
from ..runtime.console import make_console
from ..runtime.record import RunRecord


def lesson_console():
    """The commands' console (zoo.runtime.console): wide and unwrapped in a file or pipe."""
    return make_console()


def parse_budget(spec: str) -> tuple[float, str]:
    """``"300steps"``, ``"2epochs"``, ``"90s"`` / ``"90seconds"`` -> (amount, unit); zero or junk is an error."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[+-]?\d+)?)\s*(steps?|epochs?|s|sec|seconds?)\s*", spec or "")
    if not m:
        raise ValueError(f"budget {spec!r}: expected a number and a unit, e.g. 300steps, 2epochs or 90s")
    amount, unit = float(m.group(1)), m.group(2)
    unit = "steps" if unit.startswith("step") else "epochs" if unit.startswith("epoch") else "seconds"
    if amount <= 0 or (unit != "seconds" and amount != int(amount)):
        raise ValueError(f"budget {spec!r}: needs a positive {'whole ' if unit != 'seconds' else ''}number of {unit}")
    return amount, unit


def lightning_args(trial: Trial) -> list[str]:
    """The LightningCLI arguments (``zoo.runtime.lightning_cli.ZooCLI``) that apply ``trial`` on top of a preset."""
    args = ["--name", trial.name, "--runs_dir", str(trial.runs_dir)]
    if trial.lr is not None:
        args += ["--model.lr", repr(float(trial.lr))]
    if trial.batch_size is not None:
        args += ["--data.init_args.batch_size", str(int(trial.batch_size))]
    if trial.schedule is not None:
        args += ["--model.schedule", trial.schedule]
    if trial.seed is not None:
        args += ["--seed_everything", str(int(trial.seed))]
    if trial.model is not None:
        args += ["--model.model", trial.model]
    if trial.model_kwargs is not None:
        args += ["--model.model_kwargs", json.dumps(trial.model_kwargs)]
    if trial.init is not None:
        args += ["--model.init", trial.init]
    if trial.budget is not None:
        amount, unit = trial.budget
        # The budget is the only limit: the preset's epochs, steps, time and early stopping are lifted.
        args += ["--trainer.max_epochs", str(int(amount)) if unit == "epochs" else "-1",
                 "--trainer.max_steps", str(int(amount)) if unit == "steps" else "-1",
                 "--trainer.max_time", as_duration(amount) if unit == "seconds" else "null",
                 "--trainer.callbacks", "[]", "--trainer.log_every_n_steps", "1"]  # every step: the loss curves
        if unit == "steps":  # validate when the budget ends, even mid-epoch
            args += ["--trainer.check_val_every_n_epoch", "null", "--trainer.val_check_interval", str(int(amount))]
    if trial.max_seconds:
        args += ["--trainer.max_time", as_duration(trial.max_seconds)]
    if trial.extra_eval is not None:
        args += ["--extra_eval", str(bool(trial.extra_eval)).lower()]
    if trial.gradient_health_every is not None:
        args += ["--gradient_health_every", str(int(trial.gradient_health_every))]
    return args


def check_supported(step: DemoStep, trial: Trial, label: str) -> None:
    """A clear error when ``trial`` sets a field that ``step`` cannot change."""
    unsupported = [f for f in Trial.__dataclass_fields__ if f not in ("preset", "name", "runs_dir", "config", "extra_eval")
                   and getattr(trial, f) is not None and f not in step.supports]
    if unsupported:
        raise ValueError(f"{label} cannot change {', '.join(unsupported)}; it supports {', '.join(step.supports)}")


@dataclass(frozen=True)
class Target:
    """An app step that lesson tools can run: ``app/step`` with its trial function."""

    app: str
    step: DemoStep

    @property
    def label(self) -> str:
        return step_label(self.app, self.step.name)


def resolve_targets(spec: str, apps: dict[str, App] | None = None) -> list[Target]:
    """``"vision"``, ``"vision/images"``, ``"science/genomics"``, a group (``"science"``), ``"a,b"`` or ``"all"``
    -> the steps with a ``trial`` function."""
    apps = discover_apps() if apps is None else apps
    every = [Target(a.name, s) for a in apps.values() for s in a.demo_steps if s.trial is not None]
    if spec == "all":
        return every
    chosen = []
    for part in [p for p in spec.split(",") if p]:
        found = [t for t in every if t.label == part or selects(part, t.app)]
        if not found:
            mine = [a for a in apps.values() if selects(part, a.name) or part.startswith(a.name + "/")]
            if not mine:
                raise ValueError(f"unknown app {part!r}; installed: {', '.join(apps) or 'none'} (or 'all')")
            names = ", ".join(step_label(a.name, s.name) for a in mine for s in a.demo_steps)
            raise ValueError(f"{part!r} has no step that lesson tools can run; steps: {names or 'none'}")
        chosen += found
    if not chosen:
        raise ValueError("no app given: name one (e.g. vision) or 'all'")
    return chosen


def check_families(families: list[str]) -> None:
    known = list_families(core_only=False)
    unknown = [f for f in families if f not in known]
    if unknown:
        raise ValueError(f"unknown family {', '.join(unknown)}; the zoo has: {', '.join(known)}")


def read_result(run_dir: Path) -> dict:
    """A finished trial's run record (``RunRecord.read``: a bad metrics.json is an ``InputError`` naming the field)
    as a dict, plus ``score``: the best validation value of the monitored metric (the held-out headline when the app
    has no validation split), ``score_name`` and ``higher_is_better``. A run whose training diverged has a nan
    score."""
    record = RunRecord.read(Path(run_dir) / "metrics.json")
    rank = record.ranking()
    return {**record.to_dict(), "score": rank.value, "score_name": rank.name, "higher_is_better": rank.higher_is_better}


def loss_curve(run_dir: Path) -> list[tuple[float, float]]:
    """(step, training loss) from a run's CSV log; empty when there is none."""
    from ..runtime.report import read_csv_log

    logs = sorted((Path(run_dir) / "csv").glob("metrics*.csv"), key=lambda p: p.stat().st_mtime)
    series = read_csv_log(logs, by="step") if logs else {}
    return series.get("train_loss_step") or series.get("train_loss") or []


def finished_run(root: Path, name: str) -> Path | None:
    """The run folder called ``name`` under ``root/<app folder>/`` that holds a metrics.json, if any: lesson tools
    do not train a finished configuration again. (An app picks its folder: the science steps write to pde/ and
    genomics/.)"""
    found = sorted(Path(root).glob(f"*/{name}/metrics.json"))
    return found[0].parent if found else None


def mean_pm(v: dict) -> str:
    """``mean ± spread`` of a seed aggregate (the spread only with several seeds); "diverged" for a nan mean."""
    if not math.isfinite(v["mean"]):
        return "diverged"
    return f"{v['mean']:.4g}" + (f" ± {v['std']:.2g}" if v.get("n", 1) > 1 else "")
