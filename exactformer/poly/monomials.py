"""Monomials of degree <= n in d variables, in graded order."""
from __future__ import annotations

from itertools import combinations_with_replacement

#: A monomial x_1**e_1 ... x_d**e_d as its exponent tuple (e_1, ..., e_d).
Monomial = tuple[int, ...]


def graded_monomials(d: int, n: int) -> list[Monomial]:
    """Exponent tuples of degree 0..n; within a degree, lexicographically decreasing.

    There are C(n+d, d) of them; the first is the constant monomial.

    >>> graded_monomials(2, 2)
    [(0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2)]
    """
    out: list[Monomial] = []
    for k in range(n + 1):
        for combo in combinations_with_replacement(range(d), k):
            alpha = [0] * d
            for i in combo:
                alpha[i] += 1
            out.append(tuple(alpha))
        if d == 0:
            break
    return out
