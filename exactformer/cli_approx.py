"""Subcommands ``approx`` (certified approximation) and ``fit`` (readout regression).

``approx`` exits 0 when model == approximant is proved (the error bound is then a
certified bound on sup |f - model|), 2 on bad input or when f cannot be enclosed on
the box (a pole, log of a value <= 0), 3 on a limit. ``fit`` exits 0 when the model
with the fitted readout is proved equal to the fitted polynomial. Every numeric
option is validated first (exit 2, or 3 for a resource limit). Both commands check
themselves before they claim anything: a sampled error above the bound about to be
certified, or an exact fit that violates its normal equations, is an internal
contradiction: exit 4, one line on stderr (with --json one object whose verdict is
"error"), and nothing is claimed.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from functools import wraps
from pathlib import Path

from .cli import (non_negative_int, output_file, EXIT_INTERNAL, EXIT_PROVED, EXIT_REFUTED, UsageError,
                  add_polynomial_argument, limits_from_args, read_input_file, verdict_line)
from .errors import InternalContradiction

#: Largest --timeout of approx and fit, in seconds (30 days; larger values overflow the
#: platform's timer).
MAX_TIMEOUT = 30 * 86_400


def timeout_seconds(text: str) -> float:
    """argparse type for --timeout: a finite number of seconds in [0, MAX_TIMEOUT]
    (0: no limit)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number of seconds") from None
    if not (math.isfinite(value) and 0 <= value <= MAX_TIMEOUT):
        raise argparse.ArgumentTypeError(f"{text[:40]!r} must be a finite number of seconds "
                                         f"in [0, {MAX_TIMEOUT}]")
    return value


def _refuse_contradictions(command):
    """An InternalContradiction (the tool's own evidence refutes what it was about to
    claim) exits 4 with one line on stderr, and with --json one error object; nothing
    is claimed."""
    @wraps(command)
    def run(args) -> int:
        try:
            return command(args)
        except InternalContradiction as exc:
            message = " ".join(str(exc).split())
            if getattr(args, "json", False):
                print(json.dumps({"verdict": "error", "exit_code": EXIT_INTERNAL,
                                  "error": message}, sort_keys=True))
            print(f"exactformer: internal error: {message}", file=sys.stderr)
            return EXIT_INTERNAL
    return run


