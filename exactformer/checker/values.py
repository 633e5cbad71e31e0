"""The shapes of the values the checker computes with: type names only, no code.

A rational is an int or a Fraction; a polynomial maps packed monomials (kernel.py)
to non-zero rationals; a sparse matrix maps a row to its (column, value) entries; a
readout form maps a symbol monomial ((name, exponent), ...) to a non-zero Fraction.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Protocol, Sequence, TypeAlias, TypedDict, TypeVar

Rational: TypeAlias = int | Fraction
#: An exponent tuple (e_1, ..., e_d); SparseMonomial: its ((index, e), ...) with e >= 1.
Monomial: TypeAlias = tuple[int, ...]
SparseMonomial: TypeAlias = tuple[tuple[int, int], ...]
#: A polynomial over packed monomials, and one over exponent tuples.
Poly: TypeAlias = dict[int, Rational]
TuplePoly: TypeAlias = dict[Monomial, Rational]
#: Either kind of monomial (for the helpers that serve both).
AnyMonomial = TypeVar("AnyMonomial", int, tuple[int, ...])
#: A row of polynomials (one token's channels, or one query's scores); all tokens' rows (H).
Row: TypeAlias = list[Poly]
Stream: TypeAlias = list[Row]
Sparse: TypeAlias = dict[int, list[tuple[int, Rational]]]
SymbolMonomial: TypeAlias = tuple[tuple[str, int], ...]
Form: TypeAlias = dict[SymbolMonomial, Fraction]
#: A readout entry (token, channel, form) and a target term (packed x monomial,
#: sparse parameter monomial, coefficient).
ReadoutEntry: TypeAlias = tuple[int, int, Form]
#: A polynomial in x and the symbols, grouped by symbol monomial: {mu: P_mu(x)}.
Grouped: TypeAlias = dict[SymbolMonomial, Poly]
TargetTerm: TypeAlias = tuple[int, SparseMonomial, Rational]
#: A box as [(lo, hi), ...]; a trace: per layer {(token, channel): polynomial}.
Box: TypeAlias = Sequence[tuple[Rational, Rational]]
TraceLayer: TypeAlias = dict[tuple[int, int], Poly]
Trace: TypeAlias = list[TraceLayer]
#: The rows of a mask: (query, its allowed keys), only rows with a key.
Mask: TypeAlias = list[tuple[int, list[int]]]


class FFN(TypedDict):
    """A validated feed-forward layer: H + sigma(H W1 + b1) W2 + b2."""

    w1: Sparse
    b1: dict[int, Rational]
    w2: Sparse
    b2: dict[int, Rational]
    hidden: int
    activation: str


class Block(TypedDict):
    """A validated block: attention (Wq, Wk, Wv, Wo, head sizes h and hv), then the FFN."""

    wq: Sparse
    wk: Sparse
    wv: Sparse
    wo: Sparse
    h: int
    hv: int
    activation: str
    mask: Mask | None
    ffn: FFN | None


class Network(Protocol):
    """What the forward pass reads of a validated model (reading.Model)."""

    tokens: int
    width: int
    base: Sparse
    coefficients: list[Sparse]
    blocks: list[Block]
