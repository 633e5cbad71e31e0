"""The walk-through as one self-contained HTML file: inline CSS, inline SVG figures,
no external URL, no JavaScript library (one tiny inline script writes a marker
element saying how many figures the page holds, so a browser test can see that the
page was rendered and scripted without error)."""
from __future__ import annotations

from html import escape
from typing import Sequence

from .figures import Figure
from .narrative import Narrative
from .render_text import text_layers

CSS = """
.xf-report { font-family: Georgia, 'DejaVu Serif', serif; color: #1d2430; max-width: 1100px;
  margin: 0 auto; padding: 0 18px 40px; line-height: 1.5; background: #ffffff; }
.xf-report h1 { font-size: 1.6em; border-bottom: 3px solid #34507a; padding-bottom: 6px; }
.xf-report h2 { font-size: 1.25em; color: #34507a; margin-top: 1.6em; }
.xf-report h3 { font-size: 1.05em; margin-bottom: 0.3em; }
.xf-report code { font-family: 'DejaVu Sans Mono', monospace; background: #f1f4f9;
  padding: 0 3px; border-radius: 3px; }
.xf-report table { border-collapse: collapse; margin: 8px 0; font-size: 0.92em; }
.xf-report th, .xf-report td { border: 1px solid #c9d2e0; padding: 3px 8px; text-align: left; }
.xf-report th { background: #e8eef7; }
.xf-report td.new { background: #d9f0dc; }
.xf-report ul.steps li { margin-bottom: 0.5em; }
.xf-report .muted { color: #66707f; font-style: italic; }
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


def _c(text: str) -> str:
    return f"<code>{escape(text)}</code>"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table; head and cells are HTML already."""
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in r)
                   + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _figure(f: Figure | None) -> str:
    if f is None:
        return ""
    return (f'<figure id="fig-{escape(f.name)}">{f.svg}<figcaption><b>{escape(f.title)}.</b> '
            f"{escape(f.caption)}</figcaption></figure>")


def render_html_fragment(narrative: Narrative, figures: Sequence[Figure] = ()) -> str:
    """The report body as one <div class="xf-report"> with its own scoped style."""
    figs = {f.name: f for f in figures}
    p: list[str] = [f"<style>{CSS}</style>", '<div class="xf-report">',
                    f"<h1>{escape(narrative.title)}</h1>"]
    p.append(_table(["", ""], [[escape(k), _c(v)] for k, v in narrative.facts]))
    p.append('<h2 id="tokens">1. The tokens and their parent tree</h2>')
    p += [f"<p>{escape(line)}</p>" for line in narrative.intro]
    rows = []
    for t in narrative.tokens:
        parents = ", ".join(_c(narrative.tokens[q].label) if q < len(narrative.tokens)
                            else str(q) for q in t.parents) or "-"
        rows.append([str(t.index), _c(t.label), "-" if t.degree is None else str(t.degree),
                     parents, f"block {t.filled_in}" if t.filled_in else "embedding"])
    p.append(_table(["token", "name", "degree", "parent", "filled by"], rows))
    if narrative.tokens_omitted:
        p.append(f'<p class="muted">... {narrative.tokens_omitted} more token(s) omitted.</p>')
    p.append(_figure(figs.get("tree")))
    p.append('<h2 id="embedding">2. The embedding</h2>'
             "<p>What each token holds before the first block (exact values):</p>")
    p.append(_table(["token"] + [escape(c) for c in narrative.channels],
                    [[_c(t.label)] + [_c(v) for _, v in t.embedding] for t in narrative.tokens]))
    p.append('<h2 id="blocks">3. The blocks</h2>')
    p.append(f"<p>{escape(narrative.shared_weights)}</p>")
    p.append(_figure(figs.get("weights")))
    p.append(_figure(figs.get("masks")))
    for b in narrative.blocks:
        mask = (f"{b.allowed_pairs} allowed pair(s) in its mask" if b.allowed_pairs is not None
                else "no mask")
        extra = f", feed-forward {b.ffn}" if b.ffn else ""
        p.append(f'<h3 id="block-{b.index}">Block {b.index}</h3>'
                 f'<p><span class="muted">Scores: {escape(b.activation)}, {mask}{escape(extra)}.'
                 f"</span> {escape(b.summary)}</p>")
        items = []
        for step in b.steps:
            text = "<br>".join(escape(line) for line in step.sentence.split("\n"))
            if not step.consistent:
                text += ' <span class="warn">Recomputed values differ from the trace.</span>'
            items.append(f"<li>{text}</li>")
        if b.omitted:
            items.append(f'<li class="muted">... {b.omitted} more changed token(s) omitted.</li>')
        p.append('<ul class="steps">' + "".join(items) + "</ul>")
    if narrative.blocks_omitted:
        p.append(f'<p class="muted">... {narrative.blocks_omitted} more block(s) omitted; together '
                 f"they change {narrative.blocks_omitted_changed} token(s).</p>")
    ch = narrative.channels[narrative.content_channel]
    p.append(f'<h2 id="table">4. Channel {escape(ch)} of each token after each block</h2>')
    cols = text_layers(narrative)
    head = ["token"] + ["embedding" if narrative.table_layers[i] == 0
                        else f"block {narrative.table_layers[i]}" for i in cols]
    rows = []
    for _, label, values in narrative.table:
        cells = [_c(label)]
        for n, i in enumerate(cols):
            new = n > 0 and values[i] != "0" and values[i] != values[cols[n - 1]]
            cells.append(f'<td class="new">{_c(values[i])}</td>' if new else _c(values[i]))
        rows.append(cells)
    p.append(_table(head, rows))
    p.append(_figure(figs.get("table")))
    p.append('<h2 id="readout">5. The readout (the free parameters)</h2>')
    p += [f"<p>{escape(line)}</p>" for line in narrative.readout_text]
    p.append(_table(["token", "channel", "weight", "holds"],
                    [[_c(r.label), escape(r.channel), _c(r.coefficient), _c(r.content)]
                     for r in narrative.readout_terms]))
    if narrative.readout_omitted:
        p.append(f'<p class="muted">... {narrative.readout_omitted} more readout weight(s) '
                 "omitted.</p>")
    p.append(f"<p>Output: y = {_c(narrative.output)}</p>")
    p.append(_figure(figs.get("plot")))
    cls = "proved" if narrative.holds else "refuted"
    word, _, rest = narrative.verdict_text.partition(" ")
    p.append(f'<h2 id="verdict">6. Verdict</h2><p id="xf-verdict" class="verdict {cls}">'
             f"<b>{escape(word)}</b> {escape(rest)}</p>")
    p.append("</div>")
    return "\n".join(x for x in p if x)


def render_html(narrative: Narrative, figures: Sequence[Figure] = ()) -> str:
    """A complete, self-contained HTML page."""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(narrative.title)}</title>"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "</head><body style=\"margin:0;background:#ffffff\">\n"
            + render_html_fragment(narrative, figures)
            + f"\n<script>{SCRIPT}</script>\n</body></html>\n")
