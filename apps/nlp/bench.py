"""`python -m apps.nlp.bench`: the Transformer and the LSTM-attention model on one corpus, one table, JSON in
runs/bench/nlp.json.

``--preset generated_quick`` (default, a few minutes) or ``--preset tatoeba_quick`` (the acceptance run: up to 20
minutes of training per model; needs ../shared/data/translation). Each family is its own config file,
``<preset>.yaml`` (Transformer) and ``<preset>_lstm.yaml``. Columns: model, parameters, training seconds, test
BLEU with beam search and greedy, chrF, greedy and beam decoding sentences/s, and the compositional split's BLEU
on the generated corpus.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from zoo.runtime.report import write_json

from .app import CONFIGS
from .cli import main as nlp_main

FAMILIES = {"transformer": "", "lstm": "_lstm"}  # config file suffix per family


def run_family(preset: str, family: str, runs_dir: Path, extra: list[str]) -> dict:
    config = CONFIGS / f"{preset}{FAMILIES[family]}.yaml"
    if not config.is_file():
        raise SystemExit(f"no {family} config for preset {preset!r}: {config} is missing")
    nlp_main(["fit", "-c", str(config), "--name", config.stem, "--runs_dir", str(runs_dir), *extra])
    m = json.loads((runs_dir / "nlp" / config.stem / "metrics.json").read_text())
    t = m["test"]
    return {"family": family, "model": m["model"], "config": config.name, "parameters": m["num_parameters"],
            "epochs": m["epochs"], "train_seconds": m["fit_seconds"], "test_bleu": t["test_bleu"],
            "test_bleu_greedy": t["test_bleu_greedy"], "test_chrf": t["test_chrf"],
            "greedy_sents_per_s": t["test_greedy_sents_per_s"], "beam_sents_per_s": t["test_beam_sents_per_s"],
            "compositional_bleu": t.get("test_compositional_bleu"), "run_dir": m["run_dir"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m apps.nlp.bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="generated_quick", help="generated_quick or tatoeba_quick (or _full, _gpu)")
    ap.add_argument("--families", default=",".join(FAMILIES), help="comma-separated subset of " + ",".join(FAMILIES))
    ap.add_argument("--runs-dir", default="runs/bench")
    ap.add_argument("--out", default="runs/bench/nlp.json")
    args, extra = ap.parse_known_args(argv)  # the rest goes to every run, e.g. --trainer.max_epochs 1
    rows = [run_family(args.preset, f, Path(args.runs_dir), extra) for f in args.families.split(",")]
    table = Table(title=f"nlp bench: {args.preset} (test split, beam vs greedy; sacreBLEU, every reference)")
    cols = ("model", "params", "train s", "BLEU beam", "BLEU greedy", "chrF", "greedy sent/s", "beam sent/s",
            "compositional BLEU")
    for col in cols:
        table.add_column(col, justify="left" if col == "model" else "right")
    for r in rows:
        comp = "-" if r["compositional_bleu"] is None else f"{r['compositional_bleu']:.2f}"
        table.add_row(r["model"], f"{r['parameters']:,}", f"{r['train_seconds']:.0f}", f"{r['test_bleu']:.2f}",
                      f"{r['test_bleu_greedy']:.2f}", f"{r['test_chrf']:.2f}", f"{r['greedy_sents_per_s']:.0f}",
                      f"{r['beam_sents_per_s']:.0f}", comp)
    Console(width=160).print(table)
    path = write_json(args.out, {"preset": args.preset, "rows": rows})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
