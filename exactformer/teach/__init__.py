"""Teaching: a step-by-step walk-through of an exact proof, as text, Markdown or HTML.

>>> from exactformer import prove
>>> report = explain(prove("x**2 + 1"))
>>> "Block 2" in report.text and report.narrative.verdict == "proved"
True
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from .figures import Figure, all_figures, exact_samples
from .narrative import DEFAULT_MAX_SHOWN, Narrative, ResultLike, build_narrative
from .render_html import render_html, render_html_fragment
from .render_markdown import render_markdown
from .render_text import render_text


@dataclass
class Report:
    """A walk-through, its plain text, the figures (made on demand) and files written."""

    narrative: Narrative
    text: str
    figures: list[Figure] = field(default_factory=list)
    written: dict[str, object] = field(default_factory=dict)


def _write(path: Path, text: str) -> None:
    from ..errors import ParseError
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ParseError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None


def explain(result: ResultLike, max_shown: int = DEFAULT_MAX_SHOWN, markdown: str | None = None,
            html: str | None = None, color: bool = False) -> Report:
    """Build the walk-through of ``result``; write Markdown (with its SVG figures in
    ``<stem>_figures/``) and/or a self-contained HTML file when paths are given."""
    narrative = build_narrative(result, max_shown=max_shown)
    report = Report(narrative, render_text(narrative, color=color))
    if markdown is None and html is None:
        return report
    report.figures = all_figures(result, narrative)
    if markdown is not None:
        md_path = Path(markdown)
        fig_dir = md_path.with_name(md_path.stem + "_figures")
        try:
            fig_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            from ..errors import ParseError
            raise ParseError(f"cannot create {str(fig_dir)!r}: {exc.strerror or exc}") from None
        rel = {}
        files = []
        for f in report.figures:
            p = fig_dir / f"{f.name}.svg"
            _write(p, f.svg + "\n")
            rel[f.name] = f"{fig_dir.name}/{f.name}.svg"
            files.append(str(p))
        _write(md_path, render_markdown(narrative, report.figures, rel))
        report.written["markdown"] = str(md_path)
        report.written["figures"] = files
    if html is not None:
        _write(Path(html), render_html(narrative, report.figures))
        report.written["html"] = str(html)
    return report


def html_fragment(result: ResultLike, max_shown: int = 12) -> str:
    """A compact HTML report (for notebooks): the walk-through with its figures."""
    narrative = build_narrative(result, max_shown=max_shown)
    return render_html_fragment(narrative, all_figures(result, narrative))


__all__ = ["DEFAULT_MAX_SHOWN", "Figure", "Narrative", "Report", "all_figures", "build_narrative",
           "exact_samples", "explain", "html_fragment", "render_html", "render_markdown",
           "render_text"]
