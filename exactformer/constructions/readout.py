"""The free parameters: a readout that puts the target's coefficients on tokens."""
from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence

import sympy

from ..errors import NotAPolynomial
from ..model import Readout
from ..poly import Target


def coefficient_to_entry(target: Target, coef: Any) -> Fraction | sympy.Expr:
    """A coefficient of the target (element of K, a sympy domain element) as a readout entry.

    Irrational constants stay the independent symbols pi, E, sqrt(p): sympy would
    evaluate sqrt(2)**2 to 2 and merge roots, changing the canonical form."""
    domain = target.domain
    if domain.is_QQ:
        return Fraction(int(coef.numerator), int(coef.denominator))
    return domain.to_sympy(coef)


def coefficient_readout(target: Target, monomials: Sequence[tuple[int, ...]], width: int,
                        channel: int) -> Readout:
    """R[t, channel] = coefficient of x**monomials[t] in the target, zeros elsewhere."""
    index = {m: t for t, m in enumerate(monomials)}
    values: dict[tuple[int, int], Fraction | sympy.Expr] = {}
    for mon, coef in target.poly.items():
        if mon not in index:
            raise NotAPolynomial(f"target monomial {mon} is not among the model's tokens")
        values[(index[mon], channel)] = coefficient_to_entry(target, coef)
    return Readout.from_dict(len(monomials), width, values)
