"""The generic theorem: symbolic readout, proved symbol by symbol."""
from __future__ import annotations

import json
import math
from dataclasses import replace
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, strategies as st

from exactformer.cli import main
from exactformer.theorem import coefficient_name, generic_model, prove_theorem
from exactformer.verify.linear import linear_form, verify_basis


@given(st.integers(0, 3), st.integers(0, 6))
def test_generic_theorem_holds(d, n):
    r = prove_theorem(d, n)
    assert r.verdict.holds
    assert r.model.tokens == r.model.free_parameters == math.comb(n + d, d)
    assert r.model.depth == n


def test_readout_is_one_symbol_per_monomial():
    model, claim = generic_model(2, 2)
    names = {str(v) for _, _, v in model.readout.entries}
    assert names == set(claim) == {coefficient_name(a) for a in
                                   [(0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2)]}


def test_mutated_generic_model_is_refuted():
    model, claim = generic_model(2, 3)
    # swap two symbols in the readout: the statement becomes false
    entries = list(model.readout.entries)
    (t1, c1, v1), (t2, c2, v2) = entries[1], entries[2]
    entries[1], entries[2] = (t1, c1, v2), (t2, c2, v1)
    bad = replace(model, readout=replace(model.readout, entries=tuple(entries)))
    verdict, _ = verify_basis(bad, claim)
    assert not verdict.holds and verdict.difference is not None
    # a changed mask bit that matters: cut token 3 (x1**2) off its parent
    att = model.blocks[1].attention
    cut = replace(att, mask=att.mask.flip(3, att.mask.allowed[3][0]))
    bad = replace(model, blocks=(model.blocks[0], replace(model.blocks[1], attention=cut))
                  + model.blocks[2:])
    verdict, _ = verify_basis(bad, claim)
    assert not verdict.holds and "c_2_0" in str(verdict.difference.monomial)


def test_linear_form():
    a, b = sympy.symbols("a b")
    assert linear_form(2 * a - b / 3 + 1) == {"a": 2, "b": Fraction(-1, 3), "": 1}
    assert linear_form(Fraction(3)) == {"": 3}
    assert linear_form(a * b) is None


def test_theorem_cli_json(capsys):
    assert main(["theorem", "--dim", "3", "--degree", "4", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "proved" and data["tokens"] == 35 and data["blocks"] == 4


@pytest.mark.parametrize("argv, code", [
    (["theorem", "--dim", "-1", "--degree", "2"], 2),
    (["theorem", "--dim", "30", "--degree", "30"], 3),
    (["theorem", "--dim", "2"], 2),
])
def test_theorem_cli_bad_input(capsys, argv, code):
    assert main(argv) == code
    assert "Traceback" not in capsys.readouterr().err
