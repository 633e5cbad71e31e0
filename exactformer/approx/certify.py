"""A certified upper bound on sup |f - p| over the box, and the sampled error beside it.

Everything happens in the normalised coordinates t in [-1, 1]^d (x = mid + half * t),
where the approximant is P(t) with exact rational coefficients. The cube is covered
by dyadic sub-boxes B (centre c, radii r); on each one

    |f - P| <= sum_{|beta|<K} |f_beta(c) - P_beta(c)| r^beta
             + sum_{|beta|=K} |f_beta(B) - P_beta(c)| r^beta
             + sum_{|beta|>K} |P_beta(c)| r^beta                         (Taylor form)

where f_beta(c) are f's Taylor coefficients at c and f_beta(B) encloses them over all
of B (both by interval Taylor arithmetic, :mod:`.taylor`), the P_beta(c) are exact
(a rational shift of P), and the middle sum is the Lagrange remainder. Where f is not
K times differentiable on B (abs, sqrt at 0) the plain enclosure
|f(B) - P(c)| + sum_{beta != 0} |P_beta(c)| r^beta is used; the smaller of the two
valid bounds is kept. The polynomial part of the Taylor form is bounded more tightly:
each enclosure f_beta(c) - P_beta(c) is split exactly into midpoint and radius (its
end points are binary fractions), and the midpoint polynomial, rewritten exactly in
the Chebyshev basis of the sub-box, is bounded by the sum of its |coefficients|
(|T_j| <= 1); the radii add sum rad_beta r^beta. All of this is exact rational
arithmetic on the interval end points, so each box's number is an upper bound, and
the maximum over a cover of the cube is an upper bound on the sup error. The worst box is bisected
until a budget of box evaluations or seconds is spent.

The sampled error, max |f - p| over a grid (p exact, f with mpmath), is a lower
estimate of the same sup; it is reported next to the bound, never instead of it, and
checked against it: a sampled error that a point enclosure proves larger than the
bound is a contradiction (:func:`confirm_bound`), so no bound is then claimed. The
Taylor order K must be >= 0 (:func:`check_order` says why).
"""
from __future__ import annotations

import heapq
import itertools
import math
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable, Mapping, Sequence

import mpmath
from mpmath import iv

from ..errors import InternalContradiction, LimitExceeded, ParseError
from .chebyshev import Approximant, Monomial
from .functions import (Function, Interval, IntervalAlgebra, Mpf, MpfAlgebra, NotBounded,
                        exact_ends, interval, interval_precision)
from .taylor import NoTaylor, Series, TaylorAlgebra

#: Largest Taylor order K of the bound.
MAX_ORDER = 256
#: Largest number of Taylor coefficients C(K + d, d) per series (cost grows with its square).
MAX_TAYLOR_TERMS = 25_000

SubBox = tuple[tuple[Fraction, Fraction], ...]   # per axis (centre, radius), t-space
Point = tuple[Fraction, ...]
#: (x, |f(x) - p(x)|) at a sample point x, the error an mpmath float.
Sample = tuple[Point, Mpf]


@dataclass(frozen=True)
class Bound:
    """A certified bound: ``value`` >= sup over the box of |f - p| (exact rational)."""

    value: Fraction
    order: int
    boxes: int
    evaluations: int
    taylor_boxes: int
    seconds: float
    stopped: str

    def method(self) -> str:
        return (f"interval arithmetic (mpmath.iv, {iv_prec_bits()} bits, outward rounding): "
                f"order-{self.order} Taylor form at each sub-box centre (polynomial part bounded "
                f"exactly in the Chebyshev basis) with Lagrange remainder, plain enclosure "
                f"where f is not smooth; {self.boxes} sub-boxes cover the box "
                f"({self.taylor_boxes} by the Taylor form), {self.evaluations} box "
                f"evaluations; refinement stopped: {self.stopped}")


