"""Issue 15, genomics side: values checked in float32, constant targets refused, UTF-8 files with line numbers,
and `genomics score` in batches, reporting each bad record or argument and predicting the rest."""

import json

import numpy as np
import pytest

from apps.science.genomics import cli, readers
from apps.science.genomics.app import APP
from apps.science.genomics.data import GenomicsDataModule, group_split
from apps.science.genomics.task import ActivityTask
from zoo.errors import InputError


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    """A real checkpoint from a tiny fit (whatever loader `score` uses must take what fit writes)."""
    runs = tmp_path_factory.mktemp("runs")
    APP.main(["fit", "--model.model", "cnn_small", "--model.model_kwargs", '{"depth": 1, "width": 8}',
              "--data.class_path", "apps.science.genomics.data.GenomicsDataModule",
              "--data.init_args.n", "200", "--data.init_args.length", "40", "--trainer.max_epochs", "1",
              "--trainer.enable_progress_bar", "false", "--name", "g", "--runs_dir", str(runs)])
    return str(runs / "genomics" / "g" / "checkpoints" / "best.ckpt")


def _score(ckpt, *args):
    return APP.main(["score", "--ckpt", ckpt, "--json", *map(str, args)])


# -- readers ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["1e39", "-3.5e38", "2e15"])
def test_table_values_that_overflow_float32_are_named(tmp_path, value):
    table = tmp_path / "t.tsv"
    table.write_text(f"ACGT\t1.0\nACGA\t{value}\nACGG\t2\n")
    with pytest.raises(InputError, match=rf"t.tsv:2: value {value!r} is out of range; expected a finite number"):
        readers.read_table(table)
    fasta, values = tmp_path / "x.fa", tmp_path / "v.tsv"
    fasta.write_text(">a\nACGT\n>b\nACGA\n")
    values.write_text(f"a\t1\nb\t{value}\n")
    with pytest.raises(InputError, match=rf"v.tsv:2: value {value!r} is out of range"):
        readers.read_fasta_with_values(fasta, values)


def test_table_values_are_checked_after_log1p(tmp_path):
    table = tmp_path / "t.tsv"
    table.write_text("ACGT\t1e39\nACGA\t2\n")  # log1p(1e39) = 89.8: fine for the model
    assert readers.read_table(table, transform="log1p")[2].tolist() == pytest.approx([89.8, np.log1p(2)], 1e-3)


@pytest.mark.parametrize("dataset", ["table", "fasta"])
def test_a_constant_target_is_refused_before_training(tmp_path, dataset):
    seqs = ["".join(np.random.default_rng(i).choice(list("ACGT"), 20)) for i in range(30)]
    (tmp_path / "t.tsv").write_text("".join(f"{s}\t3.5\n" for s in seqs))
    (tmp_path / "x.fa").write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)))
    (tmp_path / "v.tsv").write_text("".join(f"s{i}\t3.5\n" for i in range(30)))
    path, values = (tmp_path / "t.tsv", None) if dataset == "table" else (tmp_path / "x.fa", tmp_path / "v.tsv")
    dm = GenomicsDataModule(dataset=dataset, path=str(path), values=values and str(values))
    with pytest.raises(InputError, match=r"t.tsv: every value of 'target' is 3.5; a constant target|"
                                         r"v.tsv: every value of 'target' is 3.5"):
        dm.setup()


def test_a_constant_training_split_is_refused(tmp_path):
    seqs = ["".join(np.random.default_rng(i).choice(list("ACGT"), 20)) for i in range(4)]
    (tmp_path / "t.tsv").write_text("".join(f"{s}\t{v}\n" for s, v in zip(seqs, [1, 1, 1, 2])))
    # A seed whose split keeps the one different value (row 4) out of training.
    seed = next(s for s in range(100) if 3 not in group_split([f"line{i}" for i in range(1, 5)], 0.25, 0.25, s)[0])
    dm = GenomicsDataModule(dataset="table", path=str(tmp_path / "t.tsv"), val_fraction=0.25, test_fraction=0.25,
                            seed=seed)
    with pytest.raises(InputError, match=r"t.tsv \(training split, 2 sequences\): every value of 'target' is 1"):
        dm.setup()


def test_fasta_with_a_bom_and_crlf_reads(tmp_path):
    fasta = tmp_path / "bom.fa"
    fasta.write_bytes("\ufeff>a desc\r\nACGT\r\nAC\r\n>b\r\nGG\r\n".encode())
    assert readers.read_fasta(fasta) == [("a", "ACGTAC"), ("b", "GG")]


@pytest.mark.parametrize("reader", ["fasta", "table"])
def test_latin1_files_name_the_byte(tmp_path, reader):
    path = tmp_path / "latin.txt"
    path.write_bytes(b">caf\xe9\nACGT\n" if reader == "fasta" else b"ACGT\t1\nACGA\t2 # caf\xe9\n")
    read = readers.read_fasta if reader == "fasta" else readers.read_table
    byte = 4 if reader == "fasta" else 19
    with pytest.raises(InputError, match=rf"latin.txt: not UTF-8 text \(byte {byte}: b'\\xe9'\)"):
        read(path)


def test_fasta_line_numbers_match_an_editor(tmp_path):
    # A form feed inside a line is no line break for an editor (str.splitlines would count one).
    fasta = tmp_path / "ff.fa"
    fasta.write_text(">a \x0c note\nACGT\n>b\nACXT\n")
    with pytest.raises(InputError, match=r"ff.fa:4: record 'b': character 'X' at position 3"):
        readers.read_fasta(fasta)


