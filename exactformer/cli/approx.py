"""``exactformer approx F --degree n``: approximate a continuous function by an exact
polynomial, prove the model equals it, and certify sup |f - model| on the box (exit 0);
2 when f cannot be enclosed on the box (a pole, log of a value <= 0), 3 on a limit. A
sampled error above the bound about to be certified is an internal contradiction
(exit 4; nothing is claimed)."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .common import (EXIT_PROVED, EXIT_REFUTED, UsageError, add_json_option,
                     add_limit_options, add_polynomial_argument, limits_from_args,
                     non_negative_int, output_file, print_json, verdict_line)



NAME = "approx"


EXAMPLES = ('exactformer approx "exp(x)" --degree 6 --domain=-1,1',)


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


def cmd_approx(args: argparse.Namespace) -> int:
    from ..approx import approximate
    from ..approx.certify import decimal_up
    limits = limits_from_args(args)
    if args.degree < 0:
        raise UsageError("--degree must be non-negative")
    variables = args.vars.split(",") if args.vars else None
    common: dict[str, Any] = dict(
        domain=args.domain, variables=variables, bits=args.bits, budget=args.budget,
        bound_seconds=args.bound_seconds, order=args.order, samples=args.samples,
        limits=limits)
    result = approximate(args.expr, args.degree, **common)
    summary = result.summary()
    if args.plot:
        rows: list[tuple[Any, ...]] = []  # (degree, bound, sampled); below: text rows
        for n in _degrees(args.plot_degrees, args.degree):
            r = result if n == args.degree else approximate(args.expr, n, **common)
            rows.append((n, r.bound.value, r.sampled))
        summary["plot"] = _plot(rows, args.expr, args.plot)
        summary["plot_rows"] = [{"degree": n, "error_bound": decimal_up(b),
                                 "sampled_max_error": s} for n, b, s in rows]
    if args.json:
        print_json(summary)
    else:
        dom = " x ".join(f"[{a}, {b}]" for a, b in result.approximant.box)
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


def _plot(rows: list[tuple[int, float, float]], title: str, path: str) -> str:
    """Draw error versus degree into ``path`` (".png" added when it has no suffix);
    returns the path written."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    ns = [r[0] for r in rows]
    ax.semilogy(ns, [max(float(r[1]), 1e-300) for r in rows], "o-", label="certified bound")
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


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``approx``."""
    p = sub.add_parser(
        NAME, help="approximate a continuous function: exact polynomial, proved "
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
    add_json_option(p)
    add_limit_options(p, "the function text")
    p.set_defaults(func=cmd_approx)
