"""Constructions B (softmax), C (relu, exact on a box) and D (log-depth): each proved by
the generic engine on random targets, mutations refuted, relu refuted outside its box."""
from __future__ import annotations

import json
import math
import random
from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from exactformer import NotExact, ParseError, build, check_model, make_target, prove
from exactformer.cli import main
from exactformer.constructions.logdepth import split, stages
from exactformer.engine import BoxPolynomialDomain, SignChange, polynomial_interval, run
from exactformer.model import Block
from exactformer.formats.model_json import dumps
from exactformer.poly.box import Box, box_from_meta, parse_box
from exactformer.theorem import prove_theorem
from exactformer.verify import EXACT_IDENTITY, EXACT_ON_BOX
from exactformer.verify.box import claim_at, output_at, verify_on_box
from reference import reference_forward

CONSTRUCTIONS = ("softmax", "relu", "logdepth")
NAMES = ("x", "y", "z")


@st.composite
def targets(draw, max_d=2, max_n=4):
    d = draw(st.integers(1, max_d))
    n = draw(st.integers(1, max_n))
    terms = draw(st.dictionaries(
        st.tuples(*[st.integers(0, n) for _ in range(d)]).filter(lambda a: 0 < sum(a) <= n),
        st.fractions(min_value=-50, max_value=50, max_denominator=9).filter(bool),
        min_size=1, max_size=5))
    const = draw(st.fractions(min_value=-9, max_value=9, max_denominator=5))
    text = " + ".join(f"({c})*" + "*".join(f"{v}**{e}" for v, e in zip(NAMES, a))
                      for a, c in terms.items()) + f" + ({const})"
    return text, NAMES[:d]


def _box_point(box: Box, rng: random.Random) -> list[Fraction]:
    return [lo + (hi - lo) * Fraction(rng.randint(0, 1000), 1000) for lo, hi in box.intervals]


def _target_value(text, names, point) -> Fraction:
    return claim_at(make_target(text, variables=names), point)


# ---------------------------------------------------------------- proved on random targets
@pytest.mark.parametrize("construction", CONSTRUCTIONS)
@given(targets(), st.integers(0, 10**6))
def test_construction_proved_on_random_targets(construction, target, seed):
    text, names = target
    result = prove(text, variables=names, construction=construction)
    assert result.proved, str(result.verdict)
    expected = EXACT_ON_BOX if construction == "relu" else EXACT_IDENTITY
    assert result.verdict.rung == expected
    assert result.model.info["construction"] == construction
    n, d = result.target.degree, len(names)
    assert result.model.free_parameters == math.comb(n + d, d) == result.model.tokens
    # independent dense Fraction forward pass agrees at a point (inside the box for relu)
    box = box_from_meta(result.model.info["box"]) if construction == "relu" else Box.cube(-3, 3, d)
    point = _box_point(box, random.Random(seed))
    assert reference_forward(result.model, point) == _target_value(text, names, point)


@given(targets(max_n=3))
def test_softmax_weights_are_derived_to_be_one(target):
    text, names = target
    r = prove(text, variables=names, construction="softmax")
    rows = r.model.tokens - 1  # every token of degree >= 1 has exactly one allowed key
    note = dict(r.verdict.evidence)["softmax weights"]
    assert f"{rows} softmax rows" in note and f"{rows} rows have one allowed key" in note
    assert "exp(s)/exp(s) = 1" in note
    for block in r.trace.blocks:  # the scores are non-constant polynomials (x_l)
        assert all(not s.is_ground for s in block.scores.values())
    assert all(b.attention.activation == "softmax" and b.ffn.activation == "square"
               for b in r.model.blocks)


def test_softmax_second_key_halves_the_weight_and_is_refuted():
    # scores x_l * one_j do not depend on the key, so two allowed keys get weights
    # derived to be exactly 1/2 each: the output changes and the check refutes it
    m = build("x**2 + x + 1", construction="softmax")
    att = m.blocks[1].attention
    t = next(t for t, row in enumerate(att.mask.allowed) if row)
    bad = replace(m, blocks=(m.blocks[0], Block(replace(att, mask=att.mask.flip(t, 0)),
                                                m.blocks[1].ffn)))
    result = check_model(bad, "x**2 + x + 1")
    # u = (m_0 + m_x)/2 = (1 + x)/2, so m_{x^2} = x(1 + x)/2: coefficient of x is 1 + 1/2
    assert not result.proved and str(result.verdict.difference) == (
        "coefficient of x: model has 3/2, claim has 1")
    assert "2 softmax rows" in result.verdict.detail
    assert "1 rows have one allowed key" in result.verdict.detail


