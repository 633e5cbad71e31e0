"""Formulas a reader sees, kept as exact expressions and printed per medium.

A :class:`Formula` holds sympy expressions (never strings parsed back), so the
same value is printed as plain text for a terminal (``x**2*y``), as LaTeX for
Markdown and matplotlib mathtext (``x^{2} y``) and as presentation MathML for
HTML (``<msup><mi>x</mi><mn>2</mn></msup>``). A :data:`Rich` sentence is a tuple
of plain strings and formulas; each renderer prints the strings as text and the
formulas in its own notation.

>>> import sympy
>>> f = formula(sympy.Symbol("x")**2 * sympy.Symbol("y"))
>>> str(f), f.latex
('x**2*y', 'x^{2} y')
>>> "<msup><mi>x</mi><mn>2</mn></msup>" in f.mathml
True
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from typing import Any, Sequence, TypeAlias, Union

import sympy
from sympy.printing.mathml import MathMLPresentationPrinter

from ..poly.display import (GREEK, MAX_EXPR_CHARS, as_sympy, indexed_name, latex,
                            leading_terms, name_latex)

#: Labels (token names) are cut shorter than other formulas.
LABEL_CHARS = 48

_ATOM = re.compile(r"([A-Za-z_][A-Za-z0-9_]*(\*\*\d+)?|\d+)\Z", re.ASCII)


@dataclass(frozen=True)
class Formula:
    """One exact expression, a vector of them, or a sum of products ``w * v``.

    ``kind`` is "expr" (``items`` = one expression), "vector" (the entries) or
    "products" (pairs (weight, value), printed as ``w·v + ...`` before expanding);
    ``total`` is the number of terms of a cut expression (0: shown in full)."""

    kind: str
    items: tuple[sympy.Expr | tuple[sympy.Expr, sympy.Expr], ...]
    total: int = 0

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Formula({self.text})"

    def _repr_latex_(self) -> str:
        return f"${self.latex}$"

    @property
    def text(self) -> str:
        """The plain-text (terminal) form."""
        if self.kind == "vector":
            parts = [str(e) for e in self.items]
            return parts[0] if len(parts) == 1 else "(" + ", ".join(parts) + ")"
        if self.kind == "products":
            return " + ".join(f"{_paren(str(w))}*{_paren(str(v))}" for w, v in self.items) or "0"
        text = str(self.items[0])
        return text + f" + ... ({self.total} terms in all)" if self.total else text

    @property
    def latex(self) -> str:
        """LaTeX (for ``$...$`` in Markdown and for matplotlib mathtext)."""
        if self.kind == "vector":
            parts = [latex(e) for e in self.items]
            return parts[0] if len(parts) == 1 else r"\left(" + ", ".join(parts) + r"\right)"
        if self.kind == "products":
            return " + ".join(f"{_lparen(w)} \\cdot {_lparen(v)}" for w, v in self.items) or "0"
        text = latex(self.items[0])
        return text + r" + \cdots" if self.total else text

    @property
    def mathml(self) -> str:
        """An inline presentation-MathML ``<math>`` element (no script, no CDN)."""
        if self.kind == "vector":
            inner = [_mml(e) for e in self.items]
            body = (inner[0] if len(inner) == 1 else
                    "<mrow><mo>(</mo>" + "<mo>,</mo>".join(inner) + "<mo>)</mo></mrow>")
        elif self.kind == "products":
            body = "<mrow>" + "<mo>+</mo>".join(
                f"{_mparen(w)}<mo>&#xB7;</mo>{_mparen(v)}" for w, v in self.items) + "</mrow>" \
                if self.items else "<mn>0</mn>"
        else:
            body = _mml(self.items[0])
            if self.total:
                body = (f"<mrow>{body}<mo>+</mo><mo>&#x22EF;</mo>"
                        f"<mtext>&#xA0;({self.total} terms in all)</mtext></mrow>")
        return f'<math display="inline" alttext="{escape(unicode_powers(self.text))}">{body}</math>'

    @property
    def is_zero(self) -> bool:
        return self.kind == "expr" and not self.total and self.items[0] == 0

    def mathtext(self) -> str:
        """A matplotlib label: ``$latex$`` when mathtext can draw it, else plain text."""
        return mathtext_label(self.latex, self.text)


Piece: TypeAlias = Union[str, Formula]
#: A sentence: plain strings and formulas, in reading order.
Rich: TypeAlias = tuple[Piece, ...]


_sympy = as_sympy


def formula(expr: object, max_chars: int = MAX_EXPR_CHARS) -> Formula:
    """The expression, cut after its leading terms when longer than ``max_chars``."""
    expr = _sympy(expr)
    head, total = leading_terms(expr, max_chars)
    return Formula("expr", (head,), 0 if head is expr else total)


def label(expr: object) -> Formula:
    """A token's name: its final content, cut at LABEL_CHARS characters."""
    return formula(expr, LABEL_CHARS)


