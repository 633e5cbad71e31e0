"""``exactformer export-model EXPR --numpy FILE.npz [--torch FILE.pt]``: float exports.

(``exactformer export CERT --coq FILE`` exports a proof certificate; this command
exports the model itself, numerically.) The model is first built and proved exactly;
then its weights are written as float64 arrays of the standard shapes (numpy) and/or
as a torch nn.Module with the same blocks. ``check-model FILE.npz|FILE.pt --claim``
reads an export back by rational reconstruction and says so.
"""
from __future__ import annotations

from pathlib import Path

import io
import json
import zipfile

from . import api
from .cli import (non_negative_int, EXIT_PROVED, EXIT_REFUTED, UsageError, add_common_options,
                  add_domain_option, limits_from_args, verdict_line)
from .errors import ModelFormatError, ParseError


def cmd_export_model(args) -> int:
    if not args.numpy and not args.torch:
        raise UsageError("give --numpy FILE.npz and/or --torch FILE.pt")
    from .export import arrays_from_model, save_npz
    limits = limits_from_args(args)
    result = api.prove(args.expr, variables=args.vars, params=args.params,
                       construction=args.construction, degree=args.degree, limits=limits,
                       timeout=args.timeout, domain=args.domain)
    if not result.proved:
        raise ParseError(f"the model was not proved ({result.verdict}); nothing exported")
    written = {}
    if args.torch:
        from .export.torch_model import require_torch, save_torch
        require_torch()
    for path in (args.numpy, args.torch):
        if path and not Path(path).resolve().parent.is_dir():
            raise ParseError(f"cannot write {path!r}: its directory does not exist")
    if args.numpy:
        # numpy.savez appends ".npz" to a name without it: report the file really written
        numpy_path = args.numpy if args.numpy.endswith(".npz") else args.numpy + ".npz"
        save_npz(result.model, numpy_path)
        written["numpy"] = numpy_path
    if args.torch:
        config, arrays = arrays_from_model(result.model)
        save_torch(config, arrays, args.torch)
        written["torch"] = args.torch
    summary = {**result.summary(), "exported": written, "dtype": "float64",
               "note": "numeric export: each exact weight rounded to the nearest float64"}
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        print(verdict_line(summary) + f" for the exact model ({summary['construction']}, "
              f"{summary['blocks']} blocks, width {summary['width']}, "
              f"{summary['tokens']} tokens)")
        for kind, path in written.items():
            print(f"exported     {path} ({kind}, float64: numerical, not exact)")
    return EXIT_PROVED


def _kind(data: bytes) -> str:
    """'numpy' for an .npz archive, 'torch' for a torch.save zip."""
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        raise ModelFormatError("the model file is neither JSON nor a readable zip archive") \
            from None
    if any(n.endswith(".npy") for n in names):
        return "numpy"
    if any(n.endswith("data.pkl") for n in names):
        return "torch"
    raise ModelFormatError("the zip archive is neither an .npz nor a torch export")


def reconstruct_model_file(path: str, data: bytes, max_denominator: int):
    """(Model, note): a float export read back by rational reconstruction. The note
    says so; the exact weights of the original are NOT recovered by this, only the
    nearest small-denominator rationals, and those are what gets checked."""
    from .export import model_from_arrays
    from .export.float_model import load_npz
    if max_denominator is None or max_denominator < 1:
        raise UsageError("--max-denominator must be a positive integer")
    kind = _kind(data)
    if kind == "numpy":
        config, arrays = load_npz(data)
    else:
        from .export.torch_model import load_torch, module_arrays
        module = load_torch(io.BytesIO(data))
        config, arrays = module.config, module_arrays(module)
    model = model_from_arrays(config, arrays, max_denominator)
    note = (f"rational reconstruction of the float64 {kind} export {path} "
            f"(Fraction.limit_denominator({max_denominator}), continued fractions): the "
            "verdict is about these reconstructed rationals, not exact provenance of the "
            "original model")
    return model, note


def register(subparsers) -> None:
    """Add ``export-model`` to the exactformer command line."""
    p = subparsers.add_parser("export-model",
                              help="prove, then export the model as floats (numpy/torch)")
    p.add_argument("expr", help="target polynomial")
    add_common_options(p)
    p.add_argument("--construction", default="masked",
                   help="masked | softmax | relu | logdepth (default masked)")
    p.add_argument("--degree", type=non_negative_int, help="build for this degree (>= the target's)")
    add_domain_option(p)
    p.add_argument("--numpy", metavar="FILE.npz", help="write float64 arrays (.npz)")
    p.add_argument("--torch", metavar="FILE.pt",
                   help="write a torch nn.Module state (needs exactformer[torch])")
    p.set_defaults(func=cmd_export_model)
