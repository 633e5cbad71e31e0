"""Argument types and the options shared by subcommands (limits, time, polynomial
input, construction, domain, certificate), each validated the same way everywhere."""
from __future__ import annotations

import argparse
import math
import os
import re
import stat
from dataclasses import replace
from typing import Callable, NoReturn

from ...limits import DEFAULT_LIMITS, Limits
from .codes import UsageError



class ArgumentParser(argparse.ArgumentParser):
    """argparse, with a usage error raised as :class:`UsageError` (one line, exit 2)."""

    def error(self, message: str) -> NoReturn:  # one clear line, exit 2, no usage dump
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


def bounded_int(lo: int, hi: int, hi_text: str | None = None) -> Callable[[str], int]:
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


def output_file(suffix: str | None = None) -> Callable[[str], str]:
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


def limits_from_args(args: argparse.Namespace) -> Limits:
    changes: dict[str, int] = {}
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


def add_construction_option(p: argparse.ArgumentParser) -> None:
    """--construction, its choices listed from the one registry of constructions."""
    from ...constructions import CONSTRUCTIONS
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
    add_json_option(p)
    add_limit_options(p)
    add_limit_option(p, "max_cells", "limit on the elements of each tensor of a model file "
                                     "that is read")


def add_domain_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--domain", metavar="BOX",
                   help="decide on a box, e.g. '[-1,1]^2' or '[0,1]x[0,2]' (needed for relu; "
                        "the relu construction defaults to [-1,1]^d)")


def add_certificate_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--certificate", metavar="FILE", type=output_file(),
                   help="write a proof certificate (checked by `exactformer check FILE`)")
    p.add_argument("--trace", action="store_true",
                   help="include the exact intermediate polynomials in the certificate")


def add_json_option(p: argparse.ArgumentParser) -> None:
    """--json: ONE JSON object on stdout, errors included."""
    p.add_argument("--json", action="store_true",
                   help='print one JSON object (errors too: {"verdict": "error", ...})')


def add_backend_option(p: argparse.ArgumentParser) -> None:
    """--backend: the exact polynomial backend (speed only: both are exact)."""
    from ...engine.environment import BACKENDS
    p.add_argument("--backend", choices=BACKENDS,
                   help="exact polynomial backend (default auto: flint when installed and useful)")
