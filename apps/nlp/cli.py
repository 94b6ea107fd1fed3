"""`zoo nlp translate --ckpt PATH "sentence" ...` (or one sentence a line on stdin). fit|validate|test are
LightningCLI's (see app.py)."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from zoo.checkpoint import load_task
from zoo.errors import BadItems, InputError, iter_lines, one_line, warn
from zoo.runtime.args import CommandParser
from zoo.trust.bounds import (
    DATA_INTS,
    DECODE_FACTOR,
    DECODE_SLACK,
    MAX_DECODE_LEN,
    MAX_HYPOTHESES,
    TASK_INTS,
    check_decode_len,
    whole,
)

from .corpora import MAX_CHARS
from .task import TranslationTask
from .tokenizer import check_vocabulary


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1 (``--beam 0`` used to mean greedy silently)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value}")
    return value


def translate_parser() -> argparse.ArgumentParser:
    ap = CommandParser(
        prog="zoo nlp translate", description="Translate English sentences to French. A sentence that cannot be "
        f"translated (empty, over {MAX_CHARS} characters or too many tokens, not UTF-8) is reported on stderr "
        "with its line number or argument position and the rest go on; the exit status is then 2.")
    ap.add_argument("--ckpt", required=True, help="a checkpoint written by `zoo nlp fit`")
    ap.add_argument("--beam", type=positive_int, default=4, help="beam size (1: greedy)")
    ap.add_argument("--batch-size", type=positive_int, default=64,
                    help="sentences translated together; output is written as each batch finishes")
    ap.add_argument("--strict", action="store_true", help="stop at the first sentence that cannot be translated")
    ap.add_argument("--max-decode-len", "--max_decode_len", dest="max_decode_len", type=positive_int,
                    help=f"longest output in tokens (default: the checkpoint's; at most {MAX_DECODE_LEN}, and never "
                    f"more than {DECODE_FACTOR} x the source + {DECODE_SLACK})")
    ap.add_argument("--backend", choices=("zoo", "ctranslate2"), default="zoo",
                    help="decoder: ours (zoo.decoding) or CTranslate2 fp32 on the same weights, converted once into "
                    "<checkpoint>.ct2/ beside the checkpoint (needs the bench extra; without it: ours, with a warning)")
    ap.add_argument("--attention", metavar="PNG", help="also plot the first translated sentence's attention map")
    ap.add_argument("sentences", nargs="*", help="sentences to translate (default: one a line on stdin)")
    return ap


Item = tuple[str, "str | InputError"]  # (where, text or the error that replaced it)


def argument_items(sentences: list[str]) -> list[Item]:
    return [(f"argument {i}", s) for i, s in enumerate(sentences, 1)]


def stdin_items(stream) -> Iterator[Item]:
    """Non-blank lines, each named by its line number (blank lines are skipped but still counted); a line that is
    not UTF-8 comes as an InputError, read lazily so that memory does not grow with the input."""
    for number, text in iter_lines(stream):
        if isinstance(text, InputError) or text.strip():
            yield f"<stdin> line {number}", text


@dataclass
class Tally:
    translated: int = 0
    failed: int = 0
    first: str | None = None  # the first sentence translated (for the attention map)


@contextmanager
def progress_bar(enabled: bool, total: int | None) -> Iterator[Callable[[int], None]]:
    """``advance(n)`` of a rich bar on stderr, or a no-op. stdout is not redirected: it carries the translations;
    stderr is, so skipped-sentence messages print above the bar."""
    if not enabled:
        yield lambda n: None
        return
    columns = (TextColumn("translating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True, redirect_stdout=False) as bar:
        task_id = bar.add_task("translate", total=total)
        yield lambda n: bar.advance(task_id, n)


def show_progress(total: int | None, batch_size: int) -> bool:
    """A bar only for input larger than one batch (stdin: size unknown), and only when stderr is a terminal and
    stdout is not: when both are the terminal, the streamed translations already show progress."""
    large = total is None or total > batch_size
    return large and sys.stderr.isatty() and not sys.stdout.isatty()


def translate_stream(task: TranslationTask, items: Iterable[Item], beam: int, batch_size: int, strict: bool,
                     with_source: bool, advance: Callable[[int], None]) -> Tally:
    """Translate ``items`` batch by batch, printing each batch as it finishes (``src<TAB>out`` with
    ``with_source``). A bad sentence is reported on stderr and skipped, or, with ``strict``, raised once the
    sentences before it are printed."""
    tally, batch, bad = Tally(), [], BadItems("zoo nlp translate")
    for where, text in items:
        try:
            if isinstance(text, InputError):
                raise text
            batch.append((text, task.check_input(text, where)))
        except ValueError as e:
            if strict:
                _translate_batch(task, batch, beam, with_source, tally)
                raise
            tally.failed += 1
            bad(f"zoo nlp translate: {one_line(e)} (skipped)")
            advance(1)
        if len(batch) >= batch_size:
            advance(_translate_batch(task, batch, beam, with_source, tally))
    advance(_translate_batch(task, batch, beam, with_source, tally))
    return tally


def _translate_batch(task: TranslationTask, batch: list[tuple[str, str]], beam: int, with_source: bool,
                     tally: Tally) -> int:
    """Translate and print ``batch`` (``(line as given, checked sentence)`` pairs), then empty it."""
    if not batch:
        return 0
    outputs = task.translate([checked for _, checked in batch], beam_size=beam, batch_size=len(batch))
    for (given, _), out in zip(batch, outputs):
        out = " ".join(out.split())  # one line per sentence whatever the model emits (newlines, tabs: bytes too)
        print(f"{given}\t{out}" if with_source else out)
    sys.stdout.flush()  # downstream sees each batch as soon as it is done
    tally.first = tally.first or batch[0][1]
    tally.translated += len(batch)
    done = len(batch)
    batch.clear()
    return done


def ctranslate2_installed() -> bool:
    """The optional CTranslate2 package (the ``bench`` extra) is importable."""
    return importlib.util.find_spec("ctranslate2") is not None


def use_ctranslate2(task: TranslationTask, ckpt: Path) -> None:
    """Decode through CTranslate2 when the package is installed (converting the checkpoint once, beside it), else
    say so in one line and keep ours."""
    if not ctranslate2_installed():
        warn("zoo nlp translate: ctranslate2 is not installed (pip install 'zoo-suite[bench]'); using the zoo decoder")
        return
    from . import ctranslate2_backend as ct2

    folder = ct2.converted_for(task, ckpt)
    tok = task.tokenizer
    task.backend = ct2.CT2Translator(folder, [tok.id_to_token(i) for i in range(tok.get_vocab_size())])


def translate_main(argv: list[str]) -> int:
    args = translate_parser().parse_args(argv)
    if args.max_decode_len is not None:
        check_decode_len(args.max_decode_len, "--max_decode_len")  # refused before anything is loaded
    whole(args.beam, "--beam", *TASK_INTS["beam_size"])  # beams x batch x length is what one step holds
    whole(args.batch_size, "--batch-size", *DATA_INTS["batch_size"])
    if args.beam * args.batch_size > MAX_HYPOTHESES:  # each flag within its bound, their product a memory bomb
        raise InputError(f"--beam {args.beam} x --batch-size {args.batch_size} = {args.beam * args.batch_size:,} "
                         f"hypotheses decoded at once; at most {MAX_HYPOTHESES:,}: lower --batch-size")
    ckpt = Path(args.ckpt)
    if not ckpt.is_file():
        raise FileNotFoundError(f"checkpoint {ckpt} does not exist")
    task = load_task(ckpt, TranslationTask)
    if task.tokenizer is None:
        raise InputError(f"{ckpt}: the checkpoint carries no tokenizer (not one `zoo nlp fit` wrote)")
    check_vocabulary(task.tokenizer, task.model, f"{ckpt} (its tokenizer)")  # its ids must be the model's
    if args.max_decode_len is not None:
        task.hparams.max_decode_len = args.max_decode_len
    if args.backend == "ctranslate2":
        use_ctranslate2(task, ckpt)
    items = argument_items(args.sentences) if args.sentences else stdin_items(sys.stdin)
    total = len(args.sentences) if args.sentences else None
    with progress_bar(show_progress(total, args.batch_size), total) as advance:
        tally = translate_stream(task, items, args.beam, args.batch_size, args.strict,
                                 with_source=not args.sentences, advance=advance)
    if args.attention and tally.first:
        from .plots import plot_attention

        print(f"attention map: {plot_attention(task, tally.first, args.attention)}", file=sys.stderr)
    if tally.failed:
        warn(f"zoo nlp translate: {tally.failed} of {tally.failed + tally.translated} sentences not translated")
        return 2
    return 0

