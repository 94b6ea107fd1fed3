"""Importing this package registers every model family."""

from . import (  # noqa: F401
    cnn,
    fno,
    lstm,
    lstm_seq2seq,
    marian,
    resnet,
    torchvision_resnet,
    transformer,
    transformer_seq2seq,
)
