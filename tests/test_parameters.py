"""Parameter accounting: every number of a model counted by part, against an
independent count over dense sympy matrices, and reported by prove/theorem/check-model."""
from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings, strategies as st

from exactformer import build
from exactformer.cli import main
from exactformer.constructions import CONSTRUCTIONS
from exactformer.model.parameters import PARTS, count_parameters
from exactformer.theorem import generic_model


def dense_count(matrices) -> tuple[int, int]:
    """(non-zeros, entries) of sympy matrices, read entry by entry."""
    nonzero = dense = 0
    for m in matrices:
        for i in range(m.rows):
            for j in range(m.cols):
                dense += 1
                nonzero += m[i, j] != 0
    return nonzero, dense


def independent_count(model) -> dict[str, tuple[int, int]]:
    """The same count from the sympy form of every matrix and mask."""
    emb = model.embedding
    out = {"embedding": dense_count([emb.base.to_sympy()]
                                    + [a.to_sympy() for a in emb.coefficients])}
    for name in ("wq", "wk", "wv", "wo"):
        out[name] = dense_count([getattr(b.attention, name).to_sympy() for b in model.blocks])
    out["ffn"] = dense_count([m.to_sympy() for b in model.blocks if b.ffn is not None
                              for m in (b.ffn.w1, b.ffn.b1, b.ffn.w2, b.ffn.b2)])
    out["mask_bits"] = dense_count([b.attention.mask.to_sympy() for b in model.blocks
                                    if b.attention.mask is not None])
    r = model.readout.to_sympy()
    nz, dense = dense_count([r])
    out["readout"] = (nz + (model.readout.bias != 0), dense + 1)
    return out


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(sorted(CONSTRUCTIONS)), st.integers(1, 2), st.integers(0, 3),
       st.integers(-5, 5))
def test_count_agrees_with_an_independent_dense_count(construction, d, n, c):
    names = ["x", "y"][:d]
    target = f"{c}*{names[0]}**{n} + 1" if n else f"{c} + 1"
    model = build(target, variables=names, construction=construction, degree=n)
    counted = count_parameters(model)
    expected = independent_count(model)
    assert {p: (v.nonzero, v.dense) for p, v in counted.by_part} == expected
    assert counted.free == model.free_parameters == math.comb(n + d, d)
    assert counted.fixed == sum(expected[p][1] for p in PARTS if p != "readout")
    assert counted.fixed_nonzero == sum(expected[p][0] for p in PARTS if p != "readout")


def test_masked_and_relu_at_3_6_have_the_sizes_a_reviewer_counts():
    masked = count_parameters(generic_model(3, 6, "masked")[0]).parts
    assert masked["mask_bits"].dense == 6 * 84 * 84 == 42_336
    relu = count_parameters(generic_model(3, 6, "relu")[0]).parts
    assert sum(relu[p].dense for p in ("wq", "wk", "wv", "wo")) == 89_784


def test_one_more_weight_changes_the_count():
    model = build("x*y + 1")
    block = model.blocks[0]
    from dataclasses import replace
    wq = block.attention.wq.with_entry(1, 0, 5)
    mutated = replace(model, blocks=(replace(block, attention=replace(block.attention, wq=wq)),)
                      + model.blocks[1:])
    before, after = count_parameters(model).parts, count_parameters(mutated).parts
    assert after["wq"].nonzero == before["wq"].nonzero + 1
    assert after["wq"].dense == before["wq"].dense


def run_json(capsys, *argv) -> dict:
    code = main(list(argv) + ["--json"])
    # 5: agreement on the Schwartz-Zippel rung (not an exact proof)
    assert code == (5 if "schwartz-zippel" in argv else 0)
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("construction", sorted(CONSTRUCTIONS))
def test_prove_theorem_and_check_model_report_the_same_object(capsys, tmp_path, construction):
    proved = run_json(capsys, "prove", "x1**2*x2 - 3", "--construction", construction,
                      "--save-model", str(tmp_path / "m.json"))
    checked = run_json(capsys, "check-model", str(tmp_path / "m.json"), "--claim",
                       "x1**2*x2 - 3")
    theorem = run_json(capsys, "theorem", "--dim", "2", "--degree", "3", "--construction",
                       construction)
    for summary in (proved, checked, theorem):
        p = summary["parameters"]
        assert p["free"] == summary["free_parameters"] == 10
        assert set(p["by_part"]) == set(PARTS)
        assert p["fixed"] == sum(v["dense"] for k, v in p["by_part"].items() if k != "readout")
    # the fixed part does not depend on the target; the stored readout does
    strip = lambda p: {k: v for k, v in p["by_part"].items() if k != "readout"}  # noqa: E731
    assert strip(proved["parameters"]) == strip(theorem["parameters"])
    assert proved["parameters"] == checked["parameters"]


def test_text_output_has_one_line_of_it(capsys):
    assert main(["prove", "x**2 + 1"]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("all numbers")]
    assert len(lines) == 1 and "3 free" in lines[0] and "mask_bits 2/18" in lines[0]


def test_the_probabilistic_rungs_report_it_too(capsys, tmp_path):
    proved = run_json(capsys, "prove", "x*y + 1", "--rung", "schwartz-zippel",
                      "--save-model", str(tmp_path / "m.json"))
    checked = run_json(capsys, "check-model", str(tmp_path / "m.json"), "--claim", "x*y + 1",
                       "--rung", "schwartz-zippel")
    assert proved["parameters"] == checked["parameters"]
    assert proved["parameters"]["free"] == proved["free_parameters"] == 6
    assert proved["parameters"]["by_part"]["mask_bits"] == {"nonzero": 5, "dense": 72}
