"""``exactformer export-model EXPR --numpy FILE.npz [--torch FILE.pt]``: float exports.

(``exactformer export CERT --coq FILE`` exports a proof certificate; this command
exports the model itself, numerically.) The model is first built and proved exactly;
then its weights are written as float64 arrays of the standard shapes (numpy) and/or
as a torch nn.Module with the same blocks. ``check-model FILE.npz|FILE.pt --claim``
reads an export back (exactly, or by a labelled rational reconstruction) through the one
float-file schema that the float forward pass uses too.
"""
from __future__ import annotations

from pathlib import Path

import json

from . import api
from .cli import (non_negative_int, EXIT_PROVED, EXIT_REFUTED, UsageError, add_common_options,
                  add_construction_option, add_polynomial_argument,
                  add_domain_option, limits_from_args, output_file, verdict_line)
from .errors import ModelFormatError, ParseError


def cmd_export_model(args) -> int:
    if not args.numpy and not args.torch and not args.onnx:
        raise UsageError("give --numpy FILE.npz, --torch FILE.pt and/or --onnx FILE.onnx")
    if args.dtype != "float64" and (args.numpy or args.torch):
        raise UsageError("--dtype float32 applies to --onnx only (.npz and .pt are float64)")
    from .export import arrays_from_model, save_npz
    limits = limits_from_args(args)
    result = api.prove(args.expr, variables=args.vars, params=args.params,
                       construction=args.construction, degree=args.degree, limits=limits,
                       timeout=args.timeout, domain=args.domain)
    if not result.proved:
        raise ParseError(f"the model was not proved ({result.verdict}); nothing exported")
    written = {}
    if args.torch:
        from .export.torch_model import require_torch, save_torchscript
        require_torch()
    if args.onnx:
        from .formats.onnx.read import require_onnx
        require_onnx()
    for path in (args.numpy, args.torch, args.onnx):
        if path and not Path(path).resolve().parent.is_dir():
            raise ParseError(f"cannot write {path!r}: its directory does not exist")
    if args.numpy:
        # numpy.savez appends ".npz" to a name without it: report the file really written
        numpy_path = args.numpy if args.numpy.endswith(".npz") else args.numpy + ".npz"
        save_npz(result.model, numpy_path)
        written["numpy"] = numpy_path
    if args.torch:
        config, arrays = arrays_from_model(result.model)
        save_torchscript(config, arrays, args.torch)
        written["torch"] = args.torch
    if args.onnx:
        from .cli_onnx import export_onnx_file
        export_onnx_file(result.model, args.onnx, args.dtype)
        written["onnx"] = args.onnx
    summary = {**result.summary(), "exported": written, "dtype": args.dtype,
               "note": f"numeric export: each exact weight rounded to the nearest {args.dtype}"}
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        print(verdict_line(summary) + f" for the exact model ({summary['construction']}, "
              f"{summary['blocks']} blocks, width {summary['width']}, "
              f"{summary['tokens']} tokens)")
        for kind, path in written.items():
            dtype = args.dtype if kind == "onnx" else "float64"
            print(f"exported     {path} ({kind}, {dtype}: numerical, not exact)")
    return EXIT_PROVED


def _kind(data: bytes) -> str:
    """'numpy' for an .npz archive, 'torch' for a torch.save zip (sizes checked first)."""
    from .export.float_model import open_zip
    names = open_zip(data, "the model file").namelist()
    if names and all(n.endswith(".npy") for n in names):
        return "numpy"
    if any(n.endswith("data.pkl") for n in names):
        return "torch"
    if any(n.endswith(".npy") for n in names):
        raise ModelFormatError("the .npz archive holds members that are not .npy arrays")
    raise ModelFormatError("the zip archive is neither an .npz nor a torch export")


def read_float_file(data: bytes):
    """(FloatModel, kind) of a float export's bytes: the one validated description that
    both the float forward pass and the exact reading use."""
    kind = _kind(data)
    if kind == "numpy":
        from .export.float_model import read_npz
        return read_npz(data), kind
    from .export.torch_model import read_torch
    return read_torch(data), kind


def reconstruct_model_file(path: str, data: bytes, max_denominator: int | None):
    """(Model, note): a float export read as an exact model, and a note that says how.

    ``max_denominator=None`` reads every float as the exact dyadic rational it stores
    (the verdict is then about the file's floats); an integer replaces each float by the
    nearest rational with at most that denominator, and the note says so and how many
    weights that moved."""
    from .export.float_model import model_from_float
    if max_denominator is not None and (type(max_denominator) is not int
                                        or max_denominator < 1):
        raise ParseError(f"--max-denominator must be a positive integer, got "
                         f"{max_denominator!r}")
    fm, kind = read_float_file(data)
    model, reading = model_from_float(fm, max_denominator)
    note = f"float64 {kind} export {path}: {reading.describe()}"
    return model, note


def register(subparsers) -> None:
    """Add ``export-model`` to the exactformer command line."""
    p = subparsers.add_parser("export-model",
                              help="prove, then export the model as floats (numpy/torch)")
    add_polynomial_argument(p, "target polynomial")
    add_common_options(p)
    add_construction_option(p)
    p.add_argument("--degree", type=non_negative_int, help="build for this degree (>= the target's)")
    add_domain_option(p)
    p.add_argument("--numpy", metavar="FILE.npz", type=output_file(".npz"),
                   help="write float64 arrays (.npz)")
    p.add_argument("--torch", metavar="FILE.pt", type=output_file(),
                   help="write a TorchScript module, loadable with torch.jit.load without "
                        "exactformer (needs exactformer[torch])")
    p.add_argument("--onnx", metavar="FILE.onnx", type=output_file(),
                   help="write a standard ONNX graph (opset 17): input x [batch, d], output "
                        "y [batch] (needs exactformer[onnx])")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="float type of the ONNX export (default float64)")
    p.set_defaults(func=cmd_export_model)
