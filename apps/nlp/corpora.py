"""Parallel English/French corpora from local files: Tatoeba/Anki TSV (plain or inside a zip) and two line-aligned
files (plain or gzipped, as Multi30k ships). Bad lines are reported with file and line number, or skipped and
counted when asked. Splits are by English sentence, so no test source sentence is ever seen in training, and
every reference of a source sentence stays with it.
"""

from __future__ import annotations

import gzip
import lzma
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np

from zoo.errors import InputError, iter_lines

Pair = tuple[str, str]  # (English, French)
MAX_CHARS = 400  # longer "sentences" are almost always broken lines (several sentences, markup)
MAX_LINE_BYTES = 64 * 1024  # a line of a corpus file: a sentence pair and its attribution, far below this
MAX_CORPUS_BYTES = 2 * 2**30  # a whole corpus file, decompressed (Tatoeba's En-Fr is 30 MB, Europarl's 600 MB)
# What zipfile/gzip raise on damaged or unsupported archives (EOFError: truncated; NotImplementedError: an
# unsupported compression method; RuntimeError: an encrypted member; BadGzipFile is an OSError without the name).
_BROKEN_CONTAINER = (zipfile.BadZipFile, gzip.BadGzipFile, zlib.error, lzma.LZMAError, EOFError, NotImplementedError,
                     RuntimeError)


@dataclass
class Corpus:
    pairs: list[Pair]
    source: str
    skipped: list[str] = field(default_factory=list)  # "file:line: reason" of each skipped line


def check_sentence(text: str, where: str, max_chars: int = MAX_CHARS) -> str:
    """The stripped sentence, or a ValueError saying where and what is wrong with it. A byte-order mark or
    zero-width space at either end is formatting, not text (one after a vertical tab escaped the file's BOM check)."""
    text = text.strip().strip("\ufeff\u200b").strip()
    if not text:
        raise ValueError(f"{where}: empty sentence")
    if len(text) > max_chars:
        raise ValueError(f"{where}: sentence of {len(text)} characters (more than {max_chars}): {text[:60]!r}...")
    return text


def _open_binary(path: Path, stack: ExitStack) -> IO[bytes]:
    """A binary stream of a corpus file: plain, gzipped, or the one corpus file inside a zip (macOS metadata
    ignored). Decoding is left to ``zoo.errors.iter_lines`` so that errors name the line and byte."""
    if path.suffix == ".zip":
        zf = stack.enter_context(zipfile.ZipFile(path))
        members = [n for n in zf.namelist() if n.endswith(".txt") and "__MACOSX" not in n
                   and not Path(n).name.startswith("_")]
        if len(members) != 1:
            raise InputError(f"{path}: expected one corpus .txt file inside, found {members or 'none'}")
        return stack.enter_context(zf.open(members[0]))
    if path.suffix == ".gz":
        return stack.enter_context(gzip.open(path, "rb"))
    return stack.enter_context(open(path, "rb"))


def _bounded(stream: IO[bytes], path: Path) -> Iterator[bytes]:
    """The raw lines of ``stream``, each at most ``MAX_LINE_BYTES`` and all together at most ``MAX_CORPUS_BYTES``
    (decompressed): a gzip or zip bomb, or a file with no line breaks, is refused instead of filling the memory."""
    total = 0
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        total += len(raw)
        if len(raw) > MAX_LINE_BYTES:
            raise InputError(f"{path}: a line of over {MAX_LINE_BYTES:,} bytes; a corpus holds one sentence pair a "
                             "line (is this a corpus file?)")
        if total > MAX_CORPUS_BYTES:
            raise InputError(f"{path}: over {MAX_CORPUS_BYTES:,} bytes of text (decompressed), more than a corpus "
                             "this app trains on may have")
        yield raw


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """``(line_number, text)`` of a corpus file, UTF-8 with the BOM stripped. A line that is not UTF-8 stops the
    read even with ``skip_bad``: a wrong encoding is a property of the whole file, and skipping its lines would
    silently drop every accented sentence."""
    try:
        with ExitStack() as stack:
            for number, text in iter_lines(_bounded(_open_binary(path, stack), path), str(path)):
                if isinstance(text, InputError):
                    raise InputError(f"{text}; save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)")
                yield number, text
    except _BROKEN_CONTAINER as e:  # a damaged zip or gzip raises types outside the ValueError/OSError families
        raise InputError(f"{path}: not a readable {path.suffix[1:]} file ({type(e).__name__}: {e})") from None


def read_tsv(path: str | Path, skip_bad: bool = False, max_chars: int = MAX_CHARS) -> Corpus:
    """Tatoeba/Anki format: ``English<TAB>French[<TAB>attribution]`` a line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"corpus {path} does not exist (expected English<TAB>French lines, or a zip of them)")
    corpus = Corpus([], str(path))
    for n, line in _lines(path):
        where = f"{path}:{n}"
        try:
            fields = line.split("\t")
            if len(fields) < 2:
                raise ValueError(f"{where}: expected English<TAB>French[<TAB>attribution], got {line.strip()[:60]!r}")
            corpus.pairs.append((check_sentence(fields[0], f"{where} (English)", max_chars),
                                 check_sentence(fields[1], f"{where} (French)", max_chars)))
        except ValueError as e:
            if not skip_bad:
                raise ValueError(f"{e} (pass skip_bad=True to skip such lines)") from None
            corpus.skipped.append(str(e))
    return corpus


def read_aligned(english: str | Path, french: str | Path, skip_bad: bool = False,
                 max_chars: int = MAX_CHARS) -> Corpus:
    """Two line-aligned files (plain or .gz): line i of one translates line i of the other."""
    english, french = Path(english), Path(french)
    for p in (english, french):
        if not p.is_file():
            raise FileNotFoundError(f"corpus file {p} does not exist")
    en_lines, fr_lines = [t for _, t in _lines(english)], [t for _, t in _lines(french)]
    if len(en_lines) != len(fr_lines):
        raise ValueError(f"{english} has {len(en_lines)} lines but {french} has {len(fr_lines)}: not aligned")
    corpus = Corpus([], f"{english} + {french}")
    for n, (en, fr) in enumerate(zip(en_lines, fr_lines), 1):
        try:
            corpus.pairs.append((check_sentence(en, f"{english}:{n}", max_chars),
                                 check_sentence(fr, f"{french}:{n}", max_chars)))
        except ValueError as e:
            if not skip_bad:
                raise ValueError(f"{e} (pass skip_bad=True to skip such lines)") from None
            corpus.skipped.append(str(e))
    return corpus


def group_by_source(pairs: list[Pair]) -> dict[str, list[str]]:
    """English sentence -> all its French references, in first-seen order, without duplicates."""
    refs: dict[str, list[str]] = {}
    for en, fr in pairs:
        bucket = refs.setdefault(en, [])
        if fr not in bucket:
            bucket.append(fr)
    return refs


def split_by_source(pairs: list[Pair], val_fraction: float = 0.05, test_fraction: float = 0.05,
                    seed: int = 0) -> dict[str, list[Pair]]:
    """Seeded train/val/test split of the *English sentences*; each keeps all of its translations."""
    refs = group_by_source(pairs)
    sources = list(refs)
    order = np.random.default_rng(seed).permutation(len(sources))
    n_val, n_test = round(len(sources) * val_fraction), round(len(sources) * test_fraction)
    parts = {"val": order[:n_val], "test": order[n_val:n_val + n_test], "train": order[n_val + n_test:]}
    return {name: [(sources[i], fr) for i in sorted(idx) for fr in refs[sources[i]]] for name, idx in parts.items()}
