"""TranslationDataModule: a corpus -> by-source splits -> shared BPE tokenizer -> length-bucketed batches.

Corpora: ``generated`` (this project's grammar, always there), a Tatoeba/Anki TSV or zip, two aligned files
(``english=...`` + ``french=...``), or a Multi30k folder (its official train/val/test_2016_flickr splits).
A batch is ``(src, tgt_in, tgt_out)``: (B, S) source ids, (B, T) BOS + target, (B, T) target + EOS, padded with 0.
"""

from __future__ import annotations

import random
from pathlib import Path

import lightning as L
import torch
from torch.utils.data import DataLoader, Sampler

from .corpora import Corpus, Pair, group_by_source, read_aligned, read_tsv, split_by_source
from .tokenizer import BOS, EOS, PAD, encode, load_tokenizer, train_tokenizer


class LengthBucketSampler(Sampler[list[int]]):
    """Batches of similar length (little padding), in random order: shuffle, sort within pools of 50 batches,
    cut, shuffle the batches."""

    def __init__(self, lengths: list[int], batch_size: int, shuffle: bool = True, seed: int = 0):
        self.lengths, self.batch_size, self.shuffle, self.seed, self.epoch = lengths, batch_size, shuffle, seed, 0

    def __iter__(self):
        rng = random.Random(self.seed + self.epoch)
        self.epoch += 1
        order = list(range(len(self.lengths)))
        if self.shuffle:
            rng.shuffle(order)
        pool = self.batch_size * 50
        batches = []
        for start in range(0, len(order), pool):
            chunk = sorted(order[start:start + pool], key=self.lengths.__getitem__)
            batches += [chunk[i:i + self.batch_size] for i in range(0, len(chunk), self.batch_size)]
        if self.shuffle:
            rng.shuffle(batches)
        return iter(batches)

    def __len__(self) -> int:
        return -(-len(self.lengths) // self.batch_size)


def collate(batch: list[tuple[list[int], list[int]]], bos: int = 1, eos: int = 2, pad: int = 0):
    src_len = max(len(s) for s, _ in batch)
    tgt_len = max(len(t) for _, t in batch) + 1
    src = torch.full((len(batch), src_len), pad, dtype=torch.long)
    tgt_in = torch.full((len(batch), tgt_len), pad, dtype=torch.long)
    tgt_out = torch.full((len(batch), tgt_len), pad, dtype=torch.long)
    for i, (s, t) in enumerate(batch):
        src[i, :len(s)] = torch.tensor(s)
        tgt_in[i, :len(t) + 1] = torch.tensor([bos, *t])
        tgt_out[i, :len(t) + 1] = torch.tensor([*t, eos])
    return src, tgt_in, tgt_out


class TranslationDataModule(L.LightningDataModule):
    def __init__(self, corpus: str = "generated", french: str | None = None, generated_size: int = 30000,
                 vocab_size: int = 4000, max_len: int = 64, batch_size: int = 64, val_fraction: float = 0.05,
                 test_fraction: float = 0.05, split_seed: int = 0, skip_bad: bool = False,
                 train_limit: int | None = None, tokenizer: str | None = None):
        """
        Args:
            corpus: ``generated``, a Tatoeba/Anki TSV (or .zip), a Multi30k folder, or the English file of an
                aligned pair (with ``french``).
            french: the French file aligned with ``corpus``.
            generated_size: sentences to generate for ``corpus=generated``.
            vocab_size: shared BPE vocabulary size (trained on the training split only).
            max_len: training pairs longer than this many tokens on either side are dropped (and counted).
            batch_size: sentences per batch (batches group similar lengths).
            val_fraction: share of English sentences for validation (Tatoeba/aligned corpora).
            test_fraction: share of English sentences for testing (Tatoeba/aligned corpora).
            split_seed: seed of the splits (and of the generated corpus).
            skip_bad: skip malformed corpus lines (counted) instead of stopping at the first.
            train_limit: use at most this many training pairs (quick experiments).
            tokenizer: a folder holding ``tokenizer.json`` (e.g. a run's ``model/``) to use instead of training one:
                fine-tuning must keep the vocabulary the model was trained with.
        """
        super().__init__()
        self.save_hyperparameters()
        self.splits: dict[str, list[Pair]] = {}

    def load_splits(self) -> dict[str, list[Pair]]:
        hp = self.hparams
        if hp.corpus == "generated":
            from .grammar import generate_corpus

            return generate_corpus(hp.generated_size, seed=hp.split_seed)
        path = Path(hp.corpus)
        if path.is_dir():  # Multi30k layout: official splits
            names = {"train": "train", "val": "val", "test": "test_2016_flickr"}
            return {s: read_aligned(path / f"{n}.en.gz", path / f"{n}.fr.gz", hp.skip_bad).pairs
                    for s, n in names.items()}
        corpus: Corpus = read_aligned(path, hp.french, hp.skip_bad) if hp.french else read_tsv(path, hp.skip_bad)
        self.skipped = corpus.skipped
        return split_by_source(corpus.pairs, hp.val_fraction, hp.test_fraction, hp.split_seed)

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        hp = self.hparams
        self.splits = self.load_splits()
        if hp.train_limit:
            self.splits["train"] = self.splits["train"][: hp.train_limit]
        train = self.splits["train"]
        if hp.tokenizer:
            self.tokenizer = load_tokenizer(hp.tokenizer)
        else:
            self.tokenizer = train_tokenizer((s for pair in train for s in pair), vocab_size=hp.vocab_size)
        self.encoded = {name: list(zip(encode(self.tokenizer, [e for e, _ in pairs]),
                                       encode(self.tokenizer, [f for _, f in pairs])))
                        for name, pairs in self.splits.items()}
        keep = [i for i, (s, t) in enumerate(self.encoded["train"]) if len(s) <= hp.max_len and len(t) <= hp.max_len]
        self.dropped_long = len(train) - len(keep)
        self.encoded["train"] = [self.encoded["train"][i] for i in keep]

    @property
    def spec(self) -> dict:
        """What the model needs: vocabulary size and special ids (the tokenizer itself travels in checkpoints)."""
        self.setup()
        tok = self.tokenizer
        return {"vocab_size": tok.get_vocab_size(), "pad_id": tok.token_to_id(PAD), "bos_id": tok.token_to_id(BOS),
                "eos_id": tok.token_to_id(EOS)}

    def card_data(self) -> dict:
        """What the model card says about the corpus read: name and licence (README, "Data and credits")."""
        hp, path = self.hparams, Path(self.hparams.corpus)
        if hp.corpus == "generated":
            name, licence = "generated English-French sentences (zoo-suite's grammar)", "mit"
        elif path.is_dir():
            name, licence = "Multi30k English-French", "other"  # non-commercial research and education only
        elif hp.french:
            name, licence = f"aligned English-French files {path.name} and {Path(hp.french).name}", "other"
        else:
            name, licence = f"Tatoeba English-French pairs ({path.name})", "cc-by-2.0"
        return {"dataset_name": name, "license": licence, "task": "translation"}

    def references(self, split: str) -> tuple[list[str], list[list[str]]]:
        """Unique source sentences of a split and, for each, all its references (for multi-reference BLEU)."""
        refs = group_by_source(self.splits[split])
        return list(refs), list(refs.values())

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        data = self.encoded[split]
        sampler = LengthBucketSampler([len(s) + len(t) for s, t in data], self.hparams.batch_size, shuffle,
                                      self.hparams.split_seed)
        return DataLoader(data, batch_sampler=sampler, collate_fn=collate)

    def train_dataloader(self):
        return self._loader("train", True)

    def val_dataloader(self):
        return self._loader("val", False)

    def test_dataloader(self):
        return self._loader("test", False)
