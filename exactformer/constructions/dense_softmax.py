"""Construction E ("dense-softmax"): standard softmax attention over ALL tokens, no mask.

Fact the construction rests on: in QQ[x] a softmax weight exp(s_j) / sum_i exp(s_i) is
a polynomial (indeed a rational number) for all x only when every score of its row is
the same; with all scores equal it is exactly 1/N. So exact dense softmax attention is
uniform averaging over the tokens: every token receives the mean of all values. This
construction uses it for what averaging can do -- carry each input from the one token
that reads it to every token -- and lets a square-activation FFN multiply.

Tokens: the monomials alpha_t of degree <= n (graded order). Write alpha_t as its
units in variable order, i_1(t) <= i_2(t) <= ... <= i_|alpha_t|(t), and let
Y_k[t] = x_{i_k(t)} for k <= |alpha_t|, Y_k[t] = 1 otherwise; so x^alpha_t =
Y_1[t] ... Y_n[t]. Channels: one, m, y, X_1..X_d, B_1..B_d, and S_{k,i} (k = 1..n,
i = 1..d), width 3 + 2d + nd. Embedding: one = 1, m = 1, y = 1, X_i = x_i on the token of
x_i only (a split, ViT-like embedding), S_{k,i}[t] = [i_k(t) = i] (constants), else 0.

Block k (k = 1..n):
* attention: scores one_t * one_j = 1 for every pair, softmax weight 1/N, value X,
  Wo = N: every token gets B_i += (1/N) sum_j X_i[j] * N = x_i;
* FFN (sigma = square, products by polarisation ab = ((a+b)^2 - (a-b)^2)/4):
  m <- Y_1 (k = 1) or m * y (k >= 2); y <- Y_{k+1} (k < n); B <- 0 if
  k <= n - 2, where Y_k = one + sum_i S_{k,i} (B_i - one) is the Y_k above once B = x.
After block k, m_t = Y_1[t] ... Y_k[t]; after block n, m_t = x^alpha_t. (B = x and
y = Y_n are left behind, which nothing reads; the broadcast of block n is read by
nobody: every block keeps the same standard attention.)
"""
from __future__ import annotations

from fractions import Fraction
from typing import Mapping, Sequence

from ..errors import LimitExceeded
from ..limits import DEFAULT_LIMITS, Limits
from ..model import Attention, Block, Embedding, ExactMatrix, FeedForward, Model
from ..poly import Target, graded_monomials
from .common import Entries, assemble, target_degree
from .tokens import monomial_tokens

ONE, M, Y = 0, 1, 2
QUARTER = Fraction(1, 4)


def width(d: int, n: int) -> int:
    """3 + 2d + nd channels: one, m, y, X_1..X_d, B_1..B_d, S_{k,i}."""
    return 3 + 2 * d + n * d


def x_channel(d: int, i: int) -> int:
    return 3 + i


def b_channel(d: int, i: int) -> int:
    return 3 + d + i


def s_channel(d: int, k: int, i: int) -> int:
    """The selector channel S_{k,i} (k = 1..n, i = 0..d-1)."""
    return 3 + 2 * d + (k - 1) * d + i


def units(alpha: Sequence[int]) -> list[int]:
    """The variables of x^alpha, one per unit, in variable order.

    >>> units((2, 0, 1))
    [0, 0, 2]
    """
    return [i for i, e in enumerate(alpha) for _ in range(e)]


Form = Mapping[int, Fraction | int]
Product = tuple[int, Fraction, Form, Form]   # channel += coef * (a . h) (b . h)


def product_ffn(D: int, products: Sequence[Product]) -> FeedForward:
    """An FFN with sigma = square adding coef * (a.h)(b.h) into each channel: hidden
    units a+b and a-b, since (a+b)^2 - (a-b)^2 = 4ab. A linear term L is the product
    L * one (the channel one is 1 on every token)."""
    w1: Entries = {}
    w2: Entries = {}
    for u, (out, coef, a, b) in enumerate(products):
        for c in set(a) | set(b):
            w1[(c, 2 * u)] = Fraction(a.get(c, 0)) + Fraction(b.get(c, 0))
            w1[(c, 2 * u + 1)] = Fraction(a.get(c, 0)) - Fraction(b.get(c, 0))
        w2[(2 * u, out)] = coef * QUARTER
        w2[(2 * u + 1, out)] = -coef * QUARTER
    hidden = 2 * len(products)
    return FeedForward(ExactMatrix.from_dict(D, hidden, w1), ExactMatrix.zeros(1, hidden),
                       ExactMatrix.from_dict(hidden, D, w2), ExactMatrix.zeros(1, D), "square")


