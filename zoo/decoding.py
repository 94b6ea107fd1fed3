"""Model-agnostic decoding for the seq2seq models: greedy and batched beam search.

A model only needs ``encode(src) -> state``, ``decode_step(prev_tokens (B,), state) -> (logits (B, V), state)``
and the ``bos_id`` / ``eos_id`` attributes. A state is a dict of tensors, each with the batch first, so that
``reorder_state`` can pick, repeat and reorder rows (beams). A model that offers ``decoder_cache(src, beams)``
(see ``DecoderCache``) decodes faster: the transformer keeps one copy of the encoder keys and values per sentence
instead of re-selecting them for every beam at every step, and computes no attention maps. Sentences leave the
batch as soon as they are decided. The outputs are those of the plain algorithm (zoo.decoding_reference) token for
token.

Both functions return ``(hyps, scores)``: per sentence the generated token ids without BOS, up to and excluding EOS
(``max_len`` tokens when no EOS came), and a float tensor (B,) of scores (see each function). They run the model
in eval mode under ``torch.no_grad`` and restore its training flag afterwards. ``max_len`` is bounded
(``zoo.trust.bounds.MAX_DECODE_LEN``): a decode length from a file or a flag cannot hang a command or the serve queue;
callers decoding a batch use ``zoo.trust.bounds.decode_limit`` (4 x the longest source + 50 at most).
"""

from __future__ import annotations

from typing import Protocol

import torch
import torch.nn as nn

from .trust.bounds import MAX_DECODE_LEN, whole

State = dict[str, torch.Tensor]


def reorder_state(state: State, index: torch.Tensor) -> State:
    """Rows ``index`` (N,) of every tensor in the state: select, repeat or reorder the batch (or beams)."""
    return {k: v.index_select(0, index) for k, v in state.items()}


def gnmt_penalty(length: int, alpha: float) -> float:
    """GNMT length penalty (Wu et al. 2016): ((5 + length) / 6) ** alpha. alpha=0: plain log-probability (favours
    short outputs); alpha=1: roughly log-probability per token. Beam scores are log-probability / penalty."""
    return ((5.0 + length) / 6.0) ** alpha


class _EvalMode:
    def __init__(self, model: nn.Module):
        self.model, self.was_training = model, model.training

    def __enter__(self):
        self.model.eval()

    def __exit__(self, *exc):
        self.model.train(self.was_training)


def _ids(model: nn.Module, bos_id: int | None, eos_id: int | None) -> tuple[int, int]:
    return (model.bos_id if bos_id is None else bos_id), (model.eos_id if eos_id is None else eos_id)


class DecoderCache(Protocol):
    """Incremental decoding of a batch of sentences, ``beams`` consecutive rows per sentence."""

    def step(self, prev_tokens: torch.Tensor) -> torch.Tensor:
        """prev_tokens (N,) -> next-token logits (N, V), one more position cached."""

    def reorder(self, rows: torch.Tensor, sentences: torch.Tensor | None = None) -> None:
        """Keep rows ``rows`` (N',) of the current ones, in that order (beams picked, repeated or dropped); with
        ``sentences`` (B',), only those sentences stay (their rows are the ones ``rows`` names, in groups). The
        rows per sentence may change here (beam search starts with one and repeats it K times after step 0)."""


class StateCache:
    """A DecoderCache for any model with ``encode`` / ``decode_step``: the state is repeated per beam and every
    tensor in it follows the rows."""

    def __init__(self, model: nn.Module, src: torch.Tensor, beams: int):
        state = model.encode(src)
        if beams > 1:
            state = reorder_state(state, torch.arange(src.shape[0], device=src.device).repeat_interleave(beams))
        self.model, self.state = model, state

    def step(self, prev_tokens: torch.Tensor) -> torch.Tensor:
        logits, self.state = self.model.decode_step(prev_tokens, self.state)
        return logits

    def reorder(self, rows: torch.Tensor, sentences: torch.Tensor | None = None) -> None:
        self.state = reorder_state(self.state, rows)


