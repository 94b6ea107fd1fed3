"""What every zoo model shares: the config that rebuilds it, the head/backbone split, input checks."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import torch
import torch.nn as nn


class ZooModel(nn.Module):
    """Base class of every zoo model.

    Subclasses build ``self.head`` (the part a fine-tune replaces) from ``make_head(num_outputs)`` and
    implement ``forward_features``; ``forward`` is ``head(forward_features(x))``.
    """

    model_name: str = ""  # set by create_model

    def __init__(self, init_args: dict):
        super().__init__()
        # Constructor arguments, kept so that `config` rebuilds this exact model.
        self._init_args = {k: v for k, v in init_args.items() if k not in ("self", "__class__")}

    # -- the common surface ------------------------------------------------------------------------
    @property
    def config(self) -> dict:
        """JSON-serialisable dict: ``create_model(**config)`` rebuilds this architecture."""
        args = {k: list(v) if isinstance(v, tuple) else v for k, v in self._init_args.items()}
        return {"name": self.model_name, **args}

    def make_head(self, num_outputs: int) -> nn.Module:
        raise NotImplementedError

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor):
        return self.head(self.forward_features(x))

    def reset_head(self, num_outputs: int) -> None:
        """Replace the head with a freshly initialised one for ``num_outputs`` outputs (fine-tuning)."""
        device = next(self.parameters()).device
        self.head = self.make_head(num_outputs).to(device)
        self._init_args["num_outputs"] = num_outputs

    def head_parameters(self) -> Iterator[nn.Parameter]:
        return self.head.parameters()

    def backbone_parameters(self) -> Iterator[nn.Parameter]:
        head_ids = {id(p) for p in self.head.parameters()}
        return (p for p in self.parameters() if id(p) not in head_ids)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    # -- input validation --------------------------------------------------------------------------
    def validate(self, x: torch.Tensor) -> None:
        """Raise a clear error, saying what this model expects, when ``x`` does not fit its input kind."""
        a = self._init_args
        kind, channels = a["in_kind"], a.get("in_channels")
        dims, channel_dim, layout = {
            "image": (4, 1, "(B, C, H, W) float"),
            "sequence": (3, 2, "(B, L, C) float"),
            "tokens": (2, None, "(B, L) int64 token ids"),
            "field": (a.get("ndim", 1) + 2, 1, "(B, C, X) float" if a.get("ndim", 1) == 1 else "(B, C, X, Y) float"),
            "board": (4, 1, "(B, P, H, W) float planes"),
        }[kind]
        want = f"{self.model_name or type(self).__name__} (built for in_kind={kind!r}) expects {layout}"
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{want}; got {type(x).__name__}")
        if x.dim() != dims:
            raise ValueError(f"{want}; got a {x.dim()}-D tensor of shape {tuple(x.shape)}")
        if kind == "tokens" and x.is_floating_point():
            raise ValueError(f"{want}; got dtype {x.dtype}")
        if kind != "tokens" and not x.is_floating_point():
            raise ValueError(f"{want}; got dtype {x.dtype}")
        if channel_dim is not None and x.shape[channel_dim] != channels:
            raise ValueError(
                f"{want} with {channels} channels (dim {channel_dim}); got shape {tuple(x.shape)}. "
                f"Build it with in_channels={x.shape[channel_dim]} for this data."
            )
        if kind == "board" and tuple(x.shape[2:]) != tuple(a["board_size"]):
            raise ValueError(f"{want} on a {tuple(a['board_size'])} board; got shape {tuple(x.shape)}")


def spatial_ndim(kind: str, ndim: int) -> int:
    """How many spatial axes the convolutional families use for an input kind."""
    return {"image": 2, "board": 2, "sequence": 1, "tokens": 1, "field": ndim}[kind]


def build(cls: type[ZooModel], defaults: dict, kwargs: dict) -> ZooModel:
    """Builder helper: variant defaults overridden by user kwargs, with a clear error for unknown names."""
    params = inspect.signature(cls.__init__).parameters
    unknown = [k for k in kwargs if k not in params]
    if unknown:
        accepted = ", ".join(p for p in params if p != "self")
        raise TypeError(f"{cls.__name__} got unknown argument(s) {unknown}; it accepts: {accepted}")
    return cls(**{**defaults, **kwargs})
