"""One generic interpreter of the model IR over any scalar domain.

It knows nothing about how a model was built. Work follows the non-zeros: only
tokens with a non-empty mask row are queried, only keys some query may see are
computed, and a token whose attention output is zero keeps its residual row
(rows are shared between consecutive states, never copied).
"""
from __future__ import annotations

import time
from itertools import compress
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Sequence, TypeAlias

import sympy

from ..errors import LimitExceeded
from ..model import ExactMatrix, FeedForward, Model
from .domains import Domain, Scalar

#: One token's row of the residual stream (or of a head output): D domain values.
Row: TypeAlias = "list[Scalar]"
#: The non-zero rows of a weight matrix in a domain: (row, ((col, entry or None), ...)).
Weights: TypeAlias = "list[tuple[int, tuple[tuple[int, Scalar | None], ...]]]"


@dataclass(repr=False)
class BlockTrace:
    """What one block did: scores S[t, j] (allowed pairs), the head outputs a_t
    (before Wo) of the tokens that attended, and the residual stream after the block."""

    index: int
    scores: dict[tuple[int, int], Scalar]
    attention: dict[int, Row]
    residual: list[Row]

    def __repr__(self) -> str:
        return (f"<BlockTrace block {self.index}: {len(self.scores)} score(s), "
                f"{len(self.attention)} head output(s)>")


@dataclass(repr=False)
class Trace:
    """Residual streams and per-block details of one forward pass.

    ``residuals[0]`` is the embedding H0 and ``residuals[k]`` the stream after block k
    (like tracr's ``residuals``); ``blocks[k-1].scores`` are the attention logits.
    """

    domain: Domain
    residuals: list[list[Row]]
    blocks: list[BlockTrace]

    @property
    def final(self) -> list[Row]:
        return self.residuals[-1]

    def __repr__(self) -> str:
        """Shape and per-block counts, never the (possibly huge) values themselves."""
        tokens = len(self.residuals[0]) if self.residuals else 0
        width = len(self.residuals[0][0]) if tokens else 0
        blocks = [f"block {b.index}: {len(b.scores)} score(s), {len(b.attention)} token(s) "
                  "attended" for b in self.blocks[:6]]
        if len(self.blocks) > 6:
            blocks.append(f"... {len(self.blocks) - 6} more block(s)")
        return (f"<Trace over {self.domain!r}: {tokens} tokens x {width} channels, embedding + "
                f"{len(self.residuals) - 1} block(s)" + ("; " + "; ".join(blocks) if blocks else "")
                + "; residuals[k] = stream after block k, scores_of(k), value(k, t, c)>")

    def value(self, layer: int, token: int, channel: int) -> sympy.Expr:
        """H_layer[token, channel] as a sympy expression."""
        return self.domain.to_sympy(self.residuals[layer][token][channel])

    def residual_matrix(self, layer: int) -> sympy.Matrix:
        """The whole residual stream after ``layer`` blocks as a sympy Matrix."""
        return sympy.Matrix([[self.domain.to_sympy(v) for v in row]
                             for row in self.residuals[layer]])

    def scores_of(self, block: int) -> dict[tuple[int, int], sympy.Expr]:
        """Attention scores of block ``block`` (1-based) as sympy expressions."""
        return {k: self.domain.to_sympy(v) for k, v in self.blocks[block - 1].scores.items()}


def _weights(matrix: ExactMatrix, domain: Domain) -> Weights:
    """Non-zero rows of a weight matrix with entries converted into the domain.

    An entry equal to 1 is stored as ``None``: x * 1 = x in every domain, so the
    product is skipped (exactly the same value, one ring operation fewer)."""
    return [(r, tuple((c, None if v == 1 else domain.const(v)) for c, v in cols))
            for r, cols in sorted(matrix.by_row.items())]


def _row_times(row: Row, weights: Weights, cols: int, zero: Scalar) -> Row:
    """row @ W using only the non-zero rows of W and non-zero entries of row.

    0 + y = y, so a first contribution to an output entry is stored as is."""
    out = [zero] * cols
    for r, entries in weights:
        x = row[r]
        if not x:
            continue
        for c, w in entries:
            term = x if w is None else x * w
            prev = out[c]
            out[c] = prev + term if prev else term
    return out


def _dot(a: Row, b: Row, zero: Scalar) -> Scalar:
    total = zero
    for u, v in zip(a, b):
        if u and v:
            term = u * v
            total = total + term if total else term
    return total