def vector(exprs: Sequence[object]) -> Formula:
    """A row vector (a single entry is printed without parentheses)."""
    return Formula("vector", tuple(_sympy(e) for e in exprs))


def products(pairs: Sequence[tuple[object, object]]) -> Formula:
    """The sum of weight * value, written out before expanding."""
    return Formula("products", tuple((_sympy(w), _sympy(v)) for w, v in pairs))


def rich_text(rich: Rich) -> str:
    """A sentence as plain text."""
    return "".join(str(p) for p in rich)


def _paren(text: str) -> str:
    """Parentheses around anything but a number, a symbol or a power of one."""
    return text if _ATOM.match(text) else f"({text})"


def _simple(e: sympy.Basic) -> bool:
    return bool(_ATOM.match(str(e)))


def _lparen(e: sympy.Basic) -> str:
    return latex(e) if _simple(e) else r"\left(" + latex(e) + r"\right)"


class _Printer(MathMLPresentationPrinter):  # type: ignore[misc]  # sympy is untyped
    """sympy's presentation printer with numeric character references (an HTML page
    without a DTD knows no ``&InvisibleTimes;`` in XML contexts such as SVG) and the
    one naming rule of :func:`exactformer.poly.display.indexed_name`: ``x1`` is x with
    subscript 1, any other name is one ``<mi>`` holding the name as it is."""

    def _print_Symbol(self, sym: sympy.Symbol, style: str = "plain") -> Any:  # a DOM element
        parts = indexed_name(sym.name)
        mi = self.dom.createElement("mi")
        if parts is None:
            mi.appendChild(self.dom.createTextNode(escape(sym.name)))   # written unescaped
            return mi
        base, digits = parts
        mi.appendChild(self.dom.createTextNode(GREEK.get(base, base)))
        if not digits:
            return mi
        sub, mn = self.dom.createElement("msub"), self.dom.createElement("mn")
        mn.appendChild(self.dom.createTextNode(digits))
        sub.appendChild(mi)
        sub.appendChild(mn)
        return sub


@lru_cache(maxsize=4096)
def _mml(e: sympy.Basic) -> str:
    text = _Printer({"order": None}).doprint(e)
    text = text.replace("&InvisibleTimes;", "&#x2062;").replace("&ApplyFunction;", "&#x2061;")
    text = re.sub(r"<mn>-([^<]*)</mn>", r"<mrow><mo>-</mo><mn>\1</mn></mrow>", text)
    return text.replace("<mo>-</mo>", "<mo>&#x2212;</mo>")      # a minus sign, not a hyphen


def _mparen(e: sympy.Basic) -> str:
    body = _mml(e)
    return body if _simple(e) else f"<mrow><mo>(</mo>{body}<mo>)</mo></mrow>"


@lru_cache(maxsize=4096)
def mathtext_label(latex: str, plain: str) -> str:
    """``$latex$`` if matplotlib's mathtext parses it, else the plain text with ``$``
    escaped (mathtext covers a subset of LaTeX)."""
    from matplotlib.mathtext import MathTextParser
    try:
        MathTextParser("path").parse(f"${latex}$")
    except Exception:       # noqa: BLE001 - any parse failure means: draw it as text
        return plain.replace("$", r"\$")
    return f"${latex}$"


def name_label(name: str, wrap: str = "{}") -> str:
    """A matplotlib label for a name, e.g. ``wrap="p({})"`` gives ``$p(x_{1})$``; the
    name is typeset by the one naming rule, and drawn as plain text if mathtext fails."""
    return mathtext_label(wrap.format(name_latex(name)), wrap.format(name))


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def unicode_powers(text: str) -> str:
    """Plain text with ``a**k`` written ``aᵏ`` and ``*`` as ``·`` (for places that
    hold no markup, such as an HTML <title>, and for free text from other modules)."""
    text = re.sub(r"\*\*(\d+)", lambda m: m.group(1).translate(_SUPERSCRIPT), text)
    text = re.sub(r"\*\*", "^", text)
    return text.replace("*", "·")
