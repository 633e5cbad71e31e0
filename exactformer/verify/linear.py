"""Rung 1 for readouts linear in symbolic coefficients: basis by basis.

If every readout entry is a linear form r_0 + sum_s r_s * s in symbols s (rational
r's), then y = P_0(x) + sum_s s * P_s(x) with P_s = sum_{t,c} r_s[t,c] H_L[t,c].
A claim q_0(x) + sum_s s * q_s(x) holds for every value of every symbol iff
P_0 = q_0 and P_s = q_s for each s: one identity in QQ[x] per symbol, with no
ring in thousands of generators. This is how the generic theorem "for every
polynomial of degree <= n in d variables" is proved.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any, Mapping, TypeAlias, cast

import sympy
from sympy import QQ
from sympy.polys.rings import PolyElement

from ..engine import PolynomialDomain, Trace, run
from ..engine.backends import run_exact
from ..model import Model
from ..model.ir import Coefficient
from .verdict import EXACT_IDENTITY, Difference, Verdict

LinearForm: TypeAlias = "dict[str, Fraction]"  # symbol name ('' for the constant part) -> r


def linear_form(value: Coefficient) -> LinearForm | None:
    """A readout entry as {symbol: rational} ('' = constant), or None if not linear."""
    if isinstance(value, Fraction):
        return {"": value} if value else {}
    if isinstance(value, sympy.Symbol):
        return {value.name: Fraction(1)}
    expr = sympy.expand(value)
    out: LinearForm = {}
    for term in sympy.Add.make_args(expr):
        coef, rest = term.as_coeff_Mul()
        if not coef.is_Rational:
            return None
        c = Fraction(int(coef.p), int(coef.q))
        if rest == 1:
            key = ""
        elif isinstance(rest, sympy.Symbol):
            key = rest.name
        else:
            return None
        out[key] = out.get(key, Fraction(0)) + c
    return {k: v for k, v in out.items() if v}


def readout_forms(model: Model) -> list[tuple[int, int, LinearForm]] | None:
    """All readout entries as linear forms, or None if one is not linear."""
    out: list[tuple[int, int, LinearForm]] = []
    for t, c, v in model.readout.entries:
        form = linear_form(v)
        if form is None:
            return None
        out.append((t, c, form))
    return out


def output_by_symbol(model: Model, trace: Trace) -> dict[str, PolyElement] | None:
    """y as {symbol: P_s(x)} ('' = constant part); None if the readout is not linear."""
    forms = readout_forms(model)
    bias = linear_form(model.readout.bias)
    if forms is None or bias is None:
        return None
    ring = cast(PolynomialDomain, trace.domain).ring  # an exact trace is over QQ[x]
    acc: dict[str, dict[tuple[int, ...], Any]] = {}  # symbol -> monomial -> QQ coefficient
    zero = QQ.zero
    final = trace.final
    for t, c, form in forms:
        h = final[t][c]
        if not h:
            continue
        for s, r in form.items():
            target = acc.setdefault(s, {})
            q = QQ(r.numerator, r.denominator)
            for m, v in h.items():
                target[m] = target.get(m, zero) + v * q
    for s, r in bias.items():
        target = acc.setdefault(s, {})
        target[(0,) * ring.ngens] = target.get((0,) * ring.ngens, zero) + QQ(r.numerator,
                                                                              r.denominator)
    return {s: ring.from_dict({m: v for m, v in d.items() if v}) for s, d in acc.items()}


def _graded_key(mon: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    return (sum(mon), tuple(-e for e in mon))


def verify_basis(model: Model, claim: Mapping[str, PolyElement], trace: Trace | None = None,
                 deadline: float | None = None) -> tuple[Verdict, Trace]:
    """Decide y == claim where claim maps each symbol ('' = constant) to its polynomial
    (in the ring of the model's variables). Exact, symbol by symbol."""
    from .names import decision_names
    decision_names(model, claim_params=[s for s in claim if s])  # the one name rule
    if trace is None:
        trace = run_exact(model, record=False, deadline=deadline)
    ring = cast(PolynomialDomain, trace.domain).ring
    got = output_by_symbol(model, trace)
    if got is None:
        return Verdict(False, EXACT_IDENTITY, "readout is not linear in its symbols; "
                       "use the general identity check"), trace
    symbols = sorted(set(got) | set(claim), key=lambda s: (s != "", s))
    for s in symbols:
        p, q = got.get(s, ring.zero), claim.get(s, ring.zero)
        if p != q:
            diff = p - q
            mon = min(diff.keys(), key=_graded_key)
            xmon = sympy.Mul(*[g**e for g, e in zip(ring.symbols, mon)])
            sym = sympy.Integer(1) if s == "" else sympy.Symbol(s)
            mc, cc = p.get(mon, QQ.zero), q.get(mon, QQ.zero)
            return Verdict(False, EXACT_IDENTITY, f"output differs in the part of {sym}",
                           Difference(xmon * sym, _rat(mc) * sym, _rat(cc) * sym)), trace
    return Verdict(True, EXACT_IDENTITY,
                   f"output equals the claim for every value of its {len(symbols)} "
                   "symbolic coefficients (checked symbol by symbol)"), trace


def _rat(v: Any) -> sympy.Rational:  # a QQ element (gmpy2 or Python mpq)
    return sympy.Rational(int(v.numerator), int(v.denominator))
