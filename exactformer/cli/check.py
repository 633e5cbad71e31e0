"""``exactformer check CERT``: re-check a proof certificate with the independent
standard-library checker (:mod:`exactformer.checker`): exit 0 valid, 1 invalid (well
formed, but what it claims does not hold), 2 malformed, 3 a size or time limit."""
from __future__ import annotations

import argparse
import sys

from ..checker.check import check_file
from .common import add_json_option, add_timeout_option, print_json



NAME = "check"


EXAMPLES = ("exactformer check cert.json", "exactformer check cert.json --json")


def cmd_check(args: argparse.Namespace) -> int:
    report = check_file(args.certificate, timeout=args.timeout)
    if args.json:
        data = {"certificate": args.certificate, **report.to_json()}
        if report.code in (0, 1):  # decided: valid = the stated identity is proved
            data["verdict"] = "proved" if report.valid else "refuted"
        print_json(data)
    elif report.valid:
        d = report.details
        print(f"certificate  {args.certificate} ({d['kind']}, sha256 {d['sha256'][:16]}...)")
        print(f"model        tokens={d['tokens']} width={d['width']} blocks={d['blocks']}")
        print(f"checked      by the standard-library checker in {d['seconds']:.3f} s")
        print(report.message)
    else:
        print(f"exactformer: {report.message}", file=sys.stderr)
    return report.code


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``check``."""
    p = sub.add_parser(NAME, help="check a proof certificate with the independent "
                                            "standard-library checker (0 valid, 1 invalid, "
                                            "2 malformed, 3 limit)")
    p.add_argument("certificate", help="certificate file (exactformer-certificate/1 JSON)")
    add_json_option(p)
    add_timeout_option(p)
    p.set_defaults(func=cmd_check)
