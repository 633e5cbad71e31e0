"""Every file format exactformer reads or writes, one module (or package) each.

=====================  ==========================================  =====================
format                 module                                      read / write
=====================  ==========================================  =====================
exactformer-model/1    :mod:`.model_json` (the exact IR as JSON)    loads / dumps
float export .npz      :mod:`.npz`                                  read_npz / save_npz
TorchScript .pt        :mod:`.torchscript`                          read_torch /
                                                                    save_torchscript
either float export    :mod:`.float_files` (which one, and its      reconstruct_model_file
                       exact reading)
ONNX graph             :mod:`.onnx` (read, interpret, check, write) read_graph / save_onnx
certificate/1 JSON     :mod:`.certificate`                          load_certificate /
                                                                    write_certificate
Coq proof .v           :mod:`.coq` (unrolled equations, or the      export_coq /
                       generic construction-A theorem)              export_coq_masked
=====================  ==========================================  =====================

What a float file MEANS is defined once, in :mod:`exactformer.floats.schema`; what a
model computes is defined once, by :mod:`exactformer.engine` on the IR of
:mod:`exactformer.model`: every reader produces that IR (or, for ONNX, runs the graph
with the same exact arithmetic). The independent checker (:mod:`exactformer.checker`)
reads certificates with its own small standard-library reader on purpose.

:func:`load_model_bytes` is where a model file enters: exact JSON, or a float export.
"""
from __future__ import annotations

from ..limits import DEFAULT_LIMITS, Limits
from ..model import Model


def load_model_bytes(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS,
                     max_denominator: int | None = None) -> tuple[Model, str | None]:
    """(model, how its floats were read or None) of the bytes of a model file: a zip
    archive is a float export (.npz / .pt), read exactly unless ``max_denominator`` asks
    for the labelled rounding; anything else is exactformer-model/1 JSON."""
    if data[:2] == b"PK":
        from .float_files import reconstruct_model_file
        return reconstruct_model_file(name, data, max_denominator)
    from .model_json import loads
    return loads(data, limits), None


__all__ = ["load_model_bytes"]