def _degrees(text: str | None, top: int) -> list[int]:
    if text is None:
        step = max(1, top // 8)
        out = list(range(step, top + 1, step))
        return out if out and out[-1] == top else out + [top]
    try:
        out = sorted({int(v) for v in text.split(",") if v.strip()})
    except ValueError:
        raise UsageError(f"--plot-degrees {text!r} must be comma-separated integers") from None
    if not out or out[0] < 0 or out[-1] > 200:
        raise UsageError("--plot-degrees must lie in 0..200")
    return out


@_refuse_contradictions
def cmd_approx(args) -> int:
    from .approx import approximate
    limits = limits_from_args(args)
    if args.degree < 0:
        raise UsageError("--degree must be non-negative")
    variables = args.vars.split(",") if args.vars else None
    common = dict(domain=args.domain, variables=variables, bits=args.bits, budget=args.budget,
                  bound_seconds=args.bound_seconds, order=args.order, samples=args.samples,
                  limits=limits)
    result = approximate(args.expr, args.degree, **common)
    summary = result.summary()
    if args.plot:
        rows = []
        for n in _degrees(args.plot_degrees, args.degree):
            r = result if n == args.degree else approximate(args.expr, n, **common)
            rows.append((n, float(r.bound.value), r.sampled))
        summary["plot"] = _plot(rows, args.expr, args.plot)
        summary["plot_rows"] = [{"degree": n, "error_bound": b, "sampled_max_error": s}
                                for n, b, s in rows]
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        dom = " x ".join(f"[{a}, {b}]" for a, b in summary["domain"])
        poly = summary["polynomial"]
        if len(poly) > 160:
            poly = poly[:160] + f"... ({len(summary['polynomial'])} characters; --json for all)"
        rows = [
            ("function", f"{summary['function']} on {dom}"),
            ("variables", ", ".join(summary["variables"])),
            ("degree", f"n = {summary['degree']}"),
            ("tokens", f"N = {summary['tokens']}"),
            ("blocks", f"{summary['blocks']} (fixed: they depend only on d and n)"),
            ("free params", f"{summary['free_parameters']} (the readout)"),
            ("approximant", summary["approximant"]),
            ("polynomial", poly),
            ("error bound", f"sup |f - model| <= {summary['error_bound']} (certified)"),
            ("how", summary["error_bound_method"]),
            ("sampled", f"max |f - model| on the grid = {summary['sampled_max_error']:.3e} "
                        "(evidence, not a bound)"),
            ("time", f"{summary['seconds']:.3f} s"),
        ]
        if args.plot:
            rows.append(("plot", summary["plot"]))
        for k, v in rows:
            print(f"{k:<13}{v}")
        print("model == approximant: " + verdict_line(summary))
    return EXIT_PROVED if result.verdict.holds else EXIT_REFUTED


def _shorten(text: str, limit: int = 160) -> str:
    """Long exact output cut for the terminal; --json always has all of it."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"... ({len(text)} characters; --json for all)"


def _plot(rows, title: str, path: str) -> str:
    """Draw error versus degree into ``path`` (".png" added when it has no suffix);
    returns the path written."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    ns = [r[0] for r in rows]
    ax.semilogy(ns, [max(r[1], 1e-300) for r in rows], "o-", label="certified bound")
    ax.semilogy(ns, [max(r[2], 1e-300) for r in rows], "s--", label="sampled max error")
    ax.set_xlabel("degree n (blocks)")
    ax.set_ylabel("sup |f - model|")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    if not Path(path).suffix:
        path = path + ".png"  # matplotlib would add it anyway: report the real name
    try:
        fig.savefig(path, dpi=120)
    except OSError as exc:
        raise UsageError(f"cannot write the plot {path!r}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
    return path


@_refuse_contradictions
def cmd_fit(args) -> int:
    from .approx.fit import fit, load_csv
    limits = limits_from_args(args)
    method = "exact" if args.exact else "float" if args.float else "auto"
    data = load_csv(read_input_file(args.data, "data file"))
    result = fit(data, args.degree, method=method, limits=limits)
    summary = result.summary()
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        for k, v in [("data", f"{args.data}: {summary['rows']} rows, variables "
                              f"{', '.join(summary['variables'])}, response {summary['response']}"),
                     ("degree", f"n = {summary['degree']}"),
                     ("blocks", f"{summary['blocks']} (fixed, not trained)"),
                     ("free params", f"{summary['free_parameters']} (the readout, fitted)"),
                     ("method", summary["method"]),
                     ("polynomial", _shorten(summary["polynomial"])),
                     ("residual", f"sum of squares "
                                  f"{_shorten(str(summary['residual_sum_of_squares']), 60)}, "
                                  f"max |r| {_shorten(str(summary['max_abs_residual']), 60)}"),
                     ("time", f"{summary['seconds']:.3f} s")]:
            print(f"{k:<13}{v}")
        print("model == fitted polynomial: " + verdict_line(summary))
    return EXIT_PROVED if result.verdict.holds else EXIT_REFUTED


def register(subparsers) -> None:
    """Add ``approx`` and ``fit`` to the exactformer command line."""
    p = subparsers.add_parser(
        "approx", help="approximate a continuous function: exact polynomial, proved "
                       "model, certified error bound")
    add_polynomial_argument(p, 'function, e.g. "exp(x)*cos(3*y)" (exp, log, sin, cos, '
                               'sqrt, abs, + - * /, integer powers)')
    p.add_argument("--degree", type=non_negative_int, required=True, help="total degree n (= blocks)")
    p.add_argument("--domain", default="-1,1",
                   help="box: 'a,b' for every variable or 'a,b;c,d;...' (default -1,1)")
    p.add_argument("--vars", help="comma-separated variable order")
    p.add_argument("--bits", type=int, default=64,
                   help="round Chebyshev coefficients to multiples of 2^-bits (default 64)")
    p.add_argument("--budget", type=int, help="box evaluations for the bound (default by d)")
    p.add_argument("--bound-seconds", type=float, default=20.0, dest="bound_seconds",
                   help="time for refining the bound (default 20)")
    p.add_argument("--order", type=int, help="Taylor order K of the bound (default n+1)")
    p.add_argument("--samples", type=int, default=2000, help="grid points for the sampled error")
    p.add_argument("--plot", metavar="PNG", type=output_file(),
                   help="draw error versus degree into this file")
    p.add_argument("--plot-degrees", dest="plot_degrees",
                   help="degrees for --plot, e.g. 2,4,8 (default: up to 9 up to --degree)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--timeout", type=timeout_seconds, default=600.0,
                   help="wall-clock limit in seconds (default 600, 0: none)")
    p.set_defaults(func=cmd_approx)

    p = subparsers.add_parser(
        "fit", help="regression: fixed blocks, readout fitted by least squares, then proved")
    p.add_argument("data", help="CSV file: header x1,...,xd,y then rows of rationals")
    p.add_argument("--degree", type=non_negative_int, required=True, help="degree n of the fixed blocks")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--exact", action="store_true", help="exact rational least squares")
    g.add_argument("--float", action="store_true", help="float64 least squares (large data)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--timeout", type=timeout_seconds, default=600.0,
                   help="wall-clock limit in seconds (default 600, 0: none)")
    p.set_defaults(func=cmd_fit)


__all__ = ["register"]
