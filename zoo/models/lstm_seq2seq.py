"""LSTM encoder-decoder (Luong et al. 2015): a bidirectional encoder, a decoder with general attention and input
feeding, the encoder's final states bridged to the decoder's initial ones.
"""

from __future__ import annotations

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .._registry import register_model
from ..layers import make_activation
from ._base import build
from ._seq2seq import Seq2SeqModel


class LSTMSeq2Seq(Seq2SeqModel):
    def __init__(
        self,
        in_kind: str = "seq2seq",
        vocab_size: int = 0,
        num_outputs: int = 0,
        pad_id: int = 0,
        bos_id: int = 1,
        eos_id: int = 2,
        depth: int = 1,
        width: int = 128,
        activation: str = "tanh",
        dropout: float = 0.0,
        tie_embeddings: bool = True,
    ):
        super().__init__(locals())
        if in_kind != "seq2seq":
            raise ValueError(f"LSTMSeq2Seq only supports in_kind='seq2seq'; got {in_kind!r}")
        self.depth = depth
        self._init_vocab(vocab_size, num_outputs, width, pad_id, bos_id, eos_id, tie_embeddings)
        self.drop = nn.Dropout(dropout)
        inner = dropout if depth > 1 else 0.0
        self.encoder = nn.LSTM(width, width, depth, batch_first=True, bidirectional=True, dropout=inner)
        self.bridge_h = nn.Linear(2 * width, width)  # [fwd; bwd] final state -> decoder initial state, per layer
        self.bridge_c = nn.Linear(2 * width, width)
        # Input feeding: each step reads [target embedding; previous attentional vector].
        self.decoder = nn.LSTM(2 * width, width, depth, batch_first=True, dropout=inner)
        self.attn_w = nn.Linear(2 * width, width, bias=False)  # Luong "general" score h_t^T W_a h_s
        self.combine = nn.Sequential(nn.Linear(3 * width, width, bias=False), make_activation(activation))
        self.num_features = width

    def encode(self, src: torch.Tensor) -> dict[str, torch.Tensor]:
        """src (B, S) -> decoding state, every tensor batch-first."""
        self.check_tokens(src, "src", self.src_vocab)
        b, w = src.shape[0], self.width
        keep = self.source_mask(src)  # (B, S)
        emb = self.drop(self.src_embed(src))  # (B, S, W)
        # Pack so that the backward direction starts at each sentence's real end, not at the padding.
        packed = pack_padded_sequence(emb, keep.sum(1).cpu(), batch_first=True, enforce_sorted=False)
        out, (h, c) = self.encoder(packed)
        memory, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])  # (B, S, 2W)

        def bridge(s: torch.Tensor, layer: nn.Linear) -> torch.Tensor:
            s = s.view(self.depth, 2, b, w).permute(2, 0, 1, 3).reshape(b, self.depth, 2 * w)  # (B, L, 2W)
            return layer(s)  # (B, L, W)

        return {
            "h": torch.tanh(bridge(h, self.bridge_h)), "c": bridge(c, self.bridge_c),  # (B, L, W)
            "feed": memory.new_zeros(b, w),  # previous attentional vector (B, W)
            "memory": memory, "keys": self.attn_w(memory),  # (B, S, 2W), (B, S, W)
            "src_keep": keep, "attn": memory.new_zeros(b, src.shape[1]),  # (B, S)
        }

    def _step(self, emb: torch.Tensor, state: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict]:
        """One decoder step: target embeddings (B, W) -> attentional vectors (B, W) and the new state."""
        x = torch.cat([emb, state["feed"]], dim=-1)[:, None]  # (B, 1, 2W)
        hc = (state["h"].transpose(0, 1).contiguous(), state["c"].transpose(0, 1).contiguous())  # (L, B, W)
        out, (h, c) = self.decoder(x, hc)
        out = out[:, 0]  # (B, W)
        scores = torch.bmm(state["keys"], out[:, :, None]).squeeze(-1)  # (B, S)
        attn = scores.masked_fill(~state["src_keep"], float("-inf")).softmax(-1)
        context = torch.bmm(attn[:, None], state["memory"]).squeeze(1)  # (B, 2W)
        feed = self.combine(torch.cat([context, out], dim=-1))  # (B, W)
        new = {**state, "h": h.transpose(0, 1), "c": c.transpose(0, 1), "feed": feed, "attn": attn}
        return self.drop(feed), new

    def decode_step(self, prev_tokens: torch.Tensor, state: dict[str, torch.Tensor]):
        """prev_tokens (B,) -> next-token logits (B, V_tgt) and the new state."""
        self.check_tokens(prev_tokens, "prev_tokens", self.tgt_vocab, "(B,)")
        out, state = self._step(self.drop(self.tgt_embed(prev_tokens)), state)
        return self.head(out), state

    def forward_features(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        self.validate(src, tgt_in)
        state = self.encode(src)
        emb = self.drop(self.tgt_embed(tgt_in))  # (B, T, W)
        outs = []
        for t in range(tgt_in.shape[1]):  # input feeding makes the decoder sequential
            out, state = self._step(emb[:, t], state)
            outs.append(out)
        return torch.stack(outs, dim=1)  # (B, T, W)


@register_model(family="lstm", kinds=("seq2seq",))
def lstm_seq2seq_small(**kwargs) -> LSTMSeq2Seq:
    """BiLSTM encoder + attentional decoder, 1 layer of 128 units: trains in seconds on a CPU."""
    return build(LSTMSeq2Seq, dict(depth=1, width=128), kwargs)


@register_model(family="lstm", kinds=("seq2seq",))
def lstm_seq2seq_base(**kwargs) -> LSTMSeq2Seq:
    """BiLSTM encoder + attentional decoder, 2 layers of 512 units: for a GPU."""
    return build(LSTMSeq2Seq, dict(depth=2, width=512, dropout=0.2), kwargs)
