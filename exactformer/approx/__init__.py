"""Universality made concrete: approximate a continuous function, prove the model, bound the error.

Pipeline of :func:`approximate`: parse a whitelisted function safely; interpolate it
at Chebyshev points and round the coefficients to exact rationals (the approximant
p is then an exact rational polynomial of total degree n); build the fixed-block
transformer whose readout holds p's coefficients and PROVE model == p exactly
(rung 1); finally bound sup |f - p| over the box with interval arithmetic
(:mod:`.certify`), and report the sampled error next to it. Since model == p
exactly, the certified bound is also a bound on sup |f - model|.

Every option is checked before any work (ParseError for a bad value, LimitExceeded
for a resource limit), and the result checks itself: no sampled error may exceed the
bound (:func:`.certify.confirm_bound`, else InternalContradiction, nothing claimed).
"""
from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

from ..constructions import build_model
from ..errors import LimitExceeded, ParseError
from ..limits import DEFAULT_LIMITS, Limits
from ..model import Model
from ..poly import Target
from ..poly.box import Box
from ..verify import Verdict, verify_identity
from .certify import (Bound, Point, certified_bound, check_order, check_seconds, confirm_bound,
                      decimal_up, grid_errors, grid_side, sampled_error, worst_sample)
from .chebyshev import Approximant, exact_approximant, format_polynomial
from .functions import FUNCTIONS, Function, NotBounded, parse_function

_RATIONAL = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,4})?(?:/\d+)?\s*\Z", re.ASCII)
#: Largest number of Chebyshev samples (n+1)^d.
MAX_SAMPLES = 40_000
#: Largest |end point| of the box, and smallest width of an interval.
MAX_END = 10**12
MIN_WIDTH = Fraction(1, 10**12)
#: Largest number of digits of an end point's numerator or denominator.
MAX_END_DIGITS = 40
#: Largest number of box evaluations for the bound.
MAX_BUDGET = 10**7
#: Largest number of sub-boxes of the initial cover (4^d or 2^d).
MAX_INITIAL_BOXES = 4096
#: Largest number of digits of an exact coefficient of the approximant p(x)
#: (below Python's 4300-digit limit on int -> str, so p can always be printed).
MAX_COEFFICIENT_DIGITS = 4000

#: A domain end point as a caller may give it (each one checked by :func:`check_end`).
EndPoint = Fraction | int | float | str
#: A box: 'a,b' (every variable), 'a,b;c,d;...' (one per variable), or (a, b) pairs.
DomainSpec = str | Sequence[Sequence[EndPoint]]


def parse_rational(text: str, what: str = "number") -> Fraction:
    """An exact rational from '3', '-0.25', '1e-3' or '3/7' (nothing else).

    >>> parse_rational("-3/6")
    Fraction(-1, 2)
    """
    if not isinstance(text, str) or len(text) > 200 or not _RATIONAL.match(text):
        raise ParseError(f"{what} {str(text)[:40]!r} is not a rational number")
    num, _, den = text.strip().partition("/")
    try:   # Fraction() reads "1e3" and "3/7" but not "1e3/7", which the pattern allows
        return Fraction(num) / Fraction(int(den)) if den else Fraction(num)
    except ZeroDivisionError:
        raise ParseError(f"{what} {text.strip()!r} divides by zero") from None
    except ValueError:
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
        a, b = (check_end(parse_rational(e, "domain end point"), e.strip()) for e in ends)
        box.append(check_interval(a, b, p.strip()))
    return tuple(box)


def _digits(n: int) -> int:
    """Number of decimal digits of |n| (without converting it to text)."""
    n = abs(n)
    if n < 10:
        return 1
    k = int(n.bit_length() * 0.30102999566398120) - 1
    while 10 ** (k + 1) <= n:
        k += 1
    return k + 1


