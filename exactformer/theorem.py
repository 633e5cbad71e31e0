"""The generic theorem for (d, n): one fixed model gives EVERY polynomial of degree <= n.

Statement: with the fixed blocks of a construction for d variables and degree n,
and the readout R[t, m] = c_{alpha_t} (one symbol per monomial), the output is
sum_alpha c_alpha x^alpha identically in x AND in the symbols c. Since the output
is linear in c, this holds iff the coefficient of each c_alpha is x^alpha
(:mod:`exactformer.verify.linear`), which the engine checks exactly.
"""
from __future__ import annotations

import time
from fractions import Fraction
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

import sympy
from sympy import QQ
from sympy.polys.rings import PolyElement

from .constructions.tokens import monomial_tokens
from .engine import BoxPolynomialDomain, PolynomialDomain, Trace, run
from .engine.backends import run_exact
from .errors import LimitExceeded, ParseError
from .limits import DEFAULT_LIMITS, Limits
from .model import Model, Readout
from .model.ir import make_meta
from .model.parameters import count_parameters
from .poly.box import Box, box_from_meta, parse_box
from .verify import EXACT_ON_BOX, Verdict
from .verify.linear import verify_basis


def coefficient_name(alpha: tuple[int, ...]) -> str:
    """Symbol for the coefficient of x**alpha: c_2_0_1 for (2, 0, 1); c for d = 0."""
    return "c" + "".join(f"_{e}" for e in alpha)


def default_variables(d: int) -> tuple[str, ...]:
    return tuple(f"x{i + 1}" for i in range(d))


@dataclass
class TheoremResult:
    """The generic statement for (d, n), its model with symbolic readout, and the verdict."""

    dimension: int
    degree: int
    construction: str
    model: Model
    verdict: Verdict
    seconds: float
    trace: Trace | None = field(repr=False, default=None)

    @property
    def statement(self) -> str:
        d, n = self.dimension, self.degree
        info = self.model.info
        if "box" in info:
            shift = _input_shift(self.model)
            basis = ("x^alpha" if not any(shift) else
                     "(x - (" + ", ".join(str(v) for v in shift) + "))^alpha")
            return (f"for every polynomial p of degree <= {n} in {d} variables, the "
                    f"{self.model.depth} fixed blocks with readout = the "
                    f"{self.model.free_parameters} coefficients of p in the basis {basis} "
                    f"output p(x) exactly, for all x in the box {info['box']}")
        return (f"for every polynomial p of degree <= {n} in {d} variables, the {self.model.depth} "
                f"fixed blocks with readout = the {self.model.free_parameters} coefficients of p "
                "output p(x) exactly, for all x")

    def summary(self) -> dict[str, Any]:
        m = self.model
        return {**self.verdict.to_json(), "statement": self.statement,
                "dimension": self.dimension, "degree": self.degree,
                "construction": self.construction, "tokens": m.tokens, "width": m.width,
                "blocks": m.depth, "free_parameters": m.free_parameters,
                "parameters": count_parameters(m).to_json(),
                "seconds": round(self.seconds, 4)}


