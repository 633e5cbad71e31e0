"""``exactformer fit DATA.csv --degree n``: regression with the fixed blocks; only the
readout is fitted (least squares), then the model with that readout is proved equal to
the fitted polynomial (exit 0). An exact fit that violates its normal equations is an
internal contradiction (exit 4; nothing is claimed)."""
from __future__ import annotations

import argparse

from .common import (EXIT_PROVED, EXIT_REFUTED, add_json_option, add_limit_options,
                     limits_from_args, non_negative_int, print_json, read_input_file,
                     verdict_line)



NAME = "fit"


EXAMPLES = ("exactformer fit data.csv --degree 3",)


def cmd_fit(args: argparse.Namespace) -> int:
    from ..approx.fit import fit, load_csv
    limits = limits_from_args(args)
    method = "exact" if args.exact else "float" if args.float else "auto"
    chars = args.max_input_chars  # given: bounds the file (UTF-8: <= 4 bytes a character)
    data = load_csv(read_input_file(args.data, "data file") if chars is None else
                    read_input_file(args.data, "data file", max_bytes=4 * chars + 4))
    result = fit(data, args.degree, method=method, limits=limits)
    summary = result.summary()
    if args.json:
        print_json(summary)
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


def _shorten(text: str, limit: int = 160) -> str:
    """Long exact output cut for the terminal; --json always has all of it."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"... ({len(text)} characters; --json for all)"


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``fit``."""
    p = sub.add_parser(
        NAME, help="regression: fixed blocks, readout fitted by least squares, then proved")
    p.add_argument("data", help="CSV file: header x1,...,xd,y then rows of rationals")
    p.add_argument("--degree", type=non_negative_int, required=True, help="degree n of the fixed blocks")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--exact", action="store_true", help="exact rational least squares")
    g.add_argument("--float", action="store_true", help="float64 least squares (large data)")
    add_json_option(p)
    add_limit_options(p, "the data file")
    p.set_defaults(func=cmd_fit)
