"""Verdicts: what was decided, by which rung of the verification ladder, and why."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

import sympy

#: The rungs of DESIGN §3, strongest first.
EXACT_IDENTITY = "exact polynomial identity"
EXACT_ON_BOX = "exact on a box (sign certificates)"
SCHWARTZ_ZIPPEL = "Schwartz-Zippel (probabilistic)"
NUMERICAL = "numerical evidence (mpmath, not a proof)"
RUNGS = (EXACT_IDENTITY, EXACT_ON_BOX, SCHWARTZ_ZIPPEL, NUMERICAL)


class DifferenceJSON(TypedDict):
    """The JSON object of a :class:`Difference` (sympy expressions as text)."""

    monomial: str
    model: str
    claim: str


class _VerdictJSONRequired(TypedDict):
    verdict: str
    rung: str


class VerdictJSON(_VerdictJSONRequired, total=False):
    """The JSON object of a :class:`Verdict`; the optional keys appear when set."""

    detail: str
    difference: DifferenceJSON
    evidence: dict[str, str]


@dataclass(frozen=True)
class Difference:
    """The first monomial (graded order) at which model output and claim differ."""

    monomial: sympy.Expr
    model_coefficient: sympy.Expr
    claim_coefficient: sympy.Expr

    def __str__(self) -> str:
        return (f"coefficient of {self.monomial}: model has {self.model_coefficient}, "
                f"claim has {self.claim_coefficient}")

    def to_json(self) -> DifferenceJSON:
        return {"monomial": str(self.monomial), "model": str(self.model_coefficient),
                "claim": str(self.claim_coefficient)}


@dataclass(frozen=True)
class Verdict:
    """``holds`` is True only when the rung's exact check passed."""

    holds: bool
    rung: str
    detail: str = ""
    difference: Difference | None = None
    evidence: tuple[tuple[str, str], ...] = field(default=())

    @property
    def verdict(self) -> str:
        return "proved" if self.holds else "refuted"

    def __str__(self) -> str:
        head = f"{self.verdict.upper()} ({self.rung})"
        if self.difference is not None:
            head += f": {self.difference}"
        elif self.detail:
            head += f": {self.detail}"
        return head

    def _repr_latex_(self) -> str:
        """E.g. ``$\\mathbf{proved}$ (exact polynomial identity)``, formulas of a first
        difference typeset, for notebooks."""
        from ..poly.display import latex
        text = f"$\\mathbf{{{self.verdict}}}$ ({self.rung})"
        if self.difference is not None:
            d = self.difference
            text += (f": coefficient of ${latex(d.monomial)}$: model has "
                     f"${latex(d.model_coefficient)}$, claim has "
                     f"${latex(d.claim_coefficient)}$")
        return text

    def _repr_html_(self) -> str:
        """A coloured one-box summary for notebooks (self-contained HTML)."""
        from html import escape
        colour = ("#2a8a3a", "#dff3e3") if self.holds else ("#b3261e", "#fbe3e1")
        rest = str(self)[len(self.verdict) + 1:]
        return (f'<div class="exactformer-verdict" style="border:2px solid {colour[0]};'
                f'background:{colour[1]};padding:6px 10px;border-radius:5px">'
                f"<b>{self.verdict.upper()}</b> {escape(rest)}</div>")

    def to_json(self) -> VerdictJSON:
        out: VerdictJSON = {"verdict": self.verdict, "rung": self.rung}
        if self.detail:
            out["detail"] = self.detail
        if self.difference is not None:
            out["difference"] = self.difference.to_json()
        if self.evidence:
            out["evidence"] = dict(self.evidence)
        return out
