"""What the command line prints: one JSON object with ``--json``, else aligned text
rows; the verdict line, the evidence, and how float weights were read."""
from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator, TextIO

from ...model.parameters import parameters_line
from .codes import UsageError

if TYPE_CHECKING:
    from ...api import ProofResult
    from ...theorem import TheoremResult



def one_line(text: object) -> str:
    """``text`` on one line, at most 400 characters (every error message goes through it)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= 400 else flat[:400] + "..."


#: The JSON object of the running command, held until its exit code is known
#: (:func:`collect_json`); None when nothing is collecting (printed at once).
_collected: list[dict[str, Any]] | None = None


def print_json(obj: dict[str, Any]) -> None:
    """The ONE JSON object of a ``--json`` run (keys sorted). Inside
    :func:`collect_json` it is held, and printed by :func:`emit_json` with its
    ``exit_code``."""
    if _collected is not None:
        _collected.append(obj)
    else:
        print(json.dumps(obj, sort_keys=True))


@contextmanager
def collect_json() -> Iterator[list[dict[str, Any]]]:
    """Hold the objects given to :func:`print_json` while a command runs."""
    global _collected
    outer, _collected = _collected, []
    try:
        yield _collected
    finally:
        _collected = outer


def emit_json(obj: dict[str, Any], code: int) -> None:
    """Print ``obj`` with ``exit_code`` = the process exit code ``code`` (keys sorted)."""
    print(json.dumps({**obj, "exit_code": code}, sort_keys=True))


def print_summary(summary: dict[str, Any], stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    rows = [
        ("target", summary["target"]),
        ("variables", f"{', '.join(summary['variables']) or '(none)'}  (d = {summary['dimension']})"),
        ("degree", f"n = {summary['degree']}"),
        ("construction", summary["construction"]),
        ("tokens", f"N = {summary['tokens']}"),
        ("width", str(summary["width"])),
        ("blocks", f"{summary['blocks']} (fixed: they depend only on d and n)"),
        ("free params", f"{summary['free_parameters']} (the readout)"),
        ("all numbers", parameters_line(summary["parameters"])),
        ("time", f"{summary['seconds']:.3f} s"),
    ]
    if summary.get("params"):
        rows.insert(2, ("parameters", ", ".join(summary["params"])))
    for k, v in rows:
        print(f"{k:<13}{v}", file=stream)
    if summary.get("note"):
        print(f"note         {summary['note']}", file=stream)


def verdict_line(summary: dict[str, Any]) -> str:
    line = f"{summary['verdict'].upper()} ({summary['rung']})"
    diff = summary.get("difference")
    if diff:
        line += (f": coefficient of {diff['monomial']}: model has {diff['model']}, "
                 f"claim has {diff['claim']}")
    return line


def print_evidence(summary: dict[str, Any], stream: TextIO | None = None) -> None:
    """The verdict's evidence (box, sign certificates, softmax weights, counterexample)."""
    for key, value in summary.get("evidence", {}).items():
        print(f"  {key}: {value}", file=stream or sys.stdout)


def label_float_reading(summary: dict[str, Any], reconstruction: str | None,
                        args: argparse.Namespace) -> None:
    """Say in the summary how a float file was read; a rounded reading is labelled."""
    if not reconstruction:
        return
    summary["reconstruction"] = reconstruction
    rounded = getattr(args, "max_denominator", None) is not None
    summary["float_reading"] = (f"rounded to denominators <= {args.max_denominator}"
                                if rounded else "exact dyadic rationals")
    if rounded:
        summary["verdict_about"] = (" -- about the ROUNDED weights (--max-denominator), "
                                    "not the floats stored in the file")


def write_certificate_option(args: argparse.Namespace, result: ProofResult | TheoremResult,
                             summary: dict[str, Any]) -> None:
    """Write the certificate asked for with --certificate (proved results only)."""
    path = getattr(args, "certificate", None)
    if path is None:
        if getattr(args, "trace", False):
            raise UsageError("--trace needs --certificate FILE")
        return
    if not result.verdict.holds:
        print("exactformer: no certificate written: the claim was refuted", file=sys.stderr)
        return
    if "pieces" in dict(result.verdict.evidence):
        summary["certificate"] = None
        print("exactformer: no certificate written: the proof split the box into pieces, and "
              "a certificate holds a single-box proof (check each piece with --domain)",
              file=sys.stderr)
        return
    from ...formats.certificate import certificate_for, write_certificate
    cert = certificate_for(result, trace=args.trace)
    write_certificate(cert, path)
    summary["certificate"] = {"file": path, "sha256": cert["sha256"]}
    if not args.json:
        print(f"certificate  {path} (sha256 {cert['sha256'][:16]}...)")
