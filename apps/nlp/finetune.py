"""`python -m apps.nlp.finetune --source DIR`: adapt a trained translation model (e.g. the Tatoeba run's
``model/`` folder, which holds its tokenizer) to Multi30k, and report Multi30k test BLEU and chrF before and after.
Prints one table; writes JSON (runs/bench/nlp_finetune.json).
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.table import Table

from zoo._hub import read_config
from zoo.cache import data_path
from zoo.runtime.args import CommandParser
from zoo.runtime.console import make_console
from zoo.runtime.record import RunRecord
from zoo.runtime.report import write_json

from .app import APP, CONFIGS
from .data import TranslationDataModule
from .task import TranslationTask, bleu, chrf
from .tokenizer import load_tokenizer


def score_before(source: Path, data: str, beam: int) -> dict:
    """The source model, untouched, on the target corpus's test split."""
    dm = TranslationDataModule(data, tokenizer=str(source))
    dm.setup()
    task = TranslationTask(init_from=str(source), data_spec=dm.spec, max_decode_len=80).eval()
    task.tokenizer = load_tokenizer(source)
    sources, refs = dm.references("test")
    start = time.perf_counter()
    hyps = task.translate(sources, beam_size=beam)
    return {"test_bleu": bleu(hyps, refs)[0], "test_chrf": chrf(hyps, refs)[0],
            "decode_seconds": time.perf_counter() - start}


def main(argv: list[str] | None = None) -> int:
    ap = CommandParser(prog="python -m apps.nlp.finetune", description=__doc__)
    ap.add_argument("--source", default="runs/bench/nlp/nlp/tatoeba_transformer/model",
                    help="a translation model folder (a run's model/, with tokenizer.json)")
    ap.add_argument("--data", default="../shared/data/translation/multi30k", help="a Multi30k folder (or corpus)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--beam", type=int, default=4)
    ap.add_argument("--runs-dir", default="runs/bench")
    ap.add_argument("--out", default="runs/bench/nlp_finetune.json")
    args, extra = ap.parse_known_args(argv)
    args.data = str(data_path(args.data))  # ../shared/data/... from $ZOO_DATA when set
    source = Path(args.source)
    model = read_config(source)["config"]["name"]  # a clear error when the folder is missing or broken
    if not (source / "tokenizer.json").is_file():
        raise SystemExit(f"{source} has no tokenizer.json: pass a translation run's model/ folder")
    before = score_before(source, args.data, args.beam)
    name = f"multi30k_finetuned_from_{source.parent.name}"
    APP.main(["fit", "-c", str(CONFIGS / "multi30k_finetune.yaml"), "--name", name, "--runs_dir", args.runs_dir,
              "--model.init_from", str(source), "--data.init_args.tokenizer", str(source),
              "--data.init_args.corpus", args.data, "--trainer.max_epochs", str(args.epochs),
              "--model.beam_size", str(args.beam), *extra])
    record = RunRecord.read(Path(args.runs_dir) / "nlp" / name)
    after = record.test
    table = Table(title=f"Multi30k test (beam {args.beam}): {model} from {source}, before and after fine-tuning")
    for col in ("", "BLEU", "chrF", "training s"):
        table.add_column(col, justify="left" if not col else "right")
    table.add_row("before (as trained)", f"{before['test_bleu']:.2f}", f"{before['test_chrf']:.2f}", "-")
    table.add_row(f"after {args.epochs} epochs", f"{after['test_bleu']:.2f}", f"{after['test_chrf']:.2f}",
                  f"{record.fit_seconds or 0:.0f}")
    make_console().print(table)
    write_json(args.out, {"source": str(source), "model": model, "data": args.data, "epochs": args.epochs,
                          "before": before, "after": {k: after[k] for k in ("test_bleu", "test_chrf")},
                          "train_seconds": record.fit_seconds, "run_dir": record.run_dir})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
