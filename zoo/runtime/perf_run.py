"""`zoo perf [APP ...]`: every installed app's perf workloads, one table, ``runs/bench/perf.json``.

The JSON is rewritten after each workload, so a run stopped half-way keeps what it measured.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..errors import InputError
from ..outputs import write_json
from ..trust.runfolder import RunFolder
from .apps import selects
from .bench import RESULTS
from .console import make_console
from .machine import describe, machine_record
from .perf import Workload, load_average, measure_peaks, run_pair


def add_perf_parser(sub) -> None:
    p = sub.add_parser("perf", help="our code against the peers a user would pick instead, timed side by side "
                                    "(ABBA, median ratio): a table and runs/bench/perf.json")
    p.add_argument("apps", nargs="*", help="apps or groups to measure (default: every app that has workloads)")
    p.add_argument("--repeats", type=int, default=3, help="ABBA repeats per pair (at least 3; default 3)")
    p.add_argument("--quick", action="store_true", help="short runs (a smoke test; ratios are noisier)")
    p.add_argument("--out", default="runs/bench", help="folder for perf.json (default: runs/bench)")
    p.add_argument("--record", action="store_true", help="also write results/perf.json (the README's table)")


def perf_apps(apps: dict, only: list[str]) -> list:
    """The apps with perf workloads, in the order they were installed; ``only`` names apps or groups."""
    chosen = [a for a in apps.values() if a.perf is not None and (not only or any(selects(o, a.name) for o in only))]
    if only and not chosen:
        offering = ", ".join(a.name for a in apps.values() if a.perf is not None)
        raise InputError(f"no app named {', '.join(only)} has perf workloads (those that do: {offering})")
    return chosen


def main(args, apps: dict) -> int:
    if args.repeats < 3:
        raise InputError(f"--repeats must be at least 3 (ABBA medians need them), got {args.repeats}")
    chosen = perf_apps(apps, args.apps)
    workloads = ((app.name, workload) for app in chosen for workload in app.perf(args.quick))
    RunFolder.claim(args.out, "--out")  # new, or made by an earlier bench or perf: never a user's own folder
    run_workloads(workloads, args.repeats, args.quick, Path(args.out) / "perf.json",
                  RESULTS / "perf.json" if args.record else None)
    return 0


def run_workloads(workloads: Iterable[tuple[str, Workload]], repeats: int, quick: bool, out: Path,
                  record: Path | None = None, console: Console | None = None) -> dict:
    """Measure (app name, workload) pairs one after the other (built as they are reached, after the machine's
    peaks), rewriting ``out`` after each; then the summary table, and ``record`` (a results/ file) if given."""
    console = console or make_console()
    console.print("measuring this machine's matmul peak (fp32, bf16) ...")
    payload = {"machine": machine_record(["fp32", "bf16"]), "load_average_start": load_average(),
               "peaks_flops": measure_peaks(), "repeats": repeats, "quick": quick, "workloads": []}
    console.print(peaks_line(payload["peaks_flops"]))
    start = time.perf_counter()
    for app, workload in workloads:
        console.rule(f"[bold]{app}: {workload.name}")
        payload["workloads"].append(measure(workload, app, repeats, payload["peaks_flops"], console))
        payload["load_average_end"] = load_average()
        write_json(out, payload)
    payload["seconds"] = round(time.perf_counter() - start, 1)
    write_json(out, payload)
    console.rule("[bold]summary")
    console.print(perf_table(payload))
    for w in payload["workloads"]:
        console.print(f"[bold]{w['app']}: {w['workload']}[/bold] " + ", ".join(f"{k}={v}" for k, v in w["facts"].items()))
    console.print(f"load average: start {_loads(payload['load_average_start'])}, "
                  f"end {_loads(payload.get('load_average_end'))}")
    console.print(f"wrote {out}")
    if record is not None:
        console.print(f"recorded {write_json(record, payload)}")
    return payload


def measure(workload: Workload, app: str, repeats: int, peaks: dict, console: Console) -> dict:
    """Every pair of one workload, each printed as it finishes."""
    rows = []
    for pair in workload.pairs:
        console.print(f"  {pair.name}: {pair.ours.name} vs {pair.peer.name} ...")
        row = run_pair(pair, repeats, peaks)
        console.print(f"    ratio {row['ratio_median']:.2f} [{row['ratio_spread'][0]:.2f}-{row['ratio_spread'][1]:.2f}]")
        rows.append(row)
    return {"app": app, "workload": workload.name, "pairs": rows, "facts": workload.facts}


def peaks_line(peaks: dict) -> str:
    return "peak matmul: " + ", ".join(f"{k} {v / 1e9:.0f} GFLOP/s" for k, v in peaks.items())


def perf_cells(payload: dict) -> tuple[list[str], list[list[str]]]:
    """(headers, rows of text) of a perf.json: shared by the terminal table and the README."""
    headers = ["workload", "pair", "ours", "peer", "unit/s ours", "unit/s peer", "ratio (median, spread)",
               "MFU ours", "MFU peer", "goal"]
    rows = []
    for w in payload["workloads"]:
        for p in w["pairs"]:
            low, high = p["ratio_spread"]
            goal = "-" if p["goal"] is None else f"≥ {p['goal']:g} " + ("yes" if p["meets_goal"] else "NO")
            rows.append([w["workload"], p["pair"], p["ours"]["name"], p["peer"]["name"],
                         f"{p['ours_median']:.3g} {p['unit']}", f"{p['peer_median']:.3g} {p['unit']}",
                         f"{p['ratio_median']:.2f} ({low:.2f}-{high:.2f})", _percent(p["ours"]["mfu"]),
                         _percent(p["peer"]["mfu"]), goal])
    return headers, rows


def perf_caption(payload: dict) -> str:
    return (f"{describe(payload['machine'])}; {peaks_line(payload['peaks_flops'])}; ABBA x {payload['repeats']}"
            f"{' (quick)' if payload.get('quick') else ''}; load average {_loads(payload.get('load_average_start'))} "
            f"at the start, {_loads(payload.get('load_average_end'))} at the end")


def _loads(loads: list[float] | None) -> str:
    return "unknown" if not loads else " / ".join(f"{x:.2f}" for x in loads)


def perf_table(payload: dict) -> Table:
    headers, rows = perf_cells(payload)
    table = Table(title="zoo perf", caption=perf_caption(payload))
    for h in headers:
        table.add_column(h)
    for r in rows:
        table.add_row(*r)
    return table


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"
