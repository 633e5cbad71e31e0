"""Figures of one proof as SVG text (matplotlib, Agg canvas, no pyplot state).

Figures: the parent tree of the tokens, the attention pattern of each block as a
heat-map (which keys the mask allows, which weights are non-zero, the exact
weights written in), the weight matrices with their exact entries, the token x
block table of exact contents and, for a target in one variable, target and model
output on top of each other with the error curve; for two variables, target and
output as heat-maps over the plot box with the exact error at every grid point.
Every label is matplotlib mathtext (``$x^{2} y$``). The error is computed EXACTLY,
with Fractions, at every plotted point (the model by an exact forward pass over QQ);
only the drawing turns the exact values into floats, and the caption says so.

Large models are drawn in part (the first tokens and blocks, a coarser grid) and the
caption says how much was left out, so every figure stays small.
"""
from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Sequence, cast

import matplotlib
import sympy
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure
from sympy.polys.rings import PolyElement

from ..engine import RationalDomain, Trace, run
from ..model import ExactMatrix, Model
from ..poly.box import Box, box_from_meta
from ..poly.display import name_latex
from .formula import formula, mathtext_label, name_label, rich_text, unicode_powers
from .narrative import Narrative, ResultLike, TokenInfo, channel_names, refutation
from .render_text import text_layers

#: At most this many tokens / blocks are drawn in any figure.
FIGURE_TOKENS = 24
FIGURE_BLOCKS = 6
#: Cells of an attention heat-map get their exact weight written in up to this size.
ANNOTATE_TOKENS = 10
#: Above this many (token x block) steps the plots evaluate the exact output
#: polynomials of the trace instead of one exact forward pass per point.
FORWARD_PASS_BUDGET = 20_000
#: Grid of the 2-D heat-map: GRID x GRID points, GRID_LARGE for models with more
#: than GRID_LARGE_TOKENS tokens (the exact evaluation cost stays bounded).
GRID = 21
GRID_LARGE = 11
GRID_LARGE_TOKENS = 60
#: Plotted values are clipped here for drawing (floats overflow near 1e308).
DRAW_LIMIT = 1e300
#: A plotted box must have bounds and denominators at most this large (a drawing range).
MAX_PLOT_BOUND = 10 ** 6

#: A sample point: a Fraction for one variable, a tuple of Fractions otherwise.
SamplePoint = Fraction | tuple[Fraction, ...]
#: (x, target(x), model(x), model(x) - target(x)), all exact.
Sample = tuple[SamplePoint, Fraction, Fraction, Fraction]


def too_large_to_draw(box: Box) -> str | None:
    """Why the box is too large to draw (a bound or denominator above MAX_PLOT_BOUND)."""
    for lo, hi in box.intervals:
        for v in (lo, hi):
            if abs(v) > MAX_PLOT_BOUND or v.denominator > MAX_PLOT_BOUND:
                return (f"plot box bound {v} is too large to draw (at most "
                        f"{MAX_PLOT_BOUND} in size and denominator)")
    return None


def drawable_part(box: Box) -> Box | None:
    """The box itself if drawable, else a drawable box inside it (each interval cut to
    [-MAX_PLOT_BOUND, MAX_PLOT_BOUND] and its ends rounded inwards to the coarsest
    power-of-ten grid that keeps lo < hi), else None. A sub-box, because a proof on a
    box claims nothing outside it."""
    if too_large_to_draw(box) is None:
        return box
    out = []
    for lo, hi in box.intervals:
        lo, hi = max(lo, Fraction(-MAX_PLOT_BOUND)), min(hi, Fraction(MAX_PLOT_BOUND))
        for k in range(7):
            scale = 10 ** k
            a, b = Fraction(math.ceil(lo * scale), scale), Fraction(math.floor(hi * scale), scale)
            if a < b:
                out.append((a, b))
                break
        else:
            return None
    return Box(tuple(out))


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
    with matplotlib.rc_context({"svg.hashsalt": salt, "svg.fonttype": "none",
                                "font.sans-serif": ["DejaVu Sans", "sans-serif"]}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    return re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)


