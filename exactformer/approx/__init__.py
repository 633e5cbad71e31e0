"""Universality made concrete: approximate a continuous function, prove the model, bound the error.

Pipeline of :func:`approximate`: parse a whitelisted function safely; interpolate it
at Chebyshev points and round the coefficients to exact rationals (the approximant
p is then an exact rational polynomial of total degree n); build the fixed-block
transformer whose readout holds p's coefficients and PROVE model == p exactly
(rung 1); finally bound sup |f - p| over the box with interval arithmetic
(:mod:`.certify`), and report the sampled error next to it. Since model == p
exactly, the certified bound is also a bound on sup |f - model|.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from ..constructions import build_model
from ..errors import LimitExceeded, ParseError
from ..limits import DEFAULT_LIMITS, Limits
from ..model import Model
from ..poly import Target
from ..verify import Verdict, verify_identity
from .certify import Bound, certified_bound, decimal_up, sampled_error
from .chebyshev import Approximant, exact_approximant, format_polynomial
from .functions import FUNCTIONS, Function, NotBounded, parse_function

_RATIONAL = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,4})?(?:/\d+)?\s*\Z")
#: Largest number of Chebyshev samples (n+1)^d.
MAX_SAMPLES = 40_000


def parse_rational(text: str, what: str = "number") -> Fraction:
    """An exact rational from '3', '-0.25', '1e-3' or '3/7' (nothing else).

    >>> parse_rational("-3/6")
    Fraction(-1, 2)
    """
    if not isinstance(text, str) or len(text) > 200 or not _RATIONAL.match(text):
        raise ParseError(f"{what} {str(text)[:40]!r} is not a rational number")
    try:
        return Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise ParseError(f"{what} {text.strip()!r} is not a rational number") from None


def parse_domain(text: str, d: int) -> tuple[tuple[Fraction, Fraction], ...]:
    """'a,b' (the same interval for every variable) or 'a,b;c,d;...' (one per variable).

    >>> parse_domain("-1,1", 2)
    ((Fraction(-1, 1), Fraction(1, 1)), (Fraction(-1, 1), Fraction(1, 1)))
    """
    parts = [p for p in str(text).split(";")]
    if len(parts) == 1:
        parts = parts * d
    if len(parts) != d:
        raise ParseError(f"--domain gives {len(parts)} intervals for {d} variables")
    box = []
    for p in parts:
        ends = p.split(",")
        if len(ends) != 2:
            raise ParseError(f"interval {p.strip()!r} must be 'a,b'")
        a, b = (parse_rational(e, "domain end point") for e in ends)
        if not a < b:
            raise ParseError(f"interval [{a}, {b}] is empty or a point (need a < b)")
        box.append((a, b))
    return tuple(box)


@dataclass
class ApproxResult:
    """Everything :func:`approximate` decided, measured and built."""

    function: Function
    approximant: Approximant
    target: Target
    model: Model
    verdict: Verdict
    bound: Bound
    sampled: float
    sampled_at: tuple
    seconds: float

    def summary(self) -> dict:
        m, a = self.model, self.approximant
        return {
            **self.verdict.to_json(),
            "function": self.function.text.strip(),
            "variables": list(a.variables),
            "domain": [[str(lo), str(hi)] for lo, hi in a.box],
            "degree": a.degree,
            "tokens": m.tokens,
            "width": m.width,
            "blocks": m.depth,
            "free_parameters": m.free_parameters,
            "approximant": (f"tensor-product Chebyshev interpolation at {a.degree + 1}^"
                            f"{len(a.box)} points, truncated to total degree {a.degree}, "
                            f"coefficients rounded to multiples of 2^-{a.bits}"),
            "polynomial": a.polynomial_string(),
            "error_bound": decimal_up(self.bound.value),
            "error_bound_method": self.bound.method(),
            "sampled_max_error": self.sampled,
            "sampled_max_error_note": "max of |f - p| on a grid, mpmath 40 digits: "
                                      "numerical evidence, not a bound",
            "seconds": round(self.seconds, 3),
        }


def approximate(text: str, degree: int, domain: str | Sequence = "-1,1",
                variables: Sequence[str] | None = None, bits: int = 64,
                budget: int | None = None, bound_seconds: float = 20.0,
                order: int | None = None, samples: int = 2000,
                limits: Limits = DEFAULT_LIMITS) -> ApproxResult:
    """Approximate f on the box by an exact polynomial of degree ``degree``, prove the
    transformer computes that polynomial, and certify sup |f - p| (see the module text)."""
    start = time.perf_counter()
    fn = parse_function(text, variables, limits)
    d = len(fn.variables)
    if not isinstance(degree, int) or degree < 0:
        raise ParseError(f"degree must be a non-negative integer, got {degree!r}")
    if degree > min(limits.max_degree, 200):
        raise LimitExceeded(f"degree {degree} exceeds the approximation limit 200")
    if (degree + 1) ** d > MAX_SAMPLES:
        raise LimitExceeded(f"(degree+1)^d = {(degree + 1) ** d} Chebyshev samples exceed "
                            f"the limit {MAX_SAMPLES}")
    if not 8 <= bits <= 4096:
        raise ParseError(f"bits must lie in [8, 4096], got {bits}")
    box = parse_domain(domain, d) if isinstance(domain, str) else tuple(
        (Fraction(a), Fraction(b)) for a, b in domain)
    approx = exact_approximant(fn, box, degree, bits)
    target = Target.from_terms(fn.variables, approx.terms)
    model = build_model(target, "masked", degree=degree, limits=limits)
    verdict, _, _ = verify_identity(model, target, limits=limits)
    sampled, where = sampled_error(fn, approx, samples)
    if budget is None:
        budget = {1: 60, 2: 160}.get(d, 400)
    margin = Fraction(sampled) * Fraction(3, 2) if sampled > 0 else None
    bound = certified_bound(fn, approx, order=order, budget=budget,
                            seconds=bound_seconds, target=margin)
    return ApproxResult(fn, approx, target, model, verdict, bound, sampled, where,
                        time.perf_counter() - start)


__all__ = ["approximate", "ApproxResult", "parse_domain", "parse_rational", "FUNCTIONS",
           "NotBounded", "parse_function", "certified_bound", "sampled_error",
           "exact_approximant", "format_polynomial"]
