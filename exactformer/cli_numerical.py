"""Command-line pieces of the mpmath rung: ``--rung mpmath`` and ``--fallback mpmath``
of ``prove`` and ``check-model``.

Exit codes: 1 for a refutation (disjoint interval enclosures: rigorous), 5 for
numerical agreement (not decided exactly; numerical evidence only). Never 0: exit 0
is reserved for exact proofs. The text says "not a proof" and the JSON carries
``exact_proof: false``; no certificate is written (certificates record exact proofs).
"""
from __future__ import annotations

import json
import sys
import time

from .cli import (EXIT_NUMERICAL, EXIT_REFUTED, UsageError,
                  limits_from_args, load_model_file, print_summary)
from .cli_scale import build_from_args, built_summary, loaded_summary
from .verify.numerical import DEFAULT_DPS, DEFAULT_POINTS, verify_numerically


def check_args(args, fallback_reason: str | None) -> None:
    if fallback_reason is None and (getattr(args, "certificate", None)
                                    or getattr(args, "trace", False)):
        raise UsageError("--certificate records exact proofs only; it cannot be used with "
                         "--rung mpmath")
    if args.points is None:
        args.points = DEFAULT_POINTS
    if args.dps is None:
        args.dps = DEFAULT_DPS


def deadline_of(args) -> float | None:
    return time.monotonic() + args.timeout if getattr(args, "timeout", None) else None


def report(summary: dict, result, args, fallback_reason: str | None) -> int:
    """Print the result of the mpmath rung (text or one JSON object); exit 1 or 5."""
    summary.update(result.to_json())
    if fallback_reason is not None:
        summary["decided_by"] = "mpmath (fallback)"
        summary["fallback_reason"] = fallback_reason
        if getattr(args, "certificate", None):
            summary["certificate"] = None
            print("exactformer: no certificate written: the exact rungs could not decide "
                  "and numerical evidence is not a proof", file=sys.stderr)
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        if "dimension" in summary:
            print_summary(summary)
        if summary.get("reconstruction"):
            print(f"weights      {summary['reconstruction']}")
        if fallback_reason is not None:
            print(f"exact rungs  could not decide: {fallback_reason}")
            print("fallback     mpmath interval evaluation")
        print(result.line() + summary.get("verdict_about", ""))
        if result.witness is not None:
            w = result.witness
            print(f"  point: {', '.join(f'{k} = {v}' for k, v in w['point'].items())}")
            print(f"  model: {w['model_enclosure']} (value {w['model_value']})")
            print(f"  claim: {w['claim_enclosure']} (value {w['claim_value']})")
        print(f"points       {len(result.points)} exact rational points (corners, centre, "
              f"points from a hash of model, claim and seed {result.seed}; repeat with "
              "--seed)")
    return EXIT_REFUTED if result.refuted else EXIT_NUMERICAL


def cmd_prove_numerical(args, fallback_reason: str | None = None) -> int:
    """``prove EXPR --rung mpmath``: build as usual, compare by interval evaluation."""
    check_args(args, fallback_reason)
    limits = limits_from_args(args)
    start = time.perf_counter()
    target, model = build_from_args(args, limits)
    result = verify_numerically(model, target, box=args.domain, points=args.points,
                                dps=args.dps, seed=args.seed, limits=limits,
                                deadline=deadline_of(args))
    summary = built_summary(target, model, start)
    return report(summary, result, args, fallback_reason)


def cmd_check_model_numerical(args, fallback_reason: str | None = None) -> int:
    """``check-model FILE --claim TEXT --rung mpmath``: the claim may be any expression
    of exp, log, sqrt, sin, cos, tanh, sigmoid and the field operations."""
    check_args(args, fallback_reason)
    limits = limits_from_args(args)
    start = time.perf_counter()
    model, reconstruction = load_model_file(args, limits)
    result = verify_numerically(model, args.claim, box=args.domain, points=args.points,
                                dps=args.dps, seed=args.seed, variables=args.vars,
                                params=args.params, limits=limits, deadline=deadline_of(args))
    return report(loaded_summary(args, model, reconstruction, start), result, args,
                  fallback_reason)
