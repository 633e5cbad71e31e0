"""Figures of one proof as SVG text (matplotlib, Agg canvas, no pyplot state).

Figures: the parent tree of the tokens, each block's mask as a heatmap, the
weight matrices with their exact entries, the token x block table of exact
contents and, for a target in one variable, target and model output on top of
each other with the error curve. The error is computed EXACTLY, with Fractions,
at every plotted point (the model by an exact forward pass over QQ); only the
drawing turns the exact values into floats, and the caption says so.

Large models are drawn in part (the first tokens and blocks) and the caption
says how much was left out, so every figure stays small.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure

from ..engine import RationalDomain, run
from ..model import ExactMatrix, Model
from .narrative import Narrative, ResultLike, channel_names
from .render_text import text_layers

#: At most this many tokens / blocks are drawn in any figure.
FIGURE_TOKENS = 24
FIGURE_BLOCKS = 6
#: Above this many (token x block) steps the 1-D plot evaluates the exact output
#: polynomial of the trace instead of one exact forward pass per point.
FORWARD_PASS_BUDGET = 20_000


@dataclass(frozen=True)
class Figure:
    """One figure: a short name (file stem), a title, a caption, and the SVG text."""

    name: str
    title: str
    caption: str
    svg: str


def svg_text(fig: MplFigure, salt: str) -> str:
    """The figure as an inline-ready <svg> element: no XML prologue, no metadata,
    text kept as text, ids salted per figure so several SVGs can share one page."""
    FigureCanvasAgg(fig)
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt, "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    return re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)


def _labels(narrative: Narrative, count: int) -> list[str]:
    return [t.label for t in narrative.tokens[:count]]


def tree_figure(narrative: Narrative, limit: int = FIGURE_TOKENS) -> Figure:
    """The tokens as a tree: column = the block that fills the token, arrow = parent."""
    tokens = narrative.tokens[:limit]
    columns: dict[int, list] = {}
    for t in tokens:
        columns.setdefault(t.filled_in, []).append(t)
    ncols = max(columns) + 1 if columns else 1
    tall = max((len(v) for v in columns.values()), default=1)
    fig = MplFigure(figsize=(min(2.2 + 1.9 * ncols, 14), min(1.2 + 0.55 * tall, 12)))
    ax = fig.add_subplot()
    pos = {}
    for k, col in columns.items():
        for i, t in enumerate(col):
            pos[t.index] = (k, -(i - (len(col) - 1) / 2))
    for t in tokens:
        for p in t.parents:
            if p in pos and p != t.index:
                ax.annotate("", xy=pos[t.index], xytext=pos[p],
                            arrowprops=dict(arrowstyle="->", color="#7a8ca8", lw=1.1,
                                            shrinkA=14, shrinkB=14))
    for t in tokens:
        x, y = pos[t.index]
        ax.text(x, y, t.label, ha="center", va="center", fontsize=9,
                bbox=dict(boxstyle="round,pad=0.35", fc="#eef3fb" if t.filled_in else "#fdf3e1",
                          ec="#34507a"))
    ax.set_xticks(range(ncols))
    ax.set_xticklabels(["embedding"] + [f"block {k}" for k in range(1, ncols)], fontsize=9)
    ax.set_yticks([])
    ax.set_xlim(-0.6, ncols - 0.4)
    ax.set_ylim(-tall / 2 - 0.3, tall / 2 + 0.3)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    shown = len(tokens)
    total = len(narrative.tokens) + narrative.tokens_omitted
    caption = ("Each token is drawn in the column of the block that fills it; an arrow runs "
               "from the parent it attends to (read from the masks) to the token.")
    if shown < total:
        caption += f" Only the first {shown} of {total} tokens are drawn."
    return Figure("tree", "Tokens and their parents", caption, svg_text(fig, "tree"))


def mask_figure(model: Model, narrative: Narrative, limit: int = FIGURE_TOKENS,
                max_blocks: int = FIGURE_BLOCKS) -> Figure | None:
    """Each block's mask as a heatmap: row = the token asking, column = the key."""
    if model.depth == 0:
        return None
    blocks = list(range(1, min(model.depth, max_blocks) + 1))
    n = min(model.tokens, limit, len(narrative.tokens))
    labels = _labels(narrative, n)
    fig = MplFigure(figsize=(min(3.0 * len(blocks), 16), 3.4 if n <= 12 else 4.2))
    axes = fig.subplots(1, len(blocks), squeeze=False)[0]
    for ax, k in zip(axes, blocks):
        mask = model.blocks[k - 1].attention.mask
        grid = [[0.0] * n for _ in range(n)]
        for t in range(n):
            keys = mask.allowed[t] if mask is not None else range(model.tokens)
            for j in keys:
                if j < n:
                    grid[t][j] = 1.0
        ax.imshow(grid, cmap="Blues", vmin=0, vmax=1.25, interpolation="nearest")
        ax.set_title(f"block {k}", fontsize=10)
        small = n <= 12
        ticks = list(range(n)) if small else list(range(0, n, 5))
        ax.set_xticks(ticks)
        ax.set_yticks(ticks)
        ax.set_xticklabels([labels[i] for i in ticks] if small else [str(i) for i in ticks],
                           fontsize=7, rotation=90 if small else 0)
        ax.set_yticklabels([labels[i] for i in ticks] if small else [str(i) for i in ticks],
                           fontsize=7)
        ax.set_xlabel("key (looked at)", fontsize=8)
    axes[0].set_ylabel("query token", fontsize=8)
    fig.tight_layout()
    caption = "A dark cell (t, j) means token t may look at token j in that block."
    if len(blocks) < model.depth:
        caption += f" Only blocks 1-{len(blocks)} of {model.depth} are drawn."
    if n < model.tokens:
        caption += f" Only the first {n} of {model.tokens} tokens are drawn."
    return Figure("masks", "Attention masks", caption, svg_text(fig, "masks"))


