"""The `exactformer` command line: a thin layer over the Python API.

Exit codes, everywhere: 0 proved/valid, 1 refuted/invalid, 2 bad input or usage,
3 a resource limit hit (4 only for an internal error, which is a bug).
With --json a deciding subcommand prints ONE JSON object whose "verdict" is
"proved" or "refuted". Errors go to stderr as one line.
"""
from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import re
import signal
import stat
import sys
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from . import api
from .errors import (CertificateError, ExactformerError, InternalContradiction, LimitExceeded,
                     ModelFormatError, NotAPolynomial, NotExact, ParseError, ShapeError)
from .limits import DEFAULT_LIMITS, Limits
from .model.parameters import parameters_line

EXIT_PROVED, EXIT_REFUTED, EXIT_BAD_INPUT, EXIT_LIMIT, EXIT_INTERNAL = 0, 1, 2, 3, 4
#: Not decided exactly: agreement on the mpmath rung (numerical evidence) or the
#: Schwartz-Zippel rung (probabilistic). Never a proof; exit 0 is for exact proofs only.
EXIT_NUMERICAL = 5

#: One place maps error classes to exit codes (first match wins).
EXIT_CODES: tuple[tuple[type, int], ...] = (
    (LimitExceeded, EXIT_LIMIT),
    (ParseError, EXIT_BAD_INPUT),
    (NotAPolynomial, EXIT_BAD_INPUT),
    (ShapeError, EXIT_BAD_INPUT),
    (ModelFormatError, EXIT_BAD_INPUT),
    (CertificateError, EXIT_BAD_INPUT),
    (NotExact, EXIT_BAD_INPUT),
    (ExactformerError, EXIT_BAD_INPUT),
)


class UsageError(Exception):
    """Command-line usage error (exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one clear line, exit 2, no usage dump
        raise UsageError(message)


#: Largest accepted --timeout, in seconds (30 days): a limit, never "forever"; far
#: larger values overflow the platform's interval timer.
MAX_TIMEOUT = 30 * 86_400

#: Largest value of a size option (--degree, --dim, --max-degree, ...): far above any
#: instance that finishes, small enough that no arithmetic on it overflows or stalls.
MAX_SIZE = 10**9

#: Largest values of the --max-* options: raising a limit is allowed, removing it is
#: not. --max-digits stays below Python's int <-> str conversion limit (4300 digits),
#: so every number can be printed; the others bound memory (a token, a term or a
#: character costs at least a few dozen bytes).
LIMIT_MAXIMA = {"max_degree": 100_000, "max_terms": 10_000_000, "max_tokens": 10_000_000,
                "max_digits": 3000, "max_input_chars": 200_000_000,
                "max_cells": 1_000_000_000}

_INTEGER_TEXT = re.compile(r"[+-]?[0-9]{1,700}")


def _quote(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "...")


def bounded_int(lo: int, hi: int, hi_text: str | None = None):
    """argparse type: an integer in [lo, hi], written in decimal (no float, no 1e9).

    >>> bounded_int(1, 10)("7")
    7
    """
    hi_text = hi_text or str(hi)
    what = {0: "a non-negative integer", 1: "a positive integer"}.get(lo, f"an integer >= {lo}")

    def parse(text: str) -> int:
        text = text.strip()
        if not _INTEGER_TEXT.fullmatch(text):
            raise argparse.ArgumentTypeError(f"{_quote(text)} is not {what}")
        value = int(text)
        if value < lo:
            raise argparse.ArgumentTypeError(
                f"{value} is negative: {what} is required" if lo == 0 else
                f"must be at least {lo}, got {value}")
        if value > hi:
            raise argparse.ArgumentTypeError(f"{_quote(text)} is above the maximum {hi_text}")
        return value

    parse.__name__ = "integer"
    return parse


#: argparse type: an integer in [0, MAX_SIZE] (a degree, a dimension, a count).
non_negative_int = bounded_int(0, MAX_SIZE)
#: argparse type: an integer in [1, MAX_SIZE].
positive_int = bounded_int(1, MAX_SIZE)


def timeout_seconds(text: str) -> float | None:
    """argparse type for --timeout: a finite number of seconds in [0, MAX_TIMEOUT];
    0 means no time limit (returned as None)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{_quote(text.strip())} is not a number of "
                                         "seconds") from None
    if not (math.isfinite(value) and 0 <= value <= MAX_TIMEOUT):
        raise argparse.ArgumentTypeError(f"{_quote(text.strip())} must be a finite number of seconds "
                                         f"in [0, {MAX_TIMEOUT}] (0: no limit)")
    return value or None


