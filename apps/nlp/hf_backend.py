"""Our trained transformer seq2seq inside Hugging Face ``transformers``, for ``generate`` as the peer of our decoders.

The brief asked for a MarianMTModel; Marian in ``transformers`` is post-norm (layer norm after each residual add,
no final norm), and our model is pre-norm with a final norm on each side, so our weights cannot compute the same
function in it. PegasusForConditionalGeneration is Marian's pre-norm twin in ``transformers`` (its modelling code is
Marian's with the norms moved before each sub-layer and a final norm added): same sinusoidal positions (sin half,
cos half, 10000^(-i/half)), same sqrt(width) embedding scale, shared embeddings tied to the head plus a
``final_logits_bias``, erf GELU. Our weights load into it exactly (built from a PegasusConfig, offline, nothing
downloaded), so its greedy output matches ours token for token up to float rounding, and BLEU compares decoders.
"""

from __future__ import annotations

import torch
from transformers import GenerationConfig, PegasusConfig, PegasusForConditionalGeneration

from zoo.layers import sincos_encoding
from zoo.models.transformer_seq2seq import TransformerSeq2Seq


def to_pegasus(model: TransformerSeq2Seq, max_positions: int = 512) -> PegasusForConditionalGeneration:
    """A PegasusForConditionalGeneration computing what ``model`` computes (one shared tied vocabulary only)."""
    if model.src_embed is not model.tgt_embed or model.head.weight is not model.tgt_embed.weight:
        raise ValueError("to_pegasus needs one shared vocabulary with tied embeddings (Pegasus shares them)")
    attn, mlp = model.decoder[0].self_attn, model.decoder[0].mlp
    cfg = PegasusConfig(
        vocab_size=model.tgt_vocab, d_model=model.width, encoder_layers=len(model.encoder),
        decoder_layers=len(model.decoder), encoder_attention_heads=attn.heads, decoder_attention_heads=attn.heads,
        encoder_ffn_dim=mlp[0].out_features, decoder_ffn_dim=mlp[0].out_features, max_position_embeddings=max_positions,
        activation_function=_activation(mlp[1]), dropout=0.0, scale_embedding=True, pad_token_id=model.pad_id,
        eos_token_id=model.eos_id, decoder_start_token_id=model.bos_id, forced_eos_token_id=None,
        tie_word_embeddings=True)
    hf = PegasusForConditionalGeneration(cfg).eval()
    with torch.no_grad():
        _copy(hf, model, max_positions)
    hf.generation_config = GenerationConfig(
        decoder_start_token_id=model.bos_id, eos_token_id=model.eos_id, pad_token_id=model.pad_id,
        forced_eos_token_id=None, do_sample=False)
    return hf


def _activation(act: torch.nn.Module) -> str:
    if isinstance(act, torch.nn.GELU):
        return "gelu" if act.approximate == "none" else "gelu_new"
    if isinstance(act, torch.nn.ReLU):
        return "relu"
    raise ValueError(f"to_pegasus: no transformers activation for {type(act).__name__}")


def _copy(hf: PegasusForConditionalGeneration, model: TransformerSeq2Seq, max_positions: int) -> None:
    m = hf.model
    m.shared.weight.copy_(model.tgt_embed.weight)
    hf.final_logits_bias.copy_(model.head.bias[None])
    table = sincos_encoding(torch.arange(max_positions), model.width)  # (P, D): ours, not Pegasus's float64 one
    for side, norm in ((m.encoder, model.enc_norm), (m.decoder, model.dec_norm)):
        side.embed_positions.weight.copy_(table)
        _norm(side.layer_norm, norm)
    for layer, block in zip(m.encoder.layers, model.encoder):
        _norm(layer.self_attn_layer_norm, block.norm1)
        _attention(layer.self_attn, block.attn)
        _ffn(layer, block.norm2, block.mlp)
    for layer, block in zip(m.decoder.layers, model.decoder):
        _norm(layer.self_attn_layer_norm, block.norm1)
        _attention(layer.self_attn, block.self_attn)
        _norm(layer.encoder_attn_layer_norm, block.norm2)
        _attention(layer.encoder_attn, block.cross_attn)
        _ffn(layer, block.norm3, block.mlp)


def _norm(dst: torch.nn.LayerNorm, src: torch.nn.LayerNorm) -> None:
    dst.weight.copy_(src.weight)
    dst.bias.copy_(src.bias)
    dst.eps = src.eps


def _linear(dst: torch.nn.Linear, weight: torch.Tensor, bias: torch.Tensor) -> None:
    dst.weight.copy_(weight)
    dst.bias.copy_(bias)


def _attention(dst, src) -> None:
    """Our q Linear and fused [k; v] Linear -> separate q, k, v projections; output projection as is."""
    d = src.q.out_features
    _linear(dst.q_proj, src.q.weight, src.q.bias)
    _linear(dst.k_proj, src.kv.weight[:d], src.kv.bias[:d])
    _linear(dst.v_proj, src.kv.weight[d:], src.kv.bias[d:])
    _linear(dst.out_proj, src.proj.weight, src.proj.bias)


def _ffn(layer, norm: torch.nn.LayerNorm, mlp: torch.nn.Sequential) -> None:
    _norm(layer.final_layer_norm, norm)
    _linear(layer.fc1, mlp[0].weight, mlp[0].bias)
    _linear(layer.fc2, mlp[3].weight, mlp[3].bias)


@torch.no_grad()
def hf_generate(hf: PegasusForConditionalGeneration, src: torch.Tensor, pad_id: int, eos_id: int, beam_size: int,
                max_len: int, length_penalty: float = 1.0) -> list[list[int]]:
    """src (B, S) right-padded -> per sentence the generated ids without BOS, up to and excluding EOS (the same
    contract as zoo.decoding). HF's beam search ranks finished hypotheses by log P / length ** alpha (not GNMT)."""
    keep = src != pad_id
    keep[:, 0] |= ~keep.any(1)  # as Seq2SeqModel.source_mask: an all-padding source attends to one position
    search = {"length_penalty": length_penalty, "early_stopping": False} if beam_size > 1 else {}  # beam-only flags
    out = hf.generate(input_ids=src, attention_mask=keep.long(), num_beams=beam_size, max_new_tokens=max_len,
                      do_sample=False, **search)  # (B, 1 + T)
    rows = out[:, 1:].tolist()
    return [row[: row.index(eos_id)] if eos_id in row else row for row in rows]
