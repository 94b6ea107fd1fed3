"""The model-family contract, in one place: what every zoo model shares, so that a family file only builds its trunk.

``ZooModel`` holds the config that rebuilds a model, the head per input kind (``make_head``), the head/backbone
split, and the input checks (``validate``, ``check_tokens``); ``spatial_ndim`` and ``build`` are the helpers a
family's constructor and builders call. Adding a family: README.md, "Add a model family".
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import torch
import torch.nn as nn

from ..layers import ClassifierHead, FieldHead, PolicyValueHead
from ..trust.bounds import check_model_kwargs


class ZooModel(nn.Module):
    """Base class of every zoo model.

    A family's ``__init__`` calls ``super().__init__(locals())``, builds its trunk, sets ``self.num_features`` (the
    width D of what ``forward_features`` returns: (B, D) pooled, or (B, D, *grid) for fields and boards) and ends
    with ``self.head = self.make_head(num_outputs)``; ``forward`` is ``head(forward_features(x))``.
    """

    model_name: str = ""  # set by create_model

    def __init__(self, init_args: dict):
        super().__init__()
        # Constructor arguments, kept so that `config` rebuilds this exact model.
        self._init_args = {k: v for k, v in init_args.items() if k not in ("self", "__class__")}
        self.kind = self._init_args.get("in_kind")
        if self.kind == "tokens" and self._init_args.get("vocab_size", 0) <= 0:
            raise ValueError(f"{type(self).__name__}: in_kind='tokens' needs vocab_size > 0 (the vocabulary size)")

    # -- the common surface ------------------------------------------------------------------------
    @property
    def config(self) -> dict:
        """JSON-serialisable dict: ``create_model(**config)`` rebuilds this architecture."""
        args = {k: list(v) if isinstance(v, tuple) else v for k, v in self._init_args.items()}
        return {"name": self.model_name, **args}

    def make_head(self, num_outputs: int) -> nn.Module:
        """The head for this model's input kind on ``self.num_features`` (the seq2seq models override it)."""
        a = self._init_args
        return head_for_kind(self.kind, self.num_features, num_outputs, ndim=a.get("ndim", 1),
                             board_size=a.get("board_size", (8, 8)), dropout=a.get("dropout", 0.0))

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
        if kind == "tokens":
            return self.check_tokens(x, "x", a["vocab_size"], "(B, L)")
        dims, channel_dim, layout = {
            "image": (4, 1, "(B, C, H, W) float"),
            "sequence": (3, 2, "(B, L, C) float"),
            "field": (a.get("ndim", 1) + 2, 1, "(B, C, X) float" if a.get("ndim", 1) == 1 else "(B, C, X, Y) float"),
            "board": (4, 1, "(B, P, H, W) float planes"),
        }[kind]
        want = f"{self.model_name or type(self).__name__} (built for in_kind={kind!r}) expects {layout}"
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{want}; got {type(x).__name__}")
        if x.dim() != dims:
            raise ValueError(f"{want}; got a {x.dim()}-D tensor of shape {tuple(x.shape)}")
        if not x.is_floating_point():
            raise ValueError(f"{want}; got dtype {x.dtype}")
        if channel_dim is not None and x.shape[channel_dim] != channels:
            raise ValueError(
                f"{want} with {channels} channels (dim {channel_dim}); got shape {tuple(x.shape)}. "
                f"Build it with in_channels={x.shape[channel_dim]} for this data."
            )
        if kind == "board" and tuple(x.shape[2:]) != tuple(a["board_size"]):
            raise ValueError(f"{want} on a {tuple(a['board_size'])} board; got shape {tuple(x.shape)}")

    def check_tokens(self, x: torch.Tensor, name: str, vocab: int, layout: str = "(B, S)") -> None:
        """Raise a clear error unless ``x`` is a tensor of ``layout`` int64 token ids in [0, vocab)."""
        want = (f"{self.model_name or type(self).__name__} (in_kind={self.kind!r}) expects {name} as {layout} int64 "
                f"token ids in [0, {vocab})")
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{want}; got {type(x).__name__}")
        if x.dim() != len(layout.strip("(),").split(", ")):
            raise ValueError(f"{want}; got a {x.dim()}-D tensor of shape {tuple(x.shape)}")
        if x.is_floating_point() or x.is_complex() or x.dtype == torch.bool:
            raise ValueError(f"{want}; got dtype {x.dtype}")
        if x.dim() == 2 and x.shape[1] == 0:
            raise ValueError(f"{want}; got an empty sequence, shape {tuple(x.shape)}")
        if x.numel() and not (torch.compiler.is_compiling() or torch.compiler.is_exporting()):  # traced: no values
            lo, hi = torch.stack(torch.aminmax(x)).tolist()  # one reduction, one device sync (decoding's hot path)
            if lo < 0 or hi >= vocab:
                raise ValueError(f"{want}; got ids from {lo} to {hi}")


def spatial_ndim(kind: str, ndim: int) -> int:
    """How many spatial axes the convolutional families use for an input kind."""
    return {"image": 2, "board": 2, "sequence": 1, "tokens": 1, "field": ndim}[kind]


def head_for_kind(kind: str, in_dim: int, num_outputs: int, *, ndim: int = 1, board_size=(8, 8),
                  dropout: float = 0.0, activation: str = "gelu") -> nn.Module:
    """The head for an input kind: pooled kinds get a linear classifier, grids keep their grid, boards get AlphaZero's
    policy and value heads."""
    if kind == "field":
        return FieldHead(in_dim, num_outputs, ndim, activation=activation)
    if kind == "board":
        return PolicyValueHead(in_dim, num_outputs, tuple(board_size))
    return ClassifierHead(in_dim, num_outputs, dropout)


def build(cls: type[ZooModel], defaults: dict, kwargs: dict) -> ZooModel:
    """Builder helper: variant defaults overridden by user kwargs, with a clear error for unknown names."""
    params = inspect.signature(cls.__init__).parameters
    unknown = [k for k in kwargs if k not in params]
    if unknown:
        accepted = ", ".join(p for p in params if p != "self")
        raise TypeError(f"{cls.__name__} got unknown argument(s) {unknown}; it accepts: {accepted}")
    merged = {**defaults, **kwargs}
    check_model_kwargs(merged, cls.__name__)  # every size within its bound (zoo.trust.bounds), before building
    return cls(**merged)