def decoder_cache(model: nn.Module, src: torch.Tensor, beams: int) -> DecoderCache:
    """The model's own incremental cache when it has one, else the generic state-reordering one."""
    if hasattr(model, "decoder_cache"):
        return model.decoder_cache(src, beams)
    return StateCache(model, src, beams)


@torch.no_grad()
def greedy_decode(model: nn.Module, src: torch.Tensor, max_len: int = 100, *, bos_id: int | None = None,
                  eos_id: int | None = None) -> tuple[list[list[int]], torch.Tensor]:
    """Most likely next token at every step. Scores: summed log-probabilities of the emitted tokens (EOS included
    when emitted). A sentence leaves the batch once it has emitted EOS."""
    bos, eos = _ids(model, bos_id, eos_id)
    max_len = whole(max_len, "max_len", 0, MAX_DECODE_LEN)
    b, dev = src.shape[0], src.device
    with _EvalMode(model):
        cache = decoder_cache(model, src, 1)
        alive = torch.arange(b, device=dev)  # (A,) sentences still decoding
        prev = torch.full((b,), bos, dtype=torch.long, device=dev)
        scores = torch.zeros(b, device=dev)
        out = torch.full((b, max_len), eos, dtype=torch.long, device=dev)  # (B, max_len)
        steps = 0
        for step in range(max_len):
            logp = cache.step(prev).log_softmax(-1, dtype=torch.float32)  # (A, V); no fp32 copy of bf16 logits
            best, prev = logp.max(-1)
            scores[alive] += best
            out[alive, step] = prev
            steps = step + 1
            going = prev != eos
            if not bool(going.all()):
                if not bool(going.any()):
                    break
                keep = going.nonzero().flatten()  # (A',)
                alive, prev = alive[keep], prev[keep]
                cache.reorder(keep, keep)
        tokens = out[:, :steps].tolist()
    return [row[: row.index(eos)] if eos in row else row for row in tokens], scores


@torch.no_grad()
def beam_search(model: nn.Module, src: torch.Tensor, beam_size: int = 4, max_len: int = 100,
                length_penalty: float = 1.0, *, bos_id: int | None = None,
                eos_id: int | None = None) -> tuple[list[list[int]], torch.Tensor]:
    """Beam search over all sentences at once (B * beam_size rows); returns the best hypothesis per sentence.

    Each step ranks the 2K best extensions of the K live beams: an EOS among the top K finishes a hypothesis,
    the K best non-EOS extensions live on (as in fairseq). A sentence is done, and leaves the batch, when its best
    live beam, normalised at the current length, no longer beats its best finished hypothesis: exact for alpha=0
    (log-probabilities only fall), the usual heuristic otherwise (HF's early_stopping=False). A hypothesis of n
    tokens (EOS counted) scores log P / gnmt_penalty(n, alpha), alpha = ``length_penalty`` (0 ranks by plain
    log-probability); beams still alive at ``max_len`` compete with length max_len. Scores: that normalised score.
    With beam_size=1 this is exactly greedy_decode (same tokens)."""
    bos, eos = _ids(model, bos_id, eos_id)
    max_len = whole(max_len, "max_len", 0, MAX_DECODE_LEN)
    k, b, dev = beam_size, src.shape[0], src.device
    if k < 1:
        raise ValueError(f"beam_size must be >= 1; got {beam_size}")
    with _EvalMode(model):
        cache = decoder_cache(model, src, 1)  # one row per sentence until its beams differ (after step 0)
        search = _Beams(b, k, bos, eos, length_penalty, dev)
        for step in range(max_len):
            # log_softmax converting as it goes: a .float() copy of (rows, V) bf16 logits first took 4x as long
            logp = cache.step(search.prev if step else search.prev[::k]).log_softmax(-1, dtype=torch.float32)
            if step == 0:
                logp = logp.repeat_interleave(k, dim=0)  # the K identical beams of step 0: (B*K, V)
            live_rows, keep = search.advance(logp, step)
            live_rows = live_rows // k if step == 0 else live_rows  # cache rows are sentences at step 0
            if keep is None:
                cache.reorder(live_rows)
            elif keep.numel() == 0:
                break
            else:
                cache.reorder(live_rows, keep)
        else:
            search.finish(max_len)
    return search.best_hyps, search.best_scores


