"""Exit codes, the error classes behind them, and the usage error of the command line.

0 proved/valid (exact proofs only), 1 refuted/invalid, 2 bad input or usage, 3 a
resource limit, 4 an internal contradiction (a bug; nothing is claimed), 5 not decided
exactly (numerical or probabilistic agreement, never a proof)."""
from __future__ import annotations

from ...errors import (CertificateError, ExactformerError, LimitExceeded, ModelFormatError,
                       NotAPolynomial, NotExact, ParseError, ShapeError)

EXIT_PROVED, EXIT_REFUTED, EXIT_BAD_INPUT, EXIT_LIMIT, EXIT_INTERNAL = 0, 1, 2, 3, 4


#: Not decided exactly: agreement on the mpmath rung (numerical evidence) or the
#: Schwartz-Zippel rung (probabilistic). Never a proof; exit 0 is for exact proofs only.
EXIT_NUMERICAL = 5

#: stdout was closed before the result was printed (the shell's SIGPIPE convention,
#: 128 + 13): the result never reached the reader, so it is never reported as 0.
EXIT_BROKEN_PIPE = 141


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
