"""The model IR: exact matrices, masks, blocks and readout (their JSON form is
:mod:`exactformer.formats.model_json`)."""
from .ir import Attention, Block, Embedding, FeedForward, Model, Readout
from .matrix import ExactMatrix, Mask

__all__ = ["Attention", "Block", "Embedding", "FeedForward", "Model", "Readout",
           "ExactMatrix", "Mask"]