def _matrix_panel(ax, matrix: ExactMatrix, title: str, rows: Sequence[str],
                  cols: Sequence[str]) -> None:
    r, c = min(matrix.rows, 16), min(matrix.cols, 16)
    grid = [[0.0] * c for _ in range(r)]
    for i, j, v in matrix.entries:
        if i < r and j < c:
            grid[i][j] = 1.0 if v > 0 else -1.0
            ax.text(j, i, str(v), ha="center", va="center", fontsize=9)
    ax.imshow(grid, cmap="coolwarm", vmin=-2, vmax=2, interpolation="nearest")
    ax.set_title(title, fontsize=10)
    ax.set_xticks(range(c))
    ax.set_yticks(range(r))
    ax.set_xticklabels(list(cols)[:c], fontsize=8)
    ax.set_yticklabels(list(rows)[:r], fontsize=8)


def weights_figure(model: Model, block: int = 1) -> Figure | None:
    """The weight matrices of one block, with their exact entries written in."""
    if model.depth == 0:
        return None
    b = model.blocks[block - 1]
    att = b.attention
    names = channel_names(model)
    heads = [f"h{i}" for i in range(max(att.wq.cols, att.wv.cols))]
    panels = [(att.wq, "Wq (query)", names, heads), (att.wk, "Wk (key)", names, heads),
              (att.wv, "Wv (value)", names, heads), (att.wo, "Wo (output)", heads, names)]
    if b.ffn is not None:
        hid = [f"f{i}" for i in range(b.ffn.w1.cols)]
        panels += [(b.ffn.w1, f"W1 (FFN, {b.ffn.activation})", names, hid),
                   (b.ffn.w2, "W2 (FFN)", hid, names)]
    fig = MplFigure(figsize=(2.3 * len(panels), 2.8))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (m, title, rows, cols) in zip(axes, panels):
        _matrix_panel(ax, m, title, rows, cols)
    fig.tight_layout()
    same = all((x.attention.wq, x.attention.wk, x.attention.wv, x.attention.wo,
                x.attention.activation, x.ffn)
               == (att.wq, att.wk, att.wv, att.wo, att.activation, b.ffn) for x in model.blocks)
    caption = (f"The weights of block {block}, exact entries written in (blank = 0). "
               + (f"All {model.depth} blocks have these same weights; only their masks differ."
                  if same else "Other blocks have other weights."))
    return Figure("weights", f"Weight matrices of block {block}", caption,
                  svg_text(fig, "weights"))


