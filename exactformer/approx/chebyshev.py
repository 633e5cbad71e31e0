"""Chebyshev interpolation on a box, with the approximant's coefficients made exact.

On the box prod_i [a_i, b_i] write x_i = mid_i + half_i * t_i with t in [-1, 1]^d.
f is sampled (mpmath, numerically) on the tensor grid of the n+1 Chebyshev points
of the first kind t_j = cos(pi (2j+1) / (2n+2)) in every axis; the discrete cosine
transform gives the tensor-product interpolant sum_alpha c_alpha T_alpha(t), which
is truncated to total degree |alpha| <= n (so that it has exactly C(n+d, d)
coefficients, one per token of the transformer).

Each c_alpha is then rounded to an integer multiple k_alpha / 2^bits. From there on
everything is exact: since every T_k has integer coefficients, the approximant is
P(t) = sum_alpha k_alpha T_alpha(t) / 2^bits with integer coefficients over 2^bits,
and p(x) = P(t(x)) with the exact affine t(x) = (x - mid) / half. The rounding only
changes which polynomial is the approximant; its error is certified afterwards.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator, Mapping, Sequence

import mpmath
from mpmath.libmp import to_rational

from ..poly.monomials import graded_monomials
from .functions import Function, Mpf, MpfAlgebra

Box = tuple[tuple[Fraction, Fraction], ...]
Monomial = tuple[int, ...]


def chebyshev_T(k: int) -> list[int]:
    """Integer coefficients (lowest degree first) of T_k(t) = cos(k arccos t).

    >>> chebyshev_T(3)
    [0, -3, 0, 4]
    """
    prev, cur = [1], [0, 1]
    if k == 0:
        return prev
    for _ in range(k - 1):
        nxt = [0] + [2 * c for c in cur]
        for i, c in enumerate(prev):
            nxt[i] -= c
        prev, cur = cur, nxt
    return cur


@dataclass(frozen=True)
class Approximant:
    """The exact approximant: P(t) = sum_beta numerators[beta] t^beta / 2^bits on
    [-1, 1]^d, and p(x) = P(t(x)) on the box (``terms``: exact monomial coefficients in x)."""

    variables: tuple[str, ...]
    box: Box
    degree: int
    bits: int
    numerators: dict[Monomial, int]      # beta -> coefficient of P in t, times 2^bits
    terms: dict[Monomial, Fraction]      # alpha -> coefficient of p in x

    def value(self, point: Sequence[Fraction]) -> Fraction:
        """p(point) exactly (a rational point)."""
        total = Fraction(0)
        for alpha, c in self.terms.items():
            v = c
            for xi, e in zip(point, alpha):
                if e:
                    v *= Fraction(xi) ** e
            total += v
        return total

    def value_t(self, t: Sequence[Fraction]) -> Fraction:
        """P(t) exactly, in the normalised coordinates t in [-1, 1]^d."""
        total: Fraction | int = 0
        for beta, k in self.numerators.items():
            v: Fraction | int = k
            for ti, e in zip(t, beta):
                if e:
                    v *= Fraction(ti) ** e
            total += v
        value: Fraction = Fraction(total) / 2**self.bits   # int ** int is typed Any
        return value

    def polynomial_string(self) -> str:
        """p(x) as text that :func:`exactformer.poly.make_target` reads back exactly."""
        return format_polynomial(self.variables, self.terms)


def format_polynomial(variables: Sequence[str], terms: Mapping[Monomial, Fraction]) -> str:
    """Exact text of sum_alpha c_alpha x^alpha, graded order, e.g. ``3/7*x**2*y - 1/5``.

    >>> format_polynomial(("x", "y"), {(0, 0): Fraction(-1, 5), (2, 1): Fraction(3, 7)})
    '-1/5 + 3/7*x**2*y'
    """
    parts: list[str] = []
    for alpha in sorted(terms, key=lambda m: (sum(m), tuple(-e for e in m))):
        c = terms[alpha]
        if not c:
            continue
        mono = "*".join(v if e == 1 else f"{v}**{e}" for v, e in zip(variables, alpha) if e)
        mag = abs(c)
        coef = str(mag)
        text = coef if not mono else (mono if mag == 1 else f"{coef}*{mono}")
        if not parts:
            parts.append(("-" if c < 0 else "") + text)
        else:
            parts.append((" - " if c < 0 else " + ") + text)
    return "".join(parts) or "0"


def chebyshev_coefficients(fn: Function, box: Box, n: int,
                           dps: int = 40) -> dict[Monomial, Mpf]:
    """Tensor-product Chebyshev interpolation coefficients c_alpha (mpf), |alpha| <= n."""
    d = len(box)
    alg = MpfAlgebra(dps)
    ctx = alg.ctx
    m = n + 1
    nodes = [ctx.cos(ctx.pi * (2 * j + 1) / (2 * m)) for j in range(m)]
    mids = [Fraction(a + b, 2) for a, b in box]
    halves = [Fraction(b - a, 2) for a, b in box]
    # the nodes, rounded to rationals (the interpolant is only numerical anyway)
    qnodes = [_to_fraction(t) for t in nodes]
    grid: dict[Monomial, Mpf] = {}
    for idx in _indices(d, m):
        point = [mids[i] + halves[i] * qnodes[j] for i, j in enumerate(idx)]
        grid[idx] = fn.value_at(alg, point)
    cosines = [[ctx.cos(ctx.pi * k * (2 * j + 1) / (2 * m)) for j in range(m)]
               for k in range(m)]
    # DCT along each axis in turn: c_k = (2 - [k = 0]) / m * sum_j v_j cos(...)
    for axis in range(d):
        new: dict[Monomial, Mpf] = {}
        for idx in grid:
            if idx[axis] != 0:
                continue
            line = [grid[idx[:axis] + (j,) + idx[axis + 1:]] for j in range(m)]
            for k in range(m):
                s = ctx.fsum(v * c for v, c in zip(line, cosines[k]))
                new[idx[:axis] + (k,) + idx[axis + 1:]] = s * (1 if k == 0 else 2) / m
        grid = new
    return {alpha: grid[alpha] for alpha in graded_monomials(d, n)}


def _to_fraction(value: Mpf) -> Fraction:
    """The exact value of a (finite) mpmath float."""
    p, q = to_rational(value._mpf_)
    return Fraction(int(p), int(q))


def _indices(d: int, m: int) -> Iterator[Monomial]:
    if d == 0:
        yield ()
        return
    for rest in _indices(d - 1, m):
        for j in range(m):
            yield rest + (j,)


def exact_approximant(fn: Function, box: Box, n: int, bits: int = 64,
                      dps: int = 40) -> Approximant:
    """Chebyshev interpolant of total degree n, rounded to multiples of 2^-bits, exact."""
    d = len(box)
    coeffs = chebyshev_coefficients(fn, box, n, dps)
    # |c| < 2^-(bits+1) rounds to 0: skip the exact rational of a tiny c (its
    # denominator can have millions of bits, e.g. for exp(-x**2) far from 0)
    ks = {alpha: round(_to_fraction(c) * 2**bits) if c and mpmath.mag(c) > -bits - 1 else 0
          for alpha, c in coeffs.items()}
    ks = {alpha: k for alpha, k in ks.items() if k}
    T = [chebyshev_T(k) for k in range(n + 1)]
    # P(t) in monomials of t, integer coefficients (over 2^bits)
    numerators: dict[Monomial, int] = {}
    for alpha, k in ks.items():
        partial: dict[Monomial, int] = {(): k}
        for e in alpha:
            partial = {mon + (j,): v * c for mon, v in partial.items()
                       for j, c in enumerate(T[e]) if c}
        for mon, v in partial.items():
            numerators[mon] = numerators.get(mon, 0) + v
    numerators = {m: v for m, v in numerators.items() if v}
    # p(x) = P((x - mid) / half): expand each t_i^j exactly in x_i
    mids = [Fraction(a + b, 2) for a, b in box]
    halves = [Fraction(b - a, 2) for a, b in box]
    powers = []  # powers[i][j] = coefficients (lowest first) of t_i^j in x_i
    for i in range(d):
        lin = [-mids[i] / halves[i], 1 / halves[i]]
        table = [[Fraction(1)]]
        for _ in range(n):
            prev = table[-1]
            nxt = [Fraction(0)] * (len(prev) + 1)
            for j, c in enumerate(prev):
                nxt[j] += c * lin[0]
                nxt[j + 1] += c * lin[1]
            table.append(nxt)
        powers.append(table)
    terms: dict[Monomial, Fraction] = {}
    denom = Fraction(1, 2**bits)
    for beta, v in numerators.items():
        exact: dict[Monomial, Fraction] = {(): Fraction(v) * denom}
        for i, e in enumerate(beta):
            exact = {mon + (j,): w * c for mon, w in exact.items()
                     for j, c in enumerate(powers[i][e]) if c}
        for mon, w in exact.items():
            terms[mon] = terms.get(mon, Fraction(0)) + w
    terms = {m: c for m, c in terms.items() if c}
    return Approximant(fn.variables, tuple(box), n, bits, numerators, terms)


__all__ = ["Approximant", "chebyshev_T", "chebyshev_coefficients", "exact_approximant",
           "format_polynomial"]
