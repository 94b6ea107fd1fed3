"""zoo: one registry of model families (CNN, ResNet, LSTM, Transformer, ...) behind one small interface."""

from . import models  # noqa: F401  (registers the families)
from ._hub import from_pretrained, save_pretrained
from ._registry import KINDS, create_model, list_models, model_info, register_model
from .init import init_weights

__all__ = ["KINDS", "create_model", "from_pretrained", "init_weights", "list_models", "model_info", "register_model",
           "save_pretrained"]
__version__ = "0.1.0"
