"""CTranslate2 for our transformer seq2seq: a converter to a CTranslate2 model folder, and translation through it.

Our architecture maps onto CTranslate2's TransformerSpec with these options (checked by the greedy-identity test):
pre-norm blocks with a final layer norm on both sides (``pre_norm=True``), erf GELU (``Activation.GELU``), layer
norm epsilon 1e-5 (torch's), the fused key/value projection as CTranslate2's fused ``linear[1]`` of cross-attention
(``linear[0]`` of self-attention is q, k, v fused). Positions: our own sinusoidal table (sin half then cos half,
frequencies 10000^(-i/half)) is written into ``position_encodings.encodings``, so no formula has to match.
Embedding scaling: CTranslate2's sqrt(depth) multiply is turned off and our embedding rows are stored already
multiplied by sqrt(width), the product torch computes. The tied output projection is written as its own matrix
with the head's bias. Sources carry no BOS/EOS; the decoder starts from BOS.

The package is optional (the ``bench`` extra): this module imports it at the top, so import it only after
``apps.nlp.cli.ctranslate2_installed()`` said yes.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import ctranslate2
import numpy as np
import torch
from ctranslate2.converters import Converter
from ctranslate2.specs import common_spec, transformer_spec

from zoo.layers import sincos_encoding
from zoo.models.transformer_seq2seq import TransformerSeq2Seq
from zoo.trust.reader import load_json, read_text
from zoo.trust.runfolder import MARKER, is_marked, replace_folder

MAX_POSITIONS = 1024  # rows of the position table: far beyond the longest sentence we translate
SOURCE_FILE = "zoo_source.json"


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().float().cpu().numpy().copy()


class ZooTransformerConverter(Converter):
    """Converts a TransformerSeq2Seq (and its tokenizer's vocabulary, one token string per id) to CTranslate2."""

    def __init__(self, model: TransformerSeq2Seq, vocabulary: list[str], specials: dict[str, str]):
        if not isinstance(model, TransformerSeq2Seq):
            raise TypeError(f"CTranslate2 conversion supports transformer_seq2seq models, not {type(model).__name__}")
        self.model, self.vocabulary, self.specials = model, vocabulary, specials

    def _load(self) -> transformer_spec.TransformerSpec:
        m = self.model
        heads = m.decoder[0].self_attn.heads
        spec = transformer_spec.TransformerSpec.from_config(
            (len(m.encoder), len(m.decoder)), heads, pre_norm=True, activation=self._activation())
        spec.config.layer_norm_epsilon = m.enc_norm.eps
        positions = _np(sincos_encoding(torch.arange(MAX_POSITIONS), m.width))  # (P, D)
        self._side(spec.encoder, m.src_embed, positions, m.enc_norm)
        self._side(spec.decoder, m.tgt_embed, positions, m.dec_norm)
        for layer, block in zip(spec.encoder.layer, m.encoder):
            _self_attention(layer.self_attention, block.norm1, block.attn)
            _ffn(layer.ffn, block.norm2, block.mlp)
        for layer, block in zip(spec.decoder.layer, m.decoder):
            _self_attention(layer.self_attention, block.norm1, block.self_attn)
            _cross_attention(layer.attention, block.norm2, block.cross_attn)
            _ffn(layer.ffn, block.norm3, block.mlp)
        _linear(spec.decoder.projection, m.head)
        spec.register_source_vocabulary(self.vocabulary)
        spec.register_target_vocabulary(self.vocabulary)
        for key, token in self.specials.items():
            setattr(spec.config, key, token)
        return spec

    def _activation(self):
        act = self.model.decoder[0].mlp[1]
        if isinstance(act, torch.nn.GELU) and act.approximate == "none":
            return common_spec.Activation.GELU
        if isinstance(act, torch.nn.GELU):
            return common_spec.Activation.GELUTanh
        if isinstance(act, torch.nn.ReLU):
            return common_spec.Activation.RELU
        raise ValueError(f"CTranslate2 conversion: activation {type(act).__name__} has no CTranslate2 equivalent")

    def _side(self, side, embed: torch.nn.Embedding, positions: np.ndarray, norm: torch.nn.LayerNorm) -> None:
        """Embeddings (pre-scaled as torch scales them), position table and final norm of the encoder or decoder."""
        target = side.embeddings[0] if isinstance(side.embeddings, list) else side.embeddings  # encoder: a list
        target.weight = _np(embed.weight * math.sqrt(self.model.width))  # the product _embed computes, row by row
        side.scale_embeddings = False
        side.position_encodings.encodings = positions
        _norm(side.layer_norm, norm)


def _norm(spec, norm: torch.nn.LayerNorm) -> None:
    spec.gamma, spec.beta = _np(norm.weight), _np(norm.bias)


def _linear(spec, linear: torch.nn.Linear) -> None:
    spec.weight, spec.bias = _np(linear.weight), _np(linear.bias)


def _self_attention(spec, norm, attn) -> None:
    """Pre-norm self-attention: q, k, v fused in linear[0] (our kv Linear is k rows then v rows), output linear[1]."""
    _norm(spec.layer_norm, norm)
    spec.linear[0].weight = _np(torch.cat([attn.q.weight, attn.kv.weight]))
    spec.linear[0].bias = _np(torch.cat([attn.q.bias, attn.kv.bias]))
    _linear(spec.linear[1], attn.proj)


def _cross_attention(spec, norm, attn) -> None:
    """Pre-norm cross-attention: q in linear[0], our fused k, v Linear as linear[1], output linear[2]."""
    _norm(spec.layer_norm, norm)
    _linear(spec.linear[0], attn.q)
    _linear(spec.linear[1], attn.kv)
    _linear(spec.linear[2], attn.proj)


def _ffn(spec, norm, mlp) -> None:
    _norm(spec.layer_norm, norm)
    _linear(spec.linear_0, mlp[0])
    _linear(spec.linear_1, mlp[3])


def convert(task, folder: Path, source: Path | None = None) -> Path:
    """Write ``task``'s model as a CTranslate2 folder (through zoo.trust.runfolder: new, empty or ours, swapped in
    whole, no link followed), recording which checkpoint it came from (``source``: its path and SHA-256) so that
    it can be reused."""
    folder = Path(folder)
    tok = task.tokenizer
    vocabulary = [tok.id_to_token(i) for i in range(tok.get_vocab_size())]
    m = task.model
    specials = {"unk_token": vocabulary[m.pad_id], "bos_token": vocabulary[m.bos_id],
                "eos_token": vocabulary[m.eos_id], "decoder_start_token": vocabulary[m.bos_id]}
    fingerprint = json.dumps(_fingerprint(source)) + "\n"

    def build(tmp: Path) -> None:  # a fresh private folder, renamed onto ``folder`` once whole
        ZooTransformerConverter(m, vocabulary, specials).convert(str(tmp), force=True)
        (tmp / MARKER).write_text("written by zoo-suite (CTranslate2 model folder)\n")
        (tmp / SOURCE_FILE).write_text(fingerprint)

    return replace_folder(folder, build, is_marked)


def _fingerprint(source: Path | None) -> dict:
    if source is None:
        return {}
    digest = hashlib.sha256()
    with open(source, "rb") as f:  # streamed: a checkpoint may be larger than the memory
        while block := f.read(1 << 20):
            digest.update(block)
    return {"checkpoint": str(Path(source).resolve()), "sha256": digest.hexdigest()}


def converted_for(task, ckpt: Path) -> Path:
    """The CTranslate2 folder next to checkpoint ``ckpt`` (``<name>.ct2``), converted when missing or stale."""
    folder = Path(ckpt).with_suffix(".ct2")
    record = folder / SOURCE_FILE
    if record.is_file() and (folder / "model.bin").is_file():
        try:
            if load_json(read_text(record, root=folder), str(record)) == _fingerprint(ckpt):
                return folder
        except ValueError:  # unreadable or not ours (InputError, RefusedFile): converted afresh
            pass
    return convert(task, folder, ckpt)


class CT2Translator:
    """Token ids in, token ids out, through a converted folder: the same contract as zoo.decoding's decoders."""

    def __init__(self, folder: Path, vocabulary: list[str], threads: int | None = None):
        threads = threads or torch.get_num_threads()
        self.translator = ctranslate2.Translator(str(folder), device="cpu", compute_type="float32",
                                                 inter_threads=1, intra_threads=threads)
        self.vocabulary = vocabulary
        self.ids = {t: i for i, t in enumerate(vocabulary)}

    def translate_ids(self, sources: list[list[int]], beam_size: int, max_len: int,
                      length_penalty: float = 1.0) -> list[list[int]]:
        tokens = [[self.vocabulary[i] for i in ids] for ids in sources]
        results = self.translator.translate_batch(
            tokens, beam_size=beam_size, max_decoding_length=max_len, length_penalty=length_penalty,
            min_decoding_length=0, max_batch_size=0, return_scores=False)  # CT2 defaults to at least 1 token
        return [[self.ids[t] for t in r.hypotheses[0]] for r in results]
