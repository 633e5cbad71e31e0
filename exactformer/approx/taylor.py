"""Truncated multivariate Taylor series with interval coefficients (Taylor-mode AD).

A series is a dict {beta: interval} standing for sum_beta a_beta h^beta, truncated at
total degree K. If every input series encloses the Taylor coefficients of its input
function at every expansion point xi of a set, every output does too: the truncated
product is exact in degrees <= K (they depend only on degrees <= K), and a smooth
univariate g is composed through g(a0 + h) = sum_k g^(k)(a0)/k! h^k, whose terms
k > K vanish in degrees <= K because h has no constant term.

Used twice per box B with centre c: with the point c, the coefficients f_beta(c)
(|beta| < K); with the whole box as a0, enclosures of f_beta(xi) for xi in B
(|beta| = K), which bound the Lagrange remainder
    f(x) = sum_{|beta|<K} f_beta(c) (x-c)^beta + sum_{|beta|=K} f_beta(xi) (x-c)^beta.
Where a function is not smooth at some point of the input (abs or sqrt at 0, a pole)
the algebra raises :class:`NoTaylor` and the caller falls back to plain intervals.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Sequence, TypeAlias

from mpmath import iv

from .functions import Interval, NotBounded, check_finite, exp_argument_ok, interval

#: {beta: interval coefficient of h^beta}, the monomial beta a tuple of exponents.
Series: TypeAlias = dict[tuple[int, ...], Interval]


class NoTaylor(Exception):
    """The function has no Taylor expansion of the requested order on this set."""


class TaylorAlgebra:
    """Series in d variables truncated at total degree ``order``."""

    def __init__(self, d: int, order: int) -> None:
        self.d = d
        self.K = order
        self.zero_mon = (0,) * d

    # -- construction -----------------------------------------------------------------
    def variable(self, i: int, value: Interval, slope: Interval) -> Series:
        """The series value + slope * h_i (both intervals)."""
        mon = tuple(1 if j == i else 0 for j in range(self.d))
        out: Series = {self.zero_mon: value}
        if self.K >= 1:
            out[mon] = slope
        return out

    def num(self, value: Fraction) -> Series:
        return {self.zero_mon: interval(value)}

    def const(self, name: str) -> Series:
        return {self.zero_mon: iv.pi if name == "pi" else iv.e}

    # -- ring operations --------------------------------------------------------------
    def add(self, a: Series, b: Series) -> Series:
        out = dict(a)
        for m, v in b.items():
            out[m] = out[m] + v if m in out else v
        return out

    def neg(self, a: Series) -> Series:
        return {m: -v for m, v in a.items()}

    def scale(self, a: Series, c: Interval) -> Series:
        return {m: v * c for m, v in a.items()}

    def mul(self, a: Series, b: Series) -> Series:
        K = self.K
        out: Series = {}
        bl = [(m, sum(m), v) for m, v in b.items()]
        for ma, va in a.items():
            da = sum(ma)
            for mb, db, vb in bl:
                if da + db > K:
                    continue
                m = tuple(x + y for x, y in zip(ma, mb))
                p = va * vb
                out[m] = out[m] + p if m in out else p
        return out

    def constant(self, a: Series) -> Interval:
        return a.get(self.zero_mon, iv.mpf(0))

    def _compose(self, a: Series, coeffs: Sequence[Interval]) -> Series:
        """sum_k coeffs[k] h^k where h = a - a0 (Horner, truncated)."""
        h = {m: v for m, v in a.items() if m != self.zero_mon}
        out: Series = {self.zero_mon: check_finite(coeffs[-1])}
        for c in reversed(coeffs[:-1]):
            out = self.mul(out, h)
            out[self.zero_mon] = out.get(self.zero_mon, iv.mpf(0)) + check_finite(c)
        return out

    def _order(self, a: Series) -> int:
        return 0 if len(a) == 1 and self.zero_mon in a else self.K

    def inv(self, a: Series) -> Series:
        a0 = self.constant(a)
        if 0 in a0:
            raise NoTaylor("division by a series whose value may be 0")
        r = 1 / a0
        coeffs, p = [], r
        for k in range(self._order(a) + 1):
            coeffs.append(p if k % 2 == 0 else -p)
            p = p * r
        return self._compose(a, coeffs)

    def div(self, a: Series, b: Series) -> Series:
        return self.mul(a, self.inv(b))

    def powi(self, a: Series, e: int) -> Series:
        if e < 0:
            return self.powi(self.inv(a), -e)
        out: Series = {self.zero_mon: iv.mpf(1)}
        base = a
        while e:
            if e & 1:
                out = self.mul(out, base)
            e >>= 1
            if e:
                base = self.mul(base, base)
        return out

    # -- functions ----------------------------------------------------------------------
    def f_exp(self, a: Series) -> Series:
        exp_argument_ok(self.constant(a).b)
        e0 = check_finite(iv.exp(self.constant(a)))
        return self._compose(a, [e0 / math.factorial(k) for k in range(self._order(a) + 1)])

    def f_log(self, a: Series) -> Series:
        a0 = self.constant(a)
        if not a0.a > 0:
            raise NotBounded("log of an interval that reaches 0 or below")
        r = 1 / a0
        coeffs, p = [check_finite(iv.log(a0))], r
        for k in range(1, self._order(a) + 1):
            coeffs.append(p / k if k % 2 else -p / k)
            p = p * r
        return self._compose(a, coeffs)

    def _trig(self, a: Series, shift: int) -> Series:
        a0 = self.constant(a)
        s, c = iv.sin(a0), iv.cos(a0)
        cycle = [s, c, -s, -c]
        return self._compose(a, [cycle[(k + shift) % 4] / math.factorial(k)
                                 for k in range(self._order(a) + 1)])

    def f_sin(self, a: Series) -> Series:
        return self._trig(a, 0)

    def f_cos(self, a: Series) -> Series:
        return self._trig(a, 1)

    def f_sqrt(self, a: Series) -> Series:
        a0 = self.constant(a)
        if a0.a < 0:
            raise NotBounded("sqrt of an interval that reaches below 0")
        n = self._order(a)
        if n == 0:
            return {self.zero_mon: iv.sqrt(a0)}
        if not a0.a > 0:
            raise NoTaylor("sqrt is not differentiable at 0")
        # sqrt(a0 + h) = sum_k binom(1/2, k) a0^(1/2 - k) h^k
        r = 1 / a0
        coeffs, term, binom = [], iv.sqrt(a0), Fraction(1)
        for k in range(n + 1):
            coeffs.append(term * interval(binom))
            binom = binom * (Fraction(1, 2) - k) / (k + 1)
            term = term * r
        return self._compose(a, coeffs)

    def f_abs(self, a: Series) -> Series:
        a0 = self.constant(a)
        if self._order(a) == 0:
            return {self.zero_mon: abs(a0)}
        if a0.a > 0:
            return a
        if a0.b < 0:
            return self.neg(a)
        raise NoTaylor("abs is not differentiable at 0")


__all__ = ["TaylorAlgebra", "NoTaylor", "Series"]