def _labels(narrative: Narrative, count: int) -> list[str]:
    return [t.label.mathtext() for t in narrative.tokens[:count]]


def tree_figure(narrative: Narrative, limit: int = FIGURE_TOKENS) -> Figure:
    """The tokens as a tree: column = the block that fills the token, arrow = parent."""
    tokens = narrative.tokens[:limit]
    columns: dict[int, list[TokenInfo]] = {}
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
        ax.text(x, y, t.label.mathtext(), ha="center", va="center", fontsize=10,
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


def block_weights(model: Model, trace: Trace, k: int,
                  limit: int) -> dict[tuple[int, int], object]:
    """Exact attention weights w_tj of block k for queries t < limit, recomputed from the
    recorded scores: w = phi(s) row by row (identity, relu, or softmax over the keys the
    mask allows). Pairs the mask forbids are absent. A weight the domain cannot give
    exactly (it never happens after a completed exact pass) is absent too."""
    att = model.blocks[k - 1].attention
    dom = trace.domain
    scores = trace.blocks[k - 1].scores if k - 1 < len(trace.blocks) else {}
    out: dict[tuple[int, int], object] = {}
    for t in range(min(limit, model.tokens)):
        keys = att.mask.allowed[t] if att.mask is not None else range(model.tokens)
        row = [(j, scores[(t, j)]) for j in keys if (t, j) in scores]
        if not row:
            continue
        try:
            if att.activation == "softmax":
                weights = dom.softmax([s for _, s in row])
            elif att.activation == "relu":
                weights = [dom.relu(s) for _, s in row]
            else:
                weights = [s for _, s in row]
        except Exception:     # noqa: BLE001 - not exact here: draw the pair as allowed only
            continue
        for (j, _), w in zip(row, weights):
            out[(t, j)] = w
    return out


def attention_figure(result: ResultLike, narrative: Narrative, k: int,
                     limit: int = FIGURE_TOKENS) -> Figure | None:
    """Block k's attention pattern: row = the token asking, column = the key; white:
    the mask forbids the pair, light: allowed with weight exactly 0, dark: non-zero
    weight (written in, exactly, for small models)."""
    model, trace = result.model, result.trace
    if trace is None or not 1 <= k <= model.depth:  # no trace: nothing to draw
        return None
    att = model.blocks[k - 1].attention
    n = min(model.tokens, limit, len(narrative.tokens))
    weights = block_weights(model, trace, k, n)
    grid = [[0.0] * n for _ in range(n)]
    for t in range(n):
        keys = att.mask.allowed[t] if att.mask is not None else range(model.tokens)
        for j in keys:
            if j < n:
                grid[t][j] = 0.35
    for (t, j), w in weights.items():
        if j < n and w:
            grid[t][j] = 1.0
    side = 2.0 + 0.2 * n
    fig = MplFigure(figsize=(min(side + 0.6, 8.0), min(side + 0.3, 7.5)))
    ax = fig.add_subplot()
    ax.imshow(grid, cmap="Blues", vmin=0, vmax=1.2, interpolation="nearest")
    small = n <= 12
    ticks = list(range(n)) if small else list(range(0, n, 5))
    labels = _labels(narrative, n)
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.set_xticklabels([labels[i] for i in ticks] if small else [str(i) for i in ticks],
                       fontsize=9, rotation=90 if small else 0)
    ax.set_yticklabels([labels[i] for i in ticks] if small else [str(i) for i in ticks],
                       fontsize=9)
    ax.set_xlabel("key (looked at)", fontsize=9)
    ax.set_ylabel("query token", fontsize=9)
    dom = trace.domain
    written = 0
    if n <= ANNOTATE_TOKENS:
        for (t, j), w in weights.items():
            f = formula(dom.to_sympy(w), 14) if j < n and w else None
            if f is not None and len(f.text) <= 4:      # longer weights do not fit a cell
                ax.text(j, t, f.mathtext(), ha="center", va="center", fontsize=8,
                        color="white")
                written += 1
    ax.set_title(f"block {k}: attention weights ({att.activation})", fontsize=10)
    fig.tight_layout()
    caption = ("Dark: a non-zero exact weight" + (" (written in)" if written else "")
               + "; light: allowed, weight 0; white: masked.")
    if n < model.tokens:
        caption += f" Only the first {n} of {model.tokens} tokens are drawn."
    return Figure(f"attention-{k}", f"Attention of block {k}", caption,
                  svg_text(fig, f"attention{k}"))


def _number(v: Fraction | sympy.Expr) -> str:
    return formula(sympy.Rational(v.numerator, v.denominator) if isinstance(v, Fraction)
                   else v).mathtext()


def _matrix_panel(ax: Axes, matrix: ExactMatrix, title: str, rows: Sequence[str],
                  cols: Sequence[str]) -> None:
    r, c = min(matrix.rows, 16), min(matrix.cols, 16)
    grid = [[0.0] * c for _ in range(r)]
    for i, j, v in matrix.entries:
        if i < r and j < c:
            grid[i][j] = 1.0 if v > 0 else -1.0
            ax.text(j, i, _number(v), ha="center", va="center", fontsize=9)
    ax.imshow(grid, cmap="coolwarm", vmin=-2, vmax=2, interpolation="nearest")
    ax.set_title(title, fontsize=10)
    ax.set_xticks(range(c))
    ax.set_yticks(range(r))
    ax.set_xticklabels([name_label(n) for n in list(cols)[:c]],
                       fontsize=9)
    ax.set_yticklabels([name_label(n) for n in list(rows)[:r]],
                       fontsize=9)


def weights_figure(model: Model, block: int = 1) -> Figure | None:
    """The weight matrices of one block, with their exact entries written in."""
    if model.depth == 0:
        return None
    b = model.blocks[block - 1]
    att = b.attention
    names = channel_names(model)
    heads = [f"h{i}" for i in range(max(att.wq.cols, att.wv.cols))]
    panels = [(att.wq, "$W_Q$ (query)", names, heads), (att.wk, "$W_K$ (key)", names, heads),
              (att.wv, "$W_V$ (value)", names, heads), (att.wo, "$W_O$ (output)", heads, names)]
    if b.ffn is not None:
        hid = [f"f{i}" for i in range(b.ffn.w1.cols)]
        panels += [(b.ffn.w1, f"$W_1$ (FFN, {b.ffn.activation})", names, hid),
                   (b.ffn.w2, "$W_2$ (FFN)", hid, names)]
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
            line.append(0.0 if v.is_zero else
                        (1.0 if i == 0 or values[i - 1].text != v.text else 0.4))
        grid.append(line)
    ax.imshow(grid or [[0.0]], cmap="Greens", vmin=0, vmax=1.6, aspect="auto",
              interpolation="nearest")
    for r, (t, label, values) in enumerate(rows):
        for c, v in enumerate(values):
            ax.text(c, r, v.mathtext() if len(v.text) <= 14 else
                    formula(v.items[0], 10).mathtext(), ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(layers)))
    ax.set_xticklabels(["embedding" if k == 0 else f"after block {k}" for k in layers],
                       fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{t}: " + label.mathtext() for t, label, _ in rows], fontsize=8)
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


def _readout_value(model: Model, final: Sequence[Sequence[Fraction]]) -> Fraction:
    y = Fraction(model.readout.bias)
    for t, c, v in model.readout.entries:
        y += v * final[t][c]
    return y


def _poly_at(poly: PolyElement, point: Sequence[Fraction]) -> Fraction:
    """A PolyElement with rational coefficients at a rational point, exactly."""
    total = Fraction(0)
    for mon, c in poly.items():
        term = Fraction(int(c.numerator), int(c.denominator))
        for x, e in zip(point, mon):
            if e:
                term *= x ** e
        total += term
    return total


def exact_samples(result: ResultLike, points: Sequence[SamplePoint]
                  ) -> tuple[list[Sample], str]:
    """(x, target(x), model(x), model(x) - target(x)) exactly at rational points (a
    Fraction each for one variable, a tuple of Fractions otherwise), for a rational
    target and readout, with a sentence saying how the model was evaluated.

    Small models: one exact forward pass over QQ per point (the engine with
    RationalDomain). Large models: the exact output polynomials the trace computed,
    evaluated with Fractions. Raises ValueError if the target or readout is not
    rational, or a point has the wrong dimension.
    """
    model, target = result.model, result.target
    d = len(model.variables)
    if d == 0 or target.params or len(target.variables) != d:
        raise ValueError("exact samples need variables and rational coefficients")
    if not all(isinstance(v, Fraction) for _, _, v in model.readout.entries) or \
            not isinstance(model.readout.bias, Fraction):
        raise ValueError("exact samples need a rational readout")
    out: list[Sample] = []
    steps = model.tokens * max(1, model.depth)
    forward = steps * len(points) <= FORWARD_PASS_BUDGET * 10 and steps <= FORWARD_PASS_BUDGET
    forward = forward or result.trace is None  # no recorded trace: run the model itself
    final_polys = None if forward or result.trace is None else result.trace.final
    for x in points:
        vec = tuple(Fraction(v) for v in x) if isinstance(x, (tuple, list)) else (Fraction(x),)
        if len(vec) != d:
            raise ValueError(f"a point needs {d} coordinate(s)")
        want = _poly_at(target.poly, vec)
        if forward:
            got = _readout_value(model, run(model, RationalDomain(vec), record=False).final)
        else:       # only the entries the readout weighs are evaluated
            assert final_polys is not None      # set whenever forward is False
            got = Fraction(model.readout.bias)
            for t, c, v in model.readout.entries:
                p = final_polys[t][c]
                got += v * (_poly_at(p, vec) if p else Fraction(0))
        out.append((vec if d > 1 else vec[0], want, got, got - want))
    how = ("one exact forward pass over the rationals per point" if forward else
           "the exact output polynomials of the trace, evaluated with Fractions")
    return out, how


def _draw(v: Fraction) -> float:
    """A float for drawing only (huge values clipped at DRAW_LIMIT)."""
    try:
        f = float(v)
    except OverflowError:
        f = math.inf if v > 0 else -math.inf
    return max(-DRAW_LIMIT, min(DRAW_LIMIT, f))


def _title(result: ResultLike, names: Sequence[str]) -> str:
    """``$p(x, y) = ...$`` with every name typeset by the one naming rule."""
    f = formula(result.target.as_expr(), 60)
    lhs = "p(" + ", ".join(name_latex(n) for n in names) + ")"
    return mathtext_label(f"{lhs} = {f.latex}", f"p({', '.join(names)}) = {f.text}")


def plot_figure(result: ResultLike, count: int = 81, box: Box | None = None) -> Figure | None:
    """Target and model output on the interval ``box`` (default [-1, 1]; 1-D targets
    only) with the exact error."""
    if len(result.model.variables) != 1:
        return None
    box = box or Box.cube(-1, 1, 1)
    (a, b), = box.intervals
    try:
        points = [a + (b - a) * Fraction(i, count - 1) for i in range(count)]
        samples, how = exact_samples(result, points)
    except ValueError:
        return None
    var = result.model.variables[0]
    xs = [float(cast(Fraction, s[0])) for s in samples]   # one variable; floats for drawing only
    fig = MplFigure(figsize=(7.5, 4.6))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.3]})
    top.plot(xs, [_draw(s[1]) for s in samples], color="#1f5fa8", lw=2.6,
             label="target " + name_label(var, "p({})"))
    top.plot(xs, [_draw(s[2]) for s in samples], "o", color="#e07b00", ms=3.2,
             label="transformer output " + name_label(var, "y({})"))
    top.legend(fontsize=9, loc="best")
    top.set_title(_title(result, (var,)), fontsize=10)
    errors = [s[3] for s in samples]
    worst = max((abs(e) for e in errors), default=Fraction(0))
    refuted = not result.verdict.holds
    bottom.plot(xs, [_draw(e) for e in errors], color="#b3261e" if refuted else "#2a8a3a", lw=2)
    bottom.axhline(0, color="#888888", lw=0.6)
    if worst == 0:
        bottom.set_ylim(-1, 1)
    bottom.set_ylabel("error $y - p$", fontsize=9)
    bottom.set_xlabel(name_label(var), fontsize=9)
    bottom.text(0.01, 0.92, f"max $|y - p|$ over the {len(samples)} points = "
                + _number(worst) + " (exact)", transform=bottom.transAxes, fontsize=8, va="top")
    fig.tight_layout()
    caption = (f"Target and transformer output at {len(samples)} rational points of "
               f"[{a}, {b}], computed exactly ({how}); the error y(x) - p(x) is exactly "
               + (_vanishes_but_differs(result) if worst == 0 and refuted else
                  "0 at every point." if worst == 0 else
                  f"non-zero: largest |error| = {worst}.")
               + " Only the drawing uses floating point.")
    return Figure("plot", "Target and output (one variable)", caption, svg_text(fig, "plot"))


