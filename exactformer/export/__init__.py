"""Float exports of a model (numpy .npz, torch nn.Module) and the way back.

An export is NUMERIC: every exact rational weight becomes the nearest float64. Reading
an export back goes through rational reconstruction (each float -> the nearest
fraction with a bounded denominator), and what is then checked is that reconstructed
rational model, never a claim about the original's exact weights.
"""
from .float_model import (FLOAT_FORMAT, arrays_from_model, float_forward, load_npz,
                          model_from_arrays, save_npz)

__all__ = ["FLOAT_FORMAT", "arrays_from_model", "float_forward", "load_npz", "save_npz",
           "model_from_arrays"]
