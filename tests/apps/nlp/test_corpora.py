"""Corpus loaders: formats, bad lines with file and line number, splits by English sentence."""

import gzip
import zipfile
from pathlib import Path

import pytest

from apps.nlp.corpora import check_sentence, group_by_source, read_aligned, read_tsv, split_by_source
from zoo.errors import InputError

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "translation"


def test_tsv_with_attribution_and_inside_a_zip(tmp_path):
    text = "Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org #1\nI'm cold.\tJ'ai froid.\n"
    (tmp_path / "fra.txt").write_text(text, encoding="utf-8")
    assert read_tsv(tmp_path / "fra.txt").pairs == [("Go.", "Va !"), ("I'm cold.", "J'ai froid.")]
    with zipfile.ZipFile(tmp_path / "fra-eng.zip", "w") as zf:
        zf.writestr("fra-eng/fra.txt", text)
        zf.writestr("fra-eng/_about.txt", "about")
        zf.writestr("__MACOSX/fra-eng/._fra.txt", "junk")
    assert len(read_tsv(tmp_path / "fra-eng.zip").pairs) == 2


def test_malformed_lines_name_file_and_line_or_are_counted(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("Hello.\tBonjour.\nno tab here\n\tVide.\nOk.\t" + "x" * 500 + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.txt:2: expected English<TAB>French"):
        read_tsv(path)
    corpus = read_tsv(path, skip_bad=True)
    assert corpus.pairs == [("Hello.", "Bonjour.")] and len(corpus.skipped) == 3
    assert "bad.txt:3 (English): empty sentence" in corpus.skipped[1]
    assert "500 characters" in corpus.skipped[2]


def test_aligned_gzip_files(tmp_path):
    for name, lines in (("a.en.gz", "A dog runs.\nTwo men.\n"), ("a.fr.gz", "Un chien court.\nDeux hommes.\n")):
        with gzip.open(tmp_path / name, "wt", encoding="utf-8") as f:
            f.write(lines)
    assert read_aligned(tmp_path / "a.en.gz", tmp_path / "a.fr.gz").pairs[1] == ("Two men.", "Deux hommes.")
    (tmp_path / "b.fr").write_text("Un chien court.\n")
    (tmp_path / "b.en").write_text("A dog runs.\nTwo men.\n")
    with pytest.raises(ValueError, match="has 2 lines but .*b.fr has 1"):
        read_aligned(tmp_path / "b.en", tmp_path / "b.fr")


def test_missing_corpus_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt does not exist"):
        read_tsv(tmp_path / "nope.txt")


def test_check_sentence():
    assert check_sentence("  le chat  ", "input") == "le chat"
    with pytest.raises(ValueError, match="input: empty sentence"):
        check_sentence("   ", "input")


def test_split_by_english_sentence_keeps_every_reference():
    pairs = [(f"s{i}", f"f{i}{k}") for i in range(200) for k in range(1 + i % 3)]
    splits = split_by_source(pairs, 0.1, 0.1, seed=0)
    sources = {name: {en for en, _ in split} for name, split in splits.items()}
    assert not sources["train"] & sources["test"] and not sources["train"] & sources["val"]
    assert sum(len(s) for s in splits.values()) == len(pairs)
    refs = group_by_source(splits["test"])
    assert all(len(v) == 1 + int(k[1:]) % 3 for k, v in refs.items())
    assert split_by_source(pairs, 0.1, 0.1, seed=0) == splits


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data/translation is not here")
def test_real_tatoeba_and_multi30k():
    tatoeba = read_tsv(SHARED / "fra-eng.zip", skip_bad=True)
    assert len(tatoeba.pairs) > 160_000 and len(tatoeba.skipped) < 100
    assert any("é" in fr for _, fr in tatoeba.pairs[:2000])
    m30k = read_aligned(SHARED / "multi30k" / "val.en.gz", SHARED / "multi30k" / "val.fr.gz")
    assert len(m30k.pairs) == 1014


LATIN1 = "Go.\tVa !\nI'm cold.\tJ'ai très froid.\n".encode("latin-1")  # "è" is byte 26 of the file


@pytest.mark.parametrize("skip_bad", [False, True])
def test_a_latin1_tsv_names_the_file_line_and_byte(tmp_path, skip_bad):
    """Not skippable: a wrong encoding is the whole file's, skipping would drop every accented sentence."""
    path = tmp_path / "fra.txt"
    path.write_bytes(LATIN1)
    with pytest.raises(InputError, match=r"fra\.txt line 2: not UTF-8 \(byte 26 of the input\).*iconv"):
        read_tsv(path, skip_bad=skip_bad)


def test_a_latin1_corpus_inside_a_zip_or_gzip_or_aligned_names_the_file(tmp_path):
    with zipfile.ZipFile(tmp_path / "fra-eng.zip", "w") as zf:
        zf.writestr("fra-eng/fra.txt", LATIN1)
    with pytest.raises(InputError, match=r"fra-eng\.zip line 2: not UTF-8"):
        read_tsv(tmp_path / "fra-eng.zip")
    (tmp_path / "a.en.gz").write_bytes(gzip.compress(b"Cold.\nVery cold.\n"))
    (tmp_path / "a.fr.gz").write_bytes(gzip.compress("Froid.\nTrès froid.\n".encode("latin-1")))
    with pytest.raises(InputError, match=r"a\.fr\.gz line 2: not UTF-8 \(byte 9 of the input\)"):
        read_aligned(tmp_path / "a.en.gz", tmp_path / "a.fr.gz")


def test_the_data_module_reports_a_latin1_corpus_by_name(tmp_path):
    from apps.nlp.data import TranslationDataModule

    (tmp_path / "fra.txt").write_bytes(LATIN1)
    with pytest.raises(InputError, match=r"fra\.txt line 2: not UTF-8"):
        TranslationDataModule(str(tmp_path / "fra.txt")).setup()


def test_a_bom_does_not_end_up_in_the_first_sentence(tmp_path):
    bom = "\ufeff"
    (tmp_path / "fra.txt").write_text(f"{bom}Go.\tVa !\n", encoding="utf-8")
    assert read_tsv(tmp_path / "fra.txt").pairs == [("Go.", "Va !")]
    (tmp_path / "a.en").write_text(f"{bom}Go.\n", encoding="utf-8")
    (tmp_path / "a.fr.gz").write_bytes(gzip.compress(f"{bom}Va !\n".encode()))
    assert read_aligned(tmp_path / "a.en", tmp_path / "a.fr.gz").pairs == [("Go.", "Va !")]


def test_a_damaged_archive_is_a_clear_error(tmp_path):
    (tmp_path / "junk.zip").write_bytes(b"not a zip at all")
    with pytest.raises(InputError, match=r"junk\.zip: not a readable zip file"):
        read_tsv(tmp_path / "junk.zip")
    (tmp_path / "junk.gz").write_bytes(b"not gzip")
    with pytest.raises(InputError, match=r"junk\.gz: not a readable gz file"):
        read_tsv(tmp_path / "junk.gz")
    (tmp_path / "cut.gz").write_bytes(gzip.compress(b"Go.\tVa !\n" * 100)[:30])
    with pytest.raises(InputError, match=r"cut\.gz: not a readable gz file \(EOFError"):
        read_tsv(tmp_path / "cut.gz")
