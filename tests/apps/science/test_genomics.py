"""The genomics app on tiny budgets: encodings, readers and their errors, RC invariance, save/reload, the CLI."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import zoo
from apps.science.genomics import readers
from apps.science.genomics.app import APP
from apps.science.genomics.data import GenomicsDataModule, group_split
from apps.science.genomics.interpret import motif_recovery
from apps.science.genomics.sequences import decode, fit_length, one_hot, random_shift, reverse_complement
from apps.science.genomics.synthetic import MOTIFS, generate, revcomp
from apps.science.genomics.task import ActivityTask
from zoo.runtime.record import RunRecord

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "genomics"


def test_one_hot_and_reverse_complement_are_exact_inverses():
    seqs = ["ACGTTGCAAN", "acgtnnACGT"]
    x = one_hot(seqs)
    assert x.shape == (2, 10, 4) and x[0, -1].sum() == 0  # N is all zeros
    assert decode(x) == ["ACGTTGCAAN", "ACGTNNACGT"]
    assert decode(reverse_complement(x)) == [revcomp(s.upper().replace("N", "N")) for s in ["ACGTTGCAAN",
                                                                                             "ACGTNNACGT"]]
    assert np.array_equal(reverse_complement(reverse_complement(x)), x)
    t = torch.from_numpy(x)
    assert torch.equal(reverse_complement(t), torch.from_numpy(reverse_complement(x)))
    assert fit_length("AACCGGTT", 4) == "CCGG" and fit_length("ACG", 6) == "NACGNN"


def test_random_shift_moves_each_sequence_and_fills_with_n():
    x = torch.from_numpy(one_hot(["ACGTACGTAC", "GGGCCCAATT", "TTTTAAAACC"]))
    assert torch.equal(random_shift(x, 0), x)
    torch.manual_seed(0)
    out = random_shift(x.repeat(20, 1, 1), 3)  # (60, 10, 4)
    seen = set()
    for src, moved in zip(x.repeat(20, 1, 1), out):
        text, orig = decode(moved[None])[0], decode(src[None])[0]
        offset = len(text) - len(text.lstrip("N")) or -(len(text) - len(text.rstrip("N")))
        assert abs(offset) <= 3
        expect = ("N" * offset + orig)[:10] if offset >= 0 else (orig[-offset:] + "N" * -offset)
        assert text == expect
        seen.add(offset)
    assert len(seen) > 3  # offsets differ between sequences


def test_bad_sequences_and_tables_are_named(tmp_path):
    fasta = tmp_path / "x.fa"
    fasta.write_text(">good\nACGT\n>bad one\nACGTXA\n")
    with pytest.raises(ValueError, match=r"x.fa:4: record 'bad': character 'X' at position 5 is not DNA"):
        readers.read_fasta(fasta)
    (tmp_path / "empty.fa").write_text("")
    with pytest.raises(ValueError, match="empty.fa: the file is empty"):
        readers.read_fasta(tmp_path / "empty.fa")
    fasta.write_text(">a\nACGT\n>b\nGGCC\n")
    values = tmp_path / "v.tsv"
    values.write_text("id\tvalue\na\t1.5\n")
    with pytest.raises(ValueError, match="v.tsv: no value for sequence id 'b'"):
        readers.read_fasta_with_values(fasta, values)
    values.write_text("a\t1.5\nb\t2\na\t3\n")
    with pytest.raises(ValueError, match="v.tsv:3: id 'a' appears twice"):
        readers.read_fasta_with_values(fasta, values)
    values.write_text("a\t1.5\nb\t2\n")
    names, seqs, vals, groups = readers.read_fasta_with_values(fasta, values)
    assert names == ["a", "b"] and vals.tolist() == [1.5, 2.0]
    table = tmp_path / "t.csv"
    table.write_text("sequence,value\nACGT,1\nACGU,2\n")
    with pytest.raises(ValueError, match=r"t.csv:3: character 'U' at position 4"):
        readers.read_table(table)
    table.write_text("ACGT\tnan\n")
    with pytest.raises(ValueError, match="t.csv:1: value is 'nan'"):
        readers.read_table(table)


def test_orientation_pairs_stay_on_one_side():
    assert readers.element_id("Peak7_Reversed:") == readers.element_id("Peak7") == "Peak7"
    assert readers.element_id("seq12_F") == readers.element_id("seq12_R") == "seq12"
    groups = [f"e{i // 2}" for i in range(200)]
    train, val, test = group_split(groups, 0.1, 0.2, seed=0)
    side = {}
    for k, idx in enumerate((train, val, test)):
        for i in idx:
            assert side.setdefault(groups[i], k) == k
    assert len(train) + len(val) + len(test) == 200 and len(test) == 40


def test_generated_benchmark_knows_its_ceiling_and_motifs():
    s = generate(3000, length=120, interaction=0.5, ceiling=0.8, seed=1)
    assert abs(s.ceiling - 0.8) < 0.03 and 0.05 < s.non_additive_share < 0.6
    assert generate(3000, length=120, interaction=0.0, ceiling=0.8, seed=1).non_additive_share < s.non_additive_share
    i = int(np.argmax(s.counts[:, 0]))
    assert MOTIFS["A1"] in s.sequences[i] or revcomp(MOTIFS["A1"]) in s.sequences[i]
    assert s.motif_mask[i].sum() >= len(MOTIFS["A1"])
    mask = np.zeros((1, 10), bool)
    mask[0, 2:4] = True
    assert motif_recovery(np.array([[0, 0, 5, -4, 0, 0, 0, 0, 0, 1.0]]), mask) == 1.0


@pytest.mark.parametrize("model", zoo.list_models(kind="sequence"))
def test_rc_averaged_model_is_strand_invariant_and_reloads(model, tmp_path):
    task = ActivityTask(model=model, model_kwargs={"depth": 2, "width": 16} if "tower" not in model else {},
                        data_spec={"target_mean": 1.0, "target_std": 2.0, "length": 40}).eval()
    x = torch.from_numpy(one_hot(["".join(np.random.default_rng(i).choice(list("ACGT"), 40)) for i in range(3)]))
    with torch.no_grad():
        assert torch.allclose(task(x), task(reverse_complement(x)), atol=1e-5)
    folder = zoo.save_pretrained(task.model, tmp_path / "m")
    again = ActivityTask(model=model, init_from=str(folder), data_spec=task._spec).eval()
    with torch.no_grad():
        assert torch.equal(task(x), again(x))


def test_fit_and_score_through_the_cli(tmp_path, capsys):
    APP.main(["fit", "--model.model", "cnn_small", "--model.model_kwargs", '{"depth": 2, "width": 16}',
              "--data.class_path", "apps.science.genomics.data.GenomicsDataModule",
              "--data.init_args.n", "600", "--data.init_args.length", "80", "--trainer.max_epochs", "2",
              "--trainer.enable_progress_bar", "false", "--name", "g", "--runs_dir", str(tmp_path)])
    run = tmp_path / "genomics" / "g"
    m = RunRecord.read(run).to_dict()
    for key in ("test_pearson", "test_spearman", "test_mse", "motif_recovery_grad_x_input", "motif_recovery_ism"):
        assert np.isfinite(m["test"][key]), key
    for key in ("value", "additive_true_motifs", "ceiling", "non_additive_share"):
        assert np.isfinite(m["baseline"][key]), key
    assert {"plots/scatter.png", "plots/attribution_0.png"} <= set(m["plots"])
    fasta = tmp_path / "q.fa"
    fasta.write_text(">q1\n" + "ACGT" * 20 + "\n")
    capsys.readouterr()
    assert APP.main(["score", "--ckpt", str(run / "checkpoints" / "best.ckpt"), "--json", str(fasta), "TGACTCAG"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == ["q1", "seq2"] and all(np.isfinite(r["prediction"]) for r in rows)
    assert APP.main(["score", "--ckpt", str(run / "checkpoints" / "best.ckpt"), "ACGTZ"]) == 2
    assert "no such file, and not a DNA sequence: argument 1: character 'Z' at position 5" in capsys.readouterr().err


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data/genomics (the MPRA files) is not there")
def test_mpra_files_read_with_element_groups():
    dm = GenomicsDataModule(dataset="hepg2", root=str(SHARED))
    dm.setup()
    assert dm.length == 230 and len(dm.train_x) > 8000
    groups = {readers.element_id(n) for n in np.array(dm.names)[dm.split[2]]}
    assert not groups & {readers.element_id(n) for n in np.array(dm.names)[dm.split[0]]}
    with pytest.raises(FileNotFoundError, match="shared/data/genomics"):
        GenomicsDataModule(dataset="ecoli", root="/nonexistent").setup()


@pytest.mark.parametrize("n_train", [300, 40])  # 300 sequences of 12 bases: fewer k-mers than sequences (primal)
def test_kmer_ridge_matches_scikit_learns_ridge_in_both_forms(n_train):
    """The written-out ridge (primal with more sequences than k-mers, dual with fewer) is scikit-learn's Ridge at
    the alpha it chose."""
    from scipy.stats import pearsonr
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import Ridge

    from apps.science.genomics.baselines import kmer_ridge

    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 12)) for _ in range(n_train + 80)]
    y = np.array([s.count("GA") + 0.5 * rng.normal() for s in seqs])
    train, val, test = slice(0, n_train), slice(n_train, n_train + 40), slice(n_train + 40, None)
    got = kmer_ridge(seqs[train], y[train], seqs[val], y[val], seqs[test], y[test], k=3)
    vec = CountVectorizer(analyzer="char", ngram_range=(1, 3), lowercase=False, dtype=np.float64)
    x = vec.fit_transform(seqs[train]).toarray()
    assert (x.shape[0] < x.shape[1]) == (n_train == 40)  # each form is taken once
    ridge = Ridge(alpha=got["alpha"], solver="cholesky").fit(x, y[train])
    expected = pearsonr(ridge.predict(vec.transform(seqs[test]).toarray()), y[test])[0]
    assert got["pearson"] == pytest.approx(expected, abs=1e-6)
