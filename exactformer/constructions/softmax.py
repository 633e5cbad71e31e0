"""Construction B ("softmax"): standard masked softmax attention + a square-activation FFN.

Tokens and embedding as in construction A, plus a scratch channel u:
channels [xin, one, m, u], xin_t = x_{l(t)} (token 0: 1), one_t = 1, m_t = [t = 0].

Block k, attention: softmax over the allowed keys of a fixed mask that lets each
token t of degree k see its parent p(t) only; score q_t . k_p = xin_t * one_p = x_l,
value v_p = m_p, Wo writes into u. A one-key row has weight exp(s)/exp(s) = 1, so
u_t = m_p; rows with no allowed key output 0. (The engine derives the weight.)
Block k, FFN (sigma = square, hidden width 4), by polarisation:

    m += ((xin + u)^2 - (xin - u)^2) / 4 = xin * u
    u += -((u + one)^2 - (u - one)^2) / 4 = -u          (clears the scratch)

so after block k m_t = x_l * x^(alpha_t - e_l) = x^alpha_t for |alpha_t| = k, u = 0
everywhere, and tokens of other degrees are unchanged (their u was 0).
"""
from __future__ import annotations

from fractions import Fraction

from ..limits import DEFAULT_LIMITS, Limits
from ..model import Attention, Block, Embedding, ExactMatrix, FeedForward, Model
from ..poly import Target, graded_monomials
from .common import (M, ONE, XIN, assemble, monomial_embedding, parent_attention,
                     parent_masks, target_degree)
from .tokens import monomial_tokens

U = 3
WIDTH = 4
CHANNELS = ("xin", "one", "m", "u")
QUARTER = Fraction(1, 4)


def polarisation_ffn() -> FeedForward:
    """The FFN m += xin*u, u -= u with sigma = square (hidden units xin+u, xin-u,
    u+one, u-one): xin*u = ((xin+u)^2 - (xin-u)^2)/4 and u = ((u+1)^2 - (u-1)^2)/4."""
    w1 = ExactMatrix.from_dict(WIDTH, 4, {(XIN, 0): 1, (U, 0): 1, (XIN, 1): 1, (U, 1): -1,
                                          (U, 2): 1, (ONE, 2): 1, (U, 3): 1, (ONE, 3): -1})
    w2 = ExactMatrix.from_dict(4, WIDTH, {(0, M): QUARTER, (1, M): -QUARTER,
                                          (2, U): -QUARTER, (3, U): QUARTER})
    return FeedForward(w1, ExactMatrix.zeros(1, 4), w2, ExactMatrix.zeros(1, WIDTH), "square")


def fixed_blocks(d: int, n: int, limits: Limits = DEFAULT_LIMITS) -> tuple[Embedding, tuple[Block, ...]]:
    """The target-independent part of construction B for d variables, degree n."""
    tokens = monomial_tokens(d, n, limits)
    embedding = monomial_embedding(tokens, WIDTH)
    wq, wk, wv, wo = parent_attention(WIDTH, U)
    ffn = polarisation_ffn()
    blocks = tuple(Block(Attention(wq, wk, wv, wo, "softmax", mask), ffn)
                   for mask in parent_masks(tokens, n))
    return embedding, blocks


def build_softmax(target: Target, degree: int | None = None,
                  limits: Limits = DEFAULT_LIMITS) -> Model:
    """Construction B for ``target`` (degree defaults to the target's degree)."""
    d = target.dimension
    n = target_degree(target, degree)
    monomials = graded_monomials(d, n)
    meta = {"construction": "softmax", "dimension": d, "degree": n,
            "channels": ",".join(CHANNELS), "free_parameters": len(monomials)}
    return assemble(target, fixed_blocks(d, n, limits), monomials, meta)
