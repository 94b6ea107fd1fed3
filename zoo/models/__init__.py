"""Importing this package registers every model family, in the order tables list them (the course's order)."""
# ruff: noqa: I001  (the order is the families' display order, see zoo.list_families)

from . import cnn, resnet, lstm, transformer, fno  # noqa: F401  (core families)
from . import lstm_seq2seq, transformer_seq2seq  # noqa: F401
from . import torchvision_resnet, marian  # noqa: F401  (add-ons wrapping other libraries' models)