def _vanishes_but_differs(result: ResultLike, where: str = "0 at every sampled point") -> str:
    """The caption of a refuted claim whose error is 0 at every sampled point: a
    non-zero polynomial can vanish on a whole grid, so the points prove nothing."""
    return (f"{where}, but the polynomials differ (REFUTED: "
            f"{unicode_powers(rich_text(refutation(result.verdict)))}); a non-zero "
            "polynomial can vanish at every sampled point.")


def grid_side(model: Model) -> int:
    """Points per side of the 2-D heat-map grid (coarser for large models)."""
    return GRID if model.tokens <= GRID_LARGE_TOKENS else GRID_LARGE


def plot2d_figure(result: ResultLike, box: Box | None = None,
                  side: int | None = None) -> Figure | None:
    """Target and model output as heat-maps (with contour lines) over the box (default
    [-1, 1]^2; 2-variable targets only), and the exact error y - p at every grid point
    (one cell per point: green where it is exactly 0, red where not)."""
    model = result.model
    if len(model.variables) != 2:
        return None
    refuted = not result.verdict.holds
    box = box or Box.cube(-1, 1, 2)
    side = side or grid_side(model)
    (a0, b0), (a1, b1) = box.intervals
    xs = [a0 + (b0 - a0) * Fraction(i, side - 1) for i in range(side)]
    ys = [a1 + (b1 - a1) * Fraction(j, side - 1) for j in range(side)]
    try:
        samples, how = exact_samples(result, [(x, y) for y in ys for x in xs])
    except ValueError:
        return None
    target = [[_draw(samples[j * side + i][1]) for i in range(side)] for j in range(side)]
    output = [[_draw(samples[j * side + i][2]) for i in range(side)] for j in range(side)]
    errors = [s[3] for s in samples]
    wrong = sum(1 for e in errors if e != 0)
    worst = max(abs(e) for e in errors)
    status = [[0.0 if samples[j * side + i][3] == 0 else 1.0 for i in range(side)]
              for j in range(side)]
    lo = min(min(r) for r in target + output)
    hi = max(max(r) for r in target + output)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    extent = (float(a0), float(b0), float(a1), float(b1))
    u, v = model.variables
    fig = MplFigure(figsize=(11.5, 3.9), layout="constrained")
    axes = fig.subplots(1, 3)
    for ax, grid, title in ((axes[0], target, _title(result, (u, v))),
                            (axes[1], output, "transformer output "
                             + mathtext_label(f"y({name_latex(u)}, {name_latex(v)})",
                                              f"y({u}, {v})"))):
        im = ax.imshow(grid, origin="lower", extent=extent, cmap="viridis", vmin=lo, vmax=hi,
                       interpolation="nearest", aspect="auto")
        if side >= 5 and hi - lo > 0:
            ax.contour([float(x) for x in xs], [float(y) for y in ys], grid, levels=8,
                       colors="white", linewidths=0.6, alpha=0.7)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(name_label(u), fontsize=9)
        ax.set_ylabel(name_label(v), fontsize=9)
    fig.colorbar(im, ax=axes[:2], shrink=0.85)
    from matplotlib.colors import ListedColormap
    axes[2].imshow(status, origin="lower", extent=extent, aspect="auto", vmin=0, vmax=1,
                   cmap=ListedColormap(["#f3d9a4" if refuted else "#cdebd3", "#e0483c"]),
                   interpolation="nearest")
    axes[2].set_title(f"exact error $y - p$ at {side}$\\times${side} points", fontsize=10)
    axes[2].text(0.5, 0.5, "$y - p = 0$ at the\nsampled points, but\nthe polynomials differ"
                 if refuted and not wrong else "$y - p = 0$\nat every point" if not wrong else
                 f"{wrong} point(s)\nwith $y \\neq p$", transform=axes[2].transAxes,
                 ha="center", va="center", fontsize=13,
                 bbox=dict(boxstyle="round", fc="white",
                           ec="#b3261e" if wrong or refuted else "#2a8a3a"))
    axes[2].set_xlabel(name_label(u), fontsize=9)
    n = side * side
    caption = (f"Target p and transformer output y over the box {box}, sampled at a "
               f"{side} x {side} grid of rational points and computed exactly ({how}). "
               "The right panel marks every grid point by its exact error y - p: "
               + (_vanishes_but_differs(result, f"0 at all {n} points")
                  if refuted and not wrong else f"it is 0 at all {n} points." if not wrong else
                  f"it is non-zero at {wrong} of the {n} points (largest |error| = {worst}).")
               + " Only the colours use floating point.")
    return Figure("plot2d", "Target and output over the box (two variables)", caption,
                  svg_text(fig, "plot2d"))


