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

from ..errors import LimitExceeded
from ..limits import DEFAULT_LIMITS, Limits
from ..model import Attention, Block, Embedding, ExactMatrix, FeedForward, Mask, Model
from ..model.ir import make_meta
from ..poly import Target, graded_monomials
from .readout import coefficient_readout
from .tokens import monomial_tokens

XIN, ONE, M, U = 0, 1, 2, 3
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
    N = len(tokens.monomials)
    base = {}
    coef = [dict() for _ in range(d)]
    for t in range(N):
        base[(t, ONE)] = 1
        if t == 0:
            base[(t, XIN)] = 1
            base[(t, M)] = 1
        else:
            coef[tokens.last[t]][(t, XIN)] = 1
    variables = tuple(f"x{i + 1}" for i in range(d))
    embedding = Embedding(variables, ExactMatrix.from_dict(N, WIDTH, base),
                          tuple(ExactMatrix.from_dict(N, WIDTH, a) for a in coef))
    wq = ExactMatrix.from_dict(WIDTH, 1, {(XIN, 0): 1})
    wk = ExactMatrix.from_dict(WIDTH, 1, {(ONE, 0): 1})
    wv = ExactMatrix.from_dict(WIDTH, 1, {(M, 0): 1})
    wo = ExactMatrix.from_dict(1, WIDTH, {(0, U): 1})
    ffn = polarisation_ffn()
    blocks = []
    for k in range(1, n + 1):
        rows = tuple((tokens.parent[t],) if tokens.degree[t] == k else ()
                     for t in range(N))
        blocks.append(Block(Attention(wq, wk, wv, wo, "softmax", Mask(N, rows)), ffn))
    return embedding, tuple(blocks)


def build_softmax(target: Target, degree: int | None = None,
                  limits: Limits = DEFAULT_LIMITS) -> Model:
    """Construction B for ``target`` (degree defaults to the target's degree)."""
    d = target.dimension
    n = target.degree if degree is None else degree
    if n < target.degree:
        raise LimitExceeded(f"degree {n} is below the target's degree {target.degree}")
    embedding, blocks = fixed_blocks(d, n, limits)
    embedding = Embedding(target.variables, embedding.base, embedding.coefficients)
    monomials = graded_monomials(d, n)
    readout = coefficient_readout(target, monomials, WIDTH, M)
    meta = {"construction": "softmax", "dimension": d, "degree": n,
            "channels": ",".join(CHANNELS), "free_parameters": len(monomials)}
    return Model(embedding, blocks, readout, make_meta(meta))
