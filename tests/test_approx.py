"""Certified approximation: soundness of the bound, convergence, proof, whitelist."""
from __future__ import annotations

import json
import random
from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from exactformer.approx import approximate, parse_domain, parse_function
from exactformer.approx.certify import (chebyshev_sup_bound, decimal_up, shift_polynomial)
from exactformer.approx.chebyshev import chebyshev_T
from exactformer.approx.functions import MpfAlgebra, NotBounded
from exactformer.cli import main
from exactformer.errors import LimitExceeded, ParseError
from exactformer.model import Readout
from exactformer.poly import make_target
from exactformer.verify import verify_identity

ALG = MpfAlgebra(60)
TOL = ALG.ctx.mpf(10) ** -45       # mpmath evaluation error of f at 60 digits


def true_errors(result, count: int, seed: int):
    """|f - p| at random rational points (and some box corners), f at 60 digits,
    p exact: the quantity the certified bound must dominate."""
    rng = random.Random(seed)
    box = result.approximant.box
    for i in range(count):
        if i % 10 == 0:
            pt = [rng.choice((a, b)) for a, b in box]
        else:
            pt = [a + (b - a) * Fraction(rng.randint(0, 10**9), 10**9) for a, b in box]
        f = result.function.value_at(ALG, pt)
        yield abs(f - ALG.num(result.approximant.value(pt)))


@pytest.mark.parametrize("expr, degree, domain", [
    ("exp(x)*cos(3*y)", 6, "-1,1"),
    ("log(x)", 5, "1/3,2"),
    ("sqrt(x)", 4, "0,1"),
    ("abs(x - 1/3)", 5, "-1,1"),
    ("1/(1 + x**2 + y**2)", 5, "-2,1/2"),
    ("sin(5*x)", 9, "-1,1"),
])
def test_certified_bound_is_never_below_the_true_error(expr, degree, domain):
    result = approximate(expr, degree, domain, budget=60, samples=400)
    bound = ALG.num(result.bound.value)
    worst = max(true_errors(result, 1500, seed=degree))
    assert worst <= bound + TOL
    # and it is an honest bound, not a huge number: within a small factor of the truth
    assert bound <= 4 * worst + TOL
    assert result.sampled <= float(bound) * (1 + 1e-12)


def test_bound_shrinks_with_degree_for_a_smooth_function():
    bounds = [approximate("exp(x)*sin(2*x)", n, "-1,1", samples=300).bound.value
              for n in (3, 6, 9, 12)]
    assert all(b2 < b1 / 10 for b1, b2 in zip(bounds, bounds[1:]))
    assert bounds[-1] < Fraction(1, 10**6)


def test_model_equals_approximant_is_proved_and_mutation_is_refuted():
    result = approximate("exp(x)*cos(3*y)", 6, "-1,1", samples=200, budget=40)
    assert result.verdict.holds and result.verdict.rung == "exact polynomial identity"
    assert result.model.depth == 6 and result.model.free_parameters == 28
    entries = list(result.model.readout.entries)
    t, c, v = entries[3]
    entries[3] = (t, c, v + Fraction(1, 2**70))
    bad = replace(result.model, readout=Readout.from_dict(
        result.model.readout.rows, result.model.readout.cols,
        {(t, c): v for t, c, v in entries}))
    verdict, _, _ = verify_identity(bad, result.target)
    assert not verdict.holds


def test_polynomial_string_reads_back_exactly():
    result = approximate("cos(x + y/2)", 5, "0,1;-1,3", samples=100, budget=30)
    back = make_target(result.summary()["polynomial"], variables=("x", "y"))
    assert back == result.target
    # p(x) = P(t(x)) exactly at a few rational points
    a = result.approximant
    for pt in [(Fraction(1, 3), Fraction(2, 7)), (Fraction(0), Fraction(3))]:
        t = [(x - (lo + hi) / 2) / ((hi - lo) / 2) for x, (lo, hi) in zip(pt, a.box)]
        assert a.value(pt) == a.value_t(t)


def test_polynomial_targets_have_bound_zero_or_the_rounding_only():
    result = approximate("x**3 - 2*x*y + 1/4", 3, "-1,1", samples=100)
    assert result.bound.value == 0 and result.sampled < 1e-35   # mpmath rounding only
    # 1/3 is not a multiple of 2^-64: only the rounding of the coefficients remains
    result = approximate("x**3 - 2*x*y + 1/3", 3, "-1,1", samples=100)
    assert 0 < result.bound.value <= Fraction(1, 2**62)


@given(st.dictionaries(st.integers(0, 6), st.integers(-50, 50), min_size=1),
       st.integers(-8, 8))
