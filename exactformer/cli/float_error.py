"""``exactformer float-error FILE --claim POLY --domain BOX --precision float32|float64``.

Prints a certified upper bound on sup over float x in BOX of |y_float(x) - p(x)| for
the model in FILE run in that IEEE precision (numpy, PyTorch, onnxruntime alike: any
summation order, with or without FMA), and the worst error of numpy runs at sampled
points, labelled as evidence. FILE is an exactformer JSON model (its exact weights are
rounded to the precision first, ties to even, exactly) or a float export (.npz, .pt),
read exactly. ONNX graphs (.onnx) are not supported yet: refused, exit 2.

Exit 0: a bound is certified (also when the exact model does not equal the claim: the
bound then includes the exact gap, and the output says the model is refuted). 2: bad
input (or an exact model that is not one polynomial on the box). 3: a limit (time,
size, or an overflow of the precision that cannot be excluded). 4: the sampled error
exceeded the bound (a bug; nothing is claimed)."""
from __future__ import annotations

import argparse

from ..errors import ParseError
from ..float_certify import box_in_model_order, certify_float_error
from ..floats.forward import float_model_from_model
from ..poly.box import parse_box
from ..verify.precision import precision_named
from .common import (EXIT_PROVED, add_json_option, add_limit_options, bounded_int,
                     label_float_reading, limits_from_args, load_model_file, print_json)



NAME = "float-error"


EXAMPLES = ('exactformer float-error m.json --claim "x**2*y - 1/3" --domain "[-1,1]^2" --precision float32',)


MAX_SAMPLES = 1_000_000


def _refuse_onnx(path: str) -> None:
    if path.lower().endswith(".onnx"):
        raise ParseError(f"{path!r}: ONNX graphs are not supported by float-error yet; give "
                         "an exactformer JSON model or a float export (.npz, .pt)")


def cmd_float_error(args: argparse.Namespace) -> int:
    _refuse_onnx(args.model)
    precision = precision_named(args.precision)
    limits = limits_from_args(args)
    ref, reading = load_model_file(args, limits)
    order = None
    if args.vars is not None:
        order = [v.strip() for v in args.vars.split(",") if v.strip()]
    box = box_in_model_order(parse_box(args.domain, len(ref.variables)), order, ref)
    # a float file is run as stored (numpy converts it to the precision); a JSON model
    # is run with its weights rounded to the precision
    observed = float_model_from_model(ref) if reading else None
    # an InternalContradiction (the sampled error above the bound) exits 4 in main
    result = certify_float_error(ref, args.claim, box, precision, observed_model=observed,
                                 samples=args.samples, seed=args.seed, limits=limits,
                                 timeout=args.timeout)
    summary = result.summary()
    summary["model"] = args.model
    summary["weights"] = (reading or f"exact model (JSON); each weight rounded to the "
                          f"nearest {precision.name} (ties to even, exact rational "
                          "arithmetic) for the float run")
    label_float_reading(summary, reading, args)
    if args.json:
        print_json(summary)
        return EXIT_PROVED
    exact = summary["exact_model"]
    same = ("the exact model equals the claim (" + exact["rung"] + "): the whole bound is "
            "float rounding and weight storage" if exact["equals_claim"] else
            "REFUTED: the exact model does NOT equal the claim; the bound includes the "
            f"exact gap <= {summary['exact_gap_bound']}")
    ratio = summary["bound_over_sampled"]
    rows = [("model", f"{args.model}: {ref!r}"), ("weights", summary["weights"]),
            ("claim", _short(summary["claim"], 160)), ("domain", summary["domain"]),
            ("precision", precision.name),
            ("error bound", f"sup |y_float - p| <= {summary['error_bound']} (certified; "
                            f"exact rational {_short(summary['error_bound_exact'])})"),
            ("  parts", f"float forward pass and stored weights <= "
                        f"{summary['forward_error_bound']}; exact gap <= "
                        f"{summary['exact_gap_bound']}"),
            ("exact model", same),
            ("sampled", f"max |y_float - p| = {summary['sampled_max_error']:.4g} at "
                        f"{summary['sampled_points']} points (numpy; evidence, not a bound)"
                        + (f"; bound / sampled = {ratio:g}" if ratio else "")),
            ("onnxruntime", summary["onnxruntime"]),
            ("time", f"{summary['seconds']:.3f} s")]
    for k, v in rows:
        print(f"{k:<13}{v}")
    print("CERTIFIED (rigorous bound; the sampled error is evidence only)")
    return EXIT_PROVED


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "... (--json for all)"


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``float-error``."""
    p = sub.add_parser(
        NAME, help="certified bound on |float model - polynomial| over a box, "
                            "float32 or float64")
    p.add_argument("model", metavar="FILE",
                   help="exactformer JSON model, or a float export (.npz, .pt); .onnx is "
                        "not supported yet")
    p.add_argument("--claim", required=True, help="the polynomial p the model should compute")
    p.add_argument("--domain", required=True, metavar="BOX",
                   help="the input box, e.g. '[-1,1]^2' or '[0,1]x[-2,2]' (exact rationals)")
    p.add_argument("--precision", required=True, choices=("float32", "float64"),
                   help="the IEEE precision the model runs in")
    p.add_argument("--vars", help="comma-separated model inputs in the order of the box's "
                                  "intervals (default: the model's input order)")
    p.add_argument("--samples", type=bounded_int(0, MAX_SAMPLES), default=2000,
                   help=f"random sample points for the observed error (default 2000, at most "
                        f"{MAX_SAMPLES}; the box corners are always added)")
    p.add_argument("--seed", type=bounded_int(0, 2**64 - 1), default=0,
                   help="seed of the sample points (default 0)")
    add_json_option(p)
    add_limit_options(p, "the claim text")
    p.set_defaults(func=cmd_float_error)
