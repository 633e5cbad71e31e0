"""Rung 1: the model's output equals the claim as a polynomial identity.

The forward pass runs in QQ[x]; the readout y = sum R[t,c] H_L[t,c] + r0 is then
formed in QQ[x, params] (the readout is linear in its entries, which may be
symbols). Two polynomials are equal iff their canonical sparse forms are equal:
equality is decided on those, never on expression trees.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Sequence

import sympy
from sympy import QQ
from sympy.polys.rings import PolyElement, PolyRing

from ..errors import ModelFormatError
from ..engine import PolynomialDomain, Trace, run
from ..engine.backends import run_exact
from ..limits import DEFAULT_LIMITS, Limits
from ..model import Model
from ..poly import Target
from ..poly.target import coefficient_target, constant_to_sympy, lift
from .verdict import EXACT_IDENTITY, Difference, Verdict


def _coefficient_targets(model: Model, limits: Limits) -> dict[int, Target]:
    """Readout entries that are symbolic, read as constant targets (by entry index)."""
    out = {}
    entries = model.readout.entries + ((-1, -1, model.readout.bias),)
    for i, (_, _, v) in enumerate(entries):
        if not isinstance(v, Fraction):
            out[i] = coefficient_target(v, limits)
    return out


def output_polynomial(model: Model, trace: Trace, claim: Target | None = None,
                      limits: Limits = DEFAULT_LIMITS) -> tuple[PolyRing, PolyElement, int]:
    """y as a polynomial in QQ[variables, params], with the number of variables.

    The ring's generators are the model's variables, then the claim's other
    variables, then all parameters (readout symbols and the claim's parameters)."""
    symbolic = _coefficient_targets(model, limits)
    variables = list(model.variables)
    params: list[str] = []
    if claim is not None:
        variables += [v for v in claim.variables if v not in variables]
        params += list(claim.params)
    for t in symbolic.values():
        clash = set(t.params) & set(variables)
        if clash:
            # read as a parameter it would be merged with the input of that name, and
            # the readout could compute what the blocks are supposed to
            raise ModelFormatError(f"readout symbol {sorted(clash)[0]!r} has the name of a "
                                   "variable; readout coefficients must not depend on the input")
        params += [p for p in t.params if p not in params]
    params = [p for p in params if p not in variables]
    gens = tuple(variables + sorted(set(params), key=params.index))
    ring = PolyRing(tuple(sympy.Symbol(g) for g in gens), QQ)
    nvar = len(model.variables)
    pad = (0,) * (len(gens) - nvar)
    same = ring is trace.domain.ring

    def lifted(h: PolyElement) -> PolyElement:
        return h if same else ring.from_dict({m + pad: c for m, c in h.items()})

    def coef(i: int, v) -> PolyElement:
        if isinstance(v, Fraction):
            return ring.ground_new(QQ(v.numerator, v.denominator))
        return ring.from_dict(lift(symbolic[i], gens))

    final = trace.final
    y = ring.zero
    for i, (t, c, v) in enumerate(model.readout.entries):
        h = final[t][c]
        if not h:
            continue
        if isinstance(v, Fraction):
            y += lifted(h).mul_ground(QQ(v.numerator, v.denominator))
        else:
            y += lifted(h) * coef(i, v)
    bias = model.readout.bias
    if bias:
        y += coef(len(model.readout.entries), bias)
    return ring, y, len(variables)


def _graded_key(mon: tuple[int, ...]) -> tuple:
    return (sum(mon), tuple(-e for e in mon))


def _params_expr(ring: PolyRing, nvar: int, terms: dict) -> sympy.Expr:
    gens = ring.symbols[nvar:]
    out = sympy.Add(*[sympy.Rational(int(c.numerator), int(c.denominator))
                      * sympy.Mul(*[g**e for g, e in zip(gens, m)]) for m, c in terms.items()])
    names = {str(g) for g in gens}
    consts = {sympy.Symbol(n): constant_to_sympy(n) for n in names
              if n in ("pi", "E") or n.startswith("sqrt(")}
    return out.subs(consts) if consts else out


def first_difference(ring: PolyRing, nvar: int, y: PolyElement,
                     claim_poly: PolyElement) -> Difference | None:
    """The graded-first monomial in the variables where y and the claim differ."""
    diff = y - claim_poly
    if not diff:
        return None
    xmons = {m[:nvar] for m in diff.keys()}
    first = min(xmons, key=_graded_key)

    def part(p: PolyElement) -> dict:
        return {m[nvar:]: c for m, c in p.items() if m[:nvar] == first}

    mono = sympy.Mul(*[g**e for g, e in zip(ring.symbols[:nvar], first)])
    return Difference(mono, _params_expr(ring, nvar, part(y)),
                      _params_expr(ring, nvar, part(claim_poly)))


def verify_identity(model: Model, claim: Target, trace: Trace | None = None,
                    limits: Limits = DEFAULT_LIMITS,
                    deadline: float | None = None) -> tuple[Verdict, Trace, PolyElement]:
    """Decide model(x) == claim(x) for all x (and all parameter values) exactly."""
    if trace is None:
        trace = run_exact(model, deadline=deadline)
    ring, y, nvar = output_polynomial(model, trace, claim, limits)
    claim_poly = ring.from_dict(lift(claim, tuple(str(s) for s in ring.symbols)))
    difference = first_difference(ring, nvar, y, claim_poly)
    if difference is None:
        return Verdict(True, EXACT_IDENTITY,
                       "model output equals the claim term by term"), trace, y
    return Verdict(False, EXACT_IDENTITY, "model output differs from the claim",
                   difference), trace, y
