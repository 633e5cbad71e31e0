"""Scalar domains the interpreter runs over.

Each domain says how to embed an exact rational weight, how to read x_i, and how
to apply the non-linear pieces (relu, softmax, square). Exact domains refuse to
leave exactness: relu of a non-constant polynomial, or softmax of scores whose
differences are not all zero, raise NotExact instead of approximating.
"""
from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any, Iterable, Sequence, TypeAlias

import mpmath
import sympy
from sympy import QQ
from sympy.polys.rings import PolyElement, PolyRing

from ..errors import NotExact

if TYPE_CHECKING:
    from flint import fmpq_mpoly
    from mpmath.ctx_iv import ivmpf

    from ..poly.box import Box

#: An element of some domain: a sympy or FLINT polynomial, a Fraction, an mpmath number
#: or interval, a float. The interpreter only adds, multiplies and tests them for zero.
Scalar: TypeAlias = Any


class Domain:
    """Interface: zero, one, const(Fraction), variable(i), relu, softmax, to_sympy."""

    name = "abstract"
    exact = True
    zero: Scalar
    one: Scalar

    def const(self, value: Fraction) -> Scalar:
        raise NotImplementedError

    def variable(self, i: int) -> Scalar:
        raise NotImplementedError

    def relu(self, value: Scalar) -> Scalar:
        raise NotImplementedError

    def softmax(self, scores: Sequence[Scalar]) -> list[Scalar]:
        """Softmax weights of one row of scores (the allowed keys only)."""
        raise NotImplementedError

    def to_sympy(self, value: Scalar) -> sympy.Expr:
        raise NotImplementedError

    def __repr__(self) -> str:
        over = getattr(self, "variables", None)
        point = getattr(self, "point", None)
        if over is not None:
            return f"{type(self).__name__}(QQ[{', '.join(over)}])"
        if point is not None and len(point) <= 6:
            return f"{type(self).__name__}({self.name} at {tuple(str(v) for v in point)})"
        return f"{type(self).__name__}({self.name})"


class PolynomialDomain(Domain):
    """QQ[x_1..x_d]: exact polynomial identity (rung 1)."""

    name = "QQ[x]"

    def __init__(self, variables: Sequence[str]):
        self.variables = tuple(variables)
        self.ring = PolyRing(tuple(sympy.Symbol(v) for v in self.variables), QQ)
        self.zero = self.ring.zero
        self.one = self.ring.one

    def const(self, value: Fraction) -> PolyElement:
        return self.ring.ground_new(QQ(value.numerator, value.denominator))

    def variable(self, i: int) -> PolyElement:
        return self.ring.gens[i]

    def relu(self, value: PolyElement) -> PolyElement:
        if value.is_ground:
            return value if value.LC > 0 else self.zero
        raise NotExact(f"relu of the non-constant polynomial {value.as_expr()} is not a "
                       "polynomial; it needs a sign certificate on a box")

    def softmax(self, scores: Sequence[PolyElement]) -> list[PolyElement]:
        # exp(s_j) / sum_i exp(s_i) = 1 / sum_i exp(s_i - s_j): a rational number iff
        # every difference s_i - s_j is zero, and then each weight is exactly 1/k.
        first = scores[0]
        for s in scores[1:]:
            if s - first:
                raise NotExact("softmax of unequal scores "
                               f"{self.to_sympy(first)} and {self.to_sympy(s)} is not a "
                               "polynomial")
        w = self.const(Fraction(1, len(scores)))
        return [w] * len(scores)

    def to_sympy(self, value: PolyElement) -> sympy.Expr:
        return value.as_expr()


class RationalDomain(Domain):
    """Exact rationals at one point x in QQ^d."""

    name = "QQ"

    def __init__(self, point: Sequence[Fraction]):
        self.point = tuple(Fraction(v) for v in point)
        self.zero = Fraction(0)
        self.one = Fraction(1)

    def const(self, value: Fraction) -> Fraction:
        return value

    def variable(self, i: int) -> Fraction:
        return self.point[i]

    def relu(self, value: Fraction) -> Fraction:
        return value if value > 0 else self.zero

    def softmax(self, scores: Sequence[Fraction]) -> list[Fraction]:
        first = scores[0]
        if any(s != first for s in scores):
            raise NotExact("softmax of unequal rational scores is irrational")
        return [Fraction(1, len(scores))] * len(scores)

    def to_sympy(self, value: Fraction) -> sympy.Expr:
        return sympy.Rational(value.numerator, value.denominator)


