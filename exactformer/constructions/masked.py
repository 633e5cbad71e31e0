"""Construction A ("masked"): n fixed blocks compute every monomial of degree <= n.

Tokens are the monomials alpha_0 = 0, alpha_1, ... of degree <= n in graded order;
channels are [xin, one, m]. Token t reads xin_t = x_{l(t)}, the last variable
occurring in alpha_t (token 0 reads 1), one_t = 1, and m_t = [t = 0].

Block k attends from every token t of degree k to its parent p(t) = alpha_t - e_l
only (mask), with score q_t k_p = xin_t * one_p = x_l and value v_p = m_p, so the
attention output is a_t = x_l * m_p and the residual adds it into m_t.
Induction on k: before block k, m_s = x^alpha_s for |alpha_s| < k and 0 otherwise;
block k sets m_t = x_l * x^(alpha_t - e_l) = x^alpha_t for |alpha_t| = k and leaves
all other tokens unchanged (their mask rows are empty). After n blocks every
m_t = x^alpha_t, so the readout R[t, m] = c_{alpha_t} gives sum_alpha c_alpha x^alpha.

The blocks depend only on (d, n); the target enters only through the readout.
"""
from __future__ import annotations

from fractions import Fraction

from ..limits import DEFAULT_LIMITS, Limits
from ..model import Attention, Block, Embedding, Model
from ..poly import Target, graded_monomials
from .common import M, assemble, monomial_embedding, parent_attention, parent_masks, target_degree
from .tokens import monomial_tokens

WIDTH = 3
CHANNELS = ("xin", "one", "m")


def fixed_blocks(d: int, n: int, limits: Limits = DEFAULT_LIMITS) -> tuple[Embedding, tuple[Block, ...]]:
    """The target-independent part of construction A for d variables, degree n."""
    tokens = monomial_tokens(d, n, limits)
    embedding = monomial_embedding(tokens, WIDTH)
    wq, wk, wv, wo = parent_attention(WIDTH, M)
    blocks = tuple(Block(Attention(wq, wk, wv, wo, "identity", mask))
                   for mask in parent_masks(tokens, n))
    return embedding, blocks


def build_masked(target: Target, degree: int | None = None,
                 limits: Limits = DEFAULT_LIMITS) -> Model:
    """Construction A for ``target`` (degree defaults to the target's degree)."""
    d = target.dimension
    n = target_degree(target, degree)
    monomials = readout_tokens(d, n)
    meta = {"construction": "masked", "dimension": d, "degree": n,
            "channels": ",".join(CHANNELS), "free_parameters": len(monomials)}
    return assemble(target, fixed_blocks(d, n, limits), monomials, meta)


def readout_tokens(d: int, n: int) -> list[tuple[int, ...]]:
    """The monomials whose coefficients are the free parameters (one per token)."""
    return graded_monomials(d, n)
