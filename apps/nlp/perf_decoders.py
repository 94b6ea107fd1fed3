"""The translation decoders `zoo perf nlp` compares, each as ``ids -> ids`` over a list of sentences, and their
model FLOPs.

Every decoder gets the same sentences in the same length-sorted batches of ``BATCH`` (as TranslationTask.translate
batches them) and returns per sentence the token ids without BOS, up to and excluding EOS, so that outputs can be
compared token for token and scored with the same detokenizer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from zoo.decoding import beam_search, greedy_decode
from zoo.decoding_reference import reference_beam_search, reference_greedy_decode
from zoo.models.transformer_seq2seq import TransformerSeq2Seq

BATCH = 64
Decoder = Callable[[list[list[int]]], list[list[int]]]


def batches(sources: list[list[int]], size: int = BATCH) -> list[list[int]]:
    """Indices of ``sources`` sorted by length, cut into batches (similar lengths together: less padding)."""
    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
    return [order[i:i + size] for i in range(0, len(order), size)]


def padded(sources: list[list[int]], idx: list[int], pad: int) -> torch.Tensor:
    """Rows ``idx`` of ``sources`` right-padded with ``pad``: (B, S)."""
    src = torch.full((len(idx), max(len(sources[i]) for i in idx)), pad, dtype=torch.long)
    for r, i in enumerate(idx):
        src[r, :len(sources[i])] = torch.tensor(sources[i])
    return src


def run_batched(sources: list[list[int]], decode_batch: Callable[[list[int]], list[list[int]]]) -> list[list[int]]:
    """``decode_batch(indices) -> hyps`` over length-sorted batches, outputs back in input order."""
    out: list[list[int]] = [[] for _ in sources]
    for idx in batches(sources):
        for i, hyp in zip(idx, decode_batch(idx)):
            out[i] = hyp
    return out


def zoo_decoder(model: TransformerSeq2Seq, beam: int, max_len: int, alpha: float, reference: bool = False) -> Decoder:
    """Our decoders (zoo.decoding), or with ``reference`` the ones before the rewrite (zoo.decoding_reference)."""
    greedy = reference_greedy_decode if reference else greedy_decode
    search = reference_beam_search if reference else beam_search

    def decode(sources: list[list[int]]) -> list[list[int]]:
        def one(idx: list[int]) -> list[list[int]]:
            src = padded(sources, idx, model.pad_id)
            return (search(model, src, beam, max_len, alpha) if beam > 1 else greedy(model, src, max_len))[0]

        with torch.inference_mode():
            return run_batched(sources, one)

    return decode


def ct2_decoder(translator, beam: int, max_len: int, alpha: float) -> Decoder:
    """CTranslate2 (apps.nlp.ctranslate2_backend.CT2Translator), one translate_batch call per batch."""
    def decode(sources: list[list[int]]) -> list[list[int]]:
        return run_batched(sources, lambda idx: translator.translate_ids([sources[i] for i in idx], beam, max_len,
                                                                         alpha))

    return decode


def hf_decoder(hf, pad: int, eos: int, beam: int, max_len: int, alpha: float) -> Decoder:
    """Hugging Face ``generate`` on our weights in a Pegasus model (apps.nlp.hf_backend)."""
    from .hf_backend import hf_generate

    def decode(sources: list[list[int]]) -> list[list[int]]:
        return run_batched(sources, lambda idx: hf_generate(hf, padded(sources, idx, pad), pad, eos, beam, max_len,
                                                            alpha))

    return decode


@dataclass
class DecodeFlops:
    """Model FLOPs (multiply-add = 2) of translating sentences with a transformer seq2seq, counted as the work the
    algorithm needs: the encoder over each source token, and one decoder step per beam per output token (EOS
    included), attention over the positions so far and over the source."""

    model: TransformerSeq2Seq

    def per_sentence(self, sources: list[list[int]], outputs: list[list[int]], beams: int) -> float:
        total = sum(self.encoder(len(s)) + beams * self.decoder(len(s), len(o) + 1) for s, o in zip(sources, outputs))
        return total / max(len(sources), 1)

    def encoder(self, s: int) -> float:
        """Encoder blocks over s tokens, plus every decoder layer's source key/value projection."""
        d, m = self.model.width, self.model
        hidden = m.encoder[0].mlp[0].out_features
        per_token = len(m.encoder) * (8 * d * d + 4 * s * d + 4 * d * hidden) + len(m.decoder) * 4 * d * d
        return s * per_token

    def decoder(self, s: int, steps: int) -> float:
        """``steps`` decoder positions with ``s`` source tokens: projections, MLP, attention, output head."""
        d, m = self.model.width, self.model
        hidden = m.decoder[0].mlp[0].out_features
        fixed = len(m.decoder) * (8 * d * d + 4 * d * d + 4 * d * hidden + 4 * s * d) + 2 * d * m.tgt_vocab
        attention = len(m.decoder) * 4 * d * sum(range(1, steps + 1))  # position t attends to t keys
        return steps * fixed + attention
