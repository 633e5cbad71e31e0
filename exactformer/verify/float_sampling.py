"""The error a float model really shows: numpy runs at sampled points of a box, each
compared EXACTLY (Fractions) with the claimed polynomial at the same float input.

This is evidence, never a bound: it only says how large the error was at the points
tried. The points are floats of the run's precision inside the box: every corner
(rounded inwards to the nearest float in the box, for d <= 12), the centre, and
uniformly random points, so that p(x) and the model see the very same x.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Sequence

import numpy as np

from ..poly.box import Box
from .precision import Precision, float_inside, round_to
from ..floats.forward import run_float
from ..floats.schema import FloatModel

DTYPES = {"float32": np.float32, "float64": np.float64}
MAX_CORNER_DIMENSION = 12


@dataclass(frozen=True)
class Observed:
    """The largest |y_float(x) - p(x)| found, where, and over how many points."""

    max_error: Fraction
    worst_point: tuple[Fraction, ...]
    points: int


def sample_points(box: Box, precision: Precision, count: int, seed: int = 0
                  ) -> list[tuple[Fraction, ...]]:
    """Corners (d <= 12), the centre, then random points, all floats of ``precision``
    inside the box; ``count`` random points at most (corners come on top)."""
    inside = [(float_inside(lo, precision, True), float_inside(hi, precision, False))
              for lo, hi in box.intervals]
    points: list[tuple[Fraction, ...]] = []
    d = box.dimension
    if d <= MAX_CORNER_DIMENSION:
        for mask in range(1 << d):
            points.append(tuple(hi if mask >> i & 1 else lo
                                for i, (lo, hi) in enumerate(inside)))
    points.append(tuple(_clip(round_to((lo + hi) / 2, precision), lo, hi)
                        for lo, hi in inside))
    rng = random.Random(seed)
    for _ in range(count):
        points.append(tuple(_clip(round_to(lo + (hi - lo) * Fraction(rng.getrandbits(53),
                                                                      1 << 53), precision),
                                  lo, hi) for lo, hi in inside))
    return points


def _clip(x: Fraction, lo: Fraction, hi: Fraction) -> Fraction:
    return lo if x < lo else hi if x > hi else x


def observed_error(fm: FloatModel, claim: Callable[[Sequence[Fraction]], Fraction],
                   points: Sequence[Sequence[Fraction]], precision: Precision,
                   chunk: int = 4096) -> Observed:
    """max over ``points`` of |run_float(fm, x) - claim(x)|, the run in ``precision``
    (numpy), the claim exact, the difference exact."""
    dtype = DTYPES[precision.name]
    worst = Fraction(-1)
    where: tuple[Fraction, ...] = ()
    for start in range(0, len(points), chunk):
        batch = points[start:start + chunk]
        X = np.array([[float(v) for v in p] for p in batch], dtype=np.float64).astype(dtype)
        with np.errstate(all="ignore"):
            y = run_float(fm, X, dtype)
        for p, value in zip(batch, y):
            value = float(value)
            if not np.isfinite(value):
                raise ArithmeticError(f"the float run gave {value} at {p}")
            err = abs(Fraction(value) - claim(p))
            if err > worst:
                worst, where = err, tuple(p)
    return Observed(max(worst, Fraction(0)), where, len(points))


__all__ = ["DTYPES", "Observed", "observed_error", "sample_points"]
