"""The walk-through as Markdown; formulas as ``$...$`` LaTeX, figures as SVG files
referenced by relative path."""
from __future__ import annotations

from typing import Mapping, Sequence, cast

from .figures import Figure
from .formula import Formula, Piece, Rich, unicode_powers
from .narrative import Narrative
from .render_text import text_layers


def md(text: str) -> str:
    """Escape Markdown's emphasis, math and table characters in plain text."""
    for ch in ("\\", "*", "_", "|", "<", ">", "`", "$"):
        text = text.replace(ch, "\\" + ch)
    return text


def tex(f: Formula) -> str:
    """Inline LaTeX math; ``|`` would end a table cell, so it is written \\vert."""
    return "$" + f.latex.replace("|", r"\vert ") + "$"


def piece(p: Piece) -> str:
    if isinstance(p, Formula):
        return tex(p)
    return md(unicode_powers(str(p)))


def rich(r: Rich) -> str:
    """A sentence; its line breaks become Markdown hard breaks inside a list item."""
    return "".join(piece(p) for p in r).replace("\n", "  \n  ")


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def render_markdown(narrative: Narrative, figures: Sequence[Figure] = (),
                    figure_paths: Mapping[str, str] | None = None) -> str:
    """Markdown text; ``figure_paths`` maps a figure's name to the relative path of its
    SVG file (figures without a path are left out)."""
    paths = figure_paths or {}
    figs = {f.name: f for f in figures if f.name in paths}

    def figure(name: str) -> list[str]:
        f = figs.get(name)
        if f is None:
            return []
        return [f"![{md(f.title)}]({paths[name]})", "", f"*{md(f.caption)}*", ""]

    out = [f"# {rich(narrative.heading)}", ""]
    out += _table(["", ""], [[md(k), piece(v)] for k, v in narrative.facts])
    out.append("")
    out += ["## 1. The tokens and their parent tree", ""]
    out += [md(line) + "\n" for line in narrative.intro]
    rows = []
    for t in narrative.tokens:
        parents = ", ".join(tex(narrative.tokens[p].label) if p < len(narrative.tokens)
                            else str(p) for p in t.parents) or "-"
        rows.append([str(t.index), tex(t.label), "-" if t.degree is None else str(t.degree),
                     parents, f"block {t.filled_in}" if t.filled_in else "embedding"])
    out += _table(["token", "name", "degree", "parent", "filled by"], rows)
    if narrative.tokens_omitted:
        out += ["", f"... {narrative.tokens_omitted} more token(s) omitted."]
    out.append("")
    out += figure("tree")
    out += ["## 2. The embedding", "",
            "What each token holds before the first block (exact values):", ""]
    out += _table(["token"] + [md(c) for c in narrative.channels],
                  [[tex(t.label)] + [tex(v) for _, v in t.embedding] for t in narrative.tokens])
    out.append("")
    out += ["## 3. The blocks", "", rich(narrative.shared_weights), ""]
    out += figure("weights")
    for b in narrative.blocks:
        mask = (f"{b.allowed_pairs} allowed pair(s) in its mask" if b.allowed_pairs is not None
                else "no mask")
        extra = f", feed-forward {b.ffn}" if b.ffn else ""
        out += [f"### Block {b.index}", "", f"Scores: {b.activation}, {mask}{extra}. "
                + md(b.summary), ""]
        for step in b.steps:
            out.append("- " + rich(step.parts))
            if not step.consistent:
                out.append("  **Warning: recomputed values differ from the trace.**")
        if b.omitted:
            out.append(f"- ... {b.omitted} more changed token(s) omitted.")
        out.append("")
        out += figure(f"attention-{b.index}")
    if narrative.blocks_omitted:
        out += [f"... {narrative.blocks_omitted} more block(s) omitted; together they change "
                f"{narrative.blocks_omitted_changed} token(s).", ""]
    ch = narrative.channels[narrative.content_channel]
    out += [f"## 4. Channel {md(ch)} of each token after each block", ""]
    cols = text_layers(narrative)
    head = ["token"] + ["embedding" if narrative.table_layers[i] == 0
                        else f"block {narrative.table_layers[i]}" for i in cols]
    out += _table(head, [[tex(label)] + [tex(values[i]) for i in cols]
                         for _, label, values in narrative.table])
    out.append("")
    out += figure("table")
    out += ["## 5. The readout (the free parameters)", ""]
    out += [md(line) + "\n" for line in narrative.readout_text]
    out += _table(["token", "channel", "weight", "holds"],
                  [[tex(r.label), md(r.channel), tex(r.coefficient), tex(r.content)]
                   for r in narrative.readout_terms])
    if narrative.readout_omitted:
        out += ["", f"... {narrative.readout_omitted} more readout weight(s) omitted."]
    out += ["", f"Output: $y$ = {piece(narrative.output)}", ""]
    out += figure("plot")
    out += figure("plot2d")
    first = cast(str, narrative.verdict_text[0]).partition(" ")[2]   # "PROVED (rung)..."
    out += ["## 6. Verdict", "", f"**{md(narrative.verdict.upper())}** "
            + md(first) + rich(narrative.verdict_text[1:]), ""]
    return "\n".join(out)
