"""The fast decoders (incremental caches, sentences leaving the batch) return exactly what the plain algorithm
(zoo.decoding_reference, the decoders before the rewrite) returns: token ids and scores, greedy and beam, on fixed
seeded models of both families, briefly trained to reverse their source (so that sentences end at different
steps and leave the batch mid-search), including sources with padding and outputs cut by max_len."""

from __future__ import annotations

import functools

import pytest
import torch
import torch.nn.functional as F

import zoo
from zoo.decoding import StateCache, beam_search, greedy_decode
from zoo.decoding_reference import reference_beam_search, reference_greedy_decode

V = 40


def make(name: str, seed: int, **kwargs):
    torch.manual_seed(seed)
    return zoo.create_model(name, **{"vocab_size": V, "width": 32, **kwargs}).eval()


def sources(b: int = 9, s: int = 8, seed: int = 1) -> torch.Tensor:
    """Right-padded sources of different lengths (pad 0; tokens from 3 up)."""
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(3, V, (b, s), generator=g)
    for row in range(b):
        src[row, 1 + row % s:] = 0
    return src


def reversal_batch(g: torch.Generator, b: int = 32, s: int = 8):
    """Sources of 1..s tokens (right-padded) and the teacher-forced reversed targets (BOS first, EOS last)."""
    src = torch.zeros(b, s, dtype=torch.long)
    tgt = torch.zeros(b, s + 2, dtype=torch.long)
    for row in range(b):
        n = int(torch.randint(1, s + 1, (1,), generator=g))
        ids = torch.randint(3, V, (n,), generator=g)
        src[row, :n] = ids
        tgt[row, :n + 2] = torch.cat([torch.tensor([1]), ids.flip(0), torch.tensor([2])])
    return src, tgt[:, :-1], tgt[:, 1:]


@functools.cache
def trained(name: str, seed: int, steps: int = 40, **kwargs):
    """A seeded model after ``steps`` Adam steps of learning to reverse: half-trained, its outputs have many
    lengths (a random model repeats one token to max_len or stops at once)."""
    model = make(name, seed, **{"depth": 2, **kwargs}).train()
    opt = torch.optim.Adam(model.parameters(), 3e-3)
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        src, tgt_in, tgt_out = reversal_batch(g)
        loss = F.cross_entropy(model(src, tgt_in).flatten(0, 1), tgt_out.flatten(), ignore_index=0)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


@pytest.mark.parametrize("name", ["transformer_seq2seq_small", "lstm_seq2seq_small"])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("max_len", [5, 30])
def test_greedy_matches_reference(name, seed, max_len):
    model = trained(name, seed)
    src = sources(seed=seed)
    hyps, scores = greedy_decode(model, src, max_len)
    ref_hyps, ref_scores = reference_greedy_decode(model, src, max_len)
    assert hyps == ref_hyps
    torch.testing.assert_close(scores, ref_scores, rtol=1e-5, atol=1e-5)  # equal up to float rounding


@pytest.mark.parametrize("name", ["transformer_seq2seq_small", "lstm_seq2seq_small"])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("beam,alpha,max_len", [(4, 0.6, 30), (3, 0.0, 30), (5, 1.0, 6), (1, 0.6, 20)])
def test_beam_matches_reference(name, seed, beam, alpha, max_len):
    model = trained(name, seed)
    src = sources(seed=seed)
    hyps, scores = beam_search(model, src, beam, max_len, alpha)
    ref_hyps, ref_scores = reference_beam_search(model, src, beam, max_len, alpha)
    assert hyps == ref_hyps
    torch.testing.assert_close(scores, ref_scores, rtol=1e-5, atol=1e-5)  # equal up to float rounding


@pytest.mark.parametrize("name", ["transformer_seq2seq_small", "lstm_seq2seq_small"])
def test_outputs_vary_so_the_comparison_means_something(name):
    """The fixture models end sentences at different steps, so rows leave the batch mid-search."""
    for hyps in (greedy_decode(trained(name, 0), sources(), 30)[0],
                 beam_search(trained(name, 0), sources(), 4, 30, 0.6)[0]):
        lengths = {len(h) for h in hyps}
        assert len(lengths) >= 3 and min(lengths) < 30


def test_transformer_cache_matches_the_generic_state_cache():
    """The transformer's own cache (source keys/values once per sentence) and the generic one (repeated per beam)
    give the same logits, before and after a beam reorder that drops a sentence."""
    model = make("transformer_seq2seq_small", 3)
    src = sources(b=3)
    fast, plain = model.decoder_cache(src, 2), StateCache(model, src, 2)
    prev = torch.tensor([1, 1, 1, 1, 1, 1])
    with torch.no_grad():
        torch.testing.assert_close(fast.step(prev), plain.step(prev))
        rows, keep = torch.tensor([1, 1, 4, 5]), torch.tensor([0, 2])
        fast.reorder(rows, keep)
        plain.reorder(rows, keep)
        prev = torch.tensor([5, 6, 7, 8])
        torch.testing.assert_close(fast.step(prev), plain.step(prev))
