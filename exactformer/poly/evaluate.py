"""Syntax tree -> canonical sparse polynomial over QQ, with limits checked first.

Before anything is expanded, :func:`bound` computes an upper bound on the total
degree and on the number of terms of every subtree (deg(p*q) = deg p + deg q,
terms(p*q) <= terms(p)*terms(q), and a polynomial of degree D in g generators has
at most C(D+g, g) terms), so ``x**(10**10)`` or ``(x+y+z+1)**10000`` is refused
instantly rather than expanded.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Iterable, Protocol, SupportsInt

from sympy import QQ
from sympy.polys.rings import PolyElement, PolyRing

from ..errors import LimitExceeded, NotAPolynomial, ParseError
from ..limits import DEFAULT_LIMITS, Limits
from .monomials import Monomial
from .syntax import NON_POLYNOMIAL_FUNCTIONS, Node, describe


class _Ratio(Protocol):
    """A rational: a Fraction or a coefficient of sympy's QQ (ints of any kind)."""

    @property
    def numerator(self) -> SupportsInt: ...

    @property
    def denominator(self) -> SupportsInt: ...


def _bits(value: _Ratio) -> int:
    """Bits of the larger of |numerator| and denominator of a rational."""
    return max(abs(int(value.numerator)).bit_length(), int(value.denominator).bit_length())


def _bits_ok(value: Fraction, exponent: int, limits: Limits) -> bool:
    return _bits(value) * abs(exponent) <= limits.max_digits * 4


def _checked(value: Fraction, node: Node, limits: Limits) -> Fraction:
    """``value``, or LimitExceeded when it has more than about ``max_digits`` digits.

    Applied to the result of every sum, product and quotient of two numbers that
    were themselves checked, so no intermediate grows past twice the limit and
    every number stays printable (Python refuses to convert ints of more than
    sys.get_int_max_str_digits() digits)."""
    if _bits(value) > limits.max_digits * 4:
        raise LimitExceeded(f"{describe(node)} has a number with more than "
                            f"{limits.max_digits} digits")
    return value


def _poly_bits(p: PolyElement) -> int:
    return max((_bits(c) for c in p.values()), default=0)


def _checked_poly(p: PolyElement, node: Node, limits: Limits) -> PolyElement:
    """``p``, or LimitExceeded when a coefficient has more than about max_digits digits."""
    if _poly_bits(p) > limits.max_digits * 4:
        raise LimitExceeded(f"{describe(node)} has a coefficient with more than "
                            f"{limits.max_digits} digits")
    return p


def const_value(node: Node, limits: Limits = DEFAULT_LIMITS) -> Fraction:
    """The exact rational value of a tree made only of numbers, or NotAPolynomial."""
    kind = node[0]
    if kind == "num":
        return _checked(node[1], node, limits)
    if kind == "neg":
        return -const_value(node[1], limits)
    if kind == "add":
        out = Fraction(0)
        for c in node[1]:
            out = _checked(out + const_value(c, limits), node, limits)
        return out
    if kind == "mul":
        out = Fraction(1)
        for c in node[1]:
            out = _checked(out * const_value(c, limits), node, limits)
        return out
    if kind == "div":
        den = const_value(node[2], limits)
        if den == 0:
            raise ParseError(f"division by zero in {describe(node)}")
        return _checked(const_value(node[1], limits) / den, node, limits)
    if kind == "pow":
        base = const_value(node[1], limits)
        exp = const_value(node[2], limits)
        if exp.denominator != 1:
            raise NotAPolynomial(f"{describe(node)}: exponent {exp} is not an integer")
        e = int(exp)
        if not _bits_ok(base, e, limits):
            raise LimitExceeded(f"{describe(node)} would have more than {limits.max_digits} digits")
        if base == 0 and e < 0:
            raise ParseError(f"division by zero in {describe(node)}")
        return base**e
    raise NotAPolynomial(f"{describe(node)} is not a rational constant")


def exponent_of(node: Node, limits: Limits) -> int:
    """The exponent of a power node's right side: a non-negative integer constant."""
    try:
        value = const_value(node[2], limits)
    except NotAPolynomial:
        raise NotAPolynomial(
            f"{describe(node)}: the exponent {describe(node[2])} is not a constant, "
            "so this is not a polynomial"
        ) from None
    if value.denominator != 1:
        raise NotAPolynomial(f"{describe(node)}: fractional exponent {value} is not a polynomial")
    return int(value)


