"""Readers for sequence/value data: FASTA + a value table, TSV/CSV ``sequence<TAB>value`` (header or not), and the
two MPRA layouts in ../shared/data/genomics. Every problem is reported with the file, the line or record and
what was expected.

Each reader returns ``(names, sequences, values, groups)``: ``groups`` keeps records of one element together in
splits (lentiMPRA measures each element in both orientations).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from zoo.arrays import float32_value
from zoo.errors import InputError
from zoo.trust.reader import read_text

from .sequences import check_sequence

Records = tuple[list[str], list[str], np.ndarray, list[str]]
BOM = "\ufeff"
MAX_FILE_BYTES = 256 * 2**20  # a sequence or value file read whole: the largest MPRA sets are tens of MB


def _text(path: str | Path) -> str:
    """UTF-8 text (BOM stripped; otherwise an error naming the byte offset) of a file that is not empty."""
    text = read_text(path, max_bytes=MAX_FILE_BYTES)  # bounded before it is read (zoo.trust.reader)
    if not text.strip():
        raise InputError(f"{path}: the file is empty")
    return text


def _lines(text: str) -> list[str]:
    """Lines split at newlines only (str.splitlines also splits at form feeds and other separators, which would
    make our line numbers disagree with an editor's)."""
    return [line.rstrip("\r") for line in text.split("\n")]


def iter_fasta(path: str | Path) -> Iterator[tuple[str, str] | InputError]:
    """The (name, sequence) records of a FASTA file in order; a bad record is yielded as an InputError naming the
    file and line in its place, so a batch can report it and go on with the rest. An unreadable or empty file
    raises."""
    found = False
    for item in _raw_fasta(path, _text(path)):
        found = True
        yield item if isinstance(item, InputError) else _fasta_record(path, *item)
    if not found:
        yield InputError(f"{path}: no FASTA records; expected '>name' header lines, each followed by its sequence")


def _raw_fasta(path, text: str) -> Iterator[tuple[int, str, list[tuple[int, str]]] | InputError]:
    """(header line number, header text, [(line number, sequence line)]) per record, unchecked."""
    header: tuple[int, str] | None = None
    lines: list[tuple[int, str]] = []
    stray = False
    for number, line in enumerate(_lines(text), 1):
        line = line.strip().lstrip(BOM)  # a BOM inside: files joined with `cat`, each saved with one
        if not line or line.startswith(";"):
            continue
        if line.startswith(">"):
            if header:
                yield (*header, lines)
            header, lines = (number, line[1:].lstrip(BOM)), []
        elif header is None:
            if not stray:  # one report for the whole block before the first header
                yield InputError(f"{path}:{number}: sequence before the first '>' header; expected FASTA")
            stray = True
        else:
            lines.append((number, line))
    if header:
        yield (*header, lines)


def _fasta_record(path, number: int, header: str, lines: list[tuple[int, str]]) -> tuple[str, str] | InputError:
    name = header.split()[0] if header.strip() else ""
    if not name:
        return InputError(f"{path}:{number}: a FASTA header needs a name after '>'")
    if not lines:
        return InputError(f"{path}:{number}: record {name!r} has no sequence")
    for line_number, line in lines:
        try:
            check_sequence(line, f"{path}:{line_number}: record {name!r}")
        except ValueError as e:
            return InputError(str(e))
    return name, "".join(line for _, line in lines)


def read_fasta(path: str | Path) -> list[tuple[str, str]]:
    """(name, sequence) records; the first problem (a character outside ACGTN, a header without a name, ...) is
    raised with the file, the line and the record name."""
    records = []
    for item in iter_fasta(path):
        if isinstance(item, InputError):
            raise item
        records.append(item)
    return records


def _float(text: str, where: str, field: str, transform: str | None = None) -> float:
    """A number from a table cell, after ``transform``, checked in float32 (what the model trains on)."""
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{where}: {field} {text!r} is not a number") from None
    if not np.isfinite(value):
        raise InputError(f"{where}: {field} is {text!r}; expected a finite number")
    shown = repr(text)
    if transform == "log1p":
        if value <= -1:
            raise InputError(f"{where}: {field} {text} cannot go through log1p; expected a number above -1")
        value = float(np.log1p(value))
        shown = f"{text!r} (after log1p: {value:g})"
    return float(float32_value(value, where, field, shown))


def read_values(path: str | Path, names: list[str]) -> np.ndarray:
    """A table ``id<TAB or comma>value`` (header optional) aligned to ``names``; a missing or duplicated id is
    named."""
    rows = _rows(path)
    table: dict[str, float] = {}
    for number, row in rows:
        if len(row) < 2:
            raise InputError(f"{path}:{number}: expected 'id<TAB>value', got {row}")
        if row[0] in table:
            raise InputError(f"{path}:{number}: id {row[0]!r} appears twice")
        table[row[0]] = _float(row[1], f"{path}:{number}", "value")
    missing = [n for n in names if n not in table]
    if missing:
        raise InputError(f"{path}: no value for sequence id {missing[0]!r}" + (
            f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    return np.array([table[n] for n in names], dtype=np.float32)


def _rows(path: str | Path) -> list[tuple[int, list[str]]]:
    """(line number, fields) of the non-empty lines of a TSV or CSV (by the first line's separator); a header row
    (last field not a number) is dropped."""
    lines = _lines(_text(path))
    sep = "\t" if "\t" in next(line for line in lines if line.strip()) else ","
    rows = [(i, [_unquote(c.strip()) for c in line.split(sep)]) for i, line in enumerate(lines, 1) if line.strip()]
    if len(rows[0][1]) >= 2:
        try:
            float(rows[0][1][-1])
        except ValueError:
            rows = rows[1:]  # a header
    if not rows:
        raise InputError(f"{path}: a header but no data rows")
    return rows


def _unquote(cell: str) -> str:
    # Split by hand rather than with csv: its 128 KiB field limit would refuse long sequences, and DNA tables
    # never need quoted separators; quotes around a whole cell are still allowed.
    return cell[1:-1] if len(cell) >= 2 and cell[0] == cell[-1] == '"' else cell


def read_table(path: str | Path, transform: str | None = None) -> Records:
    """TSV/CSV with ``sequence, value`` or ``id, sequence, value`` columns (header or not). ``transform="log1p"``
    maps values through log(1 + x) (skewed expression ratios). Values are checked in float32, after the
    transform."""
    names, seqs, values = [], [], []
    for number, row in _rows(path):
        where = f"{path}:{number}"
        if len(row) == 2:
            name, seq, value = f"line{number}", row[0], row[1]
        elif len(row) >= 3:
            name, seq, value = row[0], row[1], row[2]
        else:
            raise InputError(f"{where}: expected 'sequence<TAB>value' or 'id<TAB>sequence<TAB>value', got {row}")
        if not seq:
            raise InputError(f"{where}: the sequence is empty")
        check_sequence(seq, where)
        names.append(name)
        seqs.append(seq.upper())
        values.append(_float(value, where, "value", transform))
    return names, seqs, np.array(values, dtype=np.float32), [element_id(n) for n in names]


def element_id(name: str) -> str:
    """The element a record measures, whatever its orientation: 'X_Reversed:' -> 'X' (HepG2), 'seqN_F' /
    'seqN_R' -> 'seqN' (WTC11); other names are their own element."""
    return re.sub(r"(_Reversed:?|_[FR])$", "", name)


def read_fasta_with_values(fasta: str | Path, values: str | Path) -> Records:
    records = read_fasta(fasta)
    names = [n for n, _ in records]
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise InputError(f"{fasta}: record name {n!r} appears twice")
        seen.add(n)
    return names, [s.upper() for _, s in records], read_values(values, names), [element_id(n) for n in names]
