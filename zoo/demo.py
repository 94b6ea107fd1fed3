"""`zoo demo`: run every installed app's demo step with one preset, then write one report."""

from __future__ import annotations

import json
import time
import traceback
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .apps import discover_apps
from .report import demo_report


def run_steps(preset: str, runs_dir: Path, only: list[str] | None = None, max_seconds: float | None = None,
              console: Console | None = None) -> list[dict]:
    """Run each app's demo step that has ``preset``; one result dict per step (its metrics.json + status)."""
    console = console or Console()
    steps = [(app, step) for app in discover_apps().values() for step in app.demo_steps
             if (only is None or app.name in only) and preset in step.presets]
    if not steps:
        console.print(f"[yellow]no installed app has a demo step with preset {preset!r}")
    results = []
    for i, (app, step) in enumerate(steps, 1):
        label = f"{app.name}/{step.name}"
        console.rule(f"[bold]step {i}/{len(steps)}: {label} (preset {preset})")
        start = time.perf_counter()
        try:
            run_dir = step.run(preset, runs_dir, max_seconds)
            result = json.loads((Path(run_dir) / "metrics.json").read_text())
            result["status"] = "ok"
        except Exception as e:  # one failing step must not hide the others; the error goes in the report
            console.print(traceback.format_exc())
            result = {"app": app.name, "status": "failed", "error": f"{type(e).__name__}: {e}"}
        result.update(step=label, wall_seconds=round(time.perf_counter() - start, 1))
        results.append(result)
    return results


def results_table(results: list[dict], title: str) -> Table:
    table = Table(title=title)
    for col in ("step", "model", "device", "seconds", "held-out", "value", "baseline", "samples/s"):
        table.add_column(col, justify="right" if col in ("seconds", "value", "baseline", "samples/s") else "left",
                         no_wrap=col in ("step", "model"))
    for r in results:
        if r["status"] == "failed":
            table.add_row(r["step"], "-", "-", str(r["wall_seconds"]), "[red]FAILED", r["error"][:60], "", "")
            continue
        head, base = r["headline"], r.get("baseline", {})
        table.add_row(r["step"], r["model"], r["device"], str(r["wall_seconds"]), head["name"],
                      f"{head['value']:.4f}", f"{base['value']:.4f}" if base else "-",
                      f"{r.get('train_samples_per_s', 0):.0f}")
    return table


def main(preset: str = "demo", runs_dir: str = "runs", only: list[str] | None = None) -> int:
    console = Console()
    start = time.perf_counter()
    results = run_steps(preset, Path(runs_dir), only, console=console)
    out_dir = Path(runs_dir) / "demo"
    md, html = demo_report(results, out_dir, title=f"zoo-suite demo (preset {preset})")
    console.rule("[bold]summary")
    console.print(results_table(results, f"zoo demo, preset {preset}: {time.perf_counter() - start:.0f} s"))
    console.print(f"report: {md}\n        {html}")
    return 1 if any(r["status"] == "failed" for r in results) else 0
