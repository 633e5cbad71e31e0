"""The free parameters: a readout that puts the target's coefficients on tokens."""
from __future__ import annotations

from ..errors import NotAPolynomial
from ..model import Readout
from ..poly import Target
from ..poly.target import monomial_to_expr  # noqa: F401  (re-exported for callers)


def coefficient_to_entry(target: Target, coef):
    """A coefficient of the target (element of K) as a readout entry."""
    domain = target.domain
    if domain.is_QQ:
        from fractions import Fraction
        return Fraction(int(coef.numerator), int(coef.denominator))
    expr = domain.to_sympy(coef)
    if target.constants:
        from ..poly.target import constant_to_sympy
        import sympy
        expr = expr.subs({sympy.Symbol(c): constant_to_sympy(c) for c in target.constants})
    return expr


def coefficient_readout(target: Target, monomials, width: int, channel: int) -> Readout:
    """R[t, channel] = coefficient of x**monomials[t] in the target, zeros elsewhere."""
    index = {m: t for t, m in enumerate(monomials)}
    values = {}
    for mon, coef in target.poly.items():
        if mon not in index:
            raise NotAPolynomial(f"target monomial {mon} is not among the model's tokens")
        values[(index[mon], channel)] = coefficient_to_entry(target, coef)
    return Readout.from_dict(len(monomials), width, values)
