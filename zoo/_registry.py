"""Model registry (timm style): a name maps to a builder function plus a little metadata.

Builders live at the bottom of their family's file and are registered with ``@register_model``.
"""

from __future__ import annotations

import difflib
import fnmatch
import inspect
from collections.abc import Callable
from dataclasses import dataclass

import torch.nn as nn

from .errors import UnknownName

# The input kinds a model can be built for; see DESIGN.md ("The zoo contract").
KINDS: dict[str, str] = {
    "image": "(B, C, H, W) float -> logits (B, num_outputs)",
    "sequence": "(B, L, C) float -> (B, num_outputs)",
    "tokens": "(B, L) int64, pad_id marks padding -> (B, num_outputs)",
    "field": "(B, C, X) or (B, C, X, Y) float -> (B, num_outputs, X[, Y]) on the same grid",
    "board": "(B, P, H, W) planes -> (policy logits (B, A), value (B,))",
    "seq2seq": "source (B, S) + target (B, T) int64 -> next-token logits (B, T, V)",
}


@dataclass(frozen=True)
class ModelInfo:
    name: str
    family: str
    kinds: tuple[str, ...]
    builder: Callable[..., nn.Module]
    description: str
    core: bool = True  # one of the course's core families (demo leaderboard, `zoo compare`), not an add-on


_MODELS: dict[str, ModelInfo] = {}


def register_model(fn: Callable | None = None, *, family: str, kinds: tuple[str, ...], core: bool = True):
    """Decorator: register ``fn`` (a builder taking ``**kwargs``) under its function name. ``core=False`` marks an
    add-on family (a wrapper of another library's model) that leaderboards leave out unless asked."""

    def wrap(builder: Callable) -> Callable:
        name = builder.__name__
        if name in _MODELS:
            raise ValueError(f"model {name!r} is already registered (family {_MODELS[name].family!r})")
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"{name}: unknown input kinds {sorted(unknown)}; known: {sorted(KINDS)}")
        doc = (inspect.getdoc(builder) or "").split("\n")[0]
        _MODELS[name] = ModelInfo(name, family, tuple(kinds), builder, doc, core)
        return builder

    return wrap(fn) if fn is not None else wrap


def model_info(name: str) -> ModelInfo:
    if name not in _MODELS:
        close = difflib.get_close_matches(name, _MODELS, n=5, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        # a name the user (or a file) gave: an expected error, and still a KeyError for the code that falls back
        raise UnknownName(f"unknown model {name!r}.{hint} `zoo models` lists all {len(_MODELS)} models.")
    return _MODELS[name]


def list_models(pattern: str = "*", kind: str | None = None, family: str | None = None) -> list[str]:
    """Sorted registered names matching a shell-style ``pattern``, optionally filtered by kind or family."""
    _check_kind(kind)
    return sorted(
        n
        for n, info in _MODELS.items()
        if fnmatch.fnmatch(n, pattern)
        and (kind is None or kind in info.kinds)
        and (family is None or info.family == family)
    )


def list_families(kind: str | None = None, core_only: bool = True) -> list[str]:
    """Families in registration order (cnn, resnet, lstm, ...), optionally only those with a model for ``kind``."""
    names = list_models(kind=kind)
    families = [info.family for info in _MODELS.values() if info.name in names and (info.core or not core_only)]
    return list(dict.fromkeys(families))


def default_model(family: str, kind: str) -> str | None:
    """The model that stands for ``family`` on ``kind`` inputs (leaderboards, depth studies): the family's first
    registered model for that kind, by convention its small variant; None when the family has none for the kind."""
    _check_kind(kind)
    return next((n for n, info in _MODELS.items() if info.family == family and kind in info.kinds), None)


def _check_kind(kind: str | None) -> None:
    if kind is not None and kind not in KINDS:
        close = difflib.get_close_matches(kind, KINDS, n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ValueError(f"unknown input kind {kind!r}; known: {', '.join(KINDS)}.{hint}")


def create_model(name: str, **kwargs) -> nn.Module:
    """Build the registered model ``name``; ``kwargs`` override the variant's defaults.

    ``in_kind`` picks the input kind (default: the first the model claims).
    """
    info = model_info(name)
    kind = kwargs.setdefault("in_kind", info.kinds[0])
    if kind not in info.kinds:
        raise ValueError(f"{name} cannot be built for in_kind={kind!r}; it supports: {', '.join(info.kinds)}")
    model = info.builder(**kwargs)
    model.model_name = name
    return model
