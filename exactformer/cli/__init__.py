"""The ``exactformer`` command line: a thin layer over the Python API.

This package assembles the parser from one module per subcommand (each has ``NAME``,
``EXAMPLES`` and ``register(sub)``) and runs it. Subcommand modules import only
:mod:`.common` and the library. Exit codes, everywhere: 0 proved/valid (exact only), 1
refuted/invalid, 2 bad input or usage, 3 a resource limit, 4 an internal contradiction
(a bug), 5 not decided exactly (numerical or probabilistic agreement, never a proof).
With ``--json`` every subcommand prints ONE JSON object on stdout, errors included:
``{"verdict": "error", "exit_code": N, "error": "<the line printed on stderr>"}``.
"""
from __future__ import annotations

import argparse
import os
import sys
from types import ModuleType

from ..errors import ExactformerError, InternalContradiction
from . import (approx, check, check_model, demo, explain, export, export_model, fit,
               float_error, prove, theorem)
from .common import (EXIT_BAD_INPUT, EXIT_BROKEN_PIPE, EXIT_CODES, EXIT_INTERNAL, EXIT_LIMIT, EXIT_NUMERICAL,
                     EXIT_PROVED, EXIT_REFUTED, UsageError, command_context, one_line,
                     resolve_text_inputs, time_limit)
from .common.output import collect_json, emit_json
from .common.options import ArgumentParser

#: The subcommands, in the order ``exactformer --help`` lists them.
SUBCOMMANDS: tuple[ModuleType, ...] = (prove, check_model, theorem, demo, check, export,
                                        explain, export_model, approx, fit, float_error)

#: The examples at the end of each subcommand's --help, by subcommand name.
EXAMPLES: dict[str, tuple[str, ...]] = {m.NAME: m.EXAMPLES for m in SUBCOMMANDS}


def build_parser() -> argparse.ArgumentParser:
    """The whole parser: one sub-parser per module of :data:`SUBCOMMANDS`, each ending
    with its examples."""
    parser = ArgumentParser(prog="exactformer",
                            description="Prove with exact arithmetic that fixed transformer "
                                        "blocks compute a polynomial with zero error.")
    from .. import __version__
    parser.add_argument("--version", action="version", version=f"exactformer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    for module in SUBCOMMANDS:
        module.register(sub)
    for name, command in sub.choices.items():
        command.epilog = "examples:\n" + "\n".join(f"  {e}" for e in EXAMPLES[name])
        command.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


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
    # argparse also accepts an unambiguous prefix such as --js
    want_json = any(len(a) > 3 and "--json".startswith(a) for a in argv)
    with collect_json() as collected:  # printed below, with the exit code
        code, message = _run(argv)
    try:
        if message is not None:
            print(message, file=sys.stderr)
            if want_json:
                emit_json({"verdict": "error", "error": message}, code)
        elif collected:
            emit_json(collected[-1], code)
    except BrokenPipeError:  # the verdict is known; its output was not delivered
        _drop_stdout()
    return code


def _run(argv: list[str]) -> tuple[int, str | None]:
    """(exit code, the one-line error message or None)."""
    parser = build_parser()
    try:
        args = parser.parse_args(_protect_negative_expressions(argv))
        if not getattr(args, "func", None):
            raise UsageError("a command is required (see exactformer --help)")
        with time_limit(getattr(args, "timeout", None)), command_context(args):
            resolve_text_inputs(args)
            return args.func(args), None
    except UsageError as exc:
        return EXIT_BAD_INPUT, f"exactformer: usage error: {one_line(exc)}"
    except ExactformerError as exc:
        code = next(c for cls, c in EXIT_CODES if isinstance(exc, cls))
        label = "limit exceeded" if code == EXIT_LIMIT else "error"
        return code, f"exactformer: {label}: {one_line(exc)}"
    except BrokenPipeError:  # the reader went away: nothing was delivered, never exit 0
        _drop_stdout()
        return EXIT_BROKEN_PIPE, "exactformer: error: the output was closed before the result was printed"
    except OverflowError:  # a finite rational too large for a float64
        return EXIT_LIMIT, ("exactformer: limit exceeded: a number is too large for a float "
                            "(lower the sizes, e.g. of --domain)")
    except OSError as exc:  # a file that cannot be read or written: bad input, one line
        where = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
        return EXIT_BAD_INPUT, f"exactformer: error: cannot access{where}: {exc.strerror or exc}"
    except (MemoryError, RecursionError) as exc:
        what = "memory" if isinstance(exc, MemoryError) else "stack"
        return EXIT_LIMIT, f"exactformer: limit exceeded: out of {what}"
    except KeyboardInterrupt:
        return 130, "exactformer: interrupted"
    except InternalContradiction as exc:  # the tool caught itself: nothing is claimed
        return EXIT_INTERNAL, f"exactformer: internal error: {one_line(exc)}"
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


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit raises nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _internal_error(exc: Exception) -> tuple[int, str]:
    """A bug: still one line, never a traceback (exit 4)."""
    return EXIT_INTERNAL, (f"exactformer: internal error: {type(exc).__name__}: "
                           f"{one_line(exc)} (this is a bug; please report it)")


def console() -> None:
    sys.exit(main())


__all__ = ["EXAMPLES", "EXIT_BAD_INPUT", "EXIT_INTERNAL", "EXIT_LIMIT", "EXIT_NUMERICAL",
           "EXIT_PROVED", "EXIT_REFUTED", "SUBCOMMANDS", "build_parser", "console", "main"]
