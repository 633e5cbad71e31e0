"""The interpreter's interval mode: the same ONNX semantics, elements that are enclosures.

Used by the mpmath rung only (:mod:`.numerical`). An :class:`Enclosure` is an
``mpmath.iv`` interval that contains the exact real value; when the value is a constant
known exactly (a weight, a shape turned float, 1/count of a mean) it also carries that
Fraction, so everything the interpreter needs exactly (exponents, divisors by
constants, casts, comparisons of constants) stays exact. The input coordinates are
intervals only. Every operation rounds outward (mpmath.iv), so each result contains
the exact real value; what cannot be enclosed (a division by an interval containing
0, log or sqrt of a possibly non-positive value) raises NotExact: not decided, never
a verdict.

The element offers the few methods of a polynomial the interpreter uses (``is_ground``,
``LC``, ``values``, ``mul_ground``, the ring operations), so the operator rules of
:mod:`.interpret` run unchanged; the non-polynomial operators are registered in
:data:`.interpret.INTERVAL_OPS`, which only an interval context consults.
"""
from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable, Sequence, TypeAlias, Union, cast

import numpy as np

from ...engine.intervals import (interval_erf, interval_exp, interval_sigmoid,
                                 interval_tanh)
from ...errors import ModelFormatError, NotExact
from ...verify.numerical import interval_power
from .interpret import (_ADD, _MUL, _SUB, NEG_INF, INTERVAL_OPS, _axis, _obj, _scalar)

if TYPE_CHECKING:
    from .interpret import Args, Element, Interpreter, Output, Rule
    from .read import Node

#: An ``mpmath.iv`` interval (mpmath has no type information).
Interval: TypeAlias = Any
#: What an enclosure combines with: another enclosure or an exact number.
Operand: TypeAlias = Union["Enclosure", Fraction, int]


def _bounded(iv: Interval) -> bool:
    """Both ends are finite numbers (not +-inf, not NaN)."""
    from mpmath.libmp import finf, fnan, fninf
    return all(end not in (finf, fninf, fnan) for end in iv._mpi_)


class Enclosure:
    """An interval ``iv`` containing a real value, and the value itself (``exact``)
    when it is a constant known exactly."""

    __slots__ = ("dom", "iv", "exact")

    def __init__(self, dom: "EnclosureDomain", iv: Interval,
                 exact: Fraction | None = None) -> None:
        if not _bounded(iv):
            raise NotExact(f"gives an unbounded enclosure {iv} (not decided at this point; "
                           "raise --dps or narrow --domain)")
        self.dom, self.iv, self.exact = dom, iv, exact

    # the polynomial interface the interpreter relies on
    @property
    def is_ground(self) -> bool:
        return self.exact is not None

    @property
    def LC(self) -> Fraction:
        return self.exact if self.exact is not None else Fraction(0)

    def values(self) -> list[Fraction]:
        return [self.exact] if self.exact else []

    def __len__(self) -> int:
        return 1

    def __bool__(self) -> bool:
        """False only for an exact 0 (0 * v = 0 for every real v)."""
        return self.exact is None or self.exact != 0

    def mul_ground(self, c: Fraction) -> "Enclosure":
        return self * self.dom.const(Fraction(int(c.numerator), int(c.denominator)))

    def _lift(self, other: Operand) -> "Enclosure":
        if isinstance(other, Enclosure):
            return other
        return self.dom.const(Fraction(other))

    def __add__(self, other: Operand) -> Enclosure:
        o = self._lift(other)
        if self.exact is not None and o.exact is not None:
            return self.dom.const(self.exact + o.exact)
        return Enclosure(self.dom, self.iv + o.iv)

    __radd__ = __add__

    def __sub__(self, other: Operand) -> Enclosure:
        o = self._lift(other)
        if self.exact is not None and o.exact is not None:
            return self.dom.const(self.exact - o.exact)
        return Enclosure(self.dom, self.iv - o.iv)

    def __mul__(self, other: Operand) -> Enclosure:
        o = self._lift(other)
        if self.exact is not None and o.exact is not None:
            return self.dom.const(self.exact * o.exact)
        return Enclosure(self.dom, self.iv * o.iv)

    __rmul__ = __mul__

    def __neg__(self) -> Enclosure:
        return self.dom.const(-self.exact) if self.exact is not None else \
            Enclosure(self.dom, -self.iv)

    def __pow__(self, k: int) -> Enclosure:
        if self.exact is not None:
            return self.dom.const(self.exact ** int(k))
        return Enclosure(self.dom, interval_power(self.dom.ctx, self.iv, int(k)))

    def __repr__(self) -> str:
        return f"Enclosure({self.iv}{'' if self.exact is None else f', exact={self.exact}'})"


