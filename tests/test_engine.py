"""The generic interpreter on tiny hand-computed models and across domains."""
from __future__ import annotations

import random
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, strategies as st

from exactformer import NotExact, build
from exactformer.engine import MpmathDomain, PolynomialDomain, RationalDomain, run
from exactformer.model import (Attention, Block, Embedding, ExactMatrix, FeedForward, Mask,
                               Model, Readout)

from reference import random_point, reference_forward

x, y = sympy.symbols("x y")


def tiny(activation="identity", mask=None, ffn=None):
    """Two tokens, width 2: H0 = [[x, 1], [1, x]]. Hand-computed below."""
    base = ExactMatrix.from_rows([[0, 1], [1, 0]])
    a = ExactMatrix.from_rows([[1, 0], [0, 1]])
    eye = ExactMatrix.from_rows([[1, 0], [0, 1]])
    att = Attention(eye, eye, ExactMatrix.from_rows([[1], [0]]),
                    ExactMatrix.from_rows([[0, 1]]), activation, mask)
    readout = Readout.from_dict(2, 2, {(0, 1): 1, (1, 1): 1})
    return Model(Embedding(("x",), base, (a,)), (Block(att, ffn),), readout)


def test_identity_attention_by_hand():
    # Q = K = H, S = H H^T = [[x^2+1, 2x], [2x, x^2+1]], V = first column = [x, 1]
    # A = S V = [x^3 + x + 2x, 2x^2 + x^2 + 1] -> added to channel 1
    tr = run(tiny(), PolynomialDomain(["x"]))
    assert tr.scores_of(1)[(0, 1)] == 2 * x
    H = tr.residual_matrix(1)
    assert sympy.expand(H[0, 1] - (1 + x**3 + 3 * x)) == 0
    assert sympy.expand(H[1, 1] - (x + 3 * x**2 + 1)) == 0
    assert H[0, 0] == x and H[1, 0] == 1


def test_mask_removes_entries_by_hand():
    mask = Mask(2, ((1,), ()))
    tr = run(tiny(mask=mask), PolynomialDomain(["x"]))
    H = tr.residual_matrix(1)
    assert sympy.expand(H[0, 1] - (1 + 2 * x)) == 0   # only S[0,1] * V[1] = 2x * 1
    assert H[1, 1] == x                               # row 1 untouched
    assert set(tr.blocks[0].scores) == {(0, 1)}


def test_ffn_square_by_hand():
    ffn = FeedForward(ExactMatrix.from_rows([[1], [1]]), ExactMatrix.from_rows([[0]]),
                      ExactMatrix.from_rows([[1, 0]]), ExactMatrix.from_rows([[0, 0]]),
                      "square")
    mask = Mask(2, ((), ()))
    tr = run(tiny(mask=mask, ffn=ffn), PolynomialDomain(["x"]))
    H = tr.residual_matrix(1)
    assert sympy.expand(H[0, 0] - (x + (x + 1) ** 2)) == 0


def test_relu_of_nonconstant_polynomial_is_not_exact():
    with pytest.raises(NotExact, match="relu"):
        run(tiny("relu"), PolynomialDomain(["x"]))
    # at a point it is fine and agrees with the reference
    tr = run(tiny("relu"), RationalDomain([Fraction(-3)]))
    assert tr.final[0][1] == 1 + max(Fraction(9 + 1), 0) * -3 + max(Fraction(-6), 0) * 1


def test_softmax_of_unequal_polynomial_scores_is_not_exact():
    with pytest.raises(NotExact, match="softmax"):
        run(tiny("softmax"), PolynomialDomain(["x"]))


def test_softmax_of_single_key_is_exactly_one():
    tr = run(tiny("softmax", mask=Mask(2, ((1,), (0,)))), PolynomialDomain(["x"]))
    H = tr.residual_matrix(1)
    assert H[0, 1] == 2 and H[1, 1] == x + x   # weight 1 on the single key


@given(st.sampled_from(["3*x**2*y - y/7 + 2", "x**5 - x", "(x+y+1)**4", "x*y*z - z**3",
                        "7"]), st.integers(0, 10**6))
def test_domains_agree_with_the_dense_reference(text, seed):
    m = build(text)
    rng = random.Random(seed)
    pt = random_point(len(m.variables), rng)
    exact = reference_forward(m, pt)
    poly_trace = run(m, PolynomialDomain(m.variables))
    # evaluate the polynomial output at the point (via sympy, independently)
    subs = {sympy.Symbol(n): sympy.Rational(v.numerator, v.denominator)
            for n, v in zip(m.variables, pt)}
    y_poly = sum((sympy.Rational(v.numerator, v.denominator)
                  * poly_trace.domain.to_sympy(poly_trace.final[t][c]).subs(subs)
                  for t, c, v in m.readout.entries), sympy.Integer(0))
    assert y_poly == sympy.Rational(exact.numerator, exact.denominator)
    q_trace = run(m, RationalDomain(pt))
    y_q = sum((v * q_trace.final[t][c] for t, c, v in m.readout.entries), Fraction(0))
    assert y_q == exact
    dom = MpmathDomain(pt, dps=60)
    mp_trace = run(m, dom)
    ctx = dom.ctx
    y_mp = sum((dom.const(v) * mp_trace.final[t][c] for t, c, v in m.readout.entries),
               ctx.mpf(0))
    assert abs(y_mp - dom.const(exact)) <= ctx.mpf(10) ** -40 * (1 + abs(y_mp))


def test_work_follows_the_mask():
    m = build("x**4 + y**4")
    tr = run(m, PolynomialDomain(m.variables))
    for k, bt in enumerate(tr.blocks, 1):
        assert len(bt.scores) == m.blocks[k - 1].attention.mask.nnz
        unchanged = [t for t in range(m.tokens) if t not in bt.attention]
        for t in unchanged:
            assert tr.residuals[k][t] is tr.residuals[k - 1][t]


def test_deadline_stops_the_run():
    from exactformer import LimitExceeded
    m = build("x**3")
    with pytest.raises(LimitExceeded, match="time limit"):
        run(m, PolynomialDomain(m.variables), deadline=0.0)
