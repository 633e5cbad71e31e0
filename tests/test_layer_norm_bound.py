"""The two facts proofs/layer-norm.md rests on, checked in exact arithmetic: LayerNorm's
centred entries satisfy g_c^2 <= (D - 1) v (so |LN(h)_c| < sqrt(D - 1) |gamma_c| +
|beta_c| for every eps > 0), with equality attained; and the remark's example where
v + eps is a perfect square (irrationality alone is no obstruction)."""
from __future__ import annotations

from fractions import Fraction

import sympy
from hypothesis import given, strategies as st

rationals = st.fractions(min_value=-10**6, max_value=10**6, max_denominator=10**4)


@given(st.lists(rationals, min_size=2, max_size=12))
def test_centred_entries_are_bounded_by_the_variance(h):
    D = len(h)
    mu = sum(h, Fraction(0)) / D
    g = [x - mu for x in h]
    v = sum(x * x for x in g) / D
    for gc in g:
        assert gc * gc <= (D - 1) * v
        # hence gc^2 / (v + eps) < D - 1 for every eps > 0
        assert gc * gc < (D - 1) * (v + Fraction(1, 10**30)) or gc == 0


@given(st.integers(2, 12), rationals.filter(lambda a: a != 0))
def test_the_bound_is_attained(D, a):
    h = [a] + [Fraction(0)] * (D - 1)
    mu = a / D
    v = sum((x - mu) ** 2 for x in h) / D
    assert (a - mu) ** 2 == (D - 1) * v


def test_a_layer_norm_whose_square_root_is_a_polynomial():
    x = sympy.Symbol("x")
    h = [x**2, -x**2, x, -x]
    mu = sum(h) / 4
    v = sympy.expand(sum((e - mu) ** 2 for e in h) / 4)
    assert sympy.Poly(v + sympy.Rational(1, 8), x) == \
        sympy.Poly((x**2 + sympy.Rational(1, 2)) ** 2 / 2, x)
