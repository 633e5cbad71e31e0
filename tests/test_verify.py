"""Rung 1 verdicts: proofs of random targets, and mutations that must be refuted."""
from __future__ import annotations

import random
from dataclasses import replace
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, strategies as st

from exactformer import build, make_target, prove
from exactformer.model import Attention, Block, Embedding, Model
from exactformer.verify import EXACT_IDENTITY, verify_identity

from reference import random_point, reference_forward


@st.composite
def targets(draw, symbolic=False):
    d = draw(st.integers(1, 4))
    names = ["x", "y", "z", "w"][:d]
    n = draw(st.integers(0, 6))
    parts = []
    for _ in range(draw(st.integers(1, 5))):
        exps = [0] * d
        for _ in range(draw(st.integers(0, n))):
            exps[draw(st.integers(0, d - 1))] += 1
        mono = "*".join(f"{v}**{e}" for v, e in zip(names, exps) if e) or "1"
        coef = f"({draw(st.integers(-10**9, 10**9))}/{draw(st.integers(1, 10**9))})"
        if symbolic:
            coef += "*" + draw(st.sampled_from(["a", "b", "a*b", "(a - 2*b)", "a**2", "1"]))
        parts.append(f"{coef}*{mono}")
    return " + ".join(parts), names


@given(targets())
def test_random_rational_targets_are_proved(case):
    text, names = case
    r = prove(text, variables=names)
    assert r.proved and r.verdict.rung == EXACT_IDENTITY
    assert r.model.depth == r.target.degree
    assert sympy.expand(r.output - r.target.as_expr()) == 0


@given(targets(symbolic=True))
def test_random_symbolic_targets_are_proved(case):
    text, names = case
    r = prove(text, variables=names, params="a,b")
    assert r.proved
    assert sympy.expand(r.output - r.target.as_expr()) == 0


def _mutations(model: Model, rng: random.Random):
    """Every single-entry change of the given model: (label, category, mutated model)."""
    delta = Fraction(rng.randint(1, 9), rng.randint(1, 9))
    emb = model.embedding
    for which, mat in [("B", emb.base)] + [(f"A{i}", a) for i, a in enumerate(emb.coefficients)]:
        for r in range(mat.rows):
            for c in range(mat.cols):
                new = mat.with_entry(r, c, mat.get(r, c) + delta)
                if which == "B":
                    e = replace(emb, base=new)
                else:
                    i = int(which[1:])
                    e = replace(emb, coefficients=emb.coefficients[:i] + (new,)
                                + emb.coefficients[i + 1:])
                yield f"embedding {which}[{r},{c}]", "embedding", replace(model, embedding=e)
    for k, block in enumerate(model.blocks):
        att = block.attention
        for name in ("wq", "wk", "wv", "wo"):
            mat = getattr(att, name)
            for r in range(mat.rows):
                for c in range(mat.cols):
                    new_att = replace(att, **{name: mat.with_entry(r, c, mat.get(r, c) + delta)})
                    blocks = model.blocks[:k] + (Block(new_att, block.ffn),) + model.blocks[k + 1:]
                    yield f"block {k + 1} {name}[{r},{c}]", name, replace(model, blocks=blocks)
        # every allowed bit switched off, and a sample of the (many) bits switched on
        off = att.mask.pairs()
        allowed = set(off)
        on = [(t, j) for t in range(model.tokens) for j in range(model.tokens)
              if (t, j) not in allowed]
        for t, j in off + rng.sample(on, min(len(on), 40)):
            new_att = replace(att, mask=att.mask.flip(t, j))
            blocks = model.blocks[:k] + (Block(new_att, block.ffn),) + model.blocks[k + 1:]
            kind = "mask-off" if (t, j) in allowed else "mask-on"
            yield f"block {k + 1} mask[{t},{j}]", kind, replace(model, blocks=blocks)
    ro = model.readout
    for t in range(ro.rows):
        for c in range(ro.cols):
            new = ro.with_entry(t, c, ro.get(t, c) + delta)
            yield f"readout[{t},{c}]", "readout", replace(model, readout=new)


@pytest.mark.parametrize("text", ["3*x**2*y - y/7 + 2", "x**3 - 2*x + 5", "x*y*z + z**2 - 1"])
def test_every_single_mutation_is_decided_correctly(text):
    """Change any one weight, readout entry or mask bit (every allowed bit, and a
    sample of 40 forbidden bits per block) and re-verify.

    Ground truth comes from the independent dense evaluator at random rational
    points: a mutated model that differs from the target at a point MUST be
    refuted, with the differing monomial reported. Some changes are provably
    harmless (e.g. reading channel m of a query token whose m is still 0 when its
    block runs); for those the prover may say "proved", and then the model must
    agree with the target at every sampled point. The categories that always
    change the output (readout, Wk, Wv, cutting a used token off its parent) must
    always refute.
    """
    target = make_target(text)
    model = build(target)
    rng = random.Random(1234)
    points = [random_point(target.dimension, rng) for _ in range(3)]
    truth = [target.poly.evaluate(list(zip(target.ring.gens, p))) if target.dimension
             else target.poly.LC for p in points]
    truth = [Fraction(int(v.numerator), int(v.denominator)) for v in truth]
    counts = {"refuted": 0, "neutral": 0}
    for label, kind, mutant in _mutations(model, rng):
        verdict, _, _ = verify_identity(mutant, target)
        differs = any(reference_forward(mutant, p) != v for p, v in zip(points, truth))
        if differs:
            assert not verdict.holds, f"{label}: model changed but prover said proved"
            assert verdict.difference is not None, label
            counts["refuted"] += 1
        else:
            assert verdict.holds, f"{label}: prover refuted an unchanged function"
            counts["neutral"] += 1
        if kind in ("readout", "wk", "wv"):
            assert not verdict.holds, f"{label} must be refuted"
        if kind == "mask-off" and any(t == int(label.split("[")[1].split(",")[0])
                                      for t, _, _ in model.readout.entries):
            assert not verdict.holds, f"{label} cuts off a monomial the target uses"
    assert counts["refuted"] >= model.readout.rows * model.readout.cols


def test_refutation_reports_the_first_differing_monomial():
    target = make_target("3*x**2*y - y/7 + 2")
    model = build(target)
    bad = replace(model, readout=model.readout.with_entry(2, 2, Fraction(1, 7)))
    verdict, _, _ = verify_identity(bad, target)
    assert verdict.verdict == "refuted"
    assert verdict.difference.monomial == sympy.Symbol("y")
    assert verdict.difference.model_coefficient == sympy.Rational(1, 7)
    assert verdict.difference.claim_coefficient == sympy.Rational(-1, 7)
    assert "coefficient of y" in str(verdict)


def test_symbolic_claim_mismatch_is_refuted():
    model = build("a*x + b", params="a,b")
    claim = make_target("a*x + b + a*b", params="a,b")
    verdict, _, _ = verify_identity(model, claim)
    assert not verdict.holds
    assert sympy.expand(verdict.difference.claim_coefficient - (sympy.Symbol("a") * sympy.Symbol("b") + sympy.Symbol("b"))) == 0


def test_claim_in_other_variables_is_refuted_not_crashed():
    model = build("x**2")
    verdict, _, _ = verify_identity(model, make_target("y**2"))
    assert not verdict.holds


def test_near_miss_by_ten_to_the_minus_thirty_is_refuted():
    model = build("x**2 + 1")
    verdict, _, _ = verify_identity(model, make_target("x**2 + 1 + 10**-30"))
    assert not verdict.holds
    assert verdict.difference.monomial == 1
