"""Where the command line reads its inputs: a polynomial as an argument, ``-`` for
stdin or ``--file PATH``; regular files only, bounded in size; model files through
:func:`exactformer.formats.load_model_bytes` (the one answer to "how does a model enter")."""
from __future__ import annotations

import argparse
import os
import stat
import sys

from ...errors import LimitExceeded, ParseError
from ...formats import load_model_bytes
from ...limits import DEFAULT_LIMITS, Limits
from ...model import Model
from .codes import UsageError
from .options import file_kind



#: (attribute, file attribute, what) of the polynomial texts a command may read.
_TEXT_INPUTS = (("expr", "expr_file", "polynomial"), ("claim", "claim_file", "claim"))


def resolve_text_inputs(args: argparse.Namespace) -> None:
    """Replace "-" by stdin and --file/--claim-file PATH by the file's text, bounded by
    --max-input-chars (UTF-8, at most 4 bytes a character, is read, then decoded)."""
    limit = getattr(args, "max_input_chars", None)
    if limit is None:
        limit = DEFAULT_LIMITS.max_input_chars
    for attr, file_attr, what in _TEXT_INPUTS:
        if not hasattr(args, attr):
            continue
        value, path = getattr(args, attr), getattr(args, file_attr, None)
        option = "--file" if file_attr == "expr_file" else "--claim-file"
        if path is not None:
            if value is not None:
                raise UsageError(f"give the {what} as an argument or with {option}, not both")
            try:
                data = read_input_file(path, f"{what} file", max_bytes=4 * limit + 4)
            except LimitExceeded:  # say it in the user's unit, characters
                raise LimitExceeded(f"the {what} file {path!r} is longer than the limit of "
                                    f"{limit} characters (--max-input-chars)") from None
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


def load_model_file(args: argparse.Namespace, limits: Limits) -> tuple[Model, str | None]:
    """(Model, note or None) of ``args.model``: exact JSON, or a float file (.npz/.pt)
    read by the one float-file reader, exactly unless --max-denominator asks to round."""
    data = read_input_file(args.model, "model file")
    return load_model_bytes(data, args.model, limits, getattr(args, "max_denominator", None))
