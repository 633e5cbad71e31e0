"""A float export (.npz or TorchScript .pt) read as an exact model: which of the two
a zip archive is, the one validated description of it, and its exact reading."""
from __future__ import annotations

from ..errors import ModelFormatError, ParseError
from ..floats.forward import model_from_float
from ..floats.schema import FloatModel
from ..model import Model
from .npz import read_npz
from .zip_archive import open_zip



def _kind(data: bytes) -> str:
    """'numpy' for an .npz archive, 'torch' for a torch.save zip (sizes checked first)."""
    names = open_zip(data, "the model file").namelist()
    if names and all(n.endswith(".npy") for n in names):
        return "numpy"
    if any(n.endswith("data.pkl") for n in names):
        return "torch"
    if any(n.endswith(".npy") for n in names):
        raise ModelFormatError("the .npz archive holds members that are not .npy arrays")
    raise ModelFormatError("the zip archive is neither an .npz nor a torch export")


def read_float_file(data: bytes) -> tuple[FloatModel, str]:
    """(FloatModel, kind) of a float export's bytes: the one validated description that
    both the float forward pass and the exact reading use."""
    kind = _kind(data)
    if kind == "numpy":
        return read_npz(data), kind
    from .torchscript import read_torch  # imports torch: only for a torch file
    return read_torch(data), kind


def reconstruct_model_file(path: str, data: bytes,
                           max_denominator: int | None) -> tuple[Model, str]:
    """(Model, note): a float export read as an exact model, and a note that says how.

    ``max_denominator=None`` reads every float as the exact dyadic rational it stores
    (the verdict is then about the file's floats); an integer replaces each float by the
    nearest rational with at most that denominator, and the note says so and how many
    weights that moved."""
    if max_denominator is not None and (type(max_denominator) is not int
                                        or max_denominator < 1):
        raise ParseError(f"--max-denominator must be a positive integer, got "
                         f"{max_denominator!r}")
    fm, kind = read_float_file(data)
    model, reading = model_from_float(fm, max_denominator)
    note = f"float64 {kind} export {path}: {reading.describe()}"
    return model, note
