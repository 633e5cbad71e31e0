"""The generic theorem for (d, n): one fixed model gives EVERY polynomial of degree <= n.

Statement: with the fixed blocks of a construction for d variables and degree n,
and the readout R[t, m] = c_{alpha_t} (one symbol per monomial), the output is
sum_alpha c_alpha x^alpha identically in x AND in the symbols c. Since the output
is linear in c, this holds iff the coefficient of each c_alpha is x^alpha
(:mod:`exactformer.verify.linear`), which the engine checks exactly.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import sympy
from sympy import QQ

from .constructions.tokens import monomial_tokens
from .engine import PolynomialDomain, Trace, run
from .errors import LimitExceeded, ParseError
from .limits import DEFAULT_LIMITS, Limits
from .model import Model, Readout
from .model.ir import make_meta
from .verify import Verdict
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
    trace: Trace = field(repr=False, default=None)

    @property
    def statement(self) -> str:
        d, n = self.dimension, self.degree
        return (f"for every polynomial p of degree <= {n} in {d} variables, the {self.model.depth} "
                f"fixed blocks with readout = the {self.model.free_parameters} coefficients of p "
                "output p(x) exactly, for all x")

    def summary(self) -> dict:
        m = self.model
        return {**self.verdict.to_json(), "statement": self.statement,
                "dimension": self.dimension, "degree": self.degree,
                "construction": self.construction, "tokens": m.tokens, "width": m.width,
                "blocks": m.depth, "free_parameters": m.free_parameters,
                "seconds": round(self.seconds, 4)}


def generic_model(d: int, n: int, construction: str = "masked",
                  limits: Limits = DEFAULT_LIMITS) -> tuple[Model, dict]:
    """The fixed blocks for (d, n) with readout c_alpha on each monomial's token, and
    the claim {symbol: x^alpha} the output must equal."""
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
    # Build the construction for the all-ones target of full support, then put one
    # symbol on each readout entry that carries a coefficient.
    ones = Target.from_terms(variables, {alpha: 1 for alpha in tokens.monomials})
    skeleton = build_model(ones, construction, degree=n, limits=limits)
    entries = {}
    ring = PolynomialDomain(variables).ring
    claim = {}
    coef_entries = _coefficient_positions(skeleton, tokens.monomials)
    for alpha, pos in coef_entries.items():
        name = coefficient_name(alpha)
        entries[pos] = sympy.Symbol(name)
        claim[name] = ring.from_dict({alpha: QQ.one}) if d else ring.one
    readout = Readout.from_dict(skeleton.readout.rows, skeleton.readout.cols, entries)
    meta = dict(skeleton.info)
    meta["readout"] = "symbolic"
    model = replace(skeleton, readout=readout, meta=make_meta(meta))
    return model, claim


def _coefficient_positions(model: Model, monomials) -> dict[tuple[int, ...], tuple[int, int]]:
    """Where the construction put each coefficient: built from the all-ones target,
    every readout entry equal to 1 carries the coefficient of its token's monomial."""
    out = {}
    for t, c, v in model.readout.entries:
        if v == 1 and t < len(monomials):
            out[monomials[t]] = (t, c)
    if len(out) != len(monomials):
        raise ParseError("construction does not place one coefficient per monomial token")
    return out


def prove_theorem(d: int, n: int, construction: str = "masked",
                  limits: Limits = DEFAULT_LIMITS, timeout: float | None = None) -> TheoremResult:
    """Prove the generic (d, n) statement exactly, symbol by symbol."""
    start = time.perf_counter()
    deadline = None if timeout is None else time.monotonic() + timeout
    model, claim = generic_model(d, n, construction, limits)
    trace = run(model, PolynomialDomain(model.variables), record=False, deadline=deadline)
    verdict, trace = verify_basis(model, claim, trace)
    return TheoremResult(d, n, construction, model, verdict, time.perf_counter() - start, trace)
