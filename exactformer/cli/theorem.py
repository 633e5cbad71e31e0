"""``exactformer theorem --dim d --degree n``: prove the generic statement (the
readout's coefficients are symbols) for every polynomial of degree <= n in d variables."""
from __future__ import annotations

import argparse

from ..theorem import prove_theorem
from .common import (EXIT_PROVED, EXIT_REFUTED, add_backend_option, add_certificate_options,
                     add_construction_option, add_domain_option, add_json_option, add_limit_options, limits_from_args,
                     non_negative_int, print_evidence, print_json, verdict_line,
                     write_certificate_option)
from ..model.parameters import parameters_line



NAME = "theorem"


EXAMPLES = ("exactformer theorem --dim 3 --degree 5 --certificate thm.json",
            "exactformer theorem --dim 1 --degree 10000 --construction logdepth --max-degree 10000")


def cmd_theorem(args: argparse.Namespace) -> int:
    limits = limits_from_args(args)
    result = prove_theorem(args.dim, args.degree, construction=args.construction,
                           limits=limits, timeout=args.timeout, domain=args.domain)
    summary = result.summary()
    write_certificate_option(args, result, summary)
    if args.json:
        print_json(summary)
    else:
        print(f"theorem          {summary['statement']}")
        for key in ("tokens", "width", "blocks", "free_parameters"):
            print(f"{key.replace('_', ' '):<17}{summary[key]}")
        print(f"{'all numbers':<17}{parameters_line(summary['parameters'])}")
        print(f"time             {summary['seconds']:.3f} s")
        print(verdict_line(summary))
        print_evidence(summary)
    return EXIT_PROVED if result.verdict.holds else EXIT_REFUTED


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``theorem``: the same limit options as ``prove``."""
    p = sub.add_parser(NAME, help="prove the generic statement for every polynomial of "
                                  "degree <= n in d variables")
    p.add_argument("--dim", type=non_negative_int, required=True,
                   help="number of variables d")
    p.add_argument("--degree", type=non_negative_int, required=True, help="degree n")
    add_construction_option(p)
    add_domain_option(p)
    add_json_option(p)
    add_limit_options(p)
    add_backend_option(p)
    add_certificate_options(p)
    p.set_defaults(func=cmd_theorem)
