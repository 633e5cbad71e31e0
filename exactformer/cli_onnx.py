"""``check-model FILE.onnx --claim POLY``: the command-line side of the ONNX reader.

(Not a subcommand of its own: ``check-model`` hands a ``.onnx`` file here, and
``export-model --onnx`` calls :func:`export_onnx_file`.)
"""
from __future__ import annotations

import json
import os

from .cli import (EXIT_PROVED, EXIT_REFUTED, UsageError, _one_line, label_float_reading,
                  limits_from_args, print_evidence, read_input_file, verdict_line)
from .errors import NotAPolynomial, NotExact


def is_onnx_path(path: str) -> bool:
    """A model file named ``*.onnx`` is read as an ONNX graph."""
    return isinstance(path, str) and path.lower().endswith(".onnx")


def cmd_check_onnx(args) -> int:
    """Decide the claim on an ONNX graph exactly (exit 0 proved, 1 refuted, 2, 3), or
    with ``--rung mpmath`` / ``--fallback mpmath`` by interval evaluation (exit 1 or 5)."""
    rung = getattr(args, "rung", "exact")
    if rung not in ("exact", "mpmath"):
        raise UsageError("an ONNX graph is decided by the exact rung or --rung mpmath (no "
                         "--rung schwartz-zippel)")
    if getattr(args, "backend", None) == "flint":
        raise UsageError("the ONNX interpreter uses the sympy backend; --backend flint "
                         "does not apply")
    if rung == "mpmath" and getattr(args, "fallback", None):
        raise UsageError("--fallback mpmath goes with the exact rung (it is tried first), "
                         "not with --rung mpmath")
    from .formats.onnx.check import check_graph
    from .formats.onnx.read import read_graph
    limits = limits_from_args(args)
    data = read_input_file(args.model, "model file")
    graph = read_graph(data, os.path.dirname(os.path.abspath(args.model)), limits)
    if rung == "mpmath":
        return cmd_check_onnx_numerical(args, graph, data, limits)
    from .cli_scale import check_exact_rung_options
    check_exact_rung_options(args)
    try:
        result = check_graph(graph, args.claim, variables=args.vars, params=args.params,
                             limits=limits, timeout=args.timeout, domain=args.domain,
                             max_denominator=getattr(args, "max_denominator", None))
    except (NotExact, NotAPolynomial) as exc:
        if getattr(args, "fallback", None) != "mpmath":
            raise
        return cmd_check_onnx_numerical(args, graph, data, limits,
                                        fallback_reason=_one_line(exc))
    summary = result.summary()
    summary["model"] = args.model
    if getattr(args, "fallback", None):
        summary["decided_by"] = "exact (no fallback needed)"
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


def cmd_check_onnx_numerical(args, graph, data: bytes, limits,
                             fallback_reason: str | None = None) -> int:
    """``check-model FILE.onnx --rung mpmath``: the graph run in interval mode at exact
    rational points; the report, outcomes and exit codes of the mpmath rung."""
    import time
    from .cli_numerical import check_args, deadline_of, report
    from .formats.onnx.numerical import batch_sizes, verify_graph_numerically
    check_args(args, fallback_reason)
    start = time.perf_counter()
    max_denominator = getattr(args, "max_denominator", None)
    result = verify_graph_numerically(graph, args.claim, data, box=args.domain,
                                      points=args.points, dps=args.dps, seed=args.seed,
                                      variables=args.vars, params=args.params, limits=limits,
                                      deadline=deadline_of(args),
                                      max_denominator=max_denominator)
    reading = ("exact dyadic rationals" if max_denominator is None
               else f"rounded to denominators <= {max_denominator}")
    summary = {"model": args.model, "claim": args.claim, "format": "onnx",
               "nodes": len(graph.nodes), "opset": graph.opset,
               "batch_sizes": list(batch_sizes(graph, limits)),
               "seconds": round(time.perf_counter() - start, 4)}
    label_float_reading(summary, f"ONNX graph {args.model}: {reading}", args)
    summary["float_reading"] = reading
    if fallback_reason is None:
        summary["decided_by"] = "mpmath"
    if not args.json:
        print(f"model        {args.model}: ONNX graph, {len(graph.nodes)} nodes, opset "
              f"{graph.opset}, run in interval mode (mpmath.iv, {args.dps} digits)")
    return report(summary, result, args, fallback_reason)


def export_onnx_file(model, path: str, dtype: str) -> None:
    """Write ``model`` (an exact IR model, proved) as a standard ONNX graph."""
    from .formats.onnx.write import save_onnx
    save_onnx(model, path, dtype)
