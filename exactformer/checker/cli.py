"""``python -m exactformer.checker CERT.json [--json] [--timeout SECONDS]``.

Exit 0 when the certificate is valid, 1 when it is well formed but wrong, 2 when it is
malformed (or on a usage error, or for anything but a regular file), 3 when a size or
time limit stops the check (no verdict; see SECURITY.md). --timeout defaults to 600
seconds, must be finite and at most 30 days; 0 means no limit. The deadline covers
reading the file and parsing it as well as the check.
"""
from __future__ import annotations

import json
import math
import sys
from typing import Sequence

from .check import check_file
from .errors import MALFORMED, VALID

DEFAULT_TIMEOUT = 600.0  # seconds, for ``python -m exactformer.checker`` (as the CLI)
#: Largest --timeout of the standalone checker, in seconds (30 days, as the CLI).
MAX_TIMEOUT = 30 * 86_400
USAGE = "usage: python -m exactformer.checker CERT.json [--json] [--timeout SECONDS]"


def _usage_error(message: str) -> int:
    print(f"exactformer.checker: usage error: {message} ({USAGE})", file=sys.stderr)
    return MALFORMED


def _timeout_value(text: str) -> float | None:
    """--timeout SECONDS: finite, in [0, MAX_TIMEOUT]; 0 means no limit. ValueError else."""
    value = float(text)  # ValueError for text that is not a number
    if not (math.isfinite(value) and 0 <= value <= MAX_TIMEOUT):
        raise ValueError(text)
    return value or None


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m exactformer.checker CERT [--json] [--timeout SECONDS]``: exit 0 valid,
    1 invalid, 2 malformed (or a usage error), 3 a size or time limit (by default
    DEFAULT_TIMEOUT seconds; --timeout 0: no limit)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    timeout: float | None
    as_json, timeout, paths = False, DEFAULT_TIMEOUT, []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not isinstance(arg, str):
            return _usage_error(f"arguments must be strings, got {type(arg).__name__}")
        if arg == "--json":
            as_json = True
        elif arg == "--timeout" or arg.startswith("--timeout="):
            if "=" in arg:
                text = arg.split("=", 1)[1]
            elif i + 1 < len(argv):
                i += 1
                text = argv[i]
            else:
                return _usage_error("--timeout needs a number of seconds")
            try:
                timeout = _timeout_value(text)
            except ValueError:
                return _usage_error(f"--timeout {text[:40]!r} must be a finite number of "
                                    f"seconds in [0, {MAX_TIMEOUT}] (0: no limit)")
        elif arg in ("-h", "--help"):
            print(USAGE)
            return VALID
        elif arg == "--":
            paths.extend(argv[i + 1:])
            break
        elif arg.startswith("-") and arg != "-":
            return _usage_error(f"unknown option {arg[:40]!r}")
        else:
            paths.append(arg)
        i += 1
    if len(paths) != 1:
        return _usage_error("exactly one certificate file is needed, got "
                            f"{len(paths)}")
    report = check_file(paths[0], timeout=timeout)
    if as_json:
        print(json.dumps({"certificate": paths[0], **report.to_json()}, sort_keys=True))
    elif report.valid:
        print(report.message)
    else:
        print(report.message, file=sys.stderr)
    return report.code
