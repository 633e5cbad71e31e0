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
import signal
import sys
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from . import api
from .errors import (CertificateError, ExactformerError, LimitExceeded, ModelFormatError,
                     NotAPolynomial, NotExact, ParseError, ShapeError)
from .limits import DEFAULT_LIMITS, Limits

EXIT_PROVED, EXIT_REFUTED, EXIT_BAD_INPUT, EXIT_LIMIT, EXIT_INTERNAL = 0, 1, 2, 3, 4

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


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0 (a degree, a dimension, a count)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a non-negative integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative: a non-negative integer is "
                                         "required")
    return value


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= 400 else text[:400] + "..."


@contextmanager
def time_limit(seconds: float | None):
    """Raise LimitExceeded after ``seconds`` of wall-clock time (main thread, Unix)."""
    if seconds is not None and not seconds >= 0:  # negative or NaN
        raise UsageError(f"--timeout must be a non-negative number of seconds, got {seconds}")
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
    for name in ("max_degree", "max_terms", "max_tokens", "max_digits", "max_input_chars"):
        value = getattr(args, name, None)
        if value is not None:
            if value < 0:
                raise UsageError(f"--{name.replace('_', '-')} must be non-negative")
            changes[name] = value
    return replace(DEFAULT_LIMITS, **changes)


def add_common_options(p: argparse.ArgumentParser, target_help: str = "target polynomial") -> None:
    p.add_argument("--vars", help="comma-separated variable order (other names are errors)")
    p.add_argument("--params", help="comma-separated symbolic coefficient names")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--timeout", type=float, default=600.0,
                   help="wall-clock limit in seconds (default 600; exit 3 when hit)")
    p.add_argument("--max-degree", type=int, dest="max_degree", help="degree limit")
    p.add_argument("--max-terms", type=int, dest="max_terms", help="term-count limit")
    p.add_argument("--max-tokens", type=int, dest="max_tokens", help="token-count limit")
    p.add_argument("--max-digits", type=int, dest="max_digits",
                   help="limit on the digits of any number (default 2000)")
    p.add_argument("--max-input-chars", type=int, dest="max_input_chars",
                   help="limit on the length of the polynomial text (default 5000000)")


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


def cmd_prove(args) -> int:
    if getattr(args, "rung", "exact") != "exact":
        from .cli_scale import cmd_prove_probabilistic
        return cmd_prove_probabilistic(args)
    limits = limits_from_args(args)
    result = api.prove(args.expr, variables=args.vars, params=args.params,
                       construction=args.construction, degree=args.degree, limits=limits,
                       timeout=args.timeout, domain=args.domain)
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
    p = Path(path)
    try:
        if p.stat().st_size > max_bytes:
            raise LimitExceeded(f"{what} {path} is larger than {max_bytes} bytes")
        return p.read_bytes()
    except FileNotFoundError:
        raise ParseError(f"{what} {path!r} does not exist") from None
    except IsADirectoryError:
        raise ParseError(f"{what} {path!r} is a directory") from None
    except PermissionError:
        raise ParseError(f"{what} {path!r} cannot be read (permission denied)") from None


def cmd_check_model(args) -> int:
    if getattr(args, "rung", "exact") != "exact":
        from .cli_scale import cmd_check_model_probabilistic
        return cmd_check_model_probabilistic(args)
    from .model import loads
    limits = limits_from_args(args)
    data = read_input_file(args.model, "model file")
    reconstruction = None
    if data[:2] == b"PK":  # a zip archive: a float export (.npz / .pt), not exact JSON
        from .cli_export import reconstruct_model_file
        model, reconstruction = reconstruct_model_file(args.model, data, args.max_denominator)
    else:
        model = loads(data, limits)
    result = api.check_model(model, args.claim, variables=args.vars, params=args.params,
                             limits=limits, timeout=args.timeout, domain=args.domain)
    summary = result.summary()
    summary["model"] = args.model
    if reconstruction:
        summary["reconstruction"] = reconstruction
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        print(f"model        {args.model}: {model!r}")
        if reconstruction:
            print(f"weights      {reconstruction}")
        print(f"claim        {summary['target']}")
        print(verdict_line(summary))
        print_evidence(summary)
    return EXIT_PROVED if result.proved else EXIT_REFUTED


def add_certificate_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--certificate", metavar="FILE",
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
        print(f"time             {summary['seconds']:.3f} s")
        print(verdict_line(summary))
        print_evidence(summary)
    return EXIT_PROVED if result.verdict.holds else EXIT_REFUTED


