"""Scalar domains the interpreter runs over.

Each domain says how to embed an exact rational weight, how to read x_i, and how
to apply the non-linear pieces (relu, softmax, square). Exact domains refuse to
leave exactness: relu of a non-constant polynomial, or softmax of scores whose
differences are not all zero, raise NotExact instead of approximating.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Sequence

import mpmath
import sympy
from sympy import QQ
from sympy.polys.rings import PolyRing

from ..errors import NotExact


class Domain:
    """Interface: zero, one, const(Fraction), variable(i), relu, softmax, to_sympy."""

    name = "abstract"
    exact = True

    def const(self, value: Fraction):
        raise NotImplementedError

    def variable(self, i: int):
        raise NotImplementedError

    def relu(self, value):
        raise NotImplementedError

    def softmax(self, scores: Sequence):
        """Softmax weights of one row of scores (the allowed keys only)."""
        raise NotImplementedError

    def to_sympy(self, value) -> sympy.Expr:
        raise NotImplementedError


class PolynomialDomain(Domain):
    """QQ[x_1..x_d]: exact polynomial identity (rung 1)."""

    name = "QQ[x]"

    def __init__(self, variables: Sequence[str]):
        self.variables = tuple(variables)
        self.ring = PolyRing(tuple(sympy.Symbol(v) for v in self.variables), QQ)
        self.zero = self.ring.zero
        self.one = self.ring.one

    def const(self, value: Fraction):
        return self.ring.ground_new(QQ(value.numerator, value.denominator))

    def variable(self, i: int):
        return self.ring.gens[i]

    def relu(self, value):
        if value.is_ground:
            return value if value.LC > 0 else self.zero
        raise NotExact(f"relu of the non-constant polynomial {value.as_expr()} is not a "
                       "polynomial; it needs a sign certificate on a box")

    def softmax(self, scores: Sequence):
        # exp(s_j) / sum_i exp(s_i) = 1 / sum_i exp(s_i - s_j): a rational number iff
        # every difference s_i - s_j is zero, and then each weight is exactly 1/k.
        first = scores[0]
        for s in scores[1:]:
            if s - first:
                raise NotExact("softmax of unequal scores "
                               f"{first.as_expr()} and {s.as_expr()} is not a polynomial")
        w = self.const(Fraction(1, len(scores)))
        return [w] * len(scores)

    def to_sympy(self, value) -> sympy.Expr:
        return value.as_expr()


class RationalDomain(Domain):
    """Exact rationals at one point x in QQ^d."""

    name = "QQ"

    def __init__(self, point: Sequence[Fraction]):
        self.point = tuple(Fraction(v) for v in point)
        self.zero = Fraction(0)
        self.one = Fraction(1)

    def const(self, value: Fraction):
        return value

    def variable(self, i: int):
        return self.point[i]

    def relu(self, value):
        return value if value > 0 else self.zero

    def softmax(self, scores: Sequence):
        first = scores[0]
        if any(s != first for s in scores):
            raise NotExact("softmax of unequal rational scores is irrational")
        return [Fraction(1, len(scores))] * len(scores)

    def to_sympy(self, value) -> sympy.Expr:
        return sympy.Rational(value.numerator, value.denominator)


class MpmathDomain(Domain):
    """mpmath at a given precision: numerical evidence only, never a proof."""

    name = "mpmath"
    exact = False

    def __init__(self, point: Sequence, dps: int = 50):
        self.ctx = mpmath.mp.clone()
        self.ctx.dps = dps
        self.point = tuple(self.ctx.mpf(v.numerator) / v.denominator if isinstance(v, Fraction)
                           else self.ctx.mpf(v) for v in point)
        self.zero = self.ctx.mpf(0)
        self.one = self.ctx.mpf(1)

    def const(self, value: Fraction):
        return self.ctx.mpf(value.numerator) / value.denominator

    def variable(self, i: int):
        return self.point[i]

    def relu(self, value):
        return value if value > 0 else self.zero

    def softmax(self, scores: Sequence):
        top = max(scores)
        exps = [self.ctx.exp(s - top) for s in scores]
        total = sum(exps)
        return [e / total for e in exps]

    def to_sympy(self, value) -> sympy.Expr:
        return sympy.Float(str(value), self.ctx.dps)


class FloatDomain(MpmathDomain):
    """IEEE doubles (via Python floats): for exports and quick plots."""

    name = "float"

    def __init__(self, point: Sequence):
        import math
        self.math = math
        self.point = tuple(float(v) for v in point)
        self.zero = 0.0
        self.one = 1.0

    def const(self, value: Fraction):
        return float(value)

    def softmax(self, scores: Sequence):
        top = max(scores)
        exps = [self.math.exp(s - top) for s in scores]
        total = sum(exps)
        return [e / total for e in exps]

    def to_sympy(self, value) -> sympy.Expr:
        return sympy.Float(value)