def test_iter_fasta_reports_each_bad_record_and_keeps_the_rest(tmp_path):
    fasta = tmp_path / "mix.fa"
    fasta.write_text("stray\n>a\nACGT\n>\nACGT\n>b\nAC\nGZ\n>c\n>d\nTTTT\n")
    items = list(readers.iter_fasta(fasta))
    assert [i for i in items if not isinstance(i, InputError)] == [("a", "ACGT"), ("d", "TTTT")]
    assert [str(i).split(": ", 1)[0].rsplit("/", 1)[-1] for i in items if isinstance(i, InputError)] == \
        ["mix.fa:1", "mix.fa:4", "mix.fa:8", "mix.fa:9"]


# -- score ------------------------------------------------------------------------------------------------------
def test_score_runs_in_batches(ckpt, tmp_path, capsys, monkeypatch):
    seen = []
    forward = ActivityTask.forward

    def spy(self, x):
        seen.append(len(x))
        return forward(self, x)

    monkeypatch.setattr(ActivityTask, "forward", spy)
    fasta = tmp_path / "many.fa"
    rng = np.random.default_rng(0)
    fasta.write_text("".join(f">s{i}\n{''.join(rng.choice(list('ACGT'), 40))}\n" for i in range(50)))
    capsys.readouterr()
    assert _score(ckpt, "--batch-size", 16, fasta) == 0
    rows = json.loads(capsys.readouterr().out)
    assert seen == [16, 16, 16, 2] and [r["name"] for r in rows] == [f"s{i}" for i in range(50)]
    # Batching changes nothing but the peak memory.
    monkeypatch.setattr(ActivityTask, "forward", forward)
    assert _score(ckpt, "--batch-size", 50, fasta) == 0
    again = json.loads(capsys.readouterr().out)
    assert [r["prediction"] for r in again] == pytest.approx([r["prediction"] for r in rows], abs=2e-4)
    with pytest.raises(SystemExit):
        _score(ckpt, "--batch-size", 0, fasta)


def test_score_reports_bad_inputs_and_predicts_the_rest(ckpt, tmp_path, capsys):
    fasta = tmp_path / "q.fa"
    fasta.write_text(">good1\nACGTACGT\n>bad\nACGTXA\n>good2\nTTGGCCAA\n")
    capsys.readouterr()
    code = _score(ckpt, fasta, "nope.fa", "ACGTZ", "dir/reads", "GATTACA")
    out, err = capsys.readouterr()
    assert code == 2
    assert [r["name"] for r in json.loads(out)] == ["good1", "good2", "seq5"]
    assert "q.fa:4: record 'bad': character 'X' at position 5" in err
    assert "nope.fa: no such file (argument 2)" in err and "dir/reads: no such file (argument 4)" in err
    assert "'ACGTZ': no such file, and not a DNA sequence: argument 3: character 'Z'" in err
    assert "4 input(s) failed (reported above); 3 predicted" in err
    with pytest.raises(InputError, match=r"q.fa:4: record 'bad'"):
        _score(ckpt, "--strict", fasta, "GATTACA")
    with pytest.raises(InputError, match=r"nope.fa: no such file"):
        _score(ckpt, "--strict", "GATTACA", "nope.fa")


def test_score_file_level_problems_are_per_file(ckpt, tmp_path, capsys):
    (tmp_path / "latin.fa").write_bytes(b">caf\xe9\nACGT\n")
    (tmp_path / "bom.fa").write_bytes("\ufeff>b\nACGTACGT\n".encode())
    (tmp_path / "empty.fa").write_text("\n")
    capsys.readouterr()
    code = _score(ckpt, tmp_path / "latin.fa", tmp_path / "bom.fa", tmp_path / "empty.fa", tmp_path,
                    "A" * 5000)  # a long sequence is no file name (stat says "name too long")
    out, err = capsys.readouterr()
    assert code == 2 and [r["name"] for r in json.loads(out)] == ["b", "seq5"]
    assert "latin.fa: not UTF-8 text (byte 4" in err and "empty.fa: the file is empty" in err
    assert "not a file (argument 4)" in err
    assert "Traceback" not in err


def test_score_with_only_bad_inputs_exits_2_without_predicting(ckpt, capsys, monkeypatch):
    def must_not_run(*args):
        raise AssertionError("nothing to predict")

    monkeypatch.setattr(cli, "predict_in_batches", must_not_run)
    assert _score(ckpt, "missing.fasta") == 2
    assert "missing.fasta: no such file" in capsys.readouterr().err


def test_fasta_dataset_reads_its_values_table(tmp_path):
    # hparams is a dict: `hparams.values` was its method, so dataset=fasta failed with a TypeError.
    seqs = ["".join(np.random.default_rng(i).choice(list("ACGT"), 20)) for i in range(20)]
    (tmp_path / "x.fa").write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)))
    (tmp_path / "v.tsv").write_text("".join(f"s{i}\t{i}\n" for i in range(20)))
    dm = GenomicsDataModule(dataset="fasta", path=str(tmp_path / "x.fa"), values=str(tmp_path / "v.tsv"))
    dm.setup()
    assert dm.length == 20 and len(dm.names) == 20


def test_fasta_files_joined_with_cat_keep_their_boms_out(tmp_path):
    fasta = tmp_path / "joined.fa"
    fasta.write_bytes("\ufeff>a\nACGT\n\ufeff>b\nGG\n>\ufeffc\nTT\n".encode())
    assert readers.read_fasta(fasta) == [("a", "ACGT"), ("b", "GG"), ("c", "TT")]