class EnclosureDomain:
    """The domain of one interval run at an exact rational point, ``dps`` digits."""

    encloses = True
    exact = False

    def __init__(self, point: Sequence[Fraction], dps: int) -> None:
        from mpmath.ctx_iv import MPIntervalContext
        self.ctx = MPIntervalContext()  # its own precision: the global mpmath.iv is untouched
        self.ctx.dps = dps
        self.zero = self.const(Fraction(0))
        self.one = self.const(Fraction(1))
        self.point = tuple(Enclosure(self, self._rational(Fraction(v))) for v in point)

    def _rational(self, value: Fraction) -> Interval:
        return self.ctx.mpf(value.numerator) / self.ctx.mpf(value.denominator)

    def const(self, value: Fraction) -> Enclosure:
        return Enclosure(self, self._rational(value), value)

    def interval(self, iv: Interval) -> Enclosure:
        return Enclosure(self, iv)

    def variable(self, i: int) -> Enclosure:
        return self.point[i]

    def relu(self, v: Enclosure) -> Enclosure:
        """relu([a, b]) is [a, b] if a >= 0, 0 if b <= 0, else [0, b]."""
        if v.exact is not None:
            return v if v.exact > 0 else self.zero
        if v.iv.a >= 0:
            return v
        if v.iv.b <= 0:
            return self.zero
        return self.interval(self.ctx.mpf([0, v.iv.b]))

    def softmax(self, scores: Sequence[Enclosure]) -> list[Enclosure]:
        """exp(s_j - m) / sum_i exp(s_i - m) for any real m (an identity of reals);
        equal exact scores give exactly 1/k."""
        if all(s.exact is not None for s in scores) and len({s.exact for s in scores}) == 1:
            return [self.const(Fraction(1, len(scores)))] * len(scores)
        top = max(self.ctx.mpf(s.iv.b) for s in scores)
        exps = [interval_exp(self.ctx, s.iv - top) for s in scores]
        total = exps[0]
        for e in exps[1:]:
            total = total + e
        return [self.interval(e / total) for e in exps]

    def reciprocal(self, v: Enclosure) -> Enclosure:
        if v.exact is not None:
            if v.exact == 0:
                raise NotExact("divides by zero")
            return self.const(1 / v.exact)
        if v.iv.a <= 0 <= v.iv.b:
            raise NotExact(f"divides by an enclosure {v.iv} that contains 0 (not decided at "
                           "this point; raise --dps or narrow --domain)")
        return self.interval(1 / v.iv)

    def sqrt(self, v: Enclosure) -> Enclosure:
        if v.iv.a < 0:
            raise NotExact(f"takes the square root of an enclosure {v.iv} that may be "
                           "negative (not decided at this point)")
        return self.interval(self.ctx.sqrt(v.iv))

    def log(self, v: Enclosure) -> Enclosure:
        if v.iv.a <= 0:
            raise NotExact(f"takes the logarithm of an enclosure {v.iv} that may be <= 0 "
                           "(not decided at this point)")
        return self.interval(self.ctx.log(v.iv))

    def apply(self, name: str, v: Enclosure) -> Enclosure:
        """One analytic function of ONNX, enclosed (see engine/intervals)."""
        ctx = self.ctx
        if name == "Exp":
            return self.interval(interval_exp(ctx, v.iv))
        if name == "Tanh":
            return self.interval(interval_tanh(ctx, v.iv))
        if name == "Sigmoid":
            return self.interval(interval_sigmoid(ctx, v.iv))
        if name == "Erf":
            return self.interval(interval_erf(ctx, v.iv))
        if name == "Sqrt":
            return self.sqrt(v)
        if name == "Log":
            return self.log(v)
        if name == "Reciprocal":
            return self.reciprocal(v)
        raise ValueError(f"no enclosure of {name}")


