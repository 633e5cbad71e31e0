"""A compact summary card of a proof for notebooks (a few KB, no figures).

It reads only the result's target, verdict, model shape and, from the trace, how
many tokens each block changed (a token changes iff its residual row changes), so
it stays small and fast for any model size; the full walk-through is
``result.report()``.
"""
from __future__ import annotations

from html import escape

from .formula import formula
from .narrative import ResultLike
from .render_html import CSS, piece

#: At most this many blocks are listed on the card.
CARD_BLOCKS = 12


def changed_per_block(result: ResultLike) -> list[int]:
    """How many tokens each block changed, read from the recorded residual streams."""
    if result.trace is None:  # decided piece by piece or by a counterexample
        return []
    res = result.trace.residuals
    return [sum(1 for a, b in zip(res[k], res[k - 1]) if a is not b and a != b)
            for k in range(1, len(res))]


def summary_card(result: ResultLike) -> str:
    """The card: target and verdict, the model's shape, output, blocks at a glance."""
    t, m, v = result.target, result.model, result.verdict
    cls = "proved" if v.holds else "refuted"
    rest = piece(str(v)[len(v.verdict) + 1:])
    rows = [("construction", escape(m.info.get("construction", "custom"))),
            ("tokens x width", f"{m.tokens} x {m.width}"), ("blocks", str(m.depth)),
            ("free parameters", f"{m.free_parameters} (the readout)")]
    output = getattr(result, "output", None)
    if output is not None:
        rows.append(("output", piece(formula(output, 160))))
    seconds = getattr(result, "seconds", None)
    if seconds is not None:
        rows.append(("time", f"{seconds:.3f} s"))
    body = "".join(f"<tr><th>{k}</th><td>{val}</td></tr>" for k, val in rows)
    changed = changed_per_block(result) if result.trace is not None else []
    blocks = ", ".join(f"block {k}: {c}" for k, c in enumerate(changed[:CARD_BLOCKS], 1))
    if len(changed) > CARD_BLOCKS:
        blocks += f", ... ({len(changed) - CARD_BLOCKS} more blocks)"
    variables = ", ".join(t.variables)
    return (f"<style>{CSS}</style>"
            f'<div class="xf-report xf-card" style="max-width:760px;padding-bottom:8px">'
            f'<p style="font-size:1.15em;margin:6px 0"><math display="inline"><mi>p</mi>'
            f"<mo>(</mo><mtext>{escape(variables)}</mtext><mo>)</mo><mo>=</mo></math> "
            f"{piece(formula(t.as_expr(), 160))}</p>"
            f'<p class="verdict {cls}"><b>{escape(v.verdict.upper())}</b> {rest}</p>'
            f'<div class="xf-scroll"><table>{body}</table></div>'
            + (f'<p class="muted">Tokens changed by each block: {escape(blocks)}.</p>'
               if blocks else "")
            + '<p class="muted">The full walk-through (tokens, every block, figures): '
              "<code>result.report()</code>; to a file: "
              "<code>result.report(html=\"report.html\")</code>.</p></div>")
