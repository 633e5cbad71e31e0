"""Every number of a model, counted: the free readout and the fixed part that carries
the algorithm.

Each part is counted twice: ``nonzero`` = the entries the IR stores (non-zero weights,
allowed mask pairs) and ``dense`` = the entries a standard dense implementation holds
(every entry of every matrix; N x N bits per mask). Blocks are counted one by one,
even when a construction reuses one matrix object in several blocks: a standard
implementation stores each block's weights.

Parts: ``embedding`` (B and the d matrices A_i), ``wq``, ``wk``, ``wv``, ``wo``,
``ffn`` (W1, b1, W2, b2), ``mask_bits`` and ``readout`` (R and the bias r0).
``free`` is :attr:`Model.free_parameters` (the readout entries set from the target);
``fixed`` is the dense count of every other part (the stored non-zeros are
``fixed_nonzero``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .ir import Model
from .matrix import ExactMatrix

PARTS = ("embedding", "wq", "wk", "wv", "wo", "ffn", "mask_bits", "readout")
FIXED_PARTS = PARTS[:-1]


@dataclass(frozen=True)
class PartCount:
    """Stored non-zeros and dense size of one part of a model."""

    nonzero: int = 0
    dense: int = 0

    def __add__(self, other: "PartCount") -> "PartCount":
        return PartCount(self.nonzero + other.nonzero, self.dense + other.dense)

    def to_json(self) -> dict[str, int]:
        return {"nonzero": self.nonzero, "dense": self.dense}


def _matrix(m: ExactMatrix) -> PartCount:
    """An r x c matrix stores len(entries) non-zeros of r * c entries."""
    return PartCount(len(m.entries), m.rows * m.cols)


@dataclass(frozen=True)
class ParameterCount:
    """The free parameters, the fixed total, and the count of each part."""

    free: int
    by_part: tuple[tuple[str, PartCount], ...]

    @property
    def parts(self) -> dict[str, PartCount]:
        return dict(self.by_part)

    @property
    def fixed(self) -> int:
        """Dense size of everything but the readout."""
        parts = self.parts
        return sum(parts[p].dense for p in FIXED_PARTS)

    @property
    def fixed_nonzero(self) -> int:
        parts = self.parts
        return sum(parts[p].nonzero for p in FIXED_PARTS)

    def to_json(self) -> dict[str, Any]:
        return {"free": self.free, "fixed": self.fixed, "fixed_nonzero": self.fixed_nonzero,
                "by_part": {p: c.to_json() for p, c in self.by_part}}

    def line(self) -> str:
        return parameters_line(self.to_json())


def parameters_line(counted: dict[str, Any]) -> str:
    """One line of text from the JSON object of :meth:`ParameterCount.to_json`: free,
    fixed, and each non-empty part as non-zero/dense."""
    shown = ", ".join(f"{p} {c['nonzero']:,}/{c['dense']:,}"
                      for p, c in counted["by_part"].items() if c["dense"])
    return (f"{counted['free']:,} free, {counted['fixed']:,} fixed ({counted['fixed_nonzero']:,}"
            f" non-zero); non-zero/dense by part: {shown}")


def count_parameters(model: Model) -> ParameterCount:
    """Count every number of ``model`` by part (see the module docstring)."""
    counts = {p: PartCount() for p in PARTS}
    emb = model.embedding
    for m in (emb.base,) + emb.coefficients:
        counts["embedding"] += _matrix(m)
    N = model.tokens
    for block in model.blocks:
        att = block.attention
        for name in ("wq", "wk", "wv", "wo"):
            counts[name] += _matrix(getattr(att, name))
        if att.mask is not None:
            counts["mask_bits"] += PartCount(att.mask.nnz, N * N)
        if block.ffn is not None:
            f = block.ffn
            for m in (f.w1, f.b1, f.w2, f.b2):
                counts["ffn"] += _matrix(m)
    r = model.readout
    counts["readout"] = PartCount(len(r.entries) + (1 if r.bias != 0 else 0),
                                  r.rows * r.cols + 1)
    return ParameterCount(model.free_parameters, tuple((p, counts[p]) for p in PARTS))
