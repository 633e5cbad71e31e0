"""The IR: validation on creation and the lossless, strict JSON form."""
from __future__ import annotations

import json
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, strategies as st

from exactformer import build
from exactformer.errors import ModelFormatError, ShapeError
from exactformer.model import (Attention, Block, Embedding, ExactMatrix, FeedForward, Mask,
                               Model, Readout)
from exactformer.formats.model_json import dumps, loads, model_to_json


def test_exact_matrix_keeps_only_nonzeros_and_converts():
    m = ExactMatrix.from_rows([[0, "1/3"], [sympy.Rational(2, 5), 0]])
    assert m.entries == ((0, 1, Fraction(1, 3)), (1, 0, Fraction(2, 5)))
    assert m.to_sympy() == sympy.Matrix([[0, sympy.Rational(1, 3)], [sympy.Rational(2, 5), 0]])


@pytest.mark.parametrize("bad, message", [
    (lambda: ExactMatrix(2, 2, ((2, 0, Fraction(1)),)), "outside shape"),
    (lambda: ExactMatrix(2, 2, ((0, 0, Fraction(0)),)), "non-zero Fraction"),
    (lambda: ExactMatrix(2, 2, ((0, 0, 1.5),)), "non-zero Fraction"),
    (lambda: ExactMatrix.from_rows([[1, 2], [3]]), "row 1 has 1 entries"),
    (lambda: ExactMatrix.from_rows([[0.5]]), "not an exact rational"),
    (lambda: Mask(3, ((1,), ())), "mask has 2 rows"),
    (lambda: Mask(2, ((1, 0), ())), "strictly increasing"),
    (lambda: Mask(2, ((5,), ())), "outside"),
    (lambda: Attention(ExactMatrix(3, 1), ExactMatrix(2, 1), ExactMatrix(3, 1),
                       ExactMatrix(1, 3)), "disagree on the width"),
    (lambda: Attention(ExactMatrix(3, 1), ExactMatrix(3, 2), ExactMatrix(3, 1),
                       ExactMatrix(1, 3)), "head size"),
    (lambda: Attention(ExactMatrix(3, 1), ExactMatrix(3, 1), ExactMatrix(3, 1),
                       ExactMatrix(1, 3), activation="gelu"), "score activation"),
    (lambda: FeedForward(ExactMatrix(3, 2), ExactMatrix(1, 3), ExactMatrix(2, 3),
                         ExactMatrix(1, 3)), "do not chain"),
    (lambda: Embedding(("x",), ExactMatrix(2, 3), ()), "1 variables but 0"),
])
def test_shapes_checked_on_creation(bad, message):
    with pytest.raises(ShapeError, match=message):
        bad()


def test_model_checks_mask_size_and_readout_shape():
    m = build("x**2")
    with pytest.raises(ShapeError, match="readout is"):
        Model(m.embedding, m.blocks, Readout(2, 3, ()))
    att = m.blocks[0].attention
    small = Attention(att.wq, att.wk, att.wv, att.wo, "identity", Mask(2, ((), ())))
    with pytest.raises(ShapeError, match="mask is 2 x 2"):
        Model(m.embedding, (Block(small),), m.readout)


@pytest.mark.parametrize("text, params", [
    ("3*x**2*y - y/7 + 2", None), ("a*x**3 + b*y", "a,b"), ("pi*x + sqrt(3)", None),
    ("7", None), ("x*y*z*w - 1/3", None)])
def test_json_round_trip_is_lossless(text, params):
    m = build(text, params=params)
    again = loads(dumps(m))
    assert again == m
    assert dumps(again) == dumps(m)


@given(st.integers(1, 3), st.integers(0, 4), st.integers(-10**30, 10**30),
       st.integers(1, 10**30))
def test_round_trip_random(d, n, num, den):
    names = ["x", "y", "z"][:d]
    text = f"({num}/{den})*{names[0]}**{n} + 1"
    m = build(text, variables=names)
    assert loads(dumps(m)) == m


def _doc(text="x**2 - 1"):
    return model_to_json(build(text))


def _mutated(change):
    doc = _doc()
    change(doc)
    return json.dumps(doc)


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(format="exactformer-model/99"), "unknown model format"),
    (lambda d: d.update(tokens=-1), "non-negative integer"),
    (lambda d: d["embedding"]["base"]["entries"][0].__setitem__(2, 0.5), "exact rational"),
    (lambda d: d["embedding"]["base"]["entries"][0].__setitem__(2, "abc"), "not an exact rational"),
    (lambda d: d["embedding"]["base"].update(shape=[1, 1]), "shape"),
    (lambda d: d["blocks"][0]["attention"].update(activation="tanh"), "score activation"),
    (lambda d: d["blocks"][0]["attention"].update(mask=[[0, 99]]), "outside"),
    (lambda d: d["blocks"][0]["attention"].update(mask="all"), "list of"),
    (lambda d: d["readout"]["entries"].append([0, 0, "sin(a)"]), "readout"),
    (lambda d: d["readout"].update(shape=[1, 1]), "readout shape"),
    (lambda d: d.update(extra=1), "unknown field"),
    (lambda d: d["blocks"].append(7), "must be an object"),
])
def test_loader_rejects_malformed_models(change, message):
    with pytest.raises(ModelFormatError, match=message):
        loads(_mutated(change))


@pytest.mark.parametrize("text, message", [
    ('{"a": 1, "a": 2}', "twice"),
    ('{"a": NaN}', "NaN"),
    ('{"a": Infinity}', "Infinity"),
    ("[" * 100000 + "]" * 100000, "nested too deeply|not valid"),
    ("not json", "not valid JSON"),
    (b"\xff\xfe", "UTF-8"),
    ("[]", "must be a JSON object"),
])
def test_loader_rejects_bad_json(text, message):
    with pytest.raises(ModelFormatError, match=message):
        loads(text)


def test_readout_to_sympy_is_a_matrix_of_exact_entries():
    m = build("a*x + 1/2", params="a")
    R = m.readout.to_sympy()
    assert R[0, 2] == sympy.Rational(1, 2) and R[1, 2] == sympy.Symbol("a")
