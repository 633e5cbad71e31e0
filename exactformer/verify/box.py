"""Rung 2: exact on a box, by sign certificates (DESIGN §3).

A model with relu is piecewise polynomial. On a box B every relu argument s whose
exact rational interval enclosure over B lies in [0, inf) is s itself on B, and one
in (-inf, 0] is 0 on B; the engine's box domain records that certificate for every
argument it meets. If all signs are certified, the model output on B equals ONE
polynomial P (computed exactly in QQ[x]), and since B has interior, "model = claim
on B" holds iff P = claim as polynomials, compared term by term. When no
certificate of a non-constant argument was needed, the identity holds on all of
R^d and the stronger rung (exact polynomial identity) is reported.

If some relu argument changes sign on B, the box domain stops. The verifier then
evaluates the model exactly (rationals) at the corners of B where that argument is
smallest and largest and at a few other rational points of B: a point where model
and claim differ is a counterexample (a refutation, exact); otherwise the question
is left undecided (NotExact), never answered by guessing -- unless the argument is
affine in ONE variable, a*x_i + b: then the box is split at the exact rational root
x_i = -b/a into two closed boxes, on each of which the argument has a constant sign
(it is >= 0 on one and <= 0 on the other, and relu(0) = 0 = the argument at the
root, so both branches agree there), and each piece is decided the same way. The
pieces cover B, so "model = claim on every piece" is "model = claim on B"; one
refuted piece refutes B. At most MAX_PIECES pieces are tried.
"""
from __future__ import annotations

import random
from dataclasses import replace
from fractions import Fraction
from typing import Iterable, Sequence, TypeAlias, TypedDict

import sympy
from sympy import QQ
from sympy.polys.rings import PolyElement

from ..engine import BoxPolynomialDomain, RationalDomain, SignChange, Trace, run
from ..errors import NotExact
from ..limits import DEFAULT_LIMITS, Limits
from ..model import Model
from ..poly import Target
from ..poly.box import Box
from ..poly.target import lift
from .identity import first_difference, output_polynomial
from .names import decision_names
from .verdict import EXACT_IDENTITY, EXACT_ON_BOX, Verdict

#: (point, model value, claim value) where the exact model output and the claim differ.
Counterexample: TypeAlias = "tuple[tuple[Fraction, ...], Fraction, Fraction]"
#: (verdict, exact trace, output polynomial); trace and polynomial are None when the box
#: was split into pieces or a counterexample decided it.
BoxResult: TypeAlias = "tuple[Verdict, Trace | None, PolyElement | None]"


class SignCertificateRow(TypedDict):
    """One row of :func:`sign_certificate_table`."""

    argument: str
    interval: list[str]
    sign: str


def output_at(model: Model, point: Sequence[Fraction]) -> Fraction | None:
    """y(point) exactly with rationals (None if the readout holds symbols, or if the
    forward pass leaves QQ, e.g. softmax of unequal scores)."""
    try:
        trace = run(model, RationalDomain(point), record=False)
    except NotExact:
        return None
    y = Fraction(0)
    for t, c, v in model.readout.entries:
        if not isinstance(v, Fraction):
            return None
        y += v * trace.final[t][c]
    bias = model.readout.bias
    if not isinstance(bias, Fraction):
        return None
    return y + bias


def claim_at(claim: Target, point: Sequence[Fraction]) -> Fraction | None:
    """claim(point) exactly (None when the claim has symbolic coefficients)."""
    if not claim.domain.is_QQ or len(point) != claim.dimension:
        return None
    value = Fraction(0)
    for mon, coef in claim.poly.items():
        term = Fraction(int(coef.numerator), int(coef.denominator))
        for e, x in zip(mon, point):
            term *= Fraction(x) ** e
        value += term
    return value


def _claim_on_model_vars(model: Model, claim: Target) -> bool:
    return tuple(claim.variables) == tuple(model.variables)