def resolve_calls(node: Node, limits: Limits = DEFAULT_LIMITS) -> Node:
    """Replace function calls by what they mean, or refuse them.

    Only ``sqrt`` of a non-negative rational constant is accepted: a perfect square
    becomes a number, anything else the independent symbol ``sqrt(q)`` times a
    rational (square factors are pulled out: sqrt(8) = 2*sqrt(2)).
    """
    kind = node[0]
    if kind in ("num", "sym", "const"):
        return node
    if kind == "neg":
        return ("neg", resolve_calls(node[1], limits))
    if kind in ("add", "mul"):
        return (kind, [resolve_calls(c, limits) for c in node[1]])
    if kind in ("div", "pow"):
        return (kind, resolve_calls(node[1], limits), resolve_calls(node[2], limits))
    if kind == "call":
        name, arg = node[1], node[2]
        if name == "sqrt":
            try:
                value = const_value(resolve_calls(arg, limits), limits)
            except NotAPolynomial:
                raise NotAPolynomial(f"{describe(node)} is not a polynomial") from None
            return _sqrt_node(value, node)
        if name in NON_POLYNOMIAL_FUNCTIONS:
            raise NotAPolynomial(f"{describe(node)} is not a polynomial")
        raise NotAPolynomial(f"unknown function {name!r} in {describe(node)}")
    raise ParseError(f"unknown syntax node {kind!r}")


