"""How much one block can raise the degree of the residual stream (proofs/depth-lower-bound.md).

In an exact forward pass every entry of the stream is a polynomial in x. If every
entry has degree <= delta before a block, then after it every entry has degree
<= factor * delta, where the factor depends only on the block's kind:

    attention: identity scores 3 (q, k, v each linear in the row: deg q k v <= 3 delta);
               relu scores 3 on a box (relu(s) is s or 0 there), 1 in QQ[x]
               (the exact rung takes relu of constants only);
               softmax 1 (exact weights are constants: 1/k, or in Q(e^c));
    FFN:       square 2; relu 1 (as for relu scores); none 1.

A block's factor is the product. The embedding is affine (degree <= 1), so L blocks
output degree <= product of the factors <= F^L, and degree n needs L >= ceil(log_F n).
"""
from __future__ import annotations

from .ir import Block, Model

ATTENTION_FACTOR = {"identity": 3, "softmax": 1}
FFN_FACTOR = {"square": 2, "relu": 1}


def block_degree_factor(block: Block, on_box: bool = False) -> int:
    """The largest ratio deg(after) / deg(before) of the stream over one block."""
    act = block.attention.activation
    attention = (3 if on_box else 1) if act == "relu" else ATTENTION_FACTOR[act]
    ffn = 1 if block.ffn is None else FFN_FACTOR[block.ffn.activation]
    return attention * ffn


def output_degree_bound(model: Model, on_box: bool = False) -> int:
    """deg y <= deg H_L <= product of the block factors (deg H_0 <= 1)."""
    bound = 1
    for block in model.blocks:
        bound *= block_degree_factor(block, on_box)
    return bound


def depth_lower_bound(n: int, factor: int) -> int:
    """The least L with factor**L >= n: no model whose blocks have at most this factor
    outputs degree n with fewer blocks. factor 1 with n >= 2: no depth suffices (-1).

    >>> depth_lower_bound(6, 3), depth_lower_bound(27, 3), depth_lower_bound(28, 3)
    (2, 3, 4)
    """
    if n <= 1:
        return 0
    if factor <= 1:
        return -1
    L, reach = 0, 1
    while reach < n:
        reach *= factor
        L += 1
    return L