def _candidate_points(box: Box, first: Sequence[Sequence[Fraction]], count: int = 24,
                      seed: int = 0) -> list[tuple[Fraction, ...]]:
    """Witness corners first, then the centre, all corners (small d), random rationals."""
    points = [tuple(p) for p in first]
    points.append(tuple((lo + hi) / 2 for lo, hi in box.intervals))
    if box.dimension <= 4:
        for mask in range(1 << box.dimension):
            points.append(tuple(hi if mask >> i & 1 else lo
                                for i, (lo, hi) in enumerate(box.intervals)))
    rng = random.Random(seed)
    for _ in range(count):
        points.append(tuple(lo + (hi - lo) * Fraction(rng.randint(0, 997), 997)
                            for lo, hi in box.intervals))
    seen: set[tuple[Fraction, ...]] = set()
    out: list[tuple[Fraction, ...]] = []
    for p in points:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def find_counterexample(model: Model, claim: Target,
                        points: Iterable[tuple[Fraction, ...]]) -> Counterexample | None:
    """The first point where the exact model output and the claim differ:
    (point, model value, claim value), or None."""
    if not _claim_on_model_vars(model, claim):
        return None
    for p in points:
        y, c = output_at(model, p), claim_at(claim, p)
        if y is not None and c is not None and y != c:
            return p, y, c
    return None


def _point_text(variables: Sequence[str], point: Sequence[Fraction]) -> str:
    return "(" + ", ".join(f"{v}={x}" for v, x in zip(variables, point)) + ")"


def verify_on_box(model: Model, claim: Target, box: Box, limits: Limits = DEFAULT_LIMITS,
                  deadline: float | None = None) -> BoxResult:
    """Decide model(x) == claim(x) for all x in ``box`` exactly (sign certificates +
    one polynomial identity). Raises NotExact if a relu sign changes on the box and
    no counterexample is found."""
    decision_names(model, claim, limits)  # refuse a name clash before any work
    if box.dimension != len(model.variables):
        raise NotExact(f"box {box} has dimension {box.dimension}, the model has "
                       f"{len(model.variables)} inputs")
    return _verify_on_box(model, claim, box, limits, deadline, [MAX_PIECES - 1])


#: At most this many pieces when a box is split at the roots of relu arguments.
MAX_PIECES = 64


def split_point(argument: PolyElement, box: Box) -> tuple[int, Fraction] | None:
    """(i, r) when the relu argument is a*x_i + b (one variable, a != 0) with its root
    r = -b/a strictly inside the i-th interval of the box; otherwise None."""
    terms = dict(argument.terms())
    linear = [m for m in terms if sum(m) == 1]
    if len(linear) != 1 or any(sum(m) > 1 for m in terms):
        return None
    mon = linear[0]
    i = mon.index(1)
    a = terms[mon]
    b = terms.get((0,) * len(mon), 0)
    root = -Fraction(int(b.numerator), int(b.denominator)) / Fraction(int(a.numerator),
                                                                        int(a.denominator)) \
        if b else Fraction(0)
    lo, hi = box.intervals[i]
    return (i, root) if lo < root < hi else None


def _halves(box: Box, i: int, r: Fraction) -> tuple[Box, Box]:
    """The two closed boxes of ``box`` cut by the hyperplane x_i = r."""
    lo, hi = box.intervals[i]
    left = box.intervals[:i] + ((lo, r),) + box.intervals[i + 1:]
    right = box.intervals[:i] + ((r, hi),) + box.intervals[i + 1:]
    return Box(left), Box(right)


