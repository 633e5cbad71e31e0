"""Construction C ("relu"): relu attention with NO mask, exact on a box.

Tokens are the monomials of degree <= n (graded order). Channels
[xin, one, m, pos_0 .. pos_{N-1}] (width 3 + N): a token knows its position through a
one-hot channel instead of through a mask.

Input box [lo_1, hi_1] x ... : the embedding shifts each input, z_i = x_i - lo_i, so
z lies in [0, b]^d with b = max_i (hi_i - lo_i); let C = max(b, 1). Token t >= 1 reads
xin_t = z_{l(t)}, token 0 reads 1; one_t = 1; m_t = [t = 0]; pos_t = e_t.

Block k (single head of size 1 + N, relu score activation, no mask):

    q_t . k_j = xin_t - C - C [|alpha_t| != k] + C [t >= 1 and j = parent(t)],
    v_j = m_j, Wo writes into m.

On the box: for |alpha_t| = k and j = parent(t) the score is z_l >= 0, so relu keeps it;
every other score is <= z_l - C <= 0 (or 1 - 2C < 0 for token 0), so relu gives 0.
Hence a_t = z_l m_parent for |alpha_t| = k, else 0, and by induction (as in A) after n
blocks m_t = z^alpha_t. The readout holds the coefficients of q(z) = p(z + lo), so
y = q(x - lo) = p(x) on the box. Every score is affine in x, so an exact interval
evaluation over the box decides each relu (the engine's box domain does it).
"""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Sequence

from sympy import QQ

from ..errors import LimitExceeded, ParseError
from ..limits import DEFAULT_LIMITS, Limits
from ..model import Attention, Block, Embedding, ExactMatrix, Model
from ..poly import Target, graded_monomials
from ..poly.box import Box
from .common import M, ONE, XIN, Entries, assemble, target_degree
from .tokens import monomial_tokens

POS = 3


def default_box(d: int) -> Box:
    """Targets are taken on [-1, 1]^d unless a box is given."""
    return Box.cube(-1, 1, d)


def separation_constant(box: Box) -> Fraction:
    """C = max(b, 1) where [0, b]^d contains the shifted box."""
    return max(max(box.widths, default=Fraction(1)), Fraction(1))


def fixed_blocks(d: int, n: int, box: Box,
                 limits: Limits = DEFAULT_LIMITS) -> tuple[Embedding, tuple[Block, ...]]:
    """The target-independent part of construction C for d variables, degree n, a box."""
    tokens = monomial_tokens(d, n, limits)
    N = len(tokens.monomials)
    width = POS + N
    if N * width > limits.max_tokens:
        # no mask: every block scores all N^2 pairs, so the size is bounded by N * width
        raise LimitExceeded(f"the relu construction needs width {width} on {N} tokens "
                            f"({N * width} entries), above the token limit {limits.max_tokens}")
    C = separation_constant(box)
    base: Entries = {}
    coef: list[Entries] = [dict() for _ in range(d)]
    for t in range(N):
        base[(t, ONE)] = 1
        base[(t, POS + t)] = 1
        if t == 0:
            base[(t, XIN)] = 1
            base[(t, M)] = 1
        else:
            l = tokens.last[t]
            coef[l][(t, XIN)] = 1
            base[(t, XIN)] = -box.intervals[l][0]
    variables = tuple(f"x{i + 1}" for i in range(d))
    embedding = Embedding(variables, ExactMatrix.from_dict(N, width, base),
                          tuple(ExactMatrix.from_dict(N, width, a) for a in coef))
    head = 1 + N
    key: Entries = {(ONE, 0): 1}
    key.update({(POS + p, 1 + p): 1 for p in range(N)})
    wk = ExactMatrix.from_dict(width, head, key)
    wv = ExactMatrix.from_dict(width, 1, {(M, 0): 1})
    wo = ExactMatrix.from_dict(1, width, {(0, M): 1})
    blocks = []
    for k in range(1, n + 1):
        wq: Entries = {(XIN, 0): 1, (ONE, 0): -C}
        for s in range(N):
            if tokens.degree[s] != k:
                wq[(POS + s, 0)] = -C
            if s >= 1:
                wq[(POS + s, 1 + tokens.parent[s])] = C
        blocks.append(Block(Attention(ExactMatrix.from_dict(width, head, wq), wk, wv, wo,
                                      "relu", None)))
    return embedding, tuple(blocks)


def shifted_target(target: Target, lows: Sequence[Fraction]) -> Target:
    """q(z) = p(z + lo): the same polynomial written in the shifted inputs z = x - lo."""
    if not any(lows):
        return target
    ring = target.ring
    sub = [(g, g + ring.ground_new(ring.domain.convert(QQ(lo.numerator, lo.denominator))))
           for g, lo in zip(ring.gens, lows)]
    return replace(target, poly=target.poly.compose(sub))


def build_relu(target: Target, degree: int | None = None, limits: Limits = DEFAULT_LIMITS,
               box: Box | None = None) -> Model:
    """Construction C for ``target`` on ``box`` (default [-1, 1]^d)."""
    d = target.dimension
    n = target_degree(target, degree)
    box = default_box(d) if box is None else box
    if box.dimension != d:
        raise ParseError(f"box {box} has dimension {box.dimension}, the target has {d} "
                         "variables")
    monomials = graded_monomials(d, n)
    meta = {"construction": "relu", "dimension": d, "degree": n,
            "channels": "xin,one,m,pos_0..pos_%d" % (len(monomials) - 1),
            "free_parameters": len(monomials), "box": str(box),
            "input_shift": ",".join(str(lo) for lo in box.lows),
            "separation": str(separation_constant(box))}
    return assemble(target, fixed_blocks(d, n, box, limits), monomials, meta,
                    readout_target=shifted_target(target, box.lows))
