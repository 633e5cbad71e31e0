"""Shared helpers of the experiment scripts: output folder, tables, data sets."""
from __future__ import annotations

import random
from fractions import Fraction
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def markdown_table(header: list[str], rows: list[list]) -> str:
    """A GitHub Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_table(name: str, title: str, text: str, body: str) -> Path:
    DOCS.mkdir(exist_ok=True)
    path = DOCS / f"{name}.md"
    path.write_text(f"# {title}\n\n{text}\n\n{body}")
    return path


def random_points(rng: random.Random, d: int, m: int, denominator: int = 1024):
    """m random points of [-1, 1]^d with coordinates k / denominator (exact rationals)."""
    return [tuple(Fraction(rng.randint(-denominator, denominator), denominator)
                  for _ in range(d)) for _ in range(m)]