def _verify_split(model: Model, claim: Target, box: Box, cut: tuple[int, Fraction],
                  limits: Limits, deadline: float | None, budget: list[int]) -> BoxResult:
    """Decide each half of ``box`` (see the module docstring): proved iff every piece is."""
    i, r = cut
    pieces: list[str] = []
    output = None
    for half in _halves(box, i, r):
        verdict, _, y = _verify_on_box(model, claim, half, limits, deadline, budget)
        if not verdict.holds:
            detail = f"on the piece {half} of the box {box} (split at {model.variables[i]} = {r}): {verdict.detail}"
            evidence = (("box", str(box)), ("refuted piece", str(half))) + tuple(
                e for e in verdict.evidence if e[0] not in ("box", "refuted piece"))
            return replace(verdict, detail=detail, evidence=evidence), None, None
        split = dict(verdict.evidence).get("pieces")
        pieces.extend(split.split("; ") if split else [str(half)])
        output = y
    detail = (f"model output equals the claim on each of {len(pieces)} pieces of the box "
              f"{box}: the box was split at the roots of relu arguments affine in one "
              "variable; on every piece each relu sign was certified by exact interval "
              "enclosure and the output is one polynomial equal to the claim term by term")
    evidence = (("box", str(box)), ("pieces", "; ".join(pieces)),
                ("split", f"{len(pieces)} closed pieces covering the box"))
    return Verdict(True, EXACT_ON_BOX, detail, evidence=evidence), None, output


def _verify_on_box(model: Model, claim: Target, box: Box, limits: Limits,
                   deadline: float | None, budget: list[int]) -> BoxResult:
    domain = BoxPolynomialDomain(model.variables, box)
    try:
        trace = run(model, domain, deadline=deadline)
    except SignChange as exc:
        cut = split_point(exc.argument, box)
        if cut is not None and budget[0] > 0:
            budget[0] -= 1  # one more piece
            return _verify_split(model, claim, box, cut, limits, deadline, budget)
        found = find_counterexample(model, claim, _candidate_points(box, exc.witnesses))
        if found is None:
            why = (f"more than {MAX_PIECES} pieces needed" if cut is not None else
                   "the argument is not affine in one variable, so the box cannot be "
                   "split at its root")
            raise NotExact(f"not decided on the box {box}: {exc} ({why})") from None
        point, y, c = found
        where = _point_text(model.variables, point)
        verdict = Verdict(False, EXACT_ON_BOX,
                          f"counterexample in the box {box}: at {where} the model outputs "
                          f"{y} but the claim is {c} (exact rational evaluation)",
                          evidence=(("box", str(box)), ("counterexample", where),
                                    ("model value", str(y)), ("claim value", str(c)),
                                    ("sign change", f"relu argument {exc.argument.as_expr()} "
                                                    f"ranges over [{exc.interval[0]}, "
                                                    f"{exc.interval[1]}]")))
        return verdict, None, None
    ring, y, nvar = output_polynomial(model, trace, claim, limits)
    claim_poly = ring.from_dict(lift(claim, tuple(str(s) for s in ring.symbols)))
    difference = first_difference(ring, nvar, y, claim_poly)
    certs = domain.certificates
    rung = EXACT_ON_BOX if certs else EXACT_IDENTITY
    evidence = [("box", str(box)),
                ("sign certificates", f"{len(certs)} distinct relu arguments with a constant "
                                      f"sign on the box ({domain.relu_calls} relu evaluations)")]
    if difference is None:
        where = f"on the box {box}" if certs else "everywhere (no relu sign was needed)"
        detail = (f"model output equals the claim term by term {where}; every relu "
                  f"argument's sign was certified by exact interval enclosure "
                  f"({len(certs)} distinct arguments)") if certs else \
            "model output equals the claim term by term"
        return Verdict(True, rung, detail, evidence=tuple(evidence)), trace, y
    found = find_counterexample(model, claim, _candidate_points(box, ()))
    if found is not None:
        point, yv, cv = found
        evidence += [("counterexample", _point_text(model.variables, point)),
                     ("model value", str(yv)), ("claim value", str(cv))]
    return Verdict(False, rung, f"model output differs from the claim on the box {box}",
                   difference, evidence=tuple(evidence)), trace, y


def sign_certificate_table(domain: BoxPolynomialDomain) -> list[SignCertificateRow]:
    """The certificates as JSON-ready rows: argument, interval over the box, sign."""
    return [{"argument": str(arg.as_expr()), "interval": [str(lo), str(hi)], "sign": sign}
            for arg, lo, hi, sign in domain.sign_certificates()]
