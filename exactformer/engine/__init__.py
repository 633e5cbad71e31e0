"""The generic interpreter and its scalar domains."""
from .domains import Domain, FloatDomain, MpmathDomain, PolynomialDomain, RationalDomain
from .interpreter import BlockTrace, Trace, embed, run

__all__ = ["Domain", "FloatDomain", "MpmathDomain", "PolynomialDomain", "RationalDomain",
           "BlockTrace", "Trace", "embed", "run"]