def test_softmax_unequal_scores_are_not_exact():
    m = build("x**2 + x + 1", construction="softmax")
    att = m.blocks[1].attention
    t = next(t for t, row in enumerate(att.mask.allowed) if row)
    # key channel xin instead of one: scores x*1 (token 0) and x*x (token 1) differ
    wk = att.wk.with_entry(1, 0, 0).with_entry(0, 0, 1)
    bad = replace(m, blocks=(m.blocks[0], Block(replace(att, wk=wk,
                                                        mask=att.mask.flip(t, 0)),
                                                m.blocks[1].ffn)))
    with pytest.raises(NotExact, match="softmax of unequal scores"):
        check_model(bad, "x**2 + x + 1")


# ---------------------------------------------------------------- mutations

def _mutations(model, names):
    """(description, mutated model) for single-weight changes of the named matrices."""
    out = []
    for k, block in enumerate(model.blocks):
        att = block.attention
        for name in names:
            if name in ("wq", "wk", "wv", "wo"):
                w = getattr(att, name)
                for r, c, v in w.entries:
                    new = Block(replace(att, **{name: w.with_entry(r, c, v * 2 + 1)}), block.ffn)
                    out.append((f"block {k + 1} {name}[{r},{c}]",
                                replace(model, blocks=model.blocks[:k] + (new,)
                                        + model.blocks[k + 1:])))
            elif block.ffn is not None:
                w = getattr(block.ffn, name)
                for r, c, v in w.entries:
                    new = Block(att, replace(block.ffn, **{name: w.with_entry(r, c, v * 3)}))
                    out.append((f"block {k + 1} ffn {name}[{r},{c}]",
                                replace(model, blocks=model.blocks[:k] + (new,)
                                        + model.blocks[k + 1:])))
    return out


MUTATION_TEXT = "2*x**2*y - x*y/3 + 5*y**2 - x + 7"
FULL_SUPPORT = "(x + 2*y + 3)**3"  # every monomial of degree <= 3 has a non-zero coefficient


@pytest.mark.parametrize("construction", CONSTRUCTIONS)
@pytest.mark.parametrize("text", [MUTATION_TEXT, FULL_SUPPORT])
def test_every_value_or_output_weight_mutation_is_refuted(construction, text):
    model = build(text, construction=construction)
    assert check_model(model, text).proved
    mutations = _mutations(model, ("wv", "wo"))
    assert len(mutations) == 2 * model.depth
    for what, bad in mutations:
        result = check_model(bad, text)
        assert not result.proved, what


@pytest.mark.parametrize("construction", CONSTRUCTIONS)
@pytest.mark.parametrize("text", [MUTATION_TEXT, FULL_SUPPORT])
def test_weight_mutations_are_refuted_unless_truly_harmless(construction, text):
    """Single-weight mutations of any matrix (a fixed random sample). Some are genuinely
    harmless (a one-key softmax row has weight exp(s)/exp(s) = 1 whatever the score s;
    a relu score pushed further below 0 stays 0; a scratch channel left uncleared after
    the last block is never read), so the verdict is compared with the independent dense
    evaluation at random points: "proved" must agree at every point, "refuted" must
    disagree at some point."""
    model = build(text, construction=construction)
    claim = make_target(text)
    box = box_from_meta(model.info["box"]) if "box" in model.info else Box.cube(-2, 2, 2)
    rng = random.Random(7)
    points = [_box_point(box, rng) for _ in range(3)]
    mutations = _mutations(model, ("wq", "wk", "wv", "wo", "w1", "w2"))
    counts = {"proved": 0, "refuted": 0, "not exact": 0}
    for what, bad in rng.sample(mutations, min(10, len(mutations))):
        try:
            result = check_model(bad, text)
        except NotExact:
            counts["not exact"] += 1
            continue
        counts[result.verdict.verdict] += 1
        agree = [reference_forward(bad, p) == claim_at(claim, p) for p in points]
        assert all(agree) if result.proved else not all(agree), what
    assert counts["refuted"] >= 1, counts


@pytest.mark.parametrize("construction", CONSTRUCTIONS)
def test_value_weight_mutation_is_refuted_with_first_monomial(construction):
    model = build("x**2 + 3*x + 1", construction=construction)
    k = len(model.blocks) - 1
    att = model.blocks[k].attention
    bad = replace(model, blocks=model.blocks[:k] + (
        Block(replace(att, wv=att.wv.with_entry(2, 0, 2)), model.blocks[k].ffn),))
    result = check_model(bad, "x**2 + 3*x + 1")
    assert not result.proved and result.verdict.difference is not None
    if construction != "relu":  # relu reads out in the shifted basis (x + 1)^k
        assert "x**2" in str(result.verdict.difference.monomial)


