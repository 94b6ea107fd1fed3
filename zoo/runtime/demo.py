"""`zoo demo`: run every installed app's demo step with one preset, then write one report."""

from __future__ import annotations

import json
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..outputs import write_json
from ..trust.runfolder import RunFolder
from .apps import App, DemoStep, discover_apps, selects, step_label
from .bench import RESULTS
from .console import make_console
from .machine import describe, machine_record
from .record import RunRecord
from .report import demo_report


@dataclass
class StepResult:
    """How one demo step went: its run record, or the error that stopped it."""

    step: str
    """``app/step``."""
    app: str
    """The app's name."""
    wall_seconds: float
    """Seconds the whole step took (data, training, evaluation)."""
    record: RunRecord | None = None
    """The run's metrics.json; None when the step failed."""
    error: str = ""
    """``Type: message`` of the failure; empty when it succeeded."""
    floor: float | str | None = None
    """The quality the step must reach (``DemoStep.floors`` for this preset); None: none stated."""

    @property
    def status(self) -> str:
        """``ok``; ``failed`` (no run record); ``timed out`` (its time cap ended training early: not the model its
        preset describes); ``below floor`` (trained, but short of the quality it states)."""
        if self.record is None:
            return "failed"
        if self.record.timed_out:
            return "timed out"
        return "below floor" if self.meets_floor() is False else "ok"

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def meets_floor(self) -> bool | None:
        """Whether the headline reaches the floor; None when there is no floor (or no baseline to beat)."""
        if self.record is None or self.floor is None:
            return None
        head = self.record.headline
        if self.floor == "baseline":
            if self.record.baseline is None:
                return None
            target = self.record.baseline.value
            return head.value > target if head.higher_is_better else head.value < target
        return head.value >= self.floor if head.higher_is_better else head.value <= self.floor

    def floor_text(self) -> str:
        """The floor as a person reads it: ">= 50", "beats baseline"; "-" when none."""
        if self.floor is None:
            return "-"
        if self.floor == "baseline":
            return "beats baseline"
        higher = self.record is None or self.record.headline.higher_is_better
        return f"{'>=' if higher else '<='} {self.floor:g}"

    def verdict(self) -> str:
        """PASS / FAIL against the floor, or "-" where no floor applies."""
        met = self.meets_floor()
        return "-" if met is None else "PASS" if met and not self.record.timed_out else "FAIL"

    def to_dict(self) -> dict:
        """For JSON: the record's fields (when there is one) with the step's own."""
        return {**(self.record.to_dict() if self.record else {"app": self.app}), "step": self.step,
                "status": self.status, "wall_seconds": self.wall_seconds,
                "floor": self.floor, "floor_verdict": self.verdict(),
                **({"error": self.error} if self.error else {})}


def demo_steps(preset: str, only: list[str] | None = None) -> list[tuple[str, App, DemoStep]]:
    """(label, app, step) for each installed app's demo step that has ``preset``; ``only`` names apps or groups."""
    return [(step_label(app.name, step.name), app, step) for app in discover_apps().values()
            for step in app.demo_steps
            if (only is None or any(selects(o, app.name) for o in only)) and preset in step.presets]


def run_steps(preset: str, runs_dir: Path, only: list[str] | None = None, max_seconds: float | None = None,
              console: Console | None = None) -> list[StepResult]:
    """Run each app's demo step that has ``preset``; one result per step (its run record, or its error)."""
    console = console or make_console()
    steps = demo_steps(preset, only)
    if not steps:
        console.print(f"[yellow]no installed app has a demo step with preset {preset!r}")
    results = []
    for i, (label, app, step) in enumerate(steps, 1):
        console.rule(f"[bold]step {i}/{len(steps)}: {label} (preset {preset})")
        start = time.perf_counter()
        record, error = None, ""
        try:
            record = RunRecord.read(Path(step.run(preset, runs_dir, max_seconds)))
        except Exception as e:  # one failing step must not hide the others; the error goes in the report
            console.print(traceback.format_exc())
            error = f"{type(e).__name__}: {e}"
        results.append(StepResult(label, app.name, round(time.perf_counter() - start, 1), record, error,
                                  step.floors.get(preset)))
    return results


def results_table(results: list[StepResult], title: str) -> Table:
    table = Table(title=title)
    for col in ("step", "status", "seconds", "held-out", "value", "baseline", "floor", "", "samples/s"):
        table.add_column(col, justify="right" if col in ("seconds", "value", "baseline", "samples/s") else "left",
                         no_wrap=col in ("step", "status"))
    for r in results:
        status = r.status if r.ok else f"[red]{r.status.upper()}"
        if r.record is None:
            table.add_row(r.step, status, str(r.wall_seconds), r.error[:60], "", "", r.floor_text(), "", "")
            continue
        rec = r.record
        verdict = r.verdict()
        table.add_row(r.step, status, str(r.wall_seconds), rec.headline.name, f"{rec.headline.value:.4f}",
                      f"{rec.baseline.value:.4f}" if rec.baseline else "-", r.floor_text(),
                      f"[red]{verdict}" if verdict == "FAIL" else verdict, f"{rec.train_samples_per_s or 0:.0f}")
    return table


# A bound on the demo's leaderboard, not its budget: the lesson preset's one epoch is every family's budget (an
# equal number of samples, in which each learns), and the time-shared caps this bound sets only bind on a slow machine.
LEADERBOARD_MINUTES = 3.0


def lesson_preset(step: DemoStep, preset: str) -> str:
    """The host step's ``lesson`` preset (a smaller split, sized so that six sweep trials and four families fit in
    about two and a half minutes on 2 cores) when it has one and the demo runs its ``demo`` preset; else ``preset``."""
    if preset == "demo" and step.config_for is not None and step.config_for("lesson").is_file():
        return "lesson"
    return preset


