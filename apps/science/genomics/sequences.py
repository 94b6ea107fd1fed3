"""DNA as tensors: one-hot encoding (channels A, C, G, T), reverse complement, random shifts, and the length policy.

Unknown bases (N) encode as all zeros: "no evidence" for any base, which keeps reverse complement exact. Sequences
longer than the model's length are cropped around their centre; shorter ones are padded with Ns on both sides
(the centre stays the centre: MPRA elements sit between fixed flanks).
"""

from __future__ import annotations

import numpy as np
import torch

from zoo.errors import InputError

BASES = "ACGT"
_CODE = np.full(256, -1, dtype=np.int64)
for _i, _b in enumerate(BASES):
    _CODE[ord(_b)] = _CODE[ord(_b.lower())] = _i
_CODE[ord("N")] = _CODE[ord("n")] = 4  # known-unknown
ALLOWED = "ACGTN (any case)"


def check_sequence(seq: str, name: str = "sequence") -> None:
    """Raise an InputError naming ``name`` and the 1-based position of the first character outside ACGTN."""
    codes = _CODE[np.frombuffer(seq.encode("latin-1", errors="replace"), dtype=np.uint8)]
    bad = np.flatnonzero(codes < 0)
    if bad.size:
        i = int(bad[0])
        raise InputError(f"{name}: character {seq[i]!r} at position {i + 1} is not DNA; expected {ALLOWED}")


def fit_length(seq: str, length: int) -> str:
    """Centre-crop or N-pad (both sides, extra on the right) to exactly ``length``."""
    n = len(seq)
    if n > length:
        start = (n - length) // 2
        return seq[start:start + length]
    left = (length - n) // 2
    return "N" * left + seq + "N" * (length - n - left)


def one_hot(seqs: list[str] | str, length: int | None = None) -> np.ndarray:
    """Sequences -> float32 (N, L, 4) (channels A, C, G, T; N is all zeros). ``length`` defaults to the longest."""
    if isinstance(seqs, str):
        seqs = [seqs]
    length = length or max(map(len, seqs))
    text = "".join(fit_length(s, length) for s in seqs).encode("latin-1", errors="replace")
    codes = _CODE[np.frombuffer(text, dtype=np.uint8)].reshape(len(seqs), length)
    if (codes < 0).any():
        row, col = map(int, np.argwhere(codes < 0)[0])
        check_sequence(fit_length(seqs[row], length), f"sequence {row}")
    eye = np.vstack([np.eye(4, dtype=np.float32), np.zeros((1, 4), np.float32)])
    return eye[codes]


def decode(x: np.ndarray | torch.Tensor) -> list[str]:
    """(N, L, 4) one-hot -> strings; an all-zero position reads N."""
    x = np.asarray(x)
    idx = np.where(x.max(-1) > 0, x.argmax(-1), 4)
    return ["".join("ACGTN"[i] for i in row) for row in idx]


def reverse_complement(x: torch.Tensor | np.ndarray):
    """(..., L, 4) one-hot in ACGT order: reversing the base axis complements (A<->T, C<->G); flip L too."""
    if isinstance(x, torch.Tensor):
        return x.flip(-2).flip(-1)
    return x[..., ::-1, ::-1].copy()


def random_shift(x: torch.Tensor, max_shift: int) -> torch.Tensor:
    """(B, L, 4) -> (B, L, 4), each sequence moved by its own random offset in [-max_shift, max_shift]; the bases
    moved out are dropped and the gap reads N (zeros). Motifs keep their identity but not their exact position, so
    the model cannot memorise where in a 230-nt element a training sequence's motifs sit."""
    if max_shift <= 0:
        return x
    b, length, _ = x.shape
    offset = torch.randint(-max_shift, max_shift + 1, (b, 1), device=x.device)  # (B, 1)
    padded = torch.nn.functional.pad(x, (0, 0, max_shift, max_shift))  # (B, L + 2m, 4)
    index = torch.arange(length, device=x.device) + max_shift - offset  # (B, L): out[i] = x[i - offset]
    return padded.gather(1, index[..., None].expand(-1, -1, x.shape[-1]))
