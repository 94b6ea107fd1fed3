"""zoo: one registry of model families (CNN, ResNet, LSTM, Transformer, ...) behind one small interface.

Three layers. This package is the library core a user imports: the registry (``_registry``), the families
(``models/``), ``layers``, ``init``, ``decoding``, the training base ``task.ZooTask``, ``callbacks``, safe
``checkpoint`` I/O, model folders (``_hub``), what files may hold and where commands write (``trust``, ``errors``).
``zoo.runtime`` is the `zoo` command that runs apps; ``zoo.lessons`` holds the course's lessons as tools. The core imports
neither of them, and nothing in ``zoo`` imports an app.
"""

from . import models  # noqa: F401  (registers the families)
from ._hub import from_pretrained, save_pretrained
from ._registry import KINDS, create_model, list_families, list_models, model_info, register_model
from .init import init_weights

__all__ = ["KINDS", "create_model", "from_pretrained", "init_weights", "list_families", "list_models", "model_info",
           "register_model", "save_pretrained"]
__version__ = "0.1.0"
