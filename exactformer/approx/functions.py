"""Whitelisted real functions of several variables, read safely and evaluated three ways.

The text is parsed by :func:`exactformer.poly.syntax.parse` (no ``eval``); the tree
is then checked against a whitelist: numbers, the constants pi and E, variables,
``+ - * /``, ``**`` with an integer constant exponent, and the functions
exp, log, sin, cos, sqrt, abs. Anything else is refused with a one-line
:class:`~exactformer.errors.ParseError`.

The same tree is evaluated over an *algebra* (a small object with ``num``, ``var``,
``add``, ``mul``, ``div``, ``powi`` and one method per function):

* :class:`MpfAlgebra` - mpmath multiprecision floats (numerical, not rigorous);
* :class:`IntervalAlgebra` - mpmath interval arithmetic (``mpmath.iv``): the result
  encloses the true value for every point of the input intervals;
* :class:`~exactformer.approx.taylor.TaylorAlgebra` - truncated multivariate Taylor
  series with interval coefficients.

Domain violations (log or sqrt of a value that may be negative, division by an
interval that contains 0, an infinite end point) raise :class:`NotBounded`.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import (Any, Callable, Iterator, Mapping, Protocol, Sequence, TypeAlias, TypeVar,
                    cast)

import mpmath
from mpmath import iv
from mpmath.libmp import from_rational, round_ceiling, round_floor, to_rational

from ..errors import ExactformerError, LimitExceeded, ParseError
from ..limits import DEFAULT_LIMITS, Limits
from ..poly.syntax import Node, describe, parse

#: The functions an approximation target may use.
FUNCTIONS = ("abs", "cos", "exp", "log", "sin", "sqrt")
#: Largest |exponent| in ``**`` (keeps interval powers and series cheap).
MAX_EXPONENT = 64
#: Largest number of nodes in a function's tree.
MAX_NODES = 500
#: Values of f above 2^MAX_LOG2 in magnitude are refused (rescale the function).
MAX_LOG2 = 1000
#: Working precision of the interval arithmetic, in bits.
INTERVAL_PREC = 106

# mpmath ships no type information, so its numbers are Any to the type checker; the
# aliases name what a value is for the reader.
Mpf: TypeAlias = Any        #: an mpmath multiprecision float (``mpmath.mpf``)
Interval: TypeAlias = Any   #: an mpmath interval (``mpmath.iv.mpf``), outward rounded

V = TypeVar("V")


class Algebra(Protocol[V]):
    """What the evaluator needs of a value type V: numbers, the constants pi and E,
    the field operations, integer powers and the whitelisted functions."""

    def num(self, value: Fraction) -> V: ...
    def const(self, name: str) -> V: ...
    def add(self, a: V, b: V) -> V: ...
    def neg(self, a: V) -> V: ...
    def mul(self, a: V, b: V) -> V: ...
    def div(self, a: V, b: V) -> V: ...
    def powi(self, a: V, e: int) -> V: ...
    def f_exp(self, a: V) -> V: ...
    def f_log(self, a: V) -> V: ...
    def f_sin(self, a: V) -> V: ...
    def f_cos(self, a: V) -> V: ...
    def f_sqrt(self, a: V) -> V: ...
    def f_abs(self, a: V) -> V: ...


class NotBounded(ExactformerError, ValueError):
    """The function cannot be enclosed on (part of) the box: a pole, log or sqrt of
    a possibly negative value, or an infinite end point."""


@dataclass(frozen=True)
class Function:
    """A whitelisted function: its text, checked tree and variable order."""

    text: str
    tree: Node
    variables: tuple[str, ...]

    def evaluate(self, algebra: Algebra[V], point: Sequence[V]) -> V:
        """The value of the function at ``point`` (one value per variable) in ``algebra``."""
        env = dict(zip(self.variables, point))
        return _eval(self.tree, algebra, env)

    def value_at(self, algebra: "MpfAlgebra", point: Sequence[Fraction]) -> Mpf:
        """The value at a rational point in mpmath; NotBounded names the point if f is
        undefined there or its value is not a finite number of moderate size."""
        where = ", ".join(f"{v}={float(x):.6g}" for v, x in zip(self.variables, point))
        try:
            value = self.evaluate(algebra, [algebra.num(Fraction(x)) for x in point])
        except NotBounded as exc:
            raise NotBounded(f"{self.text.strip()} is undefined at {where}: {exc}") from None
        if not algebra.ctx.isfinite(value) or abs(value) > algebra.ctx.mpf(2) ** MAX_LOG2:
            raise NotBounded(f"{self.text.strip()} is not a finite number of moderate size "
                             f"at {where} (|f| above 2^{MAX_LOG2})")
        return value


def parse_function(text: str, variables: Sequence[str] | None = None,
                   limits: Limits = DEFAULT_LIMITS) -> Function:
    """Parse and whitelist-check ``text``; variables default to its sorted names.

    >>> parse_function("exp(x)*cos(3*y)").variables
    ('x', 'y')
    """
    tree = parse(text, limits)
    names: set[str] = set()
    count = _check(tree, names, [0])
    if count > MAX_NODES:
        raise LimitExceeded(f"function has {count} nodes, more than the limit {MAX_NODES}")
    if variables is None:
        order = tuple(sorted(names))
    else:
        order = tuple(v.strip() for v in variables if v.strip())
        if len(set(order)) != len(order):
            raise ParseError(f"a variable is declared twice in {', '.join(order)}")
        unknown = sorted(names - set(order))
        if unknown:
            raise ParseError(f"undeclared symbol {unknown[0]!r} (variables: "
                             f"{', '.join(order) or 'none'})")
    if not order:
        raise ParseError(f"{text.strip()!r} has no variable: nothing to approximate")
    return Function(text, tree, order)


def _check(node: Node, names: set[str], count: list[int]) -> int:
    count[0] += 1
    if count[0] > MAX_NODES:
        raise LimitExceeded(f"function has more than {MAX_NODES} nodes")
    kind = node[0]
    if kind == "num":
        pass
    elif kind == "const":
        if node[1] not in ("pi", "E"):
            raise ParseError(f"constant {node[1]!r} is not supported")
    elif kind == "sym":
        names.add(node[1])
    elif kind in ("add", "mul"):
        for child in node[1]:
            _check(child, names, count)
    elif kind == "neg":
        _check(node[1], names, count)
    elif kind == "div":
        _check(node[1], names, count)
        _check(node[2], names, count)
    elif kind == "pow":
        _check(node[1], names, count)
        _integer_exponent(node)
    elif kind == "call":
        if node[1] not in FUNCTIONS:
            raise ParseError(f"function {node[1]!r} is not supported (supported: "
                             f"{', '.join(FUNCTIONS)})")
        _check(node[2], names, count)
    else:  # pragma: no cover - the parser makes no other node
        raise ParseError(f"unsupported expression {describe(node)}")
    return count[0]


def _integer_exponent(node: Node) -> int:
    exp = node[2]
    sign = 1
    while exp[0] == "neg":
        sign, exp = -sign, exp[1]
    if exp[0] != "num" or exp[1].denominator != 1:
        raise ParseError(f"{describe(node)}: the exponent must be an integer constant "
                         "(use sqrt for square roots)")
    value: int = sign * int(exp[1])
    if abs(value) > MAX_EXPONENT:
        raise LimitExceeded(f"{describe(node)}: |exponent| above the limit {MAX_EXPONENT}")
    return value


def _eval(node: Node, alg: Algebra[V], env: Mapping[str, V]) -> V:
    kind = node[0]
    if kind == "num":
        return alg.num(node[1])
    if kind == "sym":
        return env[node[1]]
    if kind == "const":
        return alg.const(node[1])
    if kind == "add":
        out = _eval(node[1][0], alg, env)
        for child in node[1][1:]:
            out = alg.add(out, _eval(child, alg, env))
        return out
    if kind == "mul":
        out = _eval(node[1][0], alg, env)
        for child in node[1][1:]:
            out = alg.mul(out, _eval(child, alg, env))
        return out
    if kind == "neg":
        return alg.neg(_eval(node[1], alg, env))
    if kind == "div":
        return alg.div(_eval(node[1], alg, env), _eval(node[2], alg, env))
    if kind == "pow":
        return alg.powi(_eval(node[1], alg, env), _integer_exponent(node))
    if kind == "call":
        function = cast(Callable[[V], V], getattr(alg, "f_" + node[1]))
        return function(_eval(node[2], alg, env))
    raise ParseError(f"unsupported expression {describe(node)}")  # pragma: no cover


class MpfAlgebra:
    """mpmath floats at ``dps`` digits (numerical evidence, not rigorous)."""

    def __init__(self, dps: int = 40) -> None:
        self.ctx: Any = mpmath.MPContext()   # an mpmath context (untyped)
        self.ctx.dps = dps

    def num(self, value: Fraction) -> Mpf:
        return self.ctx.mpf(value.numerator) / value.denominator

    def const(self, name: str) -> Mpf:
        return self.ctx.pi if name == "pi" else self.ctx.e

    def add(self, a: Mpf, b: Mpf) -> Mpf:
        return a + b

    def neg(self, a: Mpf) -> Mpf:
        return -a

    def mul(self, a: Mpf, b: Mpf) -> Mpf:
        return a * b

    def div(self, a: Mpf, b: Mpf) -> Mpf:
        if b == 0:
            raise NotBounded("division by zero (a pole of the function)")
        return a / b

    def powi(self, a: Mpf, e: int) -> Mpf:
        if a == 0 and e < 0:
            raise NotBounded("negative power of zero (a pole of the function)")
        return a**e

    def f_exp(self, a: Mpf) -> Mpf:
        exp_argument_ok(a)
        return self.ctx.exp(a)

    def f_log(self, a: Mpf) -> Mpf:
        if a <= 0:
            raise NotBounded(f"log of the non-positive value {self.ctx.nstr(a, 8)}")
        return self.ctx.log(a)

    def f_sin(self, a: Mpf) -> Mpf:
        return self.ctx.sin(a)

    def f_cos(self, a: Mpf) -> Mpf:
        return self.ctx.cos(a)

    def f_sqrt(self, a: Mpf) -> Mpf:
        if a < 0:
            raise NotBounded(f"sqrt of the negative value {self.ctx.nstr(a, 8)}")
        return self.ctx.sqrt(a)

    def f_abs(self, a: Mpf) -> Mpf:
        return abs(a)


@contextmanager
def interval_precision(bits: int = INTERVAL_PREC) -> Iterator[None]:
    """Run the enclosed interval computations at ``bits`` of working precision."""
    old = iv.prec
    iv.prec = bits
    try:
        yield
    finally:
        iv.prec = old


def interval(value: Fraction | int) -> Interval:
    """An mpmath interval containing the exact rational ``value`` (outward rounded)."""
    if not isinstance(value, Fraction):
        value = Fraction(value)
    p, q = value.numerator, value.denominator
    prec = iv.prec
    return iv.make_mpf((from_rational(p, q, prec, round_floor),
                        from_rational(p, q, prec, round_ceiling)))


#: End points are kept exactly down to 2^-ENDS_BITS; finer ones are rounded outward
#: to multiples of it. An interval of exp(-10^7) has end points near 2^-14426950, whose
#: exact rationals would make every later sum cost megabits; widening an enclosure
#: keeps it an enclosure, and 2^-12000 is far below any bound reported (the
#: approximant's own rounding is 2^-bits, bits <= 4096).
ENDS_BITS = 12_000


def _dyadic_end(end: tuple[int, Any, int, int], up: bool) -> Fraction:
    """An mpf end point as a rational, rounded outward (down for the lower end, up for
    the upper one) to a multiple of 2^-ENDS_BITS when it is finer than that."""
    sign, man, exp, _ = end
    man = int(man)
    if exp >= -ENDS_BITS or man == 0:
        p, q = to_rational(end)
        return Fraction(int(p), int(q))
    k = -exp - ENDS_BITS                 # |end| * 2^ENDS_BITS = man / 2^k, k > 0
    floor_mag = man >> k if k <= man.bit_length() else 0
    exact = floor_mag << k == man if k <= man.bit_length() else False
    ceil_mag = floor_mag if exact else floor_mag + 1
    # for a negative end point, rounding down grows the magnitude
    mag = (ceil_mag if sign else floor_mag) if not up else (floor_mag if sign else ceil_mag)
    return Fraction(-mag if sign else mag, 1 << ENDS_BITS)


def exact_ends(x: Interval) -> tuple[Fraction, Fraction]:
    """The end points of an interval as exact rationals (they are binary fractions),
    those finer than 2^-ENDS_BITS rounded outward: the result still encloses x.

    >>> exact_ends(iv.mpf([0.25, 0.5]))
    (Fraction(1, 4), Fraction(1, 2))
    """
    lo, hi = x._mpi_
    for end in (lo, hi):
        if not mpmath.isfinite(mpmath.mpf(end)):
            raise NotBounded("an interval end point is infinite")
    return _dyadic_end(lo, up=False), _dyadic_end(hi, up=True)


def upper(x: Interval) -> Fraction:
    """The upper end point of an interval, as an exact rational (NotBounded if infinite)."""
    return exact_ends(x)[1]


def exp_argument_ok(upper: Mpf) -> None:
    """Refuse exp(a) for a > 2*MAX_LOG2 before computing it: exp of a huge number
    (e.g. exp(exp(exp(exp(3))))) would take unbounded time and memory, and its value
    is far above the 2^MAX_LOG2 that is refused anyway."""
    if upper > 2 * MAX_LOG2:
        raise NotBounded(f"exp of a value above {2 * MAX_LOG2} overflows (|f| above "
                         f"2^{MAX_LOG2})")


def check_finite(x: Interval) -> Interval:
    """``x`` itself if both end points are finite numbers, else NotBounded."""
    lo, hi = x._mpi_
    if not (mpmath.isfinite(mpmath.mpf(lo)) and mpmath.isfinite(mpmath.mpf(hi))):
        raise NotBounded("the enclosure is not finite (a pole or an overflow)")
    return x


class IntervalAlgebra:
    """Interval arithmetic (mpmath.iv, outward rounding): results enclose every value."""

    def num(self, value: Fraction) -> Interval:
        return interval(value)

    def const(self, name: str) -> Interval:
        return iv.pi if name == "pi" else iv.e

    def add(self, a: Interval, b: Interval) -> Interval:
        return check_finite(a + b)

    def neg(self, a: Interval) -> Interval:
        return -a

    def mul(self, a: Interval, b: Interval) -> Interval:
        return check_finite(a * b)

    def div(self, a: Interval, b: Interval) -> Interval:
        if 0 in b:
            raise NotBounded("division by an interval containing 0 (a pole of the function?)")
        return check_finite(a / b)

    def powi(self, a: Interval, e: int) -> Interval:
        if e < 0:
            if 0 in a:
                raise NotBounded("negative power of an interval containing 0 (a pole?)")
            return check_finite(1 / a**(-e))
        return check_finite(a**e)

    def f_exp(self, a: Interval) -> Interval:
        exp_argument_ok(a.b)
        return check_finite(iv.exp(a))

    def f_log(self, a: Interval) -> Interval:
        if not a.a > 0:
            raise NotBounded("log of an interval that reaches 0 or below")
        return check_finite(iv.log(a))

    def f_sin(self, a: Interval) -> Interval:
        return check_finite(iv.sin(a))

    def f_cos(self, a: Interval) -> Interval:
        return check_finite(iv.cos(a))

    def f_sqrt(self, a: Interval) -> Interval:
        if a.a < 0:
            raise NotBounded("sqrt of an interval that reaches below 0")
        return check_finite(iv.sqrt(a))

    def f_abs(self, a: Interval) -> Interval:
        return abs(a)


__all__ = ["FUNCTIONS", "Function", "parse_function", "NotBounded", "MpfAlgebra",
           "IntervalAlgebra", "interval", "interval_precision", "exact_ends", "upper", "check_finite", "INTERVAL_PREC"]