class MpmathDomain(Domain):
    """mpmath at a given precision: numerical evidence only, never a proof."""

    name = "mpmath"
    exact = False

    def __init__(self, point: Sequence[Fraction | float | int | str], dps: int = 50):
        self.ctx = mpmath.mp.clone()
        self.ctx.dps = dps
        self.point = tuple(self.ctx.mpf(v.numerator) / v.denominator if isinstance(v, Fraction)
                           else self.ctx.mpf(v) for v in point)
        self.zero = self.ctx.mpf(0)
        self.one = self.ctx.mpf(1)

    def const(self, value: Fraction) -> mpmath.mpf:
        return self.ctx.mpf(value.numerator) / value.denominator

    def variable(self, i: int) -> Scalar:
        return self.point[i]

    def relu(self, value: Scalar) -> Scalar:
        return value if value > 0 else self.zero

    def softmax(self, scores: Sequence[mpmath.mpf]) -> list[mpmath.mpf]:
        top = max(scores)
        exps = [self.ctx.exp(s - top) for s in scores]
        total = sum(exps)
        return [e / total for e in exps]

    def to_sympy(self, value: mpmath.mpf) -> sympy.Expr:
        return sympy.Float(str(value), self.ctx.dps)


class FloatDomain(MpmathDomain):
    """IEEE doubles (via Python floats): for exports and quick plots."""

    name = "float"

    def __init__(self, point: Sequence[Fraction | float | int | str]):
        import math
        self.math = math
        self.point = tuple(float(v) for v in point)
        self.zero = 0.0
        self.one = 1.0

    def const(self, value: Fraction) -> float:
        return float(value)

    def softmax(self, scores: Sequence[float]) -> list[float]:
        top = max(scores)
        exps = [self.math.exp(s - top) for s in scores]
        total = sum(exps)
        return [e / total for e in exps]

    def to_sympy(self, value: float) -> sympy.Expr:
        return sympy.Float(value)


class IntervalDomain(Domain):
    """mpmath interval arithmetic (``mpmath.iv``) at ``dps`` digits at one exact point.

    Every value is an interval [a, b] that contains the exact real value: mpmath.iv
    rounds every endpoint outward, and exp is enclosed rigorously. So two enclosures
    that do not meet prove that two values differ; two that meet prove nothing.
    relu([a, b]) is [a, b] if a >= 0, 0 if b <= 0, else [0, b]. Softmax weights are
    exp(s_j - m) / sum_i exp(s_i - m) with m any number (here the largest upper
    end), an identity of real numbers, evaluated in intervals.
    """

    name = "mpmath.iv"
    exact = False

    def __init__(self, point: Sequence[Fraction], dps: int = 50):
        from mpmath.ctx_iv import MPIntervalContext
        self.ctx = MPIntervalContext()  # its own precision: the global mpmath.iv is untouched
        self.ctx.dps = dps
        self.point = tuple(self.const(Fraction(v)) for v in point)
        self.zero = self.ctx.mpf(0)
        self.one = self.ctx.mpf(1)

    def const(self, value: Fraction) -> ivmpf:
        return self.ctx.mpf(value.numerator) / self.ctx.mpf(value.denominator)

    def variable(self, i: int) -> ivmpf:
        return self.point[i]

    def relu(self, value: ivmpf) -> ivmpf:
        if value.a >= 0:
            return value
        if value.b <= 0:
            return self.zero
        return self.ctx.mpf([0, value.b])

    def softmax(self, scores: Sequence[ivmpf]) -> list[ivmpf]:
        top = max(self.ctx.mpf(s.b) for s in scores)
        from .intervals import interval_exp
        exps = [interval_exp(self.ctx, s - top) for s in scores]
        total = exps[0]
        for e in exps[1:]:
            total = total + e
        return [e / total for e in exps]

    def to_sympy(self, value: ivmpf) -> sympy.Expr:
        return sympy.Float(str(value.mid), self.ctx.dps)


