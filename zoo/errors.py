"""Errors a person can fix, and reading their text files without surprises.

Every command reports an expected failure (bad argument, missing or malformed file, refused checkpoint) as one
line naming the file, line or field and what was expected, and exits 2; ``--debug`` shows the traceback instead.
``EXPECTED`` is what counts as expected: our own ``InputError`` and the ``ValueError`` / ``OSError`` families that
readers raise with a clear message (a missing file, a read-only folder, a bad value). A ``KeyError`` is not: a
missing key is a bug unless the code that looked it up says otherwise (``UnknownName``: a name the user gave that
is not in a table). ``as_expected`` also recognises a write that failed because the disk is full, which torch and
safetensors raise as ``RuntimeError`` / ``SafetensorError``.
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


class UnknownName(InputError, KeyError):
    """A name the user gave (a model, a metric to monitor) that is not among the known ones: an expected error, and
    still a ``KeyError`` for code that asks for a name and falls back when there is none."""

    __str__ = BaseException.__str__  # the message as written (KeyError would quote it)


class DiskFull(OSError):
    """A write failed for want of space (ENOSPC, a quota): nothing half-written was kept."""


EXPECTED: tuple[type[BaseException], ...] = (ValueError, OSError)
_WRITE_FAILED = ("no space left on device", "os error 28", "disk quota exceeded", "os error 122", "storagefull",
                 "file write failed", "unexpected pos")  # the last two: torch.save's PytorchStreamWriter on ENOSPC


def as_expected(error: BaseException) -> BaseException | None:
    """``error`` when it is an expected error, a ``DiskFull`` in place of a write that failed for want of space
    (however the library raised it), else None (a bug: the caller lets the traceback show)."""
    import errno

    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(errno.ENOSPC, f"writing failed: the disk is full ({error.strerror}"
                        + (f": {error.filename}" if error.filename else "") + "); free some space and run again")
    if isinstance(error, EXPECTED):
        return error
    seen, cause = set(), error
    while cause is not None and id(cause) not in seen:  # the error and what it was raised from
        seen.add(id(cause))
        text = str(cause).lower()
        if isinstance(cause, RuntimeError) or type(cause).__name__ == "SafetensorError":
            if any(s in text for s in _WRITE_FAILED):
                return DiskFull(errno.ENOSPC, f"writing failed, most likely because the disk is full "
                                f"({one_line(cause)[:200]}); free some space and run again")
        cause = cause.__cause__ or cause.__context__
    return None


def one_line(error: BaseException) -> str:
    """The message of ``error`` on one line (KeyError quotes its text; strip that)."""
    text = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
    return " ".join(str(text).split()) or type(error).__name__


# jsonargparse's lines that say how it searched, not what was wrong (a Union of a class and None, the value again)
_PARSER_NOISE = ("does not validate against any of the union subtypes", "subtypes:", "errors:", "given value type:",
                 "given value:", "- expected a <class 'nonetype'>", "tip:", "usage:")


def parser_error_line(error: BaseException, help_hint: str) -> str:
    """jsonargparse's many-line parse error as one line: the keys it was at and what it expected there."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    kept = [line.removeprefix("- ").removeprefix("error: ") for line in lines
            if not line.lower().startswith(_PARSER_NOISE)]
    text = "".join(line + (" " if line.endswith(":") else "; ") for line in kept).removesuffix("; ").strip()
    text = text or type(error).__name__
    return f"{text[:400]} (see {help_hint})"


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


class BadItems:
    """A batch's bad items on stderr: one line each for the first ``shown``, then only counted (a file of two
    million bad records is a summary, not two million lines)."""

    def __init__(self, command: str, shown: int = 20):
        self.command, self.shown, self.count = command, shown, 0

    def __call__(self, message: str) -> None:
        self.count += 1
        if self.count <= self.shown:
            warn(message)
        elif self.count == self.shown + 1:
            warn(f"{self.command}: more bad inputs; they are counted, not shown")
