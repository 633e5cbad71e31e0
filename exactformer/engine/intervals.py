"""Rigorous interval enclosures of the elementary functions the mpmath rung needs.

Each function takes an ``mpmath.iv`` context and an interval z and returns an
interval that contains f(t) for every real t in z. mpmath.iv rounds every endpoint
outward and encloses exp, log, sqrt, sin and cos itself; the others are built from
those by identities of real numbers (tanh t = 1 - 2/(exp(2t) + 1), sigmoid t =
1/(1 + exp(-t))) or, for erf, by its Taylor series with the alternating-series
remainder bound. Arguments too large to reduce are refused (NotExact), never
approximated.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from ..errors import NotExact

if TYPE_CHECKING:
    from mpmath.ctx_iv import MPIntervalContext, ivmpf

#: exp is evaluated for arguments in [-EXP_RANGE, EXP_RANGE]; below, exp(t) is enclosed
#: by [0, exp(-EXP_RANGE)] (exp is increasing and positive); above, it is refused: the
#: reduction of a huge argument would need as many digits as the argument has.
EXP_RANGE = 10**8
#: sin and cos are evaluated for |t| up to this size (argument reduction cost).
TRIG_RANGE = 10**15
#: erf is summed by its Taylor series for |t| <= ERF_SERIES_RANGE; beyond, the bound
#: 0 < erfc(t) < exp(-t^2) / (t sqrt(pi)) (t > 0) encloses it (erf is odd).
ERF_SERIES_RANGE = 10


def interval_exp(ctx: MPIntervalContext, z: ivmpf) -> ivmpf:
    """exp over z (see EXP_RANGE)."""
    if z.b > EXP_RANGE:
        raise NotExact(f"exp of a value up to {ctx.nstr(z.b, 8)} is too large to enclose")
    if z.b < -EXP_RANGE:
        return ctx.mpf([0, ctx.exp(ctx.mpf(-EXP_RANGE)).b])
    if z.a < -EXP_RANGE:
        return ctx.mpf([0, ctx.exp(ctx.mpf(z.b)).b])
    return ctx.exp(z)


def interval_trig(ctx: MPIntervalContext, name: str, z: ivmpf) -> ivmpf:
    """sin or cos over z (see TRIG_RANGE)."""
    if max(abs(z.a), abs(z.b)) > TRIG_RANGE:
        raise NotExact(f"{name} of a value of size {ctx.nstr(abs(z).b, 8)} is too large "
                       "to reduce")
    return ctx.sin(z) if name == "sin" else ctx.cos(z)


#: Beyond |t| = SATURATION, tanh and sigmoid are enclosed by their saturation bounds.
SATURATION = 10**6


def _monotone(ctx: MPIntervalContext, at_end: Callable[[ivmpf], ivmpf], z: ivmpf) -> ivmpf:
    """An increasing function over z, from enclosures at its two ends."""
    return ctx.mpf([at_end(ctx.mpf(z.a)).a, at_end(ctx.mpf(z.b)).b])


def interval_tanh(ctx: MPIntervalContext, z: ivmpf) -> ivmpf:
    """tanh is increasing; tanh t = 1 - 2/(exp(2t) + 1), and for t > S > 0,
    0 < 1 - tanh t = 2/(exp(2t) + 1) < 2 exp(-2S) (tanh is odd)."""
    def at(p: ivmpf) -> ivmpf:
        if p.a > SATURATION or p.b < -SATURATION:
            tail = 2 * interval_exp(ctx, ctx.mpf(-2 * SATURATION))
            return ctx.mpf([(1 - tail).a, 1]) if p.a > 0 else ctx.mpf([-1, (tail - 1).b])
        return 1 - 2 / (interval_exp(ctx, 2 * p) + 1)
    return _monotone(ctx, at, z)


def interval_sigmoid(ctx: MPIntervalContext, z: ivmpf) -> ivmpf:
    """sigmoid t = 1/(1 + exp(-t)) is increasing; for t > S, 0 < 1 - sigmoid t < exp(-S),
    and for t < -S, 0 < sigmoid t < exp(-S)."""
    def at(p: ivmpf) -> ivmpf:
        if p.a > SATURATION or p.b < -SATURATION:
            tail = interval_exp(ctx, ctx.mpf(-SATURATION))
            return ctx.mpf([(1 - tail).a, 1]) if p.a > 0 else ctx.mpf([0, tail.b])
        return 1 / (1 + interval_exp(ctx, -p))
    return _monotone(ctx, at, z)


def _erf_point(ctx: MPIntervalContext, t: ivmpf) -> ivmpf:
    """An enclosure of erf(t) for a point t (a degenerate interval), t >= 0."""
    if t.a > ERF_SERIES_RANGE:
        # 0 < erfc(t) < exp(-t^2) / (t sqrt(pi)) for t > 0
        tail = interval_exp(ctx, -(t * t)) / (t * ctx.sqrt(ctx.pi))
        return ctx.mpf([(1 - tail).a, 1])
    from mpmath.ctx_iv import MPIntervalContext
    work = MPIntervalContext()
    # the terms grow to about exp(t^2) before they shrink: carry that many more digits
    work.dps = ctx.dps + int(float(t.b) ** 2 / 2.302) + 10
    x = work.mpf([t.a, t.b])
    x2 = x * x
    power, total, n = x, work.mpf(0), 0
    eps = work.mpf(10) ** (-(ctx.dps + 5))
    while True:
        term = power / (2 * n + 1)  # x^(2n+1) / (n! (2n+1)), power = x^(2n+1)/n!
        # from n >= t^2 on the terms decrease, so the first omitted one bounds the rest
        if n >= float(t.b) ** 2 and abs(term).b < eps.a:
            remainder = abs(term).b
            total = total + work.mpf([-remainder, remainder])
            break
        total = total + term if n % 2 == 0 else total - term
        n += 1
        power = power * x2 / n
    value = 2 / work.sqrt(work.pi) * total
    out = ctx.mpf([value.a, value.b])
    return ctx.mpf([max(out.a, ctx.mpf(-1)).a, min(out.b, ctx.mpf(1)).b])


def interval_erf(ctx: MPIntervalContext, z: ivmpf) -> ivmpf:
    """erf over z: erf is increasing and odd, so [erf(lo), erf(hi)] encloses it."""
    def at(end: ivmpf) -> ivmpf:
        p = ctx.mpf(end)
        if p.a >= 0:
            return _erf_point(ctx, p)
        e = _erf_point(ctx, -p)
        return ctx.mpf([(-e).a, (-e).b])
    lo, hi = at(z.a), at(z.b)
    return ctx.mpf([lo.a, hi.b])


def interval_gelu(ctx: MPIntervalContext, z: ivmpf) -> ivmpf:
    """GELU t = t (1 + erf(t / sqrt 2)) / 2 (the exact form, ONNX Gelu approximate="none")."""
    return z * (1 + interval_erf(ctx, z / ctx.sqrt(ctx.mpf(2)))) / 2