def _elementwise(it: Interpreter, x: np.ndarray, f: Callable[[Enclosure], Enclosure]
                 ) -> np.ndarray:
    if x.dtype != object and x.dtype != np.float64:
        raise ModelFormatError("a float operator applied to an integer tensor")
    x = it.exact(x)

    def one(v: Element) -> Enclosure:
        if v is NEG_INF:
            raise NotExact("is applied to -inf")
        return f(v)
    return _obj(np.frompyfunc(one, 1, 1)(x)) if x.size else x


def _unary(name: str) -> Rule:
    def apply(it: Interpreter, node: Node, args: Args) -> Output:
        dom = cast(EnclosureDomain, it.ctx.domain)  # interval mode: INTERVAL_OPS only
        return _elementwise(it, args[0], lambda v: dom.apply(name, v))
    return apply


for _op in ("Exp", "Tanh", "Sigmoid", "Erf", "Sqrt", "Log", "Reciprocal"):
    INTERVAL_OPS[_op] = _unary(_op)

#: The constant of Gelu(approximate="tanh") in the ONNX specification, read as the
#: decimal it is written as there.
GELU_TANH_CUBIC = Fraction(44715, 10**6)


def _gelu(it: Interpreter, node: Node, args: Args) -> Output:
    """Gelu t = t (1 + erf(t / sqrt 2)) / 2 (approximate="none") or
    t (1 + tanh(sqrt(2/pi) (t + 0.044715 t^3))) / 2 (approximate="tanh")."""
    dom = cast(EnclosureDomain, it.ctx.domain)  # interval mode: INTERVAL_OPS only
    ctx = dom.ctx
    mode = node.attributes.get("approximate", "none")
    if isinstance(mode, bytes):
        mode = mode.decode("ascii", "replace")
    if mode not in ("none", "tanh"):
        raise ModelFormatError(f"{node.label}: approximate={mode[:20]!r} is not 'none' or "
                               "'tanh'")
    c = dom._rational(GELU_TANH_CUBIC)

    def gelu(v: Enclosure) -> Enclosure:
        t = v.iv
        if mode == "none":
            inner = interval_erf(ctx, t / ctx.sqrt(ctx.mpf(2)))
        else:
            inner = interval_tanh(ctx, ctx.sqrt(2 / ctx.pi) *
                                  (t + c * interval_power(ctx, t, 3)))
        return dom.interval(t * (1 + inner) / 2)
    return _elementwise(it, args[0], gelu)


INTERVAL_OPS["Gelu"] = _gelu


def _layer_normalization(it: Interpreter, node: Node, args: Args) -> Output:
    """Y = (X - mean) / sqrt(var + epsilon) * Scale + B over the axes axis..rank-1,
    var the mean of the squared deviations (the ONNX definition); epsilon is the
    stored float read exactly (through the context's float reading)."""
    dom = cast(EnclosureDomain, it.ctx.domain)  # interval mode: INTERVAL_OPS only
    x = it.exact(args[0])
    if x.ndim == 0:
        raise ModelFormatError(f"{node.label}: layer normalization of a scalar")
    axis = _axis(node.attributes.get("axis", -1), x.ndim, node)
    eps = dom.const(it.ctx.reading(float(node.attributes.get("epsilon", 1e-5))))
    axes = tuple(range(axis, x.ndim))
    count = int(np.prod([x.shape[a] for a in axes], dtype=object))
    if count == 0:
        raise ModelFormatError(f"{node.label}: normalizes over an empty axis")
    inv_count = _scalar(dom.const(Fraction(1, count)))

    def mean(t: np.ndarray) -> np.ndarray:
        for a in axes:
            t = _obj(_ADD.reduce(t, axis=a, keepdims=True))
        return _obj(_MUL(t, inv_count))
    mu = mean(x)
    dev = _obj(_SUB(x, mu))
    var = mean(_obj(np.frompyfunc(lambda v: v ** 2, 1, 1)(dev)))
    inv_std = _obj(np.frompyfunc(lambda v: dom.reciprocal(dom.sqrt(v + eps)), 1, 1)(var))
    y = _obj(_MUL(dev, inv_std))
    if len(args) > 1 and args[1] is not None:
        y = _obj(_MUL(y, it.exact(args[1])))
    if len(args) > 2 and args[2] is not None:
        y = _obj(_ADD(y, it.exact(args[2])))
    return y, mu, inv_std


INTERVAL_OPS["LayerNormalization"] = _layer_normalization