def cmd_demo(args) -> int:
    from .demo import run_demo
    return run_demo(json_output=args.json)


#: Modules (in this package) that add subcommands: each has ``register(subparsers)``
#: and may use the helpers above (add_common_options, limits_from_args, ...).
COMMAND_MODULES: tuple[str, ...] = ("cli_certificates", "cli_teach", "cli_export", "cli_approx")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="exactformer",
                     description="Prove with exact arithmetic that fixed transformer blocks "
                                 "compute a polynomial with zero error.")
    from . import __version__
    parser.add_argument("--version", action="version", version=f"exactformer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("prove", help="build the transformer for a polynomial and prove it exact")
    p.add_argument("expr", help='target polynomial, e.g. "3*x**2*y - y/7 + 2"')
    add_common_options(p)
    p.add_argument("--construction", default="masked",
                   help="masked | softmax | relu | logdepth (default masked)")
    add_domain_option(p)
    p.add_argument("--degree", type=non_negative_int,
                   help="build for this degree (>= the target's)")
    p.add_argument("--save-model", metavar="FILE", help="write the model as JSON")
    add_certificate_options(p)
    from .cli_scale import add_rung_options
    add_rung_options(p)
    p.set_defaults(func=cmd_prove)

    p = sub.add_parser("check-model", help="check a model JSON file against a claimed polynomial")
    p.add_argument("model", help="model file (exactformer-model/1 JSON)")
    p.add_argument("--claim", required=True, help="the polynomial the model should compute")
    add_domain_option(p)
    p.add_argument("--max-denominator", type=int, default=10**6, dest="max_denominator",
                   help="for a float export (.npz/.pt): read each weight back as the nearest "
                        "rational with at most this denominator (default 10**6)")
    add_common_options(p)
    from .cli_scale import add_rung_options
    add_rung_options(p)
    p.set_defaults(func=cmd_check_model)

    p = sub.add_parser("theorem", help="prove the generic statement for every polynomial "
                                       "of degree <= n in d variables")
    p.add_argument("--dim", type=non_negative_int, required=True,
                   help="number of variables d")
    p.add_argument("--degree", type=non_negative_int, required=True, help="degree n")
    p.add_argument("--construction", default="masked",
                   help="masked | softmax | relu | logdepth (default masked)")
    add_domain_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--timeout", type=float, default=600.0, help="wall-clock limit in seconds")
    p.add_argument("--max-tokens", type=int, dest="max_tokens", help="token-count limit")
    add_certificate_options(p)
    p.set_defaults(func=cmd_theorem)

    p = sub.add_parser("demo", help="run a few instructive proofs")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_demo)
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__package__}.{name}").register(sub)
    return parser


def _protect_negative_expressions(argv: list[str]) -> list[str]:
    """Let an expression such as "-x**2 + 1" be a positional argument: argparse would
    take it for an option, so prefix it with a space (the parser ignores spaces).
    The only short option is -h, so any other single-dash word is an expression."""
    return [" " + a if len(a) > 1 and a[0] == "-" and a[1] != "-" and a != "-h" else a
            for a in argv]


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (never raises, never prints a traceback)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(_protect_negative_expressions(argv))
        if not getattr(args, "func", None):
            raise UsageError("a command is required (see exactformer --help)")
        from .cli_scale import command_context
        with time_limit(getattr(args, "timeout", None)), command_context(args):
            return args.func(args)
    except UsageError as exc:
        print(f"exactformer: usage error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ExactformerError as exc:
        code = next(c for cls, c in EXIT_CODES if isinstance(exc, cls))
        label = "limit exceeded" if code == EXIT_LIMIT else "error"
        print(f"exactformer: {label}: {_one_line(exc)}", file=sys.stderr)
        return code
    except BrokenPipeError:
        return 0
    except OSError as exc:  # a file that cannot be read or written: bad input, one line
        where = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
        print(f"exactformer: error: cannot access{where}: {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    except (MemoryError, RecursionError) as exc:
        print(f"exactformer: limit exceeded: out of {'memory' if isinstance(exc, MemoryError) else 'stack'}",
              file=sys.stderr)
        return EXIT_LIMIT
    except KeyboardInterrupt:
        print("exactformer: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line, never a traceback
        print(f"exactformer: internal error: {type(exc).__name__}: {_one_line(exc)} "
              "(this is a bug; please report it)", file=sys.stderr)
        return EXIT_INTERNAL


def console() -> None:
    sys.exit(main())


if __name__ == "__main__":
    console()