def generic_model(d: int, n: int, construction: str = "masked",
                  limits: Limits = DEFAULT_LIMITS,
                  box: Box | None = None) -> tuple[Model, dict[str, PolyElement]]:
    """The fixed blocks for (d, n) with readout c_alpha on each monomial's token, and
    the claim {symbol: x^alpha} the output must equal.

    A construction that declares an input shift lo in its metadata (relu: the box is
    moved to [0, b]^d) is stated in the basis (x - lo)^alpha instead; that basis also
    spans all polynomials of degree <= n, so the statement is just as universal."""
    if d < 0 or n < 0:
        raise ParseError(f"dimension and degree must be non-negative, got d={d}, n={n}")
    if n > limits.max_degree:
        raise LimitExceeded(f"degree {n} exceeds the limit {limits.max_degree}")
    if d > limits.max_variables:
        raise LimitExceeded(f"{d} variables exceed the limit {limits.max_variables}")
    from .constructions import build_model
    from .poly import Target
    variables = default_variables(d)
    tokens = monomial_tokens(d, n, limits)  # checks the token limit first
    if len(tokens.monomials) > limits.max_terms:  # the generic claim has one term a token
        raise LimitExceeded(f"the generic polynomial has {len(tokens.monomials)} terms, "
                            f"above the limit {limits.max_terms} (--max-terms)")
    # Build the construction for the all-ones target of full support, then put one
    # symbol on each readout entry that carries a coefficient.
    ones = Target.from_terms(variables, {alpha: 1 for alpha in tokens.monomials})
    skeleton = build_model(ones, construction, degree=n, limits=limits, box=box)
    ring = PolynomialDomain(variables).ring
    basis = {alpha: ring.from_dict({alpha: QQ.one}) if d else ring.one
             for alpha in tokens.monomials}
    shift = _input_shift(skeleton)
    if any(shift):
        # rebuild for sum_alpha (x - lo)^alpha, whose readout is then one per token
        shifted = [g - ring.ground_new(QQ(lo.numerator, lo.denominator))
                   for g, lo in zip(ring.gens, shift)]
        for alpha in basis:
            p = ring.one
            for g, e in zip(shifted, alpha):
                p *= g ** e
            basis[alpha] = p
        total = sum(basis.values(), ring.zero)
        ones = Target.from_terms(variables, {m: Fraction(int(c.numerator), int(c.denominator))
                                             for m, c in total.items()})
        skeleton = build_model(ones, construction, degree=n, limits=limits, box=box)
    entries: dict[tuple[int, int], sympy.Symbol] = {}
    claim: dict[str, PolyElement] = {}
    coef_entries = _coefficient_positions(skeleton, tokens.monomials)
    for alpha, pos in coef_entries.items():
        name = coefficient_name(alpha)
        entries[pos] = sympy.Symbol(name)
        claim[name] = basis[alpha]
    readout = Readout.from_dict(skeleton.readout.rows, skeleton.readout.cols, entries)
    meta = dict(skeleton.info)
    meta["readout"] = "symbolic"
    model = replace(skeleton, readout=readout, meta=make_meta(meta))
    return model, claim


def _input_shift(model: Model) -> tuple[Fraction, ...]:
    """The input shift lo a construction declares (x = z + lo), zeros if none."""
    text = model.info.get("input_shift", "")
    if not text:
        return (Fraction(0),) * len(model.variables)
    return tuple(Fraction(v) for v in text.split(","))


def _coefficient_positions(model: Model, monomials: Sequence[tuple[int, ...]]
                           ) -> dict[tuple[int, ...], tuple[int, int]]:
    """Where the construction put each coefficient: built from the all-ones target,
    every readout entry equal to 1 carries the coefficient of its token's monomial."""
    out: dict[tuple[int, ...], tuple[int, int]] = {}
    for t, c, v in model.readout.entries:
        if v == 1 and t < len(monomials):
            out[monomials[t]] = (t, c)
    if len(out) != len(monomials):
        raise ParseError("construction does not place one coefficient per monomial token")
    return out


def prove_theorem(d: int, n: int, construction: str = "masked",
                  limits: Limits = DEFAULT_LIMITS, timeout: float | None = None,
                  domain: Box | str | None = None) -> TheoremResult:
    """Prove the generic (d, n) statement exactly, symbol by symbol (on the box of a
    relu construction, with a sign certificate for every relu argument)."""
    start = time.perf_counter()
    deadline = None if timeout is None else time.monotonic() + timeout
    box = parse_box(domain, d) if isinstance(domain, str) else domain
    model, claim = generic_model(d, n, construction, limits, box=box)
    if "box" in model.info:
        box_domain = BoxPolynomialDomain(model.variables, box_from_meta(model.info["box"]))
        trace = run(model, box_domain, record=False, deadline=deadline)
        verdict, trace = verify_basis(model, claim, trace)
        if box_domain.certificates:
            verdict = replace(verdict, rung=EXACT_ON_BOX, detail=(
                f"{verdict.detail}, on the box {model.info['box']}: "
                f"{len(box_domain.certificates)} distinct relu arguments have a sign "
                "certified constant there by exact interval enclosure"),
                evidence=(("box", model.info["box"]),
                          ("sign certificates", str(len(box_domain.certificates)))))
        return TheoremResult(d, n, construction, model, verdict, time.perf_counter() - start,
                             trace)
    trace = run_exact(model, record=False, deadline=deadline)
    verdict, trace = verify_basis(model, claim, trace)
    return TheoremResult(d, n, construction, model, verdict, time.perf_counter() - start, trace)
