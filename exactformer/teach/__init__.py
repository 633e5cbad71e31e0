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

from ..poly.box import Box
from .card import summary_card
from .figures import (MAX_PLOT_BOUND, Figure, all_figures, drawable_part, exact_samples,
                      too_large_to_draw)
from .formula import Formula
from .narrative import DEFAULT_MAX_SHOWN, Narrative, ResultLike, build_narrative
from .render_html import render_html, render_html_fragment
from .render_markdown import render_markdown
from .render_text import render_text


@dataclass(repr=False)
class Report:
    """A walk-through, its plain text, the figures (made on demand) and files written.

    In a notebook it displays as the full HTML report (MathML formulas, contents,
    folding blocks, figures); ``str(report)`` is the terminal text."""

    narrative: Narrative
    text: str
    figures: list[Figure] = field(default_factory=list)
    written: dict[str, object] = field(default_factory=dict)
    result: ResultLike | None = None
    plot_domain: Box | None = None

    def _figures(self) -> list[Figure]:
        if not self.figures and self.result is not None:
            self.figures = all_figures(self.result, self.narrative, self.plot_domain)
        return self.figures

    def html(self) -> str:
        """The complete self-contained HTML page."""
        return render_html(self.narrative, self._figures())

    def _repr_html_(self) -> str:
        return render_html_fragment(self.narrative, self._figures())

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        n = self.narrative
        return (f"<Report {n.verdict.upper()}: {n.target} | {n.tokens_total} tokens, "
                f"{n.blocks_total} blocks; .text, .html(), or display it in a notebook>")


def _write(path: Path, text: str) -> None:
    from ..errors import ParseError
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ParseError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None


def explain(result: ResultLike, max_shown: int = DEFAULT_MAX_SHOWN, markdown: str | None = None,
            html: str | None = None, color: bool = False, plot_domain: Box | str | None = None,
            default_box: Box | None = None) -> Report:
    """Build the walk-through of ``result``; write Markdown (with its SVG figures in
    ``<stem>_figures/``) and/or a self-contained HTML file when paths are given.
    ``plot_domain`` (a Box or box text such as "[0,1]^2") is the range the 1-D and
    2-D plots cover; default ``default_box`` (a Box), else the model's box, else
    [-1, 1]^d (a default too large to draw is replaced by a drawable part of it)."""
    narrative = build_narrative(result, max_shown=max_shown)
    box = plot_box(result, plot_domain, default_box)
    report = Report(narrative, render_text(narrative, color=color), result=result,
                    plot_domain=box)
    if markdown is None and html is None:
        return report
    report.figures = all_figures(result, narrative, box)
    if markdown is not None:
        md_path = Path(markdown)
        fig_dir = md_path.with_name(md_path.stem + "_figures")
        try:
            fig_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            from ..errors import ParseError
            raise ParseError(f"cannot create {str(fig_dir)!r}: {exc.strerror or exc}") from None
        rel: dict[str, str] = {}
        files: list[str] = []
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


def plot_box(result: ResultLike, plot_domain: Box | str | None = None,
             default_box: Box | None = None) -> Box | None:
    """The plotted box: ``plot_domain`` (Box or text, read by the one box parser; refused
    if too large to draw), else ``default_box``, else the box the model was built for,
    else [-1, 1]^d; a default box too large to draw is replaced by its drawable part
    (:func:`~exactformer.teach.figures.drawable_part`; None: nothing can be drawn)."""
    from ..poly.box import Box, box_from_meta, parse_box
    d = len(result.model.variables)
    if isinstance(plot_domain, Box):
        box = plot_domain
    elif plot_domain is not None:
        box = parse_box(plot_domain, d)
    elif default_box is not None or "box" in result.model.info:
        box = default_box or box_from_meta(result.model.info["box"])
        if box.dimension == d:
            return drawable_part(box)
    else:
        box = Box.cube(-1, 1, d)
    if box.dimension != d:
        from ..errors import ParseError
        raise ParseError(f"the plot box {box} has dimension {box.dimension}, the model has "
                         f"{d} variables")
    check_drawable(box)
    return box


def check_drawable(box: Box) -> None:
    """Refuse plot boxes whose corners are absurd for a drawing (ParseError)."""
    from ..errors import ParseError
    problem = too_large_to_draw(box)
    if problem:
        raise ParseError(problem)


def html_fragment(result: ResultLike, max_shown: int = 12) -> str:
    """The full HTML report without the page around it (for notebooks)."""
    narrative = build_narrative(result, max_shown=max_shown)
    return render_html_fragment(narrative, all_figures(result, narrative, plot_box(result)))


__all__ = ["DEFAULT_MAX_SHOWN", "Figure", "Formula", "Narrative", "Report", "all_figures",
           "build_narrative", "exact_samples", "explain", "html_fragment", "plot_box",
           "check_drawable", "render_html", "render_markdown", "render_text", "summary_card"]
