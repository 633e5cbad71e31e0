"""``exactformer export-model EXPR --numpy FILE.npz | --torch FILE.pt | --onnx FILE.onnx``:
prove the model exactly, then write its weights as floats (numerical, not exact).
``check-model`` reads any of these back (exactly, or by a labelled rounding)."""
from __future__ import annotations

import argparse
from pathlib import Path

from .. import api
from ..errors import ParseError
from ..floats import arrays_from_model
from ..formats.npz import save_npz
from .common import (EXIT_PROVED, UsageError, add_common_options, add_construction_option,
                     add_domain_option, add_polynomial_argument, limits_from_args,
                     non_negative_int, output_file, print_json, verdict_line)



NAME = "export-model"


EXAMPLES = ('exactformer export-model "x**2*y - 1/3" --numpy m.npz',
            'exactformer export-model "x**2*y - 1/3" --onnx m.onnx --dtype float32')


def cmd_export_model(args: argparse.Namespace) -> int:
    if not args.numpy and not args.torch and not args.onnx:
        raise UsageError("give --numpy FILE.npz, --torch FILE.pt and/or --onnx FILE.onnx")
    if args.dtype != "float64" and (args.numpy or args.torch):
        raise UsageError("--dtype float32 applies to --onnx only (.npz and .pt are float64)")
    limits = limits_from_args(args)
    result = api.prove(args.expr, variables=args.vars, params=args.params,
                       construction=args.construction, degree=args.degree, limits=limits,
                       timeout=args.timeout, domain=args.domain)
    if not result.proved:
        raise ParseError(f"the model was not proved ({result.verdict}); nothing exported")
    written = {}
    if args.torch:
        from ..formats.torchscript import require_torch, save_torchscript
        require_torch()
    if args.onnx:
        from ..formats.onnx.read import require_onnx
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
        from ..formats.onnx.write import save_onnx
        save_onnx(result.model, args.onnx, args.dtype)
        written["onnx"] = args.onnx
    summary = {**result.summary(), "exported": written, "dtype": args.dtype,
               "export_note": f"numeric export: each exact weight rounded to the nearest "
                              f"{args.dtype}"}
    if args.json:
        print_json(summary)
    else:
        print(verdict_line(summary) + f" for the exact model ({summary['construction']}, "
              f"{summary['blocks']} blocks, width {summary['width']}, "
              f"{summary['tokens']} tokens)")
        for kind, path in written.items():
            dtype = args.dtype if kind == "onnx" else "float64"
            print(f"exported     {path} ({kind}, {dtype}: numerical, not exact)")
    return EXIT_PROVED


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``export-model``."""
    p = sub.add_parser(NAME,
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
