"""How a long expression is shortened for a reader: its leading terms, counted.

A sum is shown by its first terms in sympy's printing order (a subset of a sum of
monomials prints in the same relative order), so a cut expression is a true prefix
of the full one; the number of terms in all is kept so a reader can see what is missing.

>>> import sympy
>>> x = sympy.Symbol("x")
>>> head, total = leading_terms(sum(x**k for k in range(40)), 30)
>>> str(head), total
('x**39 + x**38 + x**37', 40)
"""
from __future__ import annotations

from fractions import Fraction

import sympy

#: Longest expression printed in full (characters of its plain text).
MAX_EXPR_CHARS = 240


def as_sympy(value) -> sympy.Basic:
    """A sympy object, or an exact number (int, Fraction) as a sympy Integer/Rational;
    nothing else is accepted (text is never parsed here)."""
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return sympy.Integer(value)
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    raise TypeError(f"cannot display a {type(value).__name__} as a formula")


def leading_terms(expr, max_chars: int = MAX_EXPR_CHARS) -> tuple[sympy.Expr, int]:
    """(the expression itself, its term count) if its plain text fits in ``max_chars``,
    else (the sum of as many leading terms as fit, at least one, term count)."""
    expr = as_sympy(expr)
    terms = expr.as_ordered_terms() if isinstance(expr, sympy.Add) else [expr]
    if len(str(expr)) <= max_chars:
        return expr, len(terms)
    kept, used = [], 0
    for term in terms:
        used += len(str(term)) + 3
        if kept and used > max_chars:
            break
        kept.append(term)
    return sympy.Add(*kept), len(terms)


def latex_cut(expr, max_chars: int = MAX_EXPR_CHARS) -> str:
    r"""LaTeX of ``expr``; a long one as its leading terms and ``+ \cdots``."""
    head, total = leading_terms(expr, max_chars)
    text = sympy.latex(head)
    if head is expr:
        return text
    return text + r" + \cdots \text{(" + str(total) + r" terms)}"
