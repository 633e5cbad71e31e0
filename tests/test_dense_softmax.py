"""Construction E (dense-softmax): softmax over all tokens in every block, no mask."""
from __future__ import annotations

import math
import random
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from exactformer import build, prove
from exactformer.constructions.dense_softmax import M, ONE, width
from exactformer.errors import LimitExceeded, NotExact
from exactformer.floats.forward import float_model_from_model, run_float
from exactformer.limits import Limits
from exactformer.poly import make_target
from exactformer.theorem import prove_theorem
from exactformer.verify import verify_identity

from reference import random_point, reference_forward


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("n", range(0, 7))
def test_theorem_holds_for_every_d_n_up_to_3_6_without_any_mask(d, n):
    result = prove_theorem(d, n, "dense-softmax")
    assert result.verdict.holds and result.verdict.rung == "exact polynomial identity"
    model = result.model
    assert model.depth == n and model.width == width(d, n) == 3 + 2 * d + n * d
    assert model.tokens == math.comb(n + d, d) == model.free_parameters
    for block in model.blocks:
        assert block.attention.mask is None and block.attention.activation == "softmax"
        assert block.ffn is not None and block.ffn.activation == "square"


def test_the_verdict_says_every_row_has_all_n_keys():
    r = prove("x**2*y - 3*z + 1", construction="dense-softmax")
    assert r.proved
    note = dict(r.verdict.evidence)["softmax weights"]
    assert note.startswith(f"{3 * 20} softmax rows in 3 blocks") and "0 rows have one" in note
    for block in r.trace.blocks:  # every pair scored: N^2 scores per block, all equal to 1
        assert len(block.scores) == 20 * 20 and set(map(str, block.scores.values())) == {"1"}


def mutated(model, block: int, part: str, r: int, c: int, delta: Fraction):
    b = model.blocks[block]
    if part in ("wq", "wk", "wv", "wo"):
        m = getattr(b.attention, part)
        new = replace(b, attention=replace(b.attention, **{part: m.with_entry(r, c, m.get(r, c)
                                                                             + delta)}))
    else:
        m = getattr(b.ffn, part)
        new = replace(b, ffn=replace(b.ffn, **{part: m.with_entry(r, c, m.get(r, c) + delta)}))
    blocks = model.blocks[:block] + (new,) + model.blocks[block + 1:]
    return replace(model, blocks=blocks)


FULL = " + ".join(f"{i + 1}*x**{a}*y**{b}" for i, (a, b) in enumerate(
    [(0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2), (3, 0), (2, 1), (1, 2), (0, 3)]))


def test_perturbing_one_weight_is_refuted():
    """Every monomial has a non-zero coefficient, so every token is read."""
    target = make_target(FULL, variables=("x", "y"))
    model = build(FULL, variables=("x", "y"), construction="dense-softmax")
    for k in (0, 1):  # the broadcasts that are read (blocks 1 .. n-1)
        for r, c, _ in model.blocks[k].attention.wo.entries:
            verdict, _, _ = verify_identity(mutated(model, k, "wo", r, c, Fraction(1)), target)
            assert verdict.verdict == "refuted", (k, r, c)
    for k in range(3):  # every output weight of every FFN matters
        for r, c, _ in model.blocks[k].ffn.w2.entries:
            verdict, _, _ = verify_identity(mutated(model, k, "w2", r, c, Fraction(1, 7)),
                                            target)
            assert verdict.verdict == "refuted", (k, r, c)


def test_the_last_broadcast_is_read_by_nobody():
    """Stated in the proof: block n's attention output is never read (a true invariance,
    so a perturbation there is still proved)."""
    target = make_target(FULL, variables=("x", "y"))
    model = build(FULL, variables=("x", "y"), construction="dense-softmax")
    r, c, _ = model.blocks[2].attention.wo.entries[0]
    assert verify_identity(mutated(model, 2, "wo", r, c, Fraction(1)), target)[0].holds


def test_attention_is_needed_a_model_without_it_is_refuted():
    target = make_target("x*y + 1", variables=("x", "y"))
    model = build("x*y + 1", variables=("x", "y"), construction="dense-softmax")
    silent = replace(model, blocks=tuple(
        replace(b, attention=replace(b.attention, wo=b.attention.wo.zeros(
            *b.attention.wo.shape))) for b in model.blocks))
    verdict, _, _ = verify_identity(silent, target)
    assert verdict.verdict == "refuted"


def test_unequal_scores_are_refused_not_averaged():
    """The engine is not told the weights: make one score depend on x and it refuses."""
    model = build("x*y + 1", variables=("x", "y"), construction="dense-softmax")
    # query reads X_1 as well: token x's score becomes 1 + x on every key, but other
    # rows stay equal; make a row unequal through the key instead
    leaky = mutated(model, 0, "wk", 3, 0, Fraction(1))  # key reads X_1 (= x on token x)
    with pytest.raises(NotExact, match="softmax of unequal scores"):
        verify_identity(leaky, make_target("x*y + 1", variables=("x", "y")))


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 3), st.integers(0, 4), st.integers(0, 2**32))
def test_differential_against_the_dense_reference_and_real_softmax(d, n, seed):
    rng = random.Random(seed)
    names = ("x", "y", "z")[:d]
    terms = " + ".join(f"{rng.randint(-9, 9)}/{rng.randint(1, 9)}*" + "*".join(
        f"{v}**{rng.randint(0, 2)}" for v in names) for _ in range(3))
    target = make_target(terms, variables=names)
    model = build(terms, variables=names, construction="dense-softmax", degree=max(n, target.degree))
    assert verify_identity(model, target)[0].holds
    point = random_point(d, rng)
    value = target.poly.as_expr().subs(dict(zip(target.poly.ring.symbols, point)))
    assert reference_forward(model, point) == Fraction(int(value.p), int(value.q))
    # float64 with the real exp (numpy softmax) agrees to rounding: the weights are 1/N
    X = np.array([[float(v) for v in point]])
    y = run_float(float_model_from_model(model), X)[0]
    assert y == pytest.approx(float(value), rel=1e-9, abs=1e-9)


def test_size_limit_on_the_scored_pairs():
    with pytest.raises(LimitExceeded, match="scores"):
        build("x*y*z + 1", construction="dense-softmax", limits=Limits(max_tokens=300))


def test_readout_is_on_channel_m_and_token_zero_reads_one():
    model = build("5*x + 2", construction="dense-softmax")
    assert {(t, c): str(v) for t, c, v in model.readout.entries} == {(0, M): "2", (1, M): "5"}
    assert model.embedding.base.get(0, ONE) == 1
