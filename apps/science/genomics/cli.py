"""`zoo science genomics ...`: fit|test through LightningCLI; `predict --ckpt PATH (FASTA | SEQUENCE...)`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import lightning as L
import torch
from rich.console import Console
from rich.table import Table

from zoo.lightning_cli import ZooCLI

from .data import GenomicsDataModule  # noqa: F401  (selectable by class name)
from .readers import read_fasta
from .sequences import check_sequence, one_hot
from .task import ActivityTask


class GenomicsCLI(ZooCLI):
    description = ("DNA sequence -> activity. fit|test: LightningCLI (-c apps/science/genomics/configs/"
                   "<dataset>_<preset>.yaml). Also: `zoo science genomics predict --ckpt PATH FASTA|SEQUENCE...`.")

    def add_arguments_to_parser(self, parser) -> None:
        super().add_arguments_to_parser(parser)
        parser.link_arguments("data.spec", "model.data_spec", apply_on="instantiate")


def predict(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="zoo science genomics predict",
                                 description="Predicted activity for sequences (FASTA files or literal sequences).")
    ap.add_argument("--ckpt", required=True, help="a checkpoint written by `zoo science genomics fit`")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("inputs", nargs="+", help="FASTA files or DNA sequences")
    args = ap.parse_args(argv)
    ckpt = Path(args.ckpt)
    if not ckpt.is_file():
        ap.error(f"checkpoint {ckpt} does not exist")
    task = ActivityTask.load_from_checkpoint(ckpt, map_location="cpu", weights_only=True).eval()
    records: list[tuple[str, str]] = []
    try:
        for item in args.inputs:
            if Path(item).is_file():
                records += read_fasta(item)
            else:
                check_sequence(item, f"command-line sequence {len(records) + 1}")
                records.append((f"seq{len(records) + 1}", item))
    except ValueError as e:
        ap.error(str(e))
    length = int(task.hparams.data_spec.get("length") or max(len(s) for _, s in records))
    with torch.no_grad():
        pred = task(torch.from_numpy(one_hot([s for _, s in records], length))).tolist()
    rows = [{"name": n, "length": len(s), "prediction": round(p, 4)} for (n, s), p in zip(records, pred)]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    table = Table(title=f"predicted activity ({task.hparams.data_spec.get('dataset', '')} model, inputs fitted to "
                        f"{length} nt)")
    for col in ("name", "length", "prediction"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], str(r["length"]), f"{r['prediction']:.3f}")
    Console().print(table)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(argv or [])
    if argv and argv[0] == "predict":
        return predict(argv[1:])
    GenomicsCLI("genomics", ActivityTask, L.LightningDataModule, args=argv)
    return 0
