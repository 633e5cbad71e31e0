"""The model IR of DESIGN §1 as frozen dataclasses, shapes checked on creation.

    H0(x) = B + sum_i x_i A_i                                   (N x D)
    block:  Q = H Wq, K = H Wk, V = H Wv, S = Q K^T
            A = (M o phi(S)) V   (phi = identity | relu),  or  A = softmax_M(S) V
            H <- H + A Wo ;  H <- H + sigma(H W1 + b1) W2 + b2   (optional FFN)
    y = sum_{t,c} R[t,c] H_L[t,c] + r0

All weights are exact rationals; only the readout may hold symbols.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Mapping, TypeAlias, Union

import sympy

from ..errors import ShapeError
from ..poly.names import is_identifier
from .matrix import ExactMatrix, Mask, to_fraction

SCORE_ACTIVATIONS = ("identity", "relu", "softmax")
FFN_ACTIVATIONS = ("relu", "square")

#: A readout entry: an exact rational, or a sympy expression in the readout's symbols.
Coefficient: TypeAlias = Union[Fraction, sympy.Expr]


@dataclass(frozen=True)
class Embedding:
    """H0(x) = base + sum_i x_i * coefficients[i], one N x D matrix per variable."""

    variables: tuple[str, ...]
    base: ExactMatrix
    coefficients: tuple[ExactMatrix, ...]

    def __post_init__(self) -> None:
        if len(set(self.variables)) != len(self.variables):
            raise ShapeError(f"variable names must be distinct, got {list(self.variables)}")
        for v in self.variables:
            if not is_identifier(v):  # ASCII, and not a constant (poly.names)
                raise ShapeError(f"{str(v)[:40]!r} is not a valid variable name (ASCII letters, "
                                 "digits and '_', starting with a letter; not pi or E)")
        if len(self.coefficients) != len(self.variables):
            raise ShapeError(f"{len(self.variables)} variables but "
                             f"{len(self.coefficients)} embedding matrices")
        for i, a in enumerate(self.coefficients):
            if a.shape != self.base.shape:
                raise ShapeError(f"embedding matrix A_{i} has shape {a.shape}, "
                                 f"expected {self.base.shape}")

    @property
    def tokens(self) -> int:
        return self.base.rows

    @property
    def width(self) -> int:
        return self.base.cols


@dataclass(frozen=True)
class Attention:
    """One single-head attention layer with a fixed optional mask."""

    wq: ExactMatrix
    wk: ExactMatrix
    wv: ExactMatrix
    wo: ExactMatrix
    activation: str = "identity"
    mask: Mask | None = None

    def __post_init__(self) -> None:
        if self.activation not in SCORE_ACTIVATIONS:
            raise ShapeError(f"score activation {self.activation!r} is not one of "
                             f"{', '.join(SCORE_ACTIVATIONS)}")
        d = self.wq.rows
        if self.wk.rows != d or self.wv.rows != d or self.wo.cols != d:
            raise ShapeError(f"attention weights disagree on the width: Wq {self.wq.shape}, "
                             f"Wk {self.wk.shape}, Wv {self.wv.shape}, Wo {self.wo.shape}")
        if self.wq.cols != self.wk.cols:
            raise ShapeError(f"Wq {self.wq.shape} and Wk {self.wk.shape} differ in head size")
        if self.wv.cols != self.wo.rows:
            raise ShapeError(f"Wv {self.wv.shape} and Wo {self.wo.shape} do not chain")

    @property
    def width(self) -> int:
        return self.wq.rows


@dataclass(frozen=True)
class FeedForward:
    """H <- H + sigma(H W1 + b1) W2 + b2 with sigma in {relu, square}."""

    w1: ExactMatrix
    b1: ExactMatrix
    w2: ExactMatrix
    b2: ExactMatrix
    activation: str = "relu"

    def __post_init__(self) -> None:
        if self.activation not in FFN_ACTIVATIONS:
            raise ShapeError(f"FFN activation {self.activation!r} is not one of "
                             f"{', '.join(FFN_ACTIVATIONS)}")
        hidden = self.w1.cols
        if self.b1.shape != (1, hidden) or self.w2.rows != hidden:
            raise ShapeError(f"FFN shapes do not chain: W1 {self.w1.shape}, b1 {self.b1.shape}, "
                             f"W2 {self.w2.shape}")
        if self.b2.shape != (1, self.w2.cols) or self.w2.cols != self.w1.rows:
            raise ShapeError(f"FFN output {self.w2.shape}/{self.b2.shape} does not match "
                             f"width {self.w1.rows}")

    @property
    def width(self) -> int:
        return self.w1.rows


@dataclass(frozen=True)
class Block:
    """An encoder block: attention with residual, then an optional FFN with residual."""

    attention: Attention
    ffn: FeedForward | None = None

    def __post_init__(self) -> None:
        if self.ffn is not None and self.ffn.width != self.attention.width:
            raise ShapeError(f"FFN width {self.ffn.width} differs from attention width "
                             f"{self.attention.width}")


def to_coefficient(value: object) -> Coefficient:
    """A readout entry: an exact Fraction, or a sympy expression in symbols."""
    if isinstance(value, sympy.Basic) and not value.is_Rational:
        if not isinstance(value, sympy.Expr) or value.has(sympy.Float):
            raise ShapeError(f"readout entry {value!r} must be exact")
        return value
    return to_fraction(value)


def coefficient_to_sympy(value: Coefficient) -> sympy.Expr:
    """A readout entry as a sympy expression."""
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    return value


@dataclass(frozen=True)
class Readout:
    """y = sum R[t, c] H_L[t, c] + bias; entries are Fractions or sympy expressions."""

    rows: int
    cols: int
    entries: tuple[tuple[int, int, Coefficient], ...]
    bias: Coefficient = Fraction(0)

    def __post_init__(self) -> None:
        last: tuple[int, int] | None = None
        for r, c, v in self.entries:
            if not (0 <= r < self.rows and 0 <= c < self.cols):
                raise ShapeError(f"readout entry ({r}, {c}) outside ({self.rows}, {self.cols})")
            if last is not None and (r, c) <= last:
                raise ShapeError("readout entries must be sorted by (row, col) without repeats")
            last = (r, c)
            if isinstance(v, Fraction):
                if v == 0:
                    raise ShapeError(f"readout entry ({r}, {c}) is a stored zero")
            elif not isinstance(v, sympy.Expr):
                raise ShapeError(f"readout entry ({r}, {c}) = {v!r} is not exact")

    @classmethod
    def from_dict(cls, rows: int, cols: int, values: Mapping[tuple[int, int], object],
                  bias: object = 0) -> "Readout":
        entries: list[tuple[int, int, Coefficient]] = []
        for (r, c), v in sorted(values.items()):
            coef = to_coefficient(v)
            if isinstance(coef, Fraction) and coef == 0:
                continue
            if not isinstance(coef, Fraction) and coef == 0:
                continue
            entries.append((r, c, coef))
        return cls(rows, cols, tuple(entries), to_coefficient(bias))

    def get(self, r: int, c: int) -> Coefficient:
        for rr, cc, v in self.entries:
            if (rr, cc) == (r, c):
                return v
        return Fraction(0)

    def with_entry(self, r: int, c: int, value: object) -> "Readout":
        values: dict[tuple[int, int], object] = {(rr, cc): v for rr, cc, v in self.entries}
        values[(r, c)] = value
        return Readout.from_dict(self.rows, self.cols, values, self.bias)

    @property
    def symbols(self) -> set[sympy.Symbol]:
        out: set[sympy.Symbol] = set()
        for _, _, v in self.entries + ((0, 0, self.bias),):
            if isinstance(v, sympy.Basic):
                out |= v.free_symbols
        return out

    def to_sympy(self) -> sympy.SparseMatrix:
        """R as a sympy sparse Matrix (Rationals and symbolic expressions)."""
        return sympy.ImmutableSparseMatrix(
            self.rows, self.cols, {(r, c): coefficient_to_sympy(v) for r, c, v in self.entries})


def make_meta(values: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    """Descriptive metadata in canonical form (sorted name/value strings)."""
    return tuple(sorted((str(k), str(v)) for k, v in values.items()))


@dataclass(frozen=True)
class Model:
    """An assembled model: embedding, fixed blocks, and the free readout."""

    embedding: Embedding
    blocks: tuple[Block, ...]
    readout: Readout
    meta: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        n, w = self.embedding.tokens, self.embedding.width
        for k, b in enumerate(self.blocks, 1):
            if b.attention.width != w:
                raise ShapeError(f"block {k} has width {b.attention.width}, embedding has {w}")
            m = b.attention.mask
            if m is not None and m.size != n:
                raise ShapeError(f"block {k} mask is {m.size} x {m.size}, but there are {n} tokens")
        if (self.readout.rows, self.readout.cols) != (n, w):
            raise ShapeError(f"readout is {self.readout.rows} x {self.readout.cols}, "
                             f"expected {n} x {w}")

    @property
    def variables(self) -> tuple[str, ...]:
        return self.embedding.variables

    @property
    def tokens(self) -> int:
        return self.embedding.tokens

    @property
    def width(self) -> int:
        return self.embedding.width

    @property
    def depth(self) -> int:
        return len(self.blocks)

    @property
    def free_parameters(self) -> int:
        """Number of free (target-dependent) parameters: the construction's count of
        readout entries it sets from the target, else every readout entry."""
        info = self.info
        value = info.get("free_parameters", "")
        if value.isdecimal() and len(value) < 20:  # meta of a loaded file may hold anything
            return int(value)
        return self.readout.rows * self.readout.cols

    @property
    def info(self) -> dict[str, str]:
        return dict(self.meta)

    def __repr__(self) -> str:
        name = self.info.get("construction", "custom")
        return (f"Model({name}: variables={list(self.variables)}, tokens={self.tokens}, "
                f"width={self.width}, blocks={self.depth})")

    def _repr_html_(self) -> str:
        """A small self-contained HTML summary for notebooks (one row per block,
        at most 12 blocks listed)."""
        from html import escape
        head = [("construction", self.info.get("construction", "custom")),
                ("variables", ", ".join(self.variables) or "(none)"),
                ("tokens", self.tokens), ("width", self.width), ("blocks", self.depth),
                ("free parameters", self.free_parameters)]
        cell = 'style="border:1px solid #c9d2e0;padding:2px 8px;text-align:left"'
        rows = "".join(f"<tr><th {cell}>{escape(str(k))}</th><td {cell}>{escape(str(v))}</td>"
                       "</tr>" for k, v in head)
        blocks = ""
        for k, b in enumerate(self.blocks[:12], 1):
            a = b.attention
            mask = f"{a.mask.nnz} allowed" if a.mask is not None else "none"
            ffn = b.ffn.activation if b.ffn is not None else "-"
            blocks += (f"<tr><td {cell}>{k}</td><td {cell}>{escape(a.activation)}</td>"
                       f"<td {cell}>{mask}</td><td {cell}>{escape(ffn)}</td></tr>")
        more = (f"<p>... {self.depth - 12} more block(s)</p>" if self.depth > 12 else "")
        table = (f'<table style="border-collapse:collapse"><tr><th {cell}>block</th>'
                 f"<th {cell}>scores</th><th {cell}>mask</th><th {cell}>FFN</th></tr>{blocks}"
                 "</table>" if self.blocks else "")
        return (f'<div class="exactformer-model"><b>Model</b><table style="border-collapse:'
                f'collapse">{rows}</table>{table}{more}</div>')
