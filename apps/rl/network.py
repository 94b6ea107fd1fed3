"""The policy/value network: any zoo model built for the `board` kind, its batched evaluator for the search, and
the ZooTask that trains it (policy cross-entropy against the search's visit distribution + value MSE)."""

from __future__ import annotations

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


class Evaluator:
    """states -> (priors (B, A), values (B,)): one batched forward pass, illegal actions masked out."""

    def __init__(self, game: Game, model: torch.nn.Module):
        self.game, self.model = game, model
        self.device = next(model.parameters()).device
        self.positions = 0  # evaluated so far (for positions/s)

    @torch.inference_mode()
    def __call__(self, states: Sequence) -> tuple[np.ndarray, np.ndarray]:
        planes = torch.from_numpy(np.stack([self.game.planes(s) for s in states])).to(self.device)
        mask = torch.from_numpy(np.stack([self.game.legal_mask(s) for s in states])).to(self.device)
        if self.model.training:  # the training steps between self-play rounds switch it back
            self.model.eval()
        logits, value = self.model(planes)  # (B, A), (B,)
        logits = logits.float().masked_fill(~mask, float("-inf"))
        priors = torch.softmax(logits, -1).nan_to_num(0.0)  # a position without moves: all zeros
        self.positions += len(states)
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
