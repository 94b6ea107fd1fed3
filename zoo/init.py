"""Weight initialisation schemes, applied to every conv and linear layer and to LSTM weight matrices."""

from __future__ import annotations

import torch.nn as nn

SCHEMES = ("default", "kaiming", "xavier", "orthogonal")

# The gain that keeps activations' variance through a layer depends on the nonlinearity that follows it.
_GAIN_NAME = {"relu": "relu", "leaky_relu": "leaky_relu", "gelu": "relu", "silu": "relu", "elu": "relu",
              "tanh": "tanh", "sigmoid": "sigmoid", "identity": "linear"}


def init_weights(model: nn.Module, scheme: str = "default", activation: str | None = None) -> nn.Module:
    """Re-initialise weights with ``scheme`` (biases to zero); ``default`` keeps PyTorch's own init.

    ``activation`` (default: the model config's) picks the gain for Kaiming, Xavier and orthogonal.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown init scheme {scheme!r}; choose one of: {', '.join(SCHEMES)}")
    if scheme == "default":
        return model
    activation = activation or getattr(model, "config", {}).get("activation", "relu")
    gain_name = _GAIN_NAME.get(activation, "relu")
    for module in model.modules():
        if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Linear)):
            _init(module.weight, scheme, gain_name)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.LSTM):
            for name, p in module.named_parameters():
                _init(p, scheme, "tanh") if name.startswith("weight") else nn.init.zeros_(p)
    return model


def _init(weight: nn.Parameter, scheme: str, gain_name: str) -> None:
    gain = nn.init.calculate_gain(gain_name)
    if scheme == "kaiming":
        # kaiming_normal_ only knows relu-like gains by name; std = gain / sqrt(fan_in) either way.
        nn.init.kaiming_normal_(weight, nonlinearity="relu" if gain_name in ("relu", "leaky_relu") else "linear")
        if gain_name not in ("relu", "leaky_relu", "linear"):
            weight.data.mul_(gain)
    elif scheme == "xavier":
        nn.init.xavier_uniform_(weight, gain=gain)
    else:
        nn.init.orthogonal_(weight, gain=gain)
