"""What the seq2seq models share: vocabularies, tied embeddings and head, input checks.

Subclasses call ``_init_vocab`` and implement ``encode``, ``decode_step`` and ``forward_features``; every tensor in
a decoding state has the batch first, so that ``zoo.decoding`` can reorder beams generically.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
import torch.nn as nn

from ._base import ZooModel


class Seq2SeqModel(ZooModel):
    """What the seq2seq families share. Subclasses call ``_init_vocab`` and implement ``encode``, ``decode_step``
    and ``forward_features``; every tensor in a decoding state has the batch first (see zoo.decoding)."""

    def _init_vocab(self, vocab_size: int, num_outputs: int, width: int, pad_id: int, bos_id: int, eos_id: int,
                    tie: bool) -> None:
        name = type(self).__name__
        if vocab_size <= 0:
            raise ValueError(f"{name} needs vocab_size > 0 (the source vocabulary size); got {vocab_size}")
        if num_outputs < 0:
            raise ValueError(f"{name}: num_outputs is the target vocabulary size (0: same as vocab_size); "
                             f"got {num_outputs}")
        self.src_vocab, self.tgt_vocab = vocab_size, num_outputs or vocab_size
        self.pad_id, self.bos_id, self.eos_id, self.width, self.tie = pad_id, bos_id, eos_id, width, tie
        if not 0 <= pad_id < vocab_size:
            raise ValueError(f"{name}: pad_id={pad_id} is outside the source vocabulary [0, {vocab_size})")
        self._check_special_ids(self.tgt_vocab)
        self.src_embed = self._embedding(vocab_size)
        # One shared vocabulary (num_outputs=0) and tie_embeddings: source embedding, target embedding and output
        # projection are one matrix (Press & Wolf 2017). A separate target vocabulary (num_outputs > 0) gets its
        # own target embedding, still tied to the output projection.
        self.tgt_embed = self.src_embed if (num_outputs == 0 and tie) else self._embedding(self.tgt_vocab)
        self.head = self.make_head(self.tgt_vocab)

    def _check_special_ids(self, tgt_vocab: int) -> None:
        for key in ("pad_id", "bos_id", "eos_id"):
            if not 0 <= getattr(self, key) < tgt_vocab:
                raise ValueError(f"{type(self).__name__}: {key}={getattr(self, key)} is outside the target "
                                 f"vocabulary [0, {tgt_vocab})")

    def _embedding(self, n: int) -> nn.Embedding:
        emb = nn.Embedding(n, self.width, padding_idx=self.pad_id)
        nn.init.normal_(emb.weight, std=self.width**-0.5)  # unit-norm rows: tied logits start near 0
        with torch.no_grad():
            emb.weight[self.pad_id].zero_()
        return emb

    def make_head(self, num_outputs: int) -> nn.Module:
        """Output projection (B, ..., width) -> (B, ..., num_outputs), tied to the target embedding when it fits."""
        if num_outputs <= 0:
            raise ValueError(f"{type(self).__name__}: the head needs num_outputs > 0; got {num_outputs}")
        head = nn.Linear(self.width, num_outputs)
        nn.init.zeros_(head.bias)
        if self.tie and self.tgt_embed.num_embeddings == num_outputs:
            head.weight = self.tgt_embed.weight
        return head

    def reset_head(self, num_outputs: int) -> None:
        """Switch to a new target vocabulary of ``num_outputs`` tokens.

        The decoder reads target tokens too, so this gives a fresh target embedding *and* output projection (tied
        to each other with tie_embeddings), untied from the source embedding, which the encoder keeps. The result
        has the layout of a model built with ``num_outputs=num_outputs``, so ``config`` still rebuilds it."""
        self._check_special_ids(num_outputs)
        device = self.src_embed.weight.device
        self.tgt_embed = self._embedding(num_outputs).to(device)
        self.tgt_vocab = num_outputs
        self.head = self.make_head(num_outputs).to(device)
        self._init_args["num_outputs"] = num_outputs

    def head_parameters(self) -> Iterator[nn.Parameter]:
        """Everything tied to the target vocabulary (what reset_head replaces): the output projection and the
        target embedding. With one shared tied vocabulary that includes the source embedding."""
        params = {id(p): p for m in (self.head, self.tgt_embed) for p in m.parameters()}
        return iter(params.values())

    def backbone_parameters(self) -> Iterator[nn.Parameter]:
        head_ids = {id(p) for p in self.head_parameters()}
        return (p for p in self.parameters() if id(p) not in head_ids)

    # -- inputs (check_tokens is the contract's, in _base) ---------------------------------------------
    def validate(self, src: torch.Tensor, tgt_in: torch.Tensor | None = None) -> None:
        self.check_tokens(src, "src", self.src_vocab)
        if tgt_in is not None:
            self.check_tokens(tgt_in, "tgt_in", self.tgt_vocab, "(B, T)")
            if tgt_in.shape[0] != src.shape[0]:
                raise ValueError(f"{self.model_name or type(self).__name__}: src has {src.shape[0]} rows but "
                                 f"tgt_in has {tgt_in.shape[0]}")

    def source_mask(self, src: torch.Tensor) -> torch.Tensor:
        """(B, S) True for real source tokens (sources are right-padded with pad_id)."""
        keep = src != self.pad_id
        keep[:, 0] = keep[:, 0] | ~keep.any(1)  # an all-padding source still attends to one position (no NaN)
        return keep

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        return self.head(self.forward_features(src, tgt_in))  # (B, T, V_tgt)
