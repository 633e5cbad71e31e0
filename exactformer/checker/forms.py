"""Readout forms: the text of a readout entry, read as a polynomial in named symbols.

A form is {((name, exponent), ...) sorted by name: non-zero rational}; () is the
constant monomial. Accepted: integers, p/q, names, sqrt(k) (an independent symbol
named "sqrt(k)"), + - * / ** and parentheses; division only by a non-zero rational.
Irrational constants are independent symbols, so an identity proved with them holds
for every value of them, in particular the true one.

>>> parse_form("2*a + 1/3", "r")
{(('a', 1),): Fraction(2, 1), (): Fraction(1, 3)}
"""
from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any, NoReturn

from . import limits
from .errors import Malformed, TooLarge
from .limits import check_deadline
from .values import Form

#: A token (kind, value): ("num", int), ("name", str), ("op", str); (None, None) at the end.
_Token = tuple[str | None, Any]

_TOKEN = re.compile(r"[ \t]*(?:(sqrt\(\d+\))|(\d+)|([A-Za-z][A-Za-z0-9_]*)|(\*\*|[-+*/()]))",
                    re.ASCII)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z", re.ASCII)


def parse_form(text: object, where: str) -> Form:
    """A readout entry as a form (see the module docstring); Malformed if unreadable."""
    if not isinstance(text, str) or len(text) > limits.MAX_NUMBER_CHARS or not text.strip():
        raise Malformed(f"{where} must be a short non-empty string")
    check_deadline()
    if _NAME.match(text):  # a lone symbol, the common case: what the parser returns
        return {((text, 1),): Fraction(1)}
    tokens: list[_Token] = []
    pos = 0
    text_s = text.rstrip()
    while pos < len(text_s):
        m = _TOKEN.match(text_s, pos)
        if not m:
            raise Malformed(f"{where} = {text[:40]!r}: cannot read {text_s[pos:pos + 10]!r}")
        pos = m.end()
        if m.group(1):
            tokens.append(("name", m.group(1)))
        elif m.group(2):
            if len(m.group(2)) > limits.MAX_NUMBER_CHARS // 2:
                raise Malformed(f"{where}: a number with {len(m.group(2))} digits is too long")
            tokens.append(("num", int(m.group(2))))
        elif m.group(3):
            tokens.append(("name", m.group(3)))
        else:
            tokens.append(("op", m.group(4)))
    parser = _FormParser(tokens, text, where)
    value = parser.expr(0)
    if parser.i != len(tokens):
        raise Malformed(f"{where} = {text[:40]!r}: unexpected {tokens[parser.i][1]!r}")
    return value


def form_add(p: Form, q: Form) -> Form:
    """p + q for forms."""
    out = dict(p)
    for m, c in q.items():
        v = out.get(m, 0) + c
        if v:
            out[m] = v
        else:
            out.pop(m, None)
    return out


def form_scale(p: Form, s: Fraction) -> Form:
    """s * p for forms."""
    return {m: c * s for m, c in p.items()} if s else {}


def form_mul(p: Form, q: Form) -> Form:
    """p * q for forms (exponents of equal names add)."""
    if len(p) * len(q) > limits.MAX_PRODUCT_WORK:
        raise TooLarge(f"a product of polynomials with {len(p)} and {len(q)} terms is above "
                       f"the limit of {limits.MAX_PRODUCT_WORK} term products")
    check_deadline()
    out: Form = {}
    for i, (m1, c1) in enumerate(p.items()):
        if i & 63 == 63:
            check_deadline()
        for m2, c2 in q.items():
            d = dict(m1)
            for n, e in m2:
                d[n] = d.get(n, 0) + e
            m = tuple(sorted(d.items()))
            v = out.get(m, 0) + c1 * c2
            if v:
                out[m] = v
            else:
                out.pop(m, None)
    return out


class _FormParser:
    def __init__(self, tokens: list[_Token], text: str, where: str) -> None:
        self.tokens, self.text, self.where, self.i = tokens, text, where, 0

    def _peek(self) -> _Token:
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None)

    def _fail(self, what: str) -> NoReturn:
        raise Malformed(f"{self.where} = {self.text[:40]!r}: {what}")

    def expr(self, depth: int) -> Form:
        if depth > 50:
            self._fail("nested too deeply")
        acc = self.term(depth)
        while self._peek() in (("op", "+"), ("op", "-")):
            op = self.tokens[self.i][1]
            self.i += 1
            rhs = self.term(depth)
            acc = form_add(acc, rhs if op == "+" else form_scale(rhs, Fraction(-1)))
        return acc

    def term(self, depth: int) -> Form:
        acc = self.unary(depth)
        while self._peek() in (("op", "*"), ("op", "/")):
            op = self.tokens[self.i][1]
            self.i += 1
            rhs = self.unary(depth)
            if op == "*":
                acc = form_mul(acc, rhs)
            else:
                if not rhs or any(m for m in rhs):
                    self._fail("division by something that is not a non-zero rational")
                acc = form_scale(acc, 1 / rhs[()])
        return acc

    def unary(self, depth: int) -> Form:
        if self._peek() == ("op", "-"):
            self.i += 1
            return form_scale(self.unary(depth), Fraction(-1))
        if self._peek() == ("op", "+"):
            self.i += 1
            return self.unary(depth)
        return self.power(depth)

    def power(self, depth: int) -> Form:
        base = self.atom(depth)
        if self._peek() == ("op", "**"):
            self.i += 1
            kind, e = self._peek()
            if kind != "num" or e > limits.MAX_EXPONENT:
                self._fail(f"exponent must be an integer 0..{limits.MAX_EXPONENT}")
            self.i += 1
            if len(base) > 1 and math.comb(len(base) + e - 1, e) > limits.MAX_FORM_TERMS:
                raise TooLarge(f"{self.where}: a power of a {len(base)}-term form may have "
                               f"more than {limits.MAX_FORM_TERMS} terms")
            bits = max((max(abs(c.numerator).bit_length(), c.denominator.bit_length())
                        for c in base.values()), default=0)
            if bits * e > limits.MAX_FORM_BITS:
                raise TooLarge(f"{self.where}: a power with about {bits * e} bits is above "
                               f"the limit of {limits.MAX_FORM_BITS}")
            out: Form = {(): Fraction(1)}
            for _ in range(e):
                out = form_mul(out, base)
            return out
        return base

    def atom(self, depth: int) -> Form:
        kind, value = self._peek()
        self.i += 1
        if kind == "num":
            return {(): Fraction(value)} if value else {}
        if kind == "name":
            return {((value, 1),): Fraction(1)}
        if (kind, value) == ("op", "("):
            inner = self.expr(depth + 1)
            if self._peek() != ("op", ")"):
                self._fail("missing ')'")
            self.i += 1
            return inner
        self._fail("expression ends early" if kind is None else f"unexpected {value!r}")
