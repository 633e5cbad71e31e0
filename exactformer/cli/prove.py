"""``exactformer prove EXPR``: build the transformer for a polynomial and prove it
exact (exit 0), or refute it (exit 1); ``--rung`` / ``--fallback`` pick a sampling rung
(exit 5 on agreement: not a proof)."""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from .. import api
from ..errors import NotAPolynomial, NotExact
from ..formats.model_json import dumps
from ..verify.numerical import verify_numerically
from ..verify.schwartz_zippel import verify_schwartz_zippel
from .common import (EXIT_PROVED, EXIT_REFUTED, add_certificate_options, add_common_options,
                     add_construction_option, add_domain_option, add_polynomial_argument,
                     add_rung_options, build_from_args, built_summary, check_exact_rung_options,
                     check_numerical_args, check_probabilistic_args, deadline_of,
                     fallback_applies, limits_from_args, non_negative_int, one_line,
                     output_file, print_evidence, print_json, print_summary,
                     report_numerical, report_probabilistic, verdict_line,
                     write_certificate_option)



NAME = "prove"


EXAMPLES = ('exactformer prove "3*x**2*y - y/7 + 2"',
            "exactformer prove - --json < poly.txt",
            "exactformer prove --file poly.txt --construction logdepth")


def cmd_prove(args: argparse.Namespace) -> int:
    rung = getattr(args, "rung", "exact")
    if rung == "mpmath":
        return cmd_prove_numerical(args)
    if rung != "exact":
        return cmd_prove_probabilistic(args)
    check_exact_rung_options(args)
    limits = limits_from_args(args)
    try:
        result = api.prove(args.expr, variables=args.vars, params=args.params,
                           construction=args.construction, degree=args.degree,
                           limits=limits, timeout=args.timeout, domain=args.domain)
    except (NotExact, NotAPolynomial) as exc:
        if not fallback_applies(args, exc):
            raise
        return cmd_prove_numerical(args, fallback_reason=one_line(exc))
    if args.save_model:
        Path(args.save_model).write_text(dumps(result.model) + "\n")
    summary = result.summary()
    write_certificate_option(args, result, summary)
    if args.json:
        print_json(summary)
    else:
        print_summary(summary)
        print(verdict_line(summary))
        print_evidence(summary)
    return EXIT_PROVED if result.proved else EXIT_REFUTED


def cmd_prove_probabilistic(args: argparse.Namespace) -> int:
    """``prove EXPR --rung schwartz-zippel``: build as usual, decide by random points."""
    check_probabilistic_args(args)
    limits = limits_from_args(args)
    start = time.perf_counter()
    deadline = time.monotonic() + args.timeout if args.timeout else None
    target, model = build_from_args(args, limits)
    result = verify_schwartz_zippel(model, target, points=args.points, seed=args.seed,
                                    limits=limits, deadline=deadline)
    return report_probabilistic(built_summary(target, model, start), result, args.json)


def cmd_prove_numerical(args: argparse.Namespace, fallback_reason: str | None = None) -> int:
    """``prove EXPR --rung mpmath``: build as usual, compare by interval evaluation."""
    check_numerical_args(args, fallback_reason)
    limits = limits_from_args(args)
    start = time.perf_counter()
    target, model = build_from_args(args, limits)
    result = verify_numerically(model, target, box=args.domain, points=args.points,
                                dps=args.dps, seed=args.seed, limits=limits,
                                deadline=deadline_of(args))
    summary = built_summary(target, model, start)
    return report_numerical(summary, result, args, fallback_reason)


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``prove``."""
    p = sub.add_parser(NAME, help="build the transformer for a polynomial and prove it exact")
    add_polynomial_argument(p, 'target polynomial, e.g. "3*x**2*y - y/7 + 2"')
    add_common_options(p)
    add_construction_option(p)
    add_domain_option(p)
    p.add_argument("--degree", type=non_negative_int,
                   help="build for this degree (>= the target's)")
    p.add_argument("--save-model", metavar="FILE", type=output_file(),
                   help="write the model as JSON")
    add_certificate_options(p)
    add_rung_options(p)
    p.set_defaults(func=cmd_prove)
