"""Errors a person can fix, and reading their text files without surprises.

Every command reports an expected failure (bad argument, missing or malformed file, refused checkpoint) as one
line naming the file, line or field and what was expected, and exits 2; ``--debug`` shows the traceback instead.
``EXPECTED`` is what counts as expected: our own ``InputError`` and the ``ValueError`` / ``OSError`` families that
readers raise with a clear message (a missing file, a read-only folder, a bad value).
"""

from __future__ import annotations

import codecs
import sys
from collections.abc import Iterator
from pathlib import Path


class InputError(ValueError):
    """Bad input from a user or a file: the message says where (file, line, field) and what was expected."""


class RefusedFile(InputError):
    """A file that would make loading run code, or escape its folder: refused, nothing was executed."""


class Diverged(ValueError):
    """Training produced NaN or infinity; nothing from that point was saved."""


EXPECTED: tuple[type[BaseException], ...] = (ValueError, OSError, KeyError)


def one_line(error: BaseException) -> str:
    """The message of ``error`` on one line (KeyError quotes its text; strip that)."""
    text = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
    return " ".join(str(text).split()) or type(error).__name__


def decode_text(data: bytes, source: str) -> str:
    """UTF-8 text of ``data`` with a leading BOM removed; a decoding error names ``source`` and the byte offset."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{source}: not UTF-8 text (byte {e.start}: {data[e.start:e.start + 1]!r}); "
                         "save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)") from None
    return text[1:] if text.startswith("\ufeff") else text


def read_text(path: str | Path) -> str:
    """The UTF-8 text of a file (BOM stripped), with errors that name it."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    return decode_text(path.read_bytes(), str(path))


def iter_lines(stream, source: str = "<stdin>") -> Iterator[tuple[int, str | InputError]]:
    """``(line_number, text)`` for each line of a binary or text stream, numbered from 1; a line that is not UTF-8
    yields an ``InputError`` (naming line and byte) in place of its text, so a batch can report it and go on."""
    stream = getattr(stream, "buffer", stream)
    offset = 0
    for number, raw in enumerate(stream, start=1):
        if isinstance(raw, str):
            yield number, raw.rstrip("\r\n").lstrip("\ufeff") if number == 1 else raw.rstrip("\r\n")
            continue
        try:
            text = codecs.decode(raw, "utf-8")
        except UnicodeDecodeError as e:
            yield number, InputError(f"{source} line {number}: not UTF-8 (byte {offset + e.start} of the input)")
        else:
            if number == 1:
                text = text.lstrip("\ufeff")
            yield number, text.rstrip("\r\n")
        offset += len(raw)


def warn(message: str) -> None:
    """One line on stderr: a bad item in a batch that was skipped."""
    print(message, file=sys.stderr)
