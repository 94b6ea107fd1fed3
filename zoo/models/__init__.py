"""Importing this package registers every model family."""

from . import cnn, lstm, lstm_seq2seq, marian, resnet, torchvision_resnet, transformer, transformer_seq2seq  # noqa: F401