def run_lessons(preset: str, runs_dir: Path, only: list[str] | None = None, console: Console | None = None) -> list[dict]:
    """The course's lessons in miniature on the step that hosts them (``DemoStep.lessons``): a 3 x 2 learning-rate x
    batch-size sweep of one epoch per trial, and a one-seed leaderboard of the four core families, on the step's
    ``lesson`` preset (see ``lesson_preset``)."""
    from .._registry import list_families
    from ..lessons.compare import run_compare
    from ..lessons.sweep import SweepSpec, run_sweep
    from ..lessons.trials import Target

    console = console or make_console()
    hosts = [Target(a.name, s) for a in discover_apps().values() for s in a.demo_steps
             if s.lessons and s.trial is not None and (only is None or any(selects(o, a.name) for o in only))]
    if not hosts:
        return []
    target, sections = hosts[0], []
    preset = lesson_preset(target.step, preset)
    for title, job in (
        ("sweep", lambda out: run_sweep(target, SweepSpec([1e-3, 3e-3, 1e-2], [64, 256], [None], [0], (1, "epochs"),
                                                          preset), out, console=console)),
        ("leaderboard", lambda out: run_compare([target], list_families(target.step.kind), out, preset,
                                                seeds=1, time_limit_minutes=LEADERBOARD_MINUTES, console=console))):
        out = runs_dir / "demo" / f"{title}-{target.label.replace('/', '-')}"
        console.rule(f"[bold]lesson: {title} on {target.label} (preset {preset})")
        start = time.perf_counter()
        try:
            job(out)
            section = {"title": f"{title}: {target.label}", "report": str(out / "report.md"), "status": "ok"}
        except Exception as e:  # a failing lesson must not hide the steps' results
            console.print(traceback.format_exc())
            section = {"title": f"{title}: {target.label}", "status": f"failed: {type(e).__name__}: {e}"}
        sections.append({**section, "wall_seconds": round(time.perf_counter() - start, 1)})
    return sections


def main(preset: str = "demo", runs_dir: str = "runs", only: list[str] | None = None, lessons: bool = True,
         record: bool = False, max_seconds: float | None = None) -> int:
    console = make_console()
    out_dir = Path(runs_dir) / "demo"
    RunFolder.claim(out_dir, "--runs_dir")  # before the lessons make their folders in it: ours, or refused now
    start = time.perf_counter()
    results = run_steps(preset, Path(runs_dir), only, max_seconds, console=console)
    sections = run_lessons(preset, Path(runs_dir), only, console) if lessons else []
    total = round(time.perf_counter() - start, 1)
    md, html = demo_report(results, out_dir, title=f"zoo-suite demo (preset {preset})", sections=sections)
    summary = write_json(out_dir / "demo.json", demo_payload(preset, results, sections, total))
    console.rule("[bold]summary")
    console.print(results_table(results, f"zoo demo, preset {preset}: {total:.0f} s"))
    for s in sections:
        console.print(f"lesson {s['title']}: {s['status']}, {s['wall_seconds']:.0f} s")
    console.print(f"report: {md}\n        {html}\n        {summary}")
    if record:
        console.print(f"recorded {write_json(RESULTS / 'demo.json', json.loads(summary.read_text()))}")
    bad = [f"{r.step}: {r.status}" for r in results if not r.ok]
    bad += [f"lesson {s['title']}: {s['status']}" for s in sections if s["status"] != "ok"]
    if bad:  # a step that failed, timed out or missed its floor: the demo did not show what it promises
        console.print("[bold red]not ok[/]: " + "; ".join(bad))
    return 1 if bad else 0


def demo_payload(preset: str, results: list[StepResult], sections: list[dict], total: float) -> dict:
    """demo.json: the machine, the whole demo's wall time, each step's and each lesson's."""
    precisions = sorted({r.record.machine.precision for r in results if r.record and r.record.machine})
    return {"preset": preset, "machine": machine_record(precisions), "wall_seconds": total,
            "steps": [r.to_dict() for r in results], "lessons": sections}


def demo_cells(payload: dict) -> tuple[list[str], list[list[str]]]:
    """(headers, rows of text) of a demo.json: each step's status, wall time, held-out number and floor, each
    lesson's, then the total (the README's "how long each step takes")."""
    headers = ["step", "status", "model", "seconds", "held-out metric", "value", "baseline", "floor", "verdict"]
    rows = []
    for step in payload["steps"]:
        head, base, floor = step.get("headline") or {}, step.get("baseline") or {}, step.get("floor")
        shown_floor = "-" if floor is None else "beats baseline" if floor == "baseline" else (
            f"{'>=' if head.get('higher_is_better', True) else '<='} {floor:g}")
        rows.append([step["step"], step.get("status", "ok"), step.get("model", "-"), f"{step['wall_seconds']:.0f}",
                     head.get("name", "FAILED"), f"{head['value']:.4f}" if head else step.get("error", "")[:60],
                     f"{base['value']:.4f}" if base.get("value") is not None else "-", shown_floor,
                     step.get("floor_verdict", "-")])
    for lesson in payload["lessons"]:
        rows.append([f"lesson: {lesson['title']}", lesson["status"], "-", f"{lesson['wall_seconds']:.0f}", "", "", "",
                     "", ""])
    rows.append(["**total**", "", "", f"**{payload['wall_seconds']:.0f}**", "", "", "", "", ""])
    return headers, rows


def demo_caption(payload: dict) -> str:
    return f"`zoo demo --record` (preset {payload['preset']}) on {describe(payload['machine'])}"
