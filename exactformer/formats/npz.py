"""The .npz file of a float model: numpy's zip of .npy arrays plus the configuration as
JSON text under ``__config__``. What the entries mean is :mod:`exactformer.floats.schema`;
this module only moves them in and out of the file, reading every .npy header by hand
(no pickles, nothing allocated before the header is checked against the bytes)."""
from __future__ import annotations

import io
import json
import math
import os
import struct
from typing import Any

import numpy as np

from ..errors import ModelFormatError
from ..floats.forward import arrays_from_model
from ..floats.schema import FloatConfig, FloatModel, parse_float_file
from ..model import Model
from .zip_archive import _ZIP_ERRORS, _one_line, open_zip

def save_npz(model: Model, path: str | os.PathLike[str]) -> FloatConfig:
    """Write the float64 export as .npz (config as JSON text under ``__config__``)."""
    config, arrays = arrays_from_model(model)
    # numpy's stub types **kwds like its allow_pickle flag; here they are the entries
    np.savez(path, __config__=np.array(json.dumps(config, sort_keys=True)),
             **arrays)  # type: ignore[arg-type]
    return config


def _read_npy(raw: bytes, name: str) -> np.ndarray:
    """One .npy member, parsed by hand so that nothing is allocated before the header's
    shape and dtype are checked against the bytes really present (no pickles, ever)."""
    f = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except (ValueError, SyntaxError, TypeError, EOFError, struct.error) as exc:
        raise ModelFormatError(f"float file entry {name}: not a readable .npy array: "
                               f"{_one_line(exc)}") from None
    if dtype.hasobject or dtype.kind not in "fbU" or dtype.fields is not None \
            or dtype.subdtype is not None:
        raise ModelFormatError(f"float file entry {name}: dtype {dtype} is not allowed "
                               "(weights are floats, masks booleans; no objects)")
    if any(int(s) < 0 for s in shape):
        raise ModelFormatError(f"float file entry {name}: header has a negative dimension "
                               f"in shape {shape}")
    count = math.prod(int(s) for s in shape)
    if count * dtype.itemsize != len(raw) - f.tell():
        raise ModelFormatError(f"float file entry {name}: header says shape {shape} of "
                               f"{dtype} ({count * dtype.itemsize} bytes) but "
                               f"{len(raw) - f.tell()} bytes follow (truncated or padded)")
    a = np.frombuffer(raw, dtype=dtype, count=count, offset=f.tell())
    return a.reshape(shape, order="F" if fortran else "C").copy()


def load_npz(data: bytes) -> tuple[Any, dict[str, np.ndarray]]:
    """(config, arrays) from the bytes of an .npz export, unvalidated (see
    :func:`read_npz`). Only float/bool/text arrays are read; no pickles are loaded."""
    zf = open_zip(data, "the .npz file")
    arrays: dict[str, np.ndarray] = {}
    for info in zf.infolist():
        if not info.filename.endswith(".npy"):
            raise ModelFormatError(f"float file entry {info.filename[:60]!r}: the .npz "
                                   "holds a member that is not an .npy array")
        name = info.filename[:-4]
        try:
            raw = zf.read(info)
        except _ZIP_ERRORS as exc:
            raise ModelFormatError(f"float file entry {name}: cannot be unpacked: "
                                   f"{_one_line(exc)}") from None
        arrays[name] = _read_npy(raw, name)
    if "__config__" not in arrays:
        raise ModelFormatError("the .npz file has no __config__ entry: not an exactformer export")
    text = arrays.pop("__config__")
    if text.dtype.kind != "U" or text.shape != ():
        raise ModelFormatError("float file entry __config__: must be one JSON text")
    for name, a in arrays.items():
        if a.dtype.kind == "U":
            raise ModelFormatError(f"float file entry {name}: holds text, not numbers")
    try:
        config = json.loads(str(text[()]))
    except ValueError as exc:
        raise ModelFormatError(f"float file entry __config__: not valid JSON: "
                               f"{_one_line(exc)}") from None
    except RecursionError:
        raise ModelFormatError("float file entry __config__: not valid JSON: nested too "
                               "deeply") from None
    return config, arrays


def read_npz(data: bytes) -> FloatModel:
    """The validated :class:`FloatModel` an .npz file means."""
    return parse_float_file(*load_npz(data))
