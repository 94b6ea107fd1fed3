"""`zoo nlp fit|validate|test ...` (LightningCLI) and `zoo nlp translate --ckpt PATH "sentence" ...`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import lightning as L

from zoo.lightning_cli import ZooCLI

from . import data  # noqa: F401  (data modules selectable by class name)
from .task import TranslationTask


class NlpCLI(ZooCLI):
    description = ("English -> French translation. fit|validate|test: LightningCLI (-c apps/nlp/configs/<preset>.yaml). "
                   "Also: `zoo nlp translate --ckpt PATH 'sentence' ...` (or one sentence a line on stdin).")

    def add_arguments_to_parser(self, parser) -> None:
        super().add_arguments_to_parser(parser)
        # Vocabulary size and special ids come from the tokenizer the data module trains.
        parser.link_arguments("data.spec", "model.data_spec", apply_on="instantiate")


def translate(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="zoo nlp translate", description="Translate English sentences to French.")
    ap.add_argument("--ckpt", required=True, help="a checkpoint written by `zoo nlp fit`")
    ap.add_argument("--beam", type=int, default=4, help="beam size (1: greedy)")
    ap.add_argument("--attention", metavar="PNG", help="also plot the first sentence's attention map here")
    ap.add_argument("sentences", nargs="*", help="sentences to translate (default: one a line on stdin)")
    args = ap.parse_args(argv)
    ckpt = Path(args.ckpt)
    if not ckpt.is_file():
        raise FileNotFoundError(f"checkpoint {ckpt} does not exist")
    task = TranslationTask.load_from_checkpoint(ckpt, map_location="cpu", weights_only=True).eval()
    sentences = args.sentences or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    for src, out in zip(sentences, task.translate(sentences, beam_size=args.beam)):
        print(f"{src}\t{out}" if not args.sentences else out)
    if args.attention and sentences:
        from .plots import plot_attention

        print(f"attention map: {plot_attention(task, sentences[0], args.attention)}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(argv or [])
    if argv and argv[0] == "translate":
        return translate(argv[1:])
    NlpCLI("nlp", TranslationTask, L.LightningDataModule, args=argv)
    return 0
