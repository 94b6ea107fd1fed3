"""Genomics data modules: the generated benchmark (always there), the MPRA files in ../shared/data/genomics, and a
user's FASTA + values or sequence/value table.

Splits are by element: both orientations of a lentiMPRA element land on the same side (a random split by row
leaks one orientation's measurement into the other's prediction). Targets are standardised with the training
split's mean and standard deviation; metrics are reported in the original units.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from zoo.arrays import check_not_constant
from zoo.cache import DATA_HINT, data_path
from zoo.trust.bounds import GENOMICS_INTS, check_sequences, check_sizes

from ..loaders import TensorDataModule
from . import readers, synthetic
from .sequences import one_hot

SHARED = Path("../shared/data/genomics")
DATASETS = {  # name -> (file under root, reader kwargs, description)
    "hepg2": ("val_HepG2.tsv", {}, "human lentiMPRA, HepG2 (Agarwal et al. 2025), log2 RNA/DNA"),
    "wtc11": ("val_WTC11.tsv", {}, "human lentiMPRA, WTC11 (Agarwal et al. 2025), log2 RNA/DNA"),
    "ecoli": ("tss_expression_model_format_train_genome_split.txt", {"transform": "log1p"},
              "E. coli promoter MPRA in LB (Urtecho, Insigne et al.), log1p expression"),
}


def group_split(groups: list[str], val_fraction: float, test_fraction: float, seed: int):
    """Index arrays (train, val, test) with every group wholly on one side."""
    unique = np.array(sorted(set(groups)))
    order = np.random.default_rng(seed).permutation(len(unique))
    n_val, n_test = round(len(unique) * val_fraction), round(len(unique) * test_fraction)
    side = {g: 1 for g in unique[order[:n_val]]} | {g: 2 for g in unique[order[n_val:n_val + n_test]]}
    which = np.array([side.get(g, 0) for g in groups])
    return tuple(np.flatnonzero(which == k) for k in range(3))


class GenomicsDataModule(TensorDataModule):
    def __init__(self, dataset: str = "synthetic", path: str | None = None, values: str | None = None,
                 root: str = str(SHARED), length: int | None = None, n: int = 20000, interaction: float = 0.5,
                 ceiling: float = 0.85, val_fraction: float = 0.1, test_fraction: float = 0.1, seed: int = 0,
                 batch_size: int = 128, rc_augment: bool = True, max_shift: int = 0, num_workers: int = 0,
                 kmer_k: int = 6):
        """
        Args:
            dataset: synthetic (generated, known ceiling), hepg2, wtc11, ecoli (files under ``root``), or table
                (``path``: TSV/CSV of sequence and value, header optional) or fasta (``path`` + ``values``).
            path: the user's table or FASTA file.
            values: for fasta: a table ``id<TAB>value``.
            root: folder of the MPRA files.
            length: model input length: longer sequences are centre-cropped, shorter N-padded (default: longest).
            n: synthetic: sequences generated.
            interaction: synthetic: the non-additive knob in [0, 1] (see synthetic.py).
            ceiling: synthetic: the best achievable Pearson r, set through the noise.
            val_fraction: share of elements for validation (early stopping, model selection).
            test_fraction: share of elements held out for the test.
            seed: split and generation seed.
            batch_size: sequences per batch.
            rc_augment: train on the reverse complement of each sequence half of the time.
            max_shift: train on each sequence moved by a random offset of up to this many bases (gap filled with N).
            num_workers: DataLoader workers.
            kmer_k: the baseline counts k-mers for k = 1..kmer_k.
        """
        super().__init__()
        # Sizes from a config file or a run's config.yaml, bounded before anything is read or generated
        # (zoo.trust.bounds): a length or n of millions would one-hot encode gigabytes.
        sizes = {"n": n, "batch_size": batch_size, "num_workers": num_workers, "max_shift": max_shift,
                 "kmer_k": kmer_k, **({"length": length} if length is not None else {})}
        check_sizes(sizes, GENOMICS_INTS, "data")
        if dataset == "synthetic":
            check_sequences(n, length or 200, "data")
        self.save_hyperparameters()
        self._ready = False
        self.truth: synthetic.Synthetic | None = None

    def _records(self) -> readers.Records:
        hp = self.hparams
        if hp.dataset == "synthetic":
            self.truth = synthetic.generate(hp.n, hp.length or 200, hp.interaction, hp.ceiling, seed=hp.seed)
            names = [f"syn{i}" for i in range(hp.n)]
            return names, self.truth.sequences, self.truth.values, names
        if hp.dataset in DATASETS:
            file, kwargs, _ = DATASETS[hp.dataset]
            path = data_path(hp.root) / file
            if not path.is_file():
                raise FileNotFoundError(
                    f"{path} not found: the {hp.dataset} MPRA data lives in ../shared/data/genomics (see its "
                    f"SOURCES.md for the source repositories); pass --data.init_args.root DIR where you keep it "
                    f"({DATA_HINT}), or use dataset=synthetic, which is always there")
            return readers.read_table(path, **kwargs)
        if hp.dataset == "table":
            if not hp.path:
                raise ValueError("dataset=table needs path: a TSV/CSV of sequence<TAB>value")
            return readers.read_table(hp.path)
        if hp.dataset == "fasta":  # hp["values"]: hp.values is the dict method (hparams is a dict)
            if not hp.path or not hp["values"]:
                raise ValueError("dataset=fasta needs path (FASTA) and values (a table id<TAB>value)")
            return readers.read_fasta_with_values(hp.path, hp["values"])
        raise ValueError(f"unknown dataset {hp.dataset!r}; choose synthetic, {', '.join(DATASETS)}, table or fasta")

    def _source(self) -> str:
        """Where the records came from, for messages."""
        hp = self.hparams
        if hp.dataset in DATASETS:
            return str(data_path(hp.root) / DATASETS[hp.dataset][0])
        if hp.dataset == "fasta":
            return str(hp["values"])  # the targets live in the values table
        return str(hp.path) if hp.dataset == "table" else hp.dataset

    def _load(self) -> None:
        if self._ready:
            return
        hp = self.hparams
        names, seqs, values, groups = self._records()
        self.length = hp.length or max(map(len, seqs))
        source = self._source()
        check_sequences(len(seqs), self.length, source)  # before encoding: a file's one huge sequence sets it
        check_not_constant(values, source, "target")
        x = torch.from_numpy(one_hot(seqs, self.length))  # (N, L, 4)
        y = torch.from_numpy(values).float()
        self.names = names
        self.split = group_split(groups, hp.val_fraction, hp.test_fraction, hp.seed)
        train, val, test = self.split
        # The training split's mean and standard deviation scale the loss: a constant split would divide by 0.
        check_not_constant(values[train], f"{source} (training split, {len(train)} sequences)", "target")
        self.mean, self.std = float(y[train].mean()), float(y[train].std())
        self.train_x, self.train_y = x[train], y[train]
        self.val_x, self.val_y = x[val], y[val]
        self.test_x, self.test_y = x[test], y[test]
        self.seqs = seqs
        self._ready = True

    def setup(self, stage: str | None = None) -> None:
        self._load()

    @property
    def spec(self) -> dict:
        self._load()
        return {"dataset": self.hparams.dataset, "length": self.length, "target_mean": self.mean,
                "target_std": self.std, "rc_augment": self.hparams.rc_augment,
                "max_shift": self.hparams.max_shift}

    def card_data(self) -> dict:
        """What the model card says about the sequences: the generated benchmark (our code's licence), an
        MPRA data set (neither source repository states a licence: README, "Data and credits"), or a user's
        file."""
        hp = self.hparams
        if hp.dataset == "synthetic":
            return {"dataset_name": "synthetic regulatory sequences (generated by zoo-suite)",
                    "license": "mit", "tags": ["genomics"]}
        if hp.dataset in DATASETS:
            return {"dataset_name": DATASETS[hp.dataset][2], "license": "other", "tags": ["genomics", "mpra"]}
        return {"dataset_name": Path(self._source()).name, "license": "other", "tags": ["genomics"]}

    def baseline(self) -> dict:
        """k-mer counts (k = 1..kmer_k) with ridge regression (alpha chosen on the validation split); on the generated
        data also the additive model given the true motifs, and the ceiling."""
        from .baselines import kmer_ridge

        self._load()
        train, val, test = self.split
        seqs = self.seqs
        r = kmer_ridge([seqs[i] for i in train], self.train_y.numpy(), [seqs[i] for i in val], self.val_y.numpy(),
                       [seqs[i] for i in test], self.test_y.numpy(), k=self.hparams.kmer_k)
        out = {"name": "test_pearson", "value": r["pearson"],
               "description": f"{self.hparams.kmer_k}-mer ridge regression", "kmer_spearman": r["spearman"], "kmer_alpha": r["alpha"]}
        if self.truth is not None:
            t = self.truth
            out["additive_true_motifs"] = synthetic.additive_baseline(t.counts[train], t.values[train],
                                                                      t.counts[test], t.values[test])
            out["ceiling"] = float(np.corrcoef(t.signal[test], t.values[test])[0, 1])
            out["non_additive_share"] = t.non_additive_share
        return out