def _not_drawn(result: ResultLike, box: Box) -> Figure | None:
    """The note that stands in for the plot when the model's box has no drawable part."""
    d = len(result.model.variables)
    if d not in (1, 2):
        return None
    fig = MplFigure(figsize=(6, 0.7))
    fig.text(0.5, 0.5, "not drawn: the box is too large to draw", ha="center", va="center")
    caption = (f"The model was built for the box {box}, which has no part with bounds and "
               f"denominators at most {MAX_PLOT_BOUND}; the plot is left out (the proof is "
               "not affected).")
    name = "plot" if d == 1 else "plot2d"
    return Figure(name, "Target and output (not drawn)", caption, svg_text(fig, name))


def all_figures(result: ResultLike, narrative: Narrative, plot_domain: Box | None = None
                ) -> list[Figure]:
    """Every figure that applies to this proof, small enough for any model size: the
    tree, the weights, the table, the 1-D or 2-D plot over ``plot_domain`` (default
    [-1, 1]^d; with a note when it is a part of the model's box, which is too large to
    draw; no plot when the model's box has no drawable part), and the attention of the
    first FIGURE_BLOCKS blocks shown."""
    out = [tree_figure(narrative)]
    shown = [b.index for b in narrative.blocks][:FIGURE_BLOCKS]
    plots: tuple[Figure | None, ...] = (plot_figure(result, box=plot_domain),
                                        plot2d_figure(result, box=plot_domain))
    model_box = box_from_meta(result.model.info["box"]) if "box" in result.model.info else None
    if model_box is not None and too_large_to_draw(model_box):
        if plot_domain is None:             # the model's box has no drawable part
            plots = (_not_drawn(result, model_box),)
        elif plot_domain == drawable_part(model_box):
            note = (f" The model was built for the box {model_box}, too large to draw; the "
                    f"plot shows the part {plot_domain} of it.")
            plots = tuple(f and replace(f, caption=f.caption + note) for f in plots)
    for f in (weights_figure(result.model), table_figure(narrative), *plots,
              *(attention_figure(result, narrative, k) for k in shown)):
        if f is not None:
            out.append(f)
    return out
