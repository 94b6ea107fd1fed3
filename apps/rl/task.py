"""The ZooTask that trains the policy/value network: policy cross-entropy against the search's visit distribution
(or the move a person played) + value MSE."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from zoo.task import ZooTask


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
