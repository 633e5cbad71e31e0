"""The depth lower bound: the degree factor of each block kind against the exact engine,
its tightness, and the equal-footing comparison of masked and logdepth."""
from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from exactformer import build
from exactformer.constructions import CONSTRUCTIONS
from exactformer.constructions.common import assemble, monomial_embedding
from exactformer.constructions.masked import fixed_blocks
from exactformer.constructions.tokens import monomial_tokens
from exactformer.engine import BoxPolynomialDomain, run
from exactformer.engine.backends import run_exact
from exactformer.model import Attention, Block, Embedding, ExactMatrix, FeedForward, Mask, Model
from exactformer.model.degree import block_degree_factor, depth_lower_bound, output_degree_bound
from exactformer.model.ir import Readout
from exactformer.poly import graded_monomials, make_target
from exactformer.poly.box import box_from_meta
from exactformer.verify import verify_identity


def degree(p) -> int:
    return max((sum(m) for m in p.keys()), default=0) if p else 0


def stream_degrees(trace) -> list[int]:
    return [max((degree(v) for row in H for v in row), default=0) for H in trace.residuals]


def full_target(d: int, n: int) -> str:
    names = ["x", "y", "z"][:d]
    return " + ".join(f"{i + 1}*" + "*".join(f"{v}**{e}" for v, e in zip(names, a))
                      for i, a in enumerate(graded_monomials(d, n)))


@pytest.mark.parametrize("construction", sorted(CONSTRUCTIONS))
@pytest.mark.parametrize("n", [1, 3, 5])
def test_every_construction_stays_within_the_factor_bound(construction, n):
    model = build(full_target(2, n), variables=("x", "y"), construction=construction)
    on_box = "box" in model.info
    if on_box:
        trace = run(model, BoxPolynomialDomain(model.variables, box_from_meta(model.info["box"])))
    else:
        trace = run_exact(model)
    degrees = stream_degrees(trace)
    assert degrees[0] <= 1
    for k, block in enumerate(model.blocks, 1):
        assert degrees[k] <= block_degree_factor(block, on_box) * max(degrees[k - 1], 1)
    assert degrees[-1] >= n and output_degree_bound(model, on_box) >= n
    # the bound in blocks: no construction beats ceil(log_F n)
    factor = max((block_degree_factor(b, on_box) for b in model.blocks), default=1)
    assert model.depth >= depth_lower_bound(n, factor)


def small_matrix(draw, rows, cols):
    values = draw(st.lists(st.integers(-2, 2), min_size=rows * cols, max_size=rows * cols))
    return ExactMatrix.from_dict(rows, cols, {(i // cols, i % cols): v
                                              for i, v in enumerate(values)})


@st.composite
def random_models(draw):
    """Small random models of every kind the exact rung decides (softmax with zero
    scores, so that its weights are exact)."""
    N, D, d = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    emb = Embedding(tuple(f"x{i + 1}" for i in range(d)), small_matrix(draw, N, D),
                    tuple(small_matrix(draw, N, D) for _ in range(d)))
    blocks = []
    for _ in range(draw(st.integers(1, 3))):
        act = draw(st.sampled_from(["identity", "softmax"]))
        wq = ExactMatrix.zeros(D, 1) if act == "softmax" else small_matrix(draw, D, 1)
        mask = None
        if draw(st.booleans()):
            mask = Mask(N, tuple(tuple(j for j in range(N) if draw(st.booleans()))
                                 for _ in range(N)))
        att = Attention(wq, small_matrix(draw, D, 1), small_matrix(draw, D, 1),
                        small_matrix(draw, 1, D), act, mask)
        ffn = None
        if draw(st.booleans()):
            ffn = FeedForward(small_matrix(draw, D, 2), small_matrix(draw, 1, 2),
                              small_matrix(draw, 2, D), small_matrix(draw, 1, D), "square")
        blocks.append(Block(att, ffn))
    return Model(emb, tuple(blocks), Readout(N, D, ()))


@settings(max_examples=60, deadline=None)
@given(random_models())
def test_no_block_raises_the_degree_by_more_than_its_factor(model):
    degrees = stream_degrees(run_exact(model))
    for k, block in enumerate(model.blocks, 1):
        assert degrees[k] <= block_degree_factor(block) * max(degrees[k - 1], 1)


@pytest.mark.parametrize("L", [1, 2, 3])
def test_the_factor_three_is_attained(L):
    """One token, one channel holding x: q = k = v = x, so each block adds the cube."""
    one = ExactMatrix.from_dict(1, 1, {(0, 0): 1})
    emb = Embedding(("x",), ExactMatrix.zeros(1, 1), (one,))
    model = Model(emb, tuple(Block(Attention(one, one, one, one)) for _ in range(L)),
                  Readout(1, 1, ((0, 0, Fraction(1)),)))
    assert stream_degrees(run_exact(model))[-1] == 3 ** L == output_degree_bound(model)


@pytest.mark.parametrize("d, n", [(1, n) for n in range(1, 12)] + [(2, n) for n in range(1, 7)])
def test_masked_with_degree_one_tokens_embedded_needs_n_minus_1_blocks(d, n):
    """On logdepth's embedding convention (m_t = x_i on degree-1 tokens) masked drops
    its first block: n - 1 blocks, so logdepth (2 ceil(log2 n)) has fewer only for n = 8
    and n >= 10 (ties at 7 and 9)."""
    tokens = monomial_tokens(d, n)
    _, blocks = fixed_blocks(d, n)
    embedding = monomial_embedding(tokens, 3, embed_degree_one=True)
    text = full_target(d, n)
    names = ("x", "y", "z")[:d]
    target = make_target(text, variables=names)
    model = assemble(target, (embedding, blocks[1:]), graded_monomials(d, n),
                     {"construction": "masked-embedded", "free_parameters": len(tokens.monomials)})
    assert model.depth == n - 1
    assert verify_identity(model, target)[0].holds
    # and with one block fewer still, it is refuted
    if n >= 2:
        short = assemble(target, (embedding, blocks[1:-1]), graded_monomials(d, n), {})
        assert not verify_identity(short, target)[0].holds
    logdepth = build(text, variables=names, construction="logdepth").depth
    assert (logdepth < n - 1) == (n == 8 or n >= 10)
