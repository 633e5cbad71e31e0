"""The walk-through as one self-contained HTML file: inline CSS, inline SVG figures,
every formula as presentation MathML (rendered natively by Chromium, Firefox and
Safari), no external URL, no JavaScript library (one tiny inline script writes a
marker element saying how many figures the page holds, so a browser test can see
that the page was rendered and scripted without error).

Navigation needs no script: a <nav> table of contents links every section and every
block, each block is a <details> element with previous/next links, and a large
model opens with a summary table of its blocks while their details start folded.
"""
from __future__ import annotations

from html import escape
from typing import Mapping, Sequence, cast

from .figures import Figure
from .formula import Formula, Piece, Rich, unicode_powers
from .narrative import BlockStep, Narrative
from .render_text import text_layers

#: A model with more blocks or tokens than this opens with its blocks folded.
FOLD_BLOCKS = 6
FOLD_TOKENS = 30
#: Under a block's table of steps, this many steps are also told in words.
WORDS_SHOWN = 3
#: A formula whose plain text is longer than this scrolls inside its own box.
WIDE_FORMULA = 70

CSS = """
.xf-report { font-family: Georgia, 'DejaVu Serif', serif; color: #1d2430; max-width: 1100px;
  margin: 0 auto; padding: 0 18px 40px; line-height: 1.5; background: #ffffff; }
.xf-report p, .xf-report li { overflow-wrap: break-word; }
.xf-report h1 { font-size: 1.6em; border-bottom: 3px solid #34507a; padding-bottom: 6px; }
.xf-report h2 { font-size: 1.25em; color: #34507a; margin-top: 1.4em; }
.xf-report math { font-family: 'STIX Two Math', 'Latin Modern Math', 'DejaVu Math TeX Gyre',
  math; font-size: 1.08em; }
.xf-report .xf-wide { display: inline-block; max-width: 100%; overflow-x: auto;
  vertical-align: middle; }
.xf-report .xf-scroll { max-width: 100%; overflow-x: auto; }
.xf-report table { border-collapse: collapse; margin: 8px 0; font-size: 0.92em; }
.xf-report th, .xf-report td { border: 1px solid #c9d2e0; padding: 3px 8px; text-align: left;
  vertical-align: middle; }
.xf-report th { background: #e8eef7; white-space: nowrap; }
.xf-report td.new { background: #d9f0dc; }
.xf-report ul.steps li { margin-bottom: 0.5em; }
.xf-report .muted { color: #66707f; font-style: italic; }
.xf-report nav.xf-toc { border: 1px solid #c9d2e0; background: #f5f8fc; border-radius: 6px;
  padding: 6px 14px; margin: 12px 0; }
.xf-report nav.xf-toc ol { margin: 4px 0; padding-left: 0; list-style: none; display: flex;
  flex-wrap: wrap; gap: 2px 18px; }
.xf-report nav.xf-toc ol.xf-blocks { display: inline-flex; gap: 2px 8px; margin: 0 0 0 6px; }
.xf-report nav.xf-toc ol.xf-blocks a { font-size: 0.92em; }
.xf-report .xf-row { display: flex; flex-wrap: wrap; gap: 4px 18px; align-items: flex-start; }
.xf-report .xf-row > figure { flex: 0 1 300px; margin: 4px 0; }
.xf-report .xf-row > .xf-scroll { flex: 0 1 auto; }
.xf-report .xf-wide-fig > figure { flex: 1 1 420px; }
.xf-report table.xf-facts { table-layout: fixed; width: 100%; max-width: 900px; }
.xf-report table.xf-facts th { background: none; font-weight: normal; color: #44505f;
  width: 9em; }
.xf-report a { color: #1f4f96; }
.xf-report td a { white-space: nowrap; }
.xf-report details.xf-block { border: 1px solid #c9d2e0; border-radius: 6px; margin: 10px 0;
  padding: 2px 12px; background: #fcfdff; }
.xf-report details.xf-block > summary { cursor: pointer; font-weight: bold; padding: 4px 0; }
.xf-report details.xf-more > summary { cursor: pointer; color: #34507a; }
.xf-report .xf-pager { font-size: 0.9em; margin: 6px 0; }
.xf-report .xf-pager a { margin-right: 1.2em; }
.xf-report figure { margin: 14px 0; padding: 8px; border: 1px solid #dde3ec; background: #fbfcfe; }
.xf-report figure svg { max-width: 100%; height: auto; }
.xf-report figcaption { font-size: 0.9em; color: #44505f; }
.xf-report .verdict { font-size: 1.1em; padding: 10px 14px; border-radius: 6px; }
.xf-report .proved { background: #dff3e3; border: 2px solid #2a8a3a; }
.xf-report .refuted { background: #fbe3e1; border: 2px solid #b3261e; }
.xf-report .warn { color: #b3261e; font-weight: bold; }
"""

