"""The generated benchmark: random DNA with planted motifs and an activity function we wrote down, so the best
achievable Pearson r (the ceiling) and the motif positions are known.

Activity of a sequence (before noise), with ``interaction`` in [0, 1] the non-additive knob:

    z = sum_m w_m * count_m                                  additive motif effects (A1, A2, A3)
      + interaction * 1.5 * [A1 and A2 5-30 bp apart, same strand]     spacing/orientation cooperativity
      + (1 - interaction) * 0.5 * count_A3 + interaction * 0.5 * count_A3_forward   orientation dependence
    z = z * (1 - 0.8 * interaction * [repressor present]) - 0.3 * [repressor present]
    signal = 3 * tanh(z / 3)                                 saturation

Noise is Gaussian with variance var(signal) (1/ceiling^2 - 1), so corr(signal, measured) is the ceiling.
The non-additive share reported is 1 - R^2 of the best additive fit of the signal on the true motif counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MOTIFS = {"A1": "TGACTCAG", "A2": "GGGGCGGGG", "A3": "CACGTGAC", "R": "ATAAGGAT"}
WEIGHTS = {"A1": 1.0, "A2": 0.8, "A3": 0.5}
COMPLEMENT = str.maketrans("ACGT", "TGCA")


def revcomp(seq: str) -> str:
    return seq.translate(COMPLEMENT)[::-1]


@dataclass
class Synthetic:
    sequences: list[str]
    values: np.ndarray  # measured = signal + noise, (N,)
    signal: np.ndarray  # noiseless activity, (N,)
    counts: np.ndarray  # (N, 4) motif counts (A1, A2, A3, R), both strands
    motif_mask: np.ndarray  # (N, L) bool: positions inside a planted motif
    ceiling: float  # corr(signal, values) over the whole set
    non_additive_share: float


def generate(n: int, length: int = 200, interaction: float = 0.5, ceiling: float = 0.85, rate: float = 0.7,
             seed: int = 0) -> Synthetic:
    """``n`` sequences of ``length``; each motif is planted Poisson(``rate``) times (at most 3), on either strand,
    without overlaps."""
    if not 0 < ceiling < 1:
        raise ValueError(f"ceiling must lie in (0, 1); got {ceiling}")
    if not 0 <= interaction <= 1:
        raise ValueError(f"interaction must lie in [0, 1]; got {interaction}")
    rng = np.random.default_rng(seed)
    names = list(MOTIFS)
    seqs, signal, counts = [], np.zeros(n), np.zeros((n, len(names)))
    mask = np.zeros((n, length), dtype=bool)
    for i in range(n):
        chars = list(rng.choice(list("ACGT"), size=length))
        taken = np.zeros(length, dtype=bool)
        sites: dict[str, list[tuple[int, bool]]] = {m: [] for m in names}
        for m in names:
            for _ in range(min(3, rng.poisson(rate))):
                motif = MOTIFS[m]
                for _attempt in range(20):
                    start = int(rng.integers(0, length - len(motif) + 1))
                    if not taken[start:start + len(motif)].any():
                        forward = bool(rng.random() < 0.5)
                        chars[start:start + len(motif)] = motif if forward else revcomp(motif)
                        taken[start:start + len(motif)] = True
                        sites[m].append((start, forward))
                        break
        seqs.append("".join(chars))
        mask[i] = taken
        counts[i] = [len(sites[m]) for m in names]
        signal[i] = _activity(sites, interaction)
    noise_sd = np.sqrt(signal.var() * (1 / ceiling**2 - 1))
    values = signal + rng.normal(0, noise_sd, n)
    design = np.hstack([counts, np.ones((n, 1))])
    fit, *_ = np.linalg.lstsq(design, signal, rcond=None)
    r2 = 1 - np.var(signal - design @ fit) / np.var(signal)
    return Synthetic(seqs, values.astype(np.float32), signal.astype(np.float32), counts.astype(np.float32), mask,
                     float(np.corrcoef(signal, values)[0, 1]), float(1 - r2))


def _activity(sites: dict[str, list[tuple[int, bool]]], interaction: float) -> float:
    z = WEIGHTS["A1"] * len(sites["A1"]) + WEIGHTS["A2"] * len(sites["A2"])
    a3_forward = sum(f for _, f in sites["A3"])
    z += (1 - interaction) * WEIGHTS["A3"] * len(sites["A3"]) + interaction * 2 * WEIGHTS["A3"] * a3_forward
    cooperative = any(5 <= abs(p1 - p2) <= 30 and f1 == f2 for p1, f1 in sites["A1"] for p2, f2 in sites["A2"])
    z += interaction * 1.5 * cooperative
    repressed = bool(sites["R"])
    z = z * (1 - 0.8 * interaction * repressed) - 0.3 * repressed
    return 3 * np.tanh(z / 3)


def additive_baseline(counts_train: np.ndarray, y_train: np.ndarray, counts_test: np.ndarray,
                      y_test: np.ndarray) -> float:
    """Pearson r on the test set of a least-squares fit of the measured values on the true motif counts."""
    design = lambda c: np.hstack([c, np.ones((len(c), 1))])  # noqa: E731
    w, *_ = np.linalg.lstsq(design(counts_train), y_train, rcond=None)
    return float(np.corrcoef(design(counts_test) @ w, y_test)[0, 1])
