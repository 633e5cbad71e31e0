"""A small, safe parser for polynomial expressions: text -> syntax tree.

Nothing here calls ``eval``, ``exec`` or ``sympify``: the text is split into
tokens by one regular expression and read by a recursive-descent parser with a
bounded nesting depth. The grammar is::

    expr   := term (('+' | '-') term)*
    term   := unary (('*' | '/') unary)*
    unary  := ('+' | '-') unary | power
    power  := atom (('**' | '^') unary)?
    atom   := NUMBER | NAME | NAME '(' expr ')' | '(' expr ')'

Numbers are read exactly: ``0.1`` is 1/10 and ``1e-30`` is 10**-30.
The tree is made of plain tuples (see :data:`Node`).
"""
from __future__ import annotations

import re
from fractions import Fraction
from typing import Any, cast

from ..errors import LimitExceeded, ParseError
from ..limits import DEFAULT_LIMITS, Limits

# Node kinds: ("num", Fraction) ("sym", name) ("const", name) ("add", [nodes])
# ("mul", [nodes]) ("neg", node) ("div", num, den) ("pow", base, exponent)
# ("call", fname, node): the first element says what the others are, which a static
# type cannot follow through ``kind = node[0]``, so the others are typed Any.
Node = tuple[Any, ...]
#: A token: (kind, text, position), kind one of "num", "name", "op".
Token = tuple[str, str, int]

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op>\*\*|[-+*/^(),])
    )""",
    re.VERBOSE | re.ASCII,  # ASCII digits and letters only: one name discipline
)

#: Functions that are not polynomials; named so the error can say so plainly.
NON_POLYNOMIAL_FUNCTIONS = frozenset(
    "sin cos tan cot sec csc asin acos atan sinh cosh tanh exp log ln abs "
    "floor ceiling ceil gamma erf max min sign Abs".split()
)
#: Names of constants read as independent symbols (never rounded).
CONSTANT_NAMES = {"pi": "pi", "E": "E"}


def tokenize(text: str, limits: Limits = DEFAULT_LIMITS) -> list[Token]:
    """Split ``text`` into (kind, value, position) tokens; reject anything else."""
    if not isinstance(text, str):
        raise ParseError(f"expected a string, got {type(text).__name__}")
    if len(text) > limits.max_input_chars:
        raise LimitExceeded(
            f"input has {len(text)} characters, more than the limit {limits.max_input_chars}"
        )
    tokens: list[Token] = []
    pos = 0
    end = len(text.rstrip())
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            bad = text[pos:].lstrip()[:1]
            raise ParseError(f"unexpected character {bad!r} at position {pos}")
        kind = cast(str, match.lastgroup)  # one named alternative always matches
        value = match.group(kind)
        if kind == "num" and len(value) > limits.max_digits:
            raise LimitExceeded(
                f"number with {len(value)} digits exceeds the limit {limits.max_digits}"
            )
        if kind == "num" and value[-1:].isdigit() and "e" in value.lower():
            # 1e999999 is short text but a 10**999999: refuse it before Fraction() builds it
            scale_text = value.lower().split("e")[1].lstrip("+-")
            scale = int(scale_text) if len(scale_text) < 10 else 10**10
            if scale + len(value) > limits.max_digits:
                raise LimitExceeded(f"number {value} has about {scale} digits, more than the "
                                    f"limit {limits.max_digits}")
        if kind == "name" and value.startswith("_"):
            raise ParseError(f"name {value!r} is not allowed (names may not start with '_')")
        tokens.append((kind, value, match.start(kind)))
        pos = match.end()
    if not tokens:
        raise ParseError("empty expression")
    return tokens


class _Parser:
    def __init__(self, text: str, limits: Limits) -> None:
        self.tokens = tokenize(text, limits)
        self.i = 0
        self.depth = 0
        self.limits = limits

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> Token:
        tok = self.peek()
        if tok is None:
            want = f"{value!r}" if value else "more input"
            raise ParseError(f"unexpected end of input: expected {want}")
        if value is not None and tok[1] != value:
            raise ParseError(f"expected {value!r} at position {tok[2]}, found {tok[1]!r}")
        self.i += 1
        return tok

    def enter(self) -> None:
        self.depth += 1
        if self.depth > self.limits.max_nesting:
            raise LimitExceeded(f"expression nested deeper than {self.limits.max_nesting}")

    def parse(self) -> Node:
        node = self.expr()
        tok = self.peek()
        if tok is not None:
            if tok[1] == ")":
                raise ParseError(f"unbalanced ')' at position {tok[2]}")
            raise ParseError(f"expected an operator before {tok[1]!r} at position {tok[2]}")
        return node

    def expr(self) -> Node:
        terms = [self.term()]
        while (tok := self.peek()) is not None and tok[1] in "+-" and tok[0] == "op":
            self.i += 1
            rhs = self.term()
            terms.append(rhs if tok[1] == "+" else ("neg", rhs))
        return terms[0] if len(terms) == 1 else ("add", terms)

    def term(self) -> Node:
        # a*b/c*d is read as (a*b*d)/c: flat lists keep the tree shallow however
        # long the product, and the ring is commutative.
        num = [self.unary()]
        den: list[Node] = []
        while (tok := self.peek()) is not None and tok[0] == "op" and tok[1] in ("*", "/"):
            self.i += 1
            (num if tok[1] == "*" else den).append(self.unary())
        node = num[0] if len(num) == 1 else ("mul", num)
        if den:
            node = ("div", node, den[0] if len(den) == 1 else ("mul", den))
        return node

    def unary(self) -> Node:
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] in ("+", "-"):
            self.i += 1
            self.enter()
            inner = self.unary()
            self.depth -= 1
            return inner if tok[1] == "+" else ("neg", inner)
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] in ("**", "^"):
            self.i += 1
            self.enter()
            exponent = self.unary()
            self.depth -= 1
            return ("pow", base, exponent)
        return base

    def atom(self) -> Node:
        tok = self.take()
        kind, value, pos = tok
        if kind == "num":
            try:
                return ("num", Fraction(value))
            except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
                raise LimitExceeded(f"number at position {pos} has too many digits") from None
        if kind == "name":
            nxt = self.peek()
            if nxt is not None and nxt[1] == "(":
                self.take("(")
                self.enter()
                arg = self.expr()
                self.depth -= 1
                self.take(")")
                return ("call", value, arg)
            if value in CONSTANT_NAMES:
                return ("const", CONSTANT_NAMES[value])
            return ("sym", value)
        if value == "(":
            self.enter()
            node = self.expr()
            self.depth -= 1
            if self.peek() is None:
                raise ParseError("unbalanced '(': missing ')' at end of input")
            self.take(")")
            return node
        if value == ")":
            raise ParseError(f"unbalanced ')' at position {pos}")
        raise ParseError(f"unexpected {value!r} at position {pos}")


def parse(text: str, limits: Limits = DEFAULT_LIMITS) -> Node:
    """Parse ``text`` into a syntax tree, or raise ParseError / LimitExceeded.

    >>> parse("3*x**2 - 1/7")[0]
    'add'
    """
    return _Parser(text, limits).parse()


def describe(node: Node) -> str:
    """A short human-readable rendering of a node, for error messages."""
    kind = node[0]
    if kind == "num":
        v = node[1]
        return str(v) if v.denominator == 1 and v >= 0 else f"({v})"
    if kind in ("sym", "const"):
        name: str = node[1]
        return name
    if kind == "neg":
        return "-" + _wrap(node[1])
    if kind == "call":
        return f"{node[1]}({describe(node[2])})"
    if kind == "pow":
        return f"{_wrap(node[1])}**{_wrap(node[2])}"
    if kind == "div":
        return f"{_wrap(node[1])}/{_wrap(node[2])}"
    sep = " + " if kind == "add" else "*"
    return sep.join(_wrap(c) for c in node[1])


def _wrap(node: Node) -> str:
    text = describe(node)
    return text if node[0] in ("num", "sym", "const", "call") else f"({text})"


__all__ = ["parse", "tokenize", "describe", "Node", "NON_POLYNOMIAL_FUNCTIONS",
           "CONSTANT_NAMES"]