SCRIPT = """
(function () {
  var n = document.querySelectorAll('figure svg').length;
  var marker = document.createElement('p');
  marker.id = 'xf-rendered';
  marker.className = 'muted';
  marker.textContent = 'Rendered: ' + n + ' figure(s).';
  document.querySelector('.xf-report').appendChild(marker);
})();
"""


def math(f: Formula) -> str:
    """A formula as inline MathML; a long one in its own horizontally scrolling box."""
    if len(f.text) > WIDE_FORMULA:
        return f'<span class="xf-wide">{f.mathml}</span>'
    return f.mathml


def piece(p: Piece) -> str:
    """Text escaped (newlines become line breaks), formulas as MathML."""
    if isinstance(p, Formula):
        return math(p)
    return "<br>".join(escape(unicode_powers(line)) for line in str(p).split("\n"))


def rich(r: Rich) -> str:
    return "".join(piece(p) for p in r)


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "") -> str:
    """A table (in a horizontally scrolling box); head and cells are HTML already."""
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in r)
                   + "</tr>" for r in rows)
    attr = f' class="{cls}"' if cls else ""
    return (f'<div class="xf-scroll"><table{attr}><thead><tr>{th}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def _figure(f: Figure | None) -> str:
    if f is None:
        return ""
    return (f'<figure id="fig-{escape(f.name)}">{f.svg}<figcaption><b>{escape(f.title)}.</b> '
            f"{escape(f.caption)}</figcaption></figure>")


def _folded(title: str, body: str, opened: bool = False) -> str:
    return (f'<details class="xf-more"{" open" if opened else ""}><summary>{title}</summary>'
            f"{body}</details>")


def is_large(narrative: Narrative) -> bool:
    """Large models open with a summary table and folded blocks."""
    return (narrative.blocks_total > FOLD_BLOCKS or narrative.tokens_total > FOLD_TOKENS
            or len(narrative.blocks) > FOLD_BLOCKS)


SECTIONS = (("summary", "Summary"), ("tokens", "The tokens and their parent tree"),
            ("embedding", "The embedding"), ("blocks", "The blocks"),
            ("table", "Values after each block"), ("readout", "The readout"),
            ("verdict", "Verdict"))


def _nav(narrative: Narrative) -> str:
    items = []
    for key, title in SECTIONS:
        sub = ""
        if key == "blocks" and narrative.blocks:
            sub = '<ol class="xf-blocks">' + "".join(
                f'<li><a href="#block-{b.index}">block {b.index}</a></li>'
                for b in narrative.blocks) + "</ol>"
        items.append(f'<li><a href="#{key}">{escape(title)}</a>{sub}</li>')
    return ('<nav class="xf-toc" id="contents" aria-label="Contents"><b>Contents</b><ol>'
            + "".join(items) + "</ol></nav>")


def _section(key: str, number: int) -> str:
    title = dict(SECTIONS)[key]
    return f'<h2 id="{key}">{number}. {escape(title)}</h2>'


def _pager(narrative: Narrative, i: int) -> str:
    """Previous / contents / next links under block number i (position in the list)."""
    blocks = narrative.blocks
    links = []
    if i > 0:
        links.append(f'<a href="#block-{blocks[i - 1].index}" rel="prev">&#8592; block '
                     f"{blocks[i - 1].index}</a>")
    links.append('<a href="#contents">&#8593; contents</a>')
    if i + 1 < len(blocks):
        links.append(f'<a href="#block-{blocks[i + 1].index}" rel="next">block '
                     f"{blocks[i + 1].index} &#8594;</a>")
    else:
        links.append('<a href="#table" rel="next">values after each block &#8594;</a>')
    return '<p class="xf-pager">' + "".join(links) + "</p>"


def _steps_table(b: BlockStep) -> str:
    """Single-key steps as one row each: who looks at whom, score, weight, value, gain."""
    rows = []
    for s in b.steps:
        ks = s.keys[0]
        now = ", ".join(f"{escape(ch)} = {math(after)}" for ch, _, after in s.changes) or "-"
        warn = "" if s.consistent else ' <span class="warn">recomputed values differ</span>'
        rows.append([math(s.label) + warn, math(ks.key_label), math(ks.query),
                     math(ks.key_vector), math(ks.score), math(ks.weight), math(ks.value),
                     piece(s.product), now])
    return _table(["token", "looks at", "query", "key", "score", "weight", "value",
                   "gains weight&#xB7;value", "now"], rows, "xf-steps")


def _block(narrative: Narrative, i: int, opened: bool, figures: Mapping[str, Figure]) -> str:
    b = narrative.blocks[i]
    mask = (f"{b.allowed_pairs} allowed pair(s) in its mask" if b.allowed_pairs is not None
            else "no mask")
    extra = f", feed-forward {b.ffn}" if b.ffn else ""
    degrees = sorted({s.degree for s in b.steps if s.degree is not None})
    fills = (f" &#8212; fills {b.changed} token(s)"
             + (f" of degree {', '.join(map(str, degrees))}" if degrees else ""))
    p = [f'<details class="xf-block" id="block-{b.index}"{" open" if opened else ""}>'
         f"<summary>Block {b.index}{fills}</summary>",
         f'<p><span class="muted">Scores: {escape(b.activation)}, {mask}{escape(extra)}.'
         f"</span> {escape(b.summary)}</p>"]
    single = b.steps and all(len(s.keys) == 1 and s.keys[0].query.kind == "vector"
                             and len(s.keys[0].query.items) == 1
                             and len(s.keys[0].value.items) == 1 for s in b.steps)
    items = []
    told = b.steps[:WORDS_SHOWN] if single else b.steps
    for step in told:
        text = rich(step.parts)
        if not step.consistent:
            text += ' <span class="warn">Recomputed values differ from the trace.</span>'
        items.append(f"<li>{text}</li>")
    if single and len(b.steps) > len(told):
        items.append(f'<li class="muted">The other {len(b.steps) - len(told)} row(s) of the '
                     "table read the same way.</li>")
    elif b.omitted:
        items.append(f'<li class="muted">... {b.omitted} more changed token(s) omitted.</li>')
    sentences = '<ul class="steps">' + "".join(items) + "</ul>"
    fig = _figure(figures.get(f"attention-{b.index}"))
    if single:
        p.append(f'<div class="xf-row">{_steps_table(b)}{fig}</div>')
        if b.omitted:
            p.append(f'<p class="muted">... {b.omitted} more changed token(s) omitted.</p>')
        p.append(_folded("In words, token by token", sentences, opened=(i == 0 and opened)))
    else:
        p.append(sentences)
        p.append(fig)
    p.append(_pager(narrative, i))
    p.append("</details>")
    return "".join(x for x in p if x)


def _summary_table(narrative: Narrative) -> str:
    rows = [[f'<a href="#block-{b.index}">block {b.index}</a>', escape(b.activation),
             str(b.changed), escape(b.summary)] for b in narrative.blocks]
    return _table(["block", "scores", "tokens changed", "what happens"], rows)


def render_html_fragment(narrative: Narrative, figures: Sequence[Figure] = ()) -> str:
    """The report body as one <div class="xf-report"> with its own scoped style."""
    figs = {f.name: f for f in figures}
    large = is_large(narrative)
    cls = "proved" if narrative.holds else "refuted"
    word, _, rest = cast(str, narrative.verdict_text[0]).partition(" ")   # "PROVED (rung)..."
    verdict_html = (f"<b>{escape(word)}</b> " + piece(rest) + rich(narrative.verdict_text[1:]))
    p: list[str] = [f"<style>{CSS}</style>", '<div class="xf-report">',
                    f'<h1 id="top">{rich(narrative.heading)}</h1>', _nav(narrative)]
    p.append(_section("summary", 1))
    p.append(f'<p class="verdict {cls}"><b>{escape(narrative.verdict.upper())}</b> &#8212; '
             f'details in <a href="#verdict">the verdict</a>.</p>')
    facts = "".join(f"<tr><th>{escape(k)}</th><td>{piece(v)}</td></tr>" for k, v in narrative.facts)
    p.append(f'<div class="xf-scroll"><table class="xf-facts"><tbody>{facts}</tbody></table></div>')
    if large:
        p.append(f"<p>A large model: the {len(narrative.blocks)} block(s) below start folded; "
                 "open one from this table or the contents.</p>")
        p.append(_summary_table(narrative))
    p.append(_section("tokens", 2))
    p += [f"<p>{escape(line)}</p>" for line in narrative.intro]
    rows = []
    for t in narrative.tokens:
        parents = ", ".join(math(narrative.tokens[q].label) if q < len(narrative.tokens)
                            else str(q) for q in t.parents) or "-"
        rows.append([str(t.index), math(t.label), "-" if t.degree is None else str(t.degree),
                     parents, f"block {t.filled_in}" if t.filled_in else "embedding"])
    p.append('<div class="xf-row xf-wide-fig">'
             + _table(["token", "name", "degree", "parent", "filled by"], rows)
             + _figure(figs.get("tree")) + "</div>")
    if narrative.tokens_omitted:
        p.append(f'<p class="muted">... {narrative.tokens_omitted} more token(s) omitted.</p>')
    p.append(_section("embedding", 3))
    p.append("<p>What each token holds before the first block (exact values):</p>")
    p.append(_table(["token"] + [escape(c) for c in narrative.channels],
                    [[math(t.label)] + [math(v) for _, v in t.embedding]
                     for t in narrative.tokens]))
    p.append(_section("blocks", 4))
    p.append(f"<p>{rich(narrative.shared_weights)}</p>")
    if any(f"attention-{b.index}" in figs for b in narrative.blocks):
        p.append("<p>Each block shows its attention as a heat-map: row t is the token asking, "
                 "column j the key it looks at; the weights are recomputed exactly from the "
                 "scores the forward pass recorded.</p>")
    p.append(_figure(figs.get("weights")))
    p.append(_figure(figs.get("masks")))
    for i in range(len(narrative.blocks)):
        p.append(_block(narrative, i, not large, figs))
    if narrative.blocks_omitted:
        p.append(f'<p class="muted">... {narrative.blocks_omitted} more block(s) omitted; together '
                 f"they change {narrative.blocks_omitted_changed} token(s).</p>")
    ch = narrative.channels[narrative.content_channel]
    p.append(f'<h2 id="table">5. Channel {escape(ch)} of each token after each block</h2>')
    cols = text_layers(narrative)
    head = ["token"] + ["embedding" if narrative.table_layers[i] == 0
                        else f"block {narrative.table_layers[i]}" for i in cols]
    rows = []
    for _, lab, values in narrative.table:
        cells = [math(lab)]
        for n, i in enumerate(cols):
            new = n > 0 and not values[i].is_zero and values[i].text != values[cols[n - 1]].text
            cells.append(f'<td class="new">{math(values[i])}</td>' if new else math(values[i]))
        rows.append(cells)
    p.append(_table(head, rows))
    if "table" in figs:
        p.append(_folded("The same table as a picture", _figure(figs["table"])))
    p.append(_section("readout", 6))
    p += [f"<p>{escape(line)}</p>" for line in narrative.readout_text]
    p.append(_table(["token", "channel", "weight", "holds"],
                    [[math(r.label), escape(r.channel), math(r.coefficient), math(r.content)]
                     for r in narrative.readout_terms]))
    if narrative.readout_omitted:
        p.append(f'<p class="muted">... {narrative.readout_omitted} more readout weight(s) '
                 "omitted.</p>")
    p.append(f'<p id="xf-output">Output: <math display="inline"><mi>y</mi></math> = '
             f"{piece(narrative.output)}</p>")
    p.append(_figure(figs.get("plot")))
    p.append(_figure(figs.get("plot2d")))
    p.append(f'<h2 id="verdict">7. Verdict</h2><p id="xf-verdict" class="verdict {cls}">'
             f"{verdict_html}</p>")
    p.append('<p class="xf-pager"><a href="#contents">&#8593; contents</a></p>')
    p.append("</div>")
    return "\n".join(x for x in p if x)


def render_html(narrative: Narrative, figures: Sequence[Figure] = ()) -> str:
    """A complete, self-contained HTML page."""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(unicode_powers(narrative.title))}</title>"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "</head><body style=\"margin:0;background:#ffffff\">\n"
            + render_html_fragment(narrative, figures)
            + f"\n<script>{SCRIPT}</script>\n</body></html>\n")
