"""Exact sparse matrices and attention masks: the plain data of the IR.

Entries are ``fractions.Fraction``; only non-zeros are stored, so an N x D
embedding with N = 8008 costs what its non-zeros cost. Users get sympy objects
through :meth:`ExactMatrix.to_sympy` and :meth:`Mask.to_sympy`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from itertools import compress
from typing import Iterable, Mapping

import sympy

from ..errors import ShapeError


def to_fraction(value: object) -> Fraction:
    """An exact rational from int, Fraction, sympy Rational or a 'p/q' string."""
    if isinstance(value, bool):
        raise ShapeError(f"boolean {value!r} is not a rational entry")
    if isinstance(value, (int, Fraction)):
        return Fraction(value)
    if isinstance(value, sympy.Basic) and value.is_Rational:
        return Fraction(int(value.p), int(value.q))
    if isinstance(value, str):
        try:
            return Fraction(value)
        except (ValueError, ZeroDivisionError):
            raise ShapeError(f"{value!r} is not an exact rational") from None
    raise ShapeError(f"{value!r} ({type(value).__name__}) is not an exact rational")


@dataclass(frozen=True)
class ExactMatrix:
    """A rows x cols matrix of rationals, stored as sorted non-zero (row, col, value)."""

    rows: int
    cols: int
    entries: tuple[tuple[int, int, Fraction], ...] = ()

    def __post_init__(self) -> None:
        if self.rows < 0 or self.cols < 0:
            raise ShapeError(f"negative shape ({self.rows}, {self.cols})")
        last: tuple[int, int] | None = None
        for r, c, v in self.entries:
            if not (0 <= r < self.rows and 0 <= c < self.cols):
                raise ShapeError(f"entry ({r}, {c}) outside shape ({self.rows}, {self.cols})")
            if not isinstance(v, Fraction) or v == 0:
                raise ShapeError(f"entry ({r}, {c}) must be a non-zero Fraction, got {v!r}")
            if last is not None and (r, c) <= last:
                raise ShapeError("entries must be sorted by (row, col) without repeats")
            last = (r, c)

    @classmethod
    def from_dict(cls, rows: int, cols: int,
                  values: Mapping[tuple[int, int], object]) -> ExactMatrix:
        entries: list[tuple[int, int, Fraction]] = []
        for (r, c), v in sorted(values.items()):
            f = to_fraction(v)
            if f:
                entries.append((r, c, f))
        return cls(rows, cols, tuple(entries))

    @classmethod
    def from_rows(cls, rows: Iterable[Iterable[object]], cols: int | None = None) -> ExactMatrix:
        """From a dense list of rows (ints, Fractions, sympy Rationals, 'p/q' strings)."""
        data = [list(r) for r in rows]
        ncols = cols if cols is not None else (len(data[0]) if data else 0)
        for i, r in enumerate(data):
            if len(r) != ncols:
                raise ShapeError(f"row {i} has {len(r)} entries, expected {ncols}")
        return cls.from_dict(len(data), ncols,
                             {(i, j): v for i, r in enumerate(data) for j, v in enumerate(r)})

    @classmethod
    def zeros(cls, rows: int, cols: int) -> ExactMatrix:
        return cls(rows, cols, ())

    @property
    def shape(self) -> tuple[int, int]:
        return (self.rows, self.cols)

    @cached_property
    def by_row(self) -> dict[int, tuple[tuple[int, Fraction], ...]]:
        """row -> ((col, value), ...) for the non-zero rows only."""
        out: dict[int, list[tuple[int, Fraction]]] = {}
        for r, c, v in self.entries:
            out.setdefault(r, []).append((c, v))
        return {r: tuple(cs) for r, cs in out.items()}

    def get(self, r: int, c: int) -> Fraction:
        for cc, v in self.by_row.get(r, ()):
            if cc == c:
                return v
        return Fraction(0)

    def with_entry(self, r: int, c: int, value: object) -> "ExactMatrix":
        """A copy with entry (r, c) replaced (the original is unchanged)."""
        values = {(rr, cc): v for rr, cc, v in self.entries}
        values[(r, c)] = to_fraction(value)
        if not (0 <= r < self.rows and 0 <= c < self.cols):
            raise ShapeError(f"entry ({r}, {c}) outside shape {self.shape}")
        return ExactMatrix.from_dict(self.rows, self.cols, values)

    def to_sympy(self) -> sympy.SparseMatrix:
        """The matrix as a sympy (sparse, immutable) Matrix of Rationals."""
        return sympy.ImmutableSparseMatrix(
            self.rows, self.cols,
            {(r, c): sympy.Rational(v.numerator, v.denominator) for r, c, v in self.entries})

    def __repr__(self) -> str:
        return f"ExactMatrix({self.rows}x{self.cols}, {len(self.entries)} non-zeros)"


@dataclass(frozen=True)
class Mask:
    """A fixed 0/1 attention mask on N tokens: ``allowed[t]`` = keys token t may see."""

    size: int
    allowed: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        if len(self.allowed) != self.size:
            raise ShapeError(f"mask has {len(self.allowed)} rows, expected {self.size}")
        allowed = self.allowed
        for t in compress(range(self.size), allowed):  # empty rows are valid: skip them
            row = allowed[t]
            if list(row) != sorted(set(row)):
                raise ShapeError(f"mask row {t} must be strictly increasing, got {row!r}")
            if row and not (0 <= row[0] and row[-1] < self.size):
                raise ShapeError(f"mask row {t} has a key outside 0..{self.size - 1}")

    @classmethod
    def from_pairs(cls, size: int, pairs: Iterable[tuple[int, int]]) -> "Mask":
        rows: list[set[int]] = [set() for _ in range(size)]
        for t, j in pairs:
            if not (0 <= t < size and 0 <= j < size):
                raise ShapeError(f"mask entry ({t}, {j}) outside {size} x {size}")
            rows[t].add(j)
        return cls(size, tuple(tuple(sorted(r)) for r in rows))

    def pairs(self) -> list[tuple[int, int]]:
        return [(t, j) for t, row in enumerate(self.allowed) for j in row]

    @property
    def nnz(self) -> int:
        return sum(len(r) for r in self.allowed)

    def flip(self, t: int, j: int) -> "Mask":
        """A copy with bit (t, j) flipped."""
        pairs = set(self.pairs())
        pairs ^= {(t, j)}
        return Mask.from_pairs(self.size, pairs)

    def to_sympy(self) -> sympy.SparseMatrix:
        return sympy.ImmutableSparseMatrix(
            self.size, self.size, {(t, j): sympy.Integer(1) for t, j in self.pairs()})

    def __repr__(self) -> str:
        return f"Mask({self.size}x{self.size}, {self.nnz} allowed)"