def embed(model: Model, domain: Domain) -> list[Row]:
    """H0 = B + sum_i x_i A_i."""
    emb = model.embedding
    zero = domain.zero
    H = [[zero] * emb.width for _ in range(emb.tokens)]
    for r, c, v in emb.base.entries:
        H[r][c] = H[r][c] + domain.const(v)
    for i, a in enumerate(emb.coefficients):
        x = domain.variable(i)
        for r, c, v in a.entries:
            term = x if v == 1 else x * domain.const(v)
            H[r][c] = H[r][c] + term if H[r][c] else term
    return H


def run(model: Model, domain: Domain, record: bool = True,
        deadline: float | None = None,
        progress: Callable[[int, int], None] | None = None) -> Trace:
    """Forward pass of ``model`` over ``domain``; returns the trace.

    With ``record=False`` only the final residual stream is kept.
    """
    H = embed(model, domain)
    residuals = [H]
    blocks: list[BlockTrace] = []
    zero = domain.zero
    N = model.tokens
    converted: dict[int, Weights] = {}

    def weights(matrix: ExactMatrix) -> Weights:
        # blocks often share their weight matrices: convert each one once per run
        key = id(matrix)
        if key not in converted:
            converted[key] = _weights(matrix, domain)
        return converted[key]

    for k, block in enumerate(model.blocks, 1):
        if deadline is not None and time.monotonic() > deadline:
            raise LimitExceeded(f"time limit reached in block {k} of {model.depth} (use "
                                "--timeout to change it)")
        att = block.attention
        wq, wk, wv, wo = (weights(m) for m in (att.wq, att.wk, att.wv, att.wo))
        h, hv, D = att.wq.cols, att.wv.cols, att.width
        if att.mask is not None:
            allowed = att.mask.allowed  # only the non-empty rows (found at C speed)
            rows = [(t, allowed[t]) for t in compress(range(N), allowed)]
        else:
            everyone = tuple(range(N))
            rows = [(t, everyone) for t in range(N)]
        keys_needed = sorted({j for _, keys in rows for j in keys})
        K = {j: _row_times(H[j], wk, h, zero) for j in keys_needed}
        V = {j: _row_times(H[j], wv, hv, zero) for j in keys_needed}
        scores: dict[tuple[int, int], Scalar] = {}
        heads: dict[int, Row] = {}
        new_H = list(H)
        for t, keys in rows:
            q = _row_times(H[t], wq, h, zero)
            s = [_dot(q, K[j], zero) for j in keys]
            if record:
                scores.update(((t, j), v) for j, v in zip(keys, s))
            if att.activation == "softmax":
                w = domain.softmax(s)
            elif att.activation == "relu":
                w = [domain.relu(v) for v in s]
            else:
                w = s
            a = [zero] * hv
            for j, wj in zip(keys, w):
                if not wj:
                    continue
                for c, v in enumerate(V[j]):
                    if v:
                        term = wj * v
                        prev = a[c]
                        a[c] = prev + term if prev else term
            if not any(a):
                continue
            heads[t] = a
            out = _row_times(a, wo, D, zero)
            new_H[t] = [(u + v if u else v) if v else u for u, v in zip(H[t], out)]
        H = new_H
        if block.ffn is not None:
            H = _ffn(block.ffn, H, domain)
        if record:
            residuals.append(H)
            blocks.append(BlockTrace(k, scores, heads, H))
        if progress is not None:
            progress(k, model.depth)
    if not record:
        residuals.append(H)
    return Trace(domain, residuals, blocks)


def _ffn(ffn: FeedForward, H: list[Row], domain: Domain) -> list[Row]:
    zero = domain.zero
    w1, w2 = _weights(ffn.w1, domain), _weights(ffn.w2, domain)
    b1 = [domain.const(ffn.b1.get(0, c)) for c in range(ffn.w1.cols)]
    b2 = [domain.const(ffn.b2.get(0, c)) for c in range(ffn.w2.cols)]
    square = ffn.activation == "square"
    out = []
    for row in H:
        z = _row_times(row, w1, ffn.w1.cols, zero)
        z = [u + b for u, b in zip(z, b1)]
        z = [u * u for u in z] if square else [domain.relu(u) for u in z]
        y = _row_times(z, w2, ffn.w2.cols, zero)
        out.append([u + v + b for u, v, b in zip(row, y, b2)])
    return out
