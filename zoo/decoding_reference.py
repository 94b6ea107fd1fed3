"""The decoders as they were before the incremental-cache rewrite (commit ac605c8), kept as the reference the fast
ones in ``zoo.decoding`` must match token for token (tests/zoo/test_decoding_fast.py) and as the "old decoder"
contender of `zoo perf nlp` (apps/nlp/perf.py).

They drive a model only through ``encode`` / ``decode_step``: every step re-selects every state row (the fixed
encoder keys and values included) for the beams, finished sentences stay in the batch, and the transformer's
``decode_step`` computes the source-attention map. Do not optimise this file: it is the yardstick.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from .decoding import _EvalMode, _ids, gnmt_penalty, reorder_state


@torch.no_grad()
def reference_greedy_decode(model: nn.Module, src: torch.Tensor, max_len: int = 100, *, bos_id: int | None = None,
                  eos_id: int | None = None) -> tuple[list[list[int]], torch.Tensor]:
    """Most likely next token at every step. Scores: summed log-probabilities of the emitted tokens (EOS included
    when emitted)."""
    bos, eos = _ids(model, bos_id, eos_id)
    with _EvalMode(model):
        state = model.encode(src)
        b = src.shape[0]
        prev = torch.full((b,), bos, dtype=torch.long, device=src.device)
        scores = torch.zeros(b, device=src.device)
        finished = torch.zeros(b, dtype=torch.bool, device=src.device)
        steps = []
        for _ in range(max_len):
            logits, state = model.decode_step(prev, state)
            logp = logits.float().log_softmax(-1)  # (B, V)
            best, prev = logp.max(-1)
            scores += best.masked_fill(finished, 0.0)
            steps.append(prev.masked_fill(finished, eos))
            finished |= prev == eos
            if bool(finished.all()):
                break
        tokens = torch.stack(steps, dim=1).tolist() if steps else [[] for _ in range(b)]  # (B, steps)
    return [row[: row.index(eos)] if eos in row else row for row in tokens], scores


@torch.no_grad()
def reference_beam_search(model: nn.Module, src: torch.Tensor, beam_size: int = 4, max_len: int = 100,
                length_penalty: float = 1.0, *, bos_id: int | None = None,
                eos_id: int | None = None) -> tuple[list[list[int]], torch.Tensor]:
    """Beam search over all sentences at once (B * beam_size rows); returns the best hypothesis per sentence.

    Each step ranks the 2K best extensions of the K live beams: an EOS among the top K finishes a hypothesis,
    the K best non-EOS extensions live on (as in fairseq). A sentence is done when its best live beam, normalised
    at the current length, no longer beats its best finished hypothesis: exact for alpha=0 (log-probabilities only
    fall), the usual heuristic otherwise (HF's early_stopping=False). A hypothesis of n tokens (EOS counted) scores
    log P / gnmt_penalty(n, alpha), alpha = ``length_penalty`` (0 ranks by plain log-probability); beams still
    alive at ``max_len`` compete with length max_len. Scores: that normalised score. With beam_size=1 this is
    exactly reference_greedy_decode (same tokens)."""
    bos, eos = _ids(model, bos_id, eos_id)
    k, b, dev = beam_size, src.shape[0], src.device
    if k < 1:
        raise ValueError(f"beam_size must be >= 1; got {beam_size}")
    with _EvalMode(model):
        state = reorder_state(model.encode(src), torch.arange(b, device=dev).repeat_interleave(k))  # B*K rows
        prev = torch.full((b * k,), bos, dtype=torch.long, device=dev)
        beam_scores = torch.full((b, k), float("-inf"), device=dev)
        beam_scores[:, 0] = 0.0  # all beams start identical: expand only the first at step 1
        history = torch.zeros(b * k, 0, dtype=torch.long, device=dev)  # (B*K, t) tokens so far
        best_scores = torch.full((b,), float("-inf"), device=dev)
        best_hyps: list[list[int]] = [[] for _ in range(b)]
        done = torch.zeros(b, dtype=torch.bool, device=dev)
        rank = torch.arange(2 * k, device=dev)
        for step in range(max_len):
            logits, state = model.decode_step(prev, state)
            logp = logits.float().log_softmax(-1)  # (B*K, V)
            v = logp.shape[-1]
            cand = (beam_scores[:, :, None] + logp.view(b, k, v)).view(b, k * v)
            top, idx = cand.topk(min(2 * k, k * v), dim=1)  # (B, 2K) best extensions, sorted
            rows = torch.arange(b, device=dev)[:, None] * k + idx // v  # (B, 2K) beam rows they extend
            tok = idx % v
            r = rank[: top.shape[1]]
            # EOS among the top K finishes a hypothesis (of step + 1 tokens, EOS included).
            ends = (tok == eos) & (r < k)[None] & top.isfinite() & ~done[:, None]
            norm = torch.where(ends, top / gnmt_penalty(step + 1, length_penalty), float("-inf"))
            new_best, pos = norm.max(1)
            for i in (new_best > best_scores).nonzero().flatten().tolist():
                best_scores[i] = new_best[i]
                best_hyps[i] = history[rows[i, pos[i]]].tolist()
            # The K best non-EOS extensions live on.
            live = torch.where(tok == eos, r + 2 * k, r).topk(k, dim=1, largest=False).indices
            beam_scores = top.gather(1, live)  # (B, K)
            live_rows, prev = rows.gather(1, live).flatten(), tok.gather(1, live).flatten()  # (B*K,)
            history = torch.cat([history[live_rows], prev[:, None]], dim=1)
            state = reorder_state(state, live_rows)
            done |= best_scores >= beam_scores[:, 0] / gnmt_penalty(step + 1, length_penalty)
            if bool(done.all()):
                break
        else:  # max_len reached: the best live beam competes too (beams are sorted by score)
            norm = beam_scores[:, 0] / gnmt_penalty(max_len, length_penalty)
            for i in ((norm > best_scores) & ~done).nonzero().flatten().tolist():
                best_scores[i] = norm[i]
                best_hyps[i] = history[i * k].tolist()
    return best_hyps, best_scores