def _selection(d: int, k: int, out: int, coef: Fraction) -> list[Product]:
    """out += coef * (Y_k - one) with Y_k - one = sum_i S_{k,i} (B_i - one)."""
    return [(out, coef, {s_channel(d, k, i): 1}, {b_channel(d, i): 1, ONE: -1})
            for i in range(d)]


def block_ffn(d: int, n: int, k: int) -> FeedForward:
    """The FFN of block k: m <- Y_1 (k = 1, m was 1) or m * y; y <- Y_{k+1} for k < n
    (y was 1 before block 1); B <- 0 when a later block reads B again (k <= n - 2).
    Nothing else: every hidden unit is read (no term that is identically zero)."""
    products: list[Product]
    if k == 1:   # m (= 1) becomes Y_1 = 1 + sum_i S_{1,i}(B_i - one)
        products = _selection(d, 1, M, Fraction(1))
    else:        # m becomes m * y = m + m (y - one)
        products = [(M, Fraction(1), {M: 1}, {Y: 1, ONE: -1})]
    if k == 1 and k < n:  # y (= 1) becomes Y_2
        products += _selection(d, 2, Y, Fraction(1))
    elif k < n:           # y (= Y_k) becomes Y_{k+1} = y + (one - y) + selection
        products += [(Y, Fraction(1), {ONE: 1, Y: -1}, {ONE: 1})] + _selection(d, k + 1, Y,
                                                                               Fraction(1))
    if k + 1 < n:  # B is read again by block k + 1 only if that block computes Y_{k+2}
        products += [(b_channel(d, i), Fraction(1), {b_channel(d, i): -1}, {ONE: 1})
                     for i in range(d)]
    return product_ffn(width(d, n), products)


def broadcast_attention(d: int, n: int, N: int) -> Attention:
    """Scores one_t * one_j = 1 on all N keys (softmax weight exactly 1/N), value X,
    Wo = N * (head i -> B_i): B_i += x_i on every token. No mask."""
    D = width(d, n)
    h = max(d, 1)   # d = 0: a head of size 1 whose value is 0
    wq = ExactMatrix.from_dict(D, 1, {(ONE, 0): 1})
    wv = ExactMatrix.from_dict(D, h, {(x_channel(d, i), i): 1 for i in range(d)})
    wo = ExactMatrix.from_dict(h, D, {(i, b_channel(d, i)): N for i in range(d)})
    return Attention(wq, wq, wv, wo, "softmax", None)


def fixed_blocks(d: int, n: int, limits: Limits = DEFAULT_LIMITS) -> tuple[Embedding, tuple[Block, ...]]:
    """The target-independent part of construction E for d variables, degree n."""
    tokens = monomial_tokens(d, n, limits)
    N = len(tokens.monomials)
    if n and N * N > limits.max_tokens:
        # no mask: every block scores all N^2 pairs
        raise LimitExceeded(f"dense softmax attention on {N} tokens scores {N * N} pairs per "
                            f"block, above the token limit {limits.max_tokens}")
    D = width(d, n)
    base: Entries = {}
    coef: list[Entries] = [dict() for _ in range(d)]
    for t, alpha in enumerate(tokens.monomials):
        base[(t, ONE)] = 1
        base[(t, M)] = 1
        base[(t, Y)] = 1
        for k, i in enumerate(units(alpha), 1):
            base[(t, s_channel(d, k, i))] = 1
        if sum(alpha) == 1:
            i = alpha.index(1)
            coef[i][(t, x_channel(d, i))] = 1
    embedding = Embedding(tuple(f"x{i + 1}" for i in range(d)),
                          ExactMatrix.from_dict(N, D, base),
                          tuple(ExactMatrix.from_dict(N, D, a) for a in coef))
    attention = broadcast_attention(d, n, N)
    blocks = tuple(Block(attention, block_ffn(d, n, k)) for k in range(1, n + 1))
    return embedding, blocks


def build_dense_softmax(target: Target, degree: int | None = None,
                        limits: Limits = DEFAULT_LIMITS) -> Model:
    """Construction E for ``target`` (degree defaults to the target's degree)."""
    d = target.dimension
    n = target_degree(target, degree)
    monomials = graded_monomials(d, n)
    channels = (["one", "m", "y"] + [f"X_{i + 1}" for i in range(d)]
                + [f"B_{i + 1}" for i in range(d)]
                + [f"S_{k}_{i + 1}" for k in range(1, n + 1) for i in range(d)])
    meta = {"construction": "dense-softmax", "dimension": d, "degree": n,
            "channels": ",".join(channels), "free_parameters": len(monomials)}
    return assemble(target, fixed_blocks(d, n, limits), monomials, meta, channel=M)
