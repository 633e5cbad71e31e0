"""``exactformer check-model FILE --claim POLY``: does a model file (exactformer JSON,
a float export .npz/.pt, or any ONNX graph) compute the claimed polynomial? Exit 0
proved exactly, 1 refuted, 5 agreement on a sampling rung (not a proof)."""
from __future__ import annotations

import argparse
import os
import time
from typing import TYPE_CHECKING, Any

from .. import api
from ..errors import NotAPolynomial, NotExact
from ..limits import Limits
from ..model.parameters import parameters_line
from ..verify.numerical import verify_numerically
from ..verify.schwartz_zippel import verify_schwartz_zippel
from .common import (EXIT_PROVED, EXIT_REFUTED, UsageError, add_common_options,
                     add_domain_option, add_rung_options, bounded_int,
                     check_exact_rung_options, check_numerical_args, check_probabilistic_args,
                     deadline_of, fallback_applies, label_float_reading, limits_from_args,
                     load_model_file, loaded_summary, one_line, print_evidence, print_json,
                     read_input_file, report_numerical, report_probabilistic, verdict_line)

if TYPE_CHECKING:
    from ..formats.onnx.read import Graph



NAME = "check-model"


EXAMPLES = ('exactformer check-model m.json --claim "x**2 - y"',
            "exactformer check-model m.onnx --claim-file claim.txt --json",
            'exactformer check-model m.json --claim "sigmoid(x)" --rung mpmath')


def cmd_check_model(args: argparse.Namespace) -> int:
    if is_onnx_path(args.model):  # an ONNX graph: executed exactly, see formats/onnx
        return cmd_check_onnx(args)
    rung = getattr(args, "rung", "exact")
    if rung == "mpmath":
        return cmd_check_model_numerical(args)
    if rung != "exact":
        return cmd_check_model_probabilistic(args)
    check_exact_rung_options(args)
    limits = limits_from_args(args)
    model, reconstruction = load_model_file(args, limits)
    try:
        result = api.check_model(model, args.claim, variables=args.vars, params=args.params,
                                 limits=limits, timeout=args.timeout, domain=args.domain)
    except (NotExact, NotAPolynomial) as exc:
        if not fallback_applies(args, exc):
            raise
        return cmd_check_model_numerical(args, fallback_reason=one_line(exc))
    summary = result.summary()
    summary["model"] = args.model
    label_float_reading(summary, reconstruction, args)
    if args.json:
        print_json(summary)
    else:
        print(f"model        {args.model}: {model!r}")
        if reconstruction:
            print(f"weights      {reconstruction}")
        print(f"claim        {summary['target']}")
        print(f"all numbers  {parameters_line(summary['parameters'])}")
        print(verdict_line(summary) + summary.get("verdict_about", ""))
        print_evidence(summary)
    return EXIT_PROVED if result.proved else EXIT_REFUTED


def cmd_check_model_probabilistic(args: argparse.Namespace) -> int:
    """``check-model FILE --claim TEXT --rung schwartz-zippel``: the claim is evaluated
    as a tree at each point, never expanded (it may be far too big to expand)."""
    check_probabilistic_args(args)
    limits = limits_from_args(args)
    start = time.perf_counter()
    deadline = time.monotonic() + args.timeout if args.timeout else None
    model, reconstruction = load_model_file(args, limits)
    result = verify_schwartz_zippel(model, args.claim, points=args.points, seed=args.seed,
                                    limits=limits, deadline=deadline, variables=args.vars,
                                    params=args.params)
    return report_probabilistic(loaded_summary(args, model, reconstruction, start), result, args.json)


def cmd_check_model_numerical(args: argparse.Namespace, fallback_reason: str | None = None) -> int:
    """``check-model FILE --claim TEXT --rung mpmath``: the claim may be any expression
    of exp, log, sqrt, sin, cos, tanh, sigmoid and the field operations."""
    check_numerical_args(args, fallback_reason)
    limits = limits_from_args(args)
    start = time.perf_counter()
    model, reconstruction = load_model_file(args, limits)
    result = verify_numerically(model, args.claim, box=args.domain, points=args.points,
                                dps=args.dps, seed=args.seed, variables=args.vars,
                                params=args.params, limits=limits, deadline=deadline_of(args))
    return report_numerical(loaded_summary(args, model, reconstruction, start), result, args,
                            fallback_reason)