def _sqrt_node(value: Fraction, node: Node) -> Node:
    """sqrt(p/q) = (s/q) * prod sqrt(prime) over the primes of the square-free part of p*q.

    Square roots of distinct primes are linearly independent over QQ, so writing
    every root in this form (and reducing sqrt(p)**2 = p, see :func:`reduce_roots`)
    makes equality of coefficients decidable term by term.
    """
    if value < 0:
        raise NotAPolynomial(f"{describe(node)}: square root of a negative number is not real")
    n = value.numerator * value.denominator
    if n == 0:
        return ("num", Fraction(0))
    root = math.isqrt(n)
    if root * root == n:
        return ("num", Fraction(root, value.denominator))
    if n.bit_length() > 130:
        raise LimitExceeded(f"{describe(node)}: square roots of numbers above 10**39 are not "
                            "supported")
    import sympy
    square, primes = 1, []
    for p, e in sorted(sympy.factorint(n).items()):
        p, e = int(p), int(e)  # factorint may return sympy Integers
        square *= p ** (e // 2)
        if e % 2:
            primes.append(p)
    factors: list[Node] = [("num", Fraction(square, value.denominator))]
    factors += [("const", f"sqrt({p})") for p in primes]
    return ("mul", factors)


def root_of(name: str) -> int | None:
    """The prime p for a constant named 'sqrt(p)', else None."""
    if name.startswith("sqrt(") and name.endswith(")"):
        return int(name[5:-1])
    return None


def reduce_roots(poly: PolyElement, names: tuple[str, ...]) -> PolyElement:
    """Rewrite sqrt(p)**e as p**(e // 2) * sqrt(p)**(e % 2) (the minimal polynomial
    of sqrt(p) is t**2 - p), giving the canonical form in QQ[sqrt(p1), ...]."""
    roots = [(i, root_of(n)) for i, n in enumerate(names) if root_of(n) is not None]
    if not roots or all(max((m[i] for m in poly.keys()), default=0) < 2 for i, _ in roots):
        return poly
    out: dict[Monomial, Any] = {}  # coefficients in sympy's domain
    ring = poly.ring
    for mon, coef in poly.items():
        mon = list(mon)
        for i, p in roots:
            e = mon[i]
            if e >= 2:
                coef = coef * ring.domain(p ** (e // 2))
                mon[i] = e % 2
        key = tuple(mon)
        out[key] = out.get(key, ring.domain.zero) + coef
    return ring.from_dict({m: c for m, c in out.items() if c})


def names_in(node: Node) -> tuple[set[str], set[str]]:
    """(symbol names, constant names) occurring in a tree (inside calls too)."""
    syms: set[str] = set()
    consts: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        kind = n[0]
        if kind == "sym":
            syms.add(n[1])
        elif kind == "const":
            consts.add(n[1])
        elif kind == "neg":
            stack.append(n[1])
        elif kind == "call":
            stack.append(n[2])
        elif kind in ("add", "mul"):
            stack.extend(n[1])
        elif kind in ("div", "pow"):
            stack.extend((n[1], n[2]))
    return syms, consts


def bound(node: Node, ngens: int, limits: Limits = DEFAULT_LIMITS) -> tuple[int, int]:
    """Upper bounds (total degree, number of terms) of the expanded tree.

    Raises LimitExceeded as soon as a bound passes the limits, before any expansion.
    """
    kind = node[0]
    if kind == "num":
        out = (0, 1)
    elif kind in ("sym", "const"):
        out = (1, 1)
    elif kind == "neg":
        out = bound(node[1], ngens, limits)
    elif kind == "add":
        parts = [bound(c, ngens, limits) for c in node[1]]
        out = (max(p[0] for p in parts), sum(p[1] for p in parts))
    elif kind == "mul":
        parts = [bound(c, ngens, limits) for c in node[1]]
        out = (sum(p[0] for p in parts), math.prod(p[1] for p in parts))
    elif kind == "div":
        num = bound(node[1], ngens, limits)
        den_deg, _ = bound(node[2], ngens, limits)
        if den_deg > 0:
            raise NotAPolynomial(
                f"{describe(node)}: division by {describe(node[2])} is not a polynomial"
            )
        out = num
    elif kind == "pow":
        base_deg, base_terms = bound(node[1], ngens, limits)
        e = exponent_of(node, limits)
        if base_deg == 0:
            out = (0, 1)
        else:
            if e < 0:
                raise NotAPolynomial(f"{describe(node)}: a negative power is not a polynomial")
            if e > limits.max_exponent:
                raise LimitExceeded(
                    f"{describe(node)}: exponent {e} exceeds the limit {limits.max_exponent} "
                    "(--max-degree)"
                )
            terms = base_terms**e if e * math.log2(max(base_terms, 1)) < 64 else 2**64
            out = (base_deg * e, terms)
    else:
        raise ParseError(f"unexpected syntax node {kind!r}")
    deg, terms = out
    if deg > 2 * limits.max_degree:
        raise LimitExceeded(f"{describe(node)} has degree {deg}, above the limit {limits.max_degree}")
    terms = min(terms, math.comb(deg + ngens, ngens))
    if terms > limits.max_terms:
        raise LimitExceeded(
            f"{describe(node)} may expand to {terms} terms, above the limit {limits.max_terms}"
        )
    return deg, terms


def sum_polys(ring: PolyRing, polys: Iterable[PolyElement]) -> PolyElement:
    """Sum of many polynomials in time linear in their total number of terms."""
    acc: dict[Monomial, Any] = {}
    zero = ring.domain.zero
    for p in polys:
        for m, c in p.items():
            acc[m] = acc.get(m, zero) + c
    return ring.from_dict({m: c for m, c in acc.items() if c})


def expand(node: Node, ring: PolyRing, names: dict[str, PolyElement],
           limits: Limits = DEFAULT_LIMITS) -> PolyElement:
    """Expand a call-free tree in ``ring`` (names maps symbol/constant -> generator)."""
    kind = node[0]
    if kind == "num":
        v = _checked(node[1], node, limits)
        return ring.ground_new(QQ(v.numerator, v.denominator))
    if kind in ("sym", "const"):
        return names[node[1]]
    if kind == "neg":
        return -expand(node[1], ring, names, limits)
    if kind == "add":
        return _checked_poly(sum_polys(ring, (expand(c, ring, names, limits) for c in node[1])),
                             node, limits)
    if kind == "mul":
        out = ring.one
        for c in node[1]:
            out = _checked_poly(out * expand(c, ring, names, limits), node, limits)
        return out
    if kind == "div":
        num = expand(node[1], ring, names, limits)
        den = expand(node[2], ring, names, limits)
        if not den.is_ground:
            raise NotAPolynomial(
                f"{describe(node)}: division by {describe(node[2])} is not a polynomial"
            )
        if not den:
            raise ParseError(f"division by zero in {describe(node)}")
        return _checked_poly(num.quo_ground(den.LC), node, limits)
    if kind == "pow":
        base = expand(node[1], ring, names, limits)
        e = exponent_of(node, limits)
        if base.is_ground:
            value = Fraction(int(base.LC.numerator), int(base.LC.denominator)) if base else Fraction(0)
            if not _bits_ok(value, e, limits):
                raise LimitExceeded(
                    f"{describe(node)} would have more than {limits.max_digits} digits"
                )
            if value == 0 and e < 0:
                raise ParseError(f"division by zero in {describe(node)}")
            r = value**e
            return ring.ground_new(QQ(r.numerator, r.denominator))
        if e < 0:
            raise NotAPolynomial(f"{describe(node)}: a negative power is not a polynomial")
        # the coefficients of base**e have at least e times the bits of base's largest
        if _poly_bits(base) * e > limits.max_digits * 4:
            raise LimitExceeded(f"{describe(node)} would have a coefficient with more than "
                                f"{limits.max_digits} digits")
        return _checked_poly(base**e, node, limits)
    raise ParseError(f"unexpected syntax node {kind!r}")
