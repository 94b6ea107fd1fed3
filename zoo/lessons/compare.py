"""`zoo compare APP|all`: the best architecture is data-dependent, measured.

Each family trains on each app's preset (the preset's own model where the family matches, else the family's small
model for the app's input kind), several seeds, with one cap on training seconds per run so that the whole matrix
fits a stated time. The leaderboard gives the held-out headline metric (mean and spread over seeds), parameters,
training seconds and throughput; ``all`` adds the app x family heatmap.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from ..runtime.apps import Trial
from ..runtime.report import write_json
from ..trust.runfolder import RunFolder, write_text
from .cells import RunClock, family_model, preset_model, run_cell
from .trials import Target, check_families, check_supported, lesson_console, mean_pm


def plan(targets: list[Target], families: list[str], preset: str) -> list[dict]:
    """One entry per (app step, family): the model to train, or why the cell stays empty."""
    cells = []
    for t in targets:
        config = t.step.config_for(preset) if t.step.config_for else None
        own = preset_model(config) if config and config.is_file() else None
        for fam in families:
            model, override, status = family_model(own, fam, t.step.kind)
            cells.append({"target": t, "family": fam, "model": model, "override": override, "status": status})
    return cells


def run_compare(targets: list[Target], families: list[str], out_dir: Path, preset: str = "quick",
                seeds: int | None = None, time_limit_minutes: float = 40.0, run_seconds: float | None = None,
                console=None) -> dict:
    """Train every (target, family) cell ``seeds`` times. Without ``run_seconds``, each run's training is capped so
    that the whole matrix ends within ``time_limit_minutes``: the time left, shared among the runs left, less their
    fixed costs (measured on the runs so far)."""
    console = console or lesson_console()
    check_families(families)
    seeds = seeds if seeds is not None else (2 if len(targets) == 1 else 1)
    if seeds < 1:
        raise ValueError(f"--seeds must be at least 1, got {seeds}")
    if (run_seconds is not None and run_seconds <= 0) or time_limit_minutes <= 0:
        raise ValueError("the time limit and the seconds per run must be positive")
    cells = plan(targets, families, preset)
    runnable = [c for c in cells if c["model"]]
    if not runnable:
        raise ValueError("nothing to compare: no chosen family has a model for these apps' inputs")
    for c in runnable:
        check_supported(c["target"].step, Trial(preset, "check", out_dir, model="x", model_kwargs={}, seed=0,
                                                max_seconds=1.0), f"zoo compare {c['target'].label}")
    RunFolder.claim(out_dir, "--out")  # everything checked: now the folder, new or made by an earlier compare
    n_runs = len(runnable) * seeds
    console.print(f"compare: {len(runnable)} (app, family) cells x {seeds} seed(s) = {n_runs} runs, "
                  + (f"training capped at {run_seconds:.0f} s each" if run_seconds else
                     f"training caps set so that all ends within {time_limit_minutes:g} min"))
    start = time.perf_counter()
    clock = RunClock(n_runs, None if run_seconds else time_limit_minutes * 60)
    for c in cells:
        c["runs"] = []
        if c["model"]:
            run_family(c, preset, seeds, out_dir, clock, run_seconds, console)
    return leaderboard(cells, out_dir, preset, seeds, time.perf_counter() - start, console)


def run_family(c: dict, preset: str, seeds: int, out_dir: Path, clock: RunClock, run_seconds: float | None,
               console) -> None:
    """Train one (app, family) cell ``seeds`` times; its first failure ends the cell and becomes its status."""
    t = c["target"]
    for seed in range(seeds):
        name = f"{t.step.name}_{c['family']}_s{seed}"
        cap = clock.next_cap(run_seconds)
        console.rule(f"[bold]compare {t.label}: {c['family']} ({c['model']}), seed {seed}, training <= {cap:.0f} s")
        trial = Trial(preset, name, out_dir / "runs", model=c["model"] if c["override"] else None,
                      model_kwargs={} if c["override"] else None, seed=seed, max_seconds=cap,
                      extra_eval=False)  # the leaderboard reads the test metrics only
        # The cap follows the time left, so it is not a setting that stops a finished run from being reused.
        settings = {"preset": preset, "model": c["model"], "override": c["override"], "seed": seed}
        outcome = run_cell(out_dir / "runs", name, settings, lambda trial=trial: t.step.trial(trial), clock, console)
        if outcome.result is None:
            c["status"] = outcome.status
            clock.skip(seeds - 1 - seed)
            return
        c["runs"].append(outcome.result)


def cell_summary(c: dict) -> dict:
    runs = c["runs"]
    base = {"app": c["target"].label, "family": c["family"], "model": c["model"] or "-"}
    if not runs:
        return {**base, "status": c.get("status") or "not run", "mean": float("nan")}
    values = np.array([r["headline"]["value"] for r in runs], dtype=float)
    head = runs[0]["headline"]
    chance = runs[0].get("chance")
    higher = head.get("higher_is_better", True)
    if chance is not None and near_chance(float(values.mean()), float(chance), higher):
        seconds = np.mean([r.get("fit_seconds") or 0 for r in runs])
        return {**base, "status": f"budget failure: {values.mean():.3f} is chance level ({chance:.3f}) after "
                                  f"{seconds:.0f} s of training; give it a longer budget", "mean": float("nan")}
    return {**base, "status": c.get("status") or "ok", "metric": head["name"],
            "higher_is_better": head.get("higher_is_better", True), "mean": float(values.mean()),
            "std": float(values.std()) if len(values) > 1 else 0.0, "n": len(values), "values": values.tolist(),
            "parameters": runs[0].get("num_parameters"),
            "fit_seconds": float(np.mean([r.get("fit_seconds") or 0 for r in runs])),
            "samples_per_s": float(np.mean([r.get("train_samples_per_s") or 0 for r in runs])),
            "run_dirs": [r["run_dir"] for r in runs]}


def near_chance(value: float, chance: float, higher_is_better: bool, margin: float = 0.1) -> bool:
    """Whether ``value`` is within ``margin`` of the way from chance to perfect (accuracy: 10 classes -> below 0.19):
    a model that learned this little says nothing about its family, only about its budget."""
    if higher_is_better:
        return value <= chance + margin * (1.0 - chance)
    return value >= chance * (1.0 - margin)


def leaderboard(cells: list[dict], out_dir: Path, preset: str, seeds: int, seconds: float, console) -> dict:
    from rich.table import Table

    from .plots import plot_leaderboard_heatmap

    rows = [cell_summary(c) for c in cells]
    by_app: dict[str, list[dict]] = {}
    for r in rows:
        by_app.setdefault(r["app"], []).append(r)
    md = [f"# Leaderboard (preset {preset}, {seeds} seed(s))", "",
          f"Wall time: {seconds / 60:.1f} min. Mean ± spread over seeds of each app's held-out headline metric; "
          "every run's training was capped (train s) so that the whole comparison fits its time limit.", ""]
    for app, app_rows in by_app.items():
        ranked = sorted(app_rows, key=_rank_key)
        metric = next((r["metric"] for r in app_rows if "metric" in r), "?")
        table = Table(title=f"{app}: held-out {metric}")
        for col in ("rank", "family", "model", metric, "parameters", "train s", "samples/s", "status"):
            table.add_column(col, justify="left" if col in ("family", "model", "status") else "right")
        md += [f"## {app}", "", f"| rank | family | model | {metric} | parameters | train s | samples/s | status |",
               "|---|---|---|---|---|---|---|---|"]
        for i, r in enumerate(ranked, 1):
            ok = math.isfinite(r["mean"])
            cells_ = [str(i) if ok else "-", r["family"], r["model"], mean_pm(r) if ok else "-",
                      f"{r['parameters']:,}" if r.get("parameters") else "-",
                      f"{r['fit_seconds']:.0f}" if ok else "-", f"{r['samples_per_s']:.0f}" if ok else "-",
                      r["status"]]
            table.add_row(*cells_)
            md.append("| " + " | ".join(cells_) + " |")
        console.print(table)
        md.append("")
    matrix = {app: {r["family"]: r for r in app_rows} for app, app_rows in by_app.items()}
    plots = []
    if len(by_app) > 1 or len(rows) > 1:
        plots.append(plot_leaderboard_heatmap(matrix, out_dir / "plots" / "leaderboard.png"))
        md += [f"![leaderboard]({plots[-1].relative_to(out_dir)})"]
    summary = {"preset": preset, "seeds": seeds, "wall_minutes": seconds / 60, "rows": rows,
               "plots": [str(p.relative_to(out_dir)) for p in plots]}
    write_json(out_dir / "leaderboard.json", summary)
    write_text(out_dir / "report.md", "\n".join(md) + "\n")
    console.print(f"compare: {seconds / 60:.1f} min; wrote {out_dir / 'leaderboard.json'}, {out_dir / 'report.md'}"
                  + "".join(f", {out_dir / p}" for p in summary["plots"]))
    return summary


def _rank_key(r: dict):
    if not math.isfinite(r["mean"]):
        return (1, 0.0)
    return (0, -r["mean"] if r["higher_is_better"] else r["mean"])
