"""The differential soundness harness (issue 11, point 6), a few hundred cases.

Random models of every kind the IR allows, their true output and near misses,
decided by the prover (exact rungs and Schwartz-Zippel), the independent checker
(through certificates) and the oracle of ``soundness_oracle`` (no exactformer code).
``python benchmarks/soundness.py --cases N`` runs the long version.
"""
from __future__ import annotations

import ast
import random
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from soundness_cases import NAME_KINDS, Outcome, dump, model_json, name_case, random_spec, run_case
from soundness_oracle import ExactAt, NumericAt, Poly, enclosure, forward, judge, value_at

from exactformer.formats.model_json import model_from_json
from reference import reference_forward

MODELS = 150  # x 3 claims each


@pytest.fixture(scope="module")
def harness() -> Outcome:
    total = Outcome()
    for seed in range(MODELS):
        total.merge(run_case(seed))
    return total


def _report(found: list) -> str:
    return f"{len(found)} disagreement(s); the first:\n" + "\n".join(dump(d) for d in found[:2])


def _where(harness: Outcome, *words: str) -> list:
    return [d for d in harness.disagreements if any(w in d["what"] for w in words)]


# ------------------------------------------------------------------ the oracle itself

def test_the_oracle_imports_nothing_from_exactformer():
    source = (Path(__file__).parent / "soundness_oracle.py").read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__", "random", "dataclasses", "fractions", "mpmath"}


def test_oracle_polynomials_and_enclosures():
    x, y = Poly.var("x"), Poly.var("y")
    p = (x + y) * (x - y)
    assert p == x * x - y * y
    assert p.value({"x": Fraction(3), "y": Fraction(1, 2)}) == Fraction(35, 4)
    assert p.rename({"x": "y", "y": "x"}) == -p
    lo, hi = enclosure(x * x - 1, {"x": (Fraction(-2), Fraction(1))})
    assert (lo, hi) == (-1, 3)


def test_oracle_softmax_of_unequal_scores_is_numeric():
    # one token attends to itself and to a token with a different score: weights
    # e^s / (e^s + e^t) are irrational, so the oracle evaluates them with mpmath
    spec = {"variables": ["x"], "tokens": 2, "width": 1, "base": [[Fraction(1)], [Fraction(0)]],
            "coefficients": [[[Fraction(0)], [Fraction(1)]]],
            "blocks": [{"wq": [[Fraction(1)]], "wk": [[Fraction(1)]], "wv": [[Fraction(1)]],
                        "wo": [[Fraction(1)]], "activation": "softmax", "mask": None,
                        "ffn": None}],
            "readout": [[Poly.const(1)], [Poly()]], "bias": Poly()}
    y, how = value_at(spec, [Fraction(1, 2)], {})
    assert how == "numeric"
    num = NumericAt([Fraction(1, 2)])
    e, half = num.ctx.e, num.const(Fraction(1, 2))
    ex = num.ctx.exp(half)
    want = 1 + (e * 1 + ex * half) / (e + ex)  # token 0: scores (1, x), values (1, x)
    assert abs(y - want) < num.ctx.mpf(10) ** -50
    # the naive claim (weights 1/2) is refuted numerically, never accepted
    naive = Poly.const(1) + (Poly.const(1) + Poly.var("x")) * Fraction(1, 2)
    assert judge(spec, naive).differs


@pytest.mark.parametrize("seed", range(40))
def test_oracle_agrees_with_the_reference_forward_pass(seed):
    """Two independent dense passes (tests/reference.py and the oracle) agree on every
    model the reference can run (rational readout, softmax rows equal at the point)."""
    rng = random.Random(seed)
    spec, box = random_spec(rng)
    for row in spec["readout"]:
        for c, f in enumerate(row):
            if not f.is_constant():
                row[c] = Poly.const(2)
    if not spec["bias"].is_constant():
        spec["bias"] = Poly.const(1)
    model = model_from_json(model_json(spec))
    point = [Fraction(rng.randint(-9, 9), rng.randint(1, 5)) for _ in spec["variables"]]
    y, how = value_at(spec, point, {})
    if how != "exact":
        pytest.skip("a softmax row has unequal scores at this point")
    assert reference_forward(model, point) == y == forward(spec, ExactAt(point))


# ------------------------------------------------------------------ the harness

def test_every_proof_agrees_with_the_oracle(harness):
    found = _where(harness, "prover PROVED a claim")
    assert not found, _report(found)


def test_no_refutation_of_a_claim_the_oracle_decided_true(harness):
    found = _where(harness, "REFUTED a claim the oracle decided true")
    assert not found, _report(found)


def test_schwartz_zippel_agrees_with_the_oracle_and_the_exact_rung(harness):
    found = _where(harness, "Schwartz-Zippel HOLDS", "Schwartz-Zippel and the exact rung")
    assert not found, _report(found)


def test_every_proof_has_a_certificate_the_checker_confirms(harness):
    found = _where(harness, "the checker does not confirm", "certificate writer")
    assert not found, _report(found)


def test_the_checker_never_validates_a_false_claim(harness):
    """Oracle-written certificates of near misses, proofs with one weight or mask bit
    changed, and proofs whose box was widened: never VALID when the oracle refutes."""
    found = _where(harness, "checker says VALID", "checker VALID")
    assert not found, _report(found)


def test_nothing_crashes(harness):
    found = _where(harness, "crashed")
    assert not found, _report(found)


def test_no_disagreement_at_all(harness):
    assert not harness.disagreements, _report(harness.disagreements)


def test_the_harness_covers_every_kind_and_verdict(harness):
    c = harness.counts
    assert c["cases"] >= 300
    for kind in ("polynomial", "softmax-exact", "softmax-irrational", "relu-box-certified",
                 "relu-box-sign-change", "relu-no-box"):
        assert c.get(f"kind {kind}", 0) >= 3, kind
    for key in ("prover proved", "prover refuted", "prover refused", "schwartz-zippel holds",
                "schwartz-zippel refuted", "schwartz-zippel refused", "readout params",
                "mutated certificate invalid", "oracle differs", "oracle equal"):
        assert c.get(key, 0) >= 3, key
    # unequal softmax rows are never proved: refused (or refuted by a witness)
    assert c.get("softmax-irrational: prover proved", 0) == 0


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=0, max_value=2**40))
def test_random_models_never_disagree(seed):
    out = run_case(seed, claims_per_model=2)
    assert not out.disagreements, _report(out.disagreements)


# ------------------------------------------------------------------ name discipline

@pytest.mark.parametrize("kind", NAME_KINDS)
@pytest.mark.parametrize("seed", range(3))
def test_names_that_would_live_in_two_spaces_are_refused(kind, seed):
    """A claim parameter or readout symbol named like an input, or a non-ASCII
    lookalike name: the prover refuses (an exactformer error), the checker says
    malformed or invalid; never proved, never VALID."""
    r = name_case(seed, kind)
    assert r["ok"], dump({k: v for k, v in r["reproducer"].items() if k != "model"})
