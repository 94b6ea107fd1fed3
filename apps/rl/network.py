"""The policy/value network: any zoo model built for the `board` kind, and its batched evaluator for the search
(the ZooTask that trains it is in ``task.py``: Lightning is not loaded where a network only plays)."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from zoo import create_model

from .games import Game


def board_kwargs(game: Game) -> dict[str, Any]:
    """What the game decides about the network: input planes, actions, board size."""
    return {"in_kind": "board", "in_channels": game.num_planes, "num_outputs": game.num_actions,
            "board_size": game.board_size}


def build_network(game: Game, model: str, model_kwargs: dict | None = None) -> torch.nn.Module:
    return create_model(model, **{**board_kwargs(game), **(model_kwargs or {})})


def inference_precision(precision: str, device: str = "cpu") -> str:
    """"fp32" or "bf16" for self-play's forward passes; "auto": bf16 where this machine has fast bf16 (AVX-512
    bf16, AMX, a bf16 GPU: there a batch of small convolutions runs 1.5-3x faster), fp32 elsewhere (emulated bf16
    is slower)."""
    if precision != "auto":
        return precision
    from zoo.runtime.machine import auto_precision

    return "bf16" if auto_precision("gpu" if device.startswith("cuda") else "cpu")[0] == "bf16-mixed" else "fp32"


class Evaluator:
    """states -> (priors (B, A), values (B,)): one batched forward pass, illegal actions masked out.

    With ``precision="bf16"`` the forward passes run on a bf16 copy of the model; with ``freeze`` on a frozen
    TorchScript trace of it (batch norm folded into the convolutions, no Python between layers: half the time of a
    small batch, where the per-layer overhead dominates). Both snapshot the weights: build a new evaluator after
    they change (self-play does, every round). Priors and values come back as float32 either way."""

    def __init__(self, game: Game, model: torch.nn.Module, precision: str = "fp32", freeze: bool = False):
        self.game, self.precision = game, inference_precision(precision, str(next(model.parameters()).device))
        self.model = copy.deepcopy(model).to(torch.bfloat16).eval() if self.precision == "bf16" else model
        self.device = next(model.parameters()).device
        self.dtype = torch.bfloat16 if self.precision == "bf16" else torch.float32
        self.freeze = freeze
        self.positions = 0  # evaluated so far (for positions/s)

    def frozen(self, planes: torch.Tensor):
        """The model traced on the first batch and frozen (the trace holds for any batch size)."""
        if not isinstance(self.model, torch.jit.ScriptModule):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the tracer's notes on Python values it records as constants
                self.model = torch.jit.freeze(torch.jit.trace(self.model.eval(), planes))
        return self.model

    def __call__(self, states: Sequence) -> tuple[np.ndarray, np.ndarray]:
        return self.batch(np.stack([self.game.planes(s) for s in states]),
                          np.stack([self.game.legal_mask(s) for s in states]))

    @torch.inference_mode()
    def batch(self, planes: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The answers for input planes (B, P, H, W) and legal masks (B, A) already built (the answer cache has
        them)."""
        self.positions += len(planes)
        planes = torch.from_numpy(planes).to(self.device, self.dtype)
        mask = torch.from_numpy(mask).to(self.device)
        if self.freeze:
            model = self.frozen(planes)
        else:
            model = self.model
            if model.training:  # the training steps between self-play rounds switch it back
                model.eval()
        logits, value = model(planes)  # (B, A), (B,)
        logits = logits.float().masked_fill(~mask, float("-inf"))
        priors = torch.softmax(logits, -1).nan_to_num(0.0)  # a position without moves: all zeros
        return priors.cpu().numpy(), value.float().cpu().numpy()