def file_kind(mode: int) -> str | None:
    """What a file of this st_mode is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return ("a directory" if stat.S_ISDIR(mode) else "a FIFO (named pipe)"
            if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "not a regular file")


def output_file(suffix: str | None = None):
    """argparse type for a file to write: refuse an empty name and an existing
    directory, FIFO or socket (opening a FIFO for writing waits for a reader forever).
    ``suffix``: the writer appends it to a name without it, so that name is checked."""
    def parse(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError("an empty file name")
        name = text if suffix is None or text.endswith(suffix) else text + suffix
        try:
            mode = os.stat(name).st_mode
        except (OSError, ValueError):  # absent (to be created) or unreadable: the write says
            return text
        kind = file_kind(mode)
        if kind is not None and kind != "a device":  # /dev/null may be written to
            raise argparse.ArgumentTypeError(f"{_quote(name)} is {kind}, not a file to write")
        return text

    parse.__name__ = "file"
    return parse


def add_timeout_option(p: argparse.ArgumentParser) -> None:
    """--timeout SECONDS, validated the same way by every subcommand."""
    p.add_argument("--timeout", type=timeout_seconds, default=600.0,
                   help=f"wall-clock limit in seconds (default 600, at most {MAX_TIMEOUT}, "
                        "0: no limit; exit 3 when hit)")


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= 400 else text[:400] + "..."


@contextmanager
def time_limit(seconds: float | None):
    """Raise LimitExceeded after ``seconds`` of wall-clock time (main thread, Unix)."""
    if seconds is not None and not 0 <= seconds <= MAX_TIMEOUT:  # negative, NaN, huge
        raise UsageError(f"--timeout must be a number of seconds in [0, {MAX_TIMEOUT}], "
                         f"got {seconds}")
    if not seconds or seconds == float("inf") or not hasattr(signal, "SIGALRM"):
        yield
        return

    def on_alarm(signum, frame):
        raise LimitExceeded(f"time limit of {seconds:g} s reached (use --timeout to change it)")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def limits_from_args(args) -> Limits:
    changes = {}
    for name in ("max_degree", "max_terms", "max_tokens", "max_digits", "max_input_chars",
                 "max_cells"):
        value = getattr(args, name, None)
        if value is not None:
            if not 0 <= value <= LIMIT_MAXIMA[name]:
                raise UsageError(f"--{name.replace('_', '-')} must be in "
                                 f"[0, {LIMIT_MAXIMA[name]}], got {value}")
            changes[name] = value
    if "max_degree" in changes:  # one limit: an exponent above the degree limit is refused
        changes["max_exponent"] = changes["max_degree"]
    return replace(DEFAULT_LIMITS, **changes)


def add_limit_option(p: argparse.ArgumentParser, name: str, text: str) -> None:
    """--max-NAME N for a field of Limits: an integer in [0, LIMIT_MAXIMA[name]]."""
    top = LIMIT_MAXIMA[name]
    p.add_argument("--" + name.replace("_", "-"), type=bounded_int(0, top), dest=name,
                   help=f"{text} (default {getattr(DEFAULT_LIMITS, name)}, at most {top})")


def add_polynomial_argument(p: argparse.ArgumentParser, help_text: str) -> None:
    """The polynomial of a subcommand: an argument, ``-`` for stdin, or --file PATH."""
    p.add_argument("expr", nargs="?", help=f'{help_text}; "-" reads it from stdin')
    p.add_argument("--file", metavar="PATH", dest="expr_file",
                   help="read the polynomial from a file instead of the argument")


#: (attribute, file attribute, what) of the polynomial texts a command may read.
_TEXT_INPUTS = (("expr", "expr_file", "polynomial"), ("claim", "claim_file", "claim"))


def resolve_text_inputs(args) -> None:
    """Replace "-" by stdin and --file/--claim-file PATH by the file's text, bounded by
    --max-input-chars (UTF-8, at most 4 bytes a character, is read, then decoded)."""
    limit = getattr(args, "max_input_chars", None) or DEFAULT_LIMITS.max_input_chars
    for attr, file_attr, what in _TEXT_INPUTS:
        if not hasattr(args, attr):
            continue
        value, path = getattr(args, attr), getattr(args, file_attr, None)
        option = "--file" if file_attr == "expr_file" else "--claim-file"
        if path is not None:
            if value is not None:
                raise UsageError(f"give the {what} as an argument or with {option}, not both")
            data = read_input_file(path, f"{what} file", max_bytes=4 * limit + 4)
            source = f"{what} file {path!r}"
        elif value == "-":
            data = sys.stdin.buffer.read(4 * limit + 5)
            if len(data) > 4 * limit + 4:
                raise LimitExceeded(f"the {what} on stdin is longer than the limit of "
                                    f"{limit} characters")
            source = f"the {what} on stdin"
        elif value is None:
            forms = ("an argument, --file PATH, or - for stdin" if attr == "expr" else
                     "--claim TEXT, --claim-file PATH, or --claim - for stdin")
            raise UsageError(f"a {what} is required: {forms}")
        else:
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError(f"{source} is not valid UTF-8 text") from None
        if len(text) > limit:
            raise LimitExceeded(f"{source} has {len(text)} characters, more than the limit "
                                f"{limit} (--max-input-chars)")
        setattr(args, attr, text.strip())


def add_construction_option(p: argparse.ArgumentParser) -> None:
    """--construction, its choices listed from the one registry of constructions."""
    from .constructions import CONSTRUCTIONS
    p.add_argument("--construction", default="masked", choices=tuple(CONSTRUCTIONS),
                   help=f"{' | '.join(CONSTRUCTIONS)} (default masked)")


def add_limit_options(p: argparse.ArgumentParser, text: str = "the polynomial text") -> None:
    """--timeout and the limits on degree, terms, tokens, digits and input length."""
    add_timeout_option(p)
    add_limit_option(p, "max_degree", "degree limit (exponents included)")
    add_limit_option(p, "max_terms", "term-count limit")
    add_limit_option(p, "max_tokens", "token-count limit")
    add_limit_option(p, "max_digits", "limit on the digits of any number")
    add_limit_option(p, "max_input_chars", f"limit on the length of {text}")


def add_common_options(p: argparse.ArgumentParser, target_help: str = "target polynomial") -> None:
    p.add_argument("--vars", help="comma-separated variable order (other names are errors)")
    p.add_argument("--params", help="comma-separated symbolic coefficient names")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_limit_options(p)
    add_limit_option(p, "max_cells", "limit on the elements of each tensor of a model file "
                                     "that is read")


def print_summary(summary: dict, stream=None) -> None:
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


def verdict_line(summary: dict) -> str:
    line = f"{summary['verdict'].upper()} ({summary['rung']})"
    diff = summary.get("difference")
    if diff:
        line += (f": coefficient of {diff['monomial']}: model has {diff['model']}, "
                 f"claim has {diff['claim']}")
    return line


def _fallback(args, exc: Exception) -> bool:
    """True when --fallback mpmath is asked for and ``exc`` says the exact rungs cannot
    decide (not a malformed input, not a limit)."""
    return getattr(args, "fallback", None) == "mpmath" and isinstance(exc, (NotExact,
                                                                            NotAPolynomial))


def cmd_prove(args) -> int:
    rung = getattr(args, "rung", "exact")
    if rung == "mpmath":
        from .cli_numerical import cmd_prove_numerical
        return cmd_prove_numerical(args)
    if rung != "exact":
        from .cli_scale import cmd_prove_probabilistic
        return cmd_prove_probabilistic(args)
    from .cli_scale import check_exact_rung_options
    check_exact_rung_options(args)
    limits = limits_from_args(args)
    try:
        result = api.prove(args.expr, variables=args.vars, params=args.params,
                           construction=args.construction, degree=args.degree,
                           limits=limits, timeout=args.timeout, domain=args.domain)
    except (NotExact, NotAPolynomial) as exc:
        if not _fallback(args, exc):
            raise
        from .cli_numerical import cmd_prove_numerical
        return cmd_prove_numerical(args, fallback_reason=_one_line(exc))
    if args.save_model:
        from .model import dumps
        Path(args.save_model).write_text(dumps(result.model) + "\n")
    summary = result.summary()
    write_certificate_option(args, result, summary)
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        print_summary(summary)
        print(verdict_line(summary))
        print_evidence(summary)
    return EXIT_PROVED if result.proved else EXIT_REFUTED


def print_evidence(summary: dict, stream=None) -> None:
    """The verdict's evidence (box, sign certificates, softmax weights, counterexample)."""
    for key, value in summary.get("evidence", {}).items():
        print(f"  {key}: {value}", file=stream or sys.stdout)


