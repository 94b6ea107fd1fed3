"""`python -m apps.rl.bench`: train each game's `quick` preset, then one table (game, network, self-play positions/s,
MCTS simulations/s, training minutes, score against each opponent, raw policy and with search); JSON in
runs/bench/rl.json. Chess needs ../shared/data/chess (skipped, with the reason, without it)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from zoo.runtime.report import write_json

from .app import CONFIGS
from .cli import train_main


def run_game(game: str, preset: str, runs_dir: str, extra: list[str]) -> dict:
    config = CONFIGS / f"{game}_{preset}.yaml"
    name = f"{game}_{preset}"
    train_main(["-c", str(config), "--runs_dir", runs_dir, "--name", name, *extra])
    m = json.loads((Path(runs_dir) / "rl" / name / "metrics.json").read_text())
    settings = json.loads((Path(runs_dir) / "rl" / name / "settings.json").read_text())
    return {"game": game, "model": m["model"], "parameters": m["num_parameters"], "iterations": m["iterations"],
            "train_minutes": m["train_minutes"], "positions_per_s": m["positions_per_s"],
            "simulations_per_s": m["positions_per_s"] * settings["simulations"], "matches": m["matches"],
            "puzzles": m.get("puzzles"), "run_dir": m["run_dir"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m apps.rl.bench", description=__doc__)
    ap.add_argument("--games", default="tictactoe,connect4,chess")
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--runs-dir", default="runs/bench")
    ap.add_argument("--out", default="runs/bench/rl.json")
    args, extra = ap.parse_known_args(argv)
    console = Console(width=160)
    rows = []
    for game in args.games.split(","):
        if game == "chess" and not Path("../shared/data/chess").is_dir():
            console.print("chess skipped: ../shared/data/chess (real games and puzzles) is not there")
            continue
        rows.append(run_game(game, args.preset, args.runs_dir, extra))
    table = Table(title=f"rl bench ({args.preset} presets): score = (wins + draws/2) / games")
    for col in ("game", "network", "positions/s", "simulations/s", "train min", "opponent", "raw policy", "search"):
        table.add_column(col, justify="left" if col in ("game", "network", "opponent") else "right")
    for r in rows:
        by_opp: dict[str, dict[str, str]] = {}
        for m in r["matches"]:
            kind = "search" if "+mcts" in m["player"] else "raw"
            by_opp.setdefault(m["opponent"], {})[kind] = f"{m['score']:.0%} (+{m['wins']} ={m['draws']} -{m['losses']})"
        for i, (opp, cells) in enumerate(by_opp.items()):
            head = [r["game"], f"{r['model']} ({r['parameters']:,})", f"{r['positions_per_s']:.0f}",
                    f"{r['simulations_per_s']:.0f}", f"{r['train_minutes']:.1f}"] if i == 0 else [""] * 5
            table.add_row(*head, opp, cells.get("raw", "-"), cells.get("search", "-"))
        if r.get("puzzles"):
            table.add_row("", "", "", "", "", "puzzles solved", ", ".join(
                f"{band}: {p['rate']:.0%}" for band, p in r["puzzles"].items()), "")
    console.print(table)
    path = write_json(args.out, {"preset": args.preset, "rows": rows})
    console.print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
