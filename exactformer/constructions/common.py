"""Pieces shared by the monomial-token constructions: embedding, parent masks,
and the assembly of a target-specific model around fixed blocks."""
from __future__ import annotations

from fractions import Fraction
from typing import Mapping, Sequence

from ..errors import ParseError
from ..model import Block, Embedding, ExactMatrix, Mask, Model
from ..model.ir import make_meta
from ..poly import Target
from .readout import coefficient_readout
from .tokens import MonomialTokens

XIN, ONE, M = 0, 1, 2

#: Sparse matrix entries (row, column) -> value, as ``ExactMatrix.from_dict`` takes them.
Entries = dict[tuple[int, int], Fraction | int]


def monomial_embedding(tokens: MonomialTokens, width: int,
                       embed_degree_one: bool = False) -> Embedding:
    """xin_t = x_{l(t)} (token 0: 1), one_t = 1, m_0 = 1; with ``embed_degree_one``
    also m_t = x_i for the degree-1 token of x_i. Variables are named x1..xd."""
    d = len(tokens.monomials[0])
    base: Entries = {}
    coef: list[Entries] = [dict() for _ in range(d)]
    for t in range(len(tokens.monomials)):
        base[(t, ONE)] = 1
        if t == 0:
            base[(t, XIN)] = 1
            base[(t, M)] = 1
        else:
            coef[tokens.last[t]][(t, XIN)] = 1
            if embed_degree_one and tokens.degree[t] == 1:
                coef[tokens.last[t]][(t, M)] = 1
    N = len(tokens.monomials)
    return Embedding(tuple(f"x{i + 1}" for i in range(d)), ExactMatrix.from_dict(N, width, base),
                     tuple(ExactMatrix.from_dict(N, width, a) for a in coef))


def parent_attention(width: int, write: int) -> tuple[ExactMatrix, ...]:
    """Wq, Wk, Wv, Wo of the parent-copy head: query reads xin, key reads one, value
    reads m, and the head output is written into channel ``write``."""
    return (ExactMatrix.from_dict(width, 1, {(XIN, 0): 1}),
            ExactMatrix.from_dict(width, 1, {(ONE, 0): 1}),
            ExactMatrix.from_dict(width, 1, {(M, 0): 1}),
            ExactMatrix.from_dict(1, width, {(0, write): 1}))


def parent_masks(tokens: MonomialTokens, n: int) -> list[Mask]:
    """Mask k (k = 1..n): every token of degree k sees its parent only; others nothing."""
    N = len(tokens.monomials)
    by_degree: list[list[int]] = [[] for _ in range(n + 1)]
    for t in range(1, N):
        by_degree[tokens.degree[t]].append(t)
    masks = []
    for k in range(1, n + 1):
        rows: list[tuple[int, ...]] = [()] * N
        for t in by_degree[k]:
            rows[t] = (tokens.parent[t],)
        masks.append(Mask(N, tuple(rows)))
    return masks


def target_degree(target: Target, degree: int | None) -> int:
    """The degree to build for: the target's, or a larger one asked for."""
    n = target.degree if degree is None else degree
    if n < target.degree:
        raise ParseError(f"degree {n} is below the target's degree {target.degree}")
    return n


def assemble(target: Target, fixed: tuple[Embedding, tuple[Block, ...]],
             monomials: Sequence[tuple[int, ...]],
             meta: Mapping[str, object], readout_target: Target | None = None,
             channel: int = M) -> Model:
    """The model: fixed embedding/blocks renamed to the target's variables, readout
    R[t, channel] = coefficient of monomials[t] in ``readout_target`` (default: the
    target itself), and descriptive metadata."""
    embedding, blocks = fixed
    embedding = Embedding(target.variables, embedding.base, embedding.coefficients)
    readout = coefficient_readout(readout_target or target, monomials, embedding.width, channel)
    return Model(embedding, blocks, readout, make_meta(meta))


__all__ = ["XIN", "ONE", "M", "monomial_embedding", "parent_attention", "parent_masks",
           "target_degree",
           "assemble"]