def read_input_file(path: str, what: str, max_bytes: int = 200_000_000) -> bytes:
    """The bytes of a regular file, at most ``max_bytes`` of them (LimitExceeded beyond).

    Anything else is refused before a byte is read: a directory, a FIFO (reading it
    would wait for a writer forever), a device such as /dev/zero (endless, and its
    size reads as 0), a socket. The file is opened without blocking and checked with
    fstat on the open descriptor, so it cannot be swapped between check and read."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise ParseError(f"{what} {path!r} does not exist") from None
    except IsADirectoryError:
        raise ParseError(f"{what} {path!r} is a directory") from None
    except PermissionError:
        raise ParseError(f"{what} {path!r} cannot be read (permission denied)") from None
    except OSError as exc:
        raise ParseError(f"{what} {path!r} cannot be opened: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ParseError(f"{what} {path!r} is {file_kind(info.st_mode)}, not a regular "
                             "file")
        if info.st_size > max_bytes:
            raise LimitExceeded(f"{what} {path} is larger than {max_bytes} bytes")
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 24, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        raise ParseError(f"{what} {path!r} cannot be read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # it grew while being read
        raise LimitExceeded(f"{what} {path} is larger than {max_bytes} bytes")
    return data


def cmd_check_model(args) -> int:
    from .cli_onnx import cmd_check_onnx, is_onnx_path
    if is_onnx_path(args.model):  # an ONNX graph: executed exactly, see formats/onnx
        return cmd_check_onnx(args)
    rung = getattr(args, "rung", "exact")
    if rung == "mpmath":
        from .cli_numerical import cmd_check_model_numerical
        return cmd_check_model_numerical(args)
    if rung != "exact":
        from .cli_scale import cmd_check_model_probabilistic
        return cmd_check_model_probabilistic(args)
    from .cli_scale import check_exact_rung_options
    check_exact_rung_options(args)
    limits = limits_from_args(args)
    model, reconstruction = load_model_file(args, limits)
    try:
        result = api.check_model(model, args.claim, variables=args.vars, params=args.params,
                                 limits=limits, timeout=args.timeout, domain=args.domain)
    except (NotExact, NotAPolynomial) as exc:
        if not _fallback(args, exc):
            raise
        from .cli_numerical import cmd_check_model_numerical
        return cmd_check_model_numerical(args, fallback_reason=_one_line(exc))
    summary = result.summary()
    summary["model"] = args.model
    label_float_reading(summary, reconstruction, args)
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        print(f"model        {args.model}: {model!r}")
        if reconstruction:
            print(f"weights      {reconstruction}")
        print(f"claim        {summary['target']}")
        print(f"all numbers  {parameters_line(summary['parameters'])}")
        print(verdict_line(summary) + summary.get("verdict_about", ""))
        print_evidence(summary)
    return EXIT_PROVED if result.proved else EXIT_REFUTED


def load_model_file(args, limits: Limits):
    """(Model, note or None) of ``args.model``: exact JSON, or a float file (.npz/.pt)
    read by the one float-file reader, exactly unless --max-denominator asks to round."""
    from .model import loads
    data = read_input_file(args.model, "model file")
    if data[:2] == b"PK":  # a zip archive: a float export (.npz / .pt), not exact JSON
        from .cli_export import reconstruct_model_file
        return reconstruct_model_file(args.model, data, getattr(args, "max_denominator", None))
    return loads(data, limits), None


def label_float_reading(summary: dict, reconstruction: str | None, args) -> None:
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


def add_certificate_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--certificate", metavar="FILE", type=output_file(),
                   help="write a proof certificate (checked by `exactformer check FILE`)")
    p.add_argument("--trace", action="store_true",
                   help="include the exact intermediate polynomials in the certificate")


def write_certificate_option(args, result, summary: dict) -> None:
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
    from .certificate import certificate_for, write_certificate
    cert = certificate_for(result, trace=args.trace)
    write_certificate(cert, path)
    summary["certificate"] = {"file": path, "sha256": cert["sha256"]}
    if not args.json:
        print(f"certificate  {path} (sha256 {cert['sha256'][:16]}...)")


def add_domain_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--domain", metavar="BOX",
                   help="decide on a box, e.g. '[-1,1]^2' or '[0,1]x[0,2]' (needed for relu; "
                        "the relu construction defaults to [-1,1]^d)")


def cmd_theorem(args) -> int:
    from .theorem import prove_theorem
    limits = limits_from_args(args)
    result = prove_theorem(args.dim, args.degree, construction=args.construction,
                           limits=limits, timeout=args.timeout, domain=args.domain)
    summary = result.summary()
    write_certificate_option(args, result, summary)
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        print(f"theorem          {summary['statement']}")
        for key in ("tokens", "width", "blocks", "free_parameters"):
            print(f"{key.replace('_', ' '):<17}{summary[key]}")
        print(f"{'all numbers':<17}{parameters_line(summary['parameters'])}")
        print(f"time             {summary['seconds']:.3f} s")
        print(verdict_line(summary))
        print_evidence(summary)
    return EXIT_PROVED if result.verdict.holds else EXIT_REFUTED


def cmd_demo(args) -> int:
    from .demo import run_demo
    return run_demo(json_output=args.json)


#: Modules (in this package) that add subcommands: each has ``register(subparsers)``
#: and may use the helpers above (add_common_options, limits_from_args, ...).
COMMAND_MODULES: tuple[str, ...] = ("cli_certificates", "cli_teach", "cli_export", "cli_approx",
                                     "cli_float_error")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="exactformer",
                     description="Prove with exact arithmetic that fixed transformer blocks "
                                 "compute a polynomial with zero error.")
    from . import __version__
    parser.add_argument("--version", action="version", version=f"exactformer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("prove", help="build the transformer for a polynomial and prove it exact")
    add_polynomial_argument(p, 'target polynomial, e.g. "3*x**2*y - y/7 + 2"')
    add_common_options(p)
    add_construction_option(p)
    add_domain_option(p)
    p.add_argument("--degree", type=non_negative_int,
                   help="build for this degree (>= the target's)")
    p.add_argument("--save-model", metavar="FILE", type=output_file(),
                   help="write the model as JSON")
    add_certificate_options(p)
    from .cli_scale import add_rung_options
    add_rung_options(p)
    p.set_defaults(func=cmd_prove)

    p = sub.add_parser("check-model", help="check a model file (JSON, .npz, .pt, .onnx) "
                                           "against a claimed polynomial")
    p.add_argument("model", help="model file (exactformer-model/1 JSON, a float export "
                                 ".npz/.pt, or any ONNX graph FILE.onnx)")
    p.add_argument("--claim", help='the polynomial the model should compute ("-": read it '
                                   "from stdin)")
    p.add_argument("--claim-file", metavar="PATH", dest="claim_file",
                   help="read the claim from a file")
    add_domain_option(p)
    p.add_argument("--max-denominator", type=bounded_int(1, 2**2048, "2**2048"), default=None,
                   dest="max_denominator", metavar="N",
                   help="for a float file (.npz/.pt): by default every float is read as the "
                        "exact dyadic rational it stores, so the verdict is about the file; "
                        "with N, each weight is first ROUNDED to the nearest rational with "
                        "denominator <= N (an explicit reconstruction, labelled in the output: "
                        "the verdict is then about the rounded model, not the file)")
    add_common_options(p)
    from .cli_scale import add_rung_options
    add_rung_options(p)
    p.set_defaults(func=cmd_check_model)

    p = sub.add_parser("theorem", help="prove the generic statement for every polynomial "
                                       "of degree <= n in d variables")
    p.add_argument("--dim", type=non_negative_int, required=True,
                   help="number of variables d")
    p.add_argument("--degree", type=non_negative_int, required=True, help="degree n")
    add_construction_option(p)
    add_domain_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_timeout_option(p)
    add_limit_option(p, "max_degree", "degree limit (exponents included)")
    add_limit_option(p, "max_terms", "term-count limit")
    add_limit_option(p, "max_tokens", "token-count limit")
    add_limit_option(p, "max_digits", "limit on the digits of any number")
    add_certificate_options(p)
    p.set_defaults(func=cmd_theorem)

    p = sub.add_parser("demo", help="run a few instructive proofs")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_demo)
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__package__}.{name}").register(sub)
    for name, command in sub.choices.items():
        if name in EXAMPLES and not command.epilog:
            command.epilog = "examples:\n" + "\n".join(f"  {e}" for e in EXAMPLES[name])
            command.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


#: One or two examples per subcommand, shown at the end of its --help.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "prove": ('exactformer prove "3*x**2*y - y/7 + 2"',
              "exactformer prove - --json < poly.txt"),
    "check-model": ('exactformer check-model m.json --claim "x**2 - y"',
                    'exactformer check-model m.json --claim "sigmoid(x)" --rung mpmath'),
    "theorem": ("exactformer theorem --dim 3 --degree 5 --certificate thm.json",),
    "demo": ("exactformer demo",),
    "check": ("exactformer check cert.json",),
    "export": ("exactformer export cert.json --coq proof.v",),
    "export-model": ('exactformer export-model "x**2*y - 1/3" --numpy m.npz',),
    "explain": ('exactformer explain "x**2*y - 1/3" --html report.html',),
    "approx": ('exactformer approx "exp(x)" --degree 6 --domain=-1,1',),
    "fit": ("exactformer fit data.csv --degree 3",),
    "float-error": ('exactformer float-error m.json --claim "x**2*y - 1/3" --domain "[-1,1]^2" '
                    "--precision float32",),
}


def _protect_negative_expressions(argv: list[str]) -> list[str]:
    """Let an expression such as "-x**2 + 1" be a positional argument: argparse would
    take it for an option, so prefix it with a space (the parser ignores spaces).
    The only short option is -h, so any other single-dash word is an expression."""
    return [" " + a if len(a) > 1 and a[0] == "-" and a[1] != "-" and a != "-h" else a
            for a in argv]


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (never raises, never prints a traceback).

    An error is one line on stderr; with ``--json`` the same line is also the
    ``error`` of ONE JSON object on stdout: {"verdict": "error", "exit_code": N, ...}."""
    argv = list(sys.argv[1:] if argv is None else argv)
    want_json = "--json" in argv
    code, message = _run(argv)
    if message is not None:
        print(message, file=sys.stderr)
        if want_json:
            print(json.dumps({"verdict": "error", "exit_code": code, "error": message},
                             sort_keys=True))
    return code


