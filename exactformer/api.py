"""The thin top-level API: validate, build, run, verify; each stage its own module.

>>> result = prove("3*x**2*y - y/7 + 2")
>>> result.verdict.verdict, result.model.depth
('proved', 3)
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias, Union

import sympy
from sympy.polys.rings import PolyElement

from .constructions import build_model
from .engine import Trace
from .limits import DEFAULT_LIMITS, Limits
from .model import Model
from .model.parameters import count_parameters
from .poly import Target, make_target
from .poly.target import Names, TargetSource
from .verify import Verdict, verify_identity
from .verify.box import verify_on_box
from .verify.evidence import with_trace_evidence

if TYPE_CHECKING:
    from .poly.box import Box
    from .teach import Report

#: A box: None, a Box, or box text such as "[-1,1]^2" or "[0,1]x[0,2]".
DomainSpec: TypeAlias = Union[str, "Box", None]


def build(target: TargetSource, variables: Names = None, params: Names = None,
          construction: str = "masked", degree: int | None = None,
          limits: Limits = DEFAULT_LIMITS, domain: DomainSpec = None) -> Model:
    """The transformer of ``construction`` for ``target`` (string, sympy Expr/Poly or
    exponent dict). Its blocks depend only on (d, n); the target sets the readout.
    ``domain`` (a box such as "[-1,1]^2") is used by the relu construction."""
    t = make_target(target, variables=variables, params=params, limits=limits)
    return build_model(t, construction, degree=degree, limits=limits,
                       box=_parse_domain(domain, t.dimension))


def _parse_domain(domain: DomainSpec, d: int) -> Box | None:
    """None, a Box, or box text ("[-1,1]^2", "[0,1]x[0,2]") -> Box or None."""
    from .poly.box import Box, parse_box
    if domain is None or isinstance(domain, Box):
        return domain
    return parse_box(domain, d)


def _verify(model: Model, t: Target, domain: DomainSpec, limits: Limits,
            deadline: float | None) -> tuple[Verdict, Trace | None, PolyElement | None]:
    """The right rung: exact identity, or exact on the box given (or the box the
    model's metadata declares) when there is one; softmax evidence noted."""
    from .poly.box import box_from_meta
    box = _parse_domain(domain, len(model.variables))
    if box is None and "box" in model.info:
        box = box_from_meta(model.info["box"])
    if box is not None:
        verdict, trace, y = verify_on_box(model, t, box, limits=limits, deadline=deadline)
    else:
        verdict, trace, y = verify_identity(model, t, limits=limits, deadline=deadline)
    return with_trace_evidence(verdict, model, trace), trace, y


@dataclass
class ProofResult:
    """A proof attempt: target, model, verdict, and the exact trace of the forward pass.

    ``trace.residuals[k]`` is the residual stream after block k (exact polynomials),
    ``trace.blocks[k-1].scores`` the attention scores of block k.
    """

    target: Target
    model: Model
    verdict: Verdict
    trace: Trace | None  # None when a box was split into pieces or a counterexample decided
    # y(x) in QQ[x] (QQ[x, params]); None when a counterexample or a refuted piece decided
    output_poly: PolyElement | None = field(repr=False)
    seconds: float = 0.0

    @property
    def proved(self) -> bool:
        return self.verdict.holds

    @property
    def output(self) -> sympy.Expr:
        """The model's output y(x) as a sympy expression (constants shown as values)."""
        # None only when a counterexample decided (then AttributeError, as always)
        return _with_constants(self.output_poly.as_expr(),  # type: ignore[union-attr]
                               self.target)

    def summary(self) -> dict[str, Any]:
        """The figures the CLI reports (JSON-ready)."""
        t, m = self.target, self.model
        out: dict[str, Any] = {
            **self.verdict.to_json(),
            "target": str(t.as_expr()),
            "variables": list(t.variables),
            "dimension": t.dimension,
            "degree": t.degree,
            "construction": m.info.get("construction", "custom"),
            "tokens": m.tokens,
            "width": m.width,
            "blocks": m.depth,
            "free_parameters": m.free_parameters,
            "parameters": count_parameters(m).to_json(),
            "params": [p for p in t.params if p not in t.constants],
            "constants": list(t.constants),
            "seconds": round(self.seconds, 4),
        }
        notes = []
        free = [c for c in t.constants if not c.startswith("sqrt(")]
        roots = [c for c in t.constants if c.startswith("sqrt(")]
        if free:
            notes.append(f"{', '.join(free)} treated as independent symbols: the identity "
                         "holds for every value, in particular the true one")
        if roots:
            notes.append(f"{', '.join(roots)} kept exact as algebraic numbers (square roots "
                         "of distinct primes, reduced with sqrt(p)**2 = p)")
        if notes:
            out["note"] = "; ".join(notes)
        return out

    def __repr__(self) -> str:
        t, m = self.target, self.model
        return (f"<ProofResult {self.verdict.verdict.upper()} ({self.verdict.rung}): "
                f"{t.as_expr()} | d={t.dimension} n={t.degree} tokens={m.tokens} "
                f"width={m.width} blocks={m.depth} free={m.free_parameters} "
                f"{self.seconds:.3f}s>")

    def _repr_html_(self) -> str:
        """A compact summary card for notebooks (the full walk-through: ``report()``)."""
        from .teach import summary_card
        return summary_card(self)

    def _repr_latex_(self) -> str:
        """``$p(x, y) = ...$: proved (rung)``, as sympy objects display in notebooks."""
        m = self.model
        return (f"{self.target._repr_latex_()}: {self.verdict._repr_latex_()}; "
                f"{m.info.get('construction', 'custom')} construction, "
                f"${m.tokens}$ tokens, ${m.depth}$ blocks")

    def report(self, html: str | None = None, markdown: str | None = None,
               max_shown: int = 12, plot_domain: DomainSpec = None) -> Report:
        """The full walk-through (a ``teach.Report``: displays as the whole HTML report
        in a notebook, ``str()`` is the terminal text); writes files when paths are given."""
        from .teach import explain
        return explain(self, max_shown=max_shown, markdown=markdown, html=html,
                       plot_domain=plot_domain)


def _with_constants(expr: sympy.Expr, target: Target) -> sympy.Expr:
    from .poly.target import constant_to_sympy
    if not target.constants:
        return expr
    return expr.subs({sympy.Symbol(c): constant_to_sympy(c) for c in target.constants})


def prove(target: TargetSource, variables: Names = None, params: Names = None,
          construction: str = "masked", degree: int | None = None,
          limits: Limits = DEFAULT_LIMITS, timeout: float | None = None,
          domain: DomainSpec = None) -> ProofResult:
    """Build the transformer for ``target`` and decide, exactly, that it outputs it.

    The verdict is "proved" only if the output polynomial, computed block by block in
    QQ[x] (readout in QQ[x, params]), equals the target term by term. A relu model is
    decided on a box (``domain``, default [-1, 1]^d), with a sign certificate for every
    relu argument.
    """
    start = time.perf_counter()
    deadline = None if timeout is None else time.monotonic() + timeout
    t = make_target(target, variables=variables, params=params, limits=limits)
    box = _parse_domain(domain, t.dimension)
    model = build_model(t, construction, degree=degree, limits=limits, box=box)
    verdict, trace, y = _verify(model, t, box, limits, deadline)
    return ProofResult(t, model, verdict, trace, y, time.perf_counter() - start)


def check_model(model: Model, claim: TargetSource, variables: Names = None,
                params: Names = None, limits: Limits = DEFAULT_LIMITS,
                timeout: float | None = None, domain: DomainSpec = None) -> ProofResult:
    """Decide exactly whether a given model computes ``claim`` (first difference if not);
    on the box ``domain`` (or the box in the model's metadata) if it uses relu."""
    start = time.perf_counter()
    deadline = None if timeout is None else time.monotonic() + timeout
    if variables is None:
        variables = _claim_variables(claim, model, params, limits)
    t = make_target(claim, variables=variables, params=params, limits=limits)
    verdict, trace, y = _verify(model, t, domain, limits, deadline)
    return ProofResult(t, model, verdict, trace, y, time.perf_counter() - start)


def _claim_variables(claim: TargetSource, model: Model, params: Names,
                     limits: Limits) -> tuple[str, ...]:
    """Variables of a claim read against a model: the model's, then any others."""
    loose = make_target(claim, params=params, limits=limits)
    extra = [v for v in loose.variables if v not in model.variables]
    return tuple(model.variables) + tuple(extra)
