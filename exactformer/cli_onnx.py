"""``check-model FILE.onnx --claim POLY``: the command-line side of the ONNX reader.

(Not a subcommand of its own: ``check-model`` hands a ``.onnx`` file here, and
``export-model --onnx`` calls :func:`export_onnx_file`.)
"""
from __future__ import annotations

import json
import os

from .cli import (EXIT_PROVED, EXIT_REFUTED, UsageError, label_float_reading,
                  limits_from_args, print_evidence, read_input_file, verdict_line)


def is_onnx_path(path: str) -> bool:
    """A model file named ``*.onnx`` is read as an ONNX graph."""
    return isinstance(path, str) and path.lower().endswith(".onnx")


def cmd_check_onnx(args) -> int:
    """Decide the claim on an ONNX graph exactly (exit 0 proved, 1 refuted, 2, 3)."""
    if getattr(args, "rung", "exact") != "exact":
        raise UsageError("an ONNX graph is decided by the exact rung only (no --rung "
                         "schwartz-zippel)")
    if getattr(args, "backend", None) == "flint":
        raise UsageError("the ONNX interpreter uses the sympy backend; --backend flint "
                         "does not apply")
    from .formats.onnx.check import check_graph
    from .formats.onnx.read import read_graph
    limits = limits_from_args(args)
    data = read_input_file(args.model, "model file")
    graph = read_graph(data, os.path.dirname(os.path.abspath(args.model)), limits)
    result = check_graph(graph, args.claim, variables=args.vars, params=args.params,
                         limits=limits, timeout=args.timeout, domain=args.domain,
                         max_denominator=getattr(args, "max_denominator", None))
    summary = result.summary()
    summary["model"] = args.model
    label_float_reading(summary, f"ONNX graph {args.model}: {result.reading}", args)
    summary["float_reading"] = result.reading
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        print(f"model        {args.model}: ONNX graph, {result.nodes} nodes, opset "
              f"{result.opset}, input columns {', '.join(result.inputs) or '(none)'}")
        print(f"weights      every float read as {result.reading}")
        print(f"claim        {summary['target']}")
        print(verdict_line(summary) + summary.get("verdict_about", ""))
        print_evidence(summary)
    return EXIT_PROVED if result.proved else EXIT_REFUTED


def export_onnx_file(model, path: str, dtype: str) -> None:
    """Write ``model`` (an exact IR model, proved) as a standard ONNX graph."""
    from .formats.onnx.write import save_onnx
    save_onnx(model, path, dtype)
