"""Readers for sequence/value data: FASTA + a value table, TSV/CSV ``sequence<TAB>value`` (header or not), and the
two MPRA layouts in ../shared/data/genomics. Every problem is reported with the file, the line or record and
what was expected.

Each reader returns ``(names, sequences, values, groups)``: ``groups`` keeps records of one element together in
splits (lentiMPRA measures each element in both orientations).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

from .sequences import check_sequence

Records = tuple[list[str], list[str], np.ndarray, list[str]]


def _text(path: str | Path) -> str:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    text = path.read_text(encoding="utf-8", errors="replace")
    if not text.strip():
        raise ValueError(f"{path}: the file is empty")
    return text


def read_fasta(path: str | Path) -> list[tuple[str, str]]:
    """(name, sequence) records; a character outside ACGTN is reported with the record name and position."""
    records: list[tuple[str, list[str]]] = []
    for number, line in enumerate(_text(path).splitlines(), 1):
        line = line.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith(">"):
            name = line[1:].split()[0] if line[1:].strip() else ""
            if not name:
                raise ValueError(f"{path}:{number}: a FASTA header needs a name after '>'")
            records.append((name, []))
        elif not records:
            raise ValueError(f"{path}:{number}: sequence before the first '>' header; expected FASTA")
        else:
            records[-1][1].append(line)
    out = [(name, "".join(parts)) for name, parts in records]
    for name, seq in out:
        if not seq:
            raise ValueError(f"{path}: record {name!r} has no sequence")
        check_sequence(seq, f"{path}: record {name!r}")
    return out


def _float(text: str, where: str, field: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: {field} {text!r} is not a number") from None
    if not np.isfinite(value):
        raise ValueError(f"{where}: {field} is {text!r}; expected a finite number")
    return value


def read_values(path: str | Path, names: list[str]) -> np.ndarray:
    """A table ``id<TAB or comma>value`` (header optional) aligned to ``names``; a missing or duplicated id is
    named."""
    rows = _rows(path)
    table: dict[str, float] = {}
    for number, row in rows:
        if len(row) < 2:
            raise ValueError(f"{path}:{number}: expected 'id<TAB>value', got {row}")
        if row[0] in table:
            raise ValueError(f"{path}:{number}: id {row[0]!r} appears twice")
        table[row[0]] = _float(row[1], f"{path}:{number}", "value")
    missing = [n for n in names if n not in table]
    if missing:
        raise ValueError(f"{path}: no value for sequence id {missing[0]!r}" + (
            f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    return np.array([table[n] for n in names], dtype=np.float32)


def _rows(path: str | Path) -> list[tuple[int, list[str]]]:
    """Non-empty rows of a TSV or CSV (by the first line's separator); a header row (second field not a number)
    is dropped."""
    lines = _text(path).splitlines()
    sep = "\t" if "\t" in lines[0] else ","
    rows = [(i, [c.strip() for c in row]) for i, row in enumerate(csv.reader(lines, delimiter=sep), 1) if row]
    if rows and len(rows[0][1]) >= 2:
        try:
            float(rows[0][1][-1])
        except ValueError:
            rows = rows[1:]  # a header
    if not rows:
        raise ValueError(f"{path}: a header but no data rows")
    return rows


def read_table(path: str | Path, transform: str | None = None) -> Records:
    """TSV/CSV with ``sequence, value`` or ``id, sequence, value`` columns (header or not). ``transform="log1p"``
    maps values through log(1 + x) (skewed expression ratios)."""
    names, seqs, values = [], [], []
    for number, row in _rows(path):
        where = f"{path}:{number}"
        if len(row) == 2:
            name, seq, value = f"line{number}", row[0], row[1]
        elif len(row) >= 3:
            name, seq, value = row[0], row[1], row[2]
        else:
            raise ValueError(f"{where}: expected 'sequence<TAB>value' or 'id<TAB>sequence<TAB>value', got {row}")
        check_sequence(seq, where)
        v = _float(value, where, "value")
        if transform == "log1p":
            if v <= -1:
                raise ValueError(f"{where}: value {v} cannot go through log1p")
            v = float(np.log1p(v))
        names.append(name)
        seqs.append(seq.upper())
        values.append(v)
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
            raise ValueError(f"{fasta}: record name {n!r} appears twice")
        seen.add(n)
    return names, [s.upper() for _, s in records], read_values(values, names), [element_id(n) for n in names]
