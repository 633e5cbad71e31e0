"""``exactformer demo``: a few instructive proofs, in seconds."""
from __future__ import annotations

import argparse

from ..demo import run_demo
from .common import add_json_option, print_json



NAME = "demo"


EXAMPLES = ("exactformer demo", "exactformer demo --json")


def cmd_demo(args: argparse.Namespace) -> int:
    return run_demo(json_output=args.json, emit_json=print_json)


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``demo``."""
    p = sub.add_parser(NAME, help="run a few instructive proofs")
    add_json_option(p)
    p.set_defaults(func=cmd_demo)