class SignChange(NotExact):
    """A relu argument whose sign is not constant on the box (or not decided by the
    interval enclosure). ``witnesses`` are corners of the box where the argument is
    negative and positive, when the argument is affine (then the enclosure is tight)."""

    def __init__(self, message: str, argument: PolyElement, interval: tuple[Fraction, Fraction],
                 witnesses: Iterable[tuple[Fraction, ...]] = ()):
        super().__init__(message)
        self.argument = argument
        self.interval = interval
        self.witnesses = tuple(witnesses)


def _power_interval(lo: Fraction, hi: Fraction, e: int) -> tuple[Fraction, Fraction]:
    """The exact range of t**e for t in [lo, hi]."""
    if e == 0:
        return Fraction(1), Fraction(1)
    a, b = lo ** e, hi ** e
    if e % 2 or lo >= 0:
        return (a, b) if a <= b else (b, a)
    if hi <= 0:
        return b, a
    return Fraction(0), max(a, b)


def _times(u: tuple[Fraction, Fraction],
           v: tuple[Fraction, Fraction]) -> tuple[Fraction, Fraction]:
    products = [u[0] * v[0], u[0] * v[1], u[1] * v[0], u[1] * v[1]]
    return min(products), max(products)


def polynomial_interval(poly: PolyElement, intervals: Iterable[tuple[Fraction, Fraction]]
                        ) -> tuple[Fraction, Fraction]:
    """An exact rational enclosure [lo, hi] of ``poly`` (a QQ[x] PolyElement) over the box.

    Each term c x^a is enclosed by the exact range of each power x_i^(a_i) multiplied
    out with exact interval products, and the terms are added: so every value of the
    polynomial on the box lies in [lo, hi]. For an affine polynomial the enclosure is
    the exact range (each variable occurs once), attained at corners of the box.
    """
    lo_total, hi_total = Fraction(0), Fraction(0)
    for mon, coef in poly.terms():
        c = Fraction(int(coef.numerator), int(coef.denominator))
        iv = (c, c)
        for e, (lo, hi) in zip(mon, intervals):
            if e:
                iv = _times(iv, _power_interval(lo, hi, e))
        lo_total += iv[0]
        hi_total += iv[1]
    return lo_total, hi_total


class BoxPolynomialDomain(PolynomialDomain):
    """QQ[x] restricted to a box: relu is decided by the sign of its argument on the box.

    relu(s) = s on the box if s >= 0 there, = 0 if s <= 0 there; either fact is certified
    by an exact rational interval enclosure of s over the box, recorded in
    ``certificates`` (argument -> (lo, hi, sign)). If the enclosure straddles 0 the
    domain raises :class:`SignChange` rather than guess: the result is then not a
    single polynomial on the box (or not one this enclosure can certify).
    """

    name = "QQ[x] on a box"

    def __init__(self, variables: Sequence[str],
                 box: Box | Iterable[tuple[Fraction | int | str, Fraction | int | str]]):
        super().__init__(variables)
        intervals = tuple(box.intervals if hasattr(box, "intervals") else box)
        if len(intervals) != len(self.variables):
            raise NotExact(f"box has {len(intervals)} intervals for "
                           f"{len(self.variables)} variables")
        self.intervals = tuple((Fraction(lo), Fraction(hi)) for lo, hi in intervals)
        self.certificates: dict[PolyElement, tuple[Fraction, Fraction, str]] = {}
        self.relu_calls = 0

    def relu(self, value: PolyElement) -> PolyElement:
        self.relu_calls += 1
        if value.is_ground:
            return value if value.LC > 0 else self.zero
        known = self.certificates.get(value)
        if known is None:
            lo, hi = polynomial_interval(value, self.intervals)
            if lo >= 0:
                known = (lo, hi, "nonnegative")
            elif hi <= 0:
                known = (lo, hi, "nonpositive")
            else:
                raise SignChange(
                    f"relu argument {value.as_expr()} ranges over [{lo}, {hi}] on the box: "
                    "its sign is not constant there, so the output is not one polynomial",
                    value, (lo, hi), self._witnesses(value))
            self.certificates[value] = known
        return value if known[2] == "nonnegative" else self.zero

    def _witnesses(self, value: PolyElement) -> tuple[tuple[Fraction, ...], ...]:
        """For an affine argument: the corners where it is smallest and largest."""
        if max(sum(m) for m in value.keys()) > 1:
            return ()
        low: list[Fraction] = []
        high: list[Fraction] = []
        for i, (lo, hi) in enumerate(self.intervals):
            mon = tuple(1 if j == i else 0 for j in range(len(self.intervals)))
            c = value.get(mon, 0)
            low.append(lo if c >= 0 else hi)
            high.append(hi if c >= 0 else lo)
        return tuple(low), tuple(high)

    def sign_certificates(self) -> list[tuple[PolyElement, Fraction, Fraction, str]]:
        """(argument, lo, hi, sign) for every distinct non-constant relu argument."""
        return [(arg, lo, hi, sign) for arg, (lo, hi, sign) in self.certificates.items()]


