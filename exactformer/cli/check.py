"""``exactformer check CERT``: re-check a proof certificate with the independent
standard-library checker (:mod:`exactformer.checker`): exit 0 valid, 1 invalid (well
formed, but what it claims does not hold), 2 malformed, 3 a size or time limit."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from ..checker.check import check_file
from .common import add_json_option, add_timeout_option, print_json



NAME = "check"


EXAMPLES = ("exactformer check cert.json", "exactformer check cert.json --json")


def cmd_check(args: argparse.Namespace) -> int:
    report = check_file(args.certificate, timeout=args.timeout)
    if args.json and report.code in (0, 1):  # decided: valid = the stated identity is proved
        print_json({**_shared_keys(report.details, args.certificate),
                    "message": report.message,
                    "verdict": "proved" if report.valid else "refuted"})
    elif args.json:  # malformed or a limit: the error object, its line also on stderr
        line = f"exactformer: {report.message}"
        print(line, file=sys.stderr)
        print_json({"verdict": "error", "error": line})
    elif report.valid:
        d = report.details
        print(f"certificate  {args.certificate} ({d['kind']}, sha256 {d['sha256'][:16]}...)")
        print(f"model        tokens={d['tokens']} width={d['width']} blocks={d['blocks']}")
        print(f"checked      by the standard-library checker in {d['seconds']:.3f} s")
        print(report.message)
    else:
        print(f"exactformer: {report.message}", file=sys.stderr)
    return report.code


def _shared_keys(details: dict[str, Any], path: str) -> dict[str, Any]:
    """The checker's details under the keys every subcommand uses: ``certificate``
    {file, sha256}, ``statement`` (what is asserted), ``domain`` (the box as text)."""
    out = dict(details)
    out["certificate"] = {"file": path}
    if "sha256" in out:
        out["certificate"]["sha256"] = out.pop("sha256")
    if "claim" in out:
        out["statement"] = out.pop("claim")
    if "box" in out:
        out["domain"] = out.pop("box")
    return out


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``check``."""
    p = sub.add_parser(NAME, help="check a proof certificate with the independent "
                                            "standard-library checker (0 valid, 1 invalid, "
                                            "2 malformed, 3 limit)")
    p.add_argument("certificate", help="certificate file (exactformer-certificate/1 JSON)")
    add_json_option(p)
    add_timeout_option(p)
    p.set_defaults(func=cmd_check)
