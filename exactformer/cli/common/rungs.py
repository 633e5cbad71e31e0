"""The sampling rungs shared by ``prove`` and ``check-model``: ``--rung
schwartz-zippel`` (exact values at random points: probabilistic) and ``--rung mpmath`` /
``--fallback mpmath`` (interval evaluation: numerical evidence).

Neither is a proof. Agreement exits 5 (``verdict`` "probabilistic-agreement" or
"numerical-agreement", ``exact_proof: false``, "not a proof" in the text); a refutation
is exact or rigorous (exit 1: a point where the values differ, or disjoint enclosures).
No certificate is written: certificates record exact proofs."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ... import api
from ...errors import NotAPolynomial, NotExact
from ...model.parameters import count_parameters, parameters_line
from ...verify.numerical import DEFAULT_DPS, MAX_DPS, MIN_DPS
from ...verify.numerical import DEFAULT_POINTS as NUMERICAL_POINTS
from ...verify.schwartz_zippel import DEFAULT_POINTS as SZ_POINTS
from .codes import EXIT_NUMERICAL, EXIT_REFUTED, UsageError
from .options import add_backend_option, bounded_int
from .output import label_float_reading, print_json, print_summary

if TYPE_CHECKING:
    from ...limits import Limits
    from ...model import Model
    from ...poly import Target
    from ...verify.numerical import NumericalResult
    from ...verify.schwartz_zippel import SchwartzZippelResult



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
                   help=f"points for schwartz-zippel (default {SZ_POINTS}) or mpmath "
                        f"(default {NUMERICAL_POINTS}), at most {MAX_POINTS}")
    p.add_argument("--dps", type=bounded_int(MIN_DPS, MAX_DPS), default=None,
                   help=f"decimal digits of the mpmath rung's interval arithmetic (default "
                        f"{DEFAULT_DPS}, {MIN_DPS} to {MAX_DPS})")
    p.add_argument("--seed", type=bounded_int(0, 2**256 - 1, "2**256 - 1"),
                   help="seed the random points, an integer in [0, 2**256) (default: system "
                        "randomness)")
    add_backend_option(p)


def check_exact_rung_options(args: argparse.Namespace) -> None:
    """--points, --seed and --dps belong to the sampling rungs: on the exact rung (with
    no --fallback) they would be silently ignored, so they are refused."""
    if getattr(args, "fallback", None):
        return
    given = [f"--{n}" for n in ("points", "seed", "dps") if getattr(args, n, None) is not None]
    if given:
        raise UsageError(f"{', '.join(given)} apply to --rung schwartz-zippel or mpmath (or "
                         "--fallback mpmath), not to the exact rung")


def fallback_applies(args: argparse.Namespace, exc: Exception) -> bool:
    """True when --fallback mpmath is asked for and ``exc`` says the exact rungs cannot
    decide (not a malformed input, not a limit)."""
    return getattr(args, "fallback", None) == "mpmath" and isinstance(exc, (NotExact,
                                                                            NotAPolynomial))


def check_probabilistic_args(args: argparse.Namespace) -> None:
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
        args.points = SZ_POINTS
    if getattr(args, "dps", None) is not None:
        raise UsageError("--dps is for the mpmath rung, not --rung schwartz-zippel")


def _print_what_was_decided(summary: dict[str, Any]) -> None:
    """The text rows before a sampling rung's verdict: the built model's summary (prove)
    and how a float file's weights were read (check-model)."""
    if "dimension" in summary:
        print_summary(summary)
    if summary.get("reconstruction"):
        print(f"weights      {summary['reconstruction']}")


def report_probabilistic(summary: dict[str, Any], result: SchwartzZippelResult,
                         as_json: bool) -> int:
    summary.update(result.to_json())
    if as_json:
        print_json(summary)
    else:
        _print_what_was_decided(summary)
        print(result.line() + summary.get("verdict_about", ""))
        print(f"points       {len(result.points)} random points of S^{len(result.names)}, "
              f"|S| = 2^{result.sample_size.bit_length() - 1}, degree bound "
              f"{result.degree_bound}")
        print(f"seed         {result.seed} (points derived from a hash of model, claim and "
              "seed; repeat with --seed)")
    # agreement at random points is not an exact proof: exit 5, never 0
    return EXIT_NUMERICAL if result.holds else EXIT_REFUTED


def build_from_args(args: argparse.Namespace, limits: Limits) -> tuple[Target, Model]:
    """(target, model) of ``prove EXPR`` for the sampling rungs; --save-model written."""
    from ...poly import make_target
    target = make_target(args.expr, variables=args.vars, params=args.params, limits=limits)
    model = api.build(target, construction=args.construction, degree=args.degree,
                      limits=limits)
    if args.save_model:
        from ...formats.model_json import dumps
        Path(args.save_model).write_text(dumps(model) + "\n")
    return target, model


def built_summary(target: Target, model: Model, start: float) -> dict[str, Any]:
    """The figures ``prove`` reports for a target and the model built for it."""
    return {"target": str(target.as_expr()), "variables": list(target.variables),
            "dimension": target.dimension, "degree": target.degree,
            "construction": model.info.get("construction", "custom"),
            "tokens": model.tokens, "width": model.width, "blocks": model.depth,
            "free_parameters": model.free_parameters,
            "parameters": count_parameters(model).to_json(),
            "seconds": round(time.perf_counter() - start, 4)}


def loaded_summary(args: argparse.Namespace, model: Model, reconstruction: str | None,
                   start: float) -> dict[str, Any]:
    """The figures ``check-model`` reports for a model file on a sampling rung (and, as
    text, its model and parameter lines)."""
    summary: dict[str, Any] = {"model": args.model, "claim": args.claim,
               "parameters": count_parameters(model).to_json(),
               "seconds": round(time.perf_counter() - start, 4)}
    label_float_reading(summary, reconstruction, args)
    if not args.json:
        print(f"model        {args.model}: {model!r}")
        print(f"all numbers  {parameters_line(summary['parameters'])}")
    return summary


def check_numerical_args(args: argparse.Namespace, fallback_reason: str | None) -> None:
    if fallback_reason is None and (getattr(args, "certificate", None)
                                    or getattr(args, "trace", False)):
        raise UsageError("--certificate records exact proofs only; it cannot be used with "
                         "--rung mpmath")
    if args.points is None:
        args.points = NUMERICAL_POINTS
    if args.dps is None:
        args.dps = DEFAULT_DPS


def deadline_of(args: argparse.Namespace) -> float | None:
    return time.monotonic() + args.timeout if getattr(args, "timeout", None) else None


def report_numerical(summary: dict[str, Any], result: NumericalResult, args: argparse.Namespace,
                     fallback_reason: str | None) -> int:
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
        print_json(summary)
    else:
        _print_what_was_decided(summary)
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
