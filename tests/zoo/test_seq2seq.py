"""The seq2seq pair (LSTM with attention, Transformer) and the model-agnostic decoders, on tiny models."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import zoo
from zoo.decoding import beam_search, gnmt_penalty, greedy_decode, reorder_state

MODELS = ["lstm_seq2seq_small", "transformer_seq2seq_small"]
V, PAD, BOS, EOS = 13, 0, 1, 2


def make(name: str, seed: int = 0, **kwargs):
    torch.manual_seed(seed)
    return zoo.create_model(name, **{"vocab_size": V, "width": 32, **kwargs}).eval()


def batch(b: int = 4, s: int = 7, t: int = 6, vocab: int = V, seed: int = 1):
    """Right-padded sources (rows 1 and 3 padded) and teacher-forced target inputs (BOS first)."""
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(3, V, (b, s), generator=g)
    src[1, 4:] = PAD
    src[min(3, b - 1), 2:] = PAD
    tgt = torch.randint(3, vocab, (b, t), generator=g)
    tgt[:, 0] = BOS
    return src, tgt


def sequence_logprob(model, src: torch.Tensor, hyp: list[int], max_len: int) -> float:
    """log P(hyp [+ EOS]) under teacher forcing with ``forward``; EOS counts when the hypothesis ended early."""
    out = hyp + [EOS] if len(hyp) < max_len else hyp
    tgt_in = torch.tensor([[BOS] + out[:-1]])
    with torch.no_grad():
        logp = model(src[None], tgt_in).log_softmax(-1)[0]  # (T, V)
    return logp.gather(1, torch.tensor(out)[:, None]).sum().item()


def test_registry():
    names = zoo.list_models(kind="seq2seq")
    assert set(MODELS) | {"lstm_seq2seq_base", "transformer_seq2seq_base"} <= set(names)
    assert zoo.model_info("lstm_seq2seq_small").family == "lstm"
    assert zoo.model_info("transformer_seq2seq_base").family == "transformer"


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("extra", [{}, {"num_outputs": 17}, {"tie_embeddings": False}])
def test_shapes_and_parameter_partition(name, extra):
    model = make(name, **extra)
    src, tgt = batch(vocab=extra.get("num_outputs", V))
    assert model(src, tgt).shape == (4, 6, extra.get("num_outputs", V))
    assert model.forward_features(src, tgt).shape == (4, 6, 32)
    head = [id(p) for p in model.head_parameters()]
    backbone = [id(p) for p in model.backbone_parameters()]
    assert len(set(head)) == len(head) and not set(head) & set(backbone)
    assert set(head) | set(backbone) == {id(p) for p in model.parameters()}


def test_transformer_tied_embeddings():
    shared = make("transformer_seq2seq_small")
    assert shared.src_embed.weight is shared.tgt_embed.weight is shared.head.weight
    separate = make("transformer_seq2seq_small", num_outputs=17)
    assert separate.tgt_embed.weight is separate.head.weight
    assert separate.src_embed.weight is not separate.head.weight
    untied = make("transformer_seq2seq_small", tie_embeddings=False)
    assert len({id(untied.src_embed.weight), id(untied.tgt_embed.weight), id(untied.head.weight)}) == 3


@pytest.mark.parametrize("name, extra", [*((m, {}) for m in MODELS), ("lstm_seq2seq_small", {"input_feeding": False})])
def test_incremental_decoding_matches_forward(name, extra):
    model = make(name, **extra)
    src, tgt = batch()
    full = model(src, tgt)  # (B, T, V)
    state = model.encode(src)
    steps = []
    for t in range(tgt.shape[1]):
        logits, state = model.decode_step(tgt[:, t], state)
        steps.append(logits)
        assert all(v.shape[0] == src.shape[0] for v in state.values())  # batch first, for reorder_state
    torch.testing.assert_close(torch.stack(steps, 1), full, atol=1e-5, rtol=1e-5)
    attn = state["attn"]  # (B, S): a distribution over real source tokens
    torch.testing.assert_close(attn.sum(-1), torch.ones(4))
    assert (attn[src == PAD] == 0).all()


@pytest.mark.parametrize("name", MODELS)
def test_reorder_state(name):
    model = make(name)
    src, tgt = batch()
    index = torch.tensor([2, 0, 0, 3, 1])
    state_a, state_b = reorder_state(model.encode(src), index), model.encode(src[index])
    for t in range(3):
        logits_a, state_a = model.decode_step(tgt[index, t], state_a)
        logits_b, state_b = model.decode_step(tgt[index, t], state_b)
        torch.testing.assert_close(logits_a, logits_b, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", MODELS)
def test_greedy_matches_naive_greedy(name):
    model = make(name, seed=3)
    src, _ = batch()
    hyps, scores = greedy_decode(model, src, max_len=8)
    for i, hyp in enumerate(hyps):
        prefix = [BOS]
        with torch.no_grad():
            while len(prefix) <= 8:
                nxt = int(model(src[i : i + 1], torch.tensor([prefix]))[0, -1].argmax())
                if nxt == EOS:
                    break
                prefix.append(nxt)
        assert hyp == prefix[1:]
        assert scores[i].item() == pytest.approx(sequence_logprob(model, src[i], hyp, 8), abs=1e-4)


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_beam_size_one_is_greedy(name, alpha):
    model = make(name, seed=4)
    src, _ = batch()
    assert beam_search(model, src, beam_size=1, max_len=8, length_penalty=alpha)[0] == greedy_decode(model, src, 8)[0]


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beam_search_beats_greedy(name, seed):
    model = make(name, seed=seed)
    src, _ = batch(b=3, seed=seed)
    greedy, _ = greedy_decode(model, src, max_len=8)
    beams, scores = beam_search(model, src, beam_size=4, max_len=8, length_penalty=0.0)
    for i in range(3):
        beam_lp = sequence_logprob(model, src[i], beams[i], 8)
        assert beam_lp == pytest.approx(scores[i].item(), abs=1e-4)  # alpha=0: the score is the log-probability
        assert beam_lp >= sequence_logprob(model, src[i], greedy[i], 8) - 1e-5


def test_beam_length_penalty_score():
    model = make("lstm_seq2seq_small", seed=5)
    src, _ = batch(b=2)
    hyps, scores = beam_search(model, src, beam_size=3, max_len=8, length_penalty=1.0)
    for i, hyp in enumerate(hyps):
        n = min(len(hyp) + 1, 8)
        assert scores[i].item() == pytest.approx(sequence_logprob(model, src[i], hyp, 8) / gnmt_penalty(n, 1.0),
                                                 abs=1e-4)


@pytest.mark.parametrize("name", MODELS)
def test_decoding_restores_training_mode(name):
    model = make(name, dropout=0.1).train()
    src, _ = batch(b=2)
    greedy_decode(model, src, max_len=3)
    beam_search(model, src, max_len=3)
    assert model.training


@pytest.mark.parametrize("name", MODELS)
def test_save_load_roundtrip(name, tmp_path):
    model = make(name)
    src, tgt = batch()
    zoo.save_pretrained(model, tmp_path / "m")
    loaded = zoo.from_pretrained(tmp_path / "m").eval()
    torch.testing.assert_close(loaded(src, tgt), model(src, tgt), atol=0, rtol=0)
    # A model whose head was reset round-trips too (its config now names the new target vocabulary).
    model.reset_head(9)
    _, tgt9 = batch(vocab=9)
    zoo.save_pretrained(model, tmp_path / "r")
    torch.testing.assert_close(zoo.from_pretrained(tmp_path / "r").eval()(src, tgt9), model(src, tgt9), atol=0,
                               rtol=0)
    assert zoo.from_pretrained(tmp_path / "m", num_outputs=11)(src, tgt9).shape == (4, 6, 11)


@pytest.mark.parametrize("name", MODELS)
def test_reset_head(name):
    model = make(name)
    src_weight = model.src_embed.weight.detach().clone()
    model.reset_head(21)
    src, tgt = batch(vocab=21)
    assert model(src, tgt).shape == (4, 6, 21)
    assert model.decode_step(tgt[:, 0], model.encode(src))[0].shape == (4, 21)
    assert model.tgt_embed.num_embeddings == 21 and model.src_embed.weight is not model.head.weight
    torch.testing.assert_close(model.src_embed.weight, src_weight)  # the encoder keeps its embedding
    head_ids = {id(p) for p in model.head_parameters()}
    assert id(model.tgt_embed.weight) in head_ids and id(model.src_embed.weight) not in head_ids
    with pytest.raises(ValueError, match="eos_id"):
        model.reset_head(2)


@pytest.mark.parametrize("name", MODELS)
def test_overfits_reversal(name):
    torch.manual_seed(0)
    model = make(name).train()
    src = torch.randint(3, V, (8, 5))
    out = torch.cat([src.flip(1), torch.full((8, 1), EOS)], 1)  # reversed source, then EOS
    tgt_in = torch.cat([torch.full((8, 1), BOS), out[:, :-1]], 1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(200):
        loss = F.cross_entropy(model(src, tgt_in).flatten(0, 1), out.flatten(), ignore_index=PAD)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if loss.item() < 0.05:
            break
    assert loss.item() < 0.1
    hyps, _ = greedy_decode(model, src, max_len=10)
    assert hyps == src.flip(1).tolist()


def test_all_padding_source_gives_finite_logits():
    for name in MODELS:
        model = make(name)
        src, tgt = batch()
        src[0] = PAD
        assert model(src, tgt).isfinite().all()


@pytest.mark.parametrize("name", MODELS)
def test_input_errors(name):
    model = make(name)
    src, tgt = batch()
    with pytest.raises(ValueError, match="vocab_size > 0"):
        zoo.create_model(name)
    with pytest.raises(ValueError, match=rf"{name}.*src as \(B, S\).*got dtype torch.float32"):
        model(src.float(), tgt)
    with pytest.raises(ValueError, match="got a 1-D tensor"):
        model(src[0], tgt)
    with pytest.raises(ValueError, match=rf"tgt_in .*token ids in \[0, {V}\); got ids from"):
        model(src, tgt + V)
    with pytest.raises(ValueError, match="4 rows but tgt_in has 3"):
        model(src, tgt[:3])
    with pytest.raises(ValueError, match=r"prev_tokens as \(B,\)"):
        model.decode_step(tgt, model.encode(src))
    with pytest.raises(ValueError, match="cannot be built for in_kind"):
        zoo.create_model(name, vocab_size=V, in_kind="tokens")
