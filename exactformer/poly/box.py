"""Boxes [lo_1, hi_1] x ... x [lo_d, hi_d] with rational corners: where an input lives.

A polynomial identity proved on a box with non-empty interior is an identity of
polynomials (two polynomials that agree on an open set are equal), so a box never
weakens a polynomial refutation; it only limits where piecewise (relu) models are
claimed to agree with their target.

>>> parse_box("[-1,1]^2", 2)
Box(intervals=((Fraction(-1, 1), Fraction(1, 1)), (Fraction(-1, 1), Fraction(1, 1))))
>>> str(parse_box("[0,1/2]x[-3,2.5]", 2))
'[0,1/2]x[-3,5/2]'
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from ..errors import ParseError

_NUMBER = r"\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:/\d+)?\s*"
_INTERVAL = re.compile(rf"\[({_NUMBER}),({_NUMBER})\]", re.ASCII)
_POWER = re.compile(rf"\s*\[({_NUMBER}),({_NUMBER})\]\s*(?:\^\s*(\d{{1,4}}))?\s*\Z", re.ASCII)  # d < 10**4


def _rational(text: str) -> Fraction:
    text = text.strip()
    if len(text) > 200:
        raise ParseError(f"box bound {text[:40]!r}... is too long")
    try:
        return Fraction(text)  # exact for decimals and p/q (no float involved)
    except (ValueError, ZeroDivisionError):
        raise ParseError(f"box bound {text!r} is not an exact rational") from None


@dataclass(frozen=True)
class Box:
    """A product of closed intervals with rational ends, lo < hi in every coordinate."""

    intervals: tuple[tuple[Fraction, Fraction], ...]

    def __post_init__(self) -> None:
        for i, (lo, hi) in enumerate(self.intervals):
            if not (isinstance(lo, Fraction) and isinstance(hi, Fraction)):
                raise ParseError(f"box interval {i + 1} must have rational ends")
            if not lo < hi:
                raise ParseError(f"box interval {i + 1} is [{lo}, {hi}]: it needs lo < hi "
                                 "(a box must have interior)")

    @classmethod
    def cube(cls, lo: int | Fraction, hi: int | Fraction, d: int) -> Box:
        """[lo, hi]^d."""
        return cls(tuple((Fraction(lo), Fraction(hi)) for _ in range(d)))

    @property
    def dimension(self) -> int:
        return len(self.intervals)

    @property
    def lows(self) -> tuple[Fraction, ...]:
        return tuple(lo for lo, _ in self.intervals)

    @property
    def widths(self) -> tuple[Fraction, ...]:
        return tuple(hi - lo for lo, hi in self.intervals)

    def contains(self, point: Sequence[Fraction]) -> bool:
        return len(point) == self.dimension and all(
            lo <= Fraction(x) <= hi for x, (lo, hi) in zip(point, self.intervals))

    def __str__(self) -> str:
        if not self.intervals:
            return "R^0"
        first = self.intervals[0]
        if all(iv == first for iv in self.intervals) and self.dimension > 1:
            return f"[{first[0]},{first[1]}]^{self.dimension}"
        return "x".join(f"[{lo},{hi}]" for lo, hi in self.intervals)


def parse_box(text: str, d: int) -> Box:
    """A box from ``[lo,hi]`` (every variable), ``[lo,hi]^d``, or ``[l1,h1]x[l2,h2]...``.

    Bounds are exact rationals (``1/3``, ``0.25``); nothing is rounded."""
    if not isinstance(text, str) or len(text) > 10_000:
        raise ParseError("a box must be text such as [-1,1]^2 or [0,1]x[0,2]")
    one = _POWER.match(text)
    if one:
        lo, hi, power = _rational(one.group(1)), _rational(one.group(2)), one.group(3)
        if power is not None and int(power) != d:
            raise ParseError(f"box {text.strip()!r} has dimension {int(power)}, "
                             f"the input has {d} variables")
        return Box.cube(lo, hi, d)
    parts = [p.strip() for p in text.split("x")]
    intervals = []
    for part in parts:
        m = _INTERVAL.fullmatch(part)
        if not m:
            raise ParseError(f"cannot read the box {text.strip()!r}: expected [lo,hi], "
                             "[lo,hi]^d or [l1,h1]x[l2,h2]...")
        intervals.append((_rational(m.group(1)), _rational(m.group(2))))
    if len(intervals) != d:
        raise ParseError(f"box {text.strip()!r} has {len(intervals)} intervals, "
                         f"the input has {d} variables")
    return Box(tuple(intervals))


def box_from_meta(text: str) -> Box:
    """Inverse of ``str(box)`` for a model's recorded box (dimension read from it)."""
    text = text.strip()
    if text == "R^0":
        return Box(())
    m = _POWER.match(text)
    if m and m.group(3) is not None:
        return Box.cube(_rational(m.group(1)), _rational(m.group(2)), int(m.group(3)))
    return parse_box(text, text.count("x") + 1)
