"""exactformer: exact proofs that fixed transformer blocks compute a polynomial.

    >>> from exactformer import prove
    >>> prove("x**2 + 1").verdict.verdict
    'proved'
"""
from .api import ProofResult, build, check_model, prove
from .errors import (CertificateError, ExactformerError, LimitExceeded, ModelFormatError,
                     NotAPolynomial, NotExact, ParseError, ShapeError)
from .limits import DEFAULT_LIMITS, Limits
from .poly import Target, make_target

__version__ = "0.1.0"

__all__ = ["prove", "build", "check_model", "ProofResult", "Target", "make_target",
           "Limits", "DEFAULT_LIMITS", "ExactformerError", "ParseError", "NotAPolynomial",
           "LimitExceeded", "ShapeError", "ModelFormatError", "CertificateError", "NotExact"]
