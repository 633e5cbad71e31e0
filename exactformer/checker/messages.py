"""Polynomials as text, for messages only (nothing here decides anything).

Monomials are exponent tuples here; the kernel unpacks its packed monomials first.

>>> format_poly({(2,): 1, (1,): 2, (0,): 1}, ("x",))
'x**2 + 2*x + 1'
"""
from __future__ import annotations

from typing import Mapping, Sequence

from .values import Monomial, Rational


def graded_key(m: Monomial) -> tuple[int, Monomial]:
    """Graded order: by total degree, then lexicographically decreasing."""
    return (sum(m), tuple(-e for e in m))


def format_monomial(m: Monomial, names: Sequence[str]) -> str:
    """x**2*y for (2, 1) over (x, y); 1 for the constant monomial."""
    parts = [n if e == 1 else f"{n}**{e}" for n, e in zip(names, m) if e]
    return "*".join(parts) or "1"


#: A message shows at most this many terms of a polynomial (then "+ N more terms").
MAX_SHOWN_TERMS = 40


def format_poly(p: Mapping[Monomial, Rational], names: Sequence[str]) -> str:
    """p as text, highest degree first (at most MAX_SHOWN_TERMS terms shown)."""
    if not p:
        return "0"
    out: list[tuple[str, str]] = []
    import heapq
    shown = heapq.nlargest(MAX_SHOWN_TERMS, p, key=graded_key) if len(p) > MAX_SHOWN_TERMS \
        else sorted(p, key=graded_key, reverse=True)
    for m in shown:
        c = p[m]
        mono = format_monomial(m, names)
        sign = "-" if c < 0 else "+"
        a = abs(c)
        body = str(a) if mono == "1" else (mono if a == 1 else f"{a}*{mono}")
        out.append((sign, body))
    text = ("-" if out[0][0] == "-" else "") + out[0][1]
    for sign, body in out[1:]:
        text += f" {sign} {body}"
    if len(p) > len(shown):
        text += f" + ... ({len(p) - len(shown)} more terms)"
    return text


def box_text(box: Sequence[Sequence[object]]) -> str:
    """[lo1,hi1]x[lo2,hi2]... (R^0 for no variables)."""
    return "x".join(f"[{lo},{hi}]" for lo, hi in box) or "R^0"


def generic_monomials(d: int, n: int) -> list[Monomial]:
    """Exponent tuples of degree <= n in d variables (any order)."""
    out: list[Monomial] = [()]
    for _ in range(d):
        out = [m + (e,) for m in out for e in range(n + 1) if sum(m) + e <= n]
    return out
