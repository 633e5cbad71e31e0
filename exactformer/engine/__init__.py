"""The generic interpreter and its scalar domains."""
from .domains import (BoxPolynomialDomain, Domain, FloatDomain, IntervalDomain, MpmathDomain,
                      PolynomialDomain, RationalDomain, SignChange, polynomial_interval)
from .domains import FlintPolynomialDomain, flint_available, polynomial_domain
from .interpreter import BlockTrace, Trace, embed, run
from .backends import run_exact

__all__ = ["Domain", "FloatDomain", "IntervalDomain", "MpmathDomain", "PolynomialDomain", "RationalDomain",
           "BoxPolynomialDomain", "SignChange", "polynomial_interval",
           "BlockTrace", "Trace", "embed", "run",
           "FlintPolynomialDomain", "flint_available", "polynomial_domain", "run_exact"]
