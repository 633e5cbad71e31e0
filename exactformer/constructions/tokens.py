"""Monomial tokens shared by the constructions: degree, last variable, parent."""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import LimitExceeded
from ..limits import DEFAULT_LIMITS, Limits
from ..poly import graded_monomials, n_monomials


@dataclass(frozen=True)
class MonomialTokens:
    """Token t <-> monomials[t]; for t >= 1, last[t] = the last variable i with
    alpha_i > 0 and parent[t] = the token of alpha - e_last (token 0 is its own root)."""

    monomials: tuple[tuple[int, ...], ...]
    degree: tuple[int, ...]
    last: tuple[int, ...]
    parent: tuple[int, ...]

    @property
    def index(self) -> dict[tuple[int, ...], int]:
        return {m: t for t, m in enumerate(self.monomials)}


def monomial_tokens(d: int, n: int, limits: Limits = DEFAULT_LIMITS) -> MonomialTokens:
    """Tokens for all monomials of degree <= n in d variables (C(n+d, d) of them)."""
    if d < 0 or n < 0:
        raise ValueError(f"dimension and degree must be non-negative, got ({d}, {n})")
    count = n_monomials(d, n)
    if count > limits.max_tokens:
        raise LimitExceeded(f"(d, n) = ({d}, {n}) needs {count} tokens, above the limit "
                            f"{limits.max_tokens}")
    mons = graded_monomials(d, n)
    index = {m: t for t, m in enumerate(mons)}
    degree, last, parent = [0], [-1], [0]
    for m in mons[1:]:
        l = max(i for i, e in enumerate(m) if e)
        p = list(m)
        p[l] -= 1
        degree.append(sum(m))
        last.append(l)
        parent.append(index[tuple(p)])
    return MonomialTokens(tuple(mons), tuple(degree), tuple(last), tuple(parent))
