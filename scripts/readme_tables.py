"""Rewrite the README's result tables from results/*.json (written by `zoo bench APP --record`).

Each table sits between markers naming an app (or ``perf`` for `zoo perf --record`, ``perf-rl-actors`` for `zoo rl
perf-actors --record`, ``demo`` for `zoo demo --record`), e.g. ``<!-- results: science/genomics -->`` ...
``<!-- /results -->``; everything between them is replaced by the caption (command, machine) and the table made from
``results/science-genomics.json``. Numbers in those tables are never typed by hand.

    python scripts/readme_tables.py            # rewrite README.md in place
    python scripts/readme_tables.py --check    # exit 1 when README.md differs from what would be written
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from apps.rl.perf_actors import projection
from zoo.runtime.bench_table import caption, table_cells
from zoo.runtime.demo import demo_caption, demo_cells
from zoo.runtime.perf_run import perf_caption, perf_cells

ROOT = Path(__file__).resolve().parents[1]
# Speed tables (perf.json's shape) by marker, and the command that records each.
PERF_COMMANDS = {"perf": "zoo perf --record", "perf-rl-actors": "zoo rl perf-actors --record"}
# A sentence made from a result's facts, under its table.
NOTES = {"perf-rl-actors": projection}
BLOCK = re.compile(r"(<!-- results: (?P<app>[\w/.-]+) -->\n)(?P<body>.*?)(<!-- /results -->)", re.S)


def results_file(results: Path, app: str) -> Path:
    return results / f"{app.replace('/', '-')}.json"


def render(payload: dict, source: str, name: str = "") -> str:
    """The caption and the Markdown table of one result: a speed table (``PERF_COMMANDS``), `zoo demo` (``demo``)
    or an app's bench."""
    if name in PERF_COMMANDS:
        (headers, rows), text = perf_cells(payload), f"`{PERF_COMMANDS[name]}` on {perf_caption(payload)}"
    elif name == "demo":
        (headers, rows), text = demo_cells(payload), demo_caption(payload)
    else:
        (headers, rows), text = table_cells(payload), caption(payload)
    lines = [f"Measured with {text}; JSON in `{source}`.", "", _row(headers), "|" + "---|" * len(headers)]
    notes = ["", NOTES[name](payload)] if name in NOTES else []
    return "\n".join(lines + [_row(r) for r in rows] + notes) + "\n"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def rewrite(readme: str, results: Path) -> str:
    """``readme`` with every marked block regenerated from ``results``; a marker without its JSON is an error."""
    def block(m: re.Match) -> str:
        path = results_file(results, m["app"])
        if not path.is_file():
            raise FileNotFoundError(f"README marker `results: {m['app']}` has no {path}; run "
                                    f"`zoo bench {m['app']} --record` or remove the marker")
        payload = json.loads(path.read_text())
        return m.group(1) + render(payload, f"results/{path.name}", m["app"]) + m.group(4)

    return BLOCK.sub(block, readme)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="only compare; exit 1 when README.md is out of date")
    ap.add_argument("--readme", type=Path, default=ROOT / "README.md")
    ap.add_argument("--results", type=Path, default=ROOT / "results")
    args = ap.parse_args(argv)
    current = args.readme.read_text(encoding="utf-8")
    try:
        wanted = rewrite(current, args.results)
    except FileNotFoundError as e:
        print(f"readme_tables: {e}", file=sys.stderr)
        return 1
    if args.check:
        if wanted != current:
            print(f"{args.readme} differs from results/: run python scripts/readme_tables.py", file=sys.stderr)
            return 1
        return 0
    if wanted != current:
        args.readme.write_text(wanted, encoding="utf-8")
        print(f"rewrote the result tables in {args.readme}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
