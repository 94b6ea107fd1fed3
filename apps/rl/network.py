"""The policy/value network: any zoo model built for the `board` kind, its batched evaluator for the search, and
the ZooTask that trains it (policy cross-entropy against the search's visit distribution + value MSE)."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from zoo import create_model
from zoo.task import ZooTask

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


def unpack_bits(bits: torch.Tensor, n: int) -> torch.Tensor:
    """np.packbits rows (B, ceil(n/8)) uint8, most significant bit first -> bool (B, n)."""
    shifts = torch.arange(7, -1, -1, device=bits.device, dtype=torch.uint8)
    return ((bits.unsqueeze(-1) >> shifts) & 1).flatten(1)[:, :n].bool()


class PolicyValueTask(ZooTask):
    """Trains a board network on (planes, search policy, game result) triples."""

    monitor, monitor_mode, headline = "train_loss", "min", "train_loss"

    def __init__(self, *args, game_kwargs: dict[str, Any] | None = None, value_weight: float = 1.0, **kwargs):
        """
        Args:
            game_kwargs: ``board_kwargs(game)``: planes, actions and board size of the network's game.
            value_weight: weight of the value loss beside the policy loss.
        """
        super().__init__(*args, **kwargs)

    def model_defaults(self) -> dict[str, Any]:
        return dict(self.hparams.get("game_kwargs") or {})

    def shared_step(self, batch, stage: str) -> torch.Tensor:
        # (B, P, H, W), (B, A) search policy or (B,) move played, (B,) result; optionally (B, A/8) legal-move bits
        planes, policy, result, *legal = batch
        logits, value = self.model(planes.float())
        logits = logits.float()
        if legal:  # the softmax runs over legal moves only, as in the search
            logits = logits.masked_fill(~unpack_bits(legal[0], logits.shape[1]), float("-inf"))
        if policy.dtype == torch.long:  # supervised: the move a person played
            policy_loss = F.cross_entropy(logits, policy)
        else:
            policy_loss = -(policy * F.log_softmax(logits, -1).nan_to_num(neginf=0.0)).sum(-1).mean()
        value_loss = F.mse_loss(value.float(), result)
        loss = policy_loss + self.hparams.value_weight * value_loss
        self.log_dict({f"{stage}_loss": loss, f"{stage}_policy_loss": policy_loss, f"{stage}_value_loss": value_loss},
                      prog_bar=stage == "train", on_step=False, on_epoch=True, batch_size=len(planes))
        return loss