def flint_available() -> bool:
    """True when python-flint with multivariate rational polynomials is importable."""
    try:
        import flint
    except ImportError:
        return False
    # fmpq_mpoly_ctx.get (python-flint >= 0.8) is the context API used below; with an
    # older python-flint the sympy backend is used instead.
    return hasattr(getattr(flint, "fmpq_mpoly_ctx", None), "get")


class FlintPolynomialDomain(PolynomialDomain):
    """QQ[x_1..x_d] computed by FLINT (python-flint ``fmpq_mpoly``): the same ring as
    :class:`PolynomialDomain`, a faster representation.

    Both represent an element by its canonical sparse form (monomial -> rational
    coefficient, zero terms absent), so :meth:`to_ring` is a bijection onto the sympy
    ring and every decision made after converting is the one the sympy backend makes.
    Needs the ``fast`` extra; :func:`flint_available` says whether it is installed.
    """

    name = "QQ[x] (flint)"

    def __init__(self, variables: Sequence[str]):
        import flint  # ImportError when the optional backend is absent
        super().__init__(variables)
        self._fmpq = flint.fmpq
        self.ctx = flint.fmpq_mpoly_ctx.get(self.variables, "lex")
        self._gens = tuple(self.ctx.gens())
        self.zero = self.ctx.from_dict({})
        self.one = self.ctx.constant(1)

    def const(self, value: Fraction) -> fmpq_mpoly:
        return self.ctx.constant(self._fmpq(value.numerator, value.denominator))

    def variable(self, i: int) -> fmpq_mpoly:
        return self._gens[i]

    def relu(self, value: fmpq_mpoly) -> fmpq_mpoly:
        if value.is_constant():
            return value if value.leading_coefficient() > 0 else self.zero
        raise NotExact(f"relu of the non-constant polynomial {self.to_sympy(value)} is not a "
                       "polynomial; it needs a sign certificate on a box")

    # softmax is inherited: its exactness test (every score difference is zero) only
    # subtracts and converts for the message, which both representations support.

    def to_ring(self, value: fmpq_mpoly) -> PolyElement:
        """The same polynomial as an element of the sympy ring ``self.ring``."""
        dom = self.ring.domain
        return self.ring.from_dict({tuple(m): dom(int(c.p), int(c.q))
                                    for m, c in value.to_dict().items()})

    def to_sympy(self, value: fmpq_mpoly) -> sympy.Expr:
        return self.to_ring(value).as_expr()


def polynomial_domain(variables: Sequence[str], backend: str = "auto") -> PolynomialDomain:
    """The exact QQ[x] domain of the chosen backend: "sympy" (always available),
    "flint" (the ``fast`` extra; ImportError without it) or "auto" (flint when present)."""
    if backend == "sympy" or (backend == "auto" and not flint_available()):
        return PolynomialDomain(variables)
    if backend in ("flint", "auto"):
        return FlintPolynomialDomain(variables)
    raise ValueError(f"unknown polynomial backend {backend!r} (use auto, sympy or flint)")
