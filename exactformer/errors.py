"""The few named exceptions of exactformer.

Every error a user can cause derives from :class:`ExactformerError`; the CLI maps
each class to an exit code in one place (``cli.EXIT_CODES``).
"""
from __future__ import annotations


class ExactformerError(Exception):
    """Base class of every error exactformer raises on purpose."""


class ParseError(ExactformerError, ValueError):
    """The input text is not a well-formed expression."""


class NotAPolynomial(ExactformerError, ValueError):
    """The input is well formed but is not a polynomial in the variables."""


class NameClash(ParseError):
    """A name would live in two name spaces (input, parameter, constant), or is not
    an ASCII identifier where one is required."""


class LimitExceeded(ExactformerError):
    """A configured resource limit (size, degree, terms, time) would be exceeded."""


class ShapeError(ExactformerError, ValueError):
    """A model's matrices do not fit together."""


class ModelFormatError(ExactformerError, ValueError):
    """A serialised model (JSON, .npz, .pt) is malformed."""


class CertificateError(ExactformerError, ValueError):
    """A certificate is malformed (not: well formed but false)."""


class NotExact(ExactformerError):
    """A computation left the exact domain (e.g. softmax of unequal polynomial scores)."""


class InternalContradiction(RuntimeError):
    """exactformer caught itself about to claim something its own evidence refutes (e.g. a
    sampled error larger than the bound it was about to certify). This is a bug, not a
    user error, hence not an :class:`ExactformerError`: the CLI exits 4 and claims nothing."""
