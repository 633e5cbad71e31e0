"""Decide "this ONNX graph computes the claim" exactly, row by row.

The graph is run symbolically (:mod:`.interpret`) on a batch whose rows are
independent copies of the input variables, so each output row must be the claim in
its own row's variables (a graph that mixes rows is refuted, not missed). A graph
with a fixed batch size B is run at B; a dynamic batch at 1 and at 2; an input of
shape [d] once. The output polynomial of every row is compared with the claim term by
term in QQ[inputs, parameters] (never as expression trees); with a box, every Relu
argument's sign is certified on it (the relu rung's :class:`BoxPolynomialDomain`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np
import sympy
from sympy import QQ
from sympy.polys.rings import PolyRing

from ...errors import LimitExceeded, ParseError
from ...limits import DEFAULT_LIMITS, Limits
from ...poly import Target, make_target
from ...poly.box import Box, parse_box
from ...poly.target import lift
from ...verify.identity import first_difference
from ...verify.names import decision_names
from ...verify.verdict import EXACT_IDENTITY, EXACT_ON_BOX, Verdict
from .batch import check_batch_uniform
from .interpret import NEG_INF, make_context, run_graph
from .read import Graph

if TYPE_CHECKING:
    from ...poly.target import Names, TargetSource

#: metadata key under which exactformer's exporter records the box of a relu model
DOMAIN_KEY = "exactformer.domain"


@dataclass(frozen=True)
class GraphResult:
    """The verdict on one graph and what was established on the way."""

    verdict: Verdict
    target: Target
    inputs: tuple[str, ...]
    batch_sizes: tuple[int, ...]
    nodes: int
    opset: int
    seconds: float
    box: Box | None
    reading: str

    @property
    def proved(self) -> bool:
        return self.verdict.holds

    def summary(self) -> dict[str, Any]:
        t = self.target
        out: dict[str, Any] = {**self.verdict.to_json(), "target": str(t.as_expr()),
               "variables": list(t.variables), "dimension": len(self.inputs),
               "degree": t.degree, "format": "onnx", "nodes": self.nodes,
               "opset": self.opset, "batch_sizes": list(self.batch_sizes),
               "float_reading": self.reading, "seconds": round(self.seconds, 4)}
        if self.box is not None:
            out["domain"] = str(self.box)
        return out


def input_names(graph: Graph, variables: str | Sequence[str] | None) -> tuple[str, ...]:
    """The names of the input columns: ``--vars`` (exactly d of them) or x1..xd."""
    d = graph.dimension
    if variables is None:
        return tuple(f"x{i + 1}" for i in range(d))
    names = tuple(v.strip() for v in variables.split(",")) if isinstance(variables, str) \
        else tuple(variables)
    if names == ("",):
        names = ()
    if len(names) != d:
        raise ParseError(f"--vars names {len(names)} columns but the graph input has d = {d}")
    return names


def _batch_sizes(graph: Graph, limits: Limits) -> tuple[int, ...]:
    sizes: tuple[int, ...]
    if not graph.input_has_batch:
        sizes = (1,)
    elif graph.input_batch is not None:
        sizes = (graph.input_batch,)
    else:
        sizes = (1, 2)
    if max(sizes) * graph.dimension > limits.max_variables or max(sizes) < 1:
        raise LimitExceeded(f"a batch of {max(sizes)} rows of {graph.dimension} inputs is "
                            f"more than {limits.max_variables} variables (or empty)")
    return sizes


def _row_names(inputs: tuple[str, ...], rows: int, taken: set[str]) -> list[tuple[str, ...]]:
    """Row 0 is the inputs themselves; row r > 0 gets fresh names not in ``taken``."""
    out = [inputs]
    for r in range(1, rows):
        suffix = f"_row{r}"
        while any(v + suffix in taken for v in inputs):
            suffix += "_"
        out.append(tuple(v + suffix for v in inputs))
    return out


def check_graph(graph: Graph, claim: TargetSource, variables: str | Sequence[str] | None = None,
                params: Names = None,
                limits: Limits = DEFAULT_LIMITS, timeout: float | None = None,
                domain: str | Box | None = None,
                max_denominator: int | None = None) -> GraphResult:
    """Decide exactly whether every output row of ``graph`` is ``claim`` of its row."""
    start = time.perf_counter()
    deadline = None if timeout is None else time.monotonic() + timeout
    inputs = input_names(graph, variables)
    loose = make_target(claim, params=params, limits=limits)
    extra = tuple(v for v in loose.variables if v not in inputs)
    target = make_target(claim, variables=inputs + extra, params=params, limits=limits)
    spaces = decision_names(inputs, target, limits)  # the one name rule
    box = _box(graph, domain)
    reading: Callable[[float], Fraction]
    if max_denominator is None:
        reading, read_note = Fraction, "exact dyadic rationals"
    else:
        def rounded(f: float) -> Fraction:
            return Fraction(f).limit_denominator(max_denominator)
        reading = rounded
        read_note = f"rounded to denominators <= {max_denominator}"
    sizes = _batch_sizes(graph, limits)
    taken = set(spaces.symbols)
    verdict = None
    certificates = softmax_rows = neg_inf = 0
    runs: dict[int, dict[str, np.ndarray]] = {}
    for rows in sizes:
        names = _row_names(inputs, rows, taken)
        flat = tuple(n for row in names for n in row)
        row_box = None if box is None else Box(tuple(box.intervals) * rows)
        ctx = make_context(flat, row_box, limits, deadline, reading)
        runs[rows] = {}
        values = run_graph(graph, ctx, rows, keep=runs[rows])
        certificates = max(certificates, len(getattr(ctx.domain, "certificates", ())))
        softmax_rows += ctx.softmax_rows
        neg_inf += ctx.neg_inf_weights
        rest = spaces.inputs[len(inputs):] + spaces.parameters + spaces.constants
        gens = flat + rest
        ring = PolyRing(tuple(sympy.Symbol(g) for g in gens), QQ)
        pad = (0,) * len(rest)
        nvar = len(flat) + len(spaces.inputs) - len(inputs)
        for r, value in enumerate(values):
            y = ring.from_dict({m + pad: c for m, c in value.items()})
            labels = list(gens)
            d = len(inputs)
            labels[:d], labels[r * d:(r + 1) * d] = names[r], names[0]
            claim_poly = ring.from_dict(lift(target, tuple(labels)))
            difference = first_difference(ring, nvar, y, claim_poly)
            if difference is not None:
                where = "" if len(sizes) == 1 and rows == 1 else \
                    f" (row {r} of a batch of {rows}; its columns are {', '.join(names[r])})"
                evidence = _evidence(graph, sizes, box, certificates, softmax_rows, neg_inf)
                if where:
                    evidence += (("differs at", where.strip(" ()")),)
                verdict = Verdict(False, EXACT_ON_BOX if certificates else EXACT_IDENTITY,
                                  "graph output differs from the claim" + where, difference,
                                  evidence=evidence)
                break
        if verdict is not None:
            break
        if rows == 2 and 1 in runs and graph.input_batch is None and graph.input_has_batch:
            # a dynamic batch agreeing at B = 1 and 2: decided for EVERY batch size only
            # when the graph is batch-uniform (a difference found above is a refutation)
            check_batch_uniform(graph, runs[1], runs[2], _batch_free)
    if verdict is None:
        rung = EXACT_ON_BOX if certificates else EXACT_IDENTITY
        where = f" on the box {box}" if certificates else ""
        if certificates and domain is None:  # the file chose the box: say so
            where += (f" (the box stored in the file's metadata {DOMAIN_KEY}; give "
                      "--domain to decide on another)")
        verdict = Verdict(True, rung, f"every output row equals the claim term by term{where}",
                          evidence=_evidence(graph, sizes, box, certificates, softmax_rows,
                                             neg_inf))
    return GraphResult(verdict, target, inputs, sizes, len(graph.nodes), graph.opset,
                       time.perf_counter() - start, box, read_note)


def _batch_free(value: object) -> bool:
    """No entry depends on the input: integer/bool data, or constant polynomials."""
    a = np.asarray(value)
    if a.dtype != object:
        return True
    return all(v is NEG_INF or getattr(v, "is_ground", False) for v in a.reshape(-1))


def _box(graph: Graph, domain: str | Box | None) -> Box | None:
    if isinstance(domain, Box):
        box = domain
    elif domain is not None:
        box = parse_box(domain, graph.dimension)
    elif DOMAIN_KEY in graph.metadata:
        box = parse_box(graph.metadata[DOMAIN_KEY], graph.dimension)
    else:
        return None
    if box.dimension != graph.dimension:
        raise ParseError(f"the box {box} has dimension {box.dimension}, the graph input "
                         f"has d = {graph.dimension}")
    return box


def _evidence(graph: Graph, sizes: tuple[int, ...], box: Box | None, certificates: int,
              softmax_rows: int, neg_inf: int) -> tuple[tuple[str, str], ...]:
    out = [("graph", f"{len(graph.nodes)} nodes, opset {graph.opset}, executed exactly "
                     f"over QQ[x]"),
           ("batch sizes", ", ".join(map(str, sizes)) + " (each row its own variables)")]
    if box is not None:
        out.append(("box", str(box)))
        out.append(("sign certificates", f"{certificates} distinct relu arguments with a "
                                         "constant sign on the box"))
    if softmax_rows:
        out.append(("softmax", f"{softmax_rows} rows with exactly derivable weights "
                               f"(equal live scores; {neg_inf} keys at -inf, weight "
                               "exactly 0)"))
    return tuple(out)
