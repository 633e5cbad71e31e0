"""The checker's outcomes as exceptions, and its exit codes (standard library only)."""
from __future__ import annotations

VALID, INVALID, MALFORMED, LIMIT = 0, 1, 2, 3


class Malformed(Exception):
    """The certificate is not a well-formed exactformer-certificate/1 (exit 2)."""


class Invalid(Exception):
    """The certificate is well formed but what it claims does not hold (exit 1)."""


class TimeLimit(Exception):
    """The check ran past its time limit (exit 3): no verdict."""


class TooLarge(TimeLimit):
    """A size limit (terms of a product, digits of a number) would be passed (exit 3,
    like the time limit): refused before the work, never approximated."""