def is_onnx_path(path: str) -> bool:
    """A model file named ``*.onnx`` is read as an ONNX graph."""
    return isinstance(path, str) and path.lower().endswith(".onnx")


def cmd_check_onnx(args: argparse.Namespace) -> int:
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
    from ..formats.onnx.check import check_graph
    from ..formats.onnx.read import read_graph
    limits = limits_from_args(args)
    data = read_input_file(args.model, "model file")
    graph = read_graph(data, os.path.dirname(os.path.abspath(args.model)), limits)
    if rung == "mpmath":
        return cmd_check_onnx_numerical(args, graph, data, limits)
    check_exact_rung_options(args)
    try:
        result = check_graph(graph, args.claim, variables=args.vars, params=args.params,
                             limits=limits, timeout=args.timeout, domain=args.domain,
                             max_denominator=getattr(args, "max_denominator", None))
    except (NotExact, NotAPolynomial) as exc:
        if getattr(args, "fallback", None) != "mpmath":
            raise
        return cmd_check_onnx_numerical(args, graph, data, limits,
                                        fallback_reason=one_line(exc))
    summary = result.summary()
    summary["model"] = args.model
    if getattr(args, "fallback", None):
        summary["decided_by"] = "exact (no fallback needed)"
    label_float_reading(summary, f"ONNX graph {args.model}: {result.reading}", args)
    summary["float_reading"] = result.reading
    if args.json:
        print_json(summary)
    else:
        print(f"model        {args.model}: ONNX graph, {result.nodes} nodes, opset "
              f"{result.opset}, input columns {', '.join(result.inputs) or '(none)'}")
        print(f"weights      every float read as {result.reading}")
        print(f"claim        {summary['target']}")
        print(verdict_line(summary) + summary.get("verdict_about", ""))
        print_evidence(summary)
    return EXIT_PROVED if result.proved else EXIT_REFUTED


def cmd_check_onnx_numerical(args: argparse.Namespace, graph: Graph, data: bytes,
                             limits: Limits, fallback_reason: str | None = None) -> int:
    """``check-model FILE.onnx --rung mpmath``: the graph run in interval mode at exact
    rational points; the report, outcomes and exit codes of the mpmath rung."""
    from ..formats.onnx.numerical import batch_sizes, verify_graph_numerically
    check_numerical_args(args, fallback_reason)
    start = time.perf_counter()
    max_denominator = getattr(args, "max_denominator", None)
    result = verify_graph_numerically(graph, args.claim, data, box=args.domain,
                                      points=args.points, dps=args.dps, seed=args.seed,
                                      variables=args.vars, params=args.params, limits=limits,
                                      deadline=deadline_of(args),
                                      max_denominator=max_denominator)
    reading = ("exact dyadic rationals" if max_denominator is None
               else f"rounded to denominators <= {max_denominator}")
    summary: dict[str, Any] = {"model": args.model, "claim": args.claim, "format": "onnx",
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
    return report_numerical(summary, result, args, fallback_reason)


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``check-model``."""
    p = sub.add_parser(NAME, help="check a model file (JSON, .npz, .pt, .onnx) against a "
                                  "claimed polynomial")
    p.add_argument("model", help="model file (exactformer-model/1 JSON, a float export "
                                 ".npz/.pt, or any ONNX graph FILE.onnx)")
    p.add_argument("--claim", help='the polynomial the model should compute ("-": read it '
                                   "from stdin)")
    p.add_argument("--claim-file", metavar="PATH", dest="claim_file",
                   help="read the claim from a file")
    add_domain_option(p)
    p.add_argument("--max-denominator", type=bounded_int(1, 2**2048, "2**2048"), default=None,
                   dest="max_denominator", metavar="N",
                   help="for a float file (.npz/.pt): by default every float is read as the "
                        "exact dyadic rational it stores, so the verdict is about the file; "
                        "with N, each weight is first ROUNDED to the nearest rational with "
                        "denominator <= N (an explicit reconstruction, labelled in the output: "
                        "the verdict is then about the rounded model, not the file)")
    add_common_options(p)
    add_rung_options(p)
    p.set_defaults(func=cmd_check_model)
