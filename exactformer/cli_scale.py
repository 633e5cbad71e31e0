"""Command-line pieces for big instances: the ``--rung`` option of ``prove`` and
``check-model`` (Schwartz-Zippel, probabilistic) and the choice of exact backend.

A probabilistic result prints "HOLDS WITH HIGH PROBABILITY ... not an exact
proof" and its JSON carries ``rung``, ``error_probability``, ``points`` and
``exact_proof: false``; its "verdict" is "probabilistic-agreement" and the exit code
5 (not decided exactly), never 0. A refutation by this rung is exact: a point where
the values differ (exit 1).
"""
from __future__ import annotations

import argparse
import json
import time
from contextlib import contextmanager
from typing import Iterator

from . import api
from .cli import (EXIT_NUMERICAL, EXIT_REFUTED, UsageError, bounded_int, label_float_reading,
                  limits_from_args, load_model_file, print_summary, read_input_file)
from .verify.numerical import DEFAULT_DPS, MAX_DPS, MIN_DPS
from .verify.numerical import DEFAULT_POINTS as NUMERICAL_POINTS
from .model.parameters import count_parameters, parameters_line
from .verify.schwartz_zippel import DEFAULT_POINTS, DEFAULT_SAMPLE_BITS, verify_schwartz_zippel

RUNG_CHOICES = ("exact", "schwartz-zippel", "mpmath")
#: Most --points (both rungs): each point is one forward pass, so more only costs time.
MAX_POINTS = 10_000


def add_rung_options(p: argparse.ArgumentParser) -> None:
    """--rung, --points, --seed and --backend (small options shared by prove and check-model)."""
    p.add_argument("--rung", choices=RUNG_CHOICES, default="exact",
                   help="exact (default): polynomial identity; schwartz-zippel: exact "
                        "evaluation at random points, probabilistic (not an exact proof); "
                        "mpmath: interval evaluation at --dps digits, numerical evidence "
                        "(exit 5, not a proof) or a rigorous refutation (exit 1)")
    p.add_argument("--probabilistic", dest="rung", action="store_const",
                   const="schwartz-zippel", help="same as --rung schwartz-zippel")
    p.add_argument("--fallback", choices=("mpmath",),
                   help="try the exact rungs first; only when they cannot decide (softmax "
                        "of unequal scores, an undecided relu sign, a non-polynomial claim) "
                        "decide with the mpmath rung")
    p.add_argument("--points", type=bounded_int(1, MAX_POINTS), default=None,
                   help=f"points for schwartz-zippel (default {DEFAULT_POINTS}) or mpmath "
                        f"(default {NUMERICAL_POINTS}), at most {MAX_POINTS}")
    p.add_argument("--dps", type=bounded_int(MIN_DPS, MAX_DPS), default=None,
                   help=f"decimal digits of the mpmath rung's interval arithmetic (default "
                        f"{DEFAULT_DPS}, {MIN_DPS} to {MAX_DPS})")
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


def check_exact_rung_options(args) -> None:
    """--points, --seed and --dps belong to the sampling rungs: on the exact rung (with
    no --fallback) they would be silently ignored, so they are refused."""
    if getattr(args, "fallback", None):
        return
    given = [f"--{n}" for n in ("points", "seed", "dps") if getattr(args, n, None) is not None]
    if given:
        raise UsageError(f"{', '.join(given)} apply to --rung schwartz-zippel or mpmath (or "
                         "--fallback mpmath), not to the exact rung")


def _check_rung_args(args) -> None:
    if getattr(args, "fallback", None):
        raise UsageError("--fallback mpmath goes with the exact rung (it is tried first); "
                         "it cannot be combined with --rung schwartz-zippel")
    if getattr(args, "certificate", None) or getattr(args, "trace", False):
        raise UsageError("--certificate records exact proofs only; it cannot be used with "
                         "--rung schwartz-zippel")
    if getattr(args, "domain", None):
        raise UsageError("--domain (a box) needs the exact rung; the Schwartz-Zippel rung "
                         "is for polynomial models")
    if args.points is None:
        args.points = DEFAULT_POINTS
    if getattr(args, "dps", None) is not None:
        raise UsageError("--dps is for the mpmath rung, not --rung schwartz-zippel")


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
    # agreement at random points is not an exact proof: exit 5, never 0
    return EXIT_NUMERICAL if result.holds else EXIT_REFUTED


def cmd_prove_probabilistic(args) -> int:
    """``prove EXPR --rung schwartz-zippel``: build as usual, decide by random points."""
    _check_rung_args(args)
    limits = limits_from_args(args)
    start = time.perf_counter()
    deadline = time.monotonic() + args.timeout if args.timeout else None
    target, model = build_from_args(args, limits)
    result = verify_schwartz_zippel(model, target, points=args.points, seed=args.seed,
                                    limits=limits, deadline=deadline)
    return _report(built_summary(target, model, start), result, args.json)


def build_from_args(args, limits):
    """(target, model) of ``prove EXPR`` for the sampling rungs; --save-model written."""
    from .poly import make_target
    target = make_target(args.expr, variables=args.vars, params=args.params, limits=limits)
    model = api.build(target, construction=args.construction, degree=args.degree,
                      limits=limits)
    if args.save_model:
        from pathlib import Path
        from .model import dumps
        Path(args.save_model).write_text(dumps(model) + "\n")
    return target, model


def built_summary(target, model, start: float) -> dict:
    """The figures ``prove`` reports for a target and the model built for it."""
    return {"target": str(target.as_expr()), "variables": list(target.variables),
            "dimension": target.dimension, "degree": target.degree,
            "construction": model.info.get("construction", "custom"),
            "tokens": model.tokens, "width": model.width, "blocks": model.depth,
            "free_parameters": model.free_parameters,
            "parameters": count_parameters(model).to_json(),
            "seconds": round(time.perf_counter() - start, 4)}


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
    return _report(loaded_summary(args, model, reconstruction, start), result, args.json)


def loaded_summary(args, model, reconstruction, start: float) -> dict:
    """The figures ``check-model`` reports for a model file on a sampling rung (and, as
    text, its model and parameter lines)."""
    summary = {"model": args.model, "claim": args.claim,
               "parameters": count_parameters(model).to_json(),
               "seconds": round(time.perf_counter() - start, 4)}
    label_float_reading(summary, reconstruction, args)
    if not args.json:
        print(f"model        {args.model}: {model!r}")
        print(f"all numbers  {parameters_line(summary['parameters'])}")
    return summary
