"""Construction D ("logdepth"): 2 ceil(log2 n) blocks instead of n.

Tokens are the monomials of degree <= n in graded order. Channels
[xin, one, m, u_1 .. u_S] (width 3 + S, S = ceil(log2 n) stages, S = 0 for n <= 1):
xin_t = x_{l(t)} as in A (token 0: 1), one_t = 1, and the embedding already gives
m_0 = 1 and m_t = x_i for the degree-1 token of x_i; every other m_t = 0.

Stage s makes the tokens of degree in (2^(s-1), 2^s]. For such a token alpha = beta +
gamma where beta = the first 2^(s-1) units of alpha in variable order and
gamma = alpha - beta, so 1 <= |gamma| <= 2^(s-1) and |beta| = 2^(s-1): both were made
before stage s. Two identity-score blocks with masks:
  (i)  score one_t * one_j = 1, mask t -> beta,  value m, Wo into u_s:  u_s[t] = x^beta;
  (ii) score u_s[t] * one_j,   mask t -> gamma, value m, Wo into m:    m_t += x^beta x^gamma.
Induction on s: after stage s every token of degree <= 2^s holds m_t = x^alpha_t and
all others m_t = 0. After S stages, 2^S >= n, so every m_t = x^alpha_t.
"""
from __future__ import annotations

from ..limits import DEFAULT_LIMITS, Limits
from ..model import Attention, Block, Embedding, ExactMatrix, Mask, Model
from ..poly import Target, graded_monomials
from .common import M, ONE, assemble, monomial_embedding, target_degree
from .tokens import monomial_tokens


def stages(n: int) -> int:
    """S = ceil(log2 n) for n >= 2, and 0 for n <= 1 (degree-1 tokens are embedded)."""
    return (n - 1).bit_length() if n >= 2 else 0


def split(alpha: tuple[int, ...], units: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(beta, gamma): beta = the first ``units`` units of alpha in variable order.

    >>> split((1, 2, 1), 2)
    ((1, 1, 0), (0, 1, 1))
    """
    beta, left = [], units
    for e in alpha:
        take = min(e, left)
        beta.append(take)
        left -= take
    return tuple(beta), tuple(a - b for a, b in zip(alpha, beta))


def fixed_blocks(d: int, n: int, limits: Limits = DEFAULT_LIMITS) -> tuple[Embedding, tuple[Block, ...]]:
    """The target-independent part of construction D for d variables, degree n."""
    tokens = monomial_tokens(d, n, limits)
    N = len(tokens.monomials)
    index = tokens.index
    S = stages(n)
    width = 3 + S
    embedding = monomial_embedding(tokens, width, embed_degree_one=True)
    ones = ExactMatrix.from_dict(width, 1, {(ONE, 0): 1})
    wv = ExactMatrix.from_dict(width, 1, {(M, 0): 1})
    wo_m = ExactMatrix.from_dict(1, width, {(0, M): 1})
    blocks = []
    for s in range(1, S + 1):
        half = 1 << (s - 1)
        u = 2 + s
        to_beta: list[tuple[int, ...]] = [()] * N
        to_gamma: list[tuple[int, ...]] = [()] * N
        for t in range(N):
            if half < tokens.degree[t] <= 2 * half:
                beta, gamma = split(tokens.monomials[t], half)
                to_beta[t], to_gamma[t] = (index[beta],), (index[gamma],)
        wo_u = ExactMatrix.from_dict(1, width, {(0, u): 1})
        wq_u = ExactMatrix.from_dict(width, 1, {(u, 0): 1})
        blocks.append(Block(Attention(ones, ones, wv, wo_u, "identity",
                                      Mask(N, tuple(to_beta)))))
        blocks.append(Block(Attention(wq_u, ones, wv, wo_m, "identity",
                                      Mask(N, tuple(to_gamma)))))
    return embedding, tuple(blocks)


def build_logdepth(target: Target, degree: int | None = None,
                   limits: Limits = DEFAULT_LIMITS) -> Model:
    """Construction D for ``target`` (degree defaults to the target's degree)."""
    d = target.dimension
    n = target_degree(target, degree)
    monomials = graded_monomials(d, n)
    S = stages(n)
    meta = {"construction": "logdepth", "dimension": d, "degree": n,
            "channels": ",".join(("xin", "one", "m") + tuple(f"u_{s}" for s in range(1, S + 1))),
            "free_parameters": len(monomials), "stages": S}
    return assemble(target, fixed_blocks(d, n, limits), monomials, meta)
