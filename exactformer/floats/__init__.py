"""Float exports of a model (numpy .npz, torch nn.Module) and the way back.

An export is NUMERIC: every exact rational weight becomes the nearest float64. What a
float file means is defined once (:mod:`.schema`); the reader, the numpy forward pass
and the torch module all use that definition. Reading floats back as rationals is
either exact (each float is the dyadic rational it stores) or an explicitly labelled
rational reconstruction (nearest fraction with a bounded denominator).
"""
from .forward import (FLOAT_FORMAT, Reading, arrays_from_model, float_forward,
                      float_model_from_model, model_from_arrays, model_from_float, run_float)
from .schema import FloatModel, parse_float_file

__all__ = ["FLOAT_FORMAT", "FloatModel", "Reading", "arrays_from_model", "float_forward",
           "float_model_from_model", "model_from_arrays", "model_from_float",
           "parse_float_file", "run_float"]