def table_figure(narrative: Narrative) -> Figure:
    """Token x block table of the exact content channel; new values highlighted."""
    keep = text_layers(narrative)
    layers = [narrative.table_layers[i] for i in keep]
    rows = [(t, label, [values[i] for i in keep]) for t, label, values in narrative.table]
    fig = MplFigure(figsize=(min(1.8 + 1.35 * len(layers), 16), 0.9 + 0.32 * len(rows)))
    ax = fig.add_subplot()
    grid = []
    for t, label, values in rows:
        line = []
        for i, v in enumerate(values):
            line.append(0.0 if v == "0" else (1.0 if i == 0 or values[i - 1] != v else 0.4))
        grid.append(line)
    ax.imshow(grid or [[0.0]], cmap="Greens", vmin=0, vmax=1.6, aspect="auto",
              interpolation="nearest")
    for r, (t, label, values) in enumerate(rows):
        for c, v in enumerate(values):
            ax.text(c, r, v if len(v) <= 14 else v[:12] + "..", ha="center", va="center",
                    fontsize=8)
    ax.set_xticks(range(len(layers)))
    ax.set_xticklabels(["embedding" if k == 0 else f"after block {k}" for k in layers],
                       fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{t}: {label}" for t, label, _ in rows], fontsize=8)
    fig.tight_layout()
    ch = narrative.channels[narrative.content_channel]
    caption = (f"Channel {ch} of each token after each block (exact values). Dark: the value "
               "just changed; light: kept; white: zero.")
    if narrative.tokens_omitted:
        caption += f" {narrative.tokens_omitted} more token(s) are not shown."
    if len(layers) < narrative.table_layers[-1] + 1:
        caption += (f" Only the columns {', '.join(map(str, layers))} of blocks 0-"
                    f"{narrative.table_layers[-1]} are drawn (0 = the embedding).")
    return Figure("table", "Token x block table of exact values", caption,
                  svg_text(fig, "table"))


def _readout_value(model: Model, final) -> Fraction:
    y = Fraction(model.readout.bias)
    for t, c, v in model.readout.entries:
        y += v * final[t][c]
    return y


def _poly_at(poly, x: Fraction) -> Fraction:
    """A univariate PolyElement (rational coefficients) at x, exactly."""
    total = Fraction(0)
    for (e,), c in poly.items():
        total += Fraction(int(c.numerator), int(c.denominator)) * x ** e
    return total


def exact_samples(result: ResultLike, points: Sequence[Fraction]
                  ) -> tuple[list[tuple[Fraction, Fraction, Fraction, Fraction]], str]:
    """(x, target(x), model(x), model(x) - target(x)) exactly, for a 1-D rational
    target and a rational readout, with a sentence saying how the model was evaluated.

    Small models: one exact forward pass over QQ per point (the engine with
    RationalDomain). Large models: the exact output polynomial the trace computed,
    evaluated with Fractions. Raises ValueError if the target is not 1-D rational.
    """
    model, target = result.model, result.target
    if len(model.variables) != 1 or target.params:
        raise ValueError("exact samples need one variable and rational coefficients")
    if not all(isinstance(v, Fraction) for _, _, v in model.readout.entries) or \
            not isinstance(model.readout.bias, Fraction):
        raise ValueError("exact samples need a rational readout")
    out = []
    steps = model.tokens * max(1, model.depth)
    forward = steps * len(points) <= FORWARD_PASS_BUDGET * 10 and steps <= FORWARD_PASS_BUDGET
    final_polys = None if forward else result.trace.final
    for x in points:
        x = Fraction(x)
        want = _poly_at(target.poly, x)
        if forward:
            got = _readout_value(model, run(model, RationalDomain([x]), record=False).final)
        else:
            got = _readout_value(model, [[_poly_at(p, x) if p else Fraction(0) for p in row]
                                         for row in final_polys])
        out.append((x, want, got, got - want))
    how = ("one exact forward pass over the rationals per point" if forward else
           "the exact output polynomials of the trace, evaluated with Fractions")
    return out, how


def plot_figure(result: ResultLike, count: int = 81,
                interval: tuple[Fraction, Fraction] = (Fraction(-1), Fraction(1))) -> Figure | None:
    """Target and model output on [a, b] (1-D targets only) with the exact error."""
    try:
        a, b = interval
        points = [a + (b - a) * Fraction(i, count - 1) for i in range(count)]
        samples, how = exact_samples(result, points)
    except ValueError:
        return None
    xs = [float(s[0]) for s in samples]          # floats for drawing only
    fig = MplFigure(figsize=(7.5, 4.6))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.3]})
    top.plot(xs, [float(s[1]) for s in samples], color="#1f5fa8", lw=2.6, label="target p(x)")
    top.plot(xs, [float(s[2]) for s in samples], "o", color="#e07b00", ms=3.2,
             label="transformer output y(x)")
    top.legend(fontsize=9, loc="best")
    top.set_title(f"{result.target.as_expr()}", fontsize=10)
    errors = [s[3] for s in samples]
    worst = max((abs(e) for e in errors), default=Fraction(0))
    bottom.plot(xs, [float(e) for e in errors], color="#2a8a3a", lw=2)
    bottom.axhline(0, color="#888888", lw=0.6)
    if worst == 0:
        bottom.set_ylim(-1, 1)
    bottom.set_ylabel("error", fontsize=9)
    bottom.set_xlabel(result.model.variables[0], fontsize=9)
    bottom.text(0.01, 0.92, f"max |y - p| over the {len(samples)} points = {worst} (exact)",
                transform=bottom.transAxes, fontsize=8, va="top")
    fig.tight_layout()
    caption = (f"Target and transformer output at {len(samples)} rational points of "
               f"[{a}, {b}], computed exactly ({how}); the error y(x) - p(x) is exactly "
               + ("0 at every point." if worst == 0 else f"non-zero: largest |error| = {worst}.")
               + " Only the drawing uses floating point.")
    return Figure("plot", "Target and output (one variable)", caption, svg_text(fig, "plot"))


def all_figures(result: ResultLike, narrative: Narrative) -> list[Figure]:
    """Every figure that applies to this proof, small enough for any model size."""
    out = [tree_figure(narrative)]
    for f in (mask_figure(result.model, narrative), weights_figure(result.model),
              table_figure(narrative), plot_figure(result)):
        if f is not None:
            out.append(f)
    return out