def check_end(value: object, text: str | None = None) -> Fraction:
    """A domain end point as an exact rational: finite, |value| <= MAX_END, numerator and
    denominator of at most MAX_END_DIGITS digits. ``text`` (the input) names it in errors,
    never the possibly huge value itself.

    >>> check_end(Fraction(1, 3))
    Fraction(1, 3)
    """
    if isinstance(value, bool):
        raise ParseError(f"domain end point {value!r} is not a number")
    if isinstance(value, str):
        return check_end(parse_rational(value, "domain end point"), value.strip())
    if isinstance(value, float) and not math.isfinite(value):
        raise ParseError(f"domain end point {value!r} is not a finite number")
    try:
        # any type Fraction() does not take raises TypeError here
        q: Fraction = Fraction(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        raise ParseError(f"domain end point {str(value)[:40]!r} is not a rational number") from None
    shown = text if text is not None else (f"{float(q):.6g}" if abs(q) < 10**300 else
                                           f"with {_digits(q.numerator)} digits")
    if abs(q) > MAX_END:
        raise ParseError(f"domain end point {shown[:40]} is out of range (|end| <= 1e12)")
    if max(_digits(q.numerator), _digits(q.denominator)) > MAX_END_DIGITS:
        raise ParseError(f"domain end point {shown[:40]} has more than {MAX_END_DIGITS} "
                         "digits in its numerator or denominator")
    return q


def check_interval(a: Fraction, b: Fraction,
                   text: str | None = None) -> tuple[Fraction, Fraction]:
    """(a, b) if a < b and b - a >= MIN_WIDTH (narrower boxes make p's coefficients in x,
    which scale like width^-n, unprintably large)."""
    shown = text if text is not None else f"{float(a):.6g},{float(b):.6g}"
    if not a < b:
        raise ParseError(f"interval {shown[:80]!r} is empty or a point (need a < b)")
    if b - a < MIN_WIDTH:
        raise ParseError(f"interval {shown[:80]!r} is narrower than 1e-12 (rescale the "
                         "variable)")
    return a, b


def check_box(domain: DomainSpec, d: int) -> tuple[tuple[Fraction, Fraction], ...]:
    """The box from a --domain string or a sequence of d pairs (each end checked)."""
    if isinstance(domain, str):
        return parse_domain(domain, d)
    try:
        pairs = [tuple(pair) for pair in domain]
    except TypeError:
        raise ParseError("domain must be 'a,b', 'a,b;c,d;...' or a sequence of (a, b) "
                         "pairs") from None
    if len(pairs) != d:
        raise ParseError(f"domain gives {len(pairs)} intervals for {d} variables")
    box = []
    for pair in pairs:
        if len(pair) != 2:
            raise ParseError(f"domain interval {str(pair)[:40]} must be a pair (a, b)")
        box.append(check_interval(check_end(pair[0]), check_end(pair[1])))
    return tuple(box)


def _check_int(value: object, what: str, low: int, high: int, limit: bool = True) -> int:
    """``value`` if it is an int in [low, high]; above high is a LimitExceeded (exit 3)
    when ``limit``, else a ParseError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParseError(f"{what} must be an integer, got {str(value)[:40]!r}")
    if value < low:
        raise ParseError(f"{what} must be an integer >= {low}, got {value}")
    if value > high:
        cls = LimitExceeded if limit else ParseError
        raise cls(f"{what} {value if value < 10**30 else 'with ' + str(_digits(value)) + ' digits'} "
                  f"exceeds the limit {high}")
    return value


def _check_size(approx: Approximant) -> None:
    for c in approx.terms.values():
        if max(c.numerator.bit_length(), c.denominator.bit_length()) > \
                MAX_COEFFICIENT_DIGITS * 3.32:
            if max(_digits(c.numerator), _digits(c.denominator)) > MAX_COEFFICIENT_DIGITS:
                raise LimitExceeded(
                    f"a coefficient of the approximant has more than "
                    f"{MAX_COEFFICIENT_DIGITS} digits (a narrow or far-off box at degree "
                    f"{approx.degree}): use a lower --degree or a box nearer [-1, 1]")


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
    sampled_at: Point | None     # where the sampled error was largest (None: all 0)
    seconds: float

    def summary(self) -> dict[str, Any]:
        m, a = self.model, self.approximant
        return {
            **self.verdict.to_json(),
            "function": self.function.text.strip(),
            "variables": list(a.variables),
            "domain": str(Box(tuple((Fraction(lo), Fraction(hi)) for lo, hi in a.box))),
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


def approximate(text: str, degree: int, domain: DomainSpec = "-1,1",
                variables: Sequence[str] | None = None, bits: int = 64,
                budget: int | None = None, bound_seconds: float = 20.0,
                order: int | None = None, samples: int = 2000,
                limits: Limits = DEFAULT_LIMITS) -> ApproxResult:
    """Approximate f on the box by an exact polynomial of degree ``degree``, prove the
    transformer computes that polynomial, and certify sup |f - p| (see the module text)."""
    start = time.perf_counter()
    fn = parse_function(text, variables, limits)
    d = len(fn.variables)
    _check_int(degree, "degree", 0, min(limits.max_degree, 200))
    if (degree + 1) ** d > MAX_SAMPLES:
        raise LimitExceeded(f"(degree+1)^d = {(degree + 1) ** d} Chebyshev samples exceed "
                            f"the limit {MAX_SAMPLES}")
    if (4 if d <= 2 else 2) ** d > MAX_INITIAL_BOXES:
        raise LimitExceeded(f"{d} variables need {2 ** d} sub-boxes to start the bound, more "
                            f"than the limit {MAX_INITIAL_BOXES}")
    _check_int(bits, "bits", 8, 4096, limit=False)
    if budget is not None:
        _check_int(budget, "budget", 1, MAX_BUDGET)
    check_seconds(bound_seconds)
    check_order(order if order is not None else degree + 1, d)
    grid_side(d, samples)
    box = check_box(domain, d)
    approx = exact_approximant(fn, box, degree, bits)
    _check_size(approx)
    target = Target.from_terms(fn.variables, approx.terms)
    model = build_model(target, "masked", degree=degree, limits=limits)
    verdict, _, _ = verify_identity(model, target, limits=limits)
    errors = grid_errors(fn, approx, samples)
    sampled, where = worst_sample(errors)
    if budget is None:
        budget = {1: 60, 2: 160}.get(d, 400)
    margin = Fraction(sampled) * Fraction(3, 2) if sampled > 0 else None
    bound = certified_bound(fn, approx, order=order, budget=budget,
                            seconds=bound_seconds, target=margin)
    # self-check: no sampled error may exceed the bound about to be certified
    confirm_bound(fn, approx, bound.value, errors)
    return ApproxResult(fn, approx, target, model, verdict, bound, sampled, where,
                        time.perf_counter() - start)


__all__ = ["approximate", "ApproxResult", "parse_domain", "parse_rational", "check_box",
           "check_end", "check_interval", "confirm_bound", "FUNCTIONS",
           "NotBounded", "parse_function", "certified_bound", "sampled_error",
           "exact_approximant", "format_polynomial"]