@given(targets(max_n=3), st.integers(0, 10**6))
def test_readout_mutation_refuted_for_relu(target, seed):
    text, names = target
    model = build(text, variables=names, construction="relu")
    r, c, v = random.Random(seed).choice(model.readout.entries)
    bad = replace(model, readout=model.readout.with_entry(r, c, v + 1))
    result = check_model(bad, text, variables=names)
    assert not result.proved and result.verdict.rung == EXACT_ON_BOX


# ---------------------------------------------------------------- relu and its box
def test_relu_has_no_mask_and_certifies_every_sign():
    r = prove("x**3*y - 2*x + 1/3", construction="relu")
    assert all(b.attention.mask is None and b.attention.activation == "relu"
               for b in r.model.blocks)
    ev = dict(r.verdict.evidence)
    assert ev["box"] == "[-1,1]^2" and "distinct relu arguments" in ev["sign certificates"]
    domain = BoxPolynomialDomain(r.model.variables, parse_box("[-1,1]^2", 2))
    run(r.model, domain, record=False)
    certs = domain.sign_certificates()
    assert certs and all((lo >= 0 and s == "nonnegative") or (hi <= 0 and s == "nonpositive")
                         for _, lo, hi, s in certs)


def test_relu_refuted_outside_its_box_with_a_counterexample_point():
    text = "x**2*y - 3*x + 1/7"
    model = build(text, construction="relu")  # exact on [-1, 1]^2
    claim = make_target(text)
    # the sign of some relu argument changes on the larger box
    with pytest.raises(SignChange):
        run(model, BoxPolynomialDomain(model.variables, parse_box("[-3,3]^2", 2)))
    verdict, _, _ = verify_on_box(model, claim, parse_box("[-3,3]^2", 2))
    assert not verdict.holds and verdict.rung == EXACT_ON_BOX
    ev = dict(verdict.evidence)
    assert "counterexample" in ev and ev["model value"] != ev["claim value"]
    # a concrete point outside [-1, 1]^2, evaluated exactly (engine and reference)
    point = [Fraction(5, 2), Fraction(-2)]
    y = output_at(model, point)
    assert y == reference_forward(model, point)
    assert y != claim_at(claim, point)
    # inside the box the same model is right at every point tried
    rng = random.Random(1)
    for _ in range(5):
        p = _box_point(parse_box("[-1,1]^2", 2), rng)
        assert output_at(model, p) == claim_at(claim, p)


def test_relu_box_option_and_refusal_without_a_box():
    r = prove("x**2 - y", construction="relu", domain="[0,3]x[-2,1/2]")
    assert r.proved and r.model.info["box"] == "[0,3]x[-2,1/2]"
    assert r.model.info["separation"] == "3"
    stripped = replace(r.model, meta=tuple(kv for kv in r.model.meta if kv[0] != "box"))
    with pytest.raises(NotExact, match="sign certificate"):
        check_model(stripped, "x**2 - y")
    assert check_model(stripped, "x**2 - y", domain="[0,3]x[-2,1/2]").proved
    assert check_model(stripped, "x**2 - y", domain="[1/2,1]x[-1,0]").proved  # a sub-box


@given(st.lists(st.tuples(st.integers(-3, 3), st.integers(0, 3), st.integers(0, 2)),
                min_size=1, max_size=5),
       st.fractions(-3, 3, max_denominator=4), st.fractions(0, 3, max_denominator=4),
       st.integers(0, 10**6))
def test_interval_enclosure_contains_every_value(terms, lo, width, seed):
    from exactformer.engine import PolynomialDomain
    ring = PolynomialDomain(("x", "y")).ring
    x, y = ring.gens
    poly = sum((c * x**a * y**b for c, a, b in terms), ring.zero)
    box = Box(((lo, lo + width + Fraction(1, 4)), (Fraction(-1), Fraction(2))))
    low, high = polynomial_interval(poly, box.intervals)
    rng = random.Random(seed)
    for _ in range(10):
        p = _box_point(box, rng)
        value = poly(*p)
        assert low <= Fraction(int(value.numerator), int(value.denominator)) <= high


@pytest.mark.parametrize("text, d, message", [
    ("[1,0]", 1, "lo < hi"), ("[0,1]^3", 2, "dimension 3"), ("[0,1]x[0,1]", 3, "2 intervals"),
    ("[a,1]", 1, "cannot read"), ("[0,1/0]", 1, "not an exact rational")])
def test_bad_boxes(text, d, message):
    with pytest.raises(ParseError, match=message):
        parse_box(text, d)


# ---------------------------------------------------------------- log-depth
@pytest.mark.parametrize("n, blocks", [(1, 0), (2, 2), (3, 4), (4, 4), (5, 6), (8, 6),
                                       (9, 8), (10, 8), (16, 8), (17, 10)])
