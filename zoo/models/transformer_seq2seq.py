"""Transformer encoder-decoder (Vaswani et al. 2017), pre-norm, scaled_dot_product_attention throughout, sinusoidal
positions, tied embeddings. Incremental decoding caches the cross-attention keys/values once per source and appends
one self-attention key/value per step; ``decoder_cache`` (what zoo.decoding uses) also keeps those source keys/values
once per sentence rather than once per beam, and computes no attention maps."""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .._registry import register_model
from ..layers import sincos_encoding
from ._base import build
from ._seq2seq import Seq2SeqModel
from .transformer import MLP, Attention, EncoderBlock, key_padding_mask


class DecoderBlock(nn.Module):
    """Pre-norm decoder block: causal self-attention, cross-attention to the source, MLP."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float, activation: str, dropout: float):
        super().__init__()
        self.norm1, self.self_attn = nn.LayerNorm(dim), Attention(dim, heads, dropout)
        self.norm2, self.cross_attn = nn.LayerNorm(dim), Attention(dim, heads, dropout)
        self.norm3, self.mlp = nn.LayerNorm(dim), MLP(dim, mlp_ratio, activation, dropout)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mem_k: torch.Tensor, mem_v: torch.Tensor, mem_mask: torch.Tensor,
                cache: tuple[torch.Tensor, torch.Tensor] | None = None, want_attn: bool = False):
        """x (B, T, D); mem_k/mem_v (B, H, S, hd); mem_mask (B, 1, 1, S). Without ``cache`` the T positions attend
        causally to each other; with it, x is the next position and attends to the cached keys/values and itself.
        Returns x, this block's self-attention (k, v) (B, H, t, hd) and, if asked, source attention (B, T, S)."""
        h = self.norm1(x)
        k, v = self.self_attn.project_kv(h)  # (B, H, T, hd)
        if cache is not None:
            k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)
        x = x + self.drop(self.self_attn.attend(h, k, v, is_causal=cache is None))
        h = self.norm2(x)
        x = x + self.drop(self.cross_attn.attend(h, mem_k, mem_v, mem_mask))
        x = x + self.drop(self.mlp(self.norm3(x)))
        attn = self.source_attention(h, mem_k, mem_mask) if want_attn else None
        return x, (k, v), attn

    def step(self, x: torch.Tensor, cache: tuple[torch.Tensor, torch.Tensor], mem_k: torch.Tensor,
             mem_v: torch.Tensor, mem_mask: torch.Tensor, beams: int):
        """One decoding position for N = A * beams rows: x (N, 1, D); cache (N, H, t, hd); mem_k/mem_v (A, H, S, hd)
        once per sentence; mem_mask (A, 1, 1, S). Returns x and the grown cache. Eval only (no dropout), so SDPA
        may pick its fastest kernel in bf16 too (the math-kernel choice of Attention.attend is for training)."""
        h, attn = self.norm1(x), self.self_attn
        k, v = attn.project_kv(h)  # (N, H, 1, hd)
        k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)
        out = F.scaled_dot_product_attention(attn.split(attn.q(h)), k, v)  # (N, H, 1, hd)
        x = x + attn.proj(out.transpose(1, 2).flatten(2))
        x = x + self.cross_attend(self.norm2(x), mem_k, mem_v, mem_mask, beams)
        return x + self.mlp(self.norm3(x)), (k, v)

    def cross_attend(self, h: torch.Tensor, mem_k: torch.Tensor, mem_v: torch.Tensor, mem_mask: torch.Tensor,
                     beams: int) -> torch.Tensor:
        """Cross-attention of h (A * beams, 1, D) to its sentence's source: a sentence's beams are its queries, so
        the source keys/values are read once per sentence, never copied per beam."""
        attn = self.cross_attn
        n, _, d = h.shape
        q = attn.q(h).view(n // beams, beams, attn.heads, d // attn.heads).transpose(1, 2)  # (A, H, beams, hd)
        out = F.scaled_dot_product_attention(q, mem_k, mem_v, attn_mask=mem_mask)  # (A, H, beams, hd)
        return attn.proj(out.transpose(1, 2).reshape(n, 1, d))  # (N, 1, D)

    def source_attention(self, h: torch.Tensor, mem_k: torch.Tensor, mem_mask: torch.Tensor) -> torch.Tensor:
        """Cross-attention weights averaged over heads (B, T, S), for plots (SDPA does not return them)."""
        q = self.cross_attn.split(self.cross_attn.q(h))  # (B, H, T, hd)
        scores = q @ mem_k.transpose(-1, -2) / math.sqrt(q.shape[-1])  # (B, H, T, S)
        return scores.masked_fill(~mem_mask, float("-inf")).softmax(-1).mean(1)


class TransformerSeq2Seq(Seq2SeqModel):
    def __init__(
        self,
        in_kind: str = "seq2seq",
        vocab_size: int = 0,
        num_outputs: int = 0,
        pad_id: int = 0,
        bos_id: int = 1,
        eos_id: int = 2,
        depth: int = 2,
        decoder_depth: int | None = None,
        width: int = 128,
        heads: int = 4,
        mlp_ratio: float = 4.0,
        activation: str = "gelu",
        dropout: float = 0.0,
        tie_embeddings: bool = True,
    ):
        super().__init__(locals())
        if in_kind != "seq2seq":
            raise ValueError(f"TransformerSeq2Seq only supports in_kind='seq2seq'; got {in_kind!r}")
        self._init_vocab(vocab_size, num_outputs, width, pad_id, bos_id, eos_id, tie_embeddings)
        self.scale = math.sqrt(width)
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.ModuleList(EncoderBlock(width, heads, mlp_ratio, activation, dropout) for _ in range(depth))
        self.enc_norm = nn.LayerNorm(width)
        n_dec = depth if decoder_depth is None else decoder_depth
        if n_dec < 1:
            raise ValueError(f"TransformerSeq2Seq needs at least one decoder block; got decoder_depth={n_dec}")
        self.decoder = nn.ModuleList(DecoderBlock(width, heads, mlp_ratio, activation, dropout) for _ in range(n_dec))
        self.dec_norm = nn.LayerNorm(width)
        self.num_features = width

    def _embed(self, embed: nn.Embedding, tokens: torch.Tensor, start: int = 0) -> torch.Tensor:
        """(B, N) ids -> scaled embeddings plus sinusoidal positions start..start+N-1: (B, N, D)."""
        x = embed(tokens) * self.scale
        pos = torch.arange(start, start + tokens.shape[1], device=tokens.device)
        return self.drop(x + sincos_encoding(pos, self.width).to(x.dtype))

    def _memory(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """src (B, S) -> encoder output (B, S, D) and its SDPA key mask (B, 1, 1, S)."""
        keep = self.source_mask(src)
        mask = key_padding_mask(keep)
        x = self._embed(self.src_embed, src)
        for block in self.encoder:
            x = block(x, mask)
        return self.enc_norm(x), mask

    def encode(self, src: torch.Tensor) -> dict[str, torch.Tensor]:
        """src (B, S) -> decoding state, every tensor batch-first: per decoder layer i the cross-attention
        "mem_k.i"/"mem_v.i" (B, H, S, hd) and empty self-attention caches "self_k.i"/"self_v.i" (B, H, 0, hd)."""
        self.check_tokens(src, "src", self.src_vocab)
        memory, mask = self._memory(src)
        state = {"src_keep": mask[:, 0, 0], "attn": memory.new_zeros(src.shape)}  # (B, S)
        for i, block in enumerate(self.decoder):
            k, v = block.cross_attn.project_kv(memory)  # (B, H, S, hd)
            state[f"mem_k.{i}"], state[f"mem_v.{i}"] = k, v
            state[f"self_k.{i}"], state[f"self_v.{i}"] = k[:, :, :0], v[:, :, :0]
        return state

    def decode_step(self, prev_tokens: torch.Tensor, state: dict[str, torch.Tensor]):
        """prev_tokens (B,) -> next-token logits (B, V_tgt) and the new state (one more cached position)."""
        self.check_tokens(prev_tokens, "prev_tokens", self.tgt_vocab, "(B,)")
        t = state["self_k.0"].shape[2]  # position of prev_tokens
        x = self._embed(self.tgt_embed, prev_tokens[:, None], start=t)  # (B, 1, D)
        mask = key_padding_mask(state["src_keep"])
        new = dict(state)
        for i, block in enumerate(self.decoder):
            cache = (state[f"self_k.{i}"], state[f"self_v.{i}"])
            last = i == len(self.decoder) - 1
            x, (new[f"self_k.{i}"], new[f"self_v.{i}"]), attn = block(
                x, state[f"mem_k.{i}"], state[f"mem_v.{i}"], mask, cache=cache, want_attn=last)
            if last:
                new["attn"] = attn[:, 0]  # (B, S)
        return self.head(self.dec_norm(x)[:, 0]), new

    def decoder_cache(self, src: torch.Tensor, beams: int = 1) -> TransformerDecoderCache:
        """The fast incremental decoder of zoo.decoding for src (B, S), ``beams`` rows per sentence."""
        return TransformerDecoderCache(self, src, beams)

    def forward_features(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        self.validate(src, tgt_in)
        memory, mask = self._memory(src)  # (B, S, D)
        x = self._embed(self.tgt_embed, tgt_in)  # (B, T, D)
        for block in self.decoder:
            x, _, _ = block(x, *block.cross_attn.project_kv(memory), mask)
        return self.dec_norm(x)  # (B, T, D)


class TransformerDecoderCache:
    """zoo.decoding's DecoderCache for the transformer: source keys/values per decoder layer once per sentence
    (A, H, S, hd), self-attention keys/values per row (A * beams, H, t, hd). Reordering beams touches only the
    self-attention cache; the source side is selected only when sentences leave."""

    def __init__(self, model: TransformerSeq2Seq, src: torch.Tensor, beams: int):
        state = model.encode(src)
        self.model, self.beams, self.t = model, beams, 0
        self.mask = key_padding_mask(state["src_keep"])  # (A, 1, 1, S)
        n = len(model.decoder)
        self.mem = [(state[f"mem_k.{i}"], state[f"mem_v.{i}"]) for i in range(n)]
        rows = torch.arange(src.shape[0], device=src.device).repeat_interleave(beams)
        self.self_kv = [(state[f"self_k.{i}"][rows], state[f"self_v.{i}"][rows]) for i in range(n)]

    def step(self, prev_tokens: torch.Tensor) -> torch.Tensor:
        """prev_tokens (N,) -> logits (N, V) (tokens come from the decoder itself: not checked again)."""
        m = self.model
        x = m._embed(m.tgt_embed, prev_tokens[:, None], start=self.t)  # (N, 1, D)
        for i, block in enumerate(m.decoder):
            x, self.self_kv[i] = block.step(x, self.self_kv[i], *self.mem[i], self.mask, self.beams)
        self.t += 1
        return m.head(m.dec_norm(x)[:, 0])

    def reorder(self, rows: torch.Tensor, sentences: torch.Tensor | None = None) -> None:
        self.self_kv = [(k.index_select(0, rows), v.index_select(0, rows)) for k, v in self.self_kv]
        if sentences is not None:
            self.mask = self.mask.index_select(0, sentences)
            self.mem = [(k.index_select(0, sentences), v.index_select(0, sentences)) for k, v in self.mem]
        self.beams = rows.numel() // self.mask.shape[0]  # rows per sentence (1 -> K after beam search's step 0)


@register_model(family="transformer", kinds=("seq2seq",))
def transformer_seq2seq_small(**kwargs) -> TransformerSeq2Seq:
    """2+2 pre-norm blocks, width 128, 4 heads, tied embeddings: trains in seconds on a CPU."""
    return build(TransformerSeq2Seq, dict(depth=2, width=128, heads=4), kwargs)


@register_model(family="transformer", kinds=("seq2seq",))
def transformer_seq2seq_base(**kwargs) -> TransformerSeq2Seq:
    """6+6 pre-norm blocks, width 512, 8 heads, tied embeddings (the "base" of Vaswani et al.): for a GPU."""
    return build(TransformerSeq2Seq, dict(depth=6, width=512, heads=8, dropout=0.1), kwargs)
