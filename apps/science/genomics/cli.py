"""`zoo science genomics score --ckpt PATH (FASTA | SEQUENCE...)`: predicted activity. fit|validate|test are
LightningCLI's (see app.py)."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from pathlib import Path

import torch
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from zoo.checkpoint import load_task
from zoo.errors import BadItems, InputError, one_line, warn
from zoo.runtime.args import CommandParser
from zoo.runtime.console import make_console
from zoo.trust.bounds import GENOMICS_INTS, check_sequences

from .readers import iter_fasta
from .sequences import check_sequence, one_hot
from .task import ActivityTask


def _parser() -> argparse.ArgumentParser:
    ap = CommandParser(prog="zoo science genomics score",
                                 description="Predicted activity for sequences (FASTA files or literal sequences). "
                                 "A bad record or argument is reported on stderr with its file and line (or its "
                                 "argument number) and skipped; the rest are predicted, and the exit status is 2 "
                                 "if any failed.")
    ap.add_argument("--ckpt", required=True, help="a checkpoint written by `zoo science genomics fit`")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--batch-size", type=int, default=256,
                    help="sequences per forward pass (memory grows with it, not with the number of inputs)")
    ap.add_argument("--strict", action="store_true", help="stop at the first bad record or argument")
    ap.add_argument("inputs", nargs="+", help="FASTA files or DNA sequences")
    return ap


def score_main(argv: list[str]) -> int:
    ap = _parser()
    args = ap.parse_args(argv)
    low, high = GENOMICS_INTS["batch_size"]
    if not low <= args.batch_size <= high:
        ap.error(f"--batch-size must be from {low} to {high:,}; got {args.batch_size}")
    ckpt = Path(args.ckpt)
    if not ckpt.is_file():
        ap.error(f"checkpoint {ckpt} does not exist")
    records, failed = collect_records(args.inputs, args.strict)
    if not records:
        return _summary(failed, 0)
    task = load_task(ckpt, ActivityTask)
    length = int(task.hparams.data_spec.get("length") or max(len(s) for _, s in records))
    # one batch is encoded at a time: its values bounded (a record of millions of letters sets the length)
    check_sequences(min(args.batch_size, len(records)), length, "score")
    pred = predict_in_batches(task, [s for _, s in records], length, args.batch_size)
    rows = [{"name": n, "length": len(s), "prediction": round(p, 4)} for (n, s), p in zip(records, pred)]
    show(rows, args.json, f"predicted activity ({task.hparams.data_spec.get('dataset', '')} model, inputs fitted "
                          f"to {length} nt)")
    return _summary(failed, len(rows))


def _summary(failed: int, predicted: int) -> int:
    """The exit status: 2 when any input failed (each was reported as it was found), else 0."""
    if failed:
        warn(f"zoo science genomics score: {failed:,} input(s) failed (reported above); {predicted:,} predicted")
        return 2
    return 0


def collect_records(inputs: list[str], strict: bool) -> tuple[list[tuple[str, str]], int]:
    """(name, sequence) for every good record of every input, and how many failed. Each failure is reported on
    stderr as it is found; ``strict`` raises the first instead."""
    records: list[tuple[str, str]] = []
    bad = BadItems("zoo science genomics score")
    for position, item in enumerate(inputs, 1):
        for record in _records_of(item, position):
            if isinstance(record, InputError):
                if strict:
                    raise record
                bad(f"zoo science genomics score: {one_line(record)} (skipped)")
            else:
                records.append(record)
    return records, bad.count


def _records_of(item: str, position: int) -> Iterator[tuple[str, str] | InputError]:
    """The records one command-line argument stands for: a FASTA file's, or the argument itself as a sequence
    (named ``seqK`` after its position). Anything that is not made only of DNA letters must be an existing file:
    a mistyped path is never read as a sequence."""
    path = Path(item)
    kind = _path_kind(path)
    if kind == "file":
        try:
            yield from iter_fasta(path)
        except InputError as e:  # the whole file: not UTF-8, empty
            yield e
        except OSError as e:  # e.g. no permission to read it
            yield InputError(f"{item}: cannot read it ({e.strerror or e})")
        return
    if kind == "other":
        yield InputError(f"{item}: not a file (argument {position}); expected a FASTA file or a DNA sequence")
    elif PATHLIKE.search(item):
        yield InputError(f"{item}: no such file (argument {position})")
    elif not DNA.fullmatch(item):
        try:
            check_sequence(item, f"argument {position}")
        except InputError as e:
            shown = item if len(item) <= 40 else item[:37] + "..."
            yield InputError(f"{shown!r}: no such file, and not a DNA sequence: {e}")
        else:
            yield InputError(f"argument {position}: empty; expected a FASTA file or a DNA sequence")
    else:
        yield f"seq{position}", item


def _path_kind(path: Path) -> str | None:
    """"file", "other" (a folder, ...) or None (nothing there). A long sequence is no valid file name: stat then
    fails (name too long, a NUL byte), and that means nothing is there, not an error."""
    try:
        return "file" if path.is_file() else "other" if path.exists() else None
    except (OSError, ValueError):
        return None


DNA = re.compile(r"[ACGTNacgtn]+")
PATHLIKE = re.compile(r"[/\\]|\.[A-Za-z0-9]{1,6}$")  # a folder separator or a file extension (.fa, .fasta, .txt)


def predict_in_batches(task: ActivityTask, seqs: list[str], length: int, batch_size: int) -> list[float]:
    """Predictions for ``seqs``, ``batch_size`` at a time (peak memory is one batch's, whatever the input size),
    with a progress bar on stderr when there is more than one batch."""
    out: list[float] = []
    with Progress(console=Console(stderr=True), transient=True, disable=len(seqs) <= batch_size) as progress:
        bar = progress.add_task("predicting", total=len(seqs))
        with torch.no_grad():
            for start in range(0, len(seqs), batch_size):
                batch = seqs[start:start + batch_size]
                out += task(torch.from_numpy(one_hot(batch, length))).tolist()
                progress.advance(bar, len(batch))
    return out


def show(rows: list[dict], as_json: bool, title: str) -> None:
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title=title)
    for col in ("name", "length", "prediction"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], str(r["length"]), f"{r['prediction']:.3f}")
    make_console().print(table)