def test_logdepth_block_count_against_masked(n, blocks):
    text = f"x**{n} + y"
    log, masked = build(text, construction="logdepth"), build(text)
    assert log.depth == blocks == 2 * stages(n) and masked.depth == n
    assert log.width == 3 + stages(n)
    # 2 ceil(log2 n) < n for n = 1 and from n = 7 on (n = 3, 5: one block more than A)
    assert (log.depth < masked.depth) == (n == 1 or n >= 7)


def test_logdepth_degree_10_proved_in_8_blocks_and_cli_states_it(capsys):
    r = prove("x**10 - 3*x**7*y + y**5 - 1", construction="logdepth")
    assert r.proved and r.model.depth == 8 and prove("x**10 + y").model.depth == 10
    code = main(["prove", "x**10 + y", "--construction", "logdepth"])
    out = capsys.readouterr().out
    assert code == 0 and "blocks       8 " in out


def test_logdepth_degree_1000_has_20_blocks():
    assert build("x**1000", construction="logdepth").depth == 20


@given(st.lists(st.integers(0, 6), min_size=1, max_size=4), st.integers(0, 8))
def test_split_takes_the_first_units(alpha, units):
    alpha = tuple(alpha)
    units = min(units, sum(alpha))
    beta, gamma = split(alpha, units)
    assert sum(beta) == units and tuple(b + g for b, g in zip(beta, gamma)) == alpha
    first = next((i for i, g in enumerate(gamma) if g), len(alpha))
    assert all(b == 0 for b in beta[first + 1:])


# ---------------------------------------------------------------- theorem and CLI
@pytest.mark.parametrize("construction, rung", [
    ("masked", EXACT_IDENTITY), ("softmax", EXACT_IDENTITY), ("relu", EXACT_ON_BOX),
    ("logdepth", EXACT_IDENTITY)])
def test_theorem_for_every_construction(construction, rung):
    result = prove_theorem(2, 3, construction)
    assert result.verdict.holds and result.verdict.rung == rung
    assert result.model.free_parameters == 10
    if construction == "relu":
        assert "(x - (-1, -1))^alpha" in result.statement and "[-1,1]^2" in result.statement


def test_theorem_relu_fails_when_the_box_is_too_large_for_its_claim():
    from exactformer.theorem import generic_model
    model, claim = generic_model(1, 2, "relu")
    from exactformer.verify.linear import verify_basis
    with pytest.raises(SignChange):
        run(model, BoxPolynomialDomain(model.variables, parse_box("[-1,3]", 1)))
    assert verify_basis(model, claim, run(model, BoxPolynomialDomain(
        model.variables, parse_box("[-1,1]", 1)), record=False))[0].holds


def test_cli_prove_each_construction_json(capsys):
    for c in ("masked", "softmax", "relu", "logdepth"):
        code = main(["prove", "x**3*y - 2*x + 1/3", "--construction", c, "--json"])
        data = json.loads(capsys.readouterr().out)
        assert code == 0 and data["verdict"] == "proved" and data["construction"] == c
    assert data["blocks"] == 4  # logdepth, degree 4


def test_cli_check_model_relu_with_domain(tmp_path, capsys):
    path = tmp_path / "relu.json"
    assert main(["prove", "x**2 - y", "--construction", "relu", "--save-model", str(path)]) == 0
    capsys.readouterr()
    assert main(["check-model", str(path), "--claim", "x**2 - y"]) == 0
    assert "sign certificates" in capsys.readouterr().out
    code = main(["check-model", str(path), "--claim", "x**2 - y", "--domain", "[-2,2]^2"])
    out = capsys.readouterr().out
    assert code == 1 and "counterexample" in out
    code = main(["check-model", str(path), "--claim", "x**2 + y"])
    out = capsys.readouterr().out
    assert code == 1 and "coefficient of y" in out
    code = main(["check-model", str(path), "--claim", "x**2 - y", "--domain", "[0,1]"])
    assert code == 0 and "box: [0,1]^2" in capsys.readouterr().out  # a sub-box of [-1,1]^2
    code = main(["check-model", str(path), "--claim", "x**2 - y", "--domain", "[0,1]x[0,1]x[0,1]"])
    assert code == 2 and "3 intervals" in capsys.readouterr().err


@pytest.mark.parametrize("construction", ["softmax", "logdepth"])
def test_cli_check_model_prints_first_differing_monomial(tmp_path, capsys, construction):
    path = tmp_path / "m.json"
    path.write_text(dumps(build("x**3 + 2*x*y", construction=construction)))
    code = main(["check-model", str(path), "--claim", "x**3 + 3*x*y"])
    out = capsys.readouterr().out
    assert code == 1 and "coefficient of x*y: model has 2, claim has 3" in out
