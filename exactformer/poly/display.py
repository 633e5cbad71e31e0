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

import re
from fractions import Fraction

import sympy

#: Longest expression printed in full (characters of its plain text).
MAX_EXPR_CHARS = 240


#: Greek letter names typeset as the letter (each has its own LaTeX command and glyph).
GREEK = dict(zip("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi "
                 "pi rho sigma tau upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi "
                 "Sigma Upsilon Phi Psi Omega".split(), "αβγδεζηθικλμνξπρστυφχψωΓΔΘΛΞΠΣΥΦΨΩ"))
_INDEXED = re.compile(r"([A-Za-z]+?)([0-9]*)\Z", re.ASCII)
_LATEX_ESCAPE = {"\\": r"\backslash{}", "_": r"\_", "{": r"\{", "}": r"\}", "$": r"\$",
                 "%": r"\%", "&": r"\&", "#": r"\#", "^": r"\^{}", "~": r"\~{}",
                 "<": r"\lt{}", ">": r"\gt{}"}


def indexed_name(name: str) -> tuple[str, str] | None:
    """(letter, digits) for a name that is one letter or a Greek letter name followed
    only by digits (``x1`` -> ("x", "1"), ``alpha`` -> ("alpha", "")), else None.

    This is the one rule for typesetting a name: such names get a subscript, every
    other name is printed literally, so two different names never look the same.
    """
    m = _INDEXED.match(name)
    if m is None or not (len(m.group(1)) == 1 or m.group(1) in GREEK):
        return None
    return m.group(1), m.group(2)


def name_latex(name: str) -> str:
    r"""LaTeX of one name: ``x_{1}``, ``\alpha_{2}``, else ``\mathit{x\_1}``.

    >>> name_latex("x12"), name_latex("beta"), name_latex("x_1"), name_latex("xdot")
    ('x_{12}', '\\beta', '\\mathit{x\\_1}', '\\mathit{xdot}')
    """
    parts = indexed_name(name)
    if parts is None:
        return r"\mathit{" + "".join(_LATEX_ESCAPE.get(c, c) for c in name) + "}"
    base, digits = parts
    base = "\\" + base if base in GREEK else base
    return base + (f"_{{{digits}}}" if digits else "")


def latex(expr: object) -> str:
    """sympy's LaTeX of ``expr`` with every symbol named by :func:`name_latex`."""
    value = as_sympy(expr)
    text: str = sympy.latex(value, symbol_names={s: name_latex(s.name) for s in value.free_symbols
                                                 if isinstance(s, sympy.Symbol)})
    return text


def as_sympy(value: object) -> sympy.Basic:
    """A sympy object, or an exact number (int, Fraction) as a sympy Integer/Rational;
    nothing else is accepted (text is never parsed here)."""
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return sympy.Integer(value)
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    raise TypeError(f"cannot display a {type(value).__name__} as a formula")


def leading_terms(expr: object, max_chars: int = MAX_EXPR_CHARS) -> tuple[sympy.Expr, int]:
    """(the expression itself, its term count) if its plain text fits in ``max_chars``,
    else (the sum of as many leading terms as fit, at least one, term count)."""
    expr = as_sympy(expr)
    terms = expr.as_ordered_terms() if isinstance(expr, sympy.Add) else [expr]
    if len(str(expr)) <= max_chars:
        return expr, len(terms)
    kept: list[sympy.Expr] = []
    used = 0
    for term in terms:
        used += len(str(term)) + 3
        if kept and used > max_chars:
            break
        kept.append(term)
    return sympy.Add(*kept), len(terms)


def latex_cut(expr: object, max_chars: int = MAX_EXPR_CHARS) -> str:
    r"""LaTeX of ``expr``; a long one as its leading terms and ``+ \cdots``."""
    head, total = leading_terms(expr, max_chars)
    text = latex(head)
    if head is expr:
        return text
    return text + r" + \cdots \text{(" + str(total) + r" terms)}"