def iv_prec_bits() -> int:
    from .functions import INTERVAL_PREC
    return INTERVAL_PREC


def _dyadic(c: Fraction) -> tuple[int, int]:
    """c = C / 2^m with integers C, m >= 0 (c must be a binary fraction)."""
    m = c.denominator.bit_length() - 1
    if c.denominator != 1 << m:
        raise ValueError(f"{c} is not a binary fraction")
    return c.numerator, m


def shift_polynomial(numerators: Mapping[Monomial, int], exponent: int, d: int,
                     centre: Sequence[Fraction]) -> tuple[dict[Monomial, int], int]:
    """P(c + h) from P(t), exactly, with integers: P is {beta: N_beta} standing for
    sum N_beta t^beta / 2^exponent, c a point with binary-fraction coordinates; the
    result is ({beta: M_beta}, exponent') with P(c + h) = sum M_beta h^beta / 2^exponent'.

    With c = C / 2^m and t = (C + h') / 2^m, h' = 2^m h, a line of degree D becomes
    2^(-mD) sum_k a_k 2^(m(D-k)) (C + h')^k, shifted by the integer C (synthetic
    division), and h'^j = 2^(mj) h^j.

    >>> shift_polynomial({(2,): 1}, 0, 1, [Fraction(1, 2)])   # (1/2 + h)^2 = (1 + 4h + 4h^2)/4
    ({(0,): 1, (1,): 4, (2,): 4}, 2)
    """
    coeffs = dict(numerators)
    for axis in range(d):
        C, m = _dyadic(Fraction(centre[axis]))
        if C == 0:
            continue
        lines: dict[Monomial, dict[int, int]] = {}
        for mon, v in coeffs.items():
            lines.setdefault(mon[:axis] + mon[axis + 1:], {})[mon[axis]] = v
        D = max(mon[axis] for mon in coeffs) if coeffs else 0
        out: dict[Monomial, int] = {}
        for key, line in lines.items():
            a = [line.get(k, 0) << (m * (D - k)) for k in range(D + 1)]
            for i in range(D):
                for k in range(D - 1, i - 1, -1):
                    a[k] += C * a[k + 1]
            for j, v in enumerate(a):
                if v:
                    out[key[:axis] + (j,) + key[axis:]] = v << (m * j)
        coeffs = out
        exponent += m * D
    return dict(sorted(coeffs.items())), exponent


