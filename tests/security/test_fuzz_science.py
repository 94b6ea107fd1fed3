"""Fuzzing the science apps' readers: on any bytes (FASTA, sequence/value tables), any arrays in an ``.npz``
(damaged or not) and any command-line argument to `genomics score`, the result is valid or a ValueError-family
error (InputError included) that names the file, never another exception."""

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from apps.science.genomics.cli import _records_of
from apps.science.genomics.readers import iter_fasta, read_fasta, read_table, read_values
from apps.science.pde.data import load_arrays
from zoo.arrays import LIMIT
from zoo.errors import InputError

# About 1-5 s each: bounded for CI; ZOO_FUZZ_EXAMPLES=5000 for a deeper run by hand.
# The same examples on every run (CI must not fail by luck); ZOO_FUZZ_RANDOM=1 explores new ones
DERANDOMIZE = not os.environ.get("ZOO_FUZZ_RANDOM")
SETTINGS = settings(max_examples=int(os.environ.get("ZOO_FUZZ_EXAMPLES", 150)), deadline=None, database=None,
                    derandomize=DERANDOMIZE)
DNA = set("ACGTNacgtn")

# Bytes near the formats (headers, separators, line ends, BOMs, accents in and out of UTF-8, odd line breaks,
# numbers beyond float32) find more than noise.
COMMON = [b"\n", b"\r\n", b"\r", b"\xef\xbb\xbf", b" ", b"\x00", b"\x0c", b"\xe9", b"caf\xc3\xa9", b"\xe2\x80\xa8",
          b"\xed\xa0\x80", b"ACGT", b"acgtn", b"X", b"U"]
SEQ = st.text(alphabet="ACGTNacgtn", min_size=1, max_size=12)
NAME = st.sampled_from(["s1", "id", "a b", "x_Reversed:", "seq2_F"])
NUMBER = st.one_of(st.floats(-1e3, 1e3).map(repr), st.integers(-5, 5).map(str),
                   st.sampled_from(["1e39", "-3e38", "2e15", "nan", "inf", "-1", "1_0", "0x1", "abc"]),
                   st.floats(allow_nan=False, width=64).map(repr))
ENDS = st.sampled_from(["\n", "\r\n"])


@st.composite
def well_formed(draw, lines) -> bytes:
    """Mostly valid text (BOM or not, LF or CRLF), sometimes with one piece of damage spliced in."""
    text = draw(st.sampled_from(["", "\ufeff"])) + draw(ENDS).join(draw(st.lists(lines, min_size=1, max_size=8)))
    data = text.encode()
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from(COMMON + [b">", b"\t", b","])) + data[at:]
    return data


FASTA_LINES = st.one_of(st.tuples(NAME, SEQ).map(lambda r: f">{r[0]}\n{r[1]}"), SEQ, st.just(";note"))
FASTA_BYTES = st.one_of(st.binary(max_size=300), well_formed(FASTA_LINES), st.lists(st.sampled_from(
    COMMON + [b">", b">seq1", b"> ", b";comment", b">a b"]), max_size=40).map(b"".join))
TABLE_LINES = st.one_of(st.tuples(SEQ, NUMBER), st.tuples(NAME, SEQ, NUMBER), st.tuples(NAME, NUMBER)).map("\t".join)
TABLE_BYTES = st.one_of(st.binary(max_size=300), well_formed(TABLE_LINES), st.lists(st.sampled_from(
    COMMON + [b"\t", b",", b'"', b"1.5", b"-0.5", b"1e39", b"-3e38", b"2e15", b"nan", b"inf", b"-1", b"1_0", b"id",
              b"value", b"seq", b"s1"]), max_size=40).map(b"".join))

def in_folder(name: str, data: bytes, test) -> None:
    # hypothesis runs many examples per test call: a fresh folder each, not a function-scoped tmp_path
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        test(path)


def names_file(error: ValueError, path: Path) -> None:
    assert path.name in str(error), str(error)


# -- FASTA --------------------------------------------------------------------------------------------------------
def check_fasta(path: Path) -> None:
    try:
        records = read_fasta(path)
    except ValueError as e:
        return names_file(e, path)
    assert records
    for name, seq in records:
        assert name and not any(c.isspace() for c in name) and not name.startswith("\ufeff")  # BOM stripped
        assert seq and set(seq) <= DNA


def check_fasta_items(path: Path) -> None:
    """The batch reader: an item per record, each a valid record or an InputError naming the file."""
    try:
        items = list(iter_fasta(path))
    except ValueError as e:  # the whole file (not UTF-8, empty)
        return names_file(e, path)
    assert items
    for item in items:
        if isinstance(item, InputError):
            names_file(item, path)
        else:
            assert item[0] and set(item[1]) <= DNA


@SETTINGS
@given(data=FASTA_BYTES)
def test_fasta(data):
    in_folder("in.fa", data, check_fasta)
    in_folder("in.fa", data, check_fasta_items)