def _run(argv: list[str]) -> tuple[int, str | None]:
    """(exit code, the one-line error message or None)."""
    parser = build_parser()
    try:
        args = parser.parse_args(_protect_negative_expressions(argv))
        if not getattr(args, "func", None):
            raise UsageError("a command is required (see exactformer --help)")
        from .cli_scale import command_context
        with time_limit(getattr(args, "timeout", None)), command_context(args):
            resolve_text_inputs(args)
            return args.func(args), None
    except UsageError as exc:
        return EXIT_BAD_INPUT, f"exactformer: usage error: {_one_line(exc)}"
    except ExactformerError as exc:
        code = next(c for cls, c in EXIT_CODES if isinstance(exc, cls))
        label = "limit exceeded" if code == EXIT_LIMIT else "error"
        return code, f"exactformer: {label}: {_one_line(exc)}"
    except BrokenPipeError:
        return 0, None
    except OSError as exc:  # a file that cannot be read or written: bad input, one line
        where = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
        return EXIT_BAD_INPUT, f"exactformer: error: cannot access{where}: {exc.strerror or exc}"
    except (MemoryError, RecursionError) as exc:
        what = "memory" if isinstance(exc, MemoryError) else "stack"
        return EXIT_LIMIT, f"exactformer: limit exceeded: out of {what}"
    except KeyboardInterrupt:
        return 130, "exactformer: interrupted"
    except InternalContradiction as exc:  # the tool caught itself: nothing is claimed
        return EXIT_INTERNAL, f"exactformer: internal error: {_one_line(exc)}"
    except ValueError as exc:
        if "integer string conversion" not in str(exc):  # a bug: one line, no traceback
            return _internal_error(exc)
        # Python refuses to print (or read) an integer of more than
        # sys.get_int_max_str_digits() digits: a result too large to show is a limit.
        return EXIT_LIMIT, (f"exactformer: limit exceeded: a number has more than "
                            f"{sys.get_int_max_str_digits()} digits (lower the sizes or "
                            "--max-digits)")
    except SystemExit as exc:  # --help and --version exit 0 through argparse
        return int(exc.code or 0), None
    except Exception as exc:  # a bug: still one line, never a traceback
        return _internal_error(exc)


def _internal_error(exc: Exception) -> tuple[int, str]:
    """A bug: still one line, never a traceback (exit 4)."""
    return EXIT_INTERNAL, (f"exactformer: internal error: {type(exc).__name__}: "
                           f"{_one_line(exc)} (this is a bug; please report it)")


def console() -> None:
    sys.exit(main())


if __name__ == "__main__":
    # run the package's own module, so that its exception classes are the ones raised
    from exactformer.cli import console as _console
    _console()
