"""sympy Expr -> the parser's syntax tree, walking the expression (no strings)."""
from __future__ import annotations

import re
from fractions import Fraction

import sympy

from ..errors import NameClash, NotAPolynomial, ParseError
from .syntax import Node

_CONSTANTS = {sympy.pi: "pi", sympy.E: "E"}


def _symbol_tree(name: str, constant_symbols: bool) -> Node:
    """A symbol. One named like a constant (pi, E, sqrt(n)) is that constant only in
    exactformer's own readouts (``constant_symbols``); from a user it is refused, since
    sympy treats Symbol('pi') as an unknown, not as pi."""
    match = re.fullmatch(r"sqrt\((\d+)\)", name, re.ASCII)
    if (name in ("pi", "E") or match) and not constant_symbols:
        raise NameClash(f"a sympy Symbol named {name!r} is an unknown to sympy but names a "
                        "constant here; use sympy.pi, sympy.E or sympy.sqrt for the constant, "
                        "or another name for the symbol")
    if name in ("pi", "E"):
        return ("const", name)
    if match:
        return ("call", "sqrt", ("num", Fraction(int(match.group(1)))))
    return ("sym", name)


def check_symbol_names(expr: object) -> None:
    """Refuse two different sympy symbols with one name (``Symbol('x')`` and
    ``Symbol('x', positive=True)``, or a ``Dummy``): read by name they would be
    silently merged into one, which sympy does not do."""
    seen: dict[str, object] = {}
    for s in getattr(expr, "free_symbols", ()):
        if isinstance(s, (sympy.Dummy, sympy.Wild)):
            raise NameClash(f"the sympy {type(s).__name__} symbol {s} has no name of its own; "
                            "use sympy.Symbol")
        if s.is_commutative is False:
            raise NameClash(f"the sympy symbol {s} is non-commutative; polynomials here have "
                            "commuting variables")
        other = seen.setdefault(str(s), s)
        if other is not s and other != s:
            raise NameClash(f"two different sympy symbols are both named {str(s)!r} (different "
                            "assumptions); a name may stand for one symbol only")


def sympy_to_tree(expr: object, depth: int = 0, constant_symbols: bool = False) -> Node:
    """Translate a sympy expression into a syntax tree of the same meaning.

    Floats are refused (``constant_symbols``: see :func:`_symbol_tree`) (a binary float is not the number the user meant);
    functions other than square roots of rationals are refused as non-polynomial.
    """
    if depth > 100:
        raise ParseError("sympy expression nested too deeply")
    if isinstance(expr, sympy.Poly):
        expr = expr.as_expr()
    if isinstance(expr, (int, Fraction)):
        return ("num", Fraction(expr))
    if not isinstance(expr, sympy.Basic):
        raise ParseError(f"cannot read a {type(expr).__name__} as a polynomial")
    if expr.is_Rational:
        return ("num", Fraction(int(expr.p), int(expr.q)))
    if expr.is_Float:
        raise NotAPolynomial(
            f"floating-point coefficient {expr} is inexact; give it as a Rational or a string"
        )
    if expr in _CONSTANTS:
        return ("const", _CONSTANTS[expr])
    if expr.is_Symbol:
        return _symbol_tree(expr.name, constant_symbols)
    if expr.is_Add:
        return ("add", [sympy_to_tree(a, depth + 1, constant_symbols) for a in expr.args])
    if expr.is_Mul:
        return ("mul", [sympy_to_tree(a, depth + 1, constant_symbols) for a in expr.args])
    if expr.is_Pow:
        base, exp = expr.args
        if exp == sympy.Rational(1, 2) and base.is_Rational:
            return ("call", "sqrt", ("num", Fraction(int(base.p), int(base.q))))
        if exp.is_Rational and exp.q == 2 and base.is_Rational:
            # q**(k/2) = sqrt(q)**k
            return ("pow", ("call", "sqrt", ("num", Fraction(int(base.p), int(base.q)))),
                    ("num", Fraction(int(exp.p))))
        return ("pow", sympy_to_tree(base, depth + 1, constant_symbols), sympy_to_tree(exp, depth + 1, constant_symbols))
    if expr is sympy.I:
        raise NotAPolynomial("complex coefficients (I) are not supported")
    if isinstance(expr, sympy.Function) or expr.is_Function:
        name = type(expr).__name__
        if len(expr.args) != 1:
            raise NotAPolynomial(f"{str(expr)[:60]}: a call of {name} with {len(expr.args)} "
                                 "arguments is not a polynomial")
        return ("call", name, sympy_to_tree(expr.args[0], depth + 1, constant_symbols))
    raise NotAPolynomial(f"{expr} is not a polynomial")
