"""The model IR: exact matrices, masks, blocks, readout, and their JSON form."""
from .ir import Attention, Block, Embedding, FeedForward, Model, Readout
from .matrix import ExactMatrix, Mask
from .serialize import dumps, loads, model_from_json, model_to_json

__all__ = ["Attention", "Block", "Embedding", "FeedForward", "Model", "Readout",
           "ExactMatrix", "Mask", "dumps", "loads", "model_from_json", "model_to_json"]
