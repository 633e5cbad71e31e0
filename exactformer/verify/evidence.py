"""What the exact forward pass established on the way, read off the trace.

Softmax: the exact domains return softmax weights only when every score of a row is
the same polynomial, and then each weight is exactly 1/k (exp(s)/sum_k exp(s)); in
particular a row with one allowed key has weight exp(s)/exp(s) = 1 whatever s is.
Otherwise they raise NotExact. So a completed exact pass has *derived* every softmax
weight; this module counts those rows so that the verdict can say so.
"""
from __future__ import annotations

from dataclasses import replace

from ..engine import Trace
from ..model import Model
from .verdict import Verdict


def softmax_rows(model: Model, trace: Trace) -> tuple[int, int, int]:
    """(blocks with softmax, rows whose weights were derived, rows with a single key)
    from a recorded exact trace."""
    blocks = rows = single = 0
    for block, bt in zip(model.blocks, trace.blocks):
        if block.attention.activation != "softmax":
            continue
        blocks += 1
        per_row: dict[int, int] = {}
        for t, _ in bt.scores:
            per_row[t] = per_row.get(t, 0) + 1
        rows += len(per_row)
        single += sum(1 for k in per_row.values() if k == 1)
    return blocks, rows, single


def with_trace_evidence(verdict: Verdict, model: Model, trace: Trace | None) -> Verdict:
    """The verdict with the softmax weights derived during the exact pass noted."""
    if trace is None or not trace.blocks or not getattr(trace.domain, "exact", False):
        return verdict
    blocks, rows, single = softmax_rows(model, trace)
    if not blocks:
        return verdict
    note = (f"{rows} softmax rows in {blocks} blocks: every row's scores are equal "
            f"polynomials, so each weight is exactly 1/k; {single} rows have one allowed "
            "key, weight exp(s)/exp(s) = 1 (derived, not assumed)")
    detail = f"{verdict.detail}; {note}" if verdict.detail else note
    return replace(verdict, detail=detail,
                   evidence=verdict.evidence + (("softmax weights", note),))
