"""Construction A: shape, counts, and independence of the blocks from the target."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, strategies as st

from exactformer import LimitExceeded, build
from exactformer.constructions.masked import M, fixed_blocks
from exactformer.constructions.tokens import monomial_tokens


@pytest.mark.parametrize("text, d, n", [
    ("x**3 - 1", 1, 3), ("x*y + 2", 2, 2), ("x*y*z**4", 3, 6), ("w*x*y*z + w", 4, 4),
    ("5", 0, 0), ("x", 1, 1)])
def test_blocks_equal_degree_and_free_parameters_equal_binomial(text, d, n):
    m = build(text)
    assert len(m.variables) == d
    assert m.depth == n
    assert m.tokens == math.comb(n + d, d)
    assert m.free_parameters == math.comb(n + d, d)
    assert m.width == 3


@given(st.integers(1, 3), st.integers(1, 5), st.integers(-99, 99), st.integers(-99, 99))
def test_blocks_identical_for_two_targets_of_same_shape(d, n, c1, c2):
    names = ["x", "y", "z"][:d]
    t1 = f"{abs(c1) + 1}*{names[0]}**{n} + {c2}"
    t2 = f"{-abs(c2) - 1}*{names[-1]}**{n} - 3"
    m1, m2 = build(t1, variables=names), build(t2, variables=names)
    assert m1.depth == m2.depth == n
    assert m1.blocks == m2.blocks
    assert m1.embedding == m2.embedding
    assert m1.readout != m2.readout


def test_readout_holds_the_coefficients_on_channel_m():
    m = build("3*x**2 - x/7 + 2")
    assert {(t, c): str(v) for t, c, v in m.readout.entries} == {
        (0, M): "2", (1, M): "-1/7", (2, M): "3"}


def test_each_block_masks_exactly_the_degree_k_tokens_to_their_parent():
    toks = monomial_tokens(2, 3)
    _, blocks = fixed_blocks(2, 3)
    for k, block in enumerate(blocks, 1):
        for t, row in enumerate(block.attention.mask.allowed):
            if toks.degree[t] == k:
                assert row == (toks.parent[t],)
                parent = list(toks.monomials[t])
                parent[toks.last[t]] -= 1
                assert toks.monomials[row[0]] == tuple(parent)
            else:
                assert row == ()


def test_degree_option_builds_a_larger_model():
    m = build("x + 1", degree=3)
    assert m.depth == 3 and m.tokens == 4
    from exactformer import ParseError
    with pytest.raises(ParseError, match="below the target"):
        build("x**3", degree=2)


def test_token_limit():
    from exactformer.limits import Limits
    with pytest.raises(LimitExceeded, match="tokens"):
        build("x*y*z*w*v*u + 1", limits=Limits(max_tokens=100))


def test_unknown_construction():
    from exactformer import ParseError
    with pytest.raises(ParseError, match="unknown construction"):
        build("x", construction="nope")