# -- sequence/value tables ----------------------------------------------------------------------------------------
def check_values(values: np.ndarray) -> None:
    assert values.dtype == np.float32 and np.isfinite(values).all() and (np.abs(values) <= LIMIT).all()


def check_table(path: Path, transform) -> None:
    try:
        names, seqs, values, groups = read_table(path, transform=transform)
    except ValueError as e:
        return names_file(e, path)
    assert len(names) == len(seqs) == len(values) == len(groups) > 0
    assert all(s and set(s) <= DNA for s in seqs)
    check_values(values)


def check_value_table(path: Path, names: list[str]) -> None:
    try:
        values = read_values(path, names)
    except ValueError as e:
        return names_file(e, path)
    assert len(values) == len(names)
    check_values(values)


@SETTINGS
@given(data=TABLE_BYTES, transform=st.sampled_from([None, "log1p"]))
def test_sequence_value_table(data, transform):
    in_folder("t.tsv", data, lambda path: check_table(path, transform))
    in_folder("v.tsv", data, lambda path: check_value_table(path, ["s1", "id"]))


# -- genomics score arguments -------------------------------------------------------------------------------------
@SETTINGS
@given(item=st.one_of(st.text(max_size=60), st.text(alphabet="ACGTNacgtn./", max_size=400)),
       position=st.integers(1, 50))
def test_predict_argument(item, position):
    with tempfile.TemporaryDirectory() as folder:  # relative paths resolve in an empty folder
        cwd = Path.cwd()
        try:
            os.chdir(folder)
            items = list(_records_of(item, position))
        finally:
            os.chdir(cwd)
    assert len(items) == 1
    if not isinstance(items[0], InputError):
        assert items[0] == (f"seq{position}", item) and set(item) <= DNA and item


# -- PDE .npz fields ----------------------------------------------------------------------------------------------
DTYPES = st.sampled_from([np.float64, np.float32, np.float16, np.int64, np.int8, np.uint8, np.bool_, np.complex64])
SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)
FIELDS = DTYPES.flatmap(lambda dtype: hnp.arrays(dtype, SHAPES))


@st.composite
def field_pairs(draw):
    """(input, target): often of one shape and varied values (the interesting part: shapes that fit, values that
    may not: huge, NaN, constant)."""
    if draw(st.booleans()):
        x, y = draw(FIELDS), draw(FIELDS)
        return x, (draw(hnp.arrays(draw(DTYPES), x.shape)) if draw(st.booleans()) else y)
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=4, min_side=1, max_side=4))
    values = st.one_of(st.floats(-10, 10), st.integers(-3, 3), st.floats(allow_nan=True, allow_infinity=True))
    x, y = (draw(hnp.arrays(np.float64, shape, elements=values, fill=st.nothing())) for _ in range(2))
    if draw(st.booleans()):
        with np.errstate(over="ignore"):
            y = y.astype(np.float32)  # stored as float32: overflow happens on the writer's side
    return x, y


META = st.one_of(st.none(), st.just(json.dumps({"ndim": 1})), st.text(max_size=20),
                 st.dictionaries(st.sampled_from(["ndim", "pde", "params"]),
                                 st.one_of(st.integers(-2, 5), st.text(max_size=5), st.none(), st.floats())).map(
                     json.dumps))


def npz_bytes(x: np.ndarray, y: np.ndarray, meta: str | None) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, input=x, target=y, **({} if meta is None else {"meta": meta}))
    return buf.getvalue()


def check_fields(path: Path) -> None:
    try:
        x, y, meta = load_arrays(path)
    except ValueError as e:
        return names_file(e, path)
    assert isinstance(meta, dict) and x.dtype == y.dtype == np.float32 and len(x) == len(y) > 0
    assert x.ndim == y.ndim >= 3 and x.shape[2:] == y.shape[2:]
    for a in (x, y):
        assert np.isfinite(a).all() and (np.abs(a) <= LIMIT).all() and a.max() > a.min()


@SETTINGS
@given(pair=field_pairs(), meta=META)
def test_npz_fields(pair, meta):
    in_folder("f.npz", npz_bytes(*pair, meta), check_fields)


@SETTINGS
@given(x=FIELDS, meta=META, cut=st.integers(0, 2000), flip=st.integers(0), junk=st.binary(max_size=200))
def test_npz_damaged(x, meta, cut, flip, junk):
    packed = bytearray(npz_bytes(x, x[::-1] if x.ndim else x, meta))
    if cut < len(packed):
        packed = packed[:cut]
    else:
        packed[flip % len(packed)] ^= 0x55
    in_folder("d.npz", bytes(packed), check_fields)
    in_folder("j.npz", b"PK\x03\x04" + junk, check_fields)
    with zipfile.ZipFile(buf := io.BytesIO(), "w") as z:  # members that are not .npy at all
        z.writestr("input.npy", junk)
        z.writestr("target.npy", b"\x93NUMPY" + junk)
    in_folder("z.npz", buf.getvalue(), check_fields)
