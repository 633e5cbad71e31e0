"""The checker's size and time limits, in one place (exit 3 when one would be passed).

Code reads them as ``limits.NAME`` when it runs, so that setting one on the package
(``exactformer.checker.MAX_BYTES = ...``) sets it here for every module.
"""
from __future__ import annotations

import time

from .errors import TimeLimit

MAX_BYTES = 200_000_000      # a certificate file
MAX_NUMBER_CHARS = 5000      # an exact number's text; JSON integers: half of it in digits
MAX_EXPONENT = 1000          # an exponent in a file or a readout form
MAX_TOKENS = 200_000         # tokens, and each matrix dimension
MAX_CELLS = 10_000_000       # tokens x (width, head or hidden size): bounds the memory used
MAX_PRODUCT_WORK = 20_000_000  # terms(p) * terms(q) of one polynomial product
MAX_FORM_BITS = 200_000      # bits of a power in a readout form
MAX_FORM_TERMS = 100_000     # terms of a power in a readout form


#: The deadline (time.monotonic()) of the check under way, None for none.
_deadline: float | None = None


def check_deadline() -> None:
    """Raise TimeLimit once the deadline of the check under way has passed."""
    if _deadline is not None and time.monotonic() > _deadline:
        raise TimeLimit("time limit reached (use --timeout to change it)")


class deadline_scope:
    """``with deadline_scope(seconds):`` a deadline (the earlier one if already set)."""

    def __init__(self, timeout: float | None):
        """timeout: seconds from entry, None for none."""
        self.timeout = timeout

    def __enter__(self) -> None:
        """Start the deadline."""
        global _deadline
        self.saved = _deadline
        if self.timeout is not None:
            mine = time.monotonic() + self.timeout
            _deadline = mine if _deadline is None else min(_deadline, mine)

    def __exit__(self, *exc: object) -> None:
        """Restore the deadline of before."""
        global _deadline
        _deadline = self.saved
