"""The network's answers remembered by position, for one self-play round with fixed weights.

Games repeat their openings and trees reach the same position by different move orders; an answer already computed
is looked up instead of evaluated again. It is the same answer the network gives (to the last bit when the
evaluator does not depend on the batch), so the search, and hence every game, is unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from .games import Game


class CachedEvaluator:
    """Wraps an evaluator (states -> priors (B, A), values (B,)); keeps up to ``capacity`` answers, the oldest
    dropped first."""

    def __init__(self, game: Game, evaluate, capacity: int):
        self.game, self.evaluate, self.capacity = game, evaluate, capacity
        self.memo: dict[bytes, tuple[np.ndarray, float]] = {}  # key -> (priors of the legal actions, value)
        self.hits = self.misses = 0

    @staticmethod
    def key(planes: np.ndarray, mask: np.ndarray) -> bytes:
        """A digest of what the network's answer depends on: its input planes and the legal moves it is masked
        to (chess planes leave out the en-passant square, which changes the legal moves)."""
        digest = hashlib.blake2b(planes.tobytes(), digest_size=16)
        digest.update(np.packbits(mask).tobytes())
        return digest.digest()

    def __call__(self, states: Sequence) -> tuple[np.ndarray, np.ndarray]:
        planes = [self.game.planes(s) for s in states]
        masks = [self.game.legal_mask(s) for s in states]
        keys = [self.key(x, m) for x, m in zip(planes, masks)]
        answers: dict[bytes, tuple[np.ndarray, float]] = {}
        todo: dict[bytes, int] = {}  # missing key -> the first state that has it
        for i, k in enumerate(keys):
            if k in self.memo:
                answers[k] = self.memo[k]
            elif k not in todo:
                todo[k] = i
        if todo:
            first = list(todo.values())
            if hasattr(self.evaluate, "batch"):  # the planes and masks are built already
                priors, values = self.evaluate.batch(np.stack([planes[i] for i in first]),
                                                     np.stack([masks[i] for i in first]))
            else:
                priors, values = self.evaluate([states[i] for i in first])
            for (k, i), p, v in zip(todo.items(), priors, values):
                answers[k] = p[masks[i]], float(v)
                self.remember(k, *answers[k])
        self.misses += len(todo)
        self.hits += len(states) - len(todo)
        dtype = answers[keys[0]][0].dtype if keys else np.float32  # the evaluator's own precision
        out_p, out_v = np.zeros((len(states), self.game.num_actions), dtype=dtype), np.zeros(len(states))
        for b, (m, k) in enumerate(zip(masks, keys)):
            p, out_v[b] = answers[k]
            out_p[b, m] = p
        return out_p, out_v

    def remember(self, key: bytes, priors: np.ndarray, value: float) -> None:
        if len(self.memo) >= self.capacity:
            del self.memo[next(iter(self.memo))]
        self.memo[key] = (priors, value)