def _cheb_weights(K: int) -> list[list[int]]:
    """W[k][j] with t^k = sum_j W[k][j] T_j(t) / 2^k (so |t^k| sums to 1 in T)."""
    out = []
    for k in range(K + 1):
        row = [0] * (k + 1)
        for j in range(k % 2, k + 1, 2):
            b = math.comb(k, (k - j) // 2)
            row[j] = b if j == 0 else 2 * b
        out.append(row)
    return out


def chebyshev_sup_bound(coeffs: Mapping[Monomial, Fraction], d: int, K: int) -> Fraction:
    """sum_gamma |b_gamma| where sum_beta g_beta s^beta = sum_gamma b_gamma T_gamma(s):
    an upper bound on the polynomial's sup over [-1, 1]^d since |T_j| <= 1 there.

    >>> chebyshev_sup_bound({(2,): Fraction(2), (0,): Fraction(-1)}, 1, 2)   # T_2
    Fraction(1, 1)
    """
    if not coeffs:
        return Fraction(0)
    L = 1
    for v in coeffs.values():
        L = math.lcm(L, v.denominator)
    ints = {m: int(v * L) for m, v in coeffs.items() if v}
    W = _cheb_weights(K)
    for axis in range(d):
        out: dict[Monomial, int] = {}
        for mon, n in ints.items():
            k = mon[axis]
            row = W[k]
            shift = K - k
            for j in range(k % 2, k + 1, 2):
                key = mon[:axis] + (j,) + mon[axis + 1:]
                out[key] = out.get(key, 0) + ((n * row[j]) << shift)
        ints = out
    return Fraction(sum(abs(v) for v in ints.values()), L << (K * d))


def _checked_count(value: object, name: str, lo: int, what: str, top: int) -> int:
    """``value`` if it is an int in [lo, top]: ParseError below (or not an int),
    LimitExceeded above."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParseError(f"{name} must be an integer, got {str(value)[:40]!r}")
    if value < lo:
        kind = "non-negative" if lo == 0 else "positive" if lo == 1 else f">= {lo}"
        raise ParseError(f"{name} must be a {kind} integer ({what}), got {value}")
    if value > top:
        raise LimitExceeded(f"{name} {value} exceeds the limit {top}")
    return value


def check_order(order: object, d: int) -> int:
    """``order`` itself if it is a valid Taylor order K for ``d`` variables.

    K >= 0 is required for soundness: the Taylor form splits f's series into the
    degrees < K (value at the centre), = K (Lagrange remainder over the box) and
    > K (the polynomial alone). With K < 0 every degree, the constant one included,
    falls into the last group, f itself is never looked at and the "bound" is
    sup |p| alone; K = 0 is the plain enclosure |f(B) - p(c)| + ..., which is valid.

    >>> check_order(3, 2)
    3
    """
    order = _checked_count(order, "order", 0,
                           f"the Taylor order K of the bound, 0 <= K <= {MAX_ORDER}", MAX_ORDER)
    if math.comb(order + d, d) > MAX_TAYLOR_TERMS:
        raise LimitExceeded(f"order {order} in {d} variables needs {math.comb(order + d, d)} "
                            f"Taylor coefficients, more than the limit {MAX_TAYLOR_TERMS}")
    return order


class _Certifier:
    def __init__(self, fn: Function, approx: Approximant, order: int) -> None:
        check_order(order, len(approx.box))
        self.fn = fn
        self.d = len(approx.box)
        self.P = approx.numerators
        self.bits = approx.bits
        self.mids = [Fraction(a + b, 2) for a, b in approx.box]
        self.halves = [Fraction(b - a, 2) for a, b in approx.box]
        self.K = order
        self.algebra = IntervalAlgebra()

    def _x_interval(self, i: int, lo: Fraction, hi: Fraction) -> Interval:
        a = interval(self.mids[i] + self.halves[i] * lo)
        b = interval(self.mids[i] + self.halves[i] * hi)
        return iv.mpf([a.a, b.b])

    def box_bound(self, box: SubBox) -> tuple[Fraction, bool]:
        """An upper bound on |f - P| over the sub-box, and whether the Taylor form held."""
        d, K = self.d, self.K
        centre = [c for c, _ in box]
        radii = [r for _, r in box]
        Pn, E = shift_polynomial(self.P, self.bits, d, centre)
        Pc = {m: Fraction(v, 1 << E) for m, v in Pn.items()}
        rpow: dict[Monomial, Fraction] = {}

        def r_to(beta: Monomial) -> Fraction:
            if beta not in rpow:
                v = Fraction(1)
                for r, e in zip(radii, beta):
                    v *= r**e
                rpow[beta] = v
            return rpow[beta]

        zero = (0,) * d
        # plain enclosure: |f(B) - P(c)| + sum_{beta != 0} |P_beta(c)| r^beta
        xs = [self._x_interval(i, c - r, c + r) for i, (c, r) in enumerate(box)]
        fB = self.fn.evaluate(self.algebra, xs)
        lo, hi = exact_ends(fB)
        p0 = Pc.get(zero, Fraction(0))
        tail = sum((abs(v) * r_to(m) for m, v in Pc.items() if m != zero), Fraction(0))
        best = max(abs(lo - p0), abs(hi - p0)) + tail
        try:
            alg = TaylorAlgebra(d, K)
            at_c: list[Series] = [alg.variable(i, interval(self.mids[i] + self.halves[i] * c),
                                 interval(self.halves[i])) for i, c in enumerate(centre)]
            on_b = [alg.variable(i, xs[i], interval(self.halves[i])) for i in range(d)]
            Fc = self.fn.evaluate(alg, at_c)
            FB = self.fn.evaluate(alg, on_b)
        except (NoTaylor, NotBounded):
            return best, False
        # |f - P| <= |sum_{|b|<K} mid_b h^b| + sum_{|b|<K} rad_b r^b
        #            + sum_{|b|=K} |f_b(B) - P_b(c)| r^b + sum_{|b|>K} |P_b(c)| r^b
        fixed: dict[Monomial, Fraction] = {}
        loose = Fraction(0)
        for m in set(Fc) | set(FB) | set(Pc):
            k = sum(m)
            p = Pc.get(m, Fraction(0))
            if k < K:
                a, b = exact_ends(Fc[m]) if m in Fc else (Fraction(0), Fraction(0))
                mid = (a + b) / 2 - p
                if mid:
                    fixed[m] = mid * r_to(m)      # coefficient of s^beta, s = h / r
                loose += (b - a) / 2 * r_to(m)
            elif k == K:
                a, b = exact_ends(FB[m]) if m in FB else (Fraction(0), Fraction(0))
                loose += max(abs(a - p), abs(b - p)) * r_to(m)
            else:
                loose += abs(p) * r_to(m)
        taylor = chebyshev_sup_bound(fixed, d, K) + loose
        if taylor < best:
            return taylor, True
        return best, False


def _split(box: SubBox) -> tuple[SubBox, SubBox]:
    axis = max(range(len(box)), key=lambda i: box[i][1])
    c, r = box[axis]
    h = r / 2
    left = box[:axis] + ((c - h, h),) + box[axis + 1:]
    right = box[:axis] + ((c + h, h),) + box[axis + 1:]
    return left, right


def _where(box: SubBox, approx: Approximant) -> str:
    pts = []
    for (c, _), (a, b), v in zip(box, approx.box, approx.variables):
        x = Fraction(a + b, 2) + Fraction(b - a, 2) * c
        pts.append(f"{v}={float(x):.6g}")
    return ", ".join(pts)


def certified_bound(fn: Function, approx: Approximant, order: int | None = None,
                    budget: int = 200, seconds: float = 20.0, target: Fraction | None = None,
                    initial: int | None = None, max_depth: int = 40) -> Bound:
    """A certified upper bound on sup_{x in box} |f(x) - p(x)| (see the module text).

    Refinement bisects the worst sub-box until ``budget`` box evaluations or
    ``seconds`` are spent, or the worst box is already below ``target``. Raises
    NotBounded if some part of the box cannot be enclosed at all (a pole, log of a
    value <= 0) even after ``max_depth`` bisections, or when the budget runs out first.
    """
    start = time.perf_counter()
    d = len(approx.box)
    K = check_order(order if order is not None else approx.degree + 1, d)
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
        raise ParseError(f"budget must be a non-negative integer, got {str(budget)[:40]!r}")
    check_seconds(seconds)
    if initial is None:
        initial = 4 if d <= 2 else 2
    if initial < 1 or initial & (initial - 1):
        raise ValueError("initial must be a power of 2 (sub-box centres are binary fractions)")
    cert = _Certifier(fn, approx, K)
    # (-bound, tie-breaker, sub-box, Taylor form used, why it could not be enclosed)
    heap: list[tuple[float | Fraction, int, SubBox, bool, str]] = []
    counter = itertools.count()
    evaluations = 0
    taylor_count = 0
    failures: dict[SubBox, str] = {}
    with interval_precision():
        r0 = Fraction(1, initial)
        centres = [-1 + r0 * (2 * j + 1) for j in range(initial)]
        queue = [tuple((c, r0) for c in combo) for combo in itertools.product(centres, repeat=d)]

        def evaluate(box: SubBox) -> None:
            nonlocal evaluations, taylor_count
            evaluations += 1
            try:
                value, used = cert.box_bound(box)
                taylor_count += used
                heapq.heappush(heap, (-value, next(counter), box, used, ""))
            except NotBounded as exc:
                depth = -int(math.log2(min(r for _, r in box)))
                if depth >= max_depth:
                    raise NotBounded(f"cannot enclose f near {_where(box, approx)}: {exc}") from None
                heapq.heappush(heap, (-math.inf, next(counter), box, False, str(exc)))

        for box in queue:
            evaluate(box)
        stopped = "budget of box evaluations spent"
        while True:
            neg, _, box, _, why = heap[0]
            worst = -neg
            if worst != math.inf:
                if worst == 0:
                    stopped = "the error is 0 on every sub-box"
                    break
                if target is not None and worst <= target:
                    stopped = "worst sub-box within the sampled error's margin"
                    break
                if evaluations >= budget:
                    break
                if time.perf_counter() - start > seconds:
                    stopped = f"time budget of {seconds:g} s spent"
                    break
            elif evaluations >= 50 * budget or time.perf_counter() - start > 5 * seconds:
                raise NotBounded(f"cannot enclose f near {_where(box, approx)}: {why}")
            heapq.heappop(heap)
            for child in _split(box):
                evaluate(child)
    worst = -heap[0][0]
    if worst == math.inf:  # pragma: no cover - the loop above never leaves one
        raise NotBounded("part of the box could not be enclosed")
    taylor_leaves = sum(1 for item in heap if item[3])
    return Bound(Fraction(worst), K, len(heap), evaluations, taylor_leaves,
                 time.perf_counter() - start, stopped)


#: Largest bound_seconds (a day).
MAX_SECONDS = 86_400
#: Largest number of grid points for the sampled error.
MAX_SAMPLE_POINTS = 100_000
#: Largest number of products in the exact evaluation of P on the grid (grid_work).
MAX_SAMPLE_WORK = 3_000_000


def check_seconds(seconds: object, what: str = "bound seconds (--bound-seconds)") -> float:
    """``seconds`` as a float if it is a finite number in (0, MAX_SECONDS]: NaN would
    never compare as spent, and infinity never ends."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float, Fraction)):
        raise ParseError(f"{what} must be a number, got {str(seconds)[:40]!r}")
    try:
        value = float(seconds)
    except OverflowError:
        value = math.inf
    if not (math.isfinite(value) and 0 < value <= MAX_SECONDS):
        raise ParseError(f"{what} must be a finite number of seconds in (0, {MAX_SECONDS}], "
                         f"got {value if math.isfinite(value) else str(value)}")
    return value


def grid_side(d: int, count: int) -> int:
    """Points per axis of the sampling grid for about ``count`` points in d dimensions
    (at least 2: the box ends are always sampled). Refuses counts that are not
    positive integers and grids above MAX_SAMPLE_POINTS."""
    _checked_count(count, "samples", 1, "grid points for the sampled error", MAX_SAMPLE_POINTS)
    q = max(2, int(round(count ** (1 / d))))
    if q**d > MAX_SAMPLE_POINTS:
        raise LimitExceeded(f"the sampling grid has {q}^{d} = {q**d} points, more than the "
                            f"limit {MAX_SAMPLE_POINTS} (fewer variables or samples)")
    return q


def sample_points(d: int, count: int) -> list[tuple[Fraction, ...]]:
    """A regular grid of about ``count`` points of [-1, 1]^d, end points included."""
    q = grid_side(d, count)
    axis = [Fraction(-1) + Fraction(2 * j, q - 1) for j in range(q)]
    return list(itertools.product(axis, repeat=d))


def grid_work(approx: Approximant, q: int) -> int:
    """Big-integer multiplications of :func:`_exact_grid_values` on the q^d grid: the
    contraction of axis d-k touches (distinct prefixes of length d-k) * q^(k+1) entries."""
    d = len(approx.box)
    return sum(len({beta[:d - k] for beta in approx.numerators}) * q ** (k + 1)
               for k in range(d))


def _exact_grid_values(approx: Approximant,
                       q: int) -> tuple[dict[tuple[int, ...], int], int]:
    """P at every point of the q^d grid of t-space, exactly, as ({index: V}, S) with
    P(t) = V / S: with t_j = (2j - (q-1))/(q-1), V = sum_beta N_beta prod_i a_i^beta_i
    (q-1)^(n - beta_i) and S = 2^bits (q-1)^(n d); tensor contraction one axis at a time
    (last axis first), the powers made per grid coordinate (memory O(n) for them)."""
    d, n, D = len(approx.box), approx.degree, q - 1
    d_pow = [D**k for k in range(n + 1)]
    # (the exponents left to contract, the grid index made so far) -> integer value
    table: dict[tuple[Monomial, tuple[int, ...]], int] = {
        (beta, ()): k for beta, k in approx.numerators.items()}
    for _ in range(d):
        used = sorted({beta[-1] for beta, _ in table})
        new: dict[tuple[Monomial, tuple[int, ...]], int] = {}
        for j in range(q):
            a = 2 * j - D
            pw = {e: a**e * d_pow[n - e] for e in used}
            for (beta, idx), v in table.items():
                key = (beta[:-1], (j,) + idx)
                new[key] = new.get(key, 0) + v * pw[beta[-1]]
        table = new
    return {idx: v for (_, idx), v in table.items()}, (1 << approx.bits) * D ** (n * d)


def grid_errors(fn: Function, approx: Approximant, count: int = 2000,
                dps: int = 40) -> list[Sample]:
    """(x, |f(x) - p(x)|) at every point x of a regular grid of about ``count`` points
    of the box, its corners included: p(x) computed exactly (rational) and rounded
    once, f(x) in mpmath at ``dps`` digits, so each error is correct to about ``dps``
    digits of max(|f|, |p|) (no cancellation in evaluating p's many large terms)."""
    alg = MpfAlgebra(dps)
    ctx = alg.ctx
    d = len(approx.box)
    q = grid_side(d, count)
    work = grid_work(approx, q)
    if work > MAX_SAMPLE_WORK:
        raise LimitExceeded(f"samples {count}: evaluating the approximant exactly on "
                            f"{q**d} grid points takes {work} products, more than the limit "
                            f"{MAX_SAMPLE_WORK} (use fewer --samples)")
    mids = [Fraction(a + b, 2) for a, b in approx.box]
    halves = [Fraction(b - a, 2) for a, b in approx.box]
    axis = [Fraction(-1) + Fraction(2 * j, q - 1) for j in range(q)]
    values, scale = _exact_grid_values(approx, q)
    mp_scale = ctx.mpf(scale)
    out: list[Sample] = []
    for idx in itertools.product(range(q), repeat=d):
        x = tuple(mids[i] + halves[i] * axis[j] for i, j in enumerate(idx))
        p = ctx.mpf(values.get(idx, 0)) / mp_scale
        out.append((x, abs(fn.value_at(alg, x) - p)))
    return out


def sampled_error(fn: Function, approx: Approximant, count: int = 2000,
                  dps: int = 40) -> tuple[float, Point | None]:
    """max |f - p| over a grid of about ``count`` points (mpmath at ``dps`` digits):
    numerical evidence of the error, a lower estimate of the sup, not a bound."""
    return worst_sample(grid_errors(fn, approx, count, dps))


def worst_sample(errors: Iterable[Sample]) -> tuple[float, Point | None]:
    """(the largest sampled error as a float, where it was found; None when no error
    is above 0)."""
    worst: Mpf = 0
    where: Point | None = None
    for x, err in errors:
        if err > worst:
            worst, where = err, x
    return float(worst), where


#: Bits of the point enclosures that confirm a sampled error exceeding the bound.
CONFIRM_PREC = 256


def error_lower_bound(fn: Function, approx: Approximant, x: Point) -> Fraction | None:
    """A rigorous lower bound on |f(x) - p(x)| at the rational point x: f(x) enclosed
    by interval arithmetic at CONFIRM_PREC bits (outward rounding), p(x) exact; the
    distance from p(x) to the enclosure. None where f(x) cannot be enclosed."""
    p = approx.value(x)
    try:
        with interval_precision(CONFIRM_PREC):
            lo, hi = exact_ends(fn.evaluate(IntervalAlgebra(), [interval(v) for v in x]))
    except NotBounded:
        return None
    return max(Fraction(0), lo - p, p - hi)


def confirm_bound(fn: Function, approx: Approximant, bound: Fraction, errors: Iterable[Sample],
                  dps: int = 40) -> None:
    """Raise InternalContradiction if some sampled error exceeds the certified bound.

    Each sampled error e(x) = |f(x) - p(x)| (f in mpmath at ``dps`` digits, p exact) is
    compared with the exact rational ``bound``. An e(x) above the bound is then
    confirmed rigorously: interval arithmetic at x gives a lower bound L(x) <= the true
    |f(x) - p(x)| (:func:`error_lower_bound`), and L(x) > bound is a contradiction. The
    only slack allowed is therefore the width of f(x)'s own enclosure at CONFIRM_PREC
    bits. Where f(x) has no enclosure the mpmath value is used with the documented
    slack 10^(10 - dps) * max(1, |e(x)|), above its own rounding error."""
    bound = Fraction(bound)
    ctx = MpfAlgebra(dps).ctx
    limit = ctx.mpf(bound.numerator) / bound.denominator
    for x, err in errors:
        if not err > limit:
            continue
        lower = error_lower_bound(fn, approx, x)
        if lower is None:
            slack = ctx.mpf(10) ** (10 - dps) * max(1, abs(err))
            bad = err > limit + slack
            shown = float(err)
        else:
            bad = lower > bound
            shown = float(lower)
        if bad:
            where = ", ".join(f"{v}={float(c):.6g}" for v, c in zip(approx.variables, x))
            raise InternalContradiction(
                f"sampled error {shown:.6e} at {where} exceeds the certified bound "
                f"{float(bound):.6e}; no bound is claimed (this is a bug; please report it)")


def decimal_up(q: Fraction, digits: int = 3) -> str:
    """A decimal string >= q with ``digits`` significant digits (rounded up exactly).

    >>> decimal_up(Fraction(1, 3))
    '3.34e-1'
    """
    q = Fraction(q)
    if q <= 0:
        return "0" if q == 0 else "-" + _decimal_down(-q, digits)
    e = math.floor(math.log10(q.numerator) - math.log10(q.denominator))
    while Fraction(10) ** e > q:
        e -= 1
    while Fraction(10) ** (e + 1) <= q:
        e += 1
    unit = Fraction(10) ** (e - digits + 1)
    m = math.ceil(q / unit)
    if m >= 10**digits:
        m, e = m // 10 + (1 if m % 10 else 0), e + 1
    s = str(m)
    return f"{s[0]}.{s[1:]}e{e}" if len(s) > 1 else f"{s}e{e}"


def _decimal_down(q: Fraction, digits: int) -> str:  # pragma: no cover - bounds are >= 0
    return str(float(q))


__all__ = ["Bound", "certified_bound", "sampled_error", "sample_points", "decimal_up",
           "shift_polynomial", "chebyshev_sup_bound", "check_order", "check_seconds",
           "grid_side", "grid_errors", "worst_sample", "error_lower_bound", "confirm_bound"]