def test_shift_polynomial_is_exact(coeffs, c_num):
    c = Fraction(c_num, 8)
    numerators = {(k,): v for k, v in coeffs.items()}
    shifted, e = shift_polynomial(numerators, 3, 1, [c])
    for h in (Fraction(0), Fraction(1, 3), Fraction(-2)):
        lhs = sum(Fraction(v, 8) * (c + h) ** k for k, v in coeffs.items())
        rhs = sum(Fraction(v, 2**e) * h ** m[0] for m, v in shifted.items())
        assert lhs == rhs


@given(st.dictionaries(st.tuples(st.integers(0, 4), st.integers(0, 4)),
                       st.fractions(min_value=-10, max_value=10, max_denominator=20),
                       min_size=1))
def test_chebyshev_sup_bound_dominates_values(coeffs):
    bound = chebyshev_sup_bound(coeffs, 2, 8)
    for s in (Fraction(1), Fraction(-1), Fraction(1, 3), Fraction(-5, 7)):
        for u in (Fraction(1), Fraction(-1), Fraction(2, 9)):
            value = sum(v * s ** m[0] * u ** m[1] for m, v in coeffs.items())
            assert abs(value) <= bound


def test_chebyshev_polynomials():
    assert chebyshev_T(0) == [1] and chebyshev_T(4) == [1, 0, -8, 0, 8]


@given(st.fractions(min_value=Fraction(1, 10**12), max_value=10**12))
def test_decimal_up_is_an_upper_bound_with_three_digits(q):
    text = decimal_up(q)
    value = Fraction(text)
    assert value >= q and value <= q * Fraction(1011, 1000)


@pytest.mark.parametrize("text, exc, message", [
    ("__import__('os').system('true')", ParseError, "not allowed"),
    ("tan(x)", ParseError, "not supported"),
    ("x**y", ParseError, "integer constant"),
    ("x**(1/2)", ParseError, "integer constant"),
    ("9**9**9**9", ParseError, "integer constant"),
    ("x**1000", LimitExceeded, "exponent"),
    ("open(x)", ParseError, "not supported"),
    ("x.real", ParseError, "unexpected character"),
    ("lambda: x", ParseError, "unexpected character"),
    ("3", ParseError, "no variable"),
])
def test_whitelist_rejects(text, exc, message):
    with pytest.raises(exc, match=message):
        parse_function(text)


@pytest.mark.parametrize("expr, domain, message", [
    ("1/x", "-1,1", "pole"),
    ("log(x)", "-1,1", "log"),
    ("log(x)", "0,1", "undefined at x=0"),
    ("sqrt(x)", "-1,1", "sqrt"),
    ("exp(1000*x)", "-1,1", "moderate size"),
])
def test_unboundable_functions_are_refused(expr, domain, message):
    with pytest.raises(NotBounded, match=message):
        approximate(expr, 4, domain, samples=50)


def test_domain_parsing():
    assert parse_domain("0,1;-1/2,3", 2) == ((0, 1), (Fraction(-1, 2), 3))
    for bad, message in [("1,0", "empty"), ("a,b", "not a rational"), ("0,1;0,1", "2 intervals"),
                         ("0,1,2", "a,b")]:
        with pytest.raises(ParseError, match=message):
            parse_domain(bad, 1 if bad != "0,1;0,1" else 3)


def run_cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_approx_json_fields(capsys):
    code, out, err = run_cli(capsys, "approx", "exp(x)*cos(3*y)", "--degree", "5",
                             "--domain", "-1,1", "--samples", "200", "--json")
    assert code == 0, err
    data = json.loads(out)
    for key in ("degree", "blocks", "free_parameters", "verdict", "rung", "polynomial",
                "error_bound", "sampled_max_error", "seconds", "error_bound_method"):
        assert key in data
    assert data["verdict"] == "proved" and data["blocks"] == 5 and data["free_parameters"] == 21
    assert Fraction(data["error_bound"]) >= Fraction(data["sampled_max_error"])


def test_cli_approx_plot(tmp_path, capsys):
    png = tmp_path / "err.png"
    code, out, err = run_cli(capsys, "approx", "exp(x)", "--degree", "4", "--plot", str(png),
                             "--plot-degrees", "2,4", "--samples", "100")
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "certified" in out and "PROVED" in out


@pytest.mark.parametrize("argv, message", [
    (["approx", "tan(x)", "--degree", "3"], "not supported"),
    (["approx", "1/x", "--degree", "3"], "pole"),
    (["approx", "x", "--degree", "3", "--domain", "1,0"], "empty"),
    (["approx", "x", "--degree", "-1"], "non-negative"),
])
def test_cli_approx_errors_exit_2_without_traceback(capsys, argv, message):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_towers_of_exponentials_are_refused_quickly(capsys):
    import time as _time
    from exactformer.cli import main
    start = _time.perf_counter()
    assert main(["approx", "exp(exp(exp(exp(x))))", "--degree", "10", "--domain", "0,3"]) == 2
    assert "overflows" in capsys.readouterr().err
    assert _time.perf_counter() - start < 30
