"""Command-line pieces for big instances: the ``--rung`` option of ``prove`` and
``check-model`` (Schwartz-Zippel, probabilistic) and the choice of exact backend.

A probabilistic result prints "HOLDS WITH HIGH PROBABILITY ... not an exact
proof" and its JSON carries ``rung``, ``error_probability``, ``points`` and
``exact_proof: false``; its "verdict" is "proved" (exit 0) only in that labelled
sense. A refutation by this rung is exact: a point where the values differ.
"""
from __future__ import annotations

import argparse
import json
import time
from contextlib import contextmanager
from typing import Iterator

from . import api
from .cli import (EXIT_PROVED, EXIT_REFUTED, UsageError, bounded_int, label_float_reading,
                  limits_from_args, load_model_file, print_summary, read_input_file)
from .model.parameters import count_parameters, parameters_line
from .verify.schwartz_zippel import DEFAULT_POINTS, DEFAULT_SAMPLE_BITS, verify_schwartz_zippel

RUNG_CHOICES = ("exact", "schwartz-zippel")
#: Most --points: each point is one exact forward pass, so more only costs time.
MAX_POINTS = 100_000


def add_rung_options(p: argparse.ArgumentParser) -> None:
    """--rung, --points, --seed and --backend (small options shared by prove and check-model)."""
    p.add_argument("--rung", choices=RUNG_CHOICES, default="exact",
                   help="exact (default): polynomial identity; schwartz-zippel: exact "
                        "evaluation at random points, probabilistic (not an exact proof)")
    p.add_argument("--probabilistic", dest="rung", action="store_const",
                   const="schwartz-zippel", help="same as --rung schwartz-zippel")
    p.add_argument("--points", type=bounded_int(1, MAX_POINTS), default=DEFAULT_POINTS,
                   help=f"random points for schwartz-zippel (default {DEFAULT_POINTS}, at most "
                        f"{MAX_POINTS})")
    p.add_argument("--seed", type=bounded_int(0, 2**256 - 1, "2**256 - 1"),
                   help="seed the random points, an integer in [0, 2**256) (default: system "
                        "randomness)")
    p.add_argument("--backend", choices=("auto", "sympy", "flint"),
                   help="exact polynomial backend (default auto: flint when installed and useful)")


@contextmanager
def command_context(args) -> Iterator[None]:
    """Around every command: the --backend choice (if the command has one) and a
    block progress bar on stderr when it is a terminal and a run lasts over 1 s."""
    from .engine.backends import check_environment, using_backend
    from .engine.domains import flint_available
    from .engine.progress import terminal_progress
    check_environment()
    backend = getattr(args, "backend", None)
    if backend == "flint" and not flint_available():
        raise UsageError("--backend flint needs python-flint: pip install -e '.[fast]'")
    with using_backend(backend), terminal_progress():
        yield


def _check_rung_args(args) -> None:
    if getattr(args, "certificate", None) or getattr(args, "trace", False):
        raise UsageError("--certificate records exact proofs only; it cannot be used with "
                         "--rung schwartz-zippel")
    if getattr(args, "domain", None):
        raise UsageError("--domain (a box) needs the exact rung; the Schwartz-Zippel rung "
                         "is for polynomial models")
    if args.points < 1:
        raise UsageError("--points must be at least 1")


def _report(summary: dict, result, as_json: bool) -> int:
    summary.update(result.to_json())
    if as_json:
        print(json.dumps(summary, sort_keys=True))
    else:
        if "dimension" in summary:
            print_summary(summary)
        if summary.get("reconstruction"):
            print(f"weights      {summary['reconstruction']}")
        print(result.line() + summary.get("verdict_about", ""))
        print(f"points       {len(result.points)} random points of S^{len(result.names)}, "
              f"|S| = 2^{result.sample_size.bit_length() - 1}, degree bound "
              f"{result.degree_bound}")
        print(f"seed         {result.seed} (points derived from a hash of model, claim and "
              "seed; repeat with --seed)")
    return EXIT_PROVED if result.holds else EXIT_REFUTED


def cmd_prove_probabilistic(args) -> int:
    """``prove EXPR --rung schwartz-zippel``: build as usual, decide by random points."""
    from .poly import make_target
    _check_rung_args(args)
    limits = limits_from_args(args)
    start = time.perf_counter()
    deadline = time.monotonic() + args.timeout if args.timeout else None
    target = make_target(args.expr, variables=args.vars, params=args.params, limits=limits)
    model = api.build(target, construction=args.construction, degree=args.degree,
                      limits=limits)
    if args.save_model:
        from pathlib import Path
        from .model import dumps
        Path(args.save_model).write_text(dumps(model) + "\n")
    result = verify_schwartz_zippel(model, target, points=args.points, seed=args.seed,
                                    limits=limits, deadline=deadline)
    summary = {"target": str(target.as_expr()), "variables": list(target.variables),
               "dimension": target.dimension, "degree": target.degree,
               "construction": model.info.get("construction", "custom"),
               "tokens": model.tokens, "width": model.width, "blocks": model.depth,
               "free_parameters": model.free_parameters,
               "parameters": count_parameters(model).to_json(),
               "seconds": round(time.perf_counter() - start, 4)}
    return _report(summary, result, args.json)


def cmd_check_model_probabilistic(args) -> int:
    """``check-model FILE --claim TEXT --rung schwartz-zippel``: the claim is evaluated
    as a tree at each point, never expanded (it may be far too big to expand)."""
    from .model import loads
    _check_rung_args(args)
    limits = limits_from_args(args)
    start = time.perf_counter()
    deadline = time.monotonic() + args.timeout if args.timeout else None
    model, reconstruction = load_model_file(args, limits)
    result = verify_schwartz_zippel(model, args.claim, points=args.points, seed=args.seed,
                                    limits=limits, deadline=deadline, variables=args.vars,
                                    params=args.params)
    summary = {"model": args.model, "claim": args.claim,
               "parameters": count_parameters(model).to_json(),
               "seconds": round(time.perf_counter() - start, 4)}
    label_float_reading(summary, reconstruction, args)
    if not args.json:
        print(f"model        {args.model}: {model!r}")
        print(f"all numbers  {parameters_line(summary['parameters'])}")
    return _report(summary, result, args.json)
