"""Fuzzing the translation corpus readers: on any bytes, plain or inside a gzip or zip (damaged or not), the TSV
sentence-pair reader gives a valid corpus or a ValueError that names the file, never another exception."""

import gzip
import io
import os
import tempfile
import zipfile
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from apps.nlp.corpora import MAX_CHARS, read_aligned, read_tsv

# Bytes near the format (tabs, line ends, BOMs, accents in and out of UTF-8, over-long fields) find more than noise.
PIECES = [b"\t", b"\n", b"\r\n", b"\r", b"\xef\xbb\xbf", b"Go.", b"Va !", b"tr\xc3\xa8s", b"tr\xe8s", b" ", b"\x00",
          b"\xff\xfe", b"x" * (MAX_CHARS + 1), b"\xe2\x80\xa8", b"\xed\xa0\x80"]
CORPUS_BYTES = st.one_of(st.binary(max_size=600), st.lists(st.sampled_from(PIECES), max_size=40).map(b"".join))
# The same examples on every run (CI must not fail by luck); ZOO_FUZZ_RANDOM=1 explores new ones
DERANDOMIZE = not os.environ.get("ZOO_FUZZ_RANDOM")
SETTINGS = settings(max_examples=300, deadline=None, database=None,
                    derandomize=DERANDOMIZE)  # about 1-3 s each: bounded for CI


def check_corpus_or_error(path: Path, skip_bad: bool):
    """The reader's result, checked: valid pairs (and every line accounted for), or a ValueError naming ``path``."""
    try:
        corpus = read_tsv(path, skip_bad=skip_bad)
    except ValueError as e:
        assert path.name in str(e)
        return None
    for pair in corpus.pairs:
        for text in pair:
            assert text and text == text.strip() and len(text) <= MAX_CHARS
            assert "\t" not in text and "\n" not in text
    if corpus.pairs and not skip_bad:  # every line is a pair, so the first came from line 1: no BOM left in it
        assert not corpus.pairs[0][0].startswith("\ufeff")
    return corpus


def in_folder(name: str, data: bytes, test) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        test(path)


@SETTINGS
@given(data=CORPUS_BYTES, skip_bad=st.booleans())
@example(data=b"\x0b\xef\xbb\xbf\t\xe4\x80\x80", skip_bad=False)  # a BOM after a vertical tab (a line break)
def test_plain_tsv(data, skip_bad):
    in_folder("fra.txt", data, lambda path: check_corpus_or_error(path, skip_bad))


@SETTINGS
@given(data=CORPUS_BYTES, cut=st.integers(min_value=0, max_value=1000), flip=st.integers(min_value=0))
def test_gzip_whole_truncated_or_corrupted(data, cut, flip):
    packed = bytearray(gzip.compress(data))
    if cut < len(packed):
        packed = packed[:cut]
    elif packed:
        packed[flip % len(packed)] ^= 0x55
    in_folder("fra.txt.gz", bytes(packed), lambda path: check_corpus_or_error(path, skip_bad=True))


@SETTINGS
@given(data=CORPUS_BYTES, name=st.sampled_from(["fra-eng/fra.txt", "fra.bin", "__MACOSX/._fra.txt"]),
       cut=st.integers(min_value=0, max_value=1200))
def test_zip_members_and_damaged_zips(data, name, cut):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, data)
    packed = buffer.getvalue()
    in_folder("fra-eng.zip", packed[:cut] if cut < len(packed) else packed,
              lambda path: check_corpus_or_error(path, skip_bad=True))


@SETTINGS
@given(english=CORPUS_BYTES, french=CORPUS_BYTES)
def test_aligned_files(english, french):
    with tempfile.TemporaryDirectory() as folder:
        en, fr = Path(folder) / "a.en", Path(folder) / "a.fr"
        en.write_bytes(english)
        fr.write_bytes(french)
        try:
            corpus = read_aligned(en, fr, skip_bad=True)
        except ValueError as e:
            assert "a.en" in str(e) or "a.fr" in str(e)
        else:
            assert all(e and f and "\n" not in e + f for e, f in corpus.pairs)