class _Beams:
    """The beam bookkeeping of the live sentences ``alive`` (A,): scores (A, K), token history (A*K, t), and the
    best finished hypothesis of every sentence."""

    def __init__(self, b: int, k: int, bos: int, eos: int, alpha: float, dev: torch.device):
        self.k, self.eos, self.alpha = k, eos, alpha
        self.alive = torch.arange(b, device=dev)  # (A,) original index of each live sentence
        self.prev = torch.full((b * k,), bos, dtype=torch.long, device=dev)  # (A*K,) last token of each beam
        self.scores = torch.full((b, k), float("-inf"), device=dev)
        self.scores[:, 0] = 0.0  # all beams start identical: expand only the first at step 1
        self.history = torch.zeros(b * k, 0, dtype=torch.long, device=dev)  # (A*K, t) tokens so far
        self.best_scores = torch.full((b,), float("-inf"), device=dev)
        self.best_hyps: list[list[int]] = [[] for _ in range(b)]
        self.rank = torch.arange(2 * k, device=dev)

    def advance(self, logp: torch.Tensor, step: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """One step from logp (A*K, V): record finished hypotheses, keep the K best live extensions. Returns the
        cache rows the new beams extend and, when some sentences are now done, the live ones' positions (A',)."""
        k, eos, a, dev = self.k, self.eos, self.alive.numel(), logp.device
        # The 2K best extensions of a sentence are among the 2K best of each of its beams: rank those K * 2K
        # instead of all K * V (the same sums, so the same choice as the plain algorithm).
        best_logp, best_tok = logp.topk(min(2 * k, logp.shape[-1]), dim=1)  # (A*K, C)
        c = best_logp.shape[1]
        cand = (self.scores[:, :, None] + best_logp.view(a, k, c)).view(a, k * c)
        top, idx = cand.topk(min(2 * k, k * c), dim=1)  # (A, 2K) best extensions, sorted
        rows = torch.arange(a, device=dev)[:, None] * k + idx // c  # (A, 2K) beam rows they extend
        tok = best_tok.view(a, k * c).gather(1, idx)
        r = self.rank[: top.shape[1]]
        # EOS among the top K finishes a hypothesis (of step + 1 tokens, EOS included).
        ends = (tok == eos) & (r < k)[None] & top.isfinite()
        norm = torch.where(ends, top / gnmt_penalty(step + 1, self.alpha), float("-inf"))
        new_best, pos = norm.max(1)
        for j in (new_best > self.best_scores[self.alive]).nonzero().flatten().tolist():
            i = int(self.alive[j])
            self.best_scores[i] = new_best[j]
            self.best_hyps[i] = self.history[rows[j, pos[j]]].tolist()
        # The K best non-EOS extensions live on.
        live = torch.where(tok == eos, r + 2 * k, r).topk(k, dim=1, largest=False).indices
        self.scores = top.gather(1, live)  # (A, K)
        live_rows, self.prev = rows.gather(1, live).flatten(), tok.gather(1, live).flatten()  # (A*K,)
        self.history = torch.cat([self.history[live_rows], self.prev[:, None]], dim=1)
        done = self.best_scores[self.alive] >= self.scores[:, 0] / gnmt_penalty(step + 1, self.alpha)
        if not bool(done.any()):
            return live_rows, None
        keep = (~done).nonzero().flatten()  # (A',)
        beam = (keep[:, None] * k + torch.arange(k, device=dev)).flatten()  # (A'*K,) their beams' positions
        self.alive, self.scores = self.alive[keep], self.scores[keep]
        self.prev, self.history = self.prev[beam], self.history[beam]
        return live_rows[beam], keep

    def finish(self, max_len: int) -> None:
        """max_len reached: the best live beam of each live sentence competes too (beams are sorted by score)."""
        norm = self.scores[:, 0] / gnmt_penalty(max_len, self.alpha)
        for j in (norm > self.best_scores[self.alive]).nonzero().flatten().tolist():
            i = int(self.alive[j])
            self.best_scores[i] = norm[j]
            self.best_hyps[i] = self.history[j * self.k].tolist()
