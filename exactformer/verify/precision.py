"""IEEE binary32/binary64 as exact rational facts: rounding, unit roundoff, range.

A float of precision p (significand bits, hidden bit included) with exponent range
[emin, emax] is m * 2^(e - p + 1) with |m| < 2^p and e >= emin; the largest finite
value is (2 - 2^(1-p)) 2^emax. Round-to-nearest-even (the IEEE default, what numpy
uses for ``astype`` and every arithmetic operation) gives, for any real r whose
rounded value is finite,

    fl(r) = r (1 + delta) + eta,   |delta| <= u = 2^-p,   |eta| <= eta_min = 2^(emin - p),

with delta = 0 or eta = 0 (eta only in the subnormal range). :func:`round_to` computes
fl(r) exactly with Fractions, so a model's weights can be rounded to float32 without
any float arithmetic.

>>> round_to(Fraction(1, 3), FLOAT32)
Fraction(11184811, 33554432)
>>> float(round_to(Fraction(1, 3), FLOAT64)) == 1 / 3
True
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..errors import LimitExceeded, ParseError


@dataclass(frozen=True)
class Precision:
    """One IEEE binary format and the accuracy assumed of its exp."""

    name: str
    significand_bits: int  # p, hidden bit included
    emin: int
    emax: int
    #: assumed: |exp~(t) - exp(t)| <= exp_error * u * exp(t) for the library's exp
    exp_error: int = 8

    @property
    def u(self) -> Fraction:
        """Unit roundoff 2^-p."""
        return Fraction(1, 1 << self.significand_bits)

    @property
    def eta(self) -> Fraction:
        """Largest absolute error of a rounding into the subnormal range: half the
        smallest subnormal, 2^(emin - p)."""
        return Fraction(1, 1 << (self.significand_bits - self.emin))

    @property
    def largest(self) -> Fraction:
        """The largest finite value (2 - 2^(1-p)) 2^emax."""
        p = self.significand_bits
        return Fraction((1 << p) - 1, 1 << (p - 1)) * (1 << self.emax)

    @property
    def smallest_normal(self) -> Fraction:
        return Fraction(1, 1 << -self.emin) if self.emin < 0 else Fraction(1 << self.emin)

    def gamma(self, k: int) -> Fraction:
        """gamma_k = k u / (1 - k u): |prod_{i<=k} (1 + delta_i)^{+-1} - 1| <= gamma_k
        for |delta_i| <= u, k u < 1 (Higham, Lemma 3.1)."""
        if k <= 0:
            return Fraction(0)
        ku = k * self.u
        if ku >= Fraction(1, 2):
            raise LimitExceeded(f"a sum of {k} terms is too long for a {self.name} error "
                                f"bound (k u = {float(ku):.3g} >= 1/2)")
        return ku / (1 - ku)


FLOAT32 = Precision("float32", 24, -126, 127)
FLOAT64 = Precision("float64", 53, -1022, 1023)
PRECISIONS = {"float32": FLOAT32, "float64": FLOAT64}


def precision_named(name: str) -> Precision:
    try:
        return PRECISIONS[name]
    except (KeyError, TypeError):
        raise ParseError(f"unknown precision {str(name)[:40]!r} (use float32 or float64)") \
            from None


def floor_log2(q: Fraction) -> int:
    """The e with 2^e <= q < 2^(e+1), for q > 0."""
    e = q.numerator.bit_length() - q.denominator.bit_length()
    if (Fraction(1 << e) if e >= 0 else Fraction(1, 1 << -e)) > q:
        e -= 1
    return e


def _pow2(e: int) -> Fraction:
    return Fraction(1 << e) if e >= 0 else Fraction(1, 1 << -e)


def round_to(q: Fraction, precision: Precision, what: str = "a value") -> Fraction:
    """fl(q): q rounded to the nearest float of ``precision``, ties to even, subnormals
    included, computed exactly. A value that rounds past the largest finite float
    (to infinity) raises LimitExceeded naming ``what``."""
    q = Fraction(q)
    if q == 0:
        return Fraction(0)
    a = abs(q)
    p = precision.significand_bits
    e = max(floor_log2(a), precision.emin)  # below emin the quantum stays 2^(emin-p+1)
    quantum = _pow2(e - p + 1)
    scaled = a / quantum
    n, rem = divmod(scaled.numerator, scaled.denominator)
    twice = 2 * rem
    if twice > scaled.denominator or (twice == scaled.denominator and n % 2):
        n += 1
    out = n * quantum
    if out > precision.largest:
        raise LimitExceeded(f"{what} {float(q):.6g} overflows {precision.name} (largest "
                            f"finite value {float(precision.largest):.6g})")
    return out if q > 0 else -out


def is_float(q: Fraction, precision: Precision) -> bool:
    """Whether q is exactly a finite float of ``precision``."""
    return abs(q) <= precision.largest and round_to(q, precision) == q


def is_power_of_two(q: Fraction) -> bool:
    """|q| = 2^j for an integer j (multiplying a float by it is exact, barring
    under/overflow)."""
    a = abs(q)
    return a != 0 and (a.numerator & (a.numerator - 1)) == 0 \
        and (a.denominator & (a.denominator - 1)) == 0


def _ulp(a: Fraction, precision: Precision) -> Fraction:
    """The spacing of the floats in the binade of a >= 0 (subnormal spacing below)."""
    e = floor_log2(a) if a else precision.emin
    return _pow2(max(e, precision.emin) - precision.significand_bits + 1)


def next_float(r: Fraction, precision: Precision, upward: bool) -> Fraction:
    """The float adjacent to the float r, above it (``upward``) or below it."""
    if r < 0:
        return -next_float(-r, precision, not upward)
    if upward:
        return r + _ulp(r, precision)
    if r == 0:
        return -_ulp(r, precision)
    step = _ulp(r, precision)
    if r == _pow2(floor_log2(r)) and floor_log2(r) > precision.emin:
        step /= 2  # just below a power of two the spacing is half
    return r - step


def float_inside(q: Fraction, precision: Precision, upward: bool) -> Fraction:
    """The float nearest q on one side: the smallest float >= q (``upward``) or the
    largest float <= q. Used to put sample points inside a box with rational corners."""
    r = round_to(q, precision)
    if r == q or (r > q) == upward:
        return r
    return next_float(r, precision, upward)


def round_up_dyadic(q: Fraction, bits: int = 64) -> Fraction:
    """The smallest m 2^k >= q with m < 2^bits (q >= 0): an upper bound with a short
    denominator, so that bounds carried through many layers stay small numbers."""
    if q <= 0:
        return Fraction(0) if q == 0 else q
    if q.denominator & (q.denominator - 1) == 0 and q.numerator.bit_length() <= bits:
        return q
    e = floor_log2(q) - bits + 1
    scaled = q / _pow2(e)
    m = -((-scaled.numerator) // scaled.denominator)  # ceiling
    return m * _pow2(e)


def decimal_up(q: Fraction, digits: int = 4) -> str:
    """A decimal string >= q (q >= 0) with ``digits`` significant digits: q rounded UP.

    >>> decimal_up(Fraction(1, 3))
    '3.334e-01'
    >>> decimal_up(Fraction(0))
    '0'
    """
    if q < 0:
        raise ValueError("decimal_up needs q >= 0")
    if q == 0:
        return "0"
    k = len(str(q.numerator)) - len(str(q.denominator))
    while Fraction(10) ** k > q:
        k -= 1
    while Fraction(10) ** (k + 1) <= q:
        k += 1
    scale = Fraction(10) ** (k - digits + 1)
    scaled = q / scale
    m = -((-scaled.numerator) // scaled.denominator)
    if m >= 10 ** digits:  # 9.9995 -> 10.00: one more digit of exponent
        m, k = -((-m) // 10), k + 1
    text = str(m)
    return f"{text[0]}.{text[1:]}e{k:+03d}" if digits > 1 else f"{text}e{k:+03d}"


__all__ = ["FLOAT32", "FLOAT64", "PRECISIONS", "Precision", "decimal_up", "float_inside",
           "floor_log2", "is_float", "is_power_of_two", "next_float", "precision_named", "round_to",
           "round_up_dyadic"]
