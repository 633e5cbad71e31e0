"""The mpmath rung on an ONNX graph: interval evaluation at exact rational points.

The graph is run by the same interpreter as the exact rung (:mod:`.interpret`), in
interval mode (:mod:`.enclosures`): at each exact rational point of the box every
value is an ``mpmath.iv`` enclosure at ``dps`` digits, and the non-polynomial
operators (Erf, Tanh, Gelu, Sigmoid, Exp, Log, Sqrt, Reciprocal,
LayerNormalization, Softmax of any scores, Relu of any sign) are enclosed. The
comparison with the claim, the points, the result and its meaning are those of the
mpmath rung on exactformer's own models (:func:`exactformer.verify.numerical.
compare_at_points`): disjoint enclosures refute rigorously, meeting ones are numerical
agreement, never a proof.

Rows: a dynamic batch is run on 1 point and on 2 points (different points in the two
rows) in turn, as the exact rung runs batch sizes 1 and 2, so a graph that mixes rows
is compared on rows that differ; a fixed batch B on B points at a time; an input of
shape [d] on one point at a time.
"""
from __future__ import annotations

import hashlib
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ...errors import LimitExceeded, NotExact
from ...limits import DEFAULT_LIMITS, Limits
from ...poly.box import Box
from ...verify.numerical import (DEFAULT_DPS, DEFAULT_POINTS, Claim, NumericalResult,
                                 check_options, compare_at_points, sample_points,
                                 sampling_box)
from ...verify.schwartz_zippel import claim_name_spaces
from .check import DOMAIN_KEY, input_names
from .interpret import Context, run_graph
from .read import Graph

if TYPE_CHECKING:
    from ...poly import Target


def batch_sizes(graph: Graph, limits: Limits) -> tuple[int, ...]:
    """The batch sizes to run, in turn: 1 and 2 for a dynamic batch (as the exact rung),
    the fixed size B otherwise, 1 for an input of shape [d]."""
    sizes: tuple[int, ...] = (1,) if not graph.input_has_batch else \
        (graph.input_batch,) if graph.input_batch is not None else (1, 2)
    if min(sizes) < 1 or max(sizes) * graph.dimension > limits.max_variables:
        raise LimitExceeded(f"a batch of {max(sizes)} rows of {graph.dimension} inputs is "
                            f"more than {limits.max_variables} variables (or empty)")
    return sizes


def verify_graph_numerically(graph: Graph, claim: Target | str, graph_bytes: bytes,
                             box: Box | str | None = None, points: int = DEFAULT_POINTS,
                             dps: int = DEFAULT_DPS, seed: int | None = None,
                             variables: str | Sequence[str] | None = None,
                             params: str | Sequence[str] | None = None,
                             limits: Limits = DEFAULT_LIMITS,
                             deadline: float | None = None,
                             max_denominator: int | None = None) -> NumericalResult:
    """Compare the graph's output rows with the claim by enclosures at ``points``
    points of ``box`` (default: the box the file records, else [-1, 1]^d)."""
    from .enclosures import EnclosureDomain
    seed = check_options(points, dps, seed)
    target = Claim(claim, limits)
    inputs = input_names(graph, variables)
    spaces = claim_name_spaces(inputs, target, claim, variables, params, limits)
    names = spaces.inputs + spaces.parameters
    d = graph.dimension
    if box is None and DOMAIN_KEY in graph.metadata:
        box = graph.metadata[DOMAIN_KEY]
    box = sampling_box(box, d, points, len(names))
    sizes = batch_sizes(graph, limits)
    reading: Callable[[float], Fraction]
    if max_denominator is None:
        reading = Fraction
    else:
        def rounded(f: float) -> Fraction:
            return Fraction(f).limit_denominator(max_denominator)
        reading = rounded
    digest = hashlib.sha256(graph_bytes).digest()
    stream = sample_points(box.intervals, len(names) - d, points, digest,
                           target.canonical.encode("ascii", "backslashreplace"), seed)

    def run_at(batch: list[tuple[Fraction, ...]]) -> list[Any]:
        rows = len(batch)
        flat = tuple(v for point in batch for v in point[:d])
        domain = EnclosureDomain(flat, dps)
        try:
            values = run_graph(graph, Context(domain, limits, deadline, reading), rows)
        except NotExact as exc:
            where = ", ".join(f"{n} = {v}" for n, v in zip(names, batch[0]))
            raise NotExact(f"{exc} (at the point {where}"
                           f"{' and the other rows of its batch' if rows > 1 else ''})") \
                from None
        return [v.iv for v in values]

    def plain(point: tuple[Fraction, ...]) -> dict[str, str]:
        """Midpoints of the enclosures, for display only (the enclosures decide)."""
        import mpmath
        ctx = EnclosureDomain((), dps).ctx
        y = run_at([point] * sizes[0])[0]
        values = {n: ctx.mpf(v.numerator) / ctx.mpf(v.denominator)
                  for n, v in zip(names, point)}
        c = target.enclosure(ctx, values)
        work = mpmath.MPContext()
        work.dps = dps
        return {"model_value": work.nstr(work.make_mpf(y.mid._mpi_[0]), dps),
                "claim_value": work.nstr(work.make_mpf(c.mid._mpi_[0]), dps)}
    return compare_at_points(run_at, plain, target, names, box, stream, points, dps, seed,
                             batch=sizes, deadline=deadline)
