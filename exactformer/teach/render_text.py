"""The walk-through as plain text for a terminal (light ANSI colour only on a tty)."""
from __future__ import annotations

from .formula import rich_text
from .narrative import Narrative

#: At most this many layer columns in the text table (the last layer is always shown).
TEXT_TABLE_LAYERS = 8


class _Style:
    def __init__(self, color: bool):
        self.color = color

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color else text

    def head(self, text: str) -> str:
        return self._wrap("1", text)

    def good(self, text: str) -> str:
        return self._wrap("1;32", text)

    def bad(self, text: str) -> str:
        return self._wrap("1;31", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)


def _table(rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def text_layers(narrative: Narrative) -> list[int]:
    """Positions (in ``narrative.table_layers``) of the columns the text table shows."""
    n = len(narrative.table_layers)
    if n <= TEXT_TABLE_LAYERS:
        return list(range(n))
    return list(range(TEXT_TABLE_LAYERS - 1)) + [n - 1]


def render_text(narrative: Narrative, color: bool = False) -> str:
    """The whole walk-through as text; ``color`` adds ANSI bold/green/red."""
    s = _Style(color)
    out: list[str] = [s.head(narrative.title), ""]
    out += _table([[k, str(v)] for k, v in narrative.facts], indent="")
    out.append("")
    out.append(s.head("1. The tokens and their parent tree"))
    out += ["  " + line for line in narrative.intro]
    rows = [["token", "name", "degree", "parent", "filled by"]]
    for t in narrative.tokens:
        parents = ", ".join(str(narrative.tokens[p].label) if p < len(narrative.tokens)
                            else str(p) for p in t.parents) or "-"
        rows.append([str(t.index), str(t.label), "-" if t.degree is None else str(t.degree),
                     parents, f"block {t.filled_in}" if t.filled_in else "embedding"])
    out += _table(rows)
    if narrative.tokens_omitted:
        out.append(s.dim(f"  ... {narrative.tokens_omitted} more token(s) omitted "
                         "(use --max-tokens-shown to see more)"))
    out.append("")
    out.append(s.head("2. The embedding (what each token starts with)"))
    for t in narrative.tokens:
        out.append(f"  token {t.label}: " + ", ".join(f"{c} = {v}" for c, v in t.embedding))
    if narrative.tokens_omitted:
        out.append(s.dim(f"  ... {narrative.tokens_omitted} more token(s) omitted"))
    out.append("")
    out.append(s.head("3. The blocks, one after the other"))
    out.append("  " + rich_text(narrative.shared_weights))
    for b in narrative.blocks:
        out.append("")
        mask = (f"{b.allowed_pairs} allowed pair(s) in its mask" if b.allowed_pairs is not None
                else "no mask")
        extra = f", feed-forward {b.ffn}" if b.ffn else ""
        out.append(s.head(f"  Block {b.index}") + s.dim(f"  (scores: {b.activation}, {mask}{extra})"))
        out.append("    " + b.summary)
        for step in b.steps:
            lines = step.sentence.split("\n")
            out.append("    - " + lines[0])
            out += ["      " + line for line in lines[1:]]
            if not step.consistent:
                out.append(s.bad("      WARNING: recomputed values differ from the trace"))
        if b.omitted:
            out.append(s.dim(f"    ... {b.omitted} more changed token(s) omitted"))
    if narrative.blocks_omitted:
        out.append(s.dim(f"  ... {narrative.blocks_omitted} more block(s) omitted; together "
                         f"they change {narrative.blocks_omitted_changed} token(s)"))
    out.append("")
    ch = narrative.channels[narrative.content_channel]
    out.append(s.head(f"4. Channel {ch} of each token after each block"))
    cols = text_layers(narrative)
    head = ["token"] + ["embedding" if narrative.table_layers[i] == 0
                        else f"block {narrative.table_layers[i]}" for i in cols]
    out += _table([head] + [[str(label)] + [str(values[i]) for i in cols]
                            for _, label, values in narrative.table])
    if len(cols) < len(narrative.table_layers) or narrative.blocks_omitted:
        out.append(s.dim("  (some block columns omitted)"))
    if narrative.tokens_omitted:
        out.append(s.dim(f"  ... {narrative.tokens_omitted} more token(s) omitted"))
    out.append("")
    out.append(s.head("5. The readout (the free parameters)"))
    out += ["  " + line for line in narrative.readout_text]
    for term in narrative.readout_terms:
        out.append(f"  weight {term.coefficient} on channel {term.channel} of token "
                   f"{term.label} (which holds {term.content})")
    if narrative.readout_omitted:
        out.append(s.dim(f"  ... {narrative.readout_omitted} more readout weight(s) omitted"))
    out.append(f"  output y = {narrative.output}")
    out.append("")
    out.append(s.head("6. Verdict"))
    paint = s.good if narrative.holds else s.bad
    word, _, rest = rich_text(narrative.verdict_text).partition(" ")
    out.append("  " + paint(word) + " " + rest)
    return "\n".join(out) + "\n"
