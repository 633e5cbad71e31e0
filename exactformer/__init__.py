"""exactformer: exact proofs that fixed transformer blocks compute a polynomial.

    >>> from exactformer import prove
    >>> prove("x**2 + 1").verdict.verdict
    'proved'
"""
from typing import Any

from .errors import (CertificateError, ExactformerError, LimitExceeded, ModelFormatError,
                     NotAPolynomial, NotExact, ParseError, ShapeError)
from .limits import DEFAULT_LIMITS, Limits

# The prover's names are loaded on first use, so that the package itself imports
# with the standard library alone: ``python -m exactformer.checker`` must run where
# sympy and mpmath cannot be imported.
_LAZY = {"prove": "api", "build": "api", "check_model": "api", "ProofResult": "api",
         "Target": "poly", "make_target": "poly"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__version__ = "0.1.0"

__all__ = ["prove", "build", "check_model", "ProofResult", "Target", "make_target",
           "Limits", "DEFAULT_LIMITS", "ExactformerError", "ParseError", "NotAPolynomial",
           "LimitExceeded", "ShapeError", "ModelFormatError", "CertificateError", "NotExact"]
