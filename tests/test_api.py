"""The notebook API: prove/build return inspectable, exact objects."""
from __future__ import annotations

import sympy

from exactformer import build, prove

x, y = sympy.symbols("x y")


def test_prove_result_holds_model_verdict_and_trace():
    r = prove("3*x**2*y - y/7 + 2")
    assert r.proved and r.verdict.verdict == "proved"
    assert r.model.depth == 3 and len(r.trace.residuals) == 4
    assert r.trace.value(3, 7, 2) == x**2 * y
    assert r.trace.scores_of(1)[(1, 0)] == x
    assert "PROVED" in repr(r) and "blocks=3" in repr(r)
    assert sympy.expand(r.output - (3 * x**2 * y - y / 7 + 2)) == 0


def test_prove_accepts_sympy_expressions():
    r = prove(3 * x**2 * y - y / 7 + 2)
    assert r.proved and r.target.variables == ("x", "y")


def test_weights_are_sympy_matrices():
    m = build("x**2 + y")
    att = m.blocks[0].attention
    assert isinstance(att.wq.to_sympy(), sympy.MatrixBase)
    assert att.mask.to_sympy().shape == (m.tokens, m.tokens)
    assert m.embedding.coefficients[0].to_sympy().shape == (m.tokens, 3)


def test_residual_matrix_is_sympy():
    r = prove("x*y")
    H = r.trace.residual_matrix(2)
    assert isinstance(H, sympy.MatrixBase) and H.shape == (6, 3)
    assert H[4, 2] == x * y
