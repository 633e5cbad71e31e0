"""Rung 1: the model's output equals the claim as a polynomial identity.

The forward pass runs in QQ[x]; the readout y = sum R[t,c] H_L[t,c] + r0 is then
formed in QQ[x, params] (the readout is linear in its entries, which may be
symbols). Two polynomials are equal iff their canonical sparse forms are equal:
equality is decided on those, never on expression trees.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence, cast

import sympy
from sympy import QQ
from sympy.polys.rings import PolyElement, PolyRing

from ..engine import PolynomialDomain, Trace, run
from ..engine.backends import run_exact
from ..limits import DEFAULT_LIMITS, Limits
from ..model import Model
from ..model.ir import Coefficient
from ..poly import Target
from ..poly.target import constant_to_sympy, lift
from .names import decision_names, readout_targets
from .verdict import EXACT_IDENTITY, Difference, Verdict


def output_polynomial(model: Model, trace: Trace, claim: Target | None = None,
                      limits: Limits = DEFAULT_LIMITS) -> tuple[PolyRing, PolyElement, int]:
    """y as a polynomial in QQ[inputs, parameters, constants], with the number of inputs.

    The ring's generators are the model's inputs, then the claim's other variables,
    then the parameters (the claim's, then the readout's symbols), then the
    constants: the disjoint spaces of :func:`~exactformer.verify.names.decision_names`,
    which refuses any name that would live in two of them."""
    symbolic = readout_targets(model, limits)
    spaces = decision_names(model, claim, limits, symbolic)
    gens = spaces.symbols
    ring = PolyRing(tuple(sympy.Symbol(g) for g in gens), QQ)
    nvar = len(model.variables)
    pad = (0,) * (len(gens) - nvar)
    same = ring is cast(PolynomialDomain, trace.domain).ring  # an exact trace is over QQ[x]

    def lifted(h: PolyElement) -> PolyElement:
        return h if same else ring.from_dict({m + pad: c for m, c in h.items()})

    def coef(i: int, v: Coefficient) -> PolyElement:
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
    return ring, y, len(spaces.inputs)


def _graded_key(mon: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    return (sum(mon), tuple(-e for e in mon))


def _params_expr(ring: PolyRing, nvar: int, terms: dict[tuple[int, ...], Any]) -> sympy.Expr:
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

    def part(p: PolyElement) -> dict[tuple[int, ...], Any]:
        return {m[nvar:]: c for m, c in p.items() if m[:nvar] == first}

    mono = sympy.Mul(*[g**e for g, e in zip(ring.symbols[:nvar], first)])
    return Difference(mono, _params_expr(ring, nvar, part(y)),
                      _params_expr(ring, nvar, part(claim_poly)))


def verify_identity(model: Model, claim: Target, trace: Trace | None = None,
                    limits: Limits = DEFAULT_LIMITS,
                    deadline: float | None = None) -> tuple[Verdict, Trace, PolyElement]:
    """Decide model(x) == claim(x) for all x (and all parameter values) exactly."""
    decision_names(model, claim, limits)  # refuse a name clash before any work
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
