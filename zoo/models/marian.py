"""A Hugging Face Marian encoder-decoder (the OPUS-MT architecture) behind the zoo's seq2seq interface.

``hf_path`` loads a local checkpoint folder (``config.json`` + weights, as ``save_pretrained`` writes them); without
it a small randomly initialised Marian is built from ``width``/``depth``/``heads``. Either way the vocabulary is the
one the data module's tokenizer gives (``vocab_size`` and the special ids): when it differs from the checkpoint's,
the embeddings are resized, so a pretrained checkpoint keeps its encoder/decoder layers but not its word vectors.

Decoding recomputes the decoder over the prefix at every step (no key/value cache): cost grows quadratically with
output length, which is fine for sentences; the zoo's own seq2seq models cache and grow linearly.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

from .._registry import register_model
from ._base import build
from ._seq2seq import Seq2SeqModel


class MarianSeq2Seq(Seq2SeqModel):
    def __init__(
        self,
        in_kind: str = "seq2seq",
        hf_path: str | None = None,
        vocab_size: int = 0,
        num_outputs: int = 0,
        pad_id: int = 0,
        bos_id: int = 1,
        eos_id: int = 2,
        depth: int = 1,
        width: int = 64,
        heads: int = 4,
        dropout: float = 0.1,
    ):
        super().__init__(locals())
        from transformers import MarianConfig, MarianMTModel  # heavy: only when a Marian model is built

        if in_kind != "seq2seq":
            raise ValueError(f"MarianSeq2Seq only supports in_kind='seq2seq'; got {in_kind!r}")
        if num_outputs not in (0, vocab_size):
            raise ValueError("MarianSeq2Seq shares one vocabulary between source and target: leave num_outputs 0")
        if hf_path:
            path = Path(hf_path)
            if not (path / "config.json").is_file():
                raise FileNotFoundError(f"hf_path={path}: no config.json there; expected a folder written by "
                                        "MarianMTModel.save_pretrained (e.g. a downloaded Helsinki-NLP/opus-mt-en-fr)")
            if not (path / "model.safetensors").is_file():
                raise FileNotFoundError(f"hf_path={path}: no model.safetensors there; only safetensors weights are "
                                        "loaded (a pytorch_model.bin is a pickle: convert it with transformers' "
                                        "save_pretrained(..., safe_serialization=True) on a machine you trust)")
            # safetensors only, no remote code: a downloaded folder is data (SECURITY.md)
            self.hf = MarianMTModel.from_pretrained(path, use_safetensors=True, trust_remote_code=False).train()
            if vocab_size and vocab_size != self.hf.config.vocab_size:
                warnings.warn(f"{path}: the checkpoint has {self.hf.config.vocab_size} tokens, the tokenizer "
                              f"{vocab_size}; resizing the embeddings (pretrained word vectors no longer apply)",
                              stacklevel=2)
                self.hf.resize_token_embeddings(vocab_size)
        else:
            if vocab_size <= 0:
                raise ValueError(f"MarianSeq2Seq needs vocab_size > 0 (or hf_path); got {vocab_size}")
            self.hf = MarianMTModel(MarianConfig(
                vocab_size=vocab_size, d_model=width, encoder_layers=depth, decoder_layers=depth,
                encoder_attention_heads=heads, decoder_attention_heads=heads, encoder_ffn_dim=4 * width,
                decoder_ffn_dim=4 * width, max_position_embeddings=512, dropout=dropout, scale_embedding=True,
                pad_token_id=pad_id, eos_token_id=eos_id, decoder_start_token_id=bos_id, forced_eos_token_id=eos_id))
        # The tokenizer's special ids, not the checkpoint's, drive training and decoding.
        cfg = self.hf.config
        cfg.pad_token_id, cfg.eos_token_id, cfg.decoder_start_token_id = pad_id, eos_id, bos_id
        self.src_vocab = self.tgt_vocab = self.hf.config.vocab_size
        self.pad_id, self.bos_id, self.eos_id = pad_id, bos_id, eos_id
        self._check_special_ids(self.tgt_vocab)
        self.width = self.num_features = cfg.d_model
        self.head = self.hf.lm_head  # tied to the shared embedding

    def _logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.hf.lm_head(hidden) + self.hf.final_logits_bias

    def forward_features(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        self.validate(src, tgt_in)
        out = self.hf.model(input_ids=src, attention_mask=self.source_mask(src).long(), decoder_input_ids=tgt_in)
        return out.last_hidden_state  # (B, T, D)

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        return self._logits(self.forward_features(src, tgt_in))  # (B, T, V)

    def encode(self, src: torch.Tensor) -> dict[str, torch.Tensor]:
        """src (B, S) -> state: encoder output (B, S, D), source mask (B, S), the decoded prefix (B, 0)."""
        self.check_tokens(src, "src", self.src_vocab)
        keep = self.source_mask(src)
        memory = self.hf.model.encoder(input_ids=src, attention_mask=keep.long()).last_hidden_state
        return {"memory": memory, "src_keep": keep, "prefix": src[:, :0], "attn": memory.new_zeros(src.shape)}

    def decode_step(self, prev_tokens: torch.Tensor, state: dict[str, torch.Tensor]):
        """prev_tokens (B,) -> next-token logits (B, V) and the state with the longer prefix."""
        self.check_tokens(prev_tokens, "prev_tokens", self.tgt_vocab, "(B,)")
        prefix = torch.cat([state["prefix"], prev_tokens[:, None]], dim=1)  # (B, t+1)
        hidden = self.hf.model.decoder(input_ids=prefix, encoder_hidden_states=state["memory"],
                                       encoder_attention_mask=state["src_keep"].long()).last_hidden_state
        return self._logits(hidden[:, -1]), {**state, "prefix": prefix}

    def head_parameters(self):
        return iter([self.hf.lm_head.weight])  # the shared (tied) embedding matrix

    def reset_head(self, num_outputs: int) -> None:
        raise NotImplementedError("MarianSeq2Seq keeps one shared vocabulary; build it with the new vocab_size")


@register_model(family="marian", core=False, kinds=("seq2seq",))
def marian(**kwargs) -> MarianSeq2Seq:
    """Hugging Face Marian (OPUS-MT architecture): a local checkpoint with hf_path, else a small random one."""
    return build(MarianSeq2Seq, {}, kwargs)
